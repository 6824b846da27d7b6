//! The Cybersource transport on the wire: signatures the test recomputes,
//! JWT claims, MLE round trip, error shapes, retry decisions, re-signing
//! per attempt and redaction.

use std::time::{Duration, Instant};

use crate::support::*;
use payclient::cybersource::CybersourceErrorBody;
use payclient::cybersource::{Authentication, CybersourceConfig};
use payclient::{ConfigError, Error, TransportErrorKind};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn capture_request() -> payclient::flex::raw::types::CaptureContextRequest {
    serde_json::from_value(serde_json::json!({"fields": {"paymentInformation": {"card": {"number": {}, "securityCode": {"required": false}}}}}))
        .expect("valid request")
}

#[tokio::test]
async fn a_flex_call_carries_a_signature_the_test_recomputes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/flex/v2/sessions"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_string("h.p.s")
                .insert_header("v-c-correlation-id", "corr-1"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::HttpSignature);
    let flex = client.flex();
    let reply = client
        .run_bytes(|| flex.create_capture_context().body(capture_request()))
        .await
        .expect("capture context");
    assert_eq!(&reply.value[..], b"h.p.s");
    assert_eq!(reply.request_id.as_deref(), Some("corr-1"));
    assert_eq!(reply.attempts, 1);

    let received = server.received_requests().await.expect("recording");
    let request = &received[0];
    check_http_signature(request);
    let h = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    assert_eq!(
        h("host").as_deref(),
        Some(HOST),
        "the vendor host is signed and sent"
    );
    assert_eq!(h("v-c-merchant-id").as_deref(), Some(MERCHANT));
    assert_eq!(
        h("content-type").as_deref(),
        Some("application/json;charset=utf-8")
    );
    assert_eq!(h("accept").as_deref(), Some("application/jwt"));
    assert!(
        h("user-agent")
            .expect("user agent")
            .starts_with("payclient/")
    );
    assert!(httpdate::parse_http_date(&h("date").expect("date")).is_ok());
}

#[tokio::test]
async fn unauthenticated_operations_carry_no_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/flex/v2/public-keys/zu"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})),
        )
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::HttpSignature);
    let flex = client.flex();
    let key = client
        .run(|| flex.get_public_key().kid("zu"))
        .await
        .expect("key");
    assert_eq!(key.value.kty, "RSA");
    let received = server.received_requests().await.expect("recording");
    // `security: []` in the spec: no signature, token or merchant id.
    for name in ["signature", "authorization", "digest", "v-c-merchant-id"] {
        assert!(received[0].headers.get(name).is_none(), "{name} sent");
    }
    assert!(
        received[0]
            .headers
            .get("user-agent")
            .expect("ua")
            .to_str()
            .expect("ascii")
            .starts_with("payclient/")
    );
}

#[tokio::test]
async fn jwt_shared_secret_carries_the_vendor_claims() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_string("a.b.c"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})),
        )
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::JwtSharedSecret);
    let flex = client.flex();
    client
        .run_bytes(|| flex.create_capture_context().body(capture_request()))
        .await
        .expect("post");
    client
        .run(|| flex.get_public_key().kid("zu"))
        .await
        .expect("get");

    let received = server.received_requests().await.expect("recording");
    let post = check_hs256_jwt(&received[0]);
    let digest = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        <sha2::Sha256 as sha2::Digest>::digest(&received[0].body),
    );
    assert_eq!(post["digest"], digest.as_str());
    assert_eq!(post["digestAlgorithm"], "SHA-256");
    assert_eq!(post["request-method"], "POST");
    assert_eq!(post["request-host"], HOST);
    assert_eq!(post["request-resource-path"], "/flex/v2/sessions");
    assert_eq!(post["iss"], MERCHANT);
    assert_eq!(post["v-c-merchant-id"], MERCHANT);
    assert_eq!(post["v-c-jwt-version"], "2");
    assert_eq!(
        post["exp"].as_i64().expect("exp") - post["iat"].as_i64().expect("iat"),
        120
    );
    assert!(uuid::Uuid::parse_str(post["jti"].as_str().expect("jti")).is_ok());
    assert!(received[0].headers.get("signature").is_none());

    // The key fetch is unauthenticated (`security: []`): no JWT at all.
    assert!(received[1].headers.get("authorization").is_none());
}

/// A valid one-time-password request (a state-changing Passkey POST).
fn otp_request() -> payclient::passkey::raw::types::OneTimePasswordRequest {
    serde_json::from_value(
        serde_json::json!({"clientCorrelationId": "c", "stepUpOption": {"id": "i"}}),
    )
    .expect("valid")
}

fn enroll_request() -> payclient::intelligent_commerce::raw::types::EnrollCardRequest {
    serde_json::from_value(serde_json::json!({
        "clientCorrelationId": "3e1b7943-6567-4965-a32b-5aa93d057d35",
        "deviceInformation": {"applicationName": "app", "fingerprintSessionId": "f", "deviceData": {"type": "Mobile", "brand": "Apple"}, "ipAddress": "192.0.2.1"},
        "buyerInformation": {},
        "billTo": {"country": "US", "countryCallingCode": "1", "phoneNumber": "5551234567"},
        "consumerIdentity": {"identityType": "EMAIL_ADDRESS", "identityValue": "john.doe@example.com"},
        "paymentInformation": {"customer": {"id": "c"}, "paymentInstrument": {"id": "p"}, "instrumentIdentifier": {"id": "3C189A435506B99AE0634136CF0AEB92"}}
    }))
    .expect("valid enroll request")
}

#[tokio::test]
async fn mle_encrypts_mandatory_operations_and_the_server_can_decrypt() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/icc/v1/tokens"))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"status": "PENDING", "pendingEvents": ["PENDING_CARDHOLDER_AUTHENTICATION"]})))
        .expect(1).mount(&server).await;
    let mle = certificate("SJC-MLE-0001");
    let config = builder(&server.uri(), Authentication::JwtSharedSecret)
        .mle_certificate(mle.pem.clone().into_bytes())
        .build()
        .expect("config");
    let client = payclient::cybersource::CybersourceClient::new(config);
    let icc = client.intelligent_commerce();
    let reply = client
        .run(|| icc.enroll_card().body(enroll_request()))
        .await
        .expect("enrolled");
    assert_eq!(reply.status, 202);
    assert_eq!(
        reply.value.status.as_ref().map(|s| s.as_str()),
        Some("PENDING")
    );

    let received = server.received_requests().await.expect("recording");
    let body: serde_json::Value = serde_json::from_slice(&received[0].body).expect("json body");
    let object = body.as_object().expect("object");
    assert_eq!(object.len(), 1, "only encryptedRequest is sent");
    let jwe = body["encryptedRequest"].as_str().expect("encryptedRequest");
    assert!(
        !String::from_utf8_lossy(&received[0].body).contains("5551234567"),
        "no plaintext on the wire"
    );
    let (header, plaintext) = decrypt_jwe(jwe, &mle.private);
    assert_eq!(header["alg"], "RSA-OAEP-256");
    assert_eq!(header["enc"], "A256GCM");
    assert_eq!(header["cty"], "JWT");
    assert_eq!(header["kid"], "SJC-MLE-0001");
    assert!(header["iat"].as_i64().is_some());
    let decrypted: serde_json::Value = serde_json::from_slice(&plaintext).expect("json plaintext");
    assert_eq!(
        decrypted,
        serde_json::to_value(enroll_request()).expect("json")
    );
    // The JWT's digest covers the encrypted body, as sent.
    let claims = check_hs256_jwt(&received[0]);
    let digest = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        <sha2::Sha256 as sha2::Digest>::digest(&received[0].body),
    );
    assert_eq!(claims["digest"], digest.as_str());
}

#[tokio::test]
async fn mandatory_mle_under_http_signature_is_a_configuration_error_and_nothing_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::HttpSignature);
    let icc = client.intelligent_commerce();
    let err = client
        .run(|| icc.enroll_card().body(enroll_request()))
        .await
        .expect_err("refused");
    match &err {
        Error::Configuration(ConfigError::Operation { operation, reason }) => {
            assert_eq!(operation, "enroll_card");
            assert!(
                reason.contains("HTTP Signature cannot carry it"),
                "{reason}"
            );
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    // Turning MLE off for the operation explicitly sends it in the clear.
    let opted_out = payclient::cybersource::CybersourceClient::new(
        builder(&server.uri(), Authentication::HttpSignature)
            .mle_for_operation(
                &payclient::intelligent_commerce::operations::ENROLL_CARD,
                false,
            )
            .build()
            .expect("config"),
    );
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "ACTIVE"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let icc = opted_out.intelligent_commerce();
    opted_out
        .run(|| icc.enroll_card().body(enroll_request()))
        .await
        .expect("sent in the clear");
}

#[tokio::test]
async fn jwt_without_an_mle_certificate_refuses_mandatory_operations() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::JwtSharedSecret);
    let icc = client.intelligent_commerce();
    let err = client
        .run(|| icc.enroll_card().body(enroll_request()))
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("no MLE certificate is configured"),
        "{err}"
    );
}

#[cfg(feature = "p12")]
#[tokio::test]
async fn rs256_jwt_from_a_p12_file_verifies_and_carries_its_mle_certificate() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "ACTIVE"})),
        )
        .mount(&server)
        .await;
    let signing = certificate("MERCHANT-CERT-42");
    let mle = certificate("SJC-MLE-0002");
    let p12 = p12(&signing, Some(&mle), "changeit");
    let config = builder(
        &server.uri(),
        Authentication::JwtCertificate {
            p12,
            password: SecretString::from("changeit"),
        },
    )
    .build()
    .expect("config");
    let client = payclient::cybersource::CybersourceClient::new(config);
    let icc = client.intelligent_commerce();
    client
        .run(|| icc.enroll_card().body(enroll_request()))
        .await
        .expect("enrolled");

    let received = server.received_requests().await.expect("recording");
    let token = received[0]
        .headers
        .get("authorization")
        .expect("auth")
        .to_str()
        .expect("ascii")
        .strip_prefix("Bearer ")
        .expect("bearer")
        .to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0])
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], "MERCHANT-CERT-42");
    let (_, cert) = x509_parser::parse_x509_certificate(&signing.der).expect("cert");
    let public = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        cert.public_key().subject_public_key.data.to_vec(),
    );
    let signature =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[2])
            .expect("b64");
    public
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("RS256 verifies with the certificate's key");
    // The P12's CyberSource_SJC_US certificate encrypted the mandatory-MLE body.
    let body: serde_json::Value = serde_json::from_slice(&received[0].body).expect("json");
    let (jwe_header, _) = decrypt_jwe(
        body["encryptedRequest"].as_str().expect("encrypted"),
        &mle.private,
    );
    assert_eq!(jwe_header["kid"], "SJC-MLE-0002");
}

async fn error_for(status: u16, body: &str, operation_path: &str) -> Error {
    let server = MockServer::start().await;
    Mock::given(path(operation_path))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_string(body)
                .insert_header("v-c-correlation-id", "corr-err"),
        )
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::HttpSignature);
    let flex = client.flex();
    client
        .run_bytes(|| flex.create_capture_context().body(capture_request()))
        .await
        .expect_err("error status")
}

#[tokio::test]
async fn each_vendor_error_shape_is_parsed_and_the_raw_body_kept() {
    let standard = r#"{"submitTimeUtc":"2026-11-22T10:00:00Z","status":"INVALID_REQUEST","reason":"MISSING_FIELD","message":"Declined","details":[{"field":"fields","reason":"MISSING_FIELD"}]}"#;
    let err = error_for(400, standard, "/flex/v2/sessions").await;
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.request_id.as_deref(), Some("corr-err"));
    assert!(
        matches!(api.vendor_body::<CybersourceErrorBody>(), Some(CybersourceErrorBody::Standard { reason: Some(r), .. }) if r == "MISSING_FIELD")
    );
    assert_eq!(api.raw_body(), standard.as_bytes());
    assert_eq!(err.request_id(), Some("corr-err"));
    assert!(
        err.to_string()
            .contains("INVALID_REQUEST MISSING_FIELD [fields]"),
        "{err}"
    );
    assert!(api.authentication.is_none(), "what was signed only on 401");
    assert_eq!(api.code.as_deref(), Some("MISSING_FIELD"));

    let tms = r#"{"errors":[{"type":"invalidFields","message":"m","details":[{"name":"tokenId","location":"path"}]}]}"#;
    let Error::Api(api) = error_for(400, tms, "/flex/v2/sessions").await else {
        panic!()
    };
    assert!(
        matches!(api.vendor_body::<CybersourceErrorBody>(), Some(CybersourceErrorBody::Tms { errors }) if errors[0].kind.as_deref() == Some("invalidFields"))
    );

    let agentic = r#"{"error":{"status":"INVALID_REQUEST","reason":"INVALID_DATA","message":"m","detail":{"reason":"r","source":"mandates[0].declineThreshold","sourceType":"BODY","message":"m"}}}"#;
    let Error::Api(api) = error_for(400, agentic, "/flex/v2/sessions").await else {
        panic!()
    };
    assert!(
        matches!(api.vendor_body::<CybersourceErrorBody>(), Some(CybersourceErrorBody::Agentic { detail: Some(d), .. }) if d.source.as_deref() == Some("mandates[0].declineThreshold"))
    );

    let Error::Api(api) = error_for(502, "", "/flex/v2/sessions").await else {
        panic!()
    };
    assert!(api.vendor_body::<CybersourceErrorBody>().is_none());
    assert_eq!(api.code, None);
    assert_eq!(api.status, 502);
}

#[tokio::test]
async fn an_authentication_failure_says_what_was_signed_but_no_secret() {
    let err = error_for(
        401,
        r#"{"response":{"rmsg":"Authentication Failed"}}"#,
        "/flex/v2/sessions",
    )
    .await;
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        api.vendor_body::<CybersourceErrorBody>(),
        Some(&CybersourceErrorBody::AuthenticationFailed {
            rmsg: "Authentication Failed".into()
        })
    );
    let signed = api
        .authentication
        .as_deref()
        .expect("what was signed, on a 401");
    for part in [
        format!("host `{HOST}`"),
        "request-target `post /flex/v2/sessions`".to_owned(),
        format!("merchant id `{MERCHANT}`"),
    ] {
        assert!(signed.contains(&part), "{part} missing from {signed}");
    }
    let text = err.to_string();
    for needle in [
        "Authentication Failed",
        "apitest.cybersource.com",
        "post /flex/v2/sessions",
        "SHA-256=",
        "test_merchant",
        "host date request-target digest v-c-merchant-id",
    ] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
    assert!(
        !text.contains(SECRET_B64) && !text.contains("signature=\""),
        "{text}"
    );
}

#[tokio::test]
async fn a_state_changing_post_is_not_retried_on_503_but_a_safe_one_is_and_resigned() {
    let server = MockServer::start().await;
    Mock::given(path(
        "/tms/v2/tokenized-cards/701/authentication-options/one-time-passwords",
    ))
    .respond_with(ResponseTemplate::new(503))
    .expect(1)
    .mount(&server)
    .await;
    // Capture-context creation is declared safe to repeat in the spec.
    Mock::given(path("/flex/v2/sessions"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/flex/v2/sessions"))
        .respond_with(ResponseTemplate::new(201).set_body_string("a.b.c"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::JwtSharedSecret);
    let passkey = client.passkey();
    let body = otp_request();
    let err = client
        .run(|| {
            passkey
                .create_one_time_password()
                .token_id("701")
                .body(body.clone())
        })
        .await
        .expect_err("503");
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((api.status, api.attempts), (503, 1));

    let flex = client.flex();
    let reply = client
        .run_bytes(|| flex.create_capture_context().body(capture_request()))
        .await
        .expect("third attempt succeeds");
    assert_eq!(reply.attempts, 3);
    // Every attempt was signed afresh: three different jti values.
    let received = server.received_requests().await.expect("recording");
    let jtis: std::collections::BTreeSet<String> = received
        .iter()
        .filter(|r| r.url.path() == "/flex/v2/sessions")
        .map(|r| check_hs256_jwt(r)["jti"].as_str().expect("jti").to_owned())
        .collect();
    assert_eq!(jtis.len(), 3);
}

#[tokio::test]
async fn a_429_is_retried_for_any_operation_honouring_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"maxRequestsAllowed": 3})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::HttpSignature);
    let passkey = client.passkey();
    let body = otp_request();
    let started = Instant::now();
    let reply = client
        .run(|| {
            passkey
                .create_one_time_password()
                .token_id("701")
                .body(body.clone())
        })
        .await
        .expect("retried");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(reply.attempts, 2);
    assert_eq!(reply.value.max_requests_allowed, Some(3));
    let received = server.received_requests().await.expect("recording");
    received.iter().for_each(check_http_signature);
    assert_ne!(received[0].headers.get("date"), None);
}

#[tokio::test]
async fn a_connect_failure_is_retried_even_for_a_post() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let address = listener.local_addr().expect("addr");
    drop(listener);
    let client = client(&format!("http://{address}"), Authentication::HttpSignature);
    let passkey = client.passkey();
    let body = otp_request();
    let err = client
        .run(|| {
            passkey
                .create_one_time_password()
                .token_id("701")
                .body(body.clone())
        })
        .await
        .expect_err("nothing listens");
    let Error::Transport(transport) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(transport.kind, TransportErrorKind::Connect);
    assert_eq!(transport.attempts, 3);
}

#[tokio::test]
async fn a_timed_out_post_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
        .expect(1)
        .mount(&server)
        .await;
    let config = builder(&server.uri(), Authentication::HttpSignature)
        .request_timeout(Duration::from_millis(150))
        .build()
        .expect("config");
    let client = payclient::cybersource::CybersourceClient::new(config);
    let passkey = client.passkey();
    let body = otp_request();
    let err = client
        .run(|| {
            passkey
                .create_one_time_password()
                .token_id("701")
                .body(body.clone())
        })
        .await
        .expect_err("timeout");
    let Error::Transport(transport) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (transport.kind, transport.attempts),
        (TransportErrorKind::Timeout, 1)
    );
}

#[tokio::test]
async fn a_request_outside_the_spec_is_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server.uri(), Authentication::HttpSignature);
    let flex = client.flex();
    let err = client
        .run(|| flex.get_public_key().kid("../../admin"))
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
}

#[test]
fn misconfiguration_is_an_error_when_the_configuration_is_built() {
    let base = || {
        builder(
            "https://apitest.cybersource.com",
            Authentication::HttpSignature,
        )
    };
    let field_of = |e: ConfigError| match e {
        ConfigError::Invalid { field, .. } | ConfigError::Missing { field } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(
            base()
                .shared_secret(SecretString::from("not base64!"))
                .build()
                .unwrap_err()
        ),
        "shared_secret"
    );
    assert_eq!(
        field_of(base().merchant_id("").build().unwrap_err()),
        "merchant_id"
    );
    assert_eq!(
        field_of(base().key_id("has space").build().unwrap_err()),
        "key_id"
    );
    let prod_http = base().environment(payclient::cybersource::Environment::Custom {
        base_url: "http://api.cybersource.com".into(),
        signing_host: "api.cybersource.com".into(),
    });
    let err = prod_http.build().unwrap_err();
    assert!(
        err.to_string()
            .contains("production environment must use https"),
        "{err}"
    );
    let remote_http = base().environment(payclient::cybersource::Environment::Custom {
        base_url: "http://10.0.0.1:8080".into(),
        signing_host: HOST.into(),
    });
    assert_eq!(field_of(remote_http.build().unwrap_err()), "environment");
    let mle_without_jwt = base().mle_certificate(certificate("X").pem.into_bytes());
    assert_eq!(
        field_of(mle_without_jwt.build().unwrap_err()),
        "mle_certificate"
    );
    #[cfg(feature = "p12")]
    {
        let bad_p12 = base().authentication(Authentication::JwtCertificate {
            p12: vec![1, 2, 3],
            password: SecretString::from("x"),
        });
        assert_eq!(field_of(bad_p12.build().unwrap_err()), "p12");
    }
    assert_eq!(
        payclient::cybersource::Environment::ProductionIndia.base_url(),
        "https://api.in.cybersource.com"
    );
}

#[test]
fn from_env_reads_the_documented_variables() {
    let vars = |extra: &[(&str, &str)]| {
        let mut map: std::collections::BTreeMap<String, String> = [
            ("CYBERSOURCE_MERCHANT_ID", MERCHANT),
            ("CYBERSOURCE_KEY_ID", KEY_ID),
            ("CYBERSOURCE_SHARED_SECRET", SECRET_B64),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        map.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        map
    };
    let config = CybersourceConfig::from_lookup(|k| vars(&[]).get(k).cloned()).expect("defaults");
    assert_eq!(config.base_url(), "https://apitest.cybersource.com");
    let config = CybersourceConfig::from_lookup(|k| {
        vars(&[
            ("CYBERSOURCE_ENVIRONMENT", "production-india"),
            ("CYBERSOURCE_AUTH", "http-signature"),
        ])
        .get(k)
        .cloned()
    })
    .expect("india");
    assert_eq!(config.signing_host(), "api.in.cybersource.com");
    let config = CybersourceConfig::from_lookup(|k| {
        vars(&[
            ("CYBERSOURCE_ENVIRONMENT", "http://127.0.0.1:9999"),
            ("CYBERSOURCE_SIGNING_HOST", HOST),
        ])
        .get(k)
        .cloned()
    })
    .expect("custom");
    assert_eq!(
        (config.base_url(), config.signing_host()),
        ("http://127.0.0.1:9999", HOST)
    );
    let err = CybersourceConfig::from_lookup(|k| {
        vars(&[("CYBERSOURCE_ENVIRONMENT", "staging")])
            .get(k)
            .cloned()
    })
    .unwrap_err();
    assert!(err.to_string().contains("CYBERSOURCE_ENVIRONMENT"), "{err}");
    // Without the `p12` feature a P12 configuration is refused by name, not
    // silently replaced by another authentication.
    let p12 = CybersourceConfig::from_lookup(|k| {
        vars(&[
            ("CYBERSOURCE_AUTH", "jwt-certificate"),
            ("CYBERSOURCE_P12_PATH", "/nonexistent/merchant.p12"),
        ])
        .get(k)
        .cloned()
    })
    .unwrap_err();
    let expected = if cfg!(feature = "p12") {
        "CYBERSOURCE_P12_PATH"
    } else {
        "CYBERSOURCE_AUTH"
    };
    assert!(
        matches!(p12, ConfigError::Invalid { field, .. } if field == expected),
        "{p12:?}"
    );
    // Response MLE: a key file needs its kid, and the switch names its values.
    let key_file = std::env::temp_dir().join(format!("payclient-rmle-{}.pem", std::process::id()));
    std::fs::write(&key_file, "not a key").expect("key file");
    let key_path = key_file.to_string_lossy().into_owned();
    let missing_kid = CybersourceConfig::from_lookup(|k| {
        vars(&[("CYBERSOURCE_RESPONSE_MLE_KEY_PATH", &key_path)])
            .get(k)
            .cloned()
    })
    .unwrap_err();
    assert_eq!(
        missing_kid,
        ConfigError::Missing {
            field: "CYBERSOURCE_RESPONSE_MLE_KID"
        }
    );
    let bad_key = CybersourceConfig::from_lookup(|k| {
        vars(&[
            ("CYBERSOURCE_RESPONSE_MLE_KEY_PATH", &key_path),
            ("CYBERSOURCE_RESPONSE_MLE_KID", "kid"),
        ])
        .get(k)
        .cloned()
    })
    .unwrap_err();
    assert!(
        matches!(
            &bad_key,
            ConfigError::Invalid {
                field: "response_mle_key",
                ..
            }
        ),
        "{bad_key:?}"
    );
    let _ = std::fs::remove_file(&key_file);
    let switch = CybersourceConfig::from_lookup(|k| {
        vars(&[("CYBERSOURCE_RESPONSE_MLE", "sometimes")])
            .get(k)
            .cloned()
    })
    .unwrap_err();
    assert!(
        matches!(
            &switch,
            ConfigError::Invalid {
                field: "CYBERSOURCE_RESPONSE_MLE",
                ..
            }
        ),
        "{switch:?}"
    );
    let no_key = CybersourceConfig::from_lookup(|k| {
        vars(&[("CYBERSOURCE_RESPONSE_MLE", "all")]).get(k).cloned()
    })
    .unwrap_err();
    assert!(
        matches!(
            &no_key,
            ConfigError::Invalid {
                field: "response_mle_key",
                ..
            }
        ),
        "{no_key:?}"
    );
    let err = CybersourceConfig::from_lookup(|_| None).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Missing {
            field: "merchant_id"
        }
    );
}
