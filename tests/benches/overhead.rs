//! What `payclient` adds to a call: the same requests against the sandbox,
//! once through `payclient` (request checks, encoding, signing, hooks,
//! typed decoding) and once as plain `reqwest` sending the same bytes with
//! headers signed beforehand (outside the timing) and reading the answer's
//! bytes, parsing nothing.
//!
//! `cargo bench -p payclient-workspace-tests --bench overhead`
//!
//! Each workflow is measured twice. First the sandbox shares the client's
//! single-threaded runtime (`same_thread`): a call is the bare work of both
//! sides, the strictest baseline. Then it runs on a runtime thread of its
//! own (`server_thread`), as a server would, so a call also includes the
//! wake-ups of a real exchange. Each call is one request on a kept-alive
//! loopback connection. Every iteration makes one
//! call of each variant, in alternating order, and times both: criterion's
//! figure for `payclient` and `reqwest` is that variant's share, and after
//! each group the bench prints the medians of all the per-call times it
//! recorded in both windows and their ratio. Those two medians come from
//! calls made side by side, so a drift of the machine (seen here: a fifth of
//! the call time between two 13-second windows) hits both alike; the
//! overhead to quote is that printed ratio.

use std::cell::RefCell;
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
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The per-call times of both variants of one workflow, recorded side by side.
#[derive(Default)]
struct Calls {
    payclient: Vec<Duration>,
    reqwest: Vec<Duration>,
}

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Payclient,
    Reqwest,
}

/// One criterion function: every iteration calls both variants (each
/// returns the time of its own request), alternating which goes first,
/// records both and gives criterion the time of `report`.
fn interleaved(
    b: &mut criterion::Bencher<'_>,
    calls: &RefCell<Calls>,
    report: Variant,
    payclient: &dyn Fn() -> Duration,
    reqwest: &dyn Fn() -> Duration,
) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        let mut calls = calls.borrow_mut();
        for i in 0..iters {
            let (p, r) = if i % 2 == 0 {
                let p = payclient();
                (p, reqwest())
            } else {
                let r = reqwest();
                (payclient(), r)
            };
            calls.payclient.push(p);
            calls.reqwest.push(r);
            total += if report == Variant::Payclient { p } else { r };
        }
        total
    })
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Both variants of a workflow as a criterion group, then the medians of
/// every call recorded in it and the overhead they give.
fn compare(
    c: &mut Criterion,
    name: &str,
    sample_size: usize,
    payclient: &dyn Fn() -> Duration,
    reqwest: &dyn Fn() -> Duration,
) {
    let calls = RefCell::new(Calls::default());
    let mut group = c.benchmark_group(format!("overhead/{name}"));
    group.sample_size(sample_size);
    group.bench_function("payclient", |b| {
        interleaved(b, &calls, Variant::Payclient, payclient, reqwest)
    });
    group.bench_function("reqwest", |b| {
        interleaved(b, &calls, Variant::Reqwest, payclient, reqwest)
    });
    group.finish();
    let mut calls = calls.into_inner();
    if calls.payclient.is_empty() {
        return; // filtered out, or `--list`
    }
    let count = calls.payclient.len();
    let p = median(&mut calls.payclient).as_secs_f64() * 1e6;
    let r = median(&mut calls.reqwest).as_secs_f64() * 1e6;
    println!(
        "overhead/{name}: per-call medians over {count} interleaved pairs: payclient {p:.1} µs, reqwest {r:.1} µs, overhead {:+.1}%",
        (p / r - 1.0) * 100.0
    );
}

/// One plain call, timed from building the request to its last body byte:
/// the answer must have `status`; its bytes are read and not parsed.
fn plain_call(
    runtime: &tokio::runtime::Runtime,
    status: u16,
    request: impl FnOnce() -> reqwest::RequestBuilder,
) -> Duration {
    let start = Instant::now();
    runtime.block_on(async {
        let r = request().send().await.expect("sent");
        assert_eq!(r.status().as_u16(), status);
        black_box(r.bytes().await.expect("body"));
    });
    start.elapsed()
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

/// What payclient sends: body and headers (all but the per-request
/// `Authorization` and `Date`), from one call against a mock at the URL
/// `call` is given. The mock's answer need not satisfy payclient.
async fn captured<F: Future>(call: impl FnOnce(String) -> F) -> (Vec<u8>, HeaderMap) {
    let mock = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&mock)
        .await;
    call(mock.uri()).await;
    let sent = mock.received_requests().await.expect("recorded").remove(0);
    let mut headers = HeaderMap::new();
    for (name, value) in &sent.headers {
        if !matches!(name.as_str(), "authorization" | "date" | "content-length") {
            headers.insert(name.clone(), value.clone());
        }
    }
    (sent.body, headers)
}

/// The sandbox's Cybersource configuration pointed at `base_url`.
fn cybersource_at(base_url: String) -> payclient::cybersource::CybersourceClient {
    let sandbox = SandboxConfig::default();
    payclient::cybersource::CybersourceClient::new(
        payclient::cybersource::CybersourceConfig::builder()
            .merchant_id(&sandbox.merchant_id)
            .key_id(&sandbox.key_id)
            .shared_secret(secrecy::SecretString::from(sandbox.shared_secret))
            .environment(payclient::cybersource::Environment::Custom {
                base_url,
                signing_host: sandbox.signing_host,
            })
            .build()
            .expect("config"),
    )
}

/// Where the sandbox runs while the client calls it.
#[derive(Clone, Copy)]
enum Arrangement {
    /// On the client's single-threaded runtime: a call is the bare work of
    /// both sides with no wake-up between them, so the plain call is as
    /// short as it can be and the overhead as large as it can look.
    SameThread,
    /// On a runtime thread of its own, as a server would be: a call also
    /// waits for the other thread to wake, as every real exchange does.
    ServerThread,
}

impl Arrangement {
    fn label(self) -> &'static str {
        match self {
            Arrangement::SameThread => "same_thread",
            Arrangement::ServerThread => "server_thread",
        }
    }
}

fn bench(c: &mut Criterion) {
    for arrangement in [Arrangement::SameThread, Arrangement::ServerThread] {
        workflows(c, arrangement);
    }
}

/// The three workflows, each compared with its plain requests, with the
/// sandbox where `arrangement` puts it.
fn workflows(c: &mut Criterion, arrangement: Arrangement) {
    let label = arrangement.label();
    // The client always runs on one single-threaded runtime; both variants
    // of a workflow are timed call by call in one loop, so a drift of the
    // machine hits both alike.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = matches!(arrangement, Arrangement::ServerThread).then(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime")
    });
    // Started from the runtime it is to run on: its tasks stay there.
    let sandbox = &server
        .as_ref()
        .unwrap_or(&runtime)
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

    // Passkey authentication-options: JWT HS256 over a JSON body.
    let passkey = PasskeyClient::new(cybersource.clone());
    let request = payclient_demo::passkey_request("secure-token").expect("request");
    let path = format!(
        "/tms/v2/tokenized-cards/{}/authentication-options",
        tokens::REGISTERED_DEVICE_TOKEN_ID
    );
    // The exact bytes payclient sends, captured once from a mock, so that
    // the plain variant sends the same request.
    let (body, sent_headers) = runtime.block_on(captured(|url| async {
        let _ = PasskeyClient::new(cybersource_at(url))
            .authentication_options(tokens::REGISTERED_DEVICE_TOKEN_ID, None, &request)
            .await;
    }));
    let passkey_payclient = || {
        let start = Instant::now();
        runtime
            .block_on(passkey.authentication_options(
                tokens::REGISTERED_DEVICE_TOKEN_ID,
                None,
                black_box(&request),
            ))
            .expect("options");
        start.elapsed()
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
    // Signed outside the timing: the plain call is the bare HTTP exchange.
    let passkey_plain = || {
        let (token, body) = passkey_sign();
        plain_call(&runtime, 200, || {
            plain
                .post(format!("{base}{path}"))
                .headers(sent_headers.clone())
                .header("date", httpdate::fmt_http_date(SystemTime::now()))
                .bearer_auth(token)
                .body(body)
        })
    };
    compare(
        c,
        &format!("{label}/passkey_authentication_options"),
        100,
        &passkey_payclient,
        &passkey_plain,
    );

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
    let (_, checkout_headers) = runtime.block_on(captured(|url| async {
        let client = payclient::CheckoutClient::new(
            payclient::checkout::CheckoutConfig::builder()
                .environment(payclient::checkout::CheckoutEnvironment::Custom {
                    base_url: url,
                    token_url: None,
                })
                .credentials(payclient::checkout::CheckoutCredentials::SecretKey(
                    secrecy::SecretString::from(key.clone()),
                ))
                .build()
                .expect("config"),
        )
        .expect("client");
        let _ = client.get_payment_session(&session).await;
    }));
    let checkout_payclient = || {
        let start = Instant::now();
        runtime
            .block_on(checkout.get_payment_session(black_box(&session)))
            .expect("read");
        start.elapsed()
    };
    let checkout_plain = || {
        plain_call(&runtime, 200, || {
            plain
                .get(format!("{base}/payment-sessions/{session}"))
                .headers(checkout_headers.clone())
                .bearer_auth(&key)
        })
    };
    compare(
        c,
        &format!("{label}/checkout_get_payment_session"),
        100,
        &checkout_payclient,
        &checkout_plain,
    );

    // Flex create_capture_context: payclient also verifies the RS256 answer.
    let flex = FlexClient::with_options(
        cybersource.clone(),
        payclient_demo::sandbox_flex_options(sandbox),
    );
    let selection = CaptureSelection::new()
        .require(CaptureField::CardNumber)
        .optional(CaptureField::CardSecurityCode);
    let (flex_body, flex_headers) = runtime.block_on(captured(|url| async {
        let _ = FlexClient::with_options(
            cybersource_at(url),
            payclient_demo::sandbox_flex_options(sandbox),
        )
        .create_capture_context(&selection)
        .await;
    }));
    let flex_payclient = || {
        let start = Instant::now();
        runtime
            .block_on(flex.create_capture_context(black_box(&selection)))
            .expect("context");
        start.elapsed()
    };
    let flex_sign = || jwt(sandbox, "POST", "/flex/v2/sessions", Some(&flex_body));
    let flex_plain = || {
        let token = flex_sign();
        plain_call(&runtime, 201, || {
            plain
                .post(format!("{base}/flex/v2/sessions"))
                .headers(flex_headers.clone())
                .header("date", httpdate::fmt_http_date(SystemTime::now()))
                .bearer_auth(token)
                .body(flex_body.clone())
        })
    };
    compare(
        c,
        &format!("{label}/flex_create_capture_context"),
        50,
        &flex_payclient,
        &flex_plain,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(10));
    targets = bench
}
criterion_main!(benches);
