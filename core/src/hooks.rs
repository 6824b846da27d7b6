//! One attempt on the wire, as every generated client makes it: each call
//! `regen` emits in a crate's `calls` builds its request ([`new_request`],
//! [`add_header`], [`set_json_body`]) and sends it with [`Hooks::send`];
//! the fixed `impl ClientHooks<Hooks> for Client` does the same for
//! progenitor's builders. Either way [`Hooks::prepare`] runs on the built
//! request and [`Hooks::execute`] sends it. Prepare checks the path, sets
//! the spec's media types and lets the [`Vendor`] authenticate (sign,
//! encrypt, add a token); execute sends once, never follows a redirect and
//! reads the answer under its body limit.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt as _;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};

use crate::error::{Error, ServiceError, VerificationError};
use crate::operation::Operation;

/// A boxed, sendable future, as [`Vendor`] methods return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What a vendor plugs into the pipeline: how its requests are
/// authenticated, where its request id is, how its error bodies read.
/// Cybersource and Checkout.com each implement it once; products plug into
/// their vendor and never see it.
pub trait Vendor: Send + Sync + 'static {
    /// A short name for spans and observers (`cybersource`, `checkout`).
    fn name(&self) -> &'static str;

    /// The header that carries the vendor's request id.
    fn request_id_header(&self) -> &HeaderName;

    /// Before the first attempt of a call: anything that may need I/O or
    /// that has a typed refusal (an OAuth token; whether the operation can be
    /// encrypted as the configuration stands), or `None` when there is
    /// nothing to do. An error ends the call with nothing sent.
    fn before_call(
        &self,
        operation: &'static Operation,
    ) -> Option<BoxFuture<'_, Result<(), Error>>> {
        let _ = operation;
        None
    }

    /// Authenticates one attempt (each is signed afresh). An error means the
    /// attempt is not sent.
    fn authenticate(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError>;

    /// After a 401 on the first answer of a call that started at
    /// `call_started`: refresh credentials (unless they were refreshed since
    /// then); `true` sends the call once more. The default never does.
    fn after_unauthorized<'a>(
        &'a self,
        operation: &'static Operation,
        call_started: std::time::Instant,
    ) -> BoxFuture<'a, bool> {
        let _ = (operation, call_started);
        Box::pin(async { false })
    }

    /// The request headers worth keeping for the explanation of a 401 (no
    /// secret may be derived from them by [`Vendor::explain_rejection`]).
    fn rejection_headers(&self) -> &'static [HeaderName] {
        &[]
    }

    /// After a 401: what the request carried, in one line safe to log.
    fn explain_rejection(&self, sent: &SentRequest) -> Option<String> {
        let _ = sent;
        None
    }

    /// Reads an error body (at most the configured error limit).
    fn parse_error(&self, status: u16, body: &[u8]) -> ServiceError;

    /// Whether answers to `operation` are read whole and handed to
    /// [`Vendor::open_answer`] before anything decodes them (answers that
    /// may be message-level encrypted). The default never does.
    fn opens_answers(&self, operation: &'static Operation) -> bool {
        let _ = operation;
        false
    }

    /// Opens one whole answer body, success or error (already under its
    /// limit): `Ok(None)` when it is not sealed, the plain body when it
    /// was, or why it cannot be opened (the call then fails with
    /// [`Error::Verification`]; the sealed body is never shown).
    fn open_answer(
        &self,
        operation: &'static Operation,
        body: &[u8],
    ) -> Result<Option<Vec<u8>>, VerificationError> {
        let _ = (operation, body);
        Ok(None)
    }
}

/// What an attempt sent, kept for [`Vendor::explain_rejection`].
#[derive(Debug, Clone)]
pub struct SentRequest {
    /// The method.
    pub method: reqwest::Method,
    /// Path and query.
    pub target: String,
    /// The headers named by [`Vendor::rejection_headers`] that were present.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl SentRequest {
    /// The value of header `name`, if it was sent and is text.
    pub fn header(&self, name: &HeaderName) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.to_str().ok())
    }
}

/// The 401 explanation, carried from [`Hooks::execute`] to the pipeline on
/// the response's extensions.
#[derive(Debug, Clone)]
pub(crate) struct RejectionExplained(pub String);

/// Why a hook refused to send a request. Its `Display` becomes the text of
/// a `progenitor_client::Error` (`Custom`, or `InvalidRequest` for
/// [`HookError::invalid_request`]), so it must never contain secrets or bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookError {
    message: String,
    invalid_request: bool,
}

impl HookError {
    /// A refusal with a message that is safe to log.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            invalid_request: false,
        }
    }

    /// A refusal because the request itself breaks a rule (a path parameter
    /// that is not one segment): reported as a validation error.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            invalid_request: true,
        }
    }

    /// Whether it was made by [`HookError::invalid_request`].
    pub fn is_invalid_request(&self) -> bool {
        self.invalid_request
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// As a generated call's error: `InvalidRequest` for a request that
    /// breaks a rule, `Custom` for any other refusal.
    pub fn into_call_error<E>(self) -> progenitor_client::Error<E> {
        if self.invalid_request {
            progenitor_client::Error::InvalidRequest(self.message)
        } else {
            progenitor_client::Error::Custom(self.message)
        }
    }
}

impl std::fmt::Display for HookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HookError {}

/// How many bytes an answer's body may hold before reading stops with
/// [`Error::ResponseTooLarge`]. The defaults are sized to the answers the
/// four products give (a Flow session or an Intelligent Commerce answer is
/// a few KiB); an operation whose spec names a smaller bound
/// (`x-payclient-max-response-bytes`: a Flex public key, a capture context,
/// a transient token) keeps that bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseLimits {
    /// Success answers (default 1 MiB).
    pub success: u64,
    /// Error answers, 4xx and 5xx (default 64 KiB).
    pub error: u64,
    /// An OAuth token answer (default 16 KiB).
    pub oauth_token: u64,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        Self {
            success: 1 << 20,
            error: 64 << 10,
            oauth_token: 16 << 10,
        }
    }
}

impl ResponseLimits {
    /// With `bytes` as the limit for success answers.
    pub fn with_success(mut self, bytes: u64) -> Self {
        self.success = bytes;
        self
    }

    /// With `bytes` as the limit for error answers.
    pub fn with_error(mut self, bytes: u64) -> Self {
        self.error = bytes;
        self
    }

    /// With `bytes` as the limit for an OAuth token answer.
    pub fn with_oauth_token(mut self, bytes: u64) -> Self {
        self.oauth_token = bytes;
        self
    }

    /// The limit for a `status` answer to `operation`.
    pub fn for_answer(&self, operation: &Operation, status: u16) -> u64 {
        if (200..300).contains(&status) {
            // The spec's bound tightens the caller's limit, never loosens it.
            operation
                .max_response_bytes
                .map_or(self.success, |bound| bound.min(self.success))
        } else {
            self.error
        }
    }
}

/// The `inner` value of every generated `Client`: the pipeline that
/// authenticates and limits its requests, or none (requests go out as
/// generated, with the spec's media types and path checks, and answers are
/// read under the default limits).
#[derive(Clone, Default)]
pub struct Hooks {
    pipeline: Option<Arc<crate::Pipeline>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("vendor", &self.pipeline.as_ref().map(|p| p.vendor().name()))
            .finish()
    }
}

/// progenitor adds `api-version: <spec version>` to every request; the
/// vendors' own clients send no such header, and neither does payclient.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

impl Hooks {
    /// No pipeline: requests go out as generated, unauthenticated, and
    /// answers are still read under the default [`ResponseLimits`].
    pub fn none() -> Self {
        Self::default()
    }

    /// Route every request through `pipeline`.
    pub fn new(pipeline: Arc<crate::Pipeline>) -> Self {
        Self {
            pipeline: Some(pipeline),
        }
    }

    /// Called by generated code on each built request, before it is sent:
    /// checks that its path is `base_url`'s path followed by the operation's
    /// template with each parameter one plain segment (see [`check_path`]),
    /// sets the spec's media types, then lets the vendor authenticate it.
    pub fn prepare(
        &self,
        operation: &'static Operation,
        base_url: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        check_path(operation, base_url, request.url())?;
        // The span is the pipeline's attempt span; ids in paths are checked
        // above and carry no card data.
        tracing::Span::current().record("url.path", request.url().path());
        let headers = request.headers_mut();
        headers.remove(API_VERSION);
        if let Some(content_type) = &operation.request_content_type {
            headers.insert(CONTENT_TYPE, content_type.clone());
        }
        if let Some(accept) = &operation.accept {
            headers.insert(ACCEPT, accept.clone());
        }
        match &self.pipeline {
            Some(pipeline) => pipeline.vendor().authenticate(operation, request),
            None => Ok(()),
        }
    }

    /// Sends one attempt of a generated call (see [`crate::new_request`]):
    /// [`Hooks::prepare`], then [`Hooks::execute`], with the errors a
    /// generated builder's hooks give (a refused path parameter is
    /// `InvalidRequest`; another refusal `Custom`; a failed exchange
    /// `CommunicationError`).
    pub async fn send(
        &self,
        operation: &'static Operation,
        base_url: &str,
        client: &reqwest::Client,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, progenitor_client::Error<()>> {
        self.prepare(operation, base_url, &mut request)
            .map_err(HookError::into_call_error)?;
        Ok(self.execute(operation, client, request).await?)
    }

    /// Called by generated code to send the request: once (the pipeline
    /// retries around the whole call), redirects never followed, the body
    /// read under the limit for the answer's status.
    pub async fn execute(
        &self,
        operation: &'static Operation,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(pipeline) = &self.pipeline else {
            // A raw client without a pipeline reads hostile bodies too.
            let response = client.execute(request).await?;
            let limit = ResponseLimits::default().for_answer(operation, response.status().as_u16());
            return Ok(cap_body(response, limit));
        };
        let vendor = pipeline.vendor();
        let sent = (!vendor.rejection_headers().is_empty()).then(|| SentRequest {
            method: request.method().clone(),
            target: match request.url().query() {
                Some(query) => format!("{}?{query}", request.url().path()),
                None => request.url().path().to_owned(),
            },
            headers: vendor
                .rejection_headers()
                .iter()
                .filter_map(|name| Some((name.clone(), request.headers().get(name)?.clone())))
                .collect(),
        });
        let mut response = client.execute(request).await?;
        let status = response.status().as_u16();
        if status == 401
            && let Some(explained) = sent.as_ref().and_then(|s| vendor.explain_rejection(s))
        {
            response
                .extensions_mut()
                .insert(RejectionExplained(explained));
        }
        let limit = pipeline.limits().for_answer(operation, status);
        let response = cap_body(response, limit);
        if vendor.opens_answers(operation) {
            return Ok(open_answer(vendor, operation, response).await);
        }
        Ok(response)
    }
}

/// A sealed answer that could not be opened, carried through the body
/// stream to the pipeline (which turns it into [`Error::Verification`]).
#[derive(Debug, Clone)]
struct AnswerNotOpened(VerificationError);

impl std::fmt::Display for AnswerNotOpened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the answer could not be opened: {}", self.0)
    }
}

impl std::error::Error for AnswerNotOpened {}

/// Why a body read failed, if it was an answer the vendor could not open.
pub(crate) fn not_opened(error: &(dyn std::error::Error + 'static)) -> Option<VerificationError> {
    in_chain::<AnswerNotOpened>(error).map(|AnswerNotOpened(reason)| reason.clone())
}

/// The first error of type `T` in `error`'s source chain.
fn in_chain<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// A body whose read fails at once with `error`.
fn failing_body(error: BoxError) -> reqwest::Body {
    reqwest::Body::wrap_stream(futures::stream::once(async move { Err::<Bytes, _>(error) }))
}

/// Reads `response`'s (capped) body whole and lets the vendor open it. The
/// answer handed on has the opened body, or a body whose read fails with
/// the reason (over its limit, a broken connection, or not opened), so that
/// the pipeline reports each as it would for any answer.
async fn open_answer(
    vendor: &dyn Vendor,
    operation: &'static Operation,
    response: reqwest::Response,
) -> reqwest::Response {
    use http_body_util::BodyExt as _;

    let url = response.url().clone();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = match body.collect().await {
        Err(e) => failing_body(Box::new(e)),
        Ok(collected) => {
            let sealed = collected.to_bytes();
            match vendor.open_answer(operation, &sealed) {
                Ok(None) => reqwest::Body::from(sealed),
                Ok(Some(plain)) => {
                    // The length and digest headers described the sealed body.
                    parts.headers.remove(reqwest::header::CONTENT_LENGTH);
                    reqwest::Body::from(plain)
                }
                Err(reason) => failing_body(Box::new(AnswerNotOpened(reason))),
            }
        }
    };
    rebuilt(parts, body, url)
}

/// Whether `segment` may stand for a path parameter: RFC 3986 unreserved
/// characters only, and not a dot segment. Every id the vendors document
/// fits; anything that needed percent-encoding (`/`, `\`, `?`, `#`, `%`,
/// controls) does not, since a server may decode it back into a separator.
fn is_plain_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Checks that `url`'s path is `base_url`'s path followed by `operation`'s
/// template, literal segments equal and each `{parameter}` one plain segment.
///
/// Generated code percent-encodes `/` in a parameter but not `\` or dot
/// segments, which URL parsing resolves: a session id `..` would turn
/// `POST /payment-sessions/../submit` into `POST /submit`, signed. This is
/// the backstop behind the spec's patterns for each id.
pub fn check_path(
    operation: &Operation,
    base_url: &str,
    url: &reqwest::Url,
) -> Result<(), HookError> {
    // The base URL's path as written: configurations check that it is
    // written as the URL parser reads it (see `check_url`).
    let base_path = crate::http::written_path(base_url).ok_or_else(|| {
        HookError::new(format!(
            "operation `{}`: the base URL is not a URL",
            operation.id
        ))
    })?;
    let matches = url
        .path()
        .strip_prefix(base_path.trim_end_matches('/'))
        .is_some_and(|rest| {
            // Segment by segment, empty ones included: no doubled or
            // missing slash passes either.
            let mut got = rest.split('/');
            let mut want = operation.path.split('/');
            loop {
                match (want.next(), got.next()) {
                    (None, None) => break true,
                    (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                        if !is_plain_segment(g) {
                            break false;
                        }
                    }
                    (Some(w), Some(g)) if w == g => {}
                    _ => break false,
                }
            }
        });
    if matches {
        return Ok(());
    }
    let names: Vec<&str> = operation.path_parameters().collect();
    Err(HookError::invalid_request(match names.as_slice() {
        [] => format!(
            "operation `{}`: the request path is not `{}`",
            operation.id, operation.path
        ),
        names => format!(
            "path parameter `{}` must be one URL path segment of letters, digits and `-._~` (not `.` or `..`)",
            names.join("`/`")
        ),
    }))
}

/// The error a capped body yields once it goes over its limit; found again
/// in the source chain of the read error (see [`exceeded_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyLimitExceeded {
    pub limit: u64,
    pub status: u16,
}

impl std::fmt::Display for BodyLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for BodyLimitExceeded {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `response` with a body that fails with `BodyLimitExceeded` as soon as
/// more than `limit` bytes arrive (at once when `Content-Length` already
/// says so); nothing past the limit is read.
pub fn cap_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    let declared = response.content_length();
    let status = response.status().as_u16();
    let exceeded = BodyLimitExceeded { limit, status };
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = if declared.is_some_and(|n| n > limit) {
        // Dropping the body unread closes the connection.
        failing_body(Box::new(exceeded))
    } else {
        let mut seen: u64 = 0;
        reqwest::Body::wrap_stream(http_body_util::BodyExt::into_data_stream(body).map(
            move |chunk| {
                let chunk = chunk.map_err(|e| Box::new(e) as BoxError)?;
                seen = seen.saturating_add(chunk.len() as u64);
                if seen > limit {
                    return Err(Box::new(exceeded) as BoxError);
                }
                Ok(chunk)
            },
        ))
    };
    rebuilt(parts, body, url)
}

/// A response from `parts` and a new `body`, with the URL reqwest records on
/// a response (converting to `http::Response` drops it).
fn rebuilt(
    mut parts: http::response::Parts,
    body: reqwest::Body,
    url: reqwest::Url,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    if let Ok(marker) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(marker.into_parts().0.extensions);
    }
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

/// The limit and status that `error` (a body read error) ran into, if that
/// is why it failed.
pub(crate) fn exceeded_limit(
    error: &(dyn std::error::Error + 'static),
) -> Option<BodyLimitExceeded> {
    in_chain::<BodyLimitExceeded>(error).copied()
}

/// Reads `response`'s whole body under `limit` (for a vendor's own
/// requests outside the pipeline, such as an OAuth token): the bytes, or
/// [`Error::ResponseTooLarge`], or a transport error.
pub async fn read_limited(
    operation: &'static str,
    response: reqwest::Response,
    limit: u64,
    request_id: Option<String>,
) -> Result<Bytes, Error> {
    let status = response.status().as_u16();
    cap_body(response, limit)
        .bytes()
        .await
        .map_err(|e| match exceeded_limit(&e) {
            Some(exceeded) => Error::ResponseTooLarge(crate::ResponseTooLarge {
                operation,
                status,
                request_id,
                limit: exceeded.limit,
            }),
            None => Error::Transport(crate::TransportError::from_reqwest(operation, 1, false, e)),
        })
}

/// Reads a whole (capped) body.
pub(crate) async fn read_body(
    stream: progenitor_client::ByteStream,
) -> Result<Bytes, reqwest::Error> {
    let mut stream = stream.into_inner();
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out.freeze())
}

/// The error of a generated call's attempt: progenitor's, as [`crate::Call::send`]
/// returns it (large, but made once per attempt at most, never in a loop).
type CallError = progenitor_client::Error<()>;

/// The request of one attempt of a generated call: `operation`'s method and
/// `url` (the base URL and the template with each parameter encoded). The
/// calls `regen` emits start here, add headers and body, and send it with
/// [`Hooks::send`].
#[allow(clippy::result_large_err)] // `Call::send`'s error type
pub fn new_request(operation: &Operation, url: &str) -> Result<reqwest::Request, CallError> {
    let method = reqwest::Method::from_bytes(operation.method.as_bytes()).map_err(|_| {
        CallError::InvalidRequest(format!(
            "operation `{}`: `{}` is not an HTTP method",
            operation.id, operation.method
        ))
    })?;
    let url = reqwest::Url::parse(url).map_err(|_| {
        CallError::InvalidRequest(format!(
            "operation `{}`: the request URL is not a URL",
            operation.id
        ))
    })?;
    Ok(reqwest::Request::new(method, url))
}

/// Adds header `name` (a parameter the spec defines) with `value`; a value
/// that cannot be a header is refused, never shown.
#[allow(clippy::result_large_err)] // `Call::send`'s error type
pub fn add_header(
    request: &mut reqwest::Request,
    name: &str,
    value: &str,
) -> Result<(), CallError> {
    let refused =
        || CallError::InvalidRequest(format!("header `{name}` is not a valid header value"));
    let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| refused())?;
    let value = HeaderValue::from_str(value).map_err(|_| refused())?;
    request.headers_mut().append(name, value);
    Ok(())
}

/// Sets `body` as the request's JSON body (its media type is set from the
/// operation table by [`Hooks::prepare`]).
#[allow(clippy::result_large_err)] // `Call::send`'s error type
pub fn set_json_body<T: serde::Serialize + ?Sized>(
    request: &mut reqwest::Request,
    body: &T,
) -> Result<(), CallError> {
    let bytes = serde_json::to_vec(body).map_err(|_| {
        CallError::InvalidRequest("the request body could not be encoded as JSON".to_owned())
    })?;
    *request.body_mut() = Some(bytes.into());
    Ok(())
}

/// Sets `body` as the request's body, byte for byte (a JWE, say).
pub fn set_raw_body(request: &mut reqwest::Request, body: &[u8]) {
    *request.body_mut() = Some(body.to_vec().into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageEncryption;

    static SUBMIT: Operation = Operation {
        id: "submit_payment_session",
        method: "POST",
        path: "/payment-sessions/{id}/submit",
        request_content_type: Some(HeaderValue::from_static("application/json")),
        accept: Some(HeaderValue::from_static("application/json")),
        message_encryption: MessageEncryption::Off,
        idempotent: false,
        retry: false,
        authenticated: true,
        max_response_bytes: None,
    };

    const BASE: &str = "http://127.0.0.1:9";

    /// The URL generated code builds: `base` + the template with `id`
    /// percent-encoded as progenitor's `encode_path` does it.
    fn submit_url(base: &str, id: &str) -> reqwest::Url {
        let encoded: String = id
            .chars()
            .map(|c| match c {
                '/' => "%2F".to_owned(),
                '?' => "%3F".to_owned(),
                '#' => "%23".to_owned(),
                '%' => "%25".to_owned(),
                ' ' => "%20".to_owned(),
                c if c.is_control() => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect();
        reqwest::Url::parse(&format!("{base}/payment-sessions/{encoded}/submit")).expect("url")
    }

    #[test]
    fn path_parameters_must_stay_one_plain_segment() {
        for base in [BASE, "http://127.0.0.1:9/proxy/api"] {
            assert_eq!(
                check_path(
                    &SUBMIT,
                    base,
                    &submit_url(base, "ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn")
                ),
                Ok(())
            );
            for hostile in [
                "..",
                ".",
                "",
                "a/b",
                "a\\..\\..\\x",
                "..\\..\\flex\\v2\\sessions",
                "x?y",
                "x#y",
                "%2e%2e",
                "a%2Fb",
                "a\nb",
                "a b",
            ] {
                let err = check_path(&SUBMIT, base, &submit_url(base, hostile)).expect_err(hostile);
                assert!(err.is_invalid_request(), "{hostile:?}");
                assert!(err.message().contains("`id`"), "{err}");
            }
        }
        // The base URL's own path must still lead the request path.
        let url =
            reqwest::Url::parse("http://127.0.0.1:9/payment-sessions/ps_1/submit").expect("url");
        assert!(check_path(&SUBMIT, "http://127.0.0.1:9/proxy", &url).is_err());
        assert_eq!(SUBMIT.path_parameters().collect::<Vec<_>>(), ["id"]);
    }

    #[test]
    fn prepare_sets_the_spec_media_types_and_drops_api_version() {
        let mut request = reqwest::Client::new()
            .post(submit_url(BASE, "ps_1").as_str())
            .header(CONTENT_TYPE, "text/plain")
            .header("api-version", "1.0.0")
            .body("{}")
            .build()
            .expect("request");
        Hooks::none()
            .prepare(&SUBMIT, BASE, &mut request)
            .expect("prepared");
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(request.headers()[ACCEPT], "application/json");
        assert!(request.headers().get("api-version").is_none());
        let mut hostile = reqwest::Client::new()
            .post(submit_url(BASE, "..").as_str())
            .build()
            .expect("request");
        let err = Hooks::none()
            .prepare(&SUBMIT, BASE, &mut hostile)
            .expect_err("refused");
        assert!(err.is_invalid_request());
    }

    #[test]
    fn a_generated_request_refuses_what_cannot_be_sent_without_showing_it() {
        let mut request =
            new_request(&GET_THING, "http://127.0.0.1:9/things/t_1").expect("request");
        assert_eq!(request.method(), reqwest::Method::GET);
        add_header(&mut request, "Cko-Idempotency-Key", "k-1").expect("header");
        assert_eq!(request.headers()["cko-idempotency-key"], "k-1");

        let err = add_header(&mut request, "profile-id", "secret\r\nx: y").expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("`profile-id`"), "{text}");
        assert!(!text.contains("secret"), "{text}");
        assert!(matches!(
            new_request(&GET_THING, "not a url"),
            Err(progenitor_client::Error::InvalidRequest(m)) if m.contains("get_thing")
        ));
        let odd = Operation {
            method: "G ET",
            ..GET_THING
        };
        assert!(new_request(&odd, "http://127.0.0.1:9/things/t_1").is_err());

        set_json_body(&mut request, &serde_json::json!({"a": 1})).expect("json");
        assert_eq!(
            request.body().and_then(reqwest::Body::as_bytes),
            Some(&b"{\"a\":1}"[..])
        );
        set_raw_body(&mut request, b"h.k.iv.ct.tag");
        assert_eq!(
            request.body().and_then(reqwest::Body::as_bytes),
            Some(&b"h.k.iv.ct.tag"[..])
        );
    }

    // A `const`, so a test can make variants of it.
    const GET_THING: Operation = Operation {
        id: "get_thing",
        method: "GET",
        path: "/things/{id}",
        request_content_type: None,
        accept: None,
        message_encryption: MessageEncryption::Off,
        idempotent: true,
        retry: true,
        authenticated: true,
        max_response_bytes: None,
    };
}
