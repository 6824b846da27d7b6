#!/usr/bin/env python3
"""Checkout.com's own Python SDK (PyPI checkout-sdk 4.8.1), unmodified,
against payclient-sandbox: only the base URL and the credentials differ from
a merchant's setup.

Reads the variables `payclient-sandbox` prints (CHECKOUT_ENVIRONMENT,
CHECKOUT_SECRET_KEY, CHECKOUT_CLIENT_ID, CHECKOUT_CLIENT_SECRET,
CHECKOUT_TOKEN_URL), prints `ok - <what>` per check and exits 1 at the first
failure. Standard library and the SDK only (requests is the SDK's own HTTP
client, which it takes as a `requests.Session`).
"""

import logging
import os
import re
import sys
import warnings
from urllib.parse import urlsplit

# This file is named like the SDK's package: drop its own directory from the
# import path, or `import checkout_sdk` would find this script.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

# requests honours proxy variables; the sandbox is on loopback.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ.pop("no_proxy", None)

import requests  # noqa: E402 (the SDK's own HTTP stack)
from checkout_sdk.authorization_type import AuthorizationType  # noqa: E402
from checkout_sdk.checkout_sdk import CheckoutSdk  # noqa: E402
from checkout_sdk.common.enums import Currency  # noqa: E402
from checkout_sdk.environment import Environment  # noqa: E402
from checkout_sdk.exception import (  # noqa: E402
    CheckoutApiException,
    CheckoutArgumentException,
    CheckoutAuthorizationException,
)
from checkout_sdk.oauth_scopes import OAuthScopes  # noqa: E402
from checkout_sdk.payments.payments import PaymentType, ThreeDsRequest  # noqa: E402
from checkout_sdk.payments.sessions.sessions import (  # noqa: E402
    BillingAddress,
    PaymentSessionsRequest,
    PaymentSessionWithPaymentRequest,
    SessionBilling,
    SubmitPaymentSessionRequest,
)

# The SDK logs every error answer; the checks below report them.
logging.getLogger("checkout").addHandler(logging.NullHandler())
logging.getLogger("checkout").propagate = False

# The SDK's legacy-domain switch warns on every build; the sandbox has no
# merchant subdomain, so the warning says nothing here.
warnings.simplefilter("ignore", DeprecationWarning)

# Shapes the vendor documents (ids in the API reference, keys in the SDK).
SESSION_ID = re.compile(r"^ps_[A-Za-z0-9]{1,64}$")
PAYMENT_ID = re.compile(r"^pay_[a-z2-7]{26}$")
SESSION_SECRET = re.compile(r"^pss_[0-9a-f-]{36}$")
SECRET_KEY = re.compile(r"^sk_(sbox_)?[a-z2-7]{26}[a-z2-7*#$=]$")
CLIENT_ID = re.compile(r"^ack_[a-z2-7]{26}$")


def masked(value):
    """A credential in a failure message: its kind and length, never its
    value (the variables could hold a real key)."""
    return f"{str(value)[:4]}… ({len(str(value))} characters)"


class Failure(Exception):
    pass


def env(name):
    value = os.environ.get(name)
    if not value:
        raise Failure(
            f"{name} is not set: start payclient-sandbox and source the "
            "`export` lines it prints"
        )
    return value


def check(what, condition, detail=""):
    if not condition:
        raise Failure(f"{what}: {detail}" if detail else what)
    print(f"ok - {what}", flush=True)


class LoopbackSession(requests.Session):
    """The SDK's HTTP client (a requests Session) that records each request
    and refuses anything but loopback, so no check can reach the vendor."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, url, *args, **kwargs):
        host = urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise Failure(f"the SDK tried to leave loopback: {method} {url}")
        response = super().request(method, url, *args, **kwargs)
        self.sent.append((method.upper(), url, response.request.headers, response))
        return response


class LoopbackClientBuilder:
    """What the SDK's `http_client_builder` takes: `get_client()`."""

    def __init__(self):
        self.session = LoopbackSession()

    def get_client(self):
        return self.session


def environment(base, token_url):
    # Every host of the SDK's Environment points at the sandbox.
    root = base.rstrip("/") + "/"
    return Environment(
        base_uri=root,
        authorization_uri=token_url,
        files_uri=root,
        transfers_uri=root,
        balances_uri=root,
        forward_uri=root,
        identity_uri=root,
        is_sandbox=True,
    )


def secret_key_api(environment_, key, http):
    return (
        CheckoutSdk.builder()
        .secret_key(key)
        .environment(environment_)
        .use_legacy_domain()
        .http_client_builder(http)
        .build()
    )


def session_request(amount=1000, currency=Currency.GBP, reference="ORD-5023-4E89"):
    address = BillingAddress()
    address.address_line1 = "123 High St."
    address.city = "London"
    address.zip = "SW1A 1AA"
    address.country = "GB"
    billing = SessionBilling()
    billing.address = address
    request = PaymentSessionsRequest()
    if amount is not None:
        request.amount = amount
    request.currency = currency
    request.reference = reference
    request.billing = billing
    request.payment_type = PaymentType.REGULAR
    request.success_url = "https://example.com/payments/success"
    request.failure_url = "https://example.com/payments/failure"
    request.processing_channel_id = "pc_ovo75iz4hdyudnx6tu74mum3fq"
    three_ds = ThreeDsRequest()
    three_ds.enabled = True
    request.three_ds = three_ds
    return request


def submit_request(amount, session_data="{SESSION_DATA_FROM_FLOW}"):
    request = SubmitPaymentSessionRequest()
    if session_data is not None:
        request.session_data = session_data
    request.amount = amount
    request.reference = "ORD-5023-4E89"
    request.ip_address = "203.0.113.7"
    return request


def api_error(what, call):
    try:
        answer = call()
    except CheckoutApiException as err:
        return err
    raise Failure(f"{what}: expected an error, the call answered {vars(answer)}")


def status(response):
    return response.http_metadata.status_code


def created_session(what, api, request=None):
    session = api.payment_sessions.create_payment_sessions(request or session_request())
    check(
        f"{what}: 201 Created",
        status(session) == 201,
        f"status {status(session)}",
    )
    return session


def run():
    base = env("CHECKOUT_ENVIRONMENT")
    key = env("CHECKOUT_SECRET_KEY")
    client_id = env("CHECKOUT_CLIENT_ID")
    client_secret = env("CHECKOUT_CLIENT_SECRET")
    token_url = env("CHECKOUT_TOKEN_URL")
    for name, value in (("CHECKOUT_ENVIRONMENT", base), ("CHECKOUT_TOKEN_URL", token_url)):
        host = urlsplit(value).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise Failure(f"{name}={value} is not on loopback")
    where = environment(base, token_url)

    # --- credentials' shapes, as the SDK and its docs give them
    check(
        "the sandbox's secret key passes the SDK's own key pattern",
        SECRET_KEY.match(key),
        masked(key),
    )
    try:
        CheckoutSdk.builder().secret_key("sk_sbox_not-a-key").environment(
            where
        ).use_legacy_domain().build()
        raise Failure("the SDK built a client with a malformed secret key")
    except CheckoutArgumentException as err:
        check(
            "a malformed secret key is refused by the SDK before any request",
            "invalid secret key" in str(err),
            str(err),
        )
    check(
        "the OAuth client id is an access key id: ack_ (as the SDKs document), 26 base32",
        CLIENT_ID.match(client_id),
        client_id,
    )

    http = LoopbackClientBuilder()
    api = secret_key_api(where, key, http)

    # --- create
    session = created_session("create a payment session (secret key)", api)
    check("the session id is ps_ and letters or digits", SESSION_ID.match(session.id), session.id)
    check(
        "payment_session_secret is pss_ and a UUID",
        SESSION_SECRET.match(getattr(session, "payment_session_secret", "")),
        repr(getattr(session, "payment_session_secret", None)),
    )
    check(
        "payment_session_token is present",
        isinstance(getattr(session, "payment_session_token", None), str)
        and len(session.payment_session_token) > 8,
        repr(getattr(session, "payment_session_token", None)),
    )
    check(
        "_links.self names the session on the sandbox",
        session._links.self.href == f"{base.rstrip('/')}/payment-sessions/{session.id}",
        session._links.self.href,
    )
    method, url, headers, _ = http.session.sent[-1]
    check(
        "the SDK sent POST /payment-sessions with Authorization: Bearer <secret key>",
        method == "POST"
        and urlsplit(url).path == "/payment-sessions"
        and headers.get("Authorization") == f"Bearer {key}",
        f"{method} {url} {masked(headers.get('Authorization'))}",
    )

    # --- read it back through the SDK's generic client (it has no call for it)
    client = api.payment_sessions
    read = client._api_client.get(
        f"payment-sessions/{session.id}", client._sdk_authorization()
    )
    check(
        "GET /payment-sessions/{id}: 200, Active, the amount, currency and reference sent",
        status(read) == 200
        and read.id == session.id
        and read.status == "Active"
        and read.amount == 1000
        and read.currency == "GBP"
        and read.reference == "ORD-5023-4E89",
        str(vars(read)),
    )

    err = api_error(
        "GET an unknown session",
        lambda: client._api_client.get(
            "payment-sessions/ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn", client._sdk_authorization()
        ),
    )
    check(
        "GET an unknown session: 404",
        err.http_metadata.status_code == 404,
        str(err.http_metadata.status_code),
    )

    # --- submit: approved
    paid = api.payment_sessions.submit_payment_session(session.id, submit_request(1000))
    check(
        "submit 1000: 201 Approved, type card",
        status(paid) == 201 and paid.status == "Approved" and paid.type == "card",
        f"status {status(paid)} {vars(paid)}",
    )
    check("the payment id is pay_ and 26 base32", PAYMENT_ID.match(paid.id), paid.id)
    read = client._api_client.get(
        f"payment-sessions/{session.id}", client._sdk_authorization()
    )
    check(
        "the session now names that payment",
        getattr(read, "payment_id", None) == paid.id,
        str(vars(read)),
    )

    # --- submit: 3DS
    session = created_session("create a session for 3DS", api)
    challenged = api.payment_sessions.submit_payment_session(session.id, submit_request(1050))
    action = getattr(challenged, "action", None)
    check(
        "submit 1050: 202 Action Required with a 3DS redirect URL",
        status(challenged) == 202
        and challenged.status == "Action Required"
        and action is not None
        and action.type == "3ds"
        and urlsplit(action.url).scheme in ("http", "https")
        and urlsplit(action.url).netloc,
        f"status {status(challenged)} {vars(challenged)}",
    )
    check(
        "the 3DS payment id is pay_ and 26 base32",
        PAYMENT_ID.match(challenged.id),
        challenged.id,
    )

    # --- submit: declined
    session = created_session("create a session to decline", api)
    declined = api.payment_sessions.submit_payment_session(session.id, submit_request(1005))
    check(
        "submit 1005: 201 Declined",
        status(declined) == 201 and declined.status == "Declined",
        f"status {status(declined)} {vars(declined)}",
    )

    # --- complete: a session and its payment in one call
    complete = PaymentSessionWithPaymentRequest()
    for name, value in vars(session_request()).items():
        setattr(complete, name, value)
    complete.session_data = "{SESSION_DATA_FROM_FLOW}"
    done = api.payment_sessions.create_payment_session_with_payment(complete)
    check(
        "complete (create with payment) 1000: 201 Approved, a new ps_ id and pss_ secret",
        status(done) == 201
        and done.status == "Approved"
        and PAYMENT_ID.match(done.id)
        and SESSION_ID.match(getattr(done, "payment_session_id", ""))
        and SESSION_SECRET.match(getattr(done, "payment_session_secret", "")),
        f"status {status(done)} {vars(done)}",
    )
    complete.amount = 1050
    done = api.payment_sessions.create_payment_session_with_payment(complete)
    check(
        "complete 1050: 202 with a 3DS redirect URL",
        status(done) == 202
        and getattr(done, "action", None) is not None
        and done.action.type == "3ds"
        and urlsplit(done.action.url).scheme in ("http", "https"),
        f"status {status(done)} {vars(done)}",
    )

    # --- 422 request_invalid, as the SDK surfaces them
    err = api_error(
        "create without an amount",
        lambda: api.payment_sessions.create_payment_sessions(session_request(amount=None)),
    )
    check(
        "create without an amount: 422 request_invalid [amount_required]",
        err.http_metadata.status_code == 422
        and err.error_type == "request_invalid"
        and "amount_required" in (err.error_details or [])
        and err.request_id,
        f"{err.http_metadata.status_code} {err.error_type} {err.error_details}",
    )
    err = api_error(
        "create with currency 'gbp'",
        lambda: api.payment_sessions.create_payment_sessions(session_request(currency="gbp")),
    )
    check(
        "create with currency 'gbp': 422 request_invalid [currency_invalid]",
        err.http_metadata.status_code == 422
        and err.error_type == "request_invalid"
        and err.error_details == ["currency_invalid"],
        f"{err.http_metadata.status_code} {err.error_type} {err.error_details}",
    )
    err = api_error(
        "create with a 51-character reference",
        lambda: api.payment_sessions.create_payment_sessions(session_request(reference="R" * 51)),
    )
    check(
        "create with a 51-character reference: 422 [reference_invalid]",
        err.http_metadata.status_code == 422 and err.error_details == ["reference_invalid"],
        f"{err.http_metadata.status_code} {err.error_details}",
    )
    session = created_session("create a session to submit badly", api)
    err = api_error(
        "submit without session_data",
        lambda: api.payment_sessions.submit_payment_session(
            session.id, submit_request(1000, session_data=None)
        ),
    )
    check(
        "submit without session_data: 422 request_invalid [session_data_required]",
        err.http_metadata.status_code == 422
        and err.error_type == "request_invalid"
        and err.error_details == ["session_data_required"],
        f"{err.http_metadata.status_code} {err.error_type} {err.error_details}",
    )

    # --- a wrong (well-shaped) secret key
    wrong = "sk_sbox_" + "a" * 26 + "q"
    if wrong == key:
        raise Failure("the wrong key is the sandbox key")
    other = secret_key_api(where, wrong, LoopbackClientBuilder())
    err = api_error(
        "create with a wrong secret key",
        lambda: other.payment_sessions.create_payment_sessions(session_request()),
    )
    check(
        "a wrong secret key: 401, with a cko-request-id",
        err.http_metadata.status_code == 401 and err.request_id,
        f"{err.http_metadata.status_code} {err.request_id!r}",
    )

    # --- OAuth client credentials
    oauth_http = LoopbackClientBuilder()
    oauth = (
        CheckoutSdk.builder()
        .oauth()
        .client_credentials(client_id, client_secret)
        .authorization_uri(token_url)
        .scopes([OAuthScopes.PAYMENT_SESSIONS])
        .environment(where)
        .use_legacy_domain()
        .http_client_builder(oauth_http)
        .build()
    )
    sent = oauth_http.session.sent
    check(
        "OAuth: the SDK fetched a token from the sandbox's /connect/token",
        len(sent) == 1
        and sent[0][0] == "POST"
        and sent[0][1] == token_url
        and sent[0][3].status_code == 200,
        str([(m, u, r.status_code) for m, u, _, r in sent]),
    )
    token = sent[0][3].json()
    check(
        "OAuth: the token answer is Bearer with expires_in in seconds",
        token.get("token_type") == "Bearer"
        and isinstance(token.get("expires_in"), int)
        and token["expires_in"] > 60
        and token.get("access_token"),
        str({k: v for k, v in token.items() if k != "access_token"}),
    )
    try:
        oauth.payment_sessions.create_payment_sessions(session_request())
        raise Failure("the SDK sent a payment session request under OAuth")
    except CheckoutAuthorizationException as err:
        check(
            "OAuth: the SDK's payment_sessions client itself insists on a secret key",
            "SECRET_KEY" in str(err),
            str(err),
        )
    # Its generic client takes the OAuth token (as the SDK's other
    # SECRET_KEY_OR_OAUTH clients do).
    generic = oauth.payment_sessions._api_client
    bearer = oauth.payment_sessions._sdk_authorization(AuthorizationType.SECRET_KEY_OR_OAUTH)
    made = generic.post("payment-sessions", bearer, session_request())
    method, url, headers, _ = sent[-1]
    check(
        "OAuth: POST /payment-sessions with the fetched token: 201, ps_ id",
        status(made) == 201
        and SESSION_ID.match(made.id)
        and headers.get("Authorization") == f"Bearer {token['access_token']}",
        f"status {status(made)} {masked(headers.get('Authorization'))}",
    )
    paid = generic.post(f"payment-sessions/{made.id}/submit", bearer, submit_request(1000))
    check(
        "OAuth: submit 1000 with the token: 201 Approved",
        status(paid) == 201 and paid.status == "Approved",
        f"status {status(paid)} {vars(paid)}",
    )
    check(
        "OAuth: one token served every call (it lives an hour)",
        sum(1 for m, u, _, _ in sent if u == token_url) == 1,
        str([u for _, u, _, _ in sent]),
    )
    try:
        (
            CheckoutSdk.builder()
            .oauth()
            .client_credentials(client_id, client_secret + "-wrong")
            .authorization_uri(token_url)
            .scopes([OAuthScopes.PAYMENT_SESSIONS])
            .environment(where)
            .use_legacy_domain()
            .http_client_builder(LoopbackClientBuilder())
            .build()
        )
        raise Failure("the sandbox issued a token for a wrong client secret")
    except CheckoutAuthorizationException as err:
        check(
            "OAuth: a wrong client secret is refused (invalid_client)",
            "invalid_client" in str(err),
            str(err),
        )


def main():
    try:
        run()
    except Failure as failure:
        print(f"not ok - {failure}", file=sys.stderr)
        return 1
    except CheckoutApiException as err:
        print(
            "not ok - unexpected API error: "
            f"{err.http_metadata.status_code} {err.error_type} {err.error_details}",
            file=sys.stderr,
        )
        return 1
    except Exception as err:  # an SDK or transport failure, named as such
        cause = f" ({type(err.__cause__).__name__}: {err.__cause__})" if err.__cause__ else ""
        print(f"not ok - {type(err).__name__}: {err}{cause}", file=sys.stderr)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
