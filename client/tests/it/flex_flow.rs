//! The Flex flow against wiremock, with RSA keys made in the test: create a
//! capture context → validate → encrypt → the mock decrypts the JWE with its
//! private key and checks header and plaintext → returns a transient token →
//! validate. Plus the key cache and the refusals.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::*;
use payclient::Error;
use payclient::cybersource::Authentication;
use payclient::flex::{
    CaptureField, CaptureSelection, CardNumber, FlexClient, FlexOptions, PaymentData, SecurityCode,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn capture_claims(origin: &str, encryption_jwk: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "flx": {"path": "/flex/v2/tokens", "data": "opaque-session-data", "origin": origin, "jwk": encryption_jwk},
        "ctx": [{"data": {"requiredFields": ["paymentInformation.card.number"],
                          "optionalFields": ["paymentInformation.card.securityCode", "paymentInformation.card.expirationMonth", "paymentInformation.card.expirationYear"]},
                 "type": "api-0.1.0", "newMember": true}],
        "iss": "Flex API", "exp": now() + 900, "iat": now(), "jti": "rOAksGcp8Bgg6WLj", "futureClaim": {"x": 1}
    })
}

fn flex(server: &MockServer) -> FlexClient {
    flex_with(server, FlexOptions::default())
}

fn flex_with(server: &MockServer, options: FlexOptions) -> FlexClient {
    let options = FlexOptions {
        allowed_origins: Some(vec![server.uri()]),
        ..options
    };
    FlexClient::with_options(
        client(&server.uri(), Authentication::HttpSignature),
        options,
    )
}

/// The mock token endpoint: decrypts, checks, answers with a transient token.
struct TokenEndpoint {
    decrypt_with: aws_lc_rs::rsa::PrivateDecryptingKey,
    signer: Arc<JwtSigner>,
    context: Arc<std::sync::Mutex<String>>,
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let jwe = String::from_utf8(request.body.clone()).expect("utf-8 body");
        let (header, plaintext) = decrypt_flex_jwe(&jwe, &self.decrypt_with);
        let plaintext: serde_json::Value =
            serde_json::from_slice(&plaintext).expect("json plaintext");
        let context = self.context.lock().expect("lock").clone();
        let ok = header == serde_json::json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "enc-1"})
            && plaintext["context"] == context.as_str()
            && plaintext["index"] == 0
            && plaintext["data"]
                == serde_json::json!({"paymentInformation": {"card": {"number": "4111111111111111", "securityCode": "123", "expirationMonth": "06", "expirationYear": "2031"}}});
        if !ok {
            return ResponseTemplate::new(400)
                .set_body_string(r#"{"reason":"CAPTURE_CONTEXT_INVALID"}"#);
        }
        let token = self.signer.sign(&serde_json::json!({
            "iss": "Flex/00", "exp": now() + 900, "type": "mf-2.0.0", "iat": now(), "jti": "1E0WC1GO87JG1BDP0CQ8SCR1TTK86U9N",
            "content": {"paymentInformation": {"card": {"number": {"maskedValue": "XXXXXXXXXXXX1111", "bin": "411111"},
                "expirationMonth": {"value": "06"}, "expirationYear": {"value": "2031"}, "securityCode": {}}}}
        }));
        ResponseTemplate::new(201).set_body_raw(token.into_bytes(), "application/jwt")
    }
}

#[tokio::test]
async fn the_whole_flow_ends_with_a_verified_transient_token() {
    let server = MockServer::start().await;
    let signer = Arc::new(JwtSigner::new("k1"));
    let (encryption_jwk, decrypt_with) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    let capture_context = signer.sign(&capture_claims(&server.uri(), &encryption_jwk));
    let context = Arc::new(std::sync::Mutex::new(capture_context.clone()));
    Mock::given(method("POST"))
        .and(path("/flex/v2/sessions"))
        .and(header("accept", "application/jwt"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(capture_context.clone().into_bytes(), "application/jwt"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flex/v2/public-keys/k1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(signer.jwk()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/flex/v2/tokens"))
        .and(header("content-type", "application/jwt"))
        .respond_with(TokenEndpoint {
            decrypt_with,
            signer: signer.clone(),
            context,
        })
        .expect(1)
        .mount(&server)
        .await;

    let flex = flex(&server);
    let selection = CaptureSelection::new()
        .require(CaptureField::CardNumber)
        .optional(CaptureField::CardSecurityCode)
        .optional(CaptureField::CardExpirationMonth)
        .optional(CaptureField::CardExpirationYear);
    let context = flex
        .create_capture_context(&selection)
        .await
        .expect("capture context");
    assert_eq!(
        context.required_fields(),
        ["paymentInformation.card.number"]
    );
    assert_eq!(context.origin(), server.uri());
    assert!(
        context.claims().extra.contains_key("futureClaim"),
        "unknown members kept"
    );
    let debug = format!("{context:?}");
    assert!(
        debug.contains("enc-1")
            && !debug.contains("opaque-session-data")
            && !debug.contains(&encryption_jwk["n"].as_str().expect("n")[..20]),
        "{debug}"
    );

    let data = PaymentData::new()
        .card_number(CardNumber::new("4111111111111111").expect("pan"))
        .security_code(SecurityCode::new("123").expect("cvv"))
        .set(CaptureField::CardExpirationMonth, "06")
        .set(CaptureField::CardExpirationYear, "2031");
    let token = flex
        .tokenize(&context, &data)
        .await
        .expect("transient token");
    assert_eq!(token.masked_number(), Some("XXXXXXXXXXXX1111"));
    assert_eq!(token.bin(), Some("411111"));
    assert_eq!(token.expiration(), (Some("06"), Some("2031")));
    assert_eq!(token.jti(), Some("1E0WC1GO87JG1BDP0CQ8SCR1TTK86U9N"));
    assert_eq!(token.jwt().split('.').count(), 3);
    assert!(!format!("{token:?}").contains("4111111111111111"));

    let received = server.received_requests().await.expect("recording");
    let sessions = received
        .iter()
        .find(|r| r.url.path() == "/flex/v2/sessions")
        .expect("sessions");
    check_http_signature(sessions);
    for unauthenticated in received
        .iter()
        .filter(|r| r.url.path() != "/flex/v2/sessions")
    {
        assert!(
            unauthenticated.headers.get("signature").is_none()
                && unauthenticated.headers.get("authorization").is_none()
        );
    }
    let tokens = received
        .iter()
        .find(|r| r.url.path() == "/flex/v2/tokens")
        .expect("tokens");
    assert!(
        !String::from_utf8_lossy(&tokens.body).contains("4111"),
        "the PAN travels encrypted"
    );
}

async fn serve_key(server: &MockServer, signer: &JwtSigner, delay: Duration) -> Arc<AtomicUsize> {
    struct Key(serde_json::Value, Arc<AtomicUsize>, Duration);
    impl Respond for Key {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            self.1.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200)
                .set_body_json(self.0.clone())
                .set_delay(self.2)
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(path(format!("/flex/v2/public-keys/{}", signer.kid)))
        .respond_with(Key(signer.jwk(), count.clone(), delay))
        .mount(server)
        .await;
    count
}

fn transient(signer: &JwtSigner, jti: &str) -> String {
    signer
        .sign(&serde_json::json!({"iss": "Flex/00", "exp": now() + 900, "iat": now(), "jti": jti}))
}

#[tokio::test]
async fn one_key_fetch_serves_many_validations() {
    let server = MockServer::start().await;
    let signer = JwtSigner::new("k1");
    let fetches = serve_key(&server, &signer, Duration::ZERO).await;
    let flex = flex(&server);
    for i in 0..10 {
        flex.validate_transient_token(&transient(&signer, &format!("t{i}")))
            .await
            .expect("valid");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

/// The key fetch is a whole HTTP call held behind a box: inline, it made
/// every validation's future several kilobytes (7.8 KB measured), copied
/// on every move.
#[tokio::test]
async fn a_validation_future_stays_small() {
    let server = MockServer::start().await;
    let flex = flex(&server);
    let size = std::mem::size_of_val(&flex.validate_capture_context("a.b.c"));
    assert!(
        size <= 2048,
        "validate_capture_context's future is {size} bytes"
    );
    let size = std::mem::size_of_val(&flex.validate_transient_token("a.b.c"));
    assert!(
        size <= 2048,
        "validate_transient_token's future is {size} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_for_one_kid_make_one_request() {
    let server = MockServer::start().await;
    let signer = JwtSigner::new("k1");
    let fetches = serve_key(&server, &signer, Duration::from_millis(200)).await;
    let flex = flex(&server);
    let token = transient(&signer, "t");
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (flex, token) = (flex.clone(), token.clone());
            tokio::spawn(async move { flex.validate_transient_token(&token).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("valid");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

/// With no pause between refetches (the default is one a minute per kid,
/// see the adversarial suite), a rotated key is fetched again once per
/// signature that fails.
#[tokio::test]
async fn a_rotated_key_is_fetched_again_once() {
    let server = MockServer::start().await;
    let old = JwtSigner::new("k1");
    let new = JwtSigner::new("k1");
    let old_fetches = serve_key(&server, &old, Duration::ZERO).await;
    let flex = flex_with(
        &server,
        FlexOptions {
            key_refresh_interval: Duration::ZERO,
            ..FlexOptions::default()
        },
    );
    flex.validate_transient_token(&transient(&old, "a"))
        .await
        .expect("old key");
    server.reset().await;
    let new_fetches = serve_key(&server, &new, Duration::ZERO).await;
    flex.validate_transient_token(&transient(&new, "b"))
        .await
        .expect("rotated key is fetched");
    flex.validate_transient_token(&transient(&new, "c"))
        .await
        .expect("and cached");
    assert_eq!(
        (
            old_fetches.load(Ordering::SeqCst),
            new_fetches.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
    // A token signed by neither key is refused after that single refetch.
    let stranger = JwtSigner::new("k1");
    let err = flex
        .validate_transient_token(&transient(&stranger, "d"))
        .await
        .expect_err("forged");
    assert!(
        err.to_string()
            .contains("has a signature that does not verify"),
        "{err}"
    );
    assert_eq!(new_fetches.load(Ordering::SeqCst), 2);
}

async fn context_error(
    claims: impl FnOnce(&MockServer, serde_json::Value) -> serde_json::Value,
) -> String {
    let server = MockServer::start().await;
    let signer = JwtSigner::new("k1");
    serve_key(&server, &signer, Duration::ZERO).await;
    let (jwk, _) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    let jwt = signer.sign(&claims(&server, capture_claims(&server.uri(), &jwk)));
    flex(&server)
        .validate_capture_context(&jwt)
        .await
        .expect_err("refused")
        .to_string()
}

#[tokio::test]
async fn capture_context_refusals() {
    let origin = context_error(|_, mut c| {
        c["flx"]["origin"] = "https://evil.example".into();
        c
    })
    .await;
    assert!(
        origin.contains("not one of the vendor's Flex hosts"),
        "{origin}"
    );
    let path = context_error(|_, mut c| {
        c["flx"]["path"] = "/steal".into();
        c
    })
    .await;
    assert!(path.contains("other than /flex/v2/tokens"), "{path}");
    let (small, _) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    let short_n = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let n = engine.decode(small["n"].as_str().expect("n")).expect("b64");
        engine.encode(&n[..128])
    };
    let weak = context_error(move |_, mut c| {
        c["flx"]["jwk"]["n"] = short_n.into();
        c
    })
    .await;
    assert!(weak.contains("shorter than 2048 bits"), "{weak}");
    let sig_key = context_error(|_, mut c| {
        c["flx"]["jwk"]["use"] = "sig".into();
        c
    })
    .await;
    assert!(sig_key.contains("not for encryption"), "{sig_key}");
    let no_jwk = context_error(|_, mut c| {
        c["flx"].as_object_mut().expect("flx").remove("jwk");
        c
    })
    .await;
    assert!(no_jwk.contains("no encryption key"), "{no_jwk}");
    let expired = context_error(|_, mut c| {
        c["exp"] = (now() - 3600).into();
        c
    })
    .await;
    assert!(expired.contains("expired"), "{expired}");

    // With the default origins (test environment), a simulator's origin is refused.
    let server = MockServer::start().await;
    let signer = JwtSigner::new("k1");
    serve_key(&server, &signer, Duration::ZERO).await;
    let (jwk, _) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    let jwt = signer.sign(&capture_claims(&server.uri(), &jwk));
    let defaults = FlexClient::new(client(&server.uri(), Authentication::HttpSignature));
    assert!(defaults.validate_capture_context(&jwt).await.is_err());
}

#[tokio::test]
async fn encrypt_checks_the_data_against_the_context() {
    let server = MockServer::start().await;
    let signer = JwtSigner::new("k1");
    serve_key(&server, &signer, Duration::ZERO).await;
    let (jwk, _) = encryption_key("enc-1", aws_lc_rs::rsa::KeySize::Rsa2048);
    let context = flex(&server)
        .validate_capture_context(&signer.sign(&capture_claims(&server.uri(), &jwk)))
        .await
        .expect("valid");
    let pan = || CardNumber::new("4111111111111111").expect("pan");
    let field_of = |result: Result<String, Error>| match result {
        Err(Error::Validation(v)) => v.field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(
            context
                .encrypt(&PaymentData::new().security_code(SecurityCode::new("123").expect("cvv")))
        ),
        "paymentInformation.card.number"
    );
    assert_eq!(
        field_of(
            context.encrypt(
                &PaymentData::new()
                    .card_number(pan())
                    .set(CaptureField::BillToEmail, "a@b.example")
            )
        ),
        "orderInformation.billTo.email"
    );
    assert_eq!(
        field_of(
            context.encrypt(&PaymentData::new().set(CaptureField::CardNumber, "4111111111111112"))
        ),
        "paymentInformation.card.number"
    );
    assert_eq!(
        field_of(
            context.encrypt(
                &PaymentData::new()
                    .card_number(pan())
                    .set(CaptureField::CardExpirationMonth, "00")
            )
        ),
        "paymentInformation.card.expirationMonth"
    );
    assert_eq!(
        field_of(
            context.encrypt(
                &PaymentData::new()
                    .card_number(pan())
                    .set(CaptureField::CardExpirationYear, "31")
            )
        ),
        "paymentInformation.card.expirationYear"
    );
    assert_eq!(
        field_of(
            context.encrypt(
                &PaymentData::new()
                    .card_number(pan())
                    .set(CaptureField::CardSecurityCode, "12")
            )
        ),
        "paymentInformation.card.securityCode"
    );
    let jwe = context
        .encrypt(&PaymentData::new().card_number(pan()))
        .expect("encrypts");
    assert_eq!(jwe.split('.').count(), 5);
}

#[tokio::test]
async fn a_kid_outside_the_alphabet_never_reaches_the_network() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let signer = JwtSigner::new("../../admin");
    let err = flex(&server)
        .validate_transient_token(&transient(&signer, "x"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("outside [A-Za-z0-9._-]"), "{err}");
}

#[tokio::test]
async fn payment_details_come_for_the_tokens_own_card_and_keep_personal_data_out_of_debug() {
    let server = MockServer::start().await;
    let signer = JwtSigner::new("pd-1");
    serve_key(&server, &signer, Duration::ZERO).await;
    let flex = flex(&server);
    let token_with = |jti: &str| {
        signer.sign(&serde_json::json!({
            "iss": "Flex/00", "exp": now() + 900, "iat": now(), "jti": jti,
            "content": {"paymentInformation": {"card": {"number": {"maskedValue": "XXXXXXXXXXXX1111", "bin": "411111"}}}}
        }))
    };
    let details = |masked: &str| {
        serde_json::json!({"paymentInformation": {"card": {"number": masked, "expirationMonth": "05", "expirationYear": "2031", "type": "001"}},
            "orderInformation": {"billTo": {"firstName": "Tanya", "email": "tanyalee@example.com", "country": "US"}}})
    };
    Mock::given(method("GET"))
        .and(path(
            "/flex/v2/payment-details/1E0WC1GO87JG1BDP0CQ8SCR1TTK86U9N",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(details("XXXXXXXXXXXX1111")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flex/v2/payment-details/OTHERCARD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(details("XXXXXXXXXXXX4242")))
        .mount(&server)
        .await;

    let token = flex
        .validate_transient_token(&token_with("1E0WC1GO87JG1BDP0CQ8SCR1TTK86U9N"))
        .await
        .expect("token");
    let reply = flex.payment_details(&token).await.expect("details");
    let bill_to = reply
        .value
        .order_information
        .as_ref()
        .and_then(|o| o.bill_to.as_ref())
        .expect("billTo");
    assert_eq!(
        bill_to.email.as_ref().map(|e| e.expose().as_str()),
        Some("tanyalee@example.com")
    );
    let shown = format!("{reply:?}");
    assert!(
        !shown.contains("tanyalee") && !shown.contains("Tanya"),
        "personal data stays out of Debug: {shown}"
    );

    // Details of another card are not this token's.
    let other = flex
        .validate_transient_token(&token_with("OTHERCARD"))
        .await
        .expect("token");
    let e = flex
        .payment_details(&other)
        .await
        .expect_err("another card");
    assert!(
        matches!(&e, Error::Verification(v) if v.what == "paymentInformation.card.number"),
        "{e}"
    );

    // A number in the answer that the token has none to compare with is
    // refused too (fail closed).
    Mock::given(method("GET"))
        .and(path("/flex/v2/payment-details/NOCARD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(details("4111111111111111")))
        .mount(&server)
        .await;
    let bare = flex
        .validate_transient_token(&signer.sign(&serde_json::json!({
            "iss": "Flex/00", "exp": now() + 900, "iat": now(), "jti": "NOCARD"})))
        .await
        .expect("token");
    let e = flex.payment_details(&bare).await.expect_err("uncomparable");
    assert!(matches!(&e, Error::Verification(_)), "{e}");

    // A jti that could leave its path segment is refused before sending.
    let sent = server.received_requests().await.expect("recording").len();
    let hostile = flex
        .validate_transient_token(&token_with("../../tms/v2/x"))
        .await
        .expect("token");
    let e = flex.payment_details(&hostile).await.expect_err("refused");
    assert!(
        matches!(&e, Error::Validation(v) if v.field == "jti"),
        "{e}"
    );
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        sent
    );
}
