//! What `payclient` adds to a call: the same requests against the sandbox,
//! once through `payclient` (request checks, encoding, signing, hooks,
//! retries, tracing, typed decoding) and once as plain `reqwest` sending
//! the same bytes with headers signed beforehand (outside the timing) and
//! reading the answer's bytes, parsing nothing. The overhead to quote is
//! `payclient`'s.
//!
//! `cargo bench -p payclient-workspace-tests --bench overhead`
//!
//! Passkey and Checkout have two reference variants besides, to show how
//! much of that overhead any client pays and how much comes from the
//! generated layer:
//! - `minimum`: the least a client does in the timing: encode the typed
//!   body, sign it (HS256 key and JWT header prepared once), send, decode
//!   the typed answer. No checks, hooks, retries or tracing.
//! - `generated_minimal_hook`: the same work through the generated raw
//!   client, with a hook that only adds the headers and the JWT.
//!
//! Each workflow is measured twice. First the sandbox shares the client's
//! single-threaded runtime (`same_thread`): a call is the bare work of both
//! sides, the strictest baseline. Then it runs on a runtime thread of its
//! own (`server_thread`), as a server would, so a call also includes the
//! wake-ups of a real exchange. Each call is one request on a kept-alive
//! loopback connection, each variant with a client and connection of its
//! own. Every iteration makes one call of each variant, in
//! an order that rotates from one iteration to the next, and times each:
//! criterion's figure for a variant is that variant's share, and after each
//! group the bench prints the medians of all the per-call times it recorded
//! in all the group's windows and their ratios to `reqwest`. Those medians
//! come from calls made side by side, so a drift of the machine (seen here:
//! a fifth of the call time between two 13-second windows) hits all alike.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt as _;
use payclient::cybersource::Authentication;
use payclient::flex::{CaptureField, CaptureSelection, FlexClient};
use payclient::passkey::PasskeyClient;
use payclient_raw_checkout_flow::types as checkout_types;
use payclient_raw_cybersource_passkey::types as passkey_types;
use payclient_sandbox::{Sandbox, SandboxConfig, passkey as tokens};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// One way of making a workflow's call; returns the time of its request.
struct Variant<'a> {
    name: &'static str,
    call: &'a dyn Fn() -> Duration,
}

/// One criterion function: every iteration calls every variant once, the
/// order rotating from one iteration to the next, records each call's time
/// and gives criterion the time of variant `report`.
fn interleaved(
    b: &mut criterion::Bencher<'_>,
    calls: &RefCell<Vec<Vec<Duration>>>,
    report: usize,
    variants: &[Variant<'_>],
) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        let mut calls = calls.borrow_mut();
        for i in 0..iters {
            let first = usize::try_from(i).unwrap_or_default() % variants.len();
            for k in (first..variants.len()).chain(0..first) {
                let time = (variants[k].call)();
                calls[k].push(time);
                if k == report {
                    total += time;
                }
            }
        }
        total
    })
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// The variants of a workflow as a criterion group, then the medians of
/// every call recorded in it and each one's overhead over plain `reqwest`,
/// which is the first variant.
fn compare(c: &mut Criterion, name: &str, sample_size: usize, variants: &[Variant<'_>]) {
    let calls = RefCell::new(vec![Vec::new(); variants.len()]);
    let mut group = c.benchmark_group(format!("overhead/{name}"));
    group.sample_size(sample_size);
    for (k, variant) in variants.iter().enumerate() {
        group.bench_function(variant.name, |b| interleaved(b, &calls, k, variants));
    }
    group.finish();
    let mut calls = calls.into_inner();
    let count = calls[0].len();
    if count == 0 {
        return; // filtered out, or `--list`
    }
    let medians: Vec<f64> = calls
        .iter_mut()
        .map(|times| median(times).as_secs_f64() * 1e6)
        .collect();
    let plain = medians[0];
    let mut line = format!(
        "overhead/{name}: per-call medians over {count} interleaved rounds: {} {plain:.1} µs",
        variants[0].name
    );
    for (variant, m) in variants.iter().zip(&medians).skip(1) {
        line += &format!(
            ", {} {m:.1} µs ({:+.1}%)",
            variant.name,
            (m / plain - 1.0) * 100.0
        );
    }
    println!("{line}");
}

/// One plain call, timed from building the request to its last body byte:
/// the answer must have `status`; its bytes are read and not parsed.
fn plain_call(
    runtime: &tokio::runtime::Runtime,
    status: u16,
    request: impl FnOnce() -> reqwest::RequestBuilder,
) -> Duration {
    let start = Instant::now();
    black_box(runtime.block_on(answer(request(), status)));
    start.elapsed()
}

/// Sends `request` and reads its answer's bytes; it must have `status`.
async fn answer(request: reqwest::RequestBuilder, status: u16) -> bytes::Bytes {
    let response = request.send().await.expect("sent");
    assert_eq!(response.status().as_u16(), status);
    response.bytes().await.expect("body")
}

/// Sends `request` and decodes its answer, which must have `status`, as `T`.
async fn decoded<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    status: u16,
) -> T {
    serde_json::from_slice(&answer(request, status).await).expect("typed answer")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// HS256 JWTs for the sandbox's merchant, as the vendor SDKs (and payclient)
/// make them, with the key and the encoded JWT header prepared once: the
/// least work a Cybersource client does per request.
struct Jwt {
    key: hmac::Key,
    header: String,
    host: String,
    merchant_id: String,
}

impl Jwt {
    fn new(sandbox: &Sandbox) -> Self {
        let c = sandbox.config();
        let secret = STANDARD.decode(&c.shared_secret).expect("secret");
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            header: URL_SAFE_NO_PAD
                .encode(json!({"kid": c.key_id, "alg": "HS256", "typ": "JWT"}).to_string()),
            host: c.signing_host.clone(),
            merchant_id: c.merchant_id.clone(),
        }
    }

    /// `Bearer <jwt>` for one POST of `body` to `path`.
    fn bearer(&self, path: &str, body: &[u8]) -> String {
        let t = now();
        let digest = STANDARD.encode(digest::digest(&digest::SHA256, body));
        // Written directly: no value here needs JSON escaping.
        let claims = format!(
            r#"{{"iat":{t},"exp":{},"request-method":"POST","request-host":"{}","request-resource-path":"{path}","iss":"{m}","jti":"{}","v-c-merchant-id":"{m}","v-c-jwt-version":"2","digest":"{digest}","digestAlgorithm":"SHA-256"}}"#,
            t + 120,
            self.host,
            uuid::Uuid::new_v4(),
            m = self.merchant_id,
        );
        let input = format!("{}.{}", self.header, URL_SAFE_NO_PAD.encode(claims));
        let mac = hmac::sign(&self.key, input.as_bytes());
        format!("Bearer {input}.{}", URL_SAFE_NO_PAD.encode(mac))
    }
}

/// The generated raw client's hook at its smallest: it adds the headers
/// payclient sends, a `Date` and, for Cybersource, a JWT made as [`Jwt`]
/// makes it. Nothing is checked, retried or traced.
struct MinimalHook {
    headers: HeaderMap,
    jwt: Option<Jwt>,
}

static REQUEST_ID: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("x-request-id");

impl payclient_core::Vendor for MinimalHook {
    fn name(&self) -> &'static str {
        "minimal"
    }

    fn request_id_header(&self) -> &reqwest::header::HeaderName {
        &REQUEST_ID
    }

    fn authenticate(
        &self,
        _operation: &'static payclient_core::Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), payclient_core::HookError> {
        let bearer = self.jwt.as_ref().map(|jwt| {
            let body = request.body().and_then(reqwest::Body::as_bytes);
            jwt.bearer(request.url().path(), body.unwrap_or_default())
        });
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name, value.clone());
        }
        if let Some(bearer) = bearer {
            let date = httpdate::fmt_http_date(SystemTime::now());
            headers.insert("date", date.parse().expect("date"));
            headers.insert("authorization", bearer.parse().expect("jwt"));
        }
        Ok(())
    }

    fn parse_error(&self, _status: u16, _body: &[u8]) -> payclient_core::ServiceError {
        payclient_core::ServiceError::default()
    }
}

/// The generated client's hooks with `vendor` and nothing else configured.
fn minimal_hooks(vendor: MinimalHook) -> payclient_core::Hooks {
    payclient_core::Hooks::new(std::sync::Arc::new(payclient_core::Pipeline::new(
        std::sync::Arc::new(vendor),
        payclient_core::CallSettings::default(),
        "sandbox".to_owned(),
    )))
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
    // The same reqwest settings for every variant (payclient builds its
    // client from a builder, to turn redirects off; the others do that
    // too), and a client, so a kept-alive connection, for each: payclient
    // has its own, and a connection that three variants shared would be
    // warm for each of them (measured: about 1.5 % of a Checkout call).
    let http_client = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    };
    let plain = http_client();
    let minimum_http = http_client();
    let generated_http = http_client();
    let cybersource = payclient::cybersource::CybersourceClient::new(
        payclient_demo::sandbox_cybersource(sandbox, Authentication::JwtSharedSecret)
            .http_client_builder(reqwest::Client::builder())
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
    let jwt = Jwt::new(sandbox);
    let passkey_sign = || {
        let body = text.replace(&captured_id, &uuid::Uuid::new_v4().to_string());
        (jwt.bearer(&path, body.as_bytes()), body)
    };
    // Signed outside the timing: the plain call is the bare HTTP exchange.
    let passkey_plain = || {
        let (bearer, body) = passkey_sign();
        plain_call(&runtime, 200, || {
            plain
                .post(format!("{base}{path}"))
                .headers(sent_headers.clone())
                .header("date", httpdate::fmt_http_date(SystemTime::now()))
                .header("authorization", bearer)
                .body(body)
        })
    };
    // The least any client must do in the timing: encode the typed body,
    // sign it as `Jwt` does, send, decode the typed answer.
    let typed: passkey_types::AuthenticationOptionsRequest =
        serde_json::from_slice(&body).expect("typed request");
    let passkey_minimum = || {
        let start = Instant::now();
        let mut request = black_box(&typed).clone();
        request.client_correlation_id = uuid::Uuid::new_v4().to_string();
        let body = serde_json::to_vec(&request).expect("json");
        let bearer = jwt.bearer(&path, &body);
        let request = minimum_http
            .post(format!("{base}{path}"))
            .headers(sent_headers.clone())
            .header("date", httpdate::fmt_http_date(SystemTime::now()))
            .header("authorization", bearer)
            .body(body);
        black_box(
            runtime.block_on(decoded::<passkey_types::AuthenticationOptionsResponse>(
                request, 200,
            )),
        );
        start.elapsed()
    };
    // The same through the generated raw client and its hook runtime.
    let raw_passkey = payclient_raw_cybersource_passkey::Client::new_with_client(
        &base,
        generated_http.clone(),
        minimal_hooks(MinimalHook {
            headers: sent_headers.clone(),
            jwt: Some(Jwt::new(sandbox)),
        }),
    );
    let passkey_generated = || {
        let start = Instant::now();
        let mut request = black_box(&typed).clone();
        request.client_correlation_id = uuid::Uuid::new_v4().to_string();
        let call = raw_passkey
            .create_authentication_options()
            .token_id(tokens::REGISTERED_DEVICE_TOKEN_ID)
            .body(request)
            .send();
        black_box(runtime.block_on(call).expect("generated call"));
        start.elapsed()
    };
    compare(
        c,
        &format!("{label}/passkey_authentication_options"),
        100,
        &[
            Variant {
                name: "reqwest",
                call: &passkey_plain,
            },
            Variant {
                name: "payclient",
                call: &passkey_payclient,
            },
            Variant {
                name: "minimum",
                call: &passkey_minimum,
            },
            Variant {
                name: "generated_minimal_hook",
                call: &passkey_generated,
            },
        ],
    );

    // Checkout get_payment_session: a bearer GET.
    let checkout = payclient::CheckoutClient::new(
        payclient_demo::sandbox_checkout_secret_key(sandbox)
            .http_client_builder(reqwest::Client::builder())
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
    // The least any client must do in the timing: send, decode typed.
    let checkout_minimum = || {
        let start = Instant::now();
        let request = minimum_http
            .get(format!("{base}/payment-sessions/{session}"))
            .headers(checkout_headers.clone())
            .bearer_auth(&key);
        black_box(runtime.block_on(decoded::<checkout_types::PaymentSession>(request, 200)));
        start.elapsed()
    };
    // The same through the generated raw client and its hook runtime (it
    // hands back the body's bytes; payclient decodes them itself).
    let mut hook_headers = checkout_headers.clone();
    hook_headers.insert(
        "authorization",
        format!("Bearer {key}").parse().expect("bearer"),
    );
    let raw_checkout = payclient_raw_checkout_flow::Client::new_with_client(
        &base,
        generated_http.clone(),
        minimal_hooks(MinimalHook {
            headers: hook_headers,
            jwt: None,
        }),
    );
    let checkout_generated = || {
        let start = Instant::now();
        runtime.block_on(async {
            let call = raw_checkout.get_payment_session().id(black_box(&*session));
            let response = call.send().await.expect("generated call");
            let mut bytes = Vec::new();
            let mut stream = response.into_inner();
            while let Some(chunk) = stream.next().await {
                bytes.extend_from_slice(&chunk.expect("body"));
            }
            black_box(
                serde_json::from_slice::<checkout_types::PaymentSession>(&bytes)
                    .expect("typed answer"),
            );
        });
        start.elapsed()
    };
    compare(
        c,
        &format!("{label}/checkout_get_payment_session"),
        100,
        &[
            Variant {
                name: "reqwest",
                call: &checkout_plain,
            },
            Variant {
                name: "payclient",
                call: &checkout_payclient,
            },
            Variant {
                name: "minimum",
                call: &checkout_minimum,
            },
            Variant {
                name: "generated_minimal_hook",
                call: &checkout_generated,
            },
        ],
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
    let flex_plain = || {
        let bearer = jwt.bearer("/flex/v2/sessions", &flex_body);
        plain_call(&runtime, 201, || {
            plain
                .post(format!("{base}/flex/v2/sessions"))
                .headers(flex_headers.clone())
                .header("date", httpdate::fmt_http_date(SystemTime::now()))
                .header("authorization", bearer)
                .body(flex_body.clone())
        })
    };
    compare(
        c,
        &format!("{label}/flex_create_capture_context"),
        50,
        &[
            Variant {
                name: "reqwest",
                call: &flex_plain,
            },
            Variant {
                name: "payclient",
                call: &flex_payclient,
            },
        ],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(10));
    targets = bench
}
criterion_main!(benches);
