//! What `payclient` adds to a call: the same requests against the sandbox,
//! once through `payclient` (request checks, encoding, signing, hooks,
//! typed decoding) and once as plain `reqwest` sending the same bytes with
//! headers signed beforehand (outside the timing) and reading the answer's
//! bytes, parsing nothing.
//!
//! `cargo bench -p payclient-workspace-tests --bench overhead`
//!
//! Client and sandbox run on one single-threaded runtime; each iteration is
//! one request on a kept-alive loopback connection. Each timed call follows
//! an untimed call of the other variant, so both see the same connection
//! and sandbox state. Criterion still measures the two variants in separate
//! windows about 13 s apart, so a drift of the machine between them (seen
//! here: a fifth of the call time) does not cancel out of the ratio: compare
//! medians from one run, and repeat the run.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use criterion::{Criterion, criterion_group, criterion_main};
use payclient::cybersource::Authentication;
use payclient::flex::{CaptureField, CaptureSelection, FlexClient};
use payclient::passkey::PasskeyClient;
use payclient_sandbox::{Sandbox, SandboxConfig, passkey as tokens};
use serde_json::{Value, json};

/// Times `timed` (after `prepare`, untimed), each time right after an
/// untimed run of the other variant, so that both variants are measured
/// under the same conditions, call by call.
fn paired<T>(
    b: &mut criterion::Bencher<'_>,
    mut prepare: impl FnMut() -> T,
    mut timed: impl FnMut(T),
    mut other: impl FnMut(),
) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            other();
            let input = prepare();
            let start = Instant::now();
            timed(input);
            total += start.elapsed();
        }
        total
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An HS256 JWT for one request, as the vendor SDKs (and payclient) make it.
fn jwt(sandbox: &Sandbox, method: &str, path: &str, body: Option<&[u8]>) -> String {
    let c = sandbox.config();
    let t = now();
    let mut claims = json!({
        "iat": t, "exp": t + 120, "request-method": method, "request-host": c.signing_host,
        "request-resource-path": path, "iss": c.merchant_id, "jti": uuid::Uuid::new_v4().to_string(),
        "v-c-merchant-id": c.merchant_id, "v-c-jwt-version": "2",
    });
    if let Some(body) = body {
        claims["digest"] = json!(STANDARD.encode(digest::digest(&digest::SHA256, body)));
        claims["digestAlgorithm"] = json!("SHA-256");
    }
    let header = json!({"kid": c.key_id, "alg": "HS256", "typ": "JWT"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        &STANDARD.decode(&c.shared_secret).expect("secret"),
    );
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(hmac::sign(&key, input.as_bytes()))
    )
}

/// What payclient sends for `request`: body and headers (all but the
/// per-request `Authorization` and `Date`), from one call to a mock.
async fn captured_request(
    request: &payclient::passkey::AuthenticationRequest,
) -> (Vec<u8>, reqwest::header::HeaderMap) {
    use wiremock::matchers::method;
    let mock = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"action": "AUTHENTICATION_REGISTRATION"})),
        )
        .mount(&mock)
        .await;
    let config = payclient::cybersource::CybersourceConfig::builder()
        .merchant_id(SandboxConfig::default().merchant_id)
        .key_id(SandboxConfig::default().key_id)
        .shared_secret(secrecy::SecretString::from(
            SandboxConfig::default().shared_secret,
        ))
        .environment(payclient::cybersource::Environment::Custom {
            base_url: mock.uri(),
            signing_host: SandboxConfig::default().signing_host,
        })
        .build()
        .expect("config");
    PasskeyClient::new(payclient::cybersource::CybersourceClient::new(config))
        .authentication_options(tokens::REGISTERED_DEVICE_TOKEN_ID, None, request)
        .await
        .expect("captured");
    let sent = mock.received_requests().await.expect("recorded").remove(0);
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &sent.headers {
        if !matches!(name.as_str(), "authorization" | "date" | "content-length") {
            headers.insert(name.clone(), value.clone());
        }
    }
    (sent.body, headers)
}

fn bench(c: &mut Criterion) {
    // Client and sandbox share one single-threaded runtime, so a call is
    // the work both sides do, without cross-thread wake-ups: on two busy
    // cores those drift by a third of the call time between runs (measured
    // with the sandbox on its own thread), which would drown the overhead.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = &runtime
        .block_on(Sandbox::start_with(SandboxConfig::default()))
        .expect("sandbox");
    // One reqwest client for both sides: the same pool and settings.
    let plain = reqwest::Client::new();
    let cybersource = payclient::cybersource::CybersourceClient::new(
        payclient_demo::sandbox_cybersource(sandbox, Authentication::JwtSharedSecret)
            .http_client(plain.clone())
            .build()
            .expect("config"),
    );
    let base = sandbox.base_url().to_owned();
    let merchant = sandbox.config().merchant_id.clone();

    // Passkey authentication-options: JWT HS256 over a JSON body.
    let passkey = PasskeyClient::new(cybersource.clone());
    let request = payclient_demo::passkey_request("secure-token").expect("request");
    let path = format!(
        "/tms/v2/tokenized-cards/{}/authentication-options",
        tokens::REGISTERED_DEVICE_TOKEN_ID
    );
    // The exact bytes payclient sends, captured once from a mock, so that
    // the plain variant sends the same request.
    let (body, sent_headers) = runtime.block_on(captured_request(&request));
    let passkey_payclient = || {
        runtime
            .block_on(passkey.authentication_options(
                tokens::REGISTERED_DEVICE_TOKEN_ID,
                None,
                black_box(&request),
            ))
            .expect("options");
    };
    // Each plain request gets its own correlation id, as payclient's do, so
    // the sandbox keeps one flow per request in both variants.
    let captured_id = serde_json::from_slice::<Value>(&body).expect("json")["clientCorrelationId"]
        .as_str()
        .expect("correlation id")
        .to_owned();
    let text = String::from_utf8(body.clone()).expect("utf-8");
    let passkey_sign = || {
        let body = text.replace(&captured_id, &uuid::Uuid::new_v4().to_string());
        (jwt(sandbox, "POST", &path, Some(body.as_bytes())), body)
    };
    let passkey_plain = |(token, body): (String, String)| {
        runtime.block_on(async {
            let r = plain
                .post(format!("{base}{path}"))
                .headers(sent_headers.clone())
                .header("date", httpdate::fmt_http_date(SystemTime::now()))
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status().as_u16(), 200);
            black_box(r.bytes().await.expect("body"));
        })
    };
    let mut group = c.benchmark_group("overhead/passkey_authentication_options");
    group.bench_function("payclient", |b| {
        paired(
            b,
            || (),
            |()| passkey_payclient(),
            || passkey_plain(passkey_sign()),
        )
    });
    group.bench_function("reqwest", |b| {
        paired(b, passkey_sign, passkey_plain, passkey_payclient)
    });
    group.finish();

    // Checkout get_payment_session: a bearer GET.
    let checkout = payclient::CheckoutClient::new(
        payclient_demo::sandbox_checkout_secret_key(sandbox)
            .http_client(plain.clone())
            .build()
            .expect("config"),
    )
    .expect("client");
    let session = runtime
        .block_on(
            checkout
                .create_payment_session(payclient_demo::session_request(1000).expect("request")),
        )
        .expect("session")
        .value
        .id
        .clone();
    let key = sandbox.config().checkout_secret_key.clone();
    let checkout_payclient = || {
        runtime
            .block_on(checkout.get_payment_session(black_box(&session)))
            .expect("read");
    };
    let checkout_plain = |()| {
        runtime.block_on(async {
            let r = plain
                .get(format!("{base}/payment-sessions/{session}"))
                .bearer_auth(&key)
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status().as_u16(), 200);
            black_box(r.bytes().await.expect("body"));
        })
    };
    let mut group = c.benchmark_group("overhead/checkout_get_payment_session");
    group.bench_function("payclient", |b| {
        paired(b, || (), |()| checkout_payclient(), || checkout_plain(()))
    });
    group.bench_function("reqwest", |b| {
        paired(b, || (), checkout_plain, checkout_payclient)
    });
    group.finish();

    // Flex create_capture_context: payclient also verifies the RS256 answer.
    let flex = FlexClient::with_options(
        cybersource.clone(),
        payclient_demo::sandbox_flex_options(sandbox),
    );
    let selection = CaptureSelection::new()
        .require(CaptureField::CardNumber)
        .optional(CaptureField::CardSecurityCode);
    let flex_body = json!({"fields": {"paymentInformation": {"card": {"number": {}, "securityCode": {"required": false}}}}}).to_string();
    let flex_payclient = || {
        runtime
            .block_on(flex.create_capture_context(black_box(&selection)))
            .expect("context");
    };
    let flex_sign = || {
        jwt(
            sandbox,
            "POST",
            "/flex/v2/sessions",
            Some(flex_body.as_bytes()),
        )
    };
    let flex_plain = |token: String| {
        runtime.block_on(async {
            let r = plain
                .post(format!("{base}/flex/v2/sessions"))
                .header("v-c-merchant-id", &merchant)
                .header("content-type", "application/json;charset=utf-8")
                .header("accept", "application/jwt")
                .bearer_auth(token)
                .body(flex_body.clone())
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status().as_u16(), 201);
            black_box(r.bytes().await.expect("body"));
        })
    };
    let mut group = c.benchmark_group("overhead/flex_create_capture_context");
    group.sample_size(50);
    group.bench_function("payclient", |b| {
        paired(b, || (), |()| flex_payclient(), || flex_plain(flex_sign()))
    });
    group.bench_function("reqwest", |b| {
        paired(b, flex_sign, flex_plain, flex_payclient)
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(10));
    targets = bench
}
criterion_main!(benches);
