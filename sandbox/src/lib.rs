//! A local, stateful stand-in for the four products `payclient` talks to:
//! Cybersource Flex API v2, the Passkey Service, Intelligent Commerce and
//! Checkout.com Flow. It runs on loopback, starts in milliseconds on a
//! random port, keeps its state in memory and shuts down cleanly.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), payclient_sandbox::SandboxError> {
//! let sandbox = payclient_sandbox::Sandbox::start().await?;
//! println!("Cybersource and Checkout at {}", sandbox.base_url());
//! // … point payclient at sandbox.base_url() with sandbox.config()'s credentials …
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! It behaves as the vendors' documents describe, and it checks what it is
//! sent with its own code (aws-lc-rs), independent of `payclient`:
//!
//! - **Cybersource authentication**: HTTP Signature and HS256 JWTs against
//!   the configured merchant, key id and shared secret, and RS256 JWTs
//!   from the merchant's P12 ([`Sandbox::merchant_p12`]) in the version-2
//!   and the older form (stale `Date`/`iat` beyond 5 minutes, digest
//!   mismatch, altered body, wrong key, secret or certificate all answer 401
//!   `{"response":{"rmsg":"Authentication Failed"}}`;
//!   [`Sandbox::auth_failures`] says why).
//! - **Flex**: capture contexts signed RS256 with the sandbox's key (served
//!   unauthenticated at `/flex/v2/public-keys/{kid}`), with an `flx.jwk`
//!   whose private half it keeps and `flx.origin` = the sandbox itself; the
//!   token endpoint opens the JWE, checks its capture context (signed here,
//!   known, not expired, required fields present, none extra, a Luhn-valid
//!   number) and answers a signed transient token with masked card data.
//! - **Passkey Service**: the branch is chosen by the tokenized card:
//!
//!   | `tokenId` | `action` |
//!   |---|---|
//!   | [`passkey::REGISTERED_DEVICE_TOKEN_ID`] | `AUTHENTICATE` |
//!   | [`passkey::STEP_UP_TOKEN_ID`] | `STEP_UP_AUTHENTICATE` (the guide's seven options) |
//!   | [`passkey::NEW_DEVICE_TOKEN_ID`] | `AUTHENTICATION_REGISTRATION` |
//!   | anything else | 404 |
//!
//!   Every OTP option "sends" [`passkey::OTP`]; out-of-band options accept
//!   [`passkey::ISSUER_AUTH_CODE`]. Payment credentials carry ECI 05 after a
//!   passkey authentication or registration, 07 otherwise.
//! - **Intelligent Commerce** under `/icc/v1` and `/acp/v1`, on the
//!   vendor's shapes: the body must be message-level encrypted to
//!   [`Sandbox::mle_certificate_pem`] (unless
//!   [`SandboxConfig::icc_requires_mle`] is off); members of the developer
//!   guide's older shapes (`tokenizedCard`, `agreementInformation`,
//!   `products`, a confirmation's `transactionData`, ...) get a 400 naming
//!   them; enrollment answers PENDING (202) on the first call for an
//!   instrument and ACTIVE after; instructions go Active →
//!   CredentialsRetrieved → Confirmed (an `APPROVED` event confirmed) or
//!   Cancelled, a call in the wrong state is 409, and mandates are enforced
//!   here too (amount, currency, expiry, quantity). The credentials'
//!   `signedPayload` is RS256 with [`Sandbox::signed_payload_jwk`].
//! - **Checkout.com Flow**: `Authorization: Bearer` with the secret key or a
//!   token from `POST /connect/token` (client credentials, scope
//!   `payment-sessions`); the 422 `request_invalid` codes for bad sessions;
//!   a submitted amount ending in [`checkout::THREE_DS_AMOUNT_SUFFIX`] (e.g.
//!   1050) answers 202 with a 3DS action, one ending in
//!   [`checkout::DECLINED_AMOUNT_SUFFIX`] (e.g. 1005) is declined, any
//!   other is approved. The action's URL (`GET /3ds/sid_…`, for the
//!   customer's browser) passes the challenge and redirects to the
//!   session's `success_url` with the vendor's `cko-…` query members, or
//!   with `?result=failed` to its `failure_url`.
//!
//! Over HTTP, under [`INSPECTION_PREFIX`] (`/__sandbox`), any language can
//! read what it received (redacted), why authentication failed, the state
//! of every product and the test triggers, reset it and move its clock
//! (`GET /__sandbox` lists the endpoints).
//!
//! Its keys are fixed and public (in `sandbox/keys/`) so that it starts at
//! once; never trust anything they sign.

mod auth;
pub mod checkout;
mod crypto;
pub mod flex;
pub mod icc;
mod inspect;
pub mod passkey;
mod reply;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, Response, Uri};
use tokio::sync::oneshot;

pub use icc::{InstructionRecord, InstructionStatus, MandateUsage};
pub use inspect::{MAX_RECORDED_REQUESTS, PREFIX as INSPECTION_PREFIX};

/// The credentials and behaviour of a sandbox. The defaults are fixed
/// values, documented here, so that a second process can use them too.
/// Start from [`SandboxConfig::default`] and set the fields to change
/// (`#[non_exhaustive]`: a later field is not a breaking change).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Cybersource merchant id (`v-c-merchant-id`).
    pub merchant_id: String,
    /// Cybersource REST key id.
    pub key_id: String,
    /// Cybersource shared secret, base64.
    pub shared_secret: String,
    /// The host Cybersource signatures must name.
    pub signing_host: String,
    /// Checkout.com secret key (`Authorization: Bearer …`).
    pub checkout_secret_key: String,
    /// Checkout.com public key (`pk_sbox_…`, shaped as the SDKs check
    /// keys): nothing in Flow's server calls uses it; printed for clients
    /// that are configured with one.
    pub checkout_public_key: String,
    /// Checkout.com OAuth client id: an access key id, `ack_` and 26 of
    /// `[a-z2-7]` (the account's `cli_…` id is not the OAuth client id).
    pub checkout_client_id: String,
    /// Checkout.com OAuth client secret.
    pub checkout_client_secret: String,
    /// The key id of the merchant's response MLE key
    /// ([`Sandbox::response_mle_private_key_pem`]): a JWT claim
    /// `v-c-response-mle-kid` naming it gets answers sealed to it; naming
    /// another gets 401.
    pub response_mle_kid: String,
    /// Refuse plaintext Intelligent Commerce bodies, as the vendor does (default on).
    pub icc_requires_mle: bool,
    /// How long a capture context lives (default 900 s).
    pub capture_context_ttl_seconds: i64,
    /// The port to listen on (default 0: any free port).
    pub port: u16,
    /// The address to listen on (default 127.0.0.1, loopback only).
    pub bind: std::net::IpAddr,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            merchant_id: "payclient_sandbox".to_owned(),
            key_id: "5a1f0c2e-sandbox-key".to_owned(),
            // 32 bytes 0x00..0x1f; a sandbox value, not a secret.
            shared_secret: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned(),
            signing_host: "apitest.cybersource.com".to_owned(),
            // Shaped as the vendor's SDKs check keys (`sk_sbox_`, 26 of
            // [a-z2-7], one more that may also be *#$=; PyPI checkout-sdk
            // 4.8.1 `default_sdk.py`, checkout-sdk-node 5.2.1 `config.js`).
            checkout_secret_key: "sk_sbox_payclientsandboxsecretkey2z".to_owned(),
            checkout_public_key: "pk_sbox_payclientsandboxpublickey2z".to_owned(),
            // The SDKs' `ack_XXXX` (checkout-sdk-node 5.2.1 README), in the
            // vendor's id shape.
            checkout_client_id: "ack_payclientsandboxaccesskey2".to_owned(),
            checkout_client_secret: "sandbox-client-secret".to_owned(),
            response_mle_kid: "payclient-sandbox-response-mle".to_owned(),
            icc_requires_mle: true,
            capture_context_ttl_seconds: 900,
            port: 0,
            bind: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        }
    }
}

/// Why the sandbox could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum SandboxError {
    /// The shared secret is not base64.
    Config(&'static str),
    /// A key or certificate could not be built.
    Keys(String),
    /// The listener could not be bound.
    Io(std::io::Error),
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SandboxError::Config(why) => write!(f, "sandbox configuration: {why}"),
            SandboxError::Keys(why) => write!(f, "sandbox keys: {why}"),
            SandboxError::Io(e) => write!(f, "sandbox listener: {e}"),
        }
    }
}

impl std::error::Error for SandboxError {}

/// Everything the handlers need.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub base_url: String,
    merchant: auth::MerchantKeys,
    pub flex_signing: crypto::SigningKey,
    pub flex_encryption: crypto::DecryptionKey,
    pub mle: crypto::DecryptionKey,
    mle_certificate_pem: String,
    /// The merchant's response MLE key: answers are sealed to its public
    /// half; its private half is handed to clients.
    response_mle: crypto::DecryptionKey,
    response_mle_private_key_pem: String,
    sealed_answers: AtomicU64,
    pub payload_signing: crypto::SigningKey,
    clock_offset: AtomicI64,
    requests: AtomicU64,
    state: Mutex<SandboxState>,
}

/// The in-memory state.
#[derive(Default)]
pub(crate) struct SandboxState {
    pub auth_failures: std::collections::VecDeque<String>,
    pub flex_contexts: HashMap<String, flex::IssuedContext>,
    pub transient_tokens: u64,
    /// What each transient token carries, by jti, with its expiry.
    pub payment_details: HashMap<String, (i64, serde_json::Value)>,
    pub passkey: HashMap<(String, String), passkey::Flow>,
    pub icc: icc::IccState,
    pub checkout: checkout::CheckoutState,
    /// The most recent requests, redacted, for the inspection endpoint.
    pub recorded: std::collections::VecDeque<inspect::RecordedRequest>,
}

/// Forgets every request and all state and puts the clock back.
pub(crate) fn reset(shared: &Shared) {
    *shared.lock() = SandboxState::default();
    shared.clock_offset.store(0, Ordering::Relaxed);
    shared.requests.store(0, Ordering::Relaxed);
    shared.sealed_answers.store(0, Ordering::Relaxed);
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SandboxState> {
        // A handler that panicked cannot leave the maps half-written in a
        // way that matters to a simulator: keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Seconds since the epoch on the sandbox's clock (the system clock plus
/// [`Sandbox::advance_clock`]).
pub(crate) fn now_with_offset(shared: &Shared) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    now.saturating_add(shared.clock_offset.load(Ordering::Relaxed))
}

/// The most the clock can be moved forward in all: a thousand years, far
/// from any overflow and past any expiry.
pub(crate) const MAX_CLOCK_OFFSET_SECONDS: i64 = 1000 * 366 * 86_400;

/// Moves the clock forward by `seconds`, capped at
/// [`MAX_CLOCK_OFFSET_SECONDS`] in all; returns the new offset.
pub(crate) fn advance_clock(shared: &Shared, seconds: i64) -> i64 {
    let step = |offset: i64| {
        Some(
            offset
                .saturating_add(seconds.max(0))
                .min(MAX_CLOCK_OFFSET_SECONDS),
        )
    };
    match shared
        .clock_offset
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, step)
    {
        // `step` always answers Some: the previous value, stepped once more.
        Ok(previous) | Err(previous) => step(previous).unwrap_or(previous),
    }
}

/// How many refusal reasons [`Sandbox::auth_failures`] keeps.
pub const MAX_AUTH_FAILURES: usize = 1000;

const FLEX_SIGNING_KEY: &[u8] = include_bytes!("../keys/flex_signing.pk8");
const FLEX_ENCRYPTION_KEY: &[u8] = include_bytes!("../keys/flex_encryption.pk8");
const MLE_KEY: &[u8] = include_bytes!("../keys/mle.pk8");
const PAYLOAD_SIGNING_KEY: &[u8] = include_bytes!("../keys/payload_signing.pk8");
const RESPONSE_MLE_KEY: &[u8] = include_bytes!("../keys/response_mle.pk8");
// The merchant's certificate for RS256 JWTs, its key, and both in a P12
// (made once with openssl: RSA-2048, 20 years, subject
// `CN=payclient_sandbox, serialNumber=payclient-sandbox-certificate-1`,
// friendly name `serialNumber=payclient-sandbox-certificate-1,CN=payclient_sandbox`
// as the vendor's P12s name it (npm cybersource-rest-client 0.0.83 finds
// the certificate by `CN=<alias>` in it; PyPI matches the subject CN),
// PBE-SHA1-3DES and a SHA-1 MAC, the protection the SDKs' P12 readers all
// open).
const MERCHANT_KEY: &[u8] = include_bytes!("../keys/merchant_jwt.pk8");
const MERCHANT_CERTIFICATE: &[u8] = include_bytes!("../keys/merchant_cert.der");
const MERCHANT_P12: &[u8] = include_bytes!("../keys/merchant.p12");

/// The password of [`Sandbox::merchant_p12`].
pub const MERCHANT_P12_PASSWORD: &str = "payclient-sandbox";
/// The alias (subject CN, and `CN=` in the friendly name) of the certificate in
/// [`Sandbox::merchant_p12`]: the default merchant id, as the vendor's SDKs
/// look it up (`key_alias` defaults to the merchant id).
pub const MERCHANT_P12_ALIAS: &str = "payclient_sandbox";
/// The merchant certificate's subject serial number: the `kid` of a
/// version-2 certificate JWT. The certificate is fixed: its JWTs
/// authenticate whatever merchant id is configured (a sandbox, not an
/// account system).
pub const MERCHANT_CERTIFICATE_KID: &str = "payclient-sandbox-certificate-1";

pub(crate) fn merchant_certificate() -> Result<auth::MerchantCertificate, String> {
    Ok(auth::MerchantCertificate {
        key: crypto::SigningKey::from_pkcs8(MERCHANT_KEY, MERCHANT_CERTIFICATE_KID.to_owned())?,
        der: MERCHANT_CERTIFICATE.to_vec(),
    })
}

/// A running sandbox. Dropping it stops the server too; [`Sandbox::shutdown`]
/// waits for it.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish()
    }
}

impl Sandbox {
    /// Starts a sandbox with the default configuration on a free port.
    pub async fn start() -> Result<Self, SandboxError> {
        Self::start_with(SandboxConfig::default()).await
    }

    /// Starts a sandbox with `config`.
    pub async fn start_with(config: SandboxConfig) -> Result<Self, SandboxError> {
        use base64::Engine as _;
        let secret = base64::engine::general_purpose::STANDARD
            .decode(config.shared_secret.trim())
            .map_err(|_| SandboxError::Config("shared_secret is not base64"))?;
        if secret.is_empty() {
            return Err(SandboxError::Config("shared_secret is empty"));
        }
        let listener = tokio::net::TcpListener::bind((config.bind, config.port))
            .await
            .map_err(SandboxError::Io)?;
        let addr = listener.local_addr().map_err(SandboxError::Io)?;
        let base_url = format!("http://{addr}");
        let flex_signing =
            crypto::SigningKey::from_pkcs8(FLEX_SIGNING_KEY, "sbx-flex-1".to_owned())
                .map_err(SandboxError::Keys)?;
        let flex_encryption =
            crypto::DecryptionKey::from_pkcs8(FLEX_ENCRYPTION_KEY, "sbx-enc-1".to_owned())
                .map_err(SandboxError::Keys)?;
        let mle = crypto::DecryptionKey::from_pkcs8(MLE_KEY, "sbx-mle-1".to_owned())
            .map_err(SandboxError::Keys)?;
        let mle_certificate_pem = crypto::mle_certificate_pem(&mle).map_err(SandboxError::Keys)?;
        let payload_signing =
            crypto::SigningKey::from_pkcs8(PAYLOAD_SIGNING_KEY, "sbx-payload-1".to_owned())
                .map_err(SandboxError::Keys)?;
        let response_mle =
            crypto::DecryptionKey::from_pkcs8(RESPONSE_MLE_KEY, config.response_mle_kid.clone())
                .map_err(SandboxError::Keys)?;
        let response_mle_private_key_pem = crypto::pem(
            "PRIVATE KEY",
            &response_mle.pkcs8().map_err(SandboxError::Keys)?,
        );
        let shared = Arc::new(Shared {
            response_mle,
            response_mle_private_key_pem,
            sealed_answers: AtomicU64::new(0),
            merchant: auth::MerchantKeys {
                merchant_id: config.merchant_id.clone(),
                key_id: config.key_id.clone(),
                secret: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret),
                signing_host: config.signing_host.clone(),
                certificate: merchant_certificate().map_err(SandboxError::Keys)?,
            },
            config,
            base_url,
            flex_signing,
            flex_encryption,
            mle,
            mle_certificate_pem,
            payload_signing,
            clock_offset: AtomicI64::new(0),
            requests: AtomicU64::new(0),
            state: Mutex::new(SandboxState::default()),
        });
        let router = Router::new().fallback(dispatch).with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("payclient-sandbox: server stopped: {e}");
            }
        });
        Ok(Self {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:<port>`: the base URL of every product, and the
    /// `flx.origin` of its capture contexts.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials it accepts.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// The MLE certificate (PEM) Intelligent Commerce bodies are encrypted to.
    pub fn mle_certificate_pem(&self) -> &str {
        &self.shared.mle_certificate_pem
    }

    /// The merchant's P12 (PKCS#12) file: the certificate whose RS256 JWTs
    /// the sandbox accepts, with its private key, under
    /// [`MERCHANT_P12_ALIAS`] and [`MERCHANT_P12_PASSWORD`]. A sandbox value,
    /// public like the sandbox's other keys.
    pub fn merchant_p12(&self) -> &'static [u8] {
        MERCHANT_P12
    }

    /// The merchant certificate (PEM) that verifies RS256 JWTs.
    pub fn merchant_certificate_pem(&self) -> String {
        crypto::pem("CERTIFICATE", MERCHANT_CERTIFICATE)
    }

    /// The public JWK that verifies `signedPayload`.
    pub fn signed_payload_jwk(&self) -> serde_json::Value {
        let mut jwk = self.shared.payload_signing.jwk();
        jwk["use"] = serde_json::Value::String("sig".to_owned());
        jwk["alg"] = serde_json::Value::String("RS256".to_owned());
        jwk
    }

    /// Why each refused Cybersource request was refused, oldest first (the
    /// last [`MAX_AUTH_FAILURES`]).
    pub fn auth_failures(&self) -> Vec<String> {
        self.shared.lock().auth_failures.iter().cloned().collect()
    }

    /// Every Intelligent Commerce instruction it holds.
    pub fn instructions(&self) -> Vec<InstructionRecord> {
        self.shared
            .lock()
            .icc
            .instructions
            .values()
            .cloned()
            .collect()
    }

    /// One instruction.
    pub fn instruction(&self, id: &str) -> Option<InstructionRecord> {
        self.shared.lock().icc.instructions.get(id).cloned()
    }

    /// How many Checkout payment sessions exist.
    pub fn payment_sessions(&self) -> usize {
        self.shared.lock().checkout.sessions.len()
    }

    /// How many OAuth tokens it issued.
    pub fn oauth_tokens_issued(&self) -> u32 {
        self.shared.lock().checkout.token_requests
    }

    /// The merchant's response MLE private key (unencrypted PKCS#8 PEM),
    /// for a client's `response_mle_key` with [`SandboxConfig::response_mle_kid`].
    /// A sandbox value, public like the sandbox's other keys.
    pub fn response_mle_private_key_pem(&self) -> &str {
        &self.shared.response_mle_private_key_pem
    }

    /// `body` as the sandbox answers a request that asked for response MLE:
    /// `{"encryptedResponse": "<compact JWE>"}`, sealed to the merchant's
    /// response MLE key. For clients in any language to test their opening.
    pub fn sealed_answer(&self, body: &[u8]) -> Result<String, SandboxError> {
        let jwe = self
            .shared
            .response_mle
            .seal(body, now_with_offset(&self.shared))
            .map_err(SandboxError::Keys)?;
        Ok(serde_json::json!({ "encryptedResponse": jwe }).to_string())
    }

    /// How many answers it sealed for response MLE.
    pub fn sealed_answers(&self) -> u64 {
        self.shared.sealed_answers.load(Ordering::Relaxed)
    }

    /// How many transient tokens it issued.
    pub fn transient_tokens_issued(&self) -> u64 {
        self.shared.lock().transient_tokens
    }

    /// How many requests reached it.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Moves its clock forward (expiry of capture contexts, mandates,
    /// tokens), by a thousand years at most in all.
    pub fn advance_clock(&self, by: std::time::Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        advance_clock(&self.shared, secs);
    }

    /// Forgets every request and all state (flows, instructions, sessions,
    /// tokens, counters) and puts its clock back, as `POST /__sandbox/reset`
    /// does.
    pub fn reset(&self) {
        reset(&self.shared);
    }

    /// Stops accepting connections, finishes what is in flight, and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Routes every request; unknown paths are 404.
async fn dispatch(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    if inspect::is_inspection(uri.path()) {
        let rest: Vec<&str> = uri.path()[inspect::PREFIX.len()..]
            .trim_matches('/')
            .split('/')
            .collect();
        return inspect::route(&shared, &method, &rest, &body).into_response();
    }
    shared.requests.fetch_add(1, Ordering::Relaxed);
    // Handled inline: the slowest handler is one RSA private-key operation
    // (about a millisecond), and staying on the caller's runtime keeps the
    // sandbox usable on a single-threaded one (benchmarks, examples).
    let reply = route(&shared, &method, &uri, &headers, &body);
    inspect::record(
        &mut shared.lock().recorded,
        now_with_offset(&shared),
        &method,
        uri.path(),
        &headers,
        body.len(),
        reply.status(),
    );
    reply.into_response()
}

fn route(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> reply::Reply {
    let path = uri.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Unauthenticated endpoints first.
    match (method, segments.as_slice()) {
        (&Method::GET, ["flex", "v2", "public-keys", kid]) => return flex::public_key(shared, kid),
        (&Method::POST, ["flex", "v2", "tokens"]) => {
            return flex::create_transient_token(shared, body);
        }
        (&Method::POST, ["connect", "token"]) => return checkout::token(shared, headers, body),
        // The customer's browser, as at the vendor's challenge page.
        (&Method::GET, ["3ds", sid]) => return checkout::challenge(shared, sid, uri.query()),
        (_, ["payment-sessions", ..]) => {
            return checkout_route(shared, method, &segments, headers, body);
        }
        _ => {}
    }
    let cybersource = matches!(
        segments.as_slice(),
        ["flex", "v2", "sessions" | "payment-details", ..]
            | ["tms", "v2" | "v3", ..]
            | ["acp" | "icc", "v1", ..]
    );
    if !cybersource {
        return reply::Reply::json(404, serde_json::json!({}));
    }
    let received = auth::Received {
        method,
        path_and_query: uri.path_and_query().map_or(path, |p| p.as_str()),
        headers,
        body,
        now: now_with_offset(shared),
    };
    let sealed_to = match auth::check(&shared.merchant, &received) {
        Ok(Some(kid)) if kid != shared.response_mle.kid => {
            return refuse_authentication(
                shared,
                "the JWT asks for answers sealed to a response MLE key id the merchant has not registered",
            );
        }
        Ok(sealed_to) => sealed_to,
        Err(why) => return refuse_authentication(shared, why),
    };
    let correlation = uuid::Uuid::new_v4().to_string();
    let answer = match (method, segments.as_slice()) {
        (&Method::POST, ["flex", "v2", "sessions"]) => flex::create_capture_context(shared, body),
        (&Method::GET, ["flex", "v2", "payment-details", jti]) => {
            flex::payment_details(shared, jti)
        }
        (&Method::POST, ["tms", "v2", "tokenized-cards", id, rest @ ..]) => match rest {
            ["authentication-options"] => passkey::authentication_options(shared, id, body),
            ["authentication-options", "one-time-passwords"] => {
                passkey::one_time_password(shared, id, body)
            }
            ["authentication-options", "validate"] => passkey::validate(shared, id, body),
            ["authentication-registrations"] => passkey::register(shared, id, body),
            _ => reply::Reply::json(404, serde_json::json!({})),
        },
        (
            &Method::POST,
            [
                "tms",
                version @ ("v2" | "v3"),
                "tokens",
                id,
                "payment-credentials",
            ],
        ) => {
            let answer = passkey::payment_credentials(shared, version, id, body);
            let jose = headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("application/jose"));
            if jose {
                shared.sealed_answers.fetch_add(1, Ordering::Relaxed);
                answer.into_jose(&shared.response_mle, received.now)
            } else {
                answer
            }
        }
        (_, ["acp" | "icc", "v1", rest @ ..]) => icc::handle(shared, method, rest, body),
        _ => reply::Reply::json(404, serde_json::json!({})),
    }
    .with_header("v-c-correlation-id", correlation);
    match sealed_to {
        Some(_) => {
            shared.sealed_answers.fetch_add(1, Ordering::Relaxed);
            answer.sealed(&shared.response_mle, received.now)
        }
        None => answer,
    }
}

/// A 401, with the reason kept for [`Sandbox::auth_failures`].
fn refuse_authentication(shared: &Shared, why: &str) -> reply::Reply {
    let mut state = shared.lock();
    // The most recent reasons only: a long-running sandbox fed bad
    // requests must not grow without bound.
    if state.auth_failures.len() >= MAX_AUTH_FAILURES {
        state.auth_failures.pop_front();
    }
    state.auth_failures.push_back(why.to_owned());
    reply::authentication_failed()
}

fn checkout_route(
    shared: &Shared,
    method: &Method,
    segments: &[&str],
    headers: &HeaderMap,
    body: &[u8],
) -> reply::Reply {
    if !checkout::authorized(shared, headers) {
        return checkout::unauthorized();
    }
    match (method, segments) {
        (&Method::POST, ["payment-sessions"]) => checkout::create(shared, body),
        (&Method::POST, ["payment-sessions", "complete"]) => checkout::complete(shared, body),
        (&Method::POST, ["payment-sessions", id, "submit"]) => checkout::submit(shared, id, body),
        (&Method::GET, ["payment-sessions", id]) => checkout::get(shared, id),
        _ => checkout::not_found(),
    }
}

#[cfg(test)]
mod tests {
    /// The vendor SDKs' secret-key check, written out: `sk_sbox_`, 26 of
    /// `[a-z2-7]`, then one of `[a-z2-7*#$=]`.
    fn passes_the_sdks_key_check(key: &str) -> bool {
        let base32 = |c: u8| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c);
        let Some(rest) = key.strip_prefix("sk_sbox_") else {
            return false;
        };
        let bytes = rest.as_bytes();
        bytes.len() == 27
            && bytes[..26].iter().all(|&c| base32(c))
            && (base32(bytes[26]) || b"*#$=".contains(&bytes[26]))
    }

    #[test]
    fn the_merchant_certificate_holds_its_key_and_kid_and_the_p12_holds_the_certificate() {
        let certificate = super::merchant_certificate().expect("certificate");
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        let modulus = certificate.key.jwk()["n"].as_str().map(str::to_owned);
        let modulus = modulus
            .and_then(|n| super::crypto::from_b64url(&n))
            .expect("modulus");
        assert!(contains(&certificate.der, &modulus));
        assert!(contains(
            &certificate.der,
            super::MERCHANT_CERTIFICATE_KID.as_bytes()
        ));
        assert!(contains(
            &certificate.der,
            super::MERCHANT_P12_ALIAS.as_bytes()
        ));
        // The P12 (encrypted) is opened by payclient's P12 test
        // (tests/it/e2e.rs) and the vendors' SDKs (interop/).
    }

    #[test]
    fn the_checkout_keys_are_shaped_like_the_vendors() {
        let config = super::SandboxConfig::default();
        assert!(passes_the_sdks_key_check(&config.checkout_secret_key));
        let public = config.checkout_public_key.replacen("pk_", "sk_", 1);
        assert!(passes_the_sdks_key_check(&public));
        assert!(!passes_the_sdks_key_check(
            "sk_sbox_payclientsandboxkey2345"
        ));
    }
}
