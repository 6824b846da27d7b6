//! End to end against the sandbox: every workflow through `payclient`, and
//! what the sandbox refuses (bad credentials, a stale date, a digest that
//! does not match, a body altered after signing, a tampered or expired
//! capture context, wrong-order and plaintext Intelligent Commerce calls,
//! Checkout's 422s), and a browser's way through a 3DS challenge. Real HTTP
//! on loopback, real crypto on both sides.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use payclient::Error;
use payclient::cybersource::CybersourceErrorBody;
use payclient::cybersource::{Authentication, CybersourceClient, IntelligentCommercePrefix};
use payclient::flex::{CaptureField, CaptureSelection, CardNumber, FlexClient, PaymentData};
use payclient::intelligent_commerce::{InstructionState, IntelligentCommerceClient};
use payclient::passkey::{PasskeyClient, PasskeyStep};
use payclient_demo::{AgentCard, Report, Targets};
use payclient_sandbox::{InstructionStatus, Sandbox, passkey as tokens};
use secrecy::SecretString;
use serde_json::{Value, json};

async fn sandbox() -> Sandbox {
    Sandbox::start().await.expect("sandbox starts")
}

/// payclient's Checkout client on the sandbox's secret key.
fn checkout_client(sandbox: &Sandbox) -> payclient::CheckoutClient {
    payclient::CheckoutClient::new(
        payclient_demo::sandbox_checkout_secret_key(sandbox)
            .build()
            .expect("config"),
    )
    .expect("client")
}

fn api(error: Error) -> payclient::ApiError {
    match error {
        Error::Api(api) => *api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_four_workflows_run_end_to_end() {
    let sandbox = sandbox().await;
    let targets = Targets::sandbox(&sandbox).expect("targets");
    let mut report = Report::silent();
    payclient_demo::run_all(&targets, &mut report)
        .await
        .expect("every step passes");

    let outcomes = |product: &str| -> Vec<(String, String)> {
        report
            .of(product)
            .iter()
            .map(|s| (s.operation.clone(), s.outcome.clone()))
            .collect()
    };
    assert_eq!(
        outcomes("flex")
            .iter()
            .map(|(o, _)| o.as_str())
            .collect::<Vec<_>>(),
        [
            "create_capture_context",
            "validate tampered context",
            "create_transient_token",
            "payment-details"
        ]
    );
    assert!(outcomes("flex").contains(&("payment-details".to_owned(), "200".to_owned())));
    assert!(outcomes("passkey").contains(&("validate (wrong OTP)".to_owned(), "400".to_owned())));
    assert!(outcomes("passkey").contains(&("payment-credentials".to_owned(), "200".to_owned())));
    assert_eq!(
        outcomes("intelligent-commerce")[..2],
        [
            ("enroll_card".to_owned(), "202".to_owned()),
            ("enroll_card".to_owned(), "200".to_owned())
        ]
    );
    assert!(
        outcomes("checkout").contains(&("submit_payment_session".to_owned(), "202".to_owned()))
    );
    assert!(
        outcomes("checkout").contains(&("submit_payment_session".to_owned(), "201".to_owned()))
    );

    // What the sandbox holds afterwards.
    assert_eq!(sandbox.transient_tokens_issued(), 1);
    // Two created, one created and paid in one call (complete).
    assert_eq!(sandbox.payment_sessions(), 3);
    assert!(
        outcomes("checkout").contains(&("complete_payment_session".to_owned(), "201".to_owned()))
    );
    assert_eq!(
        sandbox.oauth_tokens_issued(),
        1,
        "the OAuth token is cached across calls"
    );
    let instructions = sandbox.instructions();
    assert_eq!(instructions.len(), 1);
    assert_eq!(instructions[0].status, InstructionStatus::Confirmed);
    assert_eq!(
        instructions[0].transactions.len(),
        1,
        "the refused 75.00 purchase never arrived"
    );
    assert_eq!(instructions[0].mandates[0].used, 1);
    assert!(
        sandbox.auth_failures().is_empty(),
        "{:?}",
        sandbox.auth_failures()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn intelligent_commerce_runs_under_the_guides_acp_prefix() {
    // The default is the vendor SDKs' /icc/v1 (the other tests); the guide's
    // /acp/v1 stays selectable.
    let sandbox = sandbox().await;
    let targets =
        Targets::sandbox_with_prefix(&sandbox, IntelligentCommercePrefix::Acp).expect("targets");
    let mut report = Report::silent();
    payclient_demo::intelligent_commerce(&targets, &mut report)
        .await
        .expect("workflow");
    assert_eq!(
        sandbox.instructions()[0].status,
        InstructionStatus::Confirmed
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_get_the_vendors_401() {
    let sandbox = sandbox().await;
    let wrong_secret = SecretString::from(STANDARD.encode([7u8; 32]));
    for (auth, reason) in [
        (
            Authentication::JwtSharedSecret,
            "the JWT signature does not verify",
        ),
        (
            Authentication::HttpSignature,
            "the signature does not verify",
        ),
    ] {
        let config = payclient_demo::sandbox_cybersource(&sandbox, auth)
            .shared_secret(wrong_secret.clone())
            .build()
            .expect("config");
        let flex = FlexClient::with_options(
            CybersourceClient::new(config),
            payclient_demo::sandbox_flex_options(&sandbox),
        );
        let error = api(flex
            .create_capture_context(&CaptureSelection::new().require(CaptureField::CardNumber))
            .await
            .expect_err("refused"));
        assert_eq!(error.status, 401);
        assert!(
            matches!(
                error.vendor_body::<CybersourceErrorBody>(),
                Some(CybersourceErrorBody::AuthenticationFailed { .. })
            ),
            "{error:?}"
        );
        assert_eq!(
            sandbox.auth_failures().last().map(String::as_str),
            Some(reason)
        );
    }

    // Checkout: a wrong secret key, and wrong OAuth client credentials.
    let bad_key = payclient_demo::sandbox_checkout_secret_key(&sandbox)
        .credentials(payclient::checkout::CheckoutCredentials::SecretKey(
            SecretString::from("sk_sbox_wrong"),
        ))
        .build()
        .expect("config");
    let client = payclient::CheckoutClient::new(bad_key).expect("client");
    let error = api(client
        .get_payment_session("ps_unknown")
        .await
        .expect_err("refused"));
    assert_eq!(error.status, 401);
    let bad_oauth = payclient_demo::sandbox_checkout_oauth(&sandbox)
        .credentials(payclient::checkout::CheckoutCredentials::OAuth {
            client_id: sandbox.config().checkout_client_id.clone(),
            client_secret: SecretString::from("wrong"),
        })
        .build()
        .expect("config");
    let client = payclient::CheckoutClient::new(bad_oauth).expect("client");
    assert!(client.get_payment_session("ps_unknown").await.is_err());
    assert_eq!(sandbox.oauth_tokens_issued(), 0);
    sandbox.shutdown().await;
}

/// An HTTP Signature made here, independently of `payclient`, so that the
/// request can be altered after signing.
struct HandSigned {
    date: String,
    digest: String,
    signature: String,
}

#[tokio::test]
async fn certificate_jwts_signed_with_the_sandboxs_p12_pass() {
    // payclient's P12 path against a verifier it did not write: the
    // sandbox's merchant P12 (made by openssl) signs RS256 JWTs the sandbox
    // checks against the certificate it holds (other certificates and
    // forged signatures: the sandbox's unit tests).
    let sandbox = sandbox().await;
    let create = |auth: Authentication| {
        let config = payclient_demo::sandbox_cybersource(&sandbox, auth)
            .build()
            .expect("config");
        let flex = FlexClient::with_options(
            CybersourceClient::new(config),
            payclient_demo::sandbox_flex_options(&sandbox),
        );
        async move {
            flex.create_capture_context(&CaptureSelection::new().require(CaptureField::CardNumber))
                .await
        }
    };
    let context = create(Authentication::JwtCertificate {
        p12: sandbox.merchant_p12().to_vec(),
        password: SecretString::from(payclient_sandbox::MERCHANT_P12_PASSWORD),
    })
    .await
    .expect("a capture context under a certificate JWT");
    assert_eq!(context.origin(), sandbox.base_url());
    assert!(
        sandbox.auth_failures().is_empty(),
        "{:?}",
        sandbox.auth_failures()
    );

    sandbox.shutdown().await;
}

fn hand_sign(
    sandbox: &Sandbox,
    path: &str,
    body: &[u8],
    date: std::time::SystemTime,
) -> HandSigned {
    let c = sandbox.config();
    let date = httpdate::fmt_http_date(date);
    let digest = format!(
        "SHA-256={}",
        STANDARD.encode(digest::digest(&digest::SHA256, body))
    );
    let signing = format!(
        "host: {}\ndate: {date}\nrequest-target: post {path}\ndigest: {digest}\nv-c-merchant-id: {}",
        c.signing_host, c.merchant_id
    );
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        &STANDARD.decode(&c.shared_secret).expect("secret"),
    );
    let mac = STANDARD.encode(hmac::sign(&key, signing.as_bytes()));
    HandSigned {
        signature: format!(
            r#"keyid="{}", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="{mac}""#,
            c.key_id
        ),
        date,
        digest,
    }
}

async fn post_signed(
    sandbox: &Sandbox,
    path: &str,
    body: &[u8],
    signed: &HandSigned,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", sandbox.base_url()))
        .header("v-c-merchant-id", &sandbox.config().merchant_id)
        .header("date", &signed.date)
        .header("digest", &signed.digest)
        .header("signature", &signed.signature)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn payment_credentials_need_no_member_as_the_vendors_model_says() {
    // The vendor's model requires nothing (transactionType defaults to ECOM):
    // an empty body and `{}` get plain credentials (ECI 07, no passkey flow).
    let sandbox = sandbox().await;
    let path = format!(
        "/tms/v2/tokens/{}/payment-credentials",
        tokens::REGISTERED_DEVICE_TOKEN_ID
    );
    for body in [&b""[..], b"{}", br#"{"transactionType":"ECOM"}"#] {
        let signed = hand_sign(&sandbox, &path, body, std::time::SystemTime::now());
        let (status, answer) = post_signed(&sandbox, &path, body, &signed).await;
        assert_eq!(
            (status, answer["tokenizedCard"]["eci"].as_str()),
            (200, Some("07")),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let body = br#"{"transactionType":5}"#;
    let signed = hand_sign(&sandbox, &path, body, std::time::SystemTime::now());
    let (status, answer) = post_signed(&sandbox, &path, body, &signed).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["errors"][0]["details"][0]["name"], "transactionType",
        "{answer}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn stale_dates_digest_mismatches_and_altered_bodies_are_refused() {
    let sandbox = sandbox().await;
    let path = format!(
        "/tms/v2/tokenized-cards/{}/authentication-options",
        tokens::NEW_DEVICE_TOKEN_ID
    );
    let body = json!({"clientCorrelationId": "c-1", "sessionInformation": {"secureToken": "t"}, "authenticatorRenderMethod": "IFRAME", "orderInformation": {}, "merchantInformation": {}, "deviceInformation": {}}).to_string();
    let now = std::time::SystemTime::now();

    let good = hand_sign(&sandbox, &path, body.as_bytes(), now);
    let (status, answer) = post_signed(&sandbox, &path, body.as_bytes(), &good).await;
    assert_eq!(
        (status, answer["action"].as_str()),
        (200, Some("AUTHENTICATION_REGISTRATION")),
        "the hand signer is right"
    );

    let stale = hand_sign(
        &sandbox,
        &path,
        body.as_bytes(),
        now - std::time::Duration::from_secs(600),
    );
    let (status, answer) = post_signed(&sandbox, &path, body.as_bytes(), &stale).await;
    assert_eq!(
        (status, answer),
        (401, json!({"response": {"rmsg": "Authentication Failed"}}))
    );
    assert_eq!(
        sandbox.auth_failures().last().map(String::as_str),
        Some("the Date header is stale")
    );

    let altered = body.replace("c-1", "c-2");
    let (status, _) = post_signed(&sandbox, &path, altered.as_bytes(), &good).await;
    assert_eq!(status, 401);
    assert_eq!(
        sandbox.auth_failures().last().map(String::as_str),
        Some("the Digest header does not match the body")
    );

    // A digest recomputed for the altered body, under the old signature.
    let mut forged = hand_sign(&sandbox, &path, body.as_bytes(), now);
    forged.digest = format!(
        "SHA-256={}",
        STANDARD.encode(digest::digest(&digest::SHA256, altered.as_bytes()))
    );
    let (status, _) = post_signed(&sandbox, &path, altered.as_bytes(), &forged).await;
    assert_eq!(status, 401);
    assert_eq!(
        sandbox.auth_failures().last().map(String::as_str),
        Some("the signature does not verify")
    );
    sandbox.shutdown().await;
}

/// A Flex JWE made here around any `context` string.
fn jwe_around(context: &str, jwk: &payclient::flex::raw::types::EncryptionJwk) -> String {
    let n = URL_SAFE_NO_PAD
        .decode(jwk.n.as_deref().expect("n"))
        .expect("n");
    let e = URL_SAFE_NO_PAD
        .decode(jwk.e.as_deref().expect("e"))
        .expect("e");
    let public: PublicEncryptingKey = PublicKeyComponents {
        n: n.as_slice(),
        e: e.as_slice(),
    }
    .try_into()
    .expect("key");
    let oaep = OaepPublicEncryptingKey::new(public).expect("oaep");
    let header = URL_SAFE_NO_PAD
        .encode(json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": jwk.kid}).to_string());
    let cek = [9u8; 32];
    let mut wrapped = vec![0u8; oaep.ciphertext_size()];
    let wrapped = oaep
        .encrypt(&OAEP_SHA1_MGF1SHA1, &cek, &mut wrapped, None)
        .expect("wrap")
        .to_vec();
    let iv = [3u8; 12];
    let mut data = json!({"data": {"paymentInformation": {"card": {"number": "4111111111111111"}}}, "context": context, "index": 0})
        .to_string()
        .into_bytes();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).expect("aes"));
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header.as_bytes()),
            &mut data,
        )
        .expect("seal");
    [
        header,
        URL_SAFE_NO_PAD.encode(wrapped),
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(&data),
        URL_SAFE_NO_PAD.encode(tag),
    ]
    .join(".")
}

#[tokio::test]
async fn the_token_endpoint_refuses_tampered_and_expired_capture_contexts() {
    let sandbox = sandbox().await;
    let targets = Targets::sandbox(&sandbox).expect("targets");
    let flex = FlexClient::with_options(targets.cybersource.clone(), targets.flex_options.clone());
    let context = flex
        .create_capture_context(&CaptureSelection::new().require(CaptureField::CardNumber))
        .await
        .expect("context");
    let jwk = context.claims().flx.jwk.clone().expect("flx.jwk");
    let tokens_url = format!("{}/flex/v2/tokens", sandbox.base_url());
    let post = |jwe: String| {
        let url = tokens_url.clone();
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/jwt")
                .body(jwe)
                .send()
                .await
                .expect("sent");
            let status = r.status().as_u16();
            let text = r.text().await.expect("body");
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)),
            )
        }
    };

    // The untouched context is accepted through the same hand-made JWE.
    let (status, _) = post(jwe_around(context.jwt(), &jwk)).await;
    assert_eq!(status, 200);

    // One character of the payload changed: the signature no longer holds.
    let mut tampered = context.jwt().to_owned();
    let at = tampered.find('.').expect("dot") + 10;
    let swap = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, swap);
    let (status, answer) = post(jwe_around(&tampered, &jwk)).await;
    assert_eq!(
        (status, answer["reason"].as_str()),
        (400, Some("INVALID_CONTEXT"))
    );

    // A field the context did not ask for, through payclient: refused before sending.
    let extra = PaymentData::new()
        .card_number(CardNumber::new("4111111111111111").expect("pan"))
        .set(CaptureField::CardExpirationMonth, "12");
    assert!(matches!(
        flex.tokenize(&context, &extra).await,
        Err(Error::Validation(_))
    ));

    // The sandbox's clock past the context's exp: its own expiry check.
    sandbox.advance_clock(std::time::Duration::from_secs(1000));
    let data = PaymentData::new().card_number(CardNumber::new("4111111111111111").expect("pan"));
    let error = api(flex.tokenize(&context, &data).await.expect_err("expired"));
    assert_eq!(error.status, 400);
    assert!(String::from_utf8_lossy(error.raw_body()).contains("CAPTURE_CONTEXT_EXPIRED"));
    assert_eq!(sandbox.transient_tokens_issued(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_refuses_wrong_order_and_plaintext_intelligent_commerce_calls() {
    let sandbox = sandbox().await;
    let targets = Targets::sandbox(&sandbox).expect("targets");
    let icc = IntelligentCommerceClient::new(targets.cybersource.clone());
    let card = AgentCard::from_env_or_new();
    let (intent, mandate) = card.intent("50.00", 3).expect("intent");
    let mut instruction = icc
        .initiate_purchase_intent(intent)
        .await
        .expect("initiated");
    // A copy persisted before the cancellation, as a stale store would hold it.
    let stale = serde_json::to_string(&instruction).expect("json");
    let cancellation = serde_json::from_value(json!({
        "clientCorrelationId": payclient::intelligent_commerce::new_correlation_id(),
        "deviceInformation": {"applicationName": "Shopping Agent", "fingerprintSessionId": "f", "ipAddress": "192.0.2.10", "deviceData": {"type": "Mobile", "brand": "Apple"}},
        "assuranceData": [{"verificationType": "CARDHOLDER", "verificationEntity": "10", "verificationEvents": ["01"], "verificationMethod": "02", "verificationResults": "02", "verificationTimestamp": "1753165632", "authenticationContext": {"action": "AUTHENTICATE"}, "authenticatedIdentities": {"data": "fidoResponse.fidoBlob", "provider": "VISA_PAYMENT_PASSKEY", "id": "fidoResponse.identifier"}, "additionalData": ""}]
    }))
    .expect("cancellation");
    icc.cancel_purchase_intent(&mut instruction, cancellation)
        .await
        .expect("cancelled");
    assert_eq!(instruction.state(), InstructionState::Cancelled);

    let mut stale: payclient::intelligent_commerce::Instruction =
        serde_json::from_str(&stale).expect("stale copy");
    let error = api(icc
        .retrieve_payment_credentials(
            &mut stale,
            card.credentials(&mandate, "10.00", 1).expect("request"),
        )
        .await
        .expect_err("the sandbox knows it is cancelled"));
    assert_eq!(error.status, 409);
    assert!(
        matches!(error.vendor_body::<CybersourceErrorBody>(), Some(CybersourceErrorBody::Agentic { reason: Some(r), .. }) if r == "INVALID_STATE")
    );
    assert_eq!(
        stale.state(),
        InstructionState::Active,
        "a refused call changes nothing"
    );
    assert_eq!(
        sandbox.instruction(instruction.id()).expect("held").status,
        InstructionStatus::Cancelled
    );

    // MLE turned off explicitly: the sandbox, like the vendor, refuses plaintext.
    let plaintext = payclient_demo::sandbox_cybersource(&sandbox, Authentication::JwtSharedSecret)
        .mle_for_operation(
            &payclient::intelligent_commerce::operations::INITIATE_PURCHASE_INTENT,
            false,
        )
        .build()
        .expect("config");
    let icc = IntelligentCommerceClient::new(CybersourceClient::new(plaintext));
    let (intent, _) = card.intent("50.00", 1).expect("intent");
    let error = api(icc
        .initiate_purchase_intent(intent)
        .await
        .expect_err("plaintext refused"));
    assert_eq!(error.status, 400);
    assert!(String::from_utf8_lossy(error.raw_body()).contains("MLE_REQUIRED"));
    assert_eq!(sandbox.instructions().len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn passkey_branches_follow_the_documented_token_ids() {
    let sandbox = sandbox().await;
    let targets = Targets::sandbox(&sandbox).expect("targets");
    let client = PasskeyClient::new(targets.cybersource.clone());
    let request = payclient_demo::passkey_request("secure-token").expect("request");
    let session = client
        .authentication_options(tokens::NEW_DEVICE_TOKEN_ID, None, &request)
        .await
        .expect("options");
    assert!(matches!(session.step(), PasskeyStep::Register));
    let session = client
        .authentication_options(tokens::REGISTERED_DEVICE_TOKEN_ID, None, &request)
        .await
        .expect("options");
    assert!(matches!(session.step(), PasskeyStep::Authenticate(_)));
    let error = api(client
        .authentication_options("7019999999999999999", None, &request)
        .await
        .expect_err("unknown token"));
    assert_eq!(error.status, 404);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn checkout_answers_422_with_the_seeds_codes_and_accepts_the_secret_key() {
    let sandbox = sandbox().await;
    let response = reqwest::Client::new()
        .post(format!("{}/payment-sessions", sandbox.base_url()))
        .bearer_auth(&sandbox.config().checkout_secret_key)
        .json(&json!({"currency": "gbp", "reference": "R".repeat(51)}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_type"], "request_invalid");
    assert_eq!(
        body["error_codes"],
        json!([
            "amount_required",
            "currency_invalid",
            "billing_required",
            "success_url_required",
            "failure_url_required",
            "reference_invalid"
        ])
    );

    let client = checkout_client(&sandbox);
    let created = client
        .create_payment_session(payclient_demo::session_request(1005).expect("request"))
        .await
        .expect("created");
    let submit: payclient::checkout::raw::types::SubmitPaymentSessionRequest =
        payclient::request_from_json(json!({"session_data": "s", "amount": 1005})).expect("submit");
    match client
        .submit_payment_session(&created.value.id, submit)
        .await
        .expect("submitted")
    {
        payclient::checkout::SubmitOutcome::Processed(reply) => {
            assert_eq!(reply.value.status, "Declined")
        }
        other => panic!("expected a declined payment, got {:?}", other.status()),
    }
    let again: payclient::checkout::raw::types::SubmitPaymentSessionRequest =
        payclient::request_from_json(json!({"session_data": "s", "amount": 1000})).expect("submit");
    let error = api(client
        .submit_payment_session(&created.value.id, again)
        .await
        .expect_err("completed"));
    assert_eq!(error.status, 422);
    assert_eq!(sandbox.oauth_tokens_issued(), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_3ds_challenge_sends_the_browser_back_with_the_vendors_query_members() {
    let sandbox = sandbox().await;
    let client = checkout_client(&sandbox);
    // The browser follows nothing by itself here: each hop is looked at.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser");
    let location_params = |response: &reqwest::Response| {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a Location")
            .to_owned();
        let url = reqwest::Url::parse(&location).expect("absolute");
        let params: std::collections::BTreeMap<String, String> =
            url.query_pairs().into_owned().collect();
        (
            format!("{}{}", url.origin().ascii_serialization(), url.path()),
            params,
        )
    };

    for failed in [false, true] {
        let created = client
            .create_payment_session(payclient_demo::session_request(1050).expect("request"))
            .await
            .expect("created");
        let id = created.value.id.clone();
        let submit: payclient::checkout::raw::types::SubmitPaymentSessionRequest =
            payclient::request_from_json(json!({"session_data": "s", "amount": 1050}))
                .expect("submit");
        let outcome = client
            .submit_payment_session(&id, submit)
            .await
            .expect("submitted");
        let payclient::checkout::SubmitOutcome::ActionRequired(reply) = &outcome else {
            panic!("expected a 3DS action, got {:?}", outcome.status());
        };
        let challenge = reply.value.action.url.clone().expect("a challenge URL");
        let sid = challenge.rsplit('/').next().expect("sid").to_owned();
        assert!(sid.starts_with("sid_"), "{challenge}");
        let url = if failed {
            format!("{challenge}?result=failed")
        } else {
            challenge.clone()
        };

        let response = browser.get(&url).send().await.expect("challenge");
        assert_eq!(response.status().as_u16(), 303);
        let (target, params) = location_params(&response);
        let expected = if failed {
            "https://example.com/payments/failure"
        } else {
            "https://example.com/payments/success"
        };
        assert_eq!(target, expected);
        assert_eq!(params.get("cko-payment-session-id"), Some(&id));
        assert_eq!(params.get("cko-session-id"), Some(&sid));
        assert_eq!(
            params.get("cko-payment-id").map(String::as_str),
            Some(outcome.payment_id())
        );
        let read = client.get_payment_session(&id).await.expect("read");
        assert_eq!(
            read.value.status.as_deref(),
            Some(if failed { "Active" } else { "Completed" })
        );
        // Answered once.
        let again = browser.get(&challenge).send().await.expect("again");
        assert_eq!(again.status().as_u16(), 404);
    }
    let unknown = browser
        .get(format!("{}/3ds/sid_unknown", sandbox.base_url()))
        .send()
        .await
        .expect("unknown");
    assert_eq!(unknown.status().as_u16(), 404);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_inspection_endpoints_show_requests_redacted_failures_state_and_reset() {
    let sandbox = sandbox().await;
    let http = reqwest::Client::new();
    let inspect = |path: &str| {
        format!(
            "{}{}{path}",
            sandbox.base_url(),
            payclient_sandbox::INSPECTION_PREFIX
        )
    };
    let get = |path: String| {
        let http = http.clone();
        async move {
            let response = http.get(path).send().await.expect("sent");
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Value>().await.expect("json")
        }
    };

    // A refused Cybersource call and a Checkout session.
    let refused = http
        .post(format!("{}/flex/v2/sessions", sandbox.base_url()))
        .bearer_auth("not.a-jwt.at-all")
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 401);
    let client = checkout_client(&sandbox);
    let created = client
        .create_payment_session(payclient_demo::session_request(1000).expect("request"))
        .await
        .expect("created");

    let requests = get(inspect("/requests")).await;
    let requests = requests["requests"].as_array().expect("list").clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(
        (
            requests[0]["method"].as_str(),
            requests[0]["path"].as_str(),
            requests[0]["status"].as_u64()
        ),
        (Some("POST"), Some("/flex/v2/sessions"), Some(401))
    );
    assert_eq!(requests[1]["status"], 201);
    let text = Value::Array(requests).to_string();
    assert!(text.contains(r#"["authorization","<redacted>"]"#), "{text}");
    assert!(!text.contains("not.a-jwt") && !text.contains(&sandbox.config().checkout_secret_key));

    let failures = get(inspect("/auth-failures")).await;
    assert_eq!(
        failures["authFailures"],
        json!(["the JWT header is not base64url JSON"])
    );
    let state = get(inspect("/state")).await;
    assert_eq!(
        state["checkout"]["paymentSessions"][0]["id"].as_str(),
        Some(created.value.id.as_str())
    );
    let triggers = get(inspect("/triggers")).await;
    assert_eq!(triggers["passkey"]["otp"], payclient_sandbox::passkey::OTP);

    let moved = http
        .post(inspect("/clock"))
        .json(&json!({"advanceSeconds": 60}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        moved.json::<Value>().await.expect("json")["clockOffsetSeconds"],
        60
    );
    let refused = http
        .post(inspect("/clock"))
        .json(&json!({"advanceSeconds": -1}))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 400);

    let reset = http.post(inspect("/reset")).send().await.expect("sent");
    assert_eq!(reset.status().as_u16(), 200);
    let state = get(inspect("/state")).await;
    assert_eq!(state["checkout"]["paymentSessions"], json!([]));
    assert_eq!(state["clockOffsetSeconds"], 0);
    assert_eq!(get(inspect("/requests")).await["requests"], json!([]));
    assert_eq!(sandbox.payment_sessions(), 0);
    let unknown = http.get(inspect("/nope")).send().await.expect("sent");
    assert_eq!(unknown.status().as_u16(), 404);
    sandbox.shutdown().await;
}
