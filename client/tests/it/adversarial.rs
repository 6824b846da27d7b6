//! The adversarial suite: payclient against hostile or broken servers and
//! careless callers, on loopback. One test (at least) per class of attack
//! that once got through, asserting the safe behaviour, and the attacks that
//! always held, so that they keep holding:
//!
//! 1. redirects are never followed (credentials, signed bodies, card data
//!    and MLE bodies stay where they were sent);
//! 2. a value that goes into a URL path stays in its segment;
//! 3. mandate quantities cannot be bypassed with `"0"` or missing quantities;
//! 4. every body is read under a limit, whatever its size or framing;
//! 5. hostile numbers in headers and bodies never panic;
//! 6. webhook secrets and signatures have their proper form;
//! 7. key fetches cannot be amplified or stalled by forged tokens;
//! 8. `Debug` never prints a member the vendor adds later;
//! 9. a request that cannot be signed or encrypted is never sent;
//! 10. `nbf`, a key answered under another `kid`, an empty OAuth token;
//! 11. what held before: no state-changing call sent twice, timeouts,
//!     bounded `Retry-After`, the Flex token checks, one fetch per kid, no
//!     secret in traces.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::hostile::{Answer, Hostile};
use crate::support::{JwtSigner, TestCertificate, certificate, encryption_key};
use payclient::RetryPolicy;
use payclient::checkout::raw::types as checkout_types;
use payclient::checkout::{
    CheckoutClient, CheckoutConfig, CheckoutCredentials, CheckoutEnvironment, SubmitOutcome,
    verify_webhook,
};
use payclient::cybersource::{Authentication, CybersourceClient, Environment};
use payclient::flex::{
    CaptureContext, CardNumber, FlexClient, FlexOptions, PaymentData, SecurityCode,
};
use payclient::intelligent_commerce::types::{
    ConfirmTransactionEventsRequest as TransactionConfirmation, EnrollCardRequest as EnrollCard,
    InitiatePurchaseIntentRequest as PurchaseIntent,
    RetrievePaymentCredentialsRequest as CredentialsRequest,
};
use payclient::intelligent_commerce::{Instruction, IntelligentCommerceClient};
use payclient::passkey::{
    AuthenticationRequest, IframeOutput, PasskeyClient, amount_numeric, encoded_merchant,
};
use payclient::{Error, MandateLimit, request_from_json};
use secrecy::SecretString;
use serde_json::{Value, json};

const TOKEN: &str = "7010000000016241111";
const SECRET_KEY: &str = "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e";
const CLIENT_SECRET: &str = "oauth-client-secret";
const SESSION_DATA: &str = "sd-secret-value";
const PAN: &str = "4111111111111111";
const ICC_SPEC: &str = include_str!("../../../specs/cybersource-intelligent-commerce.yaml");
/// 2025-06-15: before every `effectiveUntilTime` in the guide's examples.
const T0: u64 = 1_750_000_000;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn cybersource(url: &str, auth: Authentication) -> CybersourceClient {
    CybersourceClient::new(crate::support::builder(url, auth).build().expect("config"))
}

fn passkey(url: &str, auth: Authentication) -> PasskeyClient {
    PasskeyClient::new(cybersource(url, auth))
}

fn authentication_request() -> AuthenticationRequest {
    let iframe: IframeOutput = serde_json::from_value(json!({
        "platformType": "WEB",
        "browserData": {"browserHeader": "Mozilla/5.0", "browserLanguage": "en-US", "browserJavaEnabled": false, "browserJavascriptEnabled": true, "browserColorDepth": "24", "browserScreenHeight": "1080", "browserScreenWidth": "1920", "browserTimeZone": "-480", "ipAddress": "127.0.0.1", "userAgent": "Mozilla/5.0"},
        "sessionContext": {"secureToken": "secure-token-value"}
    }))
    .expect("iframe output");
    AuthenticationRequest {
        secure_token: iframe.secure_token().expect("secure token"),
        authenticator_render_method: "IFRAME".to_owned(),
        amount: amount_numeric("17.95", "EUR").expect("amount"),
        merchant: encoded_merchant("Merchant", "https://www.merchant.example").expect("merchant"),
        device: iframe.browser_device().build().expect("device"),
    }
}

fn checkout_with(base_url: &str, token_url: Option<String>, retry: RetryPolicy) -> CheckoutClient {
    let credentials = match token_url {
        None => CheckoutCredentials::SecretKey(SecretString::from(SECRET_KEY)),
        Some(_) => CheckoutCredentials::OAuth {
            client_id: "cli_abcd1234efgh".into(),
            client_secret: SecretString::from(CLIENT_SECRET),
        },
    };
    let config = CheckoutConfig::builder()
        .environment(CheckoutEnvironment::Custom {
            base_url: base_url.to_owned(),
            token_url,
        })
        .credentials(credentials)
        .retry(retry)
        .build()
        .expect("config");
    CheckoutClient::new(config).expect("client")
}

fn checkout(base_url: &str) -> CheckoutClient {
    checkout_with(base_url, None, quick_retries())
}

fn create_request() -> checkout_types::CreatePaymentSessionRequest {
    request_from_json(json!({
        "amount": 1000, "currency": "GBP", "billing": {"address": {"country": "GB"}},
        "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed",
        "processing_channel_id": "pc_ovo75iz4hdyudnx6tu74mum3fq"
    }))
    .expect("create request")
}

fn submit_request() -> checkout_types::SubmitPaymentSessionRequest {
    request_from_json(json!({"session_data": SESSION_DATA, "amount": 1000})).expect("submit")
}

const SESSION: &str = "ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn";

/// The MLE certificate (made once: RSA key generation is slow).
fn mle() -> &'static TestCertificate {
    static MLE: std::sync::OnceLock<TestCertificate> = std::sync::OnceLock::new();
    MLE.get_or_init(|| certificate("SJC-MLE-ADVERSARIAL"))
}

/// A Cybersource client with the MLE certificate.
fn cybersource_with_mle(url: &str) -> CybersourceClient {
    let config = crate::support::builder(url, Authentication::JwtSharedSecret)
        .mle_certificate(mle().pem.clone().into_bytes())
        .build()
        .expect("config");
    CybersourceClient::new(config)
}

/// An Intelligent Commerce client with MLE, on a fixed clock.
fn icc(url: &str) -> IntelligentCommerceClient {
    IntelligentCommerceClient::with_clock(
        cybersource_with_mle(url),
        Arc::new(|| UNIX_EPOCH + Duration::from_secs(T0)),
    )
}

fn icc_example(path: &str, verb: &str) -> Value {
    crate::support::request_example(ICC_SPEC, path, verb)
}

fn enroll() -> EnrollCard {
    request_from_json(icc_example("/tokens", "post")).expect("enroll")
}

fn intent_with(edit: impl FnOnce(&mut Value)) -> PurchaseIntent {
    let mut value = icc_example("/instructions", "post");
    edit(&mut value);
    request_from_json(value).expect("intent")
}

fn credentials_with(edit: impl FnOnce(&mut Value)) -> CredentialsRequest {
    let mut value = icc_example("/instructions/{instructionId}/credentials", "post");
    edit(&mut value);
    request_from_json(value).expect("credentials")
}

fn confirmation() -> TransactionConfirmation {
    request_from_json(icc_example(
        "/instructions/{instructionId}/confirmations",
        "post",
    ))
    .expect("confirmation")
}

/// A Flex client whose key endpoint and token origin are `url`.
fn flex_on(url: &str, options: FlexOptions) -> FlexClient {
    FlexClient::with_options(
        cybersource(url, Authentication::HttpSignature),
        FlexOptions {
            allowed_origins: Some(vec![url.to_owned()]),
            ..options
        },
    )
}

fn capture_claims(origin: &str, encryption_jwk: &Value) -> Value {
    json!({
        "flx": {"path": "/flex/v2/tokens", "data": "opaque", "origin": origin, "jwk": encryption_jwk},
        "ctx": [{"data": {"requiredFields": ["paymentInformation.card.number"], "optionalFields": ["paymentInformation.card.securityCode"]}, "type": "api-0.1.0"}],
        "iss": "Flex API", "exp": now() + 900, "iat": now(), "jti": "rOAksGcp8Bgg6WLj"
    })
}

fn transient(signer: &JwtSigner, jti: &str) -> String {
    signer.sign(&json!({"iss": "Flex/00", "exp": now() + 900, "iat": now(), "jti": jti}))
}

/// Answers `GET /flex/v2/public-keys/{kid}` with `jwk` and counts the fetches.
fn key_endpoint(
    jwk: Value,
    fetches: Arc<AtomicUsize>,
) -> impl Fn(&crate::hostile::Received) -> Answer {
    move |request| {
        if request.path.starts_with("/flex/v2/public-keys/") {
            fetches.fetch_add(1, Ordering::SeqCst);
            Answer::json(200, &jwk)
        } else {
            Answer::json(404, &json!({}))
        }
    }
}

// 1. Redirects ---------------------------------------------------------------

fn assert_redirect<T: std::fmt::Debug>(outcome: Result<T, Error>, status: u16, what: &str) {
    match outcome {
        Err(Error::Redirect(e)) => {
            assert_eq!(e.status, status, "{what}");
            assert_eq!(e.location_host.as_deref(), Some("localhost"), "{what}");
            assert!(e.to_string().contains("not followed"), "{what}: {e}");
        }
        other => panic!("{what}: expected a redirect error, got {other:?}"),
    }
}

#[tokio::test]
async fn redirects_are_never_followed_for_any_request() {
    let elsewhere = Hostile::start(|_| {
        Answer::json(200, &json!({"access_token": "stolen", "expires_in": 3600}))
    })
    .await;
    let location = format!("http://localhost:{}/collect", elsewhere.port);
    let signer = JwtSigner::new("k1");
    let (encryption_jwk, _) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    for status in [301, 302, 303, 307, 308] {
        let to = location.clone();
        let everything = Hostile::start(move |_| Answer::redirect(status, &to)).await;
        // The key is served; only the token post is redirected.
        let (to, jwk) = (location.clone(), signer.jwk());
        let token_endpoint = Hostile::start(move |request| {
            if request.path.starts_with("/flex/v2/public-keys/") {
                Answer::json(200, &jwk)
            } else {
                Answer::redirect(status, &to)
            }
        })
        .await;
        let url = everything.url.clone();

        for auth in [
            Authentication::JwtSharedSecret,
            Authentication::HttpSignature,
        ] {
            let outcome = passkey(&url, auth)
                .authentication_options(TOKEN, None, &authentication_request())
                .await;
            assert_redirect(outcome, status, "a signed Passkey call");
        }
        assert_redirect(
            checkout(&url)
                .create_payment_session(create_request())
                .await,
            status,
            "Checkout create with the secret key",
        );
        assert_redirect(
            checkout(&url)
                .submit_payment_session(SESSION, submit_request())
                .await,
            status,
            "Checkout submit with session_data",
        );
        let oauth = checkout_with(
            &token_endpoint.url,
            Some(format!("{url}/connect/token")),
            quick_retries(),
        );
        assert_redirect(
            oauth.get_payment_session(SESSION).await,
            status,
            "the OAuth token request with the client secret",
        );
        let agent = icc(&url);
        assert_redirect(agent.enroll_card(enroll()).await, status, "an MLE body");
        let flex = flex_on(&url, FlexOptions::default());
        assert_redirect(
            flex.validate_transient_token(&transient(&signer, "t"))
                .await,
            status,
            "the Flex key fetch",
        );
        let flex = flex_on(&token_endpoint.url, FlexOptions::default());
        let context = flex
            .validate_capture_context(
                &signer.sign(&capture_claims(&token_endpoint.url, &encryption_jwk)),
            )
            .await
            .expect("a valid capture context");
        let data = PaymentData::new()
            .card_number(CardNumber::new(PAN).expect("pan"))
            .security_code(SecurityCode::new("123").expect("cvv"));
        assert_redirect(
            flex.tokenize(&context, &data).await,
            status,
            "the Flex token post with the card JWE",
        );
        // Nothing was retried either: one request per call.
        assert_eq!(everything.count(), 7, "HTTP {status}");
    }
    assert_eq!(
        elsewhere.count(),
        0,
        "nothing ever reached the redirect's target"
    );
}

// 2. Ids in paths ---------------------------------------------------------------

const HOSTILE_IDS: &[&str] = &[
    "..",
    ".",
    "",
    "a/b",
    "../submit",
    "x\\..\\..\\..\\flex\\v2\\sessions",
    "a?b=c",
    "a#b",
    "%2e%2e",
    "a%2Fb",
    "a\nb",
    "a\u{0}b",
    "a b",
    "ps_..",
    "ps_a/../../x",
];

fn assert_field<T: std::fmt::Debug>(outcome: Result<T, Error>, field: &str, id: &str) {
    match outcome {
        Err(Error::Validation(e)) => {
            assert_eq!(e.field, field, "{id:?}");
            // The error names the rule, never the value.
            assert!(id.len() < 2 || !e.to_string().contains(id), "{e}");
        }
        other => panic!("{id:?}: expected a validation error naming `{field}`, got {other:?}"),
    }
}

#[tokio::test]
async fn ids_that_could_leave_their_path_segment_are_refused_before_sending() {
    let server = Hostile::start(|_| Answer::json(200, &json!({}))).await;
    let passkey = passkey(&server.url, Authentication::JwtSharedSecret);
    let checkout = checkout(&server.url);
    let too_long = "9".repeat(65);
    for id in HOSTILE_IDS.iter().copied().chain([too_long.as_str()]) {
        assert_field(
            passkey
                .authentication_options(id, None, &authentication_request())
                .await,
            "tokenId",
            id,
        );
        assert_field(checkout.get_payment_session(id).await, "id", id);
        assert_field(
            checkout.submit_payment_session(id, submit_request()).await,
            "id",
            id,
        );
    }

    // A stored instruction whose id was altered is refused on every follow-on call.
    let agent = icc(&server.url);
    for id in HOSTILE_IDS {
        let mut instruction: Instruction = serde_json::from_value(json!({
            "instructionId": id, "clientCorrelationId": "c", "state": "ACTIVE",
            "mandates": [{"mandateId": "d48ac10b-58cc-4372-a567-0e02b2c3d489", "declineThreshold": "10000.00", "currency": "USD", "effectiveUntil": 1_784_841_600, "quantity": null, "quantityUsed": 0}],
            "status": null, "pendingEvents": []
        }))
        .expect("instruction JSON");
        assert_field(
            agent
                .retrieve_payment_credentials(&mut instruction, credentials_with(|_| {}))
                .await,
            "instructionId",
            id,
        );
    }
    assert_eq!(server.count(), 0, "nothing was sent");

    // An id the server supplies is checked before it is kept.
    for id in HOSTILE_IDS {
        let answer = json!({"instructionId": id, "status": "ACTIVE"});
        let server = Hostile::start(move |_| Answer::json(200, &answer)).await;
        let agent = icc(&server.url);
        let outcome = agent.initiate_purchase_intent(intent_with(|_| {})).await;
        assert!(
            matches!(&outcome, Err(Error::Decode(e)) if e.reason.contains("instructionId")),
            "{id:?}: {outcome:?}"
        );
    }
}

// 3. Mandate quantities ------------------------------------------------------------

#[tokio::test]
async fn mandate_quantities_cannot_be_bypassed() {
    const ID: &str = "1-5C8B7367EC00c229ec8a";
    let server = Hostile::start(|request| {
        if request.path.ends_with("/credentials") {
            Answer::json(200, &json!({"status": "COMPLETED", "instructionId": ID}))
        } else {
            Answer::json(200, &json!({"instructionId": ID, "status": "ACTIVE"}))
        }
    })
    .await;
    let agent = icc(&server.url);
    // One item may be bought under this mandate.
    let mut instruction = agent
        .initiate_purchase_intent(intent_with(|v| v["mandates"][0]["quantity"] = json!("1")))
        .await
        .expect("initiated");
    // Each line's members sit in `items` (the vendor's lineItems[].items).
    let products = |lines: Value| {
        let lines: Vec<Value> = lines
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| json!({"items": line}))
            .collect();
        credentials_with(move |v| {
            v["transactionData"][0]["orderInformation"]["lineItems"] = Value::Array(lines)
        })
    };

    // Zero is refused by the guard rail, a sign by the type; both name the line.
    for bad in ["0", "00"] {
        let outcome = agent
            .retrieve_payment_credentials(&mut instruction, products(json!([{"quantity": bad}])))
            .await;
        assert_field(
            outcome,
            "transactionData[0].orderInformation.lineItems[0].items.quantity",
            bad,
        );
    }
    for bad in ["-1", "+1", "1.5"] {
        let mut value = icc_example("/instructions/{instructionId}/credentials", "post");
        value["transactionData"][0]["orderInformation"]["lineItems"] =
            json!([{"items": {"quantity": bad}}]);
        let refused = request_from_json::<CredentialsRequest>(value).expect_err(bad);
        assert_eq!(
            refused.field,
            "transactionData[0].orderInformation.lineItems[0].items.quantity"
        );
    }
    // A line without a quantity is one item, even beside a line that has one.
    let outcome = agent
        .retrieve_payment_credentials(
            &mut instruction,
            products(json!([{"productName": "a"}, {"quantity": "1"}])),
        )
        .await;
    assert!(
        matches!(&outcome, Err(Error::Mandate(v)) if v.limit == MandateLimit::Quantity { allowed: 1, used: 0, requested: 2 }),
        "{outcome:?}"
    );
    assert_eq!(server.count(), 1, "only the intent was sent");

    // One item goes through and is recorded as spent; the next is refused.
    agent
        .retrieve_payment_credentials(&mut instruction, products(json!([{"productName": "a"}])))
        .await
        .expect("one item");
    assert_eq!(instruction.mandates()[0].quantity_used, 1);
    let outcome = agent
        .retrieve_payment_credentials(&mut instruction, products(json!([{"quantity": "1"}])))
        .await;
    assert!(matches!(&outcome, Err(Error::Mandate(_))), "{outcome:?}");
    let outcome = agent
        .retrieve_payment_credentials(&mut instruction, products(json!([])))
        .await;
    assert!(
        matches!(&outcome, Err(Error::Mandate(_))),
        "a transaction that lists no product still buys one thing: {outcome:?}"
    );
    assert_eq!(server.count(), 2);
}

// 4. Body limits -------------------------------------------------------------------

/// Resident memory of this process, from `/proc/self/statm`.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Memory is measured one case at a time.
static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Offers `offered` bytes of body and checks that the client stopped at
/// `limit`: a typed error, little written before it hung up, little memory,
/// little time.
async fn offer<T: std::fmt::Debug, F: std::future::Future<Output = Result<T, Error>>>(
    what: &str,
    server: &Hostile,
    call: F,
    limit: u64,
) {
    let before = resident_bytes();
    let started = Instant::now();
    let outcome = call.await;
    let elapsed = started.elapsed();
    match &outcome {
        Err(Error::ResponseTooLarge(e)) => assert_eq!(e.limit, limit, "{what}"),
        other => panic!("{what}: expected the body to be refused, got {other:?}"),
    }
    // Give the server a moment to notice the closed connection.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let written = server.written();
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        written < 64 << 20,
        "{what}: the server wrote {written} bytes"
    );
    assert!(grown < 256 << 20, "{what}: memory grew by {grown} bytes");
    assert!(elapsed < Duration::from_secs(20), "{what}: {elapsed:?}");
}

#[tokio::test]
async fn bodies_are_read_only_up_to_their_limit() {
    let _one_at_a_time = MEMORY.lock().await;
    const OFFERED: u64 = 2 << 30;
    let stream = |status: u16, declared: bool| {
        Hostile::start(move |_| Answer::Stream {
            status,
            declared: declared.then_some(OFFERED),
            total: OFFERED,
        })
    };
    let defaults = payclient::ResponseLimits::default();
    for declared in [false, true] {
        let server = stream(200, declared).await;
        offer(
            "a typed success body",
            &server,
            passkey(&server.url, Authentication::JwtSharedSecret).authentication_options(
                TOKEN,
                None,
                &authentication_request(),
            ),
            defaults.success,
        )
        .await;
        let server = stream(200, declared).await;
        offer(
            "raw success bytes",
            &server,
            checkout(&server.url).get_payment_session(SESSION),
            defaults.success,
        )
        .await;
        let server = stream(400, declared).await;
        offer(
            "a documented error body",
            &server,
            checkout(&server.url).submit_payment_session(SESSION, submit_request()),
            defaults.error,
        )
        .await;
        let server = stream(418, declared).await;
        offer(
            "an undocumented status",
            &server,
            checkout(&server.url).submit_payment_session(SESSION, submit_request()),
            defaults.error,
        )
        .await;
        let server = stream(200, declared).await;
        let api = Hostile::start(|_| Answer::json(200, &json!({}))).await;
        offer(
            "the OAuth token answer",
            &server,
            checkout_with(
                &api.url,
                Some(format!("{}/connect/token", server.url)),
                quick_retries(),
            )
            .get_payment_session(SESSION),
            defaults.oauth_token,
        )
        .await;
        assert_eq!(api.count(), 0);
        let server = stream(200, declared).await;
        let signer = JwtSigner::new("k1");
        offer(
            "the Flex key answer",
            &server,
            flex_on(&server.url, FlexOptions::default())
                .validate_transient_token(&transient(&signer, "t")),
            16 << 10,
        )
        .await;
    }
    // A body that declares a length within the limit and then keeps
    // sending: no more than the declared bytes are read (the rest is not
    // taken as the answer), so the call fails on the truncated JSON.
    for status in [200, 400] {
        let server = Hostile::start(move |_| Answer::Stream {
            status,
            declared: Some(1000),
            total: OFFERED,
        })
        .await;
        let started = Instant::now();
        let outcome = checkout(&server.url).get_payment_session(SESSION).await;
        assert!(
            matches!(outcome, Err(Error::Decode(_) | Error::Api(_))),
            "{status}: {outcome:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            server.written() < 64 << 20,
            "{status}: the server wrote {} bytes",
            server.written()
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{status}");
    }
    // A configured limit is the one applied.
    let server = stream(200, false).await;
    let small = CheckoutClient::new(
        CheckoutConfig::builder()
            .environment(CheckoutEnvironment::Custom {
                base_url: server.url.clone(),
                token_url: None,
            })
            .credentials(CheckoutCredentials::SecretKey(SecretString::from(
                SECRET_KEY,
            )))
            .response_limits(defaults.with_success(100 << 10))
            .build()
            .expect("config"),
    )
    .expect("client");
    offer(
        "a configured limit",
        &server,
        small.get_payment_session(SESSION),
        100 << 10,
    )
    .await;
}

// 5. Hostile numbers -----------------------------------------------------------------

/// A client that gives up retrying after half a second.
fn patient_for(max_elapsed: Duration) -> RetryPolicy {
    quick_retries().with_max_elapsed(max_elapsed)
}

async fn after_a_429(retry_after: String) -> (Result<(), Error>, Duration, usize) {
    let server = Hostile::start(move |_| {
        Answer::Reply(
            429,
            vec![("retry-after".into(), retry_after.clone())],
            b"{}".to_vec(),
        )
    })
    .await;
    let client = checkout_with(&server.url, None, patient_for(Duration::from_millis(500)));
    let started = Instant::now();
    let outcome = client.get_payment_session(SESSION).await.map(|_| ());
    (outcome, started.elapsed(), server.count())
}

#[tokio::test]
async fn extreme_retry_after_values_are_bounded() {
    for value in [
        "18446744073709551615",
        "9223372036854775808",
        "3600",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "-1",
        "1e400",
    ] {
        let (outcome, elapsed, attempts) = after_a_429(value.to_owned()).await;
        assert!(
            matches!(&outcome, Err(Error::Api(api)) if api.status == 429),
            "{value}: {outcome:?}"
        );
        assert!(
            elapsed < Duration::from_secs(3),
            "{value}: waited {elapsed:?}"
        );
        assert!((1..=3).contains(&attempts), "{value}: {attempts} attempts");
    }
}

/// Property tests: any header or body number, never a panic.
mod numbers {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, .. Default::default() })]

        /// Any `Retry-After` text: an answer within the retry budget, never a panic.
        #[test]
        fn any_retry_after_is_survived(
            value in prop_oneof![
                any::<u64>().prop_map(|n| n.to_string()),
                "[ -~]{0,40}",
                any::<i64>().prop_map(|n| n.to_string()),
            ],
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let (outcome, elapsed, _) = runtime.block_on(after_a_429(value.clone()));
            prop_assert!(matches!(&outcome, Err(Error::Api(api)) if api.status == 429), "{:?}", outcome);
            prop_assert!(elapsed < Duration::from_secs(3), "{:?}", elapsed);
        }

        /// Any `expires_in` (numbers of any size, signs, floats, text): the
        /// token is used or refused, never a panic.
        #[test]
        fn any_oauth_expires_in_is_survived(
            expires_in in prop_oneof![
                any::<u64>().prop_map(|n| json!(n)),
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_map(|n| json!(n)),
                "[ -~]{0,12}".prop_map(|s| json!(s)),
                Just(json!(u64::MAX)),
                Just(json!(i64::MAX)),
            ],
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let outcome = runtime.block_on(async move {
                let server = Hostile::start(move |request| {
                    if request.path == "/connect/token" {
                        Answer::json(200, &json!({"access_token": "tok-1", "expires_in": expires_in.clone()}))
                    } else {
                        Answer::json(200, &json!({"id": SESSION, "_links": {}}))
                    }
                }).await;
                let client = checkout_with(&server.url, Some(format!("{}/connect/token", server.url)), quick_retries());
                let first = client.get_payment_session(SESSION).await.map(|_| ());
                let second = client.get_payment_session(SESSION).await.map(|_| ());
                (first, second)
            });
            // Used, or refused as an OAuth answer that is not a token.
            for result in [outcome.0, outcome.1] {
                prop_assert!(
                    matches!(&result, Ok(()))
                    || matches!(&result, Err(Error::Decode(e)) if e.operation == "oauth_token"),
                    "{:?}", result
                );
            }
        }
    }
}

// 6. Webhooks -------------------------------------------------------------------------

#[test]
fn webhook_secrets_and_signatures_must_have_their_form() {
    let body = br#"{"type":"payment_approved"}"#;
    let sign = |secret: &str| {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        aws_lc_rs::hmac::sign(&key, body)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    // An empty secret signs nothing an attacker could not sign too.
    let empty = verify_webhook(body, Some(&sign("")), &SecretString::from(""));
    assert!(matches!(empty, Err(Error::Configuration(_))), "{empty:?}");
    let secret = "whsec_0123456789abcdef";
    let good = sign(secret);
    assert!(verify_webhook(body, Some(&good), &SecretString::from(secret)).is_ok());
    for forged in [
        format!("+{}", &good[1..]),
        format!("{good}0"),
        good[..62].to_owned(),
        format!("-{}", &good[1..]),
    ] {
        let outcome = verify_webhook(body, Some(&forged), &SecretString::from(secret));
        assert!(matches!(outcome, Err(Error::Verification(_))), "{forged}");
    }
}

// 7. Key fetches ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_cannot_amplify_key_fetches() {
    let signer = JwtSigner::new("k1");
    let fetches = Arc::new(AtomicUsize::new(0));
    let server = Hostile::start(key_endpoint(signer.jwk(), fetches.clone())).await;
    let flex = flex_on(&server.url, FlexOptions::default());
    // 200 tokens naming kids the vendor does not have.
    let attacker = JwtSigner::new("unused");
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let flex = flex.clone();
            let token = attacker.sign_with_header(
                &json!({"kid": format!("unknown-{i}"), "alg": "RS256"}),
                &json!({"exp": now() + 900}),
            );
            tokio::spawn(async move { flex.validate_transient_token(&token).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("task").is_err());
    }
    let unknown = fetches.load(Ordering::SeqCst);
    assert!(unknown <= 10, "{unknown} fetches for unknown kids");

    // 200 forged tokens naming the real kid: at most the one fetch of the key.
    let server = Hostile::start(key_endpoint(signer.jwk(), fetches.clone())).await;
    fetches.store(0, Ordering::SeqCst);
    let flex = flex_on(&server.url, FlexOptions::default());
    flex.validate_transient_token(&transient(&signer, "real"))
        .await
        .expect("the real token");
    let forger = JwtSigner::new("k1");
    for i in 0..200 {
        let err = flex
            .validate_transient_token(&transient(&forger, &format!("f{i}")))
            .await
            .expect_err("forged");
        assert!(err.to_string().contains("does not verify"), "{err}");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_key_endpoint_stalls_validations_once_together() {
    let server = Hostile::start(|_| Answer::Stall).await;
    let config = crate::support::builder(&server.url, Authentication::HttpSignature)
        .request_timeout(Duration::from_millis(500))
        .retry(RetryPolicy::none())
        .build()
        .expect("config");
    let flex = FlexClient::with_options(
        CybersourceClient::new(config),
        FlexOptions {
            allowed_origins: Some(vec![server.url.clone()]),
            ..FlexOptions::default()
        },
    );
    let signer = JwtSigner::new("k1");
    let started = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (flex, token) = (flex.clone(), transient(&signer, &format!("t{i}")));
            tokio::spawn(async move { flex.validate_transient_token(&token).await })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.expect("task");
        assert!(matches!(&outcome, Err(Error::Transport(_))), "{outcome:?}");
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(server.count(), 1, "one fetch, shared");
}

// 8. Members the vendor adds ---------------------------------------------------------------

#[tokio::test]
async fn debug_shows_the_names_of_unknown_members_never_their_values() {
    let secret = json!({"pan": PAN, "cryptogram": "AAAAAAAAAA0000000000"});
    let added = secret.clone();
    let server = Hostile::start(move |request| {
        let path = request.path.as_str();
        let mut body = if path.ends_with("/authentication-options") {
            json!({"action": "AUTHENTICATE", "authenticationContext": {"id": "ctx", "vendorAdded": added.clone()}})
        } else if path.ends_with("/submit") {
            json!({"id": "pay_1", "status": "Approved", "type": "card"})
        } else if path.starts_with("/payment-sessions") {
            json!({"id": SESSION, "_links": {}})
        } else if path.ends_with("/confirmations") {
            json!({"clientCorrelationId": "c"})
        } else if path.ends_with("/credentials") {
            json!({"status": "COMPLETED", "instructionId": "1-ABC"})
        } else if path.ends_with("/instructions") {
            json!({"instructionId": "1-ABC", "status": "ACTIVE"})
        } else {
            json!({"status": "ACTIVE"})
        };
        body["vendorAdded"] = added.clone();
        let status = if path.ends_with("/submit") {
            201
        } else if path.ends_with("/confirmations") {
            202
        } else {
            200
        };
        Answer::json(status, &body)
    })
    .await;
    let mut texts = Vec::new();
    let session = passkey(&server.url, Authentication::JwtSharedSecret)
        .authentication_options(TOKEN, None, &authentication_request())
        .await
        .expect("session");
    texts.push(format!("{session:?}"));
    let checkout = checkout(&server.url);
    texts.push(format!(
        "{:?}",
        checkout.get_payment_session(SESSION).await.expect("reply")
    ));
    let outcome = checkout
        .submit_payment_session(SESSION, submit_request())
        .await
        .expect("submitted");
    assert!(matches!(outcome, SubmitOutcome::Processed(_)));
    texts.push(format!("{outcome:?}"));
    let agent = icc(&server.url);
    texts.push(format!(
        "{:?}",
        agent.enroll_card(enroll()).await.expect("enrolled")
    ));
    let mut instruction = agent
        .initiate_purchase_intent(intent_with(|_| {}))
        .await
        .expect("initiated");
    texts.push(format!(
        "{:?}",
        agent
            .retrieve_payment_credentials(&mut instruction, credentials_with(|_| {}))
            .await
            .expect("credentials")
    ));
    texts.push(format!(
        "{:?}",
        agent
            .confirm_transaction_events(&mut instruction, confirmation())
            .await
            .expect("confirmed")
    ));
    // The stored Passkey session keeps only the members it knows.
    assert!(!texts[0].contains(PAN) && !texts[0].contains("AAAAAAAAAA"));
    for text in &texts[1..] {
        assert!(text.contains("vendorAdded"), "the name is shown: {text}");
        assert!(
            !text.contains(PAN) && !text.contains("AAAAAAAAAA"),
            "a value leaked: {text}"
        );
    }
}

// 9. Signing and encryption fail closed --------------------------------------------------------

#[tokio::test]
async fn a_request_that_cannot_be_signed_or_encrypted_is_not_sent() {
    let server = Hostile::start(|_| Answer::json(200, &json!({}))).await;
    // Header-bound configuration is checked when it is built.
    for host in [
        "apitest.cybersource.com\r\nx-injected: 1",
        "apitest.cybersource.com/path",
        "user@apitest.cybersource.com",
        "a b",
        "",
    ] {
        let outcome = crate::support::builder(&server.url, Authentication::JwtSharedSecret)
            .environment(Environment::Custom {
                base_url: server.url.clone(),
                signing_host: host.to_owned(),
            })
            .build();
        assert!(
            matches!(
                &outcome,
                Err(payclient::ConfigError::Invalid {
                    field: "signing_host",
                    ..
                })
            ),
            "{host:?}: {outcome:?}"
        );
    }
    // A body whose bytes are not known (a stream) can be neither digested
    // for the signature nor encrypted: refused in the hook, before sending.
    let stream_body = || {
        reqwest::Body::wrap_stream(futures::stream::iter([Ok::<_, std::io::Error>(
            bytes::Bytes::from_static(b"{\"a\":1}"),
        )]))
    };
    let client = cybersource_with_mle(&server.url);
    for (operation, path) in [
        (
            &payclient::passkey::operations::CREATE_AUTHENTICATION_OPTIONS,
            format!("/tms/v2/tokenized-cards/{TOKEN}/authentication-options"),
        ),
        (
            &payclient::intelligent_commerce::operations::ENROLL_CARD,
            "/tokens".to_owned(),
        ),
    ] {
        let id = operation.id;
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", server.url))
            .body(stream_body())
            .build()
            .expect("request");
        let refused = client
            .hooks()
            .prepare(operation, &server.url, &mut request)
            .expect_err("a stream body is refused");
        assert!(
            refused.message().contains("stream"),
            "{id}: {}",
            refused.message()
        );
        assert!(
            request.headers().get("authorization").is_none(),
            "{id}: unsigned and unsent"
        );
    }
    assert_eq!(server.count(), 0);
}

// 10. nbf, a key under another kid, an empty OAuth token ----------------------------------------

#[tokio::test]
async fn tokens_not_yet_valid_keys_under_another_kid_and_empty_tokens_are_refused() {
    let signer = JwtSigner::new("k1");
    let fetches = Arc::new(AtomicUsize::new(0));
    let server = Hostile::start(key_endpoint(signer.jwk(), fetches.clone())).await;
    let flex = flex_on(&server.url, FlexOptions::default());
    let early = signer.sign(&json!({"exp": now() + 900, "nbf": now() + 3600}));
    let err = flex
        .validate_transient_token(&early)
        .await
        .expect_err("nbf");
    assert!(err.to_string().contains("not valid yet"), "{err}");

    // The endpoint answers k1's key when asked for k2.
    let mut jwk = signer.jwk();
    jwk["kid"] = json!("k1");
    let server = Hostile::start(key_endpoint(jwk, fetches.clone())).await;
    let flex = flex_on(&server.url, FlexOptions::default());
    let other = signer.sign_with_header(
        &json!({"kid": "k2", "alg": "RS256"}),
        &json!({"exp": now() + 900}),
    );
    let err = flex
        .validate_transient_token(&other)
        .await
        .expect_err("kid mismatch");
    assert!(err.to_string().contains("another kid"), "{err}");

    for empty in ["", "   "] {
        let server = Hostile::start(move |request| {
            if request.path == "/connect/token" {
                Answer::json(200, &json!({"access_token": empty, "expires_in": 3600}))
            } else {
                Answer::json(200, &json!({"id": SESSION}))
            }
        })
        .await;
        let client = checkout_with(
            &server.url,
            Some(format!("{}/connect/token", server.url)),
            quick_retries(),
        );
        let outcome = client.get_payment_session(SESSION).await;
        assert!(
            matches!(&outcome, Err(Error::Decode(e)) if e.reason.contains("empty")),
            "{outcome:?}"
        );
        assert_eq!(server.count(), 1, "only the token request");
    }
}

// 11. What held before ------------------------------------------------------------------------

#[tokio::test]
async fn state_changing_calls_are_never_sent_twice() {
    for (what, status) in [
        ("500", Some(500)),
        ("502", Some(502)),
        ("503", Some(503)),
        ("504", Some(504)),
        ("a closed connection", None),
    ] {
        let server = Hostile::start(move |_| match status {
            Some(status) => Answer::json(status, &json!({})),
            None => Answer::Close,
        })
        .await;
        let checkout = checkout(&server.url);
        assert!(
            checkout
                .submit_payment_session(SESSION, submit_request())
                .await
                .is_err()
        );
        assert!(
            checkout
                .create_payment_session(create_request())
                .await
                .is_err()
        );
        let agent = icc(&server.url);
        assert!(agent.enroll_card(enroll()).await.is_err());
        assert_eq!(server.count(), 3, "{what}: each call sent once");
        // A read is safe to repeat, and is repeated.
        assert!(checkout.get_payment_session(SESSION).await.is_err());
        assert_eq!(server.count(), 6, "{what}: the read was tried three times");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Hostile::start(|_| Answer::Stall).await;
    let client = CheckoutClient::new(
        CheckoutConfig::builder()
            .environment(CheckoutEnvironment::Custom {
                base_url: server.url.clone(),
                token_url: None,
            })
            .credentials(CheckoutCredentials::SecretKey(SecretString::from(
                SECRET_KEY,
            )))
            .request_timeout(Duration::from_millis(300))
            .build()
            .expect("config"),
    )
    .expect("client");
    let started = Instant::now();
    let outcome = client
        .submit_payment_session(SESSION, submit_request())
        .await;
    assert!(
        matches!(&outcome, Err(Error::Transport(e)) if e.kind == payclient::TransportErrorKind::Timeout),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        server.count(),
        1,
        "a submission is not retried after a timeout"
    );
}

#[tokio::test]
async fn flex_tokens_that_trick_the_checks_are_refused() {
    let signer = JwtSigner::new("k1");
    let fetches = Arc::new(AtomicUsize::new(0));
    let server = Hostile::start(key_endpoint(signer.jwk(), fetches.clone())).await;
    let flex = flex_on(&server.url, FlexOptions::default());
    let attacker = JwtSigner::new("k1");
    let claims = json!({"exp": now() + 900});
    let b64 = |v: &Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.to_string(),
        )
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"kid": "k1", "alg": "none"})),
                b64(&claims)
            ),
        ),
        (
            "HS256",
            attacker.sign_with_header(&json!({"kid": "k1", "alg": "HS256"}), &claims),
        ),
        (
            "an embedded jwk",
            attacker.sign_with_header(
                &json!({"kid": "k1", "alg": "RS256", "jwk": attacker.jwk()}),
                &claims,
            ),
        ),
        (
            "a jku",
            attacker.sign_with_header(
                &json!({"kid": "k1", "alg": "RS256", "jku": format!("{}/evil", server.url)}),
                &claims,
            ),
        ),
        (
            "an x5u",
            attacker.sign_with_header(
                &json!({"kid": "k1", "alg": "RS256", "x5u": "https://evil.example/c"}),
                &claims,
            ),
        ),
        (
            "an x5c",
            attacker.sign_with_header(
                &json!({"kid": "k1", "alg": "RS256", "x5c": ["MIIB"]}),
                &claims,
            ),
        ),
        (
            "alg given twice",
            signer.sign_with_raw_header(r#"{"kid":"k1","alg":"none","alg":"RS256"}"#, &claims),
        ),
        (
            "crit",
            signer.sign_with_header(
                &json!({"kid": "k1", "alg": "RS256", "crit": ["exp"]}),
                &claims,
            ),
        ),
        (
            "a kid that leaves its path",
            signer.sign_with_header(&json!({"kid": "../../sessions", "alg": "RS256"}), &claims),
        ),
        ("expired", signer.sign(&json!({"exp": now() - 3600}))),
        (
            "too large",
            format!(
                "{}.{}.x",
                b64(&json!({"kid": "k1", "alg": "RS256"})),
                "A".repeat(70_000)
            ),
        ),
    ];
    for (what, token) in cases {
        assert!(
            flex.validate_transient_token(&token).await.is_err(),
            "{what} was accepted"
        );
    }
    // Only k1's key was ever asked for, and only by the forged RS256 tokens.
    assert!(
        server
            .received()
            .iter()
            .all(|r| r.method == "GET" && r.path == "/flex/v2/public-keys/k1")
    );

    // A capture context that names a foreign origin, and a weak key.
    let (encryption_jwk, _) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    let foreign = signer.sign(&capture_claims("https://evil.example", &encryption_jwk));
    let outcome: Result<CaptureContext, Error> = flex.validate_capture_context(&foreign).await;
    assert!(outcome.is_err(), "a foreign origin was accepted");
    // A 1024-bit modulus (aws-lc-rs makes no such keys; the check reads only its size).
    let mut modulus = vec![0xC5u8; 128];
    modulus[127] |= 1;
    let weak_jwk = json!({"kty": "RSA", "e": "AQAB", "use": "enc", "kid": "enc-1",
        "n": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &modulus)});
    let weak = signer.sign(&capture_claims(&server.url, &weak_jwk));
    assert!(
        flex.validate_capture_context(&weak).await.is_err(),
        "a 1024-bit flx.jwk was accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_validations_of_one_kid_make_one_fetch() {
    let signer = JwtSigner::new("k1");
    let fetches = Arc::new(AtomicUsize::new(0));
    let server = Hostile::start(key_endpoint(signer.jwk(), fetches.clone())).await;
    let flex = flex_on(&server.url, FlexOptions::default());
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (flex, token) = (flex.clone(), transient(&signer, &format!("t{i}")));
            tokio::spawn(async move { flex.validate_transient_token(&token).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("valid");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn hostile_answers_leave_no_secret_in_traces_or_errors() {
    let captured = crate::redaction::Buffer::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Every answer echoes what it was sent, and redirects.
    let server = Hostile::start(|request| {
        let echo = format!(
            "{{\"echo\":{:?},\"auth\":{:?}}}",
            String::from_utf8_lossy(&request.body),
            request.header("authorization").unwrap_or_default()
        );
        match request.path.as_str() {
            "/connect/token" => Answer::text(400, "application/json", &echo),
            p if p.ends_with("/submit") => Answer::text(422, "application/json", &echo),
            _ => Answer::redirect(307, "http://localhost:9/steal"),
        }
    })
    .await;
    let mut texts = Vec::new();
    let err = checkout(&server.url)
        .submit_payment_session(SESSION, submit_request())
        .await
        .expect_err("422");
    texts.push(format!("{err} {err:?}"));
    let err = checkout_with(
        &server.url,
        Some(format!("{}/connect/token", server.url)),
        quick_retries(),
    )
    .get_payment_session(SESSION)
    .await
    .expect_err("token refused");
    texts.push(format!("{err} {err:?}"));
    let err = passkey(&server.url, Authentication::JwtSharedSecret)
        .authentication_options(TOKEN, None, &authentication_request())
        .await
        .expect_err("redirect");
    texts.push(format!("{err} {err:?}"));
    texts.push(String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned());
    for text in &texts {
        for secret in [
            SECRET_KEY,
            CLIENT_SECRET,
            SESSION_DATA,
            crate::support::SECRET_B64,
            "secure-token-value",
            "Bearer ey",
        ] {
            assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
        }
    }
}
