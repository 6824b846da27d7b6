//! The contract between the generated raw clients in `generated/` and `payclient`.
//!
//! Generated crates stay 100 % generated: `cargo xtask regen` emits, in each of
//! them, a fixed `impl ClientHooks<Hooks> for Client` that routes every request
//! through a [`Hooks`] value. `payclient` installs a [`RequestHook`] there to
//! sign, encrypt, retry and trace requests without touching generated code.
//!
//! ```
//! use payclient_runtime::{Hooks, Operation, RequestHook, BoxFuture, HookError};
//!
//! struct AddHeader;
//! impl RequestHook for AddHeader {
//!     fn prepare<'a>(
//!         &'a self,
//!         _operation: &'static Operation,
//!         request: &'a mut reqwest::Request,
//!     ) -> BoxFuture<'a, Result<(), HookError>> {
//!         Box::pin(async move {
//!             request.headers_mut().insert("x-example", reqwest::header::HeaderValue::from_static("1"));
//!             Ok(())
//!         })
//!     }
//! }
//! let hooks = Hooks::new(AddHeader);
//! assert!(hooks.is_installed());
//! ```

#![warn(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};

/// A boxed, sendable future, as returned by [`RequestHook`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the spec says about one operation, emitted by `cargo xtask regen` into
/// each generated crate as `operations::ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The spec's `operationId` (also the generated method name).
    pub id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template as written in the spec, e.g. `/flex/v2/public-keys/{kid}`.
    pub path: &'static str,
    /// The request body's media type exactly as the spec writes it
    /// (the generated code may have sent a normalized one).
    pub request_content_type: Option<&'static str>,
    /// The media type of the success response, sent as `Accept`.
    pub accept: Option<&'static str>,
    /// The vendor's message-level-encryption requirement for the request body
    /// (the spec's `x-mle`).
    pub message_encryption: MessageEncryption,
    /// Whether repeating the request is harmless (GET, or the spec's
    /// `x-payclient-idempotent: true`); only such operations are retried
    /// after a timeout or a 5xx.
    pub idempotent: bool,
    /// `false` when the spec says `x-payclient-retry: false`: never retried
    /// automatically, whatever happened (a payment submission).
    pub retry: bool,
    /// `false` when the spec says `security: []`: sent without credentials
    /// (the Flex public-key and token endpoints).
    pub authenticated: bool,
    /// The spec's `x-payclient-max-response-bytes`: the most a success answer
    /// of this operation may hold (a public key, a JWT). `None` leaves the
    /// client's configured limit in force.
    pub max_response_bytes: Option<u64>,
}

impl Operation {
    /// The names of the path parameters, in template order (`tokenId` for
    /// `/tms/v2/tokenized-cards/{tokenId}/authentication-options`).
    pub fn path_parameters(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }
}

/// A value that must never be logged: card data, session secrets, OTPs.
/// Serializes as the bare value; `Debug` prints `Sensitive(<redacted>)`.
/// Generated types use it for schemas marked `x-payclient-sensitive: true`.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value, for the one place that must send or compare it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// A response member the spec does not name, kept as the vendor sent it.
///
/// Generated response types collect such members in their `extra` map.
/// `Debug` shows only that a value is there: a vendor may add a member that
/// carries card data or a secret tomorrow, and the map's keys (the member
/// names) are enough to notice it in a log.
#[derive(Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UnknownMember(serde_json::Value);

impl UnknownMember {
    /// Wraps a value.
    pub fn new(value: serde_json::Value) -> Self {
        Self(value)
    }

    /// The value as the vendor sent it (do not log it).
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

impl fmt::Debug for UnknownMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<unknown member>")
    }
}

impl From<serde_json::Value> for UnknownMember {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl PartialEq<serde_json::Value> for UnknownMember {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.0 == *other
    }
}

/// Whether the vendor wants the request body encrypted (Cybersource MLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageEncryption {
    /// Never encrypted.
    #[default]
    Off,
    /// Encrypted when the caller turns it on.
    Optional,
    /// Must be encrypted; sending it in the clear is a configuration error.
    Mandatory,
}

/// Why a hook refused to send a request. Its `Display` becomes the text of a
/// `progenitor_client::Error` (`Custom`, or `InvalidRequest` for
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
    /// that is not one segment): generated code reports it as
    /// `progenitor_client::Error::InvalidRequest`.
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

    /// The message given to [`HookError::new`].
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HookError {}

/// Code that sees every request a generated client sends.
pub trait RequestHook: Send + Sync + 'static {
    /// Runs once per call after the request is built, with the spec's
    /// `Content-Type` and `Accept` already applied.
    fn prepare<'a>(
        &'a self,
        operation: &'static Operation,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        let _ = (operation, request);
        Box::pin(async { Ok(()) })
    }

    /// Sends the request. Overriding this is where retries and per-attempt
    /// signing live; the default sends it once.
    fn execute<'a>(
        &'a self,
        operation: &'static Operation,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation;
        Box::pin(client.execute(request))
    }
}

/// The `inner` value of every generated `Client`: an optional [`RequestHook`].
#[derive(Clone, Default)]
pub struct Hooks {
    hook: Option<Arc<dyn RequestHook>>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("installed", &self.is_installed())
            .finish()
    }
}

impl Hooks {
    /// No hook: requests go out as generated (with the spec's media types).
    pub fn none() -> Self {
        Self::default()
    }

    /// Route every request through `hook`.
    pub fn new(hook: impl RequestHook) -> Self {
        Self {
            hook: Some(Arc::new(hook)),
        }
    }

    /// Route every request through a shared hook.
    pub fn from_arc(hook: Arc<dyn RequestHook>) -> Self {
        Self { hook: Some(hook) }
    }

    /// Whether a hook is installed.
    pub fn is_installed(&self) -> bool {
        self.hook.is_some()
    }

    /// Called by generated code before sending: checks that the request's
    /// path is `base_url`'s path followed by the operation's template with
    /// each parameter one plain segment (see [`check_path`]), applies the
    /// spec's media types, then the installed hook.
    pub async fn prepare(
        &self,
        operations: &'static [Operation],
        operation_id: &str,
        base_url: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        let operation = find(operations, operation_id)?;
        check_path(operation, base_url, request.url())?;
        apply_media_types(operation, request)?;
        match &self.hook {
            Some(hook) => hook.prepare(operation, request).await,
            None => Ok(()),
        }
    }

    /// Called by generated code to send the request.
    pub async fn execute(
        &self,
        operations: &'static [Operation],
        operation_id: &str,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        match (&self.hook, find(operations, operation_id)) {
            (Some(hook), Ok(operation)) => hook.execute(operation, client, request).await,
            // `prepare` already refused an unknown operation, so this arm only
            // sends requests that have no hook installed.
            _ => client.execute(request).await,
        }
    }
}

fn find(operations: &'static [Operation], id: &str) -> Result<&'static Operation, HookError> {
    operations
        .iter()
        .find(|operation| operation.id == id)
        .ok_or_else(|| HookError::new(format!("operation `{id}` is not in the operation table")))
}

/// Whether `segment` may stand for a path parameter: RFC 3986 unreserved
/// characters only, and not a dot segment. Every id the vendors document fits;
/// anything that needed percent-encoding (`/`, `\`, `?`, `#`, `%`, controls)
/// does not, since a server may decode it back into a separator.
fn is_plain_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Checks that `url`'s path is `base_url`'s path followed by `operation`'s
/// template, literal segments equal and each `{parameter}` one plain segment
/// (see the rules of [`Hooks::prepare`]).
///
/// Generated code percent-encodes `/` in a parameter but not `\` or dot
/// segments, which URL parsing resolves: a session id `..` would turn
/// `POST /payment-sessions/../submit` into `POST /submit`, signed. This is the
/// backstop behind the spec's patterns for each id, for every operation of
/// every generated client.
pub fn check_path(
    operation: &Operation,
    base_url: &str,
    url: &reqwest::Url,
) -> Result<(), HookError> {
    let base = reqwest::Url::parse(base_url).map_err(|_| {
        HookError::new(format!(
            "operation `{}`: the base URL is not a URL",
            operation.id
        ))
    })?;
    let base_segments = base.path().split('/').filter(|s| !s.is_empty());
    let template = operation.path.split('/').filter(|s| !s.is_empty());
    let expected: Vec<&str> = base_segments.chain(template).collect();
    let actual: Vec<&str> = url
        .path_segments()
        .map(|segments| segments.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let matches = url.path().ends_with('/') == operation.path.ends_with('/')
        && expected.len() == actual.len()
        && expected.iter().zip(&actual).all(|(want, got)| {
            if want.starts_with('{') && want.ends_with('}') {
                is_plain_segment(got)
            } else {
                want == got
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

/// Progenitor only knows a few media types; the spec's exact ones
/// (`application/jwt`, `application/json;charset=utf-8`) are restored here.
fn apply_media_types(
    operation: &'static Operation,
    request: &mut reqwest::Request,
) -> Result<(), HookError> {
    let headers = request.headers_mut();
    if let Some(content_type) = operation.request_content_type {
        let value = static_header(content_type).ok_or_else(|| {
            HookError::new(format!(
                "operation `{}`: invalid Content-Type in spec",
                operation.id
            ))
        })?;
        headers.insert(CONTENT_TYPE, value);
    }
    if let Some(accept) = operation.accept {
        let value = static_header(accept).ok_or_else(|| {
            HookError::new(format!(
                "operation `{}`: invalid Accept in spec",
                operation.id
            ))
        })?;
        headers.insert(ACCEPT, value);
    }
    Ok(())
}

/// A header value that borrows the spec's `'static` text instead of copying
/// it on every request, or `None` where the text is not a valid value.
fn static_header(text: &'static str) -> Option<HeaderValue> {
    // The rule `HeaderValue::from_static` checks (it panics on a byte
    // outside it): visible ASCII or tab.
    let valid = text
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    valid.then(|| HeaderValue::from_static(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    static OPS: &[Operation] = &[Operation {
        id: "tokenize",
        method: "POST",
        path: "/flex/v2/tokens",
        request_content_type: Some("application/jwt"),
        accept: Some("application/jwt"),
        message_encryption: MessageEncryption::Off,
        idempotent: false,
        retry: true,
        authenticated: true,
        max_response_bytes: None,
    }];

    const BASE: &str = "http://127.0.0.1:9";

    fn request() -> reqwest::Request {
        reqwest::Client::new()
            .post("http://127.0.0.1:9/flex/v2/tokens")
            .header(CONTENT_TYPE, "text/plain")
            .body("a.b.c.d.e")
            .build()
            .expect("static request builds")
    }

    #[tokio::test]
    async fn prepare_restores_the_spec_media_types() {
        let mut req = request();
        Hooks::none()
            .prepare(OPS, "tokenize", BASE, &mut req)
            .await
            .expect("known operation");
        assert_eq!(req.headers()[CONTENT_TYPE], "application/jwt");
        assert_eq!(req.headers()[ACCEPT], "application/jwt");
    }

    #[tokio::test]
    async fn a_media_type_that_is_no_header_value_is_an_error_not_a_panic() {
        static BAD: &[Operation] = &[Operation {
            accept: Some("application/json\r\nx-injected: 1"),
            ..OPS[0]
        }];
        let err = Hooks::none()
            .prepare(BAD, "tokenize", BASE, &mut request())
            .await
            .unwrap_err();
        assert!(err.message().contains("invalid Accept"), "{err}");
        for text in ["t\u{e9}xt/plain", "a\u{7f}b", "a\nb"] {
            let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
            assert!(static_header(leaked).is_none(), "{text:?}");
        }
        let tab = static_header("text/plain;\tq=1").expect("a tab is allowed");
        assert_eq!(tab, "text/plain;\tq=1");
    }

    #[tokio::test]
    async fn prepare_refuses_an_operation_missing_from_the_table() {
        let mut req = request();
        let err = Hooks::none()
            .prepare(OPS, "nope", BASE, &mut req)
            .await
            .unwrap_err();
        assert!(err.message().contains("`nope`"), "{err}");
    }

    struct Refuse;
    impl RequestHook for Refuse {
        fn prepare<'a>(
            &'a self,
            operation: &'static Operation,
            _request: &'a mut reqwest::Request,
        ) -> BoxFuture<'a, Result<(), HookError>> {
            Box::pin(async move { Err(HookError::new(format!("refused {}", operation.id))) })
        }
    }

    #[tokio::test]
    async fn an_installed_hook_sees_the_operation() {
        let mut req = request();
        let err = Hooks::new(Refuse)
            .prepare(OPS, "tokenize", BASE, &mut req)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "refused tokenize");
        assert_eq!(
            format!("{:?}", Hooks::new(Refuse)),
            "Hooks { installed: true }"
        );
    }

    static SUBMIT: Operation = Operation {
        id: "submit_payment_session",
        method: "POST",
        path: "/payment-sessions/{id}/submit",
        request_content_type: Some("application/json"),
        accept: Some("application/json"),
        message_encryption: MessageEncryption::Off,
        idempotent: false,
        retry: false,
        authenticated: true,
        max_response_bytes: None,
    };

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
        for base in ["http://127.0.0.1:9", "http://127.0.0.1:9/proxy/api"] {
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

    #[tokio::test]
    async fn prepare_refuses_a_path_parameter_that_left_its_segment() {
        let mut req = reqwest::Client::new()
            .post(submit_url(BASE, "..").as_str())
            .build()
            .expect("request");
        static ALL: &[Operation] = &[SUBMIT];
        let err = Hooks::none()
            .prepare(ALL, "submit_payment_session", BASE, &mut req)
            .await
            .unwrap_err();
        assert!(err.is_invalid_request());
    }

    #[test]
    fn unknown_members_keep_their_value_but_never_print_it() {
        let member: UnknownMember =
            serde_json::from_str(r#"{"pan":"4111111111111111"}"#).expect("json");
        assert_eq!(format!("{member:?}"), "<unknown member>");
        assert_eq!(member, serde_json::json!({"pan": "4111111111111111"}));
        assert_eq!(
            serde_json::to_string(&member).expect("json"),
            r#"{"pan":"4111111111111111"}"#
        );
    }

    #[test]
    fn sensitive_values_serialize_bare_and_never_debug() {
        let secret = Sensitive::from("pss_9823241e");
        assert_eq!(format!("{secret:?}"), "Sensitive(<redacted>)");
        assert_eq!(
            serde_json::to_string(&secret).expect("json"),
            "\"pss_9823241e\""
        );
        let back: Sensitive<String> = serde_json::from_str("\"x\"").expect("json");
        assert_eq!(back.expose(), "x");
    }
}
