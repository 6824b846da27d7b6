//! No secret, signature, token or card data reaches `Debug`, `Display` or
//! tracing output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::*;
use payclient::cybersource::Authentication;
use secrecy::SecretString;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAN: &str = "4111111111111111";

fn forbidden() -> Vec<String> {
    let secret = secret_bytes();
    vec![
        SECRET_B64.to_owned(),
        String::from_utf8_lossy(&secret).into_owned(),
        PAN.to_owned(),
        "Bearer ".to_owned(),
        "signature=\"".to_owned(),
        "p12-password".to_owned(),
    ]
}

fn assert_clean(text: &str) {
    for needle in forbidden() {
        assert!(!text.contains(&needle), "`{needle}` leaked into: {text}");
    }
}

/// Where a test's tracing subscriber writes, to be searched afterwards.
#[derive(Clone, Default)]
pub(crate) struct Buffer(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn errors_configs_and_traces_never_show_secrets_or_card_data() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    // The vendor echoes the card number back in its error body.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!(
            r#"{{"response":{{"rmsg":"Authentication Failed"}},"echo":"{PAN}"}}"#
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("not json {PAN}")))
        .mount(&server)
        .await;

    let mut texts = Vec::new();
    for auth in [
        Authentication::HttpSignature,
        Authentication::JwtSharedSecret,
    ] {
        let client = client(&server.uri(), auth);
        texts.push(format!("{:?}", client.config()));
        texts.push(format!("{client:?}"));
        let flex = client.flex();
        let request: payclient::flex::raw::types::CaptureContextRequest = serde_json::from_value(
            serde_json::json!({"fields": {"paymentInformation": {"card": {"number": {}}}}}),
        )
        .expect("valid");
        let err = client
            .run_bytes(|| flex.create_capture_context().body(request.clone()))
            .await
            .expect_err("401");
        assert!(
            matches!(&err, payclient::Error::Api(api) if api.raw_body().windows(PAN.len()).any(|w| w == PAN.as_bytes())),
            "the raw body is kept for the caller"
        );
        texts.push(format!("{err}"));
        texts.push(format!("{err:?}"));
        let err = client
            .run(|| flex.get_public_key().kid("zu"))
            .await
            .expect_err("not json");
        texts.push(format!("{err}"));
        texts.push(format!("{err:?}"));
    }
    #[cfg(feature = "p12")]
    {
        let signing = certificate("S-1");
        let p12 = p12(&signing, None, "p12-password");
        let auth = Authentication::JwtCertificate {
            p12: p12.clone(),
            password: SecretString::from("p12-password"),
        };
        texts.push(format!("{auth:?}"));
        let config = builder(&server.uri(), auth).build().expect("config");
        texts.push(format!("{config:?}"));
        let key =
            payclient::cybersource::P12SigningKey::from_pkcs12(&p12, "p12-password").expect("p12");
        texts.push(format!("{key:?}"));
        let _ = payclient::cybersource::CybersourceClient::new(config);
    }
    let err = builder(&server.uri(), Authentication::HttpSignature)
        .shared_secret(SecretString::from("%%%not-base64%%%"))
        .build()
        .unwrap_err();
    texts.push(format!("{err} {err:?}"));
    assert!(!texts.last().expect("text").contains("%%%not-base64%%%"));

    for text in &texts {
        assert_clean(text);
    }
    let traces = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf-8");
    // The span of each attempt carries OpenTelemetry's HTTP client names.
    for field in [
        "payclient.operation=\"create_capture_context\"",
        "http.request.method=\"POST\"",
        "server.address=\"apitest.cybersource.com\"",
        "url.template=\"/flex/v2/sessions\"",
        "url.path=\"/flex/v2/sessions\"",
        "http.request.resend_count=0",
        "http.response.status_code=401",
    ] {
        assert!(traces.contains(field), "{field} missing from {traces}");
    }
    assert_clean(&traces);
}

#[test]
fn generated_request_and_response_types_redact_sensitive_fields() {
    let validate: payclient::passkey::raw::types::ValidateAuthenticationRequest = serde_json::from_value(serde_json::json!({
        "clientCorrelationId": "c", "stepUpOption": {"id": "i"}, "otp": "456789", "issuerAuthCode": "HTZlY2YwOWQ3MDZmYWZj4GMww2Y0YjllZWFkODZkHJI="
    }))
    .expect("valid");
    let credentials: payclient::passkey::raw::types::PaymentCredentialsResponse = serde_json::from_value(serde_json::json!({
        "tokenizedCard": {"number": "4895370016750801", "cryptogram": "AwAAAADggP/Ce5+ZciCXQUUAAAA=", "securityCode": "8765", "eci": "05", "card": {"number": "4111111111111111"}}
    }))
    .expect("lenient");
    let purchase: payclient::intelligent_commerce::raw::types::CredentialsResponse =
        serde_json::from_value(serde_json::json!({"status": "COMPLETED", "authorization": "15602cf86c70b8b63297134292ec5801", "signedPayload": "eyJhbGciOiJSUzI1NiJ9.eyJjcmVkZW50aWFscyI6IjQ4OTUifQ.c2lnbmF0dXJl"}))
            .expect("lenient");
    let text = format!("{validate:?} {credentials:?} {purchase:?}");
    for secret in [
        "456789",
        "HTZlY2YwOWQ3",
        "4895370016750801",
        "AwAAAADggP",
        "15602cf86c70b8b6",
        "eyJjcmVkZW50aWFscyI6",
        "8765",
        "4111111111111111",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
    }
    assert!(
        text.contains("\"05\""),
        "non-sensitive fields still show: {text}"
    );
    // On the wire the values are sent as they are.
    assert_eq!(
        serde_json::to_value(&validate).expect("json")["otp"],
        "456789"
    );
}
