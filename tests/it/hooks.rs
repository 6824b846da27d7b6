//! The hook reaches every request of every generated client: a test hook
//! stamps a header, wiremock only answers requests that carry it and the
//! spec's exact media types, and the test calls every operation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use payclient_core::{CallSettings, HookError, Hooks, Operation, Pipeline, ServiceError, Vendor};
use reqwest::header::{HeaderName, HeaderValue};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Counts the requests it sees and stamps each with its operation id.
#[derive(Default)]
struct Stamp {
    prepared: AtomicUsize,
}

struct Stamping(Arc<Stamp>);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl Vendor for Stamping {
    fn name(&self) -> &'static str {
        "test"
    }

    fn request_id_header(&self) -> &HeaderName {
        &REQUEST_ID
    }

    fn authenticate(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        self.0.prepared.fetch_add(1, Ordering::SeqCst);
        let value = HeaderValue::from_str(operation.id).map_err(|_| HookError::new("bad id"))?;
        request.headers_mut().insert("x-payclient-operation", value);
        Ok(())
    }

    fn parse_error(&self, _status: u16, _body: &[u8]) -> ServiceError {
        ServiceError::default()
    }
}

/// Hooks whose pipeline has `vendor`.
fn hooks(vendor: impl Vendor) -> Hooks {
    Hooks::new(Arc::new(Pipeline::new(
        Arc::new(vendor),
        CallSettings::default(),
        "test".to_owned(),
    )))
}

/// Mounts a mock for `(verb, path)` that answers `(status, body)` only when
/// the request carries the operation stamp and the spec's media types.
async fn expect(
    server: &MockServer,
    (verb, url_path): (&str, &str),
    operation: &str,
    content_type: Option<&str>,
    accept: &str,
    (status, body): (u16, &str),
) {
    let mut mock = Mock::given(method(verb))
        .and(path(url_path))
        .and(header("x-payclient-operation", operation))
        .and(header("accept", accept));
    if let Some(content_type) = content_type {
        mock = mock.and(header("content-type", content_type));
    }
    mock.respond_with(
        ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json"),
    )
    .expect(1)
    .mount(server)
    .await;
}

async fn collect(stream: payclient_raw_checkout_flow::ByteStream) -> Vec<u8> {
    use futures::StreamExt as _;
    let mut stream = stream.into_inner();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

#[tokio::test]
async fn every_flex_operation_passes_through_the_hook_with_the_spec_media_types() {
    use payclient_raw_cybersource_flex::{Client, types};
    let server = MockServer::start().await;
    let stamp = Arc::new(Stamp::default());
    let client = Client::new(&server.uri(), hooks(Stamping(stamp.clone())));

    expect(
        &server,
        ("POST", "/flex/v2/sessions"),
        "create_capture_context",
        Some("application/json;charset=utf-8"),
        "application/jwt",
        (201, "a.b.c"),
    )
    .await;
    expect(
        &server,
        ("GET", "/flex/v2/public-keys/zu"),
        "get_public_key",
        None,
        "application/json",
        (
            200,
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB","x5t":"new member"}"#,
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/flex/v2/tokens"))
        .and(header("x-payclient-operation", "create_transient_token"))
        .and(header("content-type", "application/jwt"))
        .and(body_string("h.k.iv.ct.tag"))
        .respond_with(ResponseTemplate::new(201).set_body_string("x.y.z"))
        .expect(1)
        .mount(&server)
        .await;

    let request: types::CaptureContextRequest = serde_json::from_value(
        serde_json::json!({"fields": {"paymentInformation": {"card": {"number": {}}}}}),
    )
    .expect("valid");
    client
        .create_capture_context()
        .body(request)
        .send()
        .await
        .expect("capture context");
    let key = client.get_public_key().kid("zu").send().await.expect("key");
    assert_eq!(
        key.extra
            .get("x5t")
            .map(payclient_core::UnknownMember::value),
        Some(&serde_json::json!("new member")),
        "unknown members are kept"
    );
    client
        .create_transient_token()
        .body("h.k.iv.ct.tag")
        .send()
        .await
        .expect("token");
    // A kid outside the spec's pattern never leaves the process.
    assert!(
        client
            .get_public_key()
            .kid("../../etc")
            .send()
            .await
            .is_err()
    );

    assert_eq!(stamp.prepared.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn every_passkey_operation_passes_through_the_hook() {
    use payclient_raw_cybersource_passkey::Client;
    let server = MockServer::start().await;
    let stamp = Arc::new(Stamp::default());
    let client = Client::new(&server.uri(), hooks(Stamping(stamp.clone())));
    let base = "/tms/v2/tokenized-cards/7010000000016241111";
    let json = Some("application/json;charset=utf-8");
    expect(
        &server,
        ("POST", &format!("{base}/authentication-options")),
        "create_authentication_options",
        json,
        "application/json",
        (200, r#"{"action":"AUTHENTICATION_REGISTRATION"}"#),
    )
    .await;
    expect(
        &server,
        (
            "POST",
            &format!("{base}/authentication-options/one-time-passwords"),
        ),
        "create_one_time_password",
        json,
        "application/json",
        (201, r#"{"maxRequestsAllowed":3}"#),
    )
    .await;
    expect(
        &server,
        ("POST", &format!("{base}/authentication-options/validate")),
        "validate_authentication",
        json,
        "application/json",
        (200, r#"{"action":"AUTHENTICATION_REGISTRATION"}"#),
    )
    .await;
    expect(
        &server,
        ("POST", &format!("{base}/authentication-registrations")),
        "create_authentication_registration",
        json,
        "application/json",
        (200, r#"{"authenticationContext":{"id":"x"}}"#),
    )
    .await;
    expect(
        &server,
        (
            "POST",
            "/tms/v2/tokens/7010000000016241111/payment-credentials",
        ),
        "create_payment_credentials",
        json,
        // The vendor's form (the spec's first media type); the Cybersource
        // vendor asks for JSON instead when it has no key to open a JWE.
        "application/jose;charset=utf-8",
        (200, r#"{"tokenizedCard":{"eci":"05"}}"#),
    )
    .await;

    let token = "7010000000016241111";
    let device = serde_json::json!({"platformType": "WEB", "ipAddress": "104.28.3.217", "httpAcceptContent": "text/html", "httpBrowserLanguage": "en-US", "httpBrowserJavaEnabled": false, "httpBrowserJavaScriptEnabled": true, "httpBrowserColorDepth": "24", "httpBrowserScreenHeight": "1080", "httpBrowserScreenWidth": "1920", "httpBrowserTimeDifference": "420", "userAgentBrowserValue": "UA"});
    let merchant = serde_json::json!({"merchantDescriptor": {"name": "TQ", "url": "aA"}});
    let options = serde_json::json!({"clientCorrelationId": "c", "sessionInformation": {"secureToken": "s"}, "authenticatorRenderMethod": "IFRAME", "orderInformation": {"amountDetails": {"totalAmount": "1.00", "currency": "978"}}, "merchantInformation": merchant, "deviceInformation": device});
    client
        .create_authentication_options()
        .token_id(token)
        .body(
            serde_json::from_value::<
                payclient_raw_cybersource_passkey::types::AuthenticationOptionsRequest,
            >(options)
            .expect("valid"),
        )
        .send()
        .await
        .expect("options");
    let step = serde_json::json!({"clientCorrelationId": "c", "stepUpOption": {"id": "i"}});
    client
        .create_one_time_password()
        .token_id(token)
        .body(
            serde_json::from_value::<
                payclient_raw_cybersource_passkey::types::OneTimePasswordRequest,
            >(step)
            .expect("valid"),
        )
        .send()
        .await
        .expect("otp");
    let validate = serde_json::json!({"clientCorrelationId": "c", "stepUpOption": {"id": "i"}, "otp": "123456"});
    client
        .validate_authentication()
        .token_id(token)
        .body(
            serde_json::from_value::<
                payclient_raw_cybersource_passkey::types::ValidateAuthenticationRequest,
            >(validate)
            .expect("valid"),
        )
        .send()
        .await
        .expect("validate");
    let registration = serde_json::json!({"clientCorrelationId": "c", "sessionInformation": {"secureToken": "s"}, "authenticatorRenderMethod": "IFRAME", "orderInformation": {"amountDetails": {"totalAmount": "1.00", "currency": "978"}, "billTo": {"email": "a@b.c"}}, "merchantInformation": merchant, "deviceInformation": device, "buyerInformation": {"language": "en_US"}});
    client
        .create_authentication_registration()
        .token_id(token)
        .body(
            serde_json::from_value::<
                payclient_raw_cybersource_passkey::types::AuthenticationRegistrationRequest,
            >(registration)
            .expect("valid"),
        )
        .send()
        .await
        .expect("registration");
    let credentials = serde_json::json!({"clientCorrelationId": "c", "transactionType": "ECOM", "orderInformation": {"amountDetails": {"totalAmount": "1.00", "currency": "USD"}, "billTo": {"firstName": "J", "lastName": "S", "email": "a@b.c", "address1": "1", "locality": "A", "administrativeArea": "TX", "postalCode": "7", "country": "US"}}, "merchantInformation": merchant, "authenticatedIdentities": [{"id": "i", "provider": "p", "data": "d", "relyingPartyId": "r"}], "deviceInformation": device});
    client
        .create_payment_credentials()
        .token_id(token)
        .body(
            serde_json::from_value::<
                payclient_raw_cybersource_passkey::types::PaymentCredentialsRequest,
            >(credentials)
            .expect("valid"),
        )
        .send()
        .await
        .expect("credentials");
    assert_eq!(stamp.prepared.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn every_intelligent_commerce_operation_passes_through_the_hook() {
    use payclient_raw_cybersource_intelligent_commerce::{Client, types};
    let server = MockServer::start().await;
    let stamp = Arc::new(Stamp::default());
    // The path prefix is the base URL's path (the spec's servers).
    let client = Client::new(
        &format!("{}/icc/v1", server.uri()),
        hooks(Stamping(stamp.clone())),
    );
    let json = Some("application/json;charset=utf-8");
    // The vendor's framing of answers (AgentCapabilitiesApi).
    let hal = "application/hal+json;charset=utf-8";
    let id = "1-5C8B";
    let answer = r#"{"clientCorrelationId":"c","instructionId":"1-5C8B"}"#;
    expect(
        &server,
        ("POST", "/icc/v1/tokens"),
        "enroll_card",
        json,
        hal,
        (
            202,
            r#"{"status":"PENDING","pendingEvents":["PENDING_CARDHOLDER_AUTHENTICATION"]}"#,
        ),
    )
    .await;
    expect(
        &server,
        ("POST", "/icc/v1/instructions"),
        "initiate_purchase_intent",
        json,
        hal,
        (200, answer),
    )
    .await;
    expect(
        &server,
        ("PUT", "/icc/v1/instructions/1-5C8B"),
        "update_purchase_intent",
        json,
        hal,
        (200, answer),
    )
    .await;
    expect(
        &server,
        ("PUT", "/icc/v1/instructions/1-5C8B/cancel"),
        "cancel_purchase_intent",
        json,
        hal,
        (200, answer),
    )
    .await;
    expect(
        &server,
        ("POST", "/icc/v1/instructions/1-5C8B/credentials"),
        "retrieve_payment_credentials",
        json,
        hal,
        (
            200,
            r#"{"status":"COMPLETED","authorization":"t","signedPayload":"a.b.c"}"#,
        ),
    )
    .await;
    expect(
        &server,
        ("POST", "/icc/v1/instructions/1-5C8B/confirmations"),
        "confirm_transaction_events",
        json,
        hal,
        (202, r#"{"clientCorrelationId":"c"}"#),
    )
    .await;

    let device = serde_json::json!({"applicationName": "app", "fingerprintSessionId": "f", "deviceData": {"type": "Mobile", "brand": "Apple"}, "ipAddress": "192.0.2.1"});
    let payment = serde_json::json!({"customer": {"id": ""}, "paymentInstrument": {"id": ""}, "instrumentIdentifier": {"id": "701"}});
    let assurance = serde_json::json!([{"verificationMethod": "02", "verificationResults": "01", "verificationTimestamp": "1735690745", "authenticatedIdentities": {"id": "f"}}]);
    let mandates = serde_json::json!([{"mandateId": "m", "declineThreshold": {"amount": "100.00", "currencyCode": "USD"}, "effectiveUntilTime": "1795690745", "description": "d"}]);
    let enroll = serde_json::json!({"clientCorrelationId": "c", "deviceInformation": device, "buyerInformation": {}, "billTo": {"country": "US", "countryCallingCode": "1", "phoneNumber": "5551234567"}, "consumerIdentity": {"identityType": "EMAIL_ADDRESS", "identityValue": "a@b.c"}, "paymentInformation": payment});
    let status = client
        .enroll_card()
        .body(serde_json::from_value::<types::EnrollCardRequest>(enroll).expect("valid"))
        .send()
        .await
        .expect("enroll")
        .into_inner()
        .status;
    assert_eq!(status, Some(types::EnrollCardResponseStatus::Pending));
    let initiate = serde_json::json!({"clientCorrelationId": "c", "paymentInformation": payment, "deviceInformation": device, "assuranceData": assurance, "mandates": mandates});
    client
        .initiate_purchase_intent()
        .body(
            serde_json::from_value::<types::InitiatePurchaseIntentRequest>(initiate)
                .expect("valid"),
        )
        .send()
        .await
        .expect("initiate");
    let update = serde_json::json!({"clientCorrelationId": "c", "paymentInformation": {"instrumentIdentifier": {"id": "701"}}, "deviceInformation": device, "assuranceData": assurance, "mandates": mandates});
    client
        .update_purchase_intent()
        .instruction_id(id)
        .body(serde_json::from_value::<types::UpdatePurchaseIntentRequest>(update).expect("valid"))
        .send()
        .await
        .expect("update");
    let cancel = serde_json::json!({"clientCorrelationId": "c", "deviceInformation": device, "assuranceData": assurance});
    client
        .cancel_purchase_intent()
        .instruction_id(id)
        .body(serde_json::from_value::<types::CancelPurchaseIntentRequest>(cancel).expect("valid"))
        .send()
        .await
        .expect("cancel");
    let data = serde_json::json!([{"clientReferenceInformation": {"code": "r"}, "orderInformation": {"amountDetail": {"totalAmount": "10.00", "currency": "USD"}}, "merchantInformation": {"merchantName": "M", "merchantDescriptor": {"country": "US", "url": "https://m.example"}}}]);
    let credentials = serde_json::json!({"clientCorrelationId": "c", "paymentInformation": {"instrumentIdentifier": {"id": "701"}}, "transactionData": data});
    let signed = client
        .retrieve_payment_credentials()
        .instruction_id(id)
        .body(
            serde_json::from_value::<types::RetrievePaymentCredentialsRequest>(credentials)
                .expect("valid"),
        )
        .send()
        .await
        .expect("credentials")
        .into_inner()
        .signed_payload;
    assert_eq!(signed.as_ref().map(|s| s.expose().as_str()), Some("a.b.c"));
    let events = serde_json::json!([{"clientReferenceInformation": {"code": "r"}, "processorInformation": {"transactionType": "PURCHASE", "transactionStatus": "APPROVED"}}]);
    let confirm = serde_json::json!({"clientCorrelationId": "c", "paymentInformation": {"instrumentIdentifier": {"id": "701"}}, "confirmationData": events});
    let confirmed = client
        .confirm_transaction_events()
        .instruction_id(id)
        .body(
            serde_json::from_value::<types::ConfirmTransactionEventsRequest>(confirm)
                .expect("valid"),
        )
        .send()
        .await
        .expect("confirm")
        .into_inner()
        .client_correlation_id;
    assert_eq!(confirmed.as_deref(), Some("c"));
    assert_eq!(stamp.prepared.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn every_checkout_operation_passes_through_the_hook_and_mixed_bodies_arrive_raw() {
    use payclient_raw_checkout_flow::{Client, types};
    let server = MockServer::start().await;
    let stamp = Arc::new(Stamp::default());
    let client = Client::new(&server.uri(), hooks(Stamping(stamp.clone())));
    let session =
        r#"{"id":"ps_1","payment_session_secret":"pss_x","_links":{"self":{"href":"h"}}}"#;
    expect(
        &server,
        ("POST", "/payment-sessions"),
        "create_payment_session",
        Some("application/json"),
        "application/json",
        (201, session),
    )
    .await;
    let action = r#"{"id":"pay_1","status":"Action Required","type":"card","action":{"type":"3ds","url":"u"}}"#;
    expect(
        &server,
        ("POST", "/payment-sessions/ps_1/submit"),
        "submit_payment_session",
        Some("application/json"),
        "application/json",
        (202, action),
    )
    .await;
    expect(
        &server,
        ("GET", "/payment-sessions/ps_1"),
        "get_payment_session",
        None,
        "application/json",
        (200, session),
    )
    .await;

    let create = serde_json::json!({"amount": 0, "currency": "GBP", "billing": {"address": {"country": "GB"}}, "success_url": "https://a", "failure_url": "https://b"});
    let created = client
        .create_payment_session()
        .body(serde_json::from_value::<types::CreatePaymentSessionRequest>(create).expect("valid"))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(
        collect(created.into_inner()).await,
        session.as_bytes(),
        "verbatim body"
    );
    let submit = serde_json::json!({"session_data": "sd", "amount": 0});
    let submitted = client
        .submit_payment_session()
        .id("ps_1")
        .body(serde_json::from_value::<types::SubmitPaymentSessionRequest>(submit).expect("valid"))
        .send()
        .await
        .expect("submit");
    assert_eq!(submitted.status().as_u16(), 202);
    // 201 and 202 have different bodies, so the generated client hands back
    // the exact bytes (Flow needs them unmodified).
    assert_eq!(collect(submitted.into_inner()).await, action.as_bytes());
    client
        .get_payment_session()
        .id("ps_1")
        .send()
        .await
        .expect("get");
    assert_eq!(stamp.prepared.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_hook_refusal_stops_the_request_before_it_is_sent() {
    struct Refuse;
    impl Vendor for Refuse {
        fn name(&self) -> &'static str {
            "refusing"
        }
        fn request_id_header(&self) -> &HeaderName {
            &REQUEST_ID
        }
        fn authenticate(
            &self,
            _operation: &'static Operation,
            _request: &mut reqwest::Request,
        ) -> Result<(), HookError> {
            Err(HookError::new("message-level encryption is mandatory"))
        }
        fn parse_error(&self, _status: u16, _body: &[u8]) -> ServiceError {
            ServiceError::default()
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = payclient_raw_checkout_flow::Client::new(&server.uri(), hooks(Refuse));
    let Err(err) = client.get_payment_session().id("ps_1").send().await else {
        panic!("the hook refused the request");
    };
    assert!(
        err.to_string()
            .contains("message-level encryption is mandatory"),
        "{err}"
    );
}

#[tokio::test]
async fn a_raw_client_without_a_pipeline_still_caps_what_it_reads() {
    use payclient_raw_checkout_flow::Client;
    let server = MockServer::start().await;
    let limits = payclient_core::ResponseLimits::default();
    let oversized = vec![b' '; usize::try_from(limits.success).expect("fits") + 1];
    Mock::given(method("GET"))
        .and(path("/payment-sessions/ps_big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(oversized))
        .mount(&server)
        .await;
    let within = r#"{"id":"ps_small"}"#;
    Mock::given(method("GET"))
        .and(path("/payment-sessions/ps_small"))
        .respond_with(ResponseTemplate::new(200).set_body_string(within))
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), Hooks::none());

    let small = client
        .get_payment_session()
        .id("ps_small")
        .send()
        .await
        .expect("answered");
    assert_eq!(collect(small.into_inner()).await, within.as_bytes());

    let big = client
        .get_payment_session()
        .id("ps_big")
        .send()
        .await
        .expect("answered");
    let mut stream = big.into_inner().into_inner();
    let mut read = 0usize;
    let mut failed = None;
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        match chunk {
            Ok(bytes) => read += bytes.len(),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let error = failed.expect("the read stops at the limit");
    assert!(
        read as u64 <= limits.success,
        "{read} bytes read past the limit"
    );
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    let mut messages = Vec::new();
    while let Some(e) = source {
        messages.push(e.to_string());
        source = e.source();
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&format!("larger than {} bytes", limits.success))),
        "{messages:?}"
    );
}

/// Records every request and answers `status` with `body`.
async fn recording(status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_raw(body.as_bytes().to_vec(), "application/json"),
        )
        .mount(&server)
        .await;
    server
}

/// The last two requests `server` received, which must be the same request:
/// method, path and query, every header, and body byte for byte.
async fn assert_last_two_alike(server: &MockServer, what: &str) {
    let received = server.received_requests().await.expect("recorded");
    let [.., builder, direct] = received.as_slice() else {
        panic!("{what}: two requests expected, got {}", received.len());
    };
    assert_eq!(builder.method, direct.method, "{what}");
    assert_eq!(builder.url, direct.url, "{what}");
    assert_eq!(builder.body, direct.body, "{what}");
    let headers = |r: &wiremock::Request| {
        let mut all: Vec<(String, Vec<u8>)> = r
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect();
        all.sort();
        all
    };
    assert_eq!(headers(builder), headers(direct), "{what}");
}

/// What payclient sends (the generated `calls`, built directly) is what a
/// progenitor builder with the same values sends: path parameters encoded,
/// header parameters, JSON and raw bodies, the spec's media types, the hook.
#[tokio::test]
async fn a_direct_call_sends_what_its_builder_sends() {
    use payclient_core::Call as _;

    // Checkout: a path parameter, a header parameter and a JSON body.
    {
        use payclient_raw_checkout_flow::{Client, calls, types};
        let server = recording(201, "{}").await;
        let client = Client::new(&server.uri(), hooks(Stamping(Arc::default())));
        let id: types::SubmitPaymentSessionId =
            "ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn".parse().expect("id");
        let key: types::SubmitPaymentSessionCkoIdempotencyKey =
            "order-42:attempt.1".parse().expect("key");
        let body: types::SubmitPaymentSessionRequest = serde_json::from_value(
            serde_json::json!({"session_data": "sd", "amount": 1050, "reference": "ORD-1"}),
        )
        .expect("valid");
        let built = client
            .submit_payment_session()
            .id(id.clone())
            .cko_idempotency_key(key.clone())
            .body(body.clone())
            .send()
            .await
            .expect("builder");
        let direct = calls::SubmitPaymentSession {
            client: &client,
            id: &id,
            cko_idempotency_key: Some(&key),
            body: &body,
        }
        .send()
        .await
        .expect("direct");
        assert_eq!(built.status(), direct.status());
        assert_last_two_alike(&server, "submit_payment_session").await;
        let sent = server.received_requests().await.expect("recorded");
        assert_eq!(
            sent.last()
                .and_then(|r| r.headers.get("cko-idempotency-key")),
            Some(&HeaderValue::from_static("order-42:attempt.1"))
        );
        // Without the optional header, it is not sent at all.
        calls::SubmitPaymentSession {
            client: &client,
            id: &id,
            cko_idempotency_key: None,
            body: &body,
        }
        .send()
        .await
        .expect("direct");
        let sent = server.received_requests().await.expect("recorded");
        assert!(
            sent.last()
                .is_some_and(|r| r.headers.get("cko-idempotency-key").is_none())
        );

        let server = recording(200, r#"{"id":"ps_1"}"#).await;
        let client = Client::new(&server.uri(), hooks(Stamping(Arc::default())));
        let id: types::GetPaymentSessionId = "ps_1".parse().expect("id");
        let built = client
            .get_payment_session()
            .id(id.clone())
            .send()
            .await
            .expect("builder");
        let direct = calls::GetPaymentSession {
            client: &client,
            id: &id,
        }
        .send()
        .await
        .expect("direct");
        assert_last_two_alike(&server, "get_payment_session").await;
        assert_eq!(
            collect(built.into_inner()).await,
            collect(direct.into_inner()).await
        );
    }

    // Flex: a raw body and a path parameter, answers decoded as the builder decodes them.
    {
        use payclient_raw_cybersource_flex::{Client, calls, types};
        let server = recording(201, "x.y.z").await;
        let client = Client::new(&server.uri(), hooks(Stamping(Arc::default())));
        client
            .create_transient_token()
            .body("h.k.iv.ct.tag")
            .send()
            .await
            .expect("builder");
        calls::CreateTransientToken {
            client: &client,
            body: b"h.k.iv.ct.tag",
        }
        .send()
        .await
        .expect("direct");
        assert_last_two_alike(&server, "create_transient_token").await;

        let server = recording(200, r#"{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"zu"}"#).await;
        let client = Client::new(&server.uri(), hooks(Stamping(Arc::default())));
        let kid: types::GetPublicKeyKid = "zu".parse().expect("kid");
        let built = client
            .get_public_key()
            .kid(kid.clone())
            .send()
            .await
            .expect("builder");
        let direct = calls::GetPublicKey {
            client: &client,
            kid: &kid,
        }
        .send()
        .await
        .expect("direct");
        assert_last_two_alike(&server, "get_public_key").await;
        assert_eq!(built.into_inner().kid, direct.into_inner().kid);
    }

    // Passkey: the optional `profile-id` header.
    {
        use payclient_raw_cybersource_passkey::{Client, calls, types};
        let server = recording(201, "{}").await;
        let client = Client::new(&server.uri(), hooks(Stamping(Arc::default())));
        let token: types::CreatePaymentCredentialsTokenId =
            "7020000000010603216".parse().expect("token");
        let profile: types::CreatePaymentCredentialsProfileId =
            "93B32398-AD51-4CC2-A682-EA3E93614EB1"
                .parse()
                .expect("profile");
        let device = serde_json::json!({"platformType": "WEB", "ipAddress": "104.28.3.217", "httpAcceptContent": "text/html", "httpBrowserLanguage": "en-US", "httpBrowserJavaEnabled": false, "httpBrowserJavaScriptEnabled": true, "httpBrowserColorDepth": "24", "httpBrowserScreenHeight": "1080", "httpBrowserScreenWidth": "1920", "httpBrowserTimeDifference": "420", "userAgentBrowserValue": "UA"});
        let merchant = serde_json::json!({"merchantDescriptor": {"name": "TQ", "url": "aA"}});
        let body: types::PaymentCredentialsRequest = serde_json::from_value(serde_json::json!({"clientCorrelationId": "c", "transactionType": "ECOM", "orderInformation": {"amountDetails": {"totalAmount": "1.00", "currency": "USD"}, "billTo": {"firstName": "J", "lastName": "S", "email": "a@b.c", "address1": "1", "locality": "A", "administrativeArea": "TX", "postalCode": "7", "country": "US"}}, "merchantInformation": merchant, "authenticatedIdentities": [{"id": "i", "provider": "p", "data": "d", "relyingPartyId": "r"}], "deviceInformation": device}))
        .expect("valid");
        client
            .create_payment_credentials()
            .token_id(token.clone())
            .profile_id(profile.clone())
            .body(body.clone())
            .send()
            .await
            .expect("builder");
        calls::CreatePaymentCredentials {
            client: &client,
            token_id: &token,
            profile_id: Some(&profile),
            body: &body,
        }
        .send()
        .await
        .expect("direct");
        assert_last_two_alike(&server, "create_payment_credentials").await;
    }
}
