//! Response MLE: answers the sandbox seals with its own JWE code (success
//! and error answers alike) are opened with the merchant's key; an
//! encrypted answer without a key, to another key, or over its limit is an
//! error that names what happened; a configuration that asks for sealed
//! answers it cannot open, or cannot ask for them, is refused when built.

use payclient::cybersource::{
    Authentication, CybersourceClient, CybersourceConfig, CybersourceConfigBuilder, Environment,
};
use payclient::flex::{CaptureField, CaptureSelection, FlexClient, FlexOptions};
use payclient::passkey::{
    AuthenticationRequest, BrowserDevice, IframeOutput, PasskeyClient, amount_numeric,
    encoded_merchant,
};
use payclient::{ConfigError, Error, ResponseLimits, Sensitive};
use payclient_sandbox::Sandbox;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderValue, USER_AGENT};
use secrecy::SecretString;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{builder, check_hs256_jwt};

fn sandbox_builder(sandbox: &Sandbox) -> CybersourceConfigBuilder {
    let c = sandbox.config();
    CybersourceConfig::builder()
        .merchant_id(&c.merchant_id)
        .key_id(&c.key_id)
        .shared_secret(SecretString::from(c.shared_secret.clone()))
        .environment(Environment::Custom {
            base_url: sandbox.base_url().to_owned(),
            signing_host: c.signing_host.clone(),
        })
}

fn with_sandbox_key(sandbox: &Sandbox) -> CybersourceConfigBuilder {
    sandbox_builder(sandbox).response_mle_key(
        sandbox.response_mle_private_key_pem(),
        sandbox.config().response_mle_kid.clone(),
    )
}

fn flex(config: CybersourceConfig, sandbox: &Sandbox) -> FlexClient {
    FlexClient::with_options(
        CybersourceClient::new(config),
        FlexOptions {
            allowed_origins: Some(vec![sandbox.base_url().to_owned()]),
            ..FlexOptions::default()
        },
    )
}

fn card_number_only() -> CaptureSelection {
    CaptureSelection::new().require(CaptureField::CardNumber)
}

fn authentication_request() -> AuthenticationRequest {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("text/html"));
    headers.insert(USER_AGENT, HeaderValue::from_static("Mozilla/5.0"));
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-US"));
    let iframe: IframeOutput = serde_json::from_value(serde_json::json!({
        "platformType": "WEB",
        "browserData": {"browserJavaEnabled": false, "browserJavascriptEnabled": true,
            "browserColorDepth": 24, "browserScreenHeight": 1080, "browserScreenWidth": 1920,
            "browserTimeZone": 0}
    }))
    .expect("iframe output");
    AuthenticationRequest {
        secure_token: Sensitive::from("secure-token"),
        authenticator_render_method: "IFRAME".to_owned(),
        amount: amount_numeric("25.00", "EUR").expect("amount"),
        merchant: encoded_merchant("Example Shop", "https://shop.example").expect("merchant"),
        device: BrowserDevice::from_headers(&headers, "203.0.113.5".parse().expect("ip"))
            .or(iframe.browser_device())
            .build()
            .expect("device"),
    }
}

#[tokio::test]
async fn sealed_answers_are_opened_and_only_the_operations_asked_for_are_sealed() {
    let sandbox = Sandbox::start().await.expect("sandbox");

    // Asked for on every operation: the capture context (a JWT) comes
    // sealed and is opened, then verified as usual.
    let all = flex(
        with_sandbox_key(&sandbox)
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
        &sandbox,
    );
    let context = all
        .create_capture_context(&card_number_only())
        .await
        .expect("a sealed capture context opens and verifies");
    assert_eq!(context.origin(), sandbox.base_url());
    assert_eq!(sandbox.sealed_answers(), 1);

    // A key, but sealed answers asked for on no operation: plain answers.
    let none = flex(
        with_sandbox_key(&sandbox).build().expect("config"),
        &sandbox,
    );
    none.create_capture_context(&card_number_only())
        .await
        .expect("plain");
    assert_eq!(sandbox.sealed_answers(), 1);

    // Asked for on one operation only.
    let one = flex(
        with_sandbox_key(&sandbox)
            .response_mle_for_operation(&payclient::flex::operations::CREATE_CAPTURE_CONTEXT, true)
            .build()
            .expect("config"),
        &sandbox,
    );
    one.create_capture_context(&card_number_only())
        .await
        .expect("sealed");
    assert_eq!(sandbox.sealed_answers(), 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_sealed_error_answer_is_opened_and_read_as_the_vendors_error() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let passkey = PasskeyClient::new(CybersourceClient::new(
        with_sandbox_key(&sandbox)
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
    ));
    let err = passkey
        .authentication_options("7000000000000000000", None, &authentication_request())
        .await
        .expect_err("unknown token");
    assert_eq!(sandbox.sealed_answers(), 1);
    // Parsed from the opened body, not the sealed one.
    assert_eq!(err.code(), Some("notFound"), "{err:?}");
    assert!(
        matches!(&err, Error::Api(api) if api.status == 404),
        "{err:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_answer_sealed_to_another_key_is_a_verification_error() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    // The merchant's kid, but not its key.
    let other = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .expect("key");
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&other)
        .expect("pkcs8");
    let client = flex(
        sandbox_builder(&sandbox)
            .response_mle_key(
                der.as_ref().to_vec(),
                sandbox.config().response_mle_kid.clone(),
            )
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
        &sandbox,
    );
    let err = client
        .create_capture_context(&card_number_only())
        .await
        .expect_err("cannot open");
    match &err {
        Error::Verification(v) => {
            assert_eq!(v.what, "encryptedResponse");
            assert!(v.reason.contains("does not unwrap"), "{v}");
        }
        other => panic!("expected a verification error, got {other:?}"),
    }
    // Nothing of the sealed body in the error.
    assert!(!format!("{err} {err:?}").contains("eyJ"), "{err:?}");

    // A kid the merchant never registered is refused by the gateway.
    let unregistered = flex(
        with_sandbox_key(&sandbox)
            .response_mle_key(
                sandbox.response_mle_private_key_pem(),
                "not-the-registered-kid",
            )
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
        &sandbox,
    );
    let err = unregistered
        .create_capture_context(&card_number_only())
        .await
        .expect_err("401");
    assert!(
        matches!(&err, Error::Api(api) if api.status == 401),
        "{err:?}"
    );
    assert!(
        sandbox
            .auth_failures()
            .iter()
            .any(|why| why.contains("response MLE key id")),
        "{:?}",
        sandbox.auth_failures()
    );
    sandbox.shutdown().await;
}

/// A server that answers `status` with a sealed body, and a Passkey client
/// with no response MLE key.
async fn sealed_answers_without_a_key(status: u16) -> (MockServer, PasskeyClient) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_json(
            serde_json::json!({"encryptedResponse": "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"}),
        ))
        .mount(&server)
        .await;
    let client = CybersourceClient::new(
        builder(&server.uri(), Authentication::JwtSharedSecret)
            .build()
            .expect("config"),
    );
    (server, PasskeyClient::new(client))
}

#[tokio::test]
async fn a_sealed_answer_without_a_key_is_refused_by_name_and_nothing_asks_for_one() {
    let (server, passkey) = sealed_answers_without_a_key(200).await;
    let err = passkey
        .authentication_options("7010000000016241111", None, &authentication_request())
        .await
        .expect_err("sealed without a key");
    match &err {
        Error::Verification(v) => assert!(
            v.reason.contains("no response MLE key is configured"),
            "{v}"
        ),
        other => panic!("expected a verification error, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("eyJhbGci"), "{err:?}");
    // Without a key the JWT never asks for sealed answers.
    let received = server.received_requests().await.expect("recorded");
    let claims = check_hs256_jwt(&received[0]);
    assert!(claims.get("v-c-response-mle-kid").is_none(), "{claims}");
}

#[tokio::test]
async fn the_jwt_names_the_key_only_for_operations_asked_for() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let sandbox_key = Sandbox::start().await.expect("sandbox");
    let pem = sandbox_key.response_mle_private_key_pem().to_owned();
    sandbox_key.shutdown().await;
    let config = builder(&server.uri(), Authentication::JwtSharedSecret)
        .response_mle_key(pem, "merchant-response-kid")
        .response_mle_for_operation(
            &payclient::passkey::operations::CREATE_AUTHENTICATION_OPTIONS,
            true,
        )
        .retry(payclient::RetryPolicy::none())
        .build()
        .expect("config");
    let passkey = PasskeyClient::new(CybersourceClient::new(config));
    let _ = passkey
        .authentication_options("7010000000016241111", None, &authentication_request())
        .await;
    let received = server.received_requests().await.expect("recorded");
    let claims = check_hs256_jwt(&received[0]);
    assert_eq!(claims["v-c-response-mle-kid"], "merchant-response-kid");
    // The vendor SDKs' order: the claim comes last.
    let last = claims
        .as_object()
        .and_then(|o| o.keys().next_back().cloned())
        .expect("claims");
    assert_eq!(last, "v-c-response-mle-kid");
}

#[tokio::test]
async fn a_sealed_answer_over_its_limit_is_too_large_not_opened() {
    let server = MockServer::start().await;
    let huge = "A".repeat(4096);
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"encryptedResponse": huge})),
        )
        .mount(&server)
        .await;
    let sandbox_key = Sandbox::start().await.expect("sandbox");
    let pem = sandbox_key.response_mle_private_key_pem().to_owned();
    sandbox_key.shutdown().await;
    let config = builder(&server.uri(), Authentication::JwtSharedSecret)
        .response_mle_key(pem, "kid")
        .response_limits(ResponseLimits::default().with_success(1024))
        .build()
        .expect("config");
    let passkey = PasskeyClient::new(CybersourceClient::new(config));
    let err = passkey
        .authentication_options("7010000000016241111", None, &authentication_request())
        .await
        .expect_err("too large");
    assert!(matches!(err, Error::ResponseTooLarge(_)), "{err:?}");
}

#[test]
fn a_configuration_that_cannot_open_or_ask_for_sealed_answers_is_refused() {
    let field = |e: ConfigError| match e {
        ConfigError::Invalid { field, reason } => (field, reason),
        other => panic!("{other:?}"),
    };
    let base = || {
        builder(
            "https://apitest.cybersource.com",
            Authentication::JwtSharedSecret,
        )
    };

    let (name, reason) = field(
        base()
            .response_mle_for_all_operations(true)
            .build()
            .unwrap_err(),
    );
    assert_eq!(name, "response_mle_key");
    assert!(reason.contains("no response MLE key"), "{reason}");
    let (name, _) = field(
        base()
            .response_mle_for_operation(&payclient::flex::operations::CREATE_CAPTURE_CONTEXT, true)
            .build()
            .unwrap_err(),
    );
    assert_eq!(name, "response_mle_key");

    let (name, reason) = field(
        base()
            .response_mle_key(
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
                "k",
            )
            .build()
            .unwrap_err(),
    );
    assert_eq!(name, "response_mle_key");
    assert!(
        reason.contains("PRIVATE KEY") || reason.contains("PEM"),
        "{reason}"
    );
    let (name, _) = field(
        base()
            .response_mle_key(b"not a key".to_vec(), "k")
            .build()
            .unwrap_err(),
    );
    assert_eq!(name, "response_mle_key");
    let (name, _) = field(
        base()
            .response_mle_key(b"not a key".to_vec(), "")
            .build()
            .unwrap_err(),
    );
    assert_eq!(name, "response_mle_key");

    // HTTP Signature has no JWT to carry `v-c-response-mle-kid`.
    let key = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .expect("key");
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key)
        .expect("pkcs8")
        .as_ref()
        .to_vec();
    let (name, reason) = field(
        builder(
            "https://apitest.cybersource.com",
            Authentication::HttpSignature,
        )
        .response_mle_key(der.clone(), "k")
        .build()
        .unwrap_err(),
    );
    assert_eq!(name, "response_mle_key");
    assert!(reason.contains("HTTP Signature"), "{reason}");

    // The key never shows in Debug.
    let config = base()
        .response_mle_key(der, "kid-1")
        .build()
        .expect("config");
    let shown = format!("{config:?}");
    assert!(
        shown.contains("kid-1") && shown.contains("<redacted>"),
        "{shown}"
    );
}

/// The vendor's Python SDK in the venv CI builds from
/// `client/tests/vendor/requirements.txt` (`PAYCLIENT_VENDOR_PYTHON`), or
/// `None` outside CI when it is not installed. In CI its absence fails.
fn vendor_python() -> Option<std::path::PathBuf> {
    match std::env::var_os("PAYCLIENT_VENDOR_PYTHON") {
        Some(python) => Some(python.into()),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set PAYCLIENT_VENDOR_PYTHON to the vendor SDK's venv (see .ci/run)")
        }
        None => {
            eprintln!(
                "skipped: set PAYCLIENT_VENDOR_PYTHON to a python with client/tests/vendor/requirements.txt installed"
            );
            None
        }
    }
}

fn vendor_script(python: &std::path::Path, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor/response_mle.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .expect("run the vendor script");
    assert!(
        output.status.success(),
        "vendor script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[tokio::test]
async fn the_vendors_sdk_opens_what_the_sandbox_seals_and_payclient_opens_what_jwcrypto_seals() {
    let Some(python) = vendor_python() else {
        return;
    };
    let sandbox = Sandbox::start().await.expect("sandbox");
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("response-mle.pem");
    std::fs::write(&key, sandbox.response_mle_private_key_pem()).expect("key file");

    // The sandbox's sealing, opened by the vendor SDK's own function.
    let plain = br#"{"action":"AUTHENTICATION_REGISTRATION"}"#;
    let sealed = dir.path().join("sealed.json");
    std::fs::write(&sealed, sandbox.sealed_answer(plain).expect("seal")).expect("body file");
    let opened = vendor_script(&python, &["open".as_ref(), key.as_ref(), sealed.as_ref()]);
    assert_eq!(opened, plain);

    // jwcrypto's sealing (the library the SDK opens answers with), opened
    // by payclient on the wire into a typed answer.
    let plaintext = dir.path().join("plain.json");
    std::fs::write(&plaintext, plain).expect("plaintext file");
    let kid = sandbox.config().response_mle_kid.clone();
    let body = vendor_script(
        &python,
        &[
            "seal".as_ref(),
            key.as_ref(),
            kid.as_ref(),
            plaintext.as_ref(),
        ],
    );
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let passkey = PasskeyClient::new(CybersourceClient::new(
        builder(&server.uri(), Authentication::JwtSharedSecret)
            .response_mle_key(sandbox.response_mle_private_key_pem(), kid)
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
    ));
    let session = passkey
        .authentication_options("7010000000016241111", None, &authentication_request())
        .await
        .expect("jwcrypto's sealed answer opens");
    assert!(
        matches!(session.step(), payclient::passkey::PasskeyStep::Register),
        "{:?}",
        session.step()
    );
    sandbox.shutdown().await;
}

/// The registered-device branch up to payment credentials, with `config`.
async fn payment_credentials(
    config: CybersourceConfig,
) -> Result<payclient::passkey::TokenizedCredentials, Error> {
    payment_credentials_on(config, payclient::passkey::CredentialsVersion::V2).await
}

/// The same on the vendor's `version` of the operation.
async fn payment_credentials_on(
    config: CybersourceConfig,
    version: payclient::passkey::CredentialsVersion,
) -> Result<payclient::passkey::TokenizedCredentials, Error> {
    use payclient::passkey::{
        CredentialsOptions, CredentialsRequest, amount_alphabetic, plain_merchant,
    };
    let passkey = PasskeyClient::new(CybersourceClient::new(config));
    let mut session = passkey
        .authentication_options(
            payclient_sandbox::passkey::REGISTERED_DEVICE_TOKEN_ID,
            None,
            &authentication_request(),
        )
        .await?;
    let iframe: IframeOutput = serde_json::from_value(serde_json::json!({
        "type": "AUTHENTICATE",
        "platformType": "WEB",
        "browserData": {"browserHeader": "text/html", "browserLanguage": "en-US",
            "browserJavaEnabled": false, "browserJavascriptEnabled": true,
            "browserColorDepth": "24", "browserScreenHeight": "1080", "browserScreenWidth": "1920",
            "browserTimeZone": "0", "ipAddress": "203.0.113.5", "userAgent": "Mozilla/5.0"},
        "fidoResponse": {"fidoBlob": "ZmlkbyBhc3NlcnRpb24", "identifier": "passkey-credential-1",
            "rpID": "c2hvcC5leGFtcGxl"}
    }))
    .expect("iframe output");
    let request = CredentialsRequest {
        transaction_type: "ECOM".to_owned(),
        amount: amount_alphabetic("25.00", "978")?,
        bill_to: payclient::request_from_json(serde_json::json!({
            "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
            "address1": "1 Analytical Row", "locality": "London",
            "administrativeArea": "LND", "postalCode": "N1 9GU", "country": "GB"}))?,
        merchant: plain_merchant("Example Shop", "https://shop.example")?,
        device: iframe.browser_device().build()?,
        identities: vec![iframe.authenticated_identity("order-1")?],
    };
    passkey
        .payment_credentials_with(
            &mut session,
            request,
            CredentialsOptions::default().version(version),
        )
        .await
}

#[tokio::test]
async fn payment_credentials_come_as_the_vendors_jose_when_a_key_can_open_them() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    // With the merchant's key: `Accept: application/jose`, a bare compact
    // JWE answer, opened into the typed credentials.
    let credentials = payment_credentials(with_sandbox_key(&sandbox).build().expect("config"))
        .await
        .expect("jose credentials");
    assert_eq!(credentials.eci(), Some("05"));
    assert!(credentials.cryptogram().is_some());
    assert_eq!(sandbox.sealed_answers(), 1);

    // Also inside the response MLE wrapper: both layers are opened.
    let credentials = payment_credentials(
        with_sandbox_key(&sandbox)
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
    )
    .await
    .expect("wrapped jose credentials");
    assert_eq!(credentials.eci(), Some("05"));
    // authentication-options sealed once, payment-credentials twice.
    assert_eq!(sandbox.sealed_answers(), 4);

    // Without a key: the JSON the product document shows.
    let credentials = payment_credentials(sandbox_builder(&sandbox).build().expect("config"))
        .await
        .expect("json credentials");
    assert_eq!(credentials.eci(), Some("05"));
    assert_eq!(sandbox.sealed_answers(), 4);

    // v3 asks and is answered the same way.
    let credentials = payment_credentials_on(
        with_sandbox_key(&sandbox).build().expect("config"),
        payclient::passkey::CredentialsVersion::V3,
    )
    .await
    .expect("v3 jose credentials");
    assert_eq!(credentials.eci(), Some("05"));
    assert_eq!(sandbox.sealed_answers(), 5);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_jose_answer_without_a_key_or_to_another_key_is_refused_by_name() {
    // A server that answers JOSE whatever was asked.
    let sandbox = Sandbox::start().await.expect("sandbox");
    let jwe = serde_json::from_str::<serde_json::Value>(
        &sandbox
            .sealed_answer(br#"{"tokenizedCard":{}}"#)
            .expect("seal"),
    )
    .expect("json")["encryptedResponse"]
        .as_str()
        .expect("jwe")
        .to_owned();
    sandbox.shutdown().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(jwe, "application/jose;charset=utf-8"),
        )
        .mount(&server)
        .await;
    let raw_call = |client: CybersourceClient| async move {
        let passkey = client.passkey().clone();
        let body: payclient::passkey::raw::types::PaymentCredentialsRequest =
            serde_json::from_value(crate::support::request_example(
                include_str!("../../../specs/cybersource-passkey.yaml"),
                "/tms/v2/tokens/{tokenId}/payment-credentials",
                "post",
            ))
            .expect("the spec's example");
        client
            .run(|| {
                passkey
                    .create_payment_credentials()
                    .token_id("7010000000016241111")
                    .body(body.clone())
            })
            .await
    };
    let no_key = CybersourceClient::new(
        builder(&server.uri(), Authentication::JwtSharedSecret)
            .build()
            .expect("config"),
    );
    let err = raw_call(no_key).await.expect_err("no key");
    assert!(
        matches!(&err, Error::Verification(v) if v.what == "application/jose"
            && v.reason.contains("no response MLE key")),
        "{err:?}"
    );
    let received = server.received_requests().await.expect("recorded");
    assert_eq!(
        received[0]
            .headers
            .get("accept")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "without a key the JSON form is asked for"
    );

    let other = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .expect("key");
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&other)
        .expect("pkcs8");
    let wrong_key = CybersourceClient::new(
        builder(&server.uri(), Authentication::JwtSharedSecret)
            .response_mle_key(der.as_ref().to_vec(), "payclient-sandbox-response-mle")
            .build()
            .expect("config"),
    );
    let err = raw_call(wrong_key).await.expect_err("wrong key");
    assert!(matches!(&err, Error::Verification(_)), "{err:?}");
    let received = server.received_requests().await.expect("recorded");
    assert_eq!(
        received[1]
            .headers
            .get("accept")
            .and_then(|v| v.to_str().ok()),
        Some("application/jose;charset=utf-8"),
        "with a key the vendor's form is asked for"
    );
}

#[cfg(feature = "p12")]
#[tokio::test]
async fn the_response_mle_key_and_its_kid_come_from_a_p12_file() {
    use base64::Engine as _;
    let sandbox = Sandbox::start().await.expect("sandbox");
    let pem = sandbox.response_mle_private_key_pem();
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .expect("pem body");
    let kid = sandbox.config().response_mle_kid.clone();
    let merchant = sandbox.config().merchant_id.to_uppercase();
    // As a Cybersource-generated P12 carries it: the merchant's certificate
    // (common name = merchant id, any case) with the kid as SERIALNUMBER.
    let certificate = crate::support::certificate_for_key(&der, &kid, &merchant);
    let p12 = crate::support::p12(&certificate, None, "changeit");
    let client = flex(
        sandbox_builder(&sandbox)
            .response_mle_p12(p12.clone(), SecretString::from("changeit"), None)
            .response_mle_for_all_operations(true)
            .build()
            .expect("config"),
        &sandbox,
    );
    client
        .create_capture_context(&card_number_only())
        .await
        .expect("sealed with the P12's key, asked for with its kid");
    assert_eq!(sandbox.sealed_answers(), 1);

    // A P12 whose certificate is not the merchant's needs the kid given.
    let stranger = crate::support::certificate_for_key(&der, &kid, "someone_else");
    let stranger_p12 = crate::support::p12(&stranger, None, "changeit");
    let err = sandbox_builder(&sandbox)
        .response_mle_p12(stranger_p12.clone(), SecretString::from("changeit"), None)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { field: "response_mle_key", reason } if reason.contains("give the key id")),
        "{err:?}"
    );
    sandbox_builder(&sandbox)
        .response_mle_p12(stranger_p12, SecretString::from("changeit"), Some(kid))
        .build()
        .expect("with the kid given");
    let err = sandbox_builder(&sandbox)
        .response_mle_p12(p12, SecretString::from("wrong"), None)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ConfigError::Invalid {
                field: "response_mle_key",
                ..
            }
        ),
        "{err:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_sealed_error_answer_without_a_key_is_refused_by_name() {
    let (server, passkey) = sealed_answers_without_a_key(400).await;
    let err = passkey
        .authentication_options("7010000000016241111", None, &authentication_request())
        .await
        .expect_err("sealed error answer without a key");
    assert!(
        matches!(&err, Error::Verification(v) if v.what == "encryptedResponse"),
        "{err:?}"
    );
    drop(server);
}

#[tokio::test]
async fn a_sealed_answer_is_refused_even_where_it_would_decode_as_an_empty_success() {
    // Every member of a confirmation answer is optional, so the wrapper
    // alone would decode as a success: without a key it must still be
    // refused before decoding.
    use payclient::intelligent_commerce::operations::CONFIRM_TRANSACTION_EVENTS;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(
            serde_json::json!({"encryptedResponse": "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"}),
        ))
        .mount(&server)
        .await;
    let client = CybersourceClient::new(
        builder(&server.uri(), Authentication::JwtSharedSecret)
            .mle_for_operation(&CONFIRM_TRANSACTION_EVENTS, false)
            .build()
            .expect("config"),
    );
    let icc = client.intelligent_commerce().clone();
    let body: payclient::intelligent_commerce::types::ConfirmTransactionEventsRequest =
        serde_json::from_value(crate::support::request_example(
            include_str!("../../../specs/cybersource-intelligent-commerce.yaml"),
            "/instructions/{instructionId}/confirmations",
            "post",
        ))
        .expect("the spec's example");
    let err = client
        .run(|| {
            icc.confirm_transaction_events()
                .instruction_id("0d8ba4a5-3f1c-4e1b-9a4f-4b7c5a8e2c11")
                .body(body.clone())
        })
        .await
        .expect_err("sealed, no key");
    assert!(
        matches!(&err, Error::Verification(v) if v.what == "encryptedResponse"),
        "{err:?}"
    );
}
