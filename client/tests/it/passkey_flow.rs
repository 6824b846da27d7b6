//! The Passkey Service against wiremock: every branch of the guide's
//! workflow with the request bodies asserted against the guide's examples
//! (read from the spec), a wrong OTP, an unknown action, the session through
//! JSON mid-flow, every refusal (nothing sent), and the iframe mapping table
//! row by row in both directions.

use std::net::IpAddr;

use crate::support::{check_hs256_jwt, client};
use payclient::Sensitive;
use payclient::cybersource::Authentication;
use payclient::passkey::raw::types::StepUpOptionMethod as StepUpMethod;
use payclient::passkey::{
    AuthenticationRequest, BrowserDevice, CredentialsRequest, IFRAME_FIELD_MAPPING, IframeInput,
    IframeOutput, PasskeyClient, PasskeySession, PasskeyStep, Registrant, StepUpProof,
    amount_alphabetic, amount_numeric, encoded_merchant, plain_merchant,
};
use payclient::{Error, request_from_json};
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderValue, USER_AGENT};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = include_str!("../../../specs/cybersource-passkey.yaml");
const TOKEN: &str = "7010000000016241111";
const OPTIONS: &str = "/tms/v2/tokenized-cards/7010000000016241111/authentication-options";
const OTP: &str =
    "/tms/v2/tokenized-cards/7010000000016241111/authentication-options/one-time-passwords";
const VALIDATE: &str =
    "/tms/v2/tokenized-cards/7010000000016241111/authentication-options/validate";
const REGISTRATIONS: &str =
    "/tms/v2/tokenized-cards/7010000000016241111/authentication-registrations";
const CREDENTIALS: &str = "/tms/v2/tokens/7010000000016241111/payment-credentials";
const SMS: &str = "YWEwMjFhZmFkZDU4ZWI0NDJjYTM0MzY4OTY1YjdhMDE=";
const APP: &str = "MGZlY2YwOWQ3MDZmYWZjZGMwN2Y0YjllZWFkODZkMDI=";
const CORRELATION: &str = "4cba8c5a-5b21-4812-8783-f91be68aa72a";

fn spec() -> Value {
    serde_yaml_ng::from_str(SPEC).expect("spec YAML")
}

fn seed_request(at: &str) -> Value {
    let spec = spec();
    let content = &spec["paths"][at]["post"]["requestBody"]["content"];
    content
        .as_object()
        .expect("content")
        .values()
        .next()
        .expect("media")["example"]
        .clone()
}

fn seed_answer(at: &str, example: &str) -> Value {
    spec()["paths"][at]["post"]["responses"]["200"]["content"]["application/json"]["examples"]
        [example]["value"]
        .clone()
}

/// The guide's example for `at`, carrying this flow's correlation id (the
/// guide's examples use two different ones; a flow keeps one throughout).
fn expected(at: &str) -> Value {
    let mut body = seed_request(at);
    body["clientCorrelationId"] = json!(CORRELATION);
    body
}

/// The cardholder's request to the merchant's server, as the guide's example
/// browser would send it.
fn incoming_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"));
    headers.insert(USER_AGENT, HeaderValue::from_static("Mozilla/5.0(WindowsNT10.0;Win64;x64)AppleWebKit/537.36(KHTML,likeGecko)Chrome/134.0.0.0Safari/537.36Edg/134.0.0.0"));
    headers.insert(
        ACCEPT_LANGUAGE,
        HeaderValue::from_static("en-US,en;q=0.9,de;q=0.8"),
    );
    headers
}

/// What the iframe reports of the browser (the parts headers cannot tell).
fn iframe_session() -> IframeOutput {
    serde_json::from_value(json!({
        "platformType": "WEB",
        "browserData": {"browserJavaEnabled": false, "browserJavascriptEnabled": true, "browserColorDepth": 24, "browserScreenHeight": 1080, "browserScreenWidth": "1920", "browserTimeZone": 420},
        "sessionContext": {"secureToken": "ezAwMX06AAM1NUHl3Gq8..."}
    }))
    .expect("iframe output")
}

fn authentication_request() -> AuthenticationRequest {
    let iframe = iframe_session();
    let ip: IpAddr = "104.28.3.217".parse().expect("ip");
    AuthenticationRequest {
        secure_token: iframe.secure_token().expect("secure token"),
        authenticator_render_method: "IFRAME".to_owned(),
        amount: amount_numeric("1765.95", "EUR").expect("amount"),
        merchant: encoded_merchant("Merchant VZaF5XBj", "https://www.Merchant-VZaF5XBj.com")
            .expect("merchant"),
        device: BrowserDevice::from_headers(&incoming_headers(), ip)
            .or(iframe.browser_device())
            .build()
            .expect("device"),
    }
}

fn registrant() -> Registrant {
    Registrant {
        language: "en_US".to_owned(),
        email: "test@cybs.com".to_owned(),
        phone_number: Some("4158880000".to_owned()),
    }
}

/// The iframe's answer after the cardholder authenticated, carrying the
/// guide's payment-credentials values.
fn authenticated_iframe() -> IframeOutput {
    serde_json::from_value(json!({
        "type": "AUTHENTICATE",
        "platformType": "WEB",
        "browserData": {"browserHeader": "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36", "browserLanguage": "en-US", "browserJavaEnabled": true, "browserJavascriptEnabled": true, "browserColorDepth": "24", "browserScreenHeight": "1080", "browserScreenWidth": "1920", "browserTimeZone": "-480", "ipAddress": "127.0.0.1", "userAgent": "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36"},
        "fidoResponse": {"fidoBlob": "@=TFf@Xhj[Vl\\tpf3zJ=bl@E0HCqVcPlxFz]3yRLbG3bTpBzDJtHNMlnP6pL", "identifier": "HmP8qo_aBOGemJEV_VoC@KaolERq_rL>95dfJV[vtYvDkwf]MchKrItaM2^sGI0", "rpID": "<Base64URL encoded string>"}
    }))
    .expect("iframe output")
}

fn credentials_request() -> CredentialsRequest {
    let iframe = authenticated_iframe();
    CredentialsRequest {
        transaction_type: "ECOM".to_owned(),
        amount: amount_alphabetic("102.21", "840").expect("amount"),
        bill_to: request_from_json(json!({"firstName": "John", "lastName": "Smith", "email": "user@example.com", "address1": "123 Fake Street", "locality": "Austin", "administrativeArea": "TX", "postalCode": "78751", "country": "US"})).expect("billTo"),
        merchant: plain_merchant("Merchants Name", "http://www.example.com").expect("merchant"),
        device: iframe.browser_device().build().expect("device"),
        identities: vec![iframe.authenticated_identity("string").expect("identity")],
    }
}

struct Harness {
    server: MockServer,
    passkey: PasskeyClient,
}

async fn harness() -> Harness {
    let server = MockServer::start().await;
    let passkey = PasskeyClient::new(client(&server.uri(), Authentication::JwtSharedSecret));
    Harness { server, passkey }
}

impl Harness {
    async fn answer(&self, at: &str, status: u16, body: Value) {
        Mock::given(method("POST"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
    }

    /// Path and JSON body of every request so far, each checked to carry a
    /// valid JWT.
    async fn received(&self) -> Vec<(String, Value)> {
        let requests = self.server.received_requests().await.expect("recording");
        requests
            .iter()
            .map(|r| {
                check_hs256_jwt(r);
                (
                    r.url.path().to_owned(),
                    serde_json::from_slice(&r.body).expect("json"),
                )
            })
            .collect()
    }

    async fn count(&self) -> usize {
        self.server
            .received_requests()
            .await
            .expect("recording")
            .len()
    }

    async fn start(&self, answer: Value) -> PasskeySession {
        self.answer(OPTIONS, 201, answer).await;
        self.passkey
            .authentication_options(
                TOKEN,
                Some(CORRELATION.to_owned()),
                &authentication_request(),
            )
            .await
            .expect("authentication options")
    }

    async fn credentials(&self, session: &mut PasskeySession) {
        self.answer(
            CREDENTIALS,
            201,
            seed_answer(
                "/tms/v2/tokens/{tokenId}/payment-credentials",
                "passkeyAuthenticated",
            ),
        )
        .await;
        let credentials = self
            .passkey
            .payment_credentials(session, credentials_request())
            .await
            .expect("payment credentials");
        assert_eq!(credentials.eci(), Some("05"));
        assert_eq!(
            credentials.cryptogram().map(|c| c.expose().as_str()),
            Some("AwAAAADggP/Ce5+ZciCXQUUAAAA=")
        );
        assert_eq!(
            credentials.payment_account_reference(),
            Some("V0010013022298169667504231315")
        );
        let shown = format!("{credentials:?}");
        assert!(
            !shown.contains("AwAAAADggP") && !shown.contains("4895370016750801"),
            "redacted"
        );
        assert_eq!(session.step(), &PasskeyStep::Completed);
    }
}

#[tokio::test]
async fn a_registered_device_authenticates_then_gets_credentials() {
    let h = harness().await;
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "authenticate",
        ))
        .await;
    let PasskeyStep::Authenticate(context) = session.step() else {
        panic!("expected AUTHENTICATE, got {:?}", session.step());
    };
    assert_eq!(
        context.id.as_deref(),
        Some("de5ecf36-2a5c-4f66-b01f-15d6e5b73715")
    );
    let iframe = session.iframe_input().expect("iframe input");
    assert_eq!(
        serde_json::to_value(&iframe).expect("json"),
        json!({"type": "AUTHENTICATE", "authenticationContext": {"identifier": "de5ecf36-2a5c-4f66-b01f-15d6e5b73715", "endpoint": "/vts-auth/authenticate", "payload": "aGVsbG8", "platformType": "WEB"}})
    );
    h.credentials(&mut session).await;

    let received = h.received().await;
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0],
        (
            OPTIONS.to_owned(),
            expected("/tms/v2/tokenized-cards/{tokenId}/authentication-options")
        )
    );
    assert_eq!(
        received[1],
        (
            CREDENTIALS.to_owned(),
            expected("/tms/v2/tokens/{tokenId}/payment-credentials")
        )
    );
}

#[tokio::test]
async fn the_vendors_options_reach_the_wire_on_v3_and_a_bad_profile_id_sends_nothing() {
    use payclient::passkey::raw::types::PaymentCredentialsRequestPaymentCredentialType as Kind;
    use payclient::passkey::{CredentialsOptions, CredentialsVersion};
    let h = harness().await;
    let authenticate = seed_answer(
        "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
        "authenticate",
    );
    // A profile id that could leave its header is refused by name.
    let mut session = h.start(authenticate.clone()).await;
    let sent = h.count().await;
    let bad = CredentialsOptions::default()
        .version(CredentialsVersion::V3)
        .profile_id("profile\r\nx-injected: 1");
    let e = h
        .passkey
        .payment_credentials_with(&mut session, credentials_request(), bad)
        .await
        .expect_err("refused");
    assert!(
        matches!(&e, payclient::Error::Validation(v) if v.field == "profile-id"),
        "{e}"
    );
    assert_eq!(h.count().await, sent, "nothing sent");

    let v3 = "/tms/v3/tokens/7010000000016241111/payment-credentials";
    Mock::given(method("POST"))
        .and(path(v3))
        .and(wiremock::matchers::header(
            "profile-id",
            "93B32398-AD51-4CC2-A682-EA3E93614EB1",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(seed_answer(
            "/tms/v2/tokens/{tokenId}/payment-credentials",
            "passkeyAuthenticated",
        )))
        .expect(1)
        .mount(&h.server)
        .await;
    let options = CredentialsOptions::default()
        .version(CredentialsVersion::V3)
        .payment_credential_type(Kind::Cryptogram)
        .profile_id("93B32398-AD51-4CC2-A682-EA3E93614EB1");
    let credentials = h
        .passkey
        .payment_credentials_with(&mut session, credentials_request(), options)
        .await
        .expect("v3 credentials");
    assert_eq!(credentials.eci(), Some("05"));
    let received = h.received().await;
    let (at, body) = received.last().expect("sent");
    assert_eq!(at, v3);
    let mut want = expected("/tms/v2/tokens/{tokenId}/payment-credentials");
    want["paymentCredentialType"] = json!("CRYPTOGRAM");
    assert_eq!(body, &want);
}

#[tokio::test]
async fn an_sms_step_up_validates_registers_and_gets_credentials() {
    let h = harness().await;
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "stepUp",
        ))
        .await;
    let choices = session.step_up_choices();
    assert_eq!(choices.len(), 7);
    assert_eq!(choices[0].method(), StepUpMethod::OtpSms);
    assert_eq!(choices[0].value.as_deref(), Some("415****000"));
    let out_of_band: Vec<StepUpMethod> = choices
        .iter()
        .filter(|c| c.is_out_of_band())
        .map(|c| c.method())
        .collect();
    assert_eq!(
        out_of_band,
        [
            StepUpMethod::AppToApp,
            StepUpMethod::AppToApp,
            StepUpMethod::CustomerService,
            StepUpMethod::OutboundCall
        ]
    );
    assert_eq!(
        choices[3].request_payload.as_deref(),
        Some("cDkwMjFhZmFkZDVmZ2hqMzQyY2EzNTM2ODk2NWI3YTAy")
    );

    h.answer(
        OTP,
        201,
        json!({"maxRequestsAllowed": 3, "maxVerificationAllowed": 5, "codeExpiration": 300}),
    )
    .await;
    let limits = h
        .passkey
        .send_otp(&mut session, SMS)
        .await
        .expect("otp sent");
    assert_eq!(
        (
            limits.max_requests_allowed,
            limits.max_verification_allowed,
            limits.code_expiration
        ),
        (Some(3), Some(5), Some(300))
    );

    // The cardholder mistypes: the vendor refuses, the session stays put.
    h.answer(VALIDATE, 400, json!({"errors": [{"type": "invalidOtp", "message": "The one-time password is not valid"}]})).await;
    let e = h
        .passkey
        .validate(
            &mut session,
            SMS,
            StepUpProof::Otp(Sensitive::from("000000")),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(
        !e.to_string().contains("000000"),
        "the OTP is never shown: {e}"
    );
    assert!(
        matches!(session.step(), PasskeyStep::StepUp { otp_sent_for: Some(id), .. } if id == SMS)
    );

    h.answer(
        VALIDATE,
        200,
        json!({"action": "AUTHENTICATION_REGISTRATION"}),
    )
    .await;
    let step = h
        .passkey
        .validate(
            &mut session,
            SMS,
            StepUpProof::Otp(Sensitive::from("456789")),
        )
        .await
        .expect("validated");
    assert_eq!(step, PasskeyStep::Register);

    h.answer(REGISTRATIONS, 201, json!({"authenticationContext": {"id": "reg-1", "endpoint": "/vts-auth/register", "payload": "cmVn", "platformType": "WEB"}})).await;
    h.passkey
        .register(&mut session, &authentication_request(), &registrant())
        .await
        .expect("registered");
    let iframe = session.iframe_input().expect("iframe input");
    assert_eq!(iframe.type_, "AUTHENTICATION_REGISTRATION");
    assert_eq!(
        iframe.authentication_context.identifier.as_deref(),
        Some("reg-1")
    );
    h.credentials(&mut session).await;

    let received = h.received().await;
    let paths: Vec<&str> = received.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [OPTIONS, OTP, VALIDATE, VALIDATE, REGISTRATIONS, CREDENTIALS]
    );
    assert_eq!(
        received[1].1,
        expected("/tms/v2/tokenized-cards/{tokenId}/authentication-options/one-time-passwords")
    );
    // Exactly one of otp and issuerAuthCode is sent (the guide's example shows both).
    let mut validate =
        expected("/tms/v2/tokenized-cards/{tokenId}/authentication-options/validate");
    validate
        .as_object_mut()
        .expect("object")
        .remove("issuerAuthCode");
    assert_eq!(received[3].1, validate);
    assert_eq!(received[2].1["otp"], "000000");
    assert_eq!(
        received[4].1,
        expected("/tms/v2/tokenized-cards/{tokenId}/authentication-registrations")
    );
}

#[tokio::test]
async fn an_app_to_app_step_up_sends_no_otp() {
    let h = harness().await;
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "stepUp",
        ))
        .await;
    let sent = h.count().await;
    let e = h.passkey.send_otp(&mut session, APP).await.unwrap_err();
    assert!(
        matches!(&e, Error::Workflow(w) if w.operation == "send_otp" && w.reason.contains("out-of-band")),
        "{e}"
    );
    // An SMS option is not out of band.
    assert!(matches!(
        session.out_of_band_approved(SMS),
        Err(Error::Workflow(_))
    ));
    assert_eq!(h.count().await, sent, "no OTP request");

    session
        .out_of_band_approved(APP)
        .expect("the issuer approved in its app");
    assert_eq!(session.step(), &PasskeyStep::Register);
    h.answer(REGISTRATIONS, 200, seed_answer_registration())
        .await;
    h.passkey
        .register(&mut session, &authentication_request(), &registrant())
        .await
        .expect("registered");
    h.credentials(&mut session).await;
    let paths: Vec<String> = h.received().await.into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, [OPTIONS, REGISTRATIONS, CREDENTIALS]);
}

fn seed_answer_registration() -> Value {
    spec()["paths"]["/tms/v2/tokenized-cards/{tokenId}/authentication-registrations"]["post"]["responses"]["200"]["content"]["application/json"]["example"].clone()
}

#[tokio::test]
async fn direct_registration_and_an_issuer_code() {
    let h = harness().await;
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "register",
        ))
        .await;
    assert_eq!(session.step(), &PasskeyStep::Register);
    h.answer(REGISTRATIONS, 201, seed_answer_registration())
        .await;
    h.passkey
        .register(&mut session, &authentication_request(), &registrant())
        .await
        .expect("registered");
    h.credentials(&mut session).await;

    // An issuer authentication code needs no OTP request first.
    let h = harness().await;
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "stepUp",
        ))
        .await;
    h.answer(
        VALIDATE,
        200,
        json!({"action": "AUTHENTICATION_REGISTRATION"}),
    )
    .await;
    h.passkey
        .validate(
            &mut session,
            APP,
            StepUpProof::IssuerAuthCode(Sensitive::from(
                "HTZlY2YwOWQ3MDZmYWZj4GMww2Y0YjllZWFkODZkHJI=",
            )),
        )
        .await
        .expect("validated");
    let received = h.received().await;
    assert_eq!(
        received[1].1,
        json!({"clientCorrelationId": CORRELATION, "stepUpOption": {"id": APP}, "issuerAuthCode": "HTZlY2YwOWQ3MDZmYWZj4GMww2Y0YjllZWFkODZkHJI="})
    );
}

#[tokio::test]
async fn an_unknown_action_is_surfaced_not_a_decode_failure() {
    let h = harness().await;
    let mut session = h
        .start(json!({"action": "DEVICE_BINDING_REQUIRED", "hint": 1}))
        .await;
    assert_eq!(
        session.step(),
        &PasskeyStep::Unknown {
            action: "DEVICE_BINDING_REQUIRED".to_owned()
        }
    );
    let sent = h.count().await;
    assert!(matches!(
        h.passkey.send_otp(&mut session, SMS).await,
        Err(Error::Workflow(_))
    ));
    assert!(matches!(
        h.passkey
            .register(&mut session, &authentication_request(), &registrant())
            .await,
        Err(Error::Workflow(_))
    ));
    assert!(matches!(
        h.passkey
            .payment_credentials(&mut session, credentials_request())
            .await,
        Err(Error::Workflow(_))
    ));
    assert_eq!(h.count().await, sent);
}

#[tokio::test]
async fn the_session_survives_json_between_the_otp_and_its_validation() {
    let h = harness().await;
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "stepUp",
        ))
        .await;
    h.answer(OTP, 201, json!({"maxRequestsAllowed": 3})).await;
    h.passkey
        .send_otp(&mut session, SMS)
        .await
        .expect("otp sent");

    let stored = serde_json::to_string(&session).expect("serialize");
    assert!(
        !stored.contains("ezAwMX06AAM1NUHl3Gq8"),
        "no secure token in the stored state"
    );
    drop(session);
    let mut resumed: PasskeySession = serde_json::from_str(&stored).expect("deserialize");
    assert_eq!(resumed.token_id(), TOKEN);
    assert_eq!(resumed.client_correlation_id(), CORRELATION);

    h.answer(
        VALIDATE,
        200,
        json!({"action": "AUTHENTICATION_REGISTRATION"}),
    )
    .await;
    h.passkey
        .validate(
            &mut resumed,
            SMS,
            StepUpProof::Otp(Sensitive::from("456789")),
        )
        .await
        .expect("validated");
    let stored = serde_json::to_string(&resumed).expect("serialize");
    let mut again: PasskeySession = serde_json::from_str(&stored).expect("deserialize");
    assert_eq!(again.step(), &PasskeyStep::Register);
    h.answer(REGISTRATIONS, 201, seed_answer_registration())
        .await;
    h.passkey
        .register(&mut again, &authentication_request(), &registrant())
        .await
        .expect("registered");
    let registered: PasskeySession =
        serde_json::from_str(&serde_json::to_string(&again).expect("json")).expect("json");
    assert_eq!(registered.iframe_input(), again.iframe_input());
}

#[tokio::test]
async fn every_refusal_names_the_field_and_sends_nothing() {
    let h = harness().await;
    let field = |e: Error| match e {
        Error::Validation(v) => v.field,
        other => panic!("expected a validation error, got {other}"),
    };
    let start = |request: AuthenticationRequest, token: &'static str, id: Option<&'static str>| {
        let passkey = h.passkey.clone();
        async move {
            passkey
                .authentication_options(token, id.map(str::to_owned), &request)
                .await
                .unwrap_err()
        }
    };
    let base = authentication_request;
    assert_eq!(field(start(base(), "", None).await), "tokenId");
    assert_eq!(
        field(start(base(), TOKEN, Some(" ")).await),
        "clientCorrelationId"
    );
    let mut r = base();
    r.secure_token = Sensitive::from("");
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "sessionInformation.secureToken"
    );
    let mut r = base();
    r.amount.currency = "EUR".to_owned();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "orderInformation.amountDetails.currency"
    );
    let mut r = base();
    r.amount.total_amount = "17,65".to_owned();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "orderInformation.amountDetails.totalAmount"
    );
    let mut r = base();
    r.device.ip_address = "localhost".to_owned();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "deviceInformation.ipAddress"
    );
    let mut r = base();
    r.device.http_browser_screen_width = "wide".to_owned();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "deviceInformation.httpBrowserScreenWidth"
    );
    let mut r = base();
    r.device.http_browser_time_difference = "--480".to_owned();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "deviceInformation.httpBrowserTimeDifference"
    );
    let mut r = base();
    r.device.user_agent_browser_value = "  ".to_owned();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "deviceInformation.userAgentBrowserValue"
    );
    let mut r = base();
    r.merchant.merchant_descriptor.name = String::new();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "merchantInformation.merchantDescriptor.name"
    );
    let mut r = base();
    r.authenticator_render_method = String::new();
    assert_eq!(
        field(start(r, TOKEN, None).await),
        "authenticatorRenderMethod"
    );

    // The builders refuse bad parts, naming the wire field.
    let e = amount_numeric("10", "EURO").unwrap_err();
    assert_eq!(e.field, "orderInformation.amountDetails.currency");
    assert_eq!(
        amount_numeric("1e3", "EUR").unwrap_err().field,
        "orderInformation.amountDetails.totalAmount"
    );
    assert_eq!(
        encoded_merchant("Shop", "not a url").unwrap_err().field,
        "merchantInformation.merchantDescriptor.url"
    );
    assert_eq!(
        encoded_merchant(" ", "https://shop.example")
            .unwrap_err()
            .field,
        "merchantInformation.merchantDescriptor.name"
    );
    let headers_only =
        BrowserDevice::from_headers(&incoming_headers(), "10.0.0.1".parse().expect("ip"));
    assert_eq!(
        headers_only.clone().build().unwrap_err().field,
        "deviceInformation.httpBrowserJavaEnabled"
    );
    let mut no_depth = headers_only.or(iframe_session().browser_device());
    no_depth.color_depth = None;
    assert_eq!(
        no_depth.build().unwrap_err().field,
        "deviceInformation.httpBrowserColorDepth"
    );
    assert_eq!(
        IframeOutput::default().secure_token().unwrap_err().field,
        "sessionContext.secureToken"
    );
    assert_eq!(
        IframeOutput::default()
            .authenticated_identity("VISA_PAYMENT_PASSKEY")
            .unwrap_err()
            .field,
        "fidoResponse"
    );
    assert_eq!(
        authenticated_iframe()
            .authenticated_identity("")
            .unwrap_err()
            .field,
        "authenticatedIdentities.provider"
    );
    assert_eq!(h.count().await, 0);

    // Step-up refusals.
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "stepUp",
        ))
        .await;
    let sent = h.count().await;
    assert_eq!(
        field(
            h.passkey
                .send_otp(&mut session, "not-offered")
                .await
                .unwrap_err()
        ),
        "stepUpOption.id"
    );
    let e = h
        .passkey
        .validate(
            &mut session,
            SMS,
            StepUpProof::Otp(Sensitive::from("456789")),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Workflow(w) if w.reason.contains("send_otp first")),
        "{e}"
    );
    assert_eq!(
        field(
            h.passkey
                .validate(&mut session, SMS, StepUpProof::Otp(Sensitive::from("")))
                .await
                .unwrap_err()
        ),
        "otp"
    );
    assert_eq!(
        field(
            h.passkey
                .validate(
                    &mut session,
                    APP,
                    StepUpProof::IssuerAuthCode(Sensitive::from(" "))
                )
                .await
                .unwrap_err()
        ),
        "issuerAuthCode"
    );
    assert!(
        matches!(h.passkey.register(&mut session, &authentication_request(), &registrant()).await, Err(Error::Workflow(w)) if w.state == "StepUp")
    );
    assert!(matches!(
        h.passkey
            .payment_credentials(&mut session, credentials_request())
            .await,
        Err(Error::Workflow(_))
    ));
    assert_eq!(h.count().await, sent);

    // Registration and credentials refusals.
    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "register",
        ))
        .await;
    let sent = h.count().await;
    assert!(
        matches!(h.passkey.send_otp(&mut session, SMS).await, Err(Error::Workflow(w)) if w.state == "Register")
    );
    assert!(matches!(
        h.passkey
            .payment_credentials(&mut session, credentials_request())
            .await,
        Err(Error::Workflow(_))
    ));
    let mut bad = registrant();
    bad.email = "nobody".to_owned();
    assert_eq!(
        field(
            h.passkey
                .register(&mut session, &authentication_request(), &bad)
                .await
                .unwrap_err()
        ),
        "orderInformation.billTo.email"
    );
    let mut bad = registrant();
    bad.language = String::new();
    assert_eq!(
        field(
            h.passkey
                .register(&mut session, &authentication_request(), &bad)
                .await
                .unwrap_err()
        ),
        "buyerInformation.language"
    );
    assert_eq!(h.count().await, sent);

    let mut session = h
        .start(seed_answer(
            "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
            "authenticate",
        ))
        .await;
    let sent = h.count().await;
    assert!(
        matches!(h.passkey.register(&mut session, &authentication_request(), &registrant()).await, Err(Error::Workflow(w)) if w.state == "Authenticate")
    );
    let mut r = credentials_request();
    r.identities.clear();
    assert_eq!(
        field(
            h.passkey
                .payment_credentials(&mut session, r)
                .await
                .unwrap_err()
        ),
        "authenticatedIdentities"
    );
    let mut r = credentials_request();
    r.identities[0].data = Sensitive::from("");
    assert_eq!(
        field(
            h.passkey
                .payment_credentials(&mut session, r)
                .await
                .unwrap_err()
        ),
        "authenticatedIdentities[0].data"
    );
    let mut r = credentials_request();
    r.bill_to.postal_code = String::new();
    assert_eq!(
        field(
            h.passkey
                .payment_credentials(&mut session, r)
                .await
                .unwrap_err()
        ),
        "orderInformation.billTo.postalCode"
    );
    let mut r = credentials_request();
    r.amount.currency = "XYZ".to_owned();
    assert_eq!(
        field(
            h.passkey
                .payment_credentials(&mut session, r)
                .await
                .unwrap_err()
        ),
        "orderInformation.amountDetails.currency"
    );
    let mut r = credentials_request();
    r.transaction_type = String::new();
    assert_eq!(
        field(
            h.passkey
                .payment_credentials(&mut session, r)
                .await
                .unwrap_err()
        ),
        "transactionType"
    );
    assert_eq!(h.count().await, sent);
    assert!(
        matches!(session.step(), PasskeyStep::Authenticate(_)),
        "refusals leave the step"
    );
}

#[test]
fn request_parts_match_the_guides_encodings() {
    let merchant = encoded_merchant("Merchant VZaF5XBj", "https://www.Merchant-VZaF5XBj.com")
        .expect("merchant");
    assert_eq!(merchant.merchant_descriptor.name, "TWVyY2hhbnQgVlphRjVYQmo");
    assert_eq!(
        merchant.merchant_descriptor.url,
        "aHR0cHM6Ly93d3cuTWVyY2hhbnQtVlphRjVYQmouY29t"
    );
    assert_eq!(
        amount_numeric("1765.95", "EUR").expect("amount").currency,
        "978"
    );
    assert_eq!(
        amount_numeric("1765.95", "978").expect("amount").currency,
        "978"
    );
    assert_eq!(
        amount_alphabetic("102.21", "840").expect("amount").currency,
        "USD"
    );
    let device =
        BrowserDevice::from_headers(&incoming_headers(), "2001:db8::1".parse().expect("ip"));
    assert_eq!(device.language.as_deref(), Some("en-US"));
    assert_eq!(device.ip_address.as_deref(), Some("2001:db8::1"));
    assert_eq!(device.platform_type.as_deref(), Some("WEB"));
    assert!(
        device
            .user_agent
            .as_deref()
            .is_some_and(|ua| ua.starts_with("Mozilla/5.0"))
    );
    let built = device
        .or(iframe_session().browser_device())
        .build()
        .expect("device");
    let seed_device = &seed_request("/tms/v2/tokenized-cards/{tokenId}/authentication-options")["deviceInformation"];
    let mut built_json = serde_json::to_value(&built).expect("json");
    built_json["ipAddress"] = seed_device["ipAddress"].clone();
    assert_eq!(&built_json, seed_device);
}

#[test]
fn sensitive_values_are_redacted_in_debug() {
    let shown = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        authentication_request(),
        credentials_request(),
        authenticated_iframe(),
        StepUpProof::Otp(Sensitive::from("456789")),
        StepUpProof::IssuerAuthCode(Sensitive::from("HTZlY2YwOWQ3MDZm")),
    );
    for secret in [
        "ezAwMX06AAM1NUHl3Gq8",
        "456789",
        "HTZlY2YwOWQ3MDZm",
        "@=TFf@Xhj",
    ] {
        assert!(!shown.contains(secret), "{secret} must not appear");
    }
}

/// Reads `a.b.c` (an `authenticatedIdentities` step reads its first item).
fn at<'a>(value: &'a Value, dotted: &str) -> &'a Value {
    dotted.split('.').fold(value, |v, key| {
        let v = &v[key];
        if key == "authenticatedIdentities" {
            &v[0]
        } else {
            v
        }
    })
}

fn set(value: &mut Value, dotted: &str, new: Value) {
    let mut cursor = value;
    let keys: Vec<&str> = dotted.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        cursor = cursor
            .as_object_mut()
            .expect("object")
            .entry(*key)
            .or_insert_with(|| json!({}));
    }
    cursor[keys[keys.len() - 1]] = new;
}

/// A distinct, well-formed value for each mapped field.
fn sample(row: usize, tms: &str) -> Value {
    match tms {
        "deviceInformation.httpBrowserJavaEnabled" => json!(true),
        "deviceInformation.httpBrowserJavaScriptEnabled" => json!(false),
        "deviceInformation.httpBrowserColorDepth" => json!("48"),
        "deviceInformation.httpBrowserScreenHeight" => json!("2160"),
        "deviceInformation.httpBrowserScreenWidth" => json!("3840"),
        "deviceInformation.httpBrowserTimeDifference" => json!("-60"),
        "deviceInformation.ipAddress" => json!("198.51.100.7"),
        _ => json!(format!("value-{row}")),
    }
}

#[test]
fn the_iframe_mapping_covers_every_row_of_the_table_both_ways() {
    assert_eq!(
        IFRAME_FIELD_MAPPING.len(),
        20,
        "the guide's table has 20 rows"
    );
    // Iframe → TMS: an iframe output with every mapped field set.
    let mut iframe_json = json!({});
    for (row, (tms, vts)) in IFRAME_FIELD_MAPPING.iter().enumerate() {
        set(&mut iframe_json, vts, sample(row, tms));
    }
    let output: IframeOutput = serde_json::from_value(iframe_json.clone()).expect("iframe output");
    let tms = json!({
        "action": output.action(),
        "authenticatedIdentities": [output.authenticated_identity("VISA_PAYMENT_PASSKEY").expect("identity")],
        "authenticationContext": output.authentication_context().expect("context"),
        "deviceInformation": output.browser_device().build().expect("device"),
        "sessionInformation": {"secureToken": output.secure_token().expect("token")},
    });
    for (row, (tms_field, vts_field)) in IFRAME_FIELD_MAPPING.iter().enumerate() {
        assert_eq!(
            at(&tms, tms_field),
            &sample(row, tms_field),
            "row {row}: {tms_field} <- {vts_field}"
        );
        assert_eq!(
            at(&iframe_json, vts_field),
            &sample(row, tms_field),
            "row {row}"
        );
    }

    // TMS → iframe: the rows the iframe takes (`type` and `authenticationContext`).
    let mut context_json = json!({});
    let mut action = String::new();
    for (row, (tms_field, _)) in IFRAME_FIELD_MAPPING.iter().enumerate() {
        if *tms_field == "action" {
            action = format!("value-{row}");
        } else if let Some(member) = tms_field.strip_prefix("authenticationContext.") {
            context_json[member] = sample(row, tms_field);
        }
    }
    let context = serde_json::from_value(context_json).expect("context");
    let input = serde_json::to_value(IframeInput::from_tms(&action, &context)).expect("json");
    let mut covered = 0;
    for (row, (tms_field, vts_field)) in IFRAME_FIELD_MAPPING.iter().enumerate() {
        if *tms_field == "action" || tms_field.starts_with("authenticationContext.") {
            assert_eq!(
                at(&input, vts_field),
                &sample(row, tms_field),
                "row {row}: {tms_field} -> {vts_field}"
            );
            covered += 1;
        }
    }
    assert_eq!(covered, 5);
}

/// Each attempt's generated call is boxed where the pipeline runs it, and
/// so is the reading of an error answer: inline, a Passkey call's future was
/// 10.5 KB, carried and copied by every caller. What remains is mostly the
/// request body, kept to rebuild the request for a retry.
#[tokio::test]
async fn a_passkey_call_future_stays_small() {
    let h = harness().await;
    let request = authentication_request();
    let size = std::mem::size_of_val(&h.passkey.authentication_options(TOKEN, None, &request));
    assert!(
        size <= 2048,
        "authentication_options' future is {size} bytes"
    );
}
