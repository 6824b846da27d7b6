//! Checkout.com Flow on the wire: bearer and OAuth auth, create with every
//! field, refusals before sending, typed submit outcomes, errors, retries and
//! the unmodified-bytes guarantee.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payclient::Error;
use payclient::checkout::CheckoutErrorBody;
use payclient::checkout::raw::types;
use payclient::checkout::{
    CheckoutClient, CheckoutConfig, CheckoutCredentials, CheckoutEnvironment, SubmitOutcome,
};
use secrecy::SecretString;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET_KEY: &str = "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e";
const SESSION: &str = r#"{"id":"ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn","payment_session_token":"YmFzZTY0:eyJpZCI6InBzXzJVbjZYa0R6dm5ielkifQ==","payment_session_secret":"pss_9823241e-2cec-4c98-b23d-7b29ade4d1e2","_links":{"self":{"href":"https://x/payment-sessions/ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn"}},   "brand_new_member": {"nested": [1, 2]}}"#;

fn retry() -> payclient::RetryPolicy {
    payclient::RetryPolicy::default()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// A minimal valid submission.
fn submit_request() -> types::SubmitPaymentSessionRequest {
    serde_json::from_value(serde_json::json!({"session_data": "s", "amount": 1})).expect("valid")
}

fn secret_key_client(server: &MockServer) -> CheckoutClient {
    let config = CheckoutConfig::builder()
        .environment(CheckoutEnvironment::Custom {
            base_url: server.uri(),
            token_url: None,
        })
        .credentials(CheckoutCredentials::SecretKey(SecretString::from(
            SECRET_KEY,
        )))
        .retry(retry())
        .build()
        .expect("config");
    CheckoutClient::new(config).expect("client")
}

fn oauth_client(server: &MockServer) -> CheckoutClient {
    let config = CheckoutConfig::builder()
        .environment(CheckoutEnvironment::Custom {
            base_url: server.uri(),
            token_url: Some(format!("{}/connect/token", server.uri())),
        })
        .credentials(CheckoutCredentials::OAuth {
            client_id: "cli_abcd1234efgh".into(),
            client_secret: SecretString::from("oauth-client-secret"),
        })
        .retry(retry())
        .build()
        .expect("config");
    CheckoutClient::new(config).expect("client")
}

/// A create request with every field of the product document set.
fn every_field() -> serde_json::Value {
    serde_json::from_str(include_str!("../fixtures/flow-create-every-field.json"))
        .expect("fixture is JSON")
}

#[tokio::test]
async fn create_sends_every_field_as_given_and_returns_the_exact_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/payment-sessions"))
        .and(header(
            "authorization",
            format!("Bearer {SECRET_KEY}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(SESSION.as_bytes().to_vec(), "application/json")
                .insert_header("cko-request-id", "req-1"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let request: types::CreatePaymentSessionRequest =
        payclient::request_from_json(every_field()).expect("valid request");
    let session = client
        .create_payment_session(request)
        .await
        .expect("created");
    assert_eq!(
        session.raw(),
        SESSION.as_bytes(),
        "Flow gets the body unmodified"
    );
    assert_eq!(session.value.id, "ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn");
    assert_eq!(
        session
            .value
            .payment_session_secret
            .as_ref()
            .map(|s| s.expose().as_str()),
        Some("pss_9823241e-2cec-4c98-b23d-7b29ade4d1e2")
    );
    assert_eq!(session.request_id.as_deref(), Some("req-1"));
    let sent: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.expect("recording")[0].body)
            .expect("json");
    assert_eq!(sent, every_field(), "every field on the wire, as given");
    assert!(sent["amount"].is_u64(), "minor units as an integer");
}

#[tokio::test]
async fn optional_fields_left_out_are_not_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_string(SESSION))
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let request = types::builder::CreatePaymentSessionRequest::default()
        .amount(0u64)
        .currency("EUR")
        .billing(types::builder::Billing::default().address(types::BillingAddress::default()))
        .success_url("https://example.com/ok")
        .failure_url("https://example.com/failed");
    client
        .create_payment_session(request)
        .await
        .expect("created");
    let sent: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.expect("recording")[0].body)
            .expect("json");
    assert_eq!(
        sent,
        serde_json::json!({"amount": 0, "currency": "EUR", "billing": {"address": {}}, "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed"}),
        "no capture, locale or payment_type defaults"
    );
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending_naming_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_string(SESSION))
        .expect(0)
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let with = |key: &str, value: serde_json::Value| {
        let mut v = every_field();
        v[key] = value;
        v
    };
    let long = |n: usize| serde_json::Value::String("x".repeat(n));
    let many: serde_json::Map<String, serde_json::Value> = (0..19)
        .map(|i| (format!("k{i}"), serde_json::json!("v")))
        .collect();
    let cases = [
        (with("amount", serde_json::json!(-1)), "amount"),
        (with("amount", serde_json::json!(10.5)), "amount"),
        (with("currency", serde_json::json!("GB")), "currency"),
        (with("currency", serde_json::json!("gbp")), "currency"),
        (with("reference", long(51)), "reference"),
        (with("description", long(101)), "description"),
        (with("display_name", long(256)), "display_name"),
        (with("success_url", long(1025)), "success_url"),
        (with("failure_url", long(1025)), "failure_url"),
        (
            with("processing_channel_id", serde_json::json!("pc_tooshort")),
            "processing_channel_id",
        ),
        (
            with("metadata", serde_json::json!({"note": "y".repeat(256)})),
            "metadata.note",
        ),
    ];
    for (json, field) in cases {
        let err = payclient::request_from_json::<types::CreatePaymentSessionRequest>(json)
            .expect_err(field);
        assert_eq!(err.field, field, "{err}");
        assert!(
            !err.reason.contains("xxxx"),
            "the value is not echoed: {err}"
        );
    }
    // Constraints the types cannot hold are checked by the client.
    let err = client
        .create_payment_session(
            payclient::request_from_json::<types::CreatePaymentSessionRequest>(with(
                "metadata",
                serde_json::Value::Object(many),
            ))
            .expect("typed"),
        )
        .await
        .expect_err("19 fields");
    assert!(
        matches!(&err, Error::Validation(v) if v.field == "metadata"),
        "{err:?}"
    );
    let mut bad_share = every_field();
    bad_share["amount_allocations"][0]["commission"]["percentage"] = serde_json::json!(150.0);
    let err = client
        .create_payment_session(
            payclient::request_from_json::<types::CreatePaymentSessionRequest>(bad_share)
                .expect("typed"),
        )
        .await
        .expect_err("percentage");
    assert!(
        matches!(&err, Error::Validation(v) if v.field == "amount_allocations[0].commission.percentage"),
        "{err:?}"
    );
    // The builder path names the field too.
    let built = types::builder::CreatePaymentSessionRequest::default()
        .amount(1u64)
        .currency("TOOLONG")
        .billing(types::builder::Billing::default().address(types::BillingAddress::default()))
        .success_url("https://example.com/ok")
        .failure_url("https://example.com/failed");
    let err = client
        .create_payment_session(built)
        .await
        .expect_err("currency");
    assert!(
        matches!(&err, Error::Validation(v) if v.field == "currency"),
        "{err:?}"
    );
    // Submit: an IP address must be IPv4 or IPv6 and at most 45 characters.
    for ip in ["999.1.1.1", "not-an-ip", &"1".repeat(46)] {
        let err = payclient::request_from_json::<types::SubmitPaymentSessionRequest>(
            serde_json::json!({"session_data": "s", "amount": 1, "ip_address": ip}),
        )
        .expect_err(ip);
        assert_eq!(err.field, "ip_address");
    }
    let err = client
        .submit_payment_session("", submit_request())
        .await
        .expect_err("empty id");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
}

#[tokio::test]
async fn submit_returns_typed_outcomes_with_the_exact_bytes() {
    let server = MockServer::start().await;
    let processed = r#"{"id":"pay_1","status":"Approved","type":"card",  "scheme_id":"x"}"#;
    let action = r#"{"id":"pay_2","status":"Action Required","type":"card","action":{"type":"3ds","url":"https://3ds2.checkout.com/interceptor/sid_y3"}}"#;
    Mock::given(path("/payment-sessions/ps_1/submit"))
        .respond_with(ResponseTemplate::new(201).set_body_string(processed))
        .mount(&server)
        .await;
    Mock::given(path("/payment-sessions/ps_2/submit"))
        .respond_with(ResponseTemplate::new(202).set_body_string(action))
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let submit = || {
        serde_json::from_value::<types::SubmitPaymentSessionRequest>(serde_json::json!({"session_data": "sd-secret", "amount": 1000, "3ds": {"enabled": true}})).expect("valid")
    };
    match client
        .submit_payment_session("ps_1", submit())
        .await
        .expect("201")
    {
        SubmitOutcome::Processed(reply) => {
            assert_eq!(
                (
                    reply.value.id.as_str(),
                    reply.value.status.as_str(),
                    reply.value.type_.as_str()
                ),
                ("pay_1", "Approved", "card")
            );
            assert_eq!(reply.raw(), processed.as_bytes());
        }
        other => panic!("expected Processed, got {other:?}"),
    }
    let outcome = client
        .submit_payment_session("ps_2", submit())
        .await
        .expect("202");
    assert_eq!(
        (outcome.payment_id(), outcome.status()),
        ("pay_2", "Action Required")
    );
    assert_eq!(outcome.raw(), action.as_bytes());
    let SubmitOutcome::ActionRequired(reply) = outcome else {
        panic!("expected ActionRequired")
    };
    assert_eq!(reply.value.action.type_.as_deref(), Some("3ds"));
    let sent: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.expect("recording")[0].body)
            .expect("json");
    assert_eq!(
        sent,
        serde_json::json!({"session_data": "sd-secret", "amount": 1000, "3ds": {"enabled": true}})
    );
}

#[tokio::test]
async fn get_returns_the_session_and_its_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/payment-sessions/ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let session = client
        .get_payment_session("ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn")
        .await
        .expect("session");
    assert_eq!(session.raw(), SESSION.as_bytes());
    assert!(
        session.value.extra.contains_key("brand_new_member"),
        "unknown members kept"
    );
}

/// A body that arrives in many chunks is read whole, byte for byte; one
/// larger than the 1 MiB limit is refused there, the rest unread.
#[tokio::test]
async fn large_bodies_are_read_whole_up_to_the_limit() {
    let server = MockServer::start().await;
    let with_description = |n: usize| {
        let mut session: serde_json::Value = serde_json::from_str(SESSION).expect("json");
        session["description"] = "d".repeat(n).into();
        session.to_string()
    };
    let large = with_description(600 * 1024);
    let oversized = with_description(1024 * 1024);
    for (id, body) in [("ps_large", &large), ("ps_oversized", &oversized)] {
        Mock::given(method("GET"))
            .and(path(format!("/payment-sessions/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .mount(&server)
            .await;
    }
    let client = secret_key_client(&server);
    let session = client
        .get_payment_session("ps_large")
        .await
        .expect("session");
    assert_eq!(session.raw(), large.as_bytes());
    assert_eq!(session.value.description.map(|d| d.len()), Some(600 * 1024));
    match client.get_payment_session("ps_oversized").await {
        Err(Error::ResponseTooLarge(e)) => assert_eq!((e.status, e.limit), (200, 1 << 20)),
        other => panic!("expected the body to be refused, got {other:?}"),
    }
}

/// The error mapping is boxed, off the success path: with it inline, a
/// call's future was 4 KB, carried and copied by every caller.
#[tokio::test]
async fn a_checkout_call_future_stays_small() {
    let server = MockServer::start().await;
    let client = secret_key_client(&server);
    let size = std::mem::size_of_val(&client.get_payment_session("ps_1"));
    assert!(size <= 1024, "get_payment_session's future is {size} bytes");
}

#[tokio::test]
async fn each_error_status_carries_the_request_id_and_body() {
    let cases: [(u16, &str); 5] = [
        (401, ""),
        (
            404,
            r#"{"request_id":"r404","error_type":"resource_not_found"}"#,
        ),
        (
            422,
            r#"{"request_id":"r422","error_type":"request_invalid","error_codes":["processing_channel_id_required","amount_invalid"]}"#,
        ),
        (
            429,
            r#"{"request_id":"r429","error_type":"too_many_requests","error_codes":["too_many_requests"]}"#,
        ),
        (502, "<html>Bad gateway</html>"),
    ];
    for (status, body) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_string(body)
                    .insert_header("cko-request-id", format!("hdr-{status}").as_str()),
            )
            .mount(&server)
            .await;
        let client = CheckoutClient::new(
            CheckoutConfig::builder()
                .environment(CheckoutEnvironment::Custom {
                    base_url: server.uri(),
                    token_url: None,
                })
                .credentials(CheckoutCredentials::SecretKey(SecretString::from(
                    SECRET_KEY,
                )))
                .retry(payclient::RetryPolicy::none())
                .build()
                .expect("config"),
        )
        .expect("client");
        let err = client
            .get_payment_session("ps_1")
            .await
            .expect_err("error status");
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(api.status, status);
        assert_eq!(
            api.request_id.as_deref(),
            Some(format!("hdr-{status}").as_str())
        );
        assert_eq!(api.raw_body(), body.as_bytes());
        match status {
            401 | 502 => assert!(api.vendor_body::<CheckoutErrorBody>().is_none()),
            422 => {
                assert!(
                    matches!(api.vendor_body::<CheckoutErrorBody>(), Some(body) if body.error_codes.len() == 2)
                );
                assert!(
                    err.to_string()
                        .contains("request_invalid processing_channel_id_required, amount_invalid"),
                    "{err}"
                );
            }
            _ => assert!(api.vendor_body::<CheckoutErrorBody>().is_some()),
        }
    }
}

#[tokio::test]
async fn submit_is_never_retried_while_create_and_get_follow_the_retry_rules() {
    let server = MockServer::start().await;
    Mock::given(path("/payment-sessions/ps_1/submit"))
        .respond_with(ResponseTemplate::new(429))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/payment-sessions"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/payment-sessions"))
        .respond_with(ResponseTemplate::new(201).set_body_string(SESSION))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .expect(1)
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let submit = submit_request();
    let err = client
        .submit_payment_session("ps_1", submit)
        .await
        .expect_err("429 is not retried for submit");
    assert!(
        matches!(&err, Error::Api(api) if api.status == 429 && api.attempts == 1),
        "{err:?}"
    );
    let create: types::CreatePaymentSessionRequest =
        payclient::request_from_json(every_field()).expect("valid");
    assert_eq!(
        client
            .create_payment_session(create)
            .await
            .expect("retried after 429")
            .attempts,
        2
    );
    assert_eq!(
        client
            .get_payment_session("ps_1")
            .await
            .expect("retried after 503")
            .attempts,
        3
    );
}

/// Answers the token endpoint with `tok-1`, `tok-2`, … and counts the calls.
struct Tokens {
    calls: Arc<AtomicUsize>,
    expires_in: u64,
    delay: Duration,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": self.expires_in}))
            .set_delay(self.delay)
    }
}

async fn token_endpoint(server: &MockServer, expires_in: u64, delay: Duration) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=payment-sessions"))
        .and(body_string_contains("client_id=cli_abcd1234efgh"))
        .respond_with(Tokens {
            calls: calls.clone(),
            expires_in,
            delay,
        })
        .mount(server)
        .await;
    calls
}

#[tokio::test]
async fn oauth_tokens_are_cached_until_shortly_before_expiry() {
    let server = MockServer::start().await;
    let calls = token_endpoint(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .expect(3)
        .mount(&server)
        .await;
    let client = oauth_client(&server);
    for _ in 0..3 {
        client.get_payment_session("ps_1").await.expect("session");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one token for three calls");

    // A token that lives 1 s is inside the refresh margin at once: each call fetches anew.
    let server = MockServer::start().await;
    let calls = token_endpoint(&server, 1, Duration::ZERO).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .mount(&server)
        .await;
    let client = oauth_client(&server);
    client.get_payment_session("ps_1").await.expect("first");
    client.get_payment_session("ps_1").await.expect("second");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_one_token_request() {
    let server = MockServer::start().await;
    let calls = token_endpoint(&server, 3600, Duration::from_millis(200)).await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .expect(20)
        .mount(&server)
        .await;
    let client = oauth_client(&server);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_payment_session("ps_1").await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("session");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one refresh at a time");
}

#[tokio::test]
async fn a_401_on_a_cached_token_refreshes_once() {
    let server = MockServer::start().await;
    let calls = token_endpoint(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .expect(1)
        .mount(&server)
        .await;
    let client = oauth_client(&server);
    client
        .get_payment_session("ps_1")
        .await
        .expect("refreshed and resent");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A second 401 is the answer: no loop.
    let server = MockServer::start().await;
    let calls = token_endpoint(&server, 3600, Duration::ZERO).await;
    Mock::given(method("POST"))
        .and(path("/payment-sessions/ps_1/submit"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let client = oauth_client(&server);
    let submit = submit_request();
    let err = client
        .submit_payment_session("ps_1", submit)
        .await
        .expect_err("still 401");
    assert!(
        matches!(&err, Error::Api(api) if api.status == 401),
        "{err:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_token_request_is_an_error_and_nothing_else_is_sent() {
    let server = MockServer::start().await;
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error":"invalid_client"}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = oauth_client(&server)
        .get_payment_session("ps_1")
        .await
        .expect_err("no token");
    assert!(
        matches!(&err, Error::Api(api) if api.operation == "oauth_token" && api.status == 400),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("oauth-client-secret"));
}

#[tokio::test]
async fn nothing_secret_reaches_debug_or_display() {
    let server = MockServer::start().await;
    let _calls = token_endpoint(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SESSION))
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(422).set_body_string(r#"{"request_id":"r","error_type":"request_invalid","error_codes":["x"],"echo":"sd-secret-value"}"#)).mount(&server).await;
    let oauth = oauth_client(&server);
    let session = oauth.get_payment_session("ps_1").await.expect("session");
    let submit = serde_json::from_value::<types::SubmitPaymentSessionRequest>(
        serde_json::json!({"session_data": "sd-secret-value", "amount": 1}),
    )
    .expect("valid");
    let texts = [
        format!("{session:?}"),
        format!("{:?}", session.value),
        format!("{submit:?}"),
        format!("{oauth:?}"),
        format!("{:?}", secret_key_client(&server)),
        format!(
            "{:?}",
            CheckoutCredentials::SecretKey(SecretString::from(SECRET_KEY))
        ),
        {
            let err = oauth
                .submit_payment_session("ps_1", submit.clone())
                .await
                .expect_err("422");
            format!("{err} {err:?}")
        },
    ];
    for text in &texts {
        for secret in [
            SECRET_KEY,
            "oauth-client-secret",
            "tok-1",
            "pss_9823241e",
            "YmFzZTY0",
            "sd-secret-value",
        ] {
            assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
        }
    }
}

#[test]
fn configuration_is_checked_when_built() {
    let key = |k: &str| CheckoutCredentials::SecretKey(SecretString::from(k));
    let build = |env: CheckoutEnvironment, creds: CheckoutCredentials| {
        CheckoutConfig::builder()
            .environment(env)
            .credentials(creds)
            .build()
    };
    assert!(
        build(
            CheckoutEnvironment::Sandbox {
                prefix: "abcd1234".into()
            },
            key(SECRET_KEY)
        )
        .is_ok()
    );
    let err = build(
        CheckoutEnvironment::Production {
            prefix: "abcd1234".into(),
        },
        key(SECRET_KEY),
    )
    .unwrap_err();
    assert!(err.to_string().contains("sandbox key"), "{err}");
    assert!(
        build(
            CheckoutEnvironment::Sandbox {
                prefix: "ABC!".into()
            },
            key(SECRET_KEY)
        )
        .is_err()
    );
    assert!(
        build(
            CheckoutEnvironment::Sandbox {
                prefix: "abcd1234".into()
            },
            key("pk_sbox_x")
        )
        .is_err()
    );
    assert!(
        build(
            CheckoutEnvironment::Custom {
                base_url: "http://example.com".into(),
                token_url: None
            },
            key(SECRET_KEY)
        )
        .is_err()
    );
    let oauth = CheckoutCredentials::OAuth {
        client_id: "cli_x".into(),
        client_secret: SecretString::from("s"),
    };
    let err = build(
        CheckoutEnvironment::Custom {
            base_url: "https://example.com".into(),
            token_url: None,
        },
        oauth.clone(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("token_url"), "{err}");
    let config = build(
        CheckoutEnvironment::Production {
            prefix: "abcd1234".into(),
        },
        oauth,
    )
    .expect("oauth production");
    assert_eq!(config.base_url(), "https://abcd1234.api.checkout.com");
    assert_eq!(
        config.token_url(),
        Some("https://abcd1234.access.checkout.com/connect/token")
    );
    let env = |pairs: &[(&str, &str)]| {
        let map: std::collections::BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        CheckoutConfig::from_lookup(move |k| map.get(k).cloned())
    };
    let config = env(&[
        ("CHECKOUT_SECRET_KEY", SECRET_KEY),
        ("CHECKOUT_PREFIX", "abcd1234"),
    ])
    .expect("from env");
    assert_eq!(
        config.base_url(),
        "https://abcd1234.api.sandbox.checkout.com"
    );
    assert!(env(&[("CHECKOUT_PREFIX", "abcd1234")]).is_err());
}

/// An application's observer sees each attempt: operation, method, host,
/// status, attempt number, duration and request id; never a header or body.
#[tokio::test]
async fn an_observer_sees_every_attempt() {
    use std::sync::Mutex;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("cko-request-id", "r-1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(SESSION)
                .insert_header("cko-request-id", "r-2"),
        )
        .mount(&server)
        .await;
    type Seen = (
        &'static str,
        &'static str,
        String,
        u32,
        Option<u16>,
        Option<String>,
    );
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let record = seen.clone();
    let client = CheckoutClient::new(
        CheckoutConfig::builder()
            .environment(CheckoutEnvironment::Custom {
                base_url: server.uri(),
                token_url: None,
            })
            .credentials(CheckoutCredentials::SecretKey(SecretString::from(
                SECRET_KEY,
            )))
            .retry(retry())
            .observer(move |a: &payclient::Attempt<'_>| {
                assert!(a.duration < Duration::from_secs(5));
                record.lock().expect("lock").push((
                    a.operation,
                    a.method,
                    a.server_address.to_owned(),
                    a.attempt,
                    a.status,
                    a.request_id.map(str::to_owned),
                ));
            })
            .build()
            .expect("config"),
    )
    .expect("client");
    client
        .get_payment_session("ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn")
        .await
        .expect("retried");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(
        seen,
        [
            (
                "get_payment_session",
                "GET",
                "127.0.0.1".to_owned(),
                1,
                Some(503),
                Some("r-1".to_owned())
            ),
            (
                "get_payment_session",
                "GET",
                "127.0.0.1".to_owned(),
                2,
                Some(200),
                Some("r-2".to_owned())
            ),
        ]
    );
}

#[test]
fn payment_type_takes_the_vendors_values_and_only_those() {
    let session = |payment_type: &str| {
        payclient::request_from_json::<types::CreatePaymentSessionRequest>(serde_json::json!({
            "amount": 1000, "currency": "GBP", "billing": {"address": {"country": "GB"}},
            "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed",
            "payment_type": payment_type
        }))
    };
    // PayLater is in the vendor's definition (checkout-sdk `PaymentType`),
    // not in the product document.
    for known in [
        "Regular",
        "Recurring",
        "MOTO",
        "Installment",
        "PayLater",
        "Unscheduled",
    ] {
        let request = session(known).expect(known);
        let sent = serde_json::to_value(&request).expect("serializes");
        assert_eq!(sent["payment_type"], known);
    }
    // Requests stay strict: a misspelt value names the field.
    let err = session("Paylater").unwrap_err();
    assert_eq!(err.field, "payment_type");
}

#[tokio::test]
async fn complete_creates_and_pays_once_with_the_idempotency_key_and_hides_the_new_secret() {
    use payclient::checkout::FlowCallOptions;
    let server = MockServer::start().await;
    let answer = r#"{"id":"pay_mbabizu24mvu3mela5njyhpit4","status":"Action Required","type":"card","action":{"type":"3ds","url":"https://3ds.example/x","data":{"k":"v"}},"payment_session_id":"ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn","payment_session_secret":"pss_9823241e-2cec-4c98-b23d-7b29ade4d1e2"}"#;
    Mock::given(method("POST"))
        .and(path("/payment-sessions/complete"))
        .and(header("cko-idempotency-key", "order-5023-attempt-1"))
        .and(body_string_contains("\"session_data\":\"s\""))
        .respond_with(ResponseTemplate::new(202).set_body_string(answer))
        .expect(1)
        .mount(&server)
        .await;
    let client = secret_key_client(&server);
    let request: types::CompletePaymentSessionRequest = serde_json::from_value(serde_json::json!({
        "session_data": "s", "amount": 1050, "currency": "GBP", "billing": {"address": {"country": "GB"}},
        "success_url": "https://example.com/ok", "failure_url": "https://example.com/ko"
    }))
    .expect("valid");
    let options = FlowCallOptions::default().idempotency_key("order-5023-attempt-1");
    let outcome = client
        .complete_payment_session(request.clone(), options)
        .await
        .expect("completed");
    let SubmitOutcome::ActionRequired(reply) = &outcome else {
        panic!("expected 202, got {outcome:?}");
    };
    assert_eq!(
        reply.value.payment_session_id.as_deref(),
        Some("ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn")
    );
    assert_eq!(
        reply
            .value
            .payment_session_secret
            .as_ref()
            .map(|s| s.expose().as_str()),
        Some("pss_9823241e-2cec-4c98-b23d-7b29ade4d1e2")
    );
    assert_eq!(reply.value.action.data.len(), 1);
    assert_eq!(
        outcome.raw(),
        answer.as_bytes(),
        "unmodified for handleSubmit"
    );
    let shown = format!("{outcome:?}");
    assert!(!shown.contains("pss_9823241e"), "secret hidden: {shown}");

    // A key that could break its header is refused by name; nothing is sent.
    let bad = FlowCallOptions::default().idempotency_key("a\r\nInjected: 1");
    let e = client
        .complete_payment_session(request.clone(), bad)
        .await
        .expect_err("refused");
    assert!(
        matches!(&e, Error::Validation(v) if v.field == "Cko-Idempotency-Key"),
        "{e}"
    );

    // A 429 (which create would retry) is not retried: a second attempt
    // could charge twice. `expect(1)` is checked when the server drops.
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/payment-sessions/complete"))
        .respond_with(ResponseTemplate::new(429).set_body_string(
            r#"{"request_id":"r","error_type":"too_many_requests","error_codes":[]}"#,
        ))
        .expect(1)
        .mount(&failing)
        .await;
    let e = secret_key_client(&failing)
        .complete_payment_session(request, FlowCallOptions::default())
        .await
        .expect_err("429");
    assert_eq!(e.status(), Some(429));
    assert_eq!(
        failing.received_requests().await.expect("recording").len(),
        1,
        "not retried"
    );
}

#[test]
fn payment_method_lists_name_the_known_methods_and_carry_new_ones() {
    let request: types::CreatePaymentSessionRequest = serde_json::from_value(serde_json::json!({
        "amount": 1000, "currency": "GBP", "billing": {"address": {"country": "GB"}},
        "success_url": "https://example.com/ok", "failure_url": "https://example.com/ko",
        "enabled_payment_methods": ["card", "applepay", "a_method_added_next_year"],
        "disabled_payment_methods": ["p24"]
    }))
    .expect("an unknown method is not refused");
    let enabled = request.enabled_payment_methods.clone().unwrap_or_default();
    assert_eq!(enabled[0], types::PaymentMethod::Card);
    assert_eq!(enabled[1], types::PaymentMethod::Applepay);
    assert_eq!(
        enabled[2],
        types::PaymentMethod::Unknown("a_method_added_next_year".to_owned())
    );
    let sent = serde_json::to_value(&request).expect("json");
    assert_eq!(
        sent["enabled_payment_methods"],
        serde_json::json!(["card", "applepay", "a_method_added_next_year"]),
        "sent as given"
    );
    assert_eq!(sent["disabled_payment_methods"], serde_json::json!(["p24"]));
    // Other request enums stay strict.
    let strict = serde_json::from_value::<types::CreatePaymentSessionRequest>(serde_json::json!({
        "amount": 1000, "currency": "GBP", "billing": {"address": {"country": "GB"}},
        "success_url": "https://example.com/ok", "failure_url": "https://example.com/ko",
        "authorization_type": "Sometimes"
    }));
    assert!(strict.is_err());
}
