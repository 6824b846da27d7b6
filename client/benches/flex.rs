//! Flex: validating a capture context with a cached key, and building the
//! JWE for a card payload. `cargo bench -p payclient --bench flex`

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use payclient::cybersource::{Authentication, CybersourceClient, CybersourceConfig, Environment};
use payclient::flex::{
    CaptureField, CardNumber, FlexClient, FlexOptions, PaymentData, SecurityCode,
};
use secrecy::SecretString;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn jwk(pair: &KeyPair, kid: &str, usage: &str) -> serde_json::Value {
    let c = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    serde_json::json!({"kty": "RSA", "use": usage, "kid": kid, "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e)})
}

fn sign(pair: &KeyPair, claims: &serde_json::Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"kid":"k1","alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let signing = KeyPair::generate(KeySize::Rsa2048).expect("key");
    let encryption = KeyPair::generate(KeySize::Rsa2048).expect("key");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let (server, flex) = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(path("/flex/v2/public-keys/k1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwk(&signing, "k1", "sig")))
            .mount(&server)
            .await;
        let config = CybersourceConfig::builder()
            .merchant_id("test_merchant")
            .key_id("key")
            .shared_secret(SecretString::from(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ))
            .environment(Environment::Custom {
                base_url: server.uri(),
                signing_host: "apitest.cybersource.com".into(),
            })
            .authentication(Authentication::HttpSignature)
            .build()
            .expect("config");
        let options = FlexOptions {
            allowed_origins: Some(vec!["https://testflex.cybersource.com".into()]),
            ..FlexOptions::default()
        };
        (
            server,
            FlexClient::with_options(CybersourceClient::new(config), options),
        )
    });
    // The seed's capture context shape, with this bench's keys.
    let context_jwt = sign(
        &signing,
        &serde_json::json!({
            "flx": {"path": "/flex/v2/tokens", "data": "NTaTH27qZUlODxRUBEKIrhAAEFAAlrh8y17ghNZnyYVQb8vzBGNPWSmlznzPqC93XfuMJb+s7DTykZ5Q+yjPoF03Blczt5VviIGUcKh60cSgsHI=",
                    "origin": "https://testflex.cybersource.com", "jwk": jwk(&encryption, "00SvIaGIfyaw897rDeG9eFdODKaCKc1q", "enc")},
            "ctx": [{"data": {"requiredFields": ["paymentInformation.card.number"], "optionalFields": ["paymentInformation.card.expirationYear", "paymentInformation.card.expirationMonth", "paymentInformation.card.type", "paymentInformation.card.securityCode"]}, "type": "api-0.1.0"}],
            "iss": "Flex API", "exp": now + 3600, "iat": now, "jti": "rOAksGcp8Bgg6WLj"
        }),
    );
    let context = runtime
        .block_on(flex.validate_capture_context(&context_jwt))
        .expect("valid, and the key is now cached");

    c.bench_function("flex/validate_capture_context_cached_key", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(flex.validate_capture_context(black_box(&context_jwt)))
                    .expect("valid"),
            )
        })
    });

    let data = PaymentData::new()
        .card_number(CardNumber::new("4111111111111111").expect("pan"))
        .security_code(SecurityCode::new("123").expect("cvv"))
        .set(CaptureField::CardExpirationMonth, "06")
        .set(CaptureField::CardExpirationYear, "2031")
        .set(CaptureField::CardType, "001");
    c.bench_function("flex/encrypt_card_payload_jwe", |b| {
        b.iter(|| black_box(context.encrypt(black_box(&data)).expect("jwe")))
    });

    // The floor: the RSA-2048 signature verification alone.
    let parts: Vec<&str> = context_jwt.rsplitn(2, '.').collect();
    let signature = URL_SAFE_NO_PAD.decode(parts[0]).expect("b64");
    let c_pub = PublicKeyComponents::<Vec<u8>>::from(signing.public_key());
    let parsed = PublicKeyComponents {
        n: c_pub.n.as_slice(),
        e: c_pub.e.as_slice(),
    }
    .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)
    .expect("key");
    c.bench_function("floor/rsa2048_verify", |b| {
        b.iter(|| {
            black_box(
                parsed
                    .verify_sig(black_box(parts[1].as_bytes()), black_box(&signature))
                    .is_ok(),
            )
        })
    });
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
