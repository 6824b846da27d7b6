//! The verification corpus `tests/vectors/jose-verification.json`: the mock
//! key endpoint serves its `keys` (404 for any other kid), the real
//! validation path runs with the clock at each case's `now`, and the verdict
//! must match. More cases in the same format can be added to the file.
//!
//! `cargo test -p payclient --test jose_corpus -- --ignored write_corpus`
//! rewrites the file with fresh keys.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use payclient::cybersource::Authentication;
use payclient::flex::{FlexClient, FlexOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: u64 = 1_795_000_000;

fn corpus_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/jose-verification.json")
}

#[derive(serde::Deserialize)]
struct Corpus {
    keys: std::collections::BTreeMap<String, serde_json::Value>,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    token: String,
    now: u64,
    expect: String,
}

#[tokio::test]
async fn every_corpus_case_gets_its_verdict() {
    let corpus: Corpus =
        serde_json::from_slice(&std::fs::read(corpus_path()).expect("corpus file"))
            .expect("corpus format");
    assert!(corpus.cases.len() >= 20, "the corpus is all there");
    let server = MockServer::start().await;
    for (kid, jwk) in &corpus.keys {
        Mock::given(method("GET"))
            .and(path(format!("/flex/v2/public-keys/{kid}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwk))
            .mount(&server)
            .await;
    }
    let mut wrong = Vec::new();
    for case in &corpus.cases {
        let now = UNIX_EPOCH + Duration::from_secs(case.now);
        let options = FlexOptions {
            clock: Arc::new(move || now),
            ..FlexOptions::default()
        };
        let flex = FlexClient::with_options(
            client(&server.uri(), Authentication::HttpSignature),
            options,
        );
        let verdict = match flex.validate_transient_token(&case.token).await {
            Ok(_) => "valid".to_owned(),
            Err(e) => format!("invalid ({e})"),
        };
        if std::env::var_os("PAYCLIENT_CORPUS_VERBOSE").is_some() {
            eprintln!("{}: {verdict}", case.name);
        }
        if !verdict.starts_with(case.expect.as_str()) {
            wrong.push(format!(
                "{}: expected {}, got {verdict}",
                case.name, case.expect
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn claims(extra: serde_json::Value) -> serde_json::Value {
    let mut base = serde_json::json!({"iss": "Flex/00", "exp": NOW + 900, "iat": NOW - 10, "jti": "1E0WC1GO87JG1BDP0CQ8SCR1TTK86U9N", "type": "mf-2.0.0",
        "content": {"paymentInformation": {"card": {"number": {"maskedValue": "XXXXXXXXXXXX1111", "bin": "411111"}}}}});
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            if v.is_null() {
                base.remove(k);
            } else {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

fn b64(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
#[ignore = "rewrites tests/vectors/jose-verification.json with fresh keys"]
fn write_corpus() {
    let k1 = JwtSigner::new("k1");
    let attacker = JwtSigner::new("k1");
    let valid = k1.sign(&claims(serde_json::json!({})));
    let (h, p, s) = {
        let parts: Vec<&str> = valid.split('.').collect();
        (
            parts[0].to_owned(),
            parts[1].to_owned(),
            parts[2].to_owned(),
        )
    };
    let header = |extra: serde_json::Value| {
        let mut h = serde_json::json!({"kid": "k1", "alg": "RS256"});
        for (k, v) in extra.as_object().expect("object") {
            if v.is_null() {
                h.as_object_mut().expect("object").remove(k);
            } else {
                h[k] = v.clone();
            }
        }
        h
    };
    let hmac_with_public_key = {
        use hmac::{Hmac, Mac};
        let input = format!("{}.{p}", b64(&header(serde_json::json!({"alg": "HS256"}))));
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(k1.jwk().to_string().as_bytes()).expect("key");
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    };
    let rs512 = {
        let input = format!("{}.{p}", b64(&header(serde_json::json!({"alg": "RS512"}))));
        let mut sig = vec![0u8; k1.pair.public_modulus_len()];
        k1.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA512,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let tampered = {
        let altered = b64(&claims(
            serde_json::json!({"content": {"paymentInformation": {"card": {"number": {"maskedValue": "XXXXXXXXXXXX9999"}}}}}),
        ));
        format!("{h}.{altered}.{s}")
    };
    let oversized = k1.sign(&claims(serde_json::json!({"pad": "x".repeat(70 * 1024)})));
    let cases: Vec<(&str, String, u64, &str)> = vec![
        ("valid token", valid.clone(), NOW, "valid"),
        ("unknown extra claims and members are kept, not rejected", k1.sign(&claims(serde_json::json!({"newClaim": {"nested": [1, 2]}, "content": {"paymentInformation": {"card": {"number": {"maskedValue": "XXXXXXXXXXXX1111", "brandNew": true}}}, "extra": 1}}))), NOW, "valid"),
        ("expired within the 60 s leeway", k1.sign(&claims(serde_json::json!({"exp": NOW - 30}))), NOW, "valid"),
        ("an embedded jwk of the real key is ignored", k1.sign_with_header(&header(serde_json::json!({"jwk": k1.jwk()})), &claims(serde_json::json!({}))), NOW, "valid"),
        ("expired", k1.sign(&claims(serde_json::json!({"exp": NOW - 3600}))), NOW, "invalid"),
        ("same token checked an hour after expiry", valid.clone(), NOW + 900 + 3600, "invalid"),
        ("alg none, no signature", format!("{}.{p}.", b64(&header(serde_json::json!({"alg": "none"})))), NOW, "invalid"),
        ("alg none with the original signature", format!("{}.{p}.{s}", b64(&header(serde_json::json!({"alg": "none"})))), NOW, "invalid"),
        ("HS256 keyed with the public key", hmac_with_public_key, NOW, "invalid"),
        ("different signing key under the same kid", attacker.sign(&claims(serde_json::json!({}))), NOW, "invalid"),
        ("tampered payload", tampered, NOW, "invalid"),
        ("stripped signature", format!("{h}.{p}."), NOW, "invalid"),
        ("truncated signature", format!("{h}.{p}.{}", &s[..s.len() - 10]), NOW, "invalid"),
        ("signature with one character changed", format!("{h}.{p}.{}{}", &s[..s.len() - 1], if s.ends_with('A') { "Q" } else { "A" }), NOW, "invalid"),
        ("missing kid", k1.sign_with_header(&header(serde_json::json!({"kid": null})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("unknown kid", k1.sign_with_header(&header(serde_json::json!({"kid": "k9"})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("path-traversal kid", k1.sign_with_header(&header(serde_json::json!({"kid": "../public-keys/k1"})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("kid with a query string", k1.sign_with_header(&header(serde_json::json!({"kid": "k1?x=1"})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("crit header", k1.sign_with_header(&header(serde_json::json!({"crit": ["exp"]})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("RS512", rs512, NOW, "invalid"),
        ("embedded attacker jwk", attacker.sign_with_header(&header(serde_json::json!({"jwk": attacker.jwk()})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("jku pointing elsewhere", attacker.sign_with_header(&header(serde_json::json!({"jku": "https://attacker.example/keys"})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("x5u pointing elsewhere", attacker.sign_with_header(&header(serde_json::json!({"x5u": "https://attacker.example/cert"})), &claims(serde_json::json!({}))), NOW, "invalid"),
        ("two segments", format!("{h}.{p}"), NOW, "invalid"),
        ("four segments", format!("{h}.{p}.{s}.{s}"), NOW, "invalid"),
        ("one segment", h.clone(), NOW, "invalid"),
        ("empty string", String::new(), NOW, "invalid"),
        ("standard base64 characters", format!("{}+/.{p}.{s}", &h[..h.len() - 2]), NOW, "invalid"),
        ("padded base64", format!("{h}.{p}=.{s}"), NOW, "invalid"),
        ("alg given twice, the last one RS256", k1.sign_with_raw_header(r#"{"alg":"none","kid":"k1","alg":"RS256"}"#, &claims(serde_json::json!({}))), NOW, "invalid"),
        ("crit present as null", k1.sign_with_raw_header(r#"{"kid":"k1","alg":"RS256","crit":null}"#, &claims(serde_json::json!({}))), NOW, "invalid"),
        ("header is a JSON array", k1.sign_with_raw_header(r#"["RS256","k1"]"#, &claims(serde_json::json!({}))), NOW, "invalid"),
        ("header is not JSON", format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode("not json")), NOW, "invalid"),
        ("payload is a JSON array", k1.sign(&serde_json::json!([1, 2, 3])), NOW, "invalid"),
        ("missing exp", k1.sign(&claims(serde_json::json!({"exp": null}))), NOW, "invalid"),
        ("non-numeric exp", k1.sign(&claims(serde_json::json!({"exp": (NOW + 900).to_string()}))), NOW, "invalid"),
        ("fractional exp", k1.sign(&claims(serde_json::json!({"exp": (NOW as f64) + 900.5}))), NOW, "invalid"),
        ("iat in the future", k1.sign(&claims(serde_json::json!({"iat": NOW + 3600}))), NOW, "invalid"),
        ("oversized token", oversized, NOW, "invalid"),
    ];
    let corpus = serde_json::json!({
        "keys": {"k1": k1.jwk()},
        "cases": cases.iter().map(|(name, token, now, expect)| serde_json::json!({"name": name, "token": token, "now": now, "expect": expect})).collect::<Vec<_>>(),
    });
    std::fs::write(
        corpus_path(),
        serde_json::to_string_pretty(&corpus).expect("json") + "\n",
    )
    .expect("write corpus");
}
