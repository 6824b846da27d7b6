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

/// Why a hook refused to send a request. Its `Display` becomes the text of
/// `progenitor_client::Error::Custom`, so it must never contain secrets or bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookError {
    message: String,
}

impl HookError {
    /// A refusal with a message that is safe to log.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
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

    /// Called by generated code before sending: applies the spec's media types,
    /// then the installed hook.
    pub async fn prepare(
        &self,
        operations: &'static [Operation],
        operation_id: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        let operation = find(operations, operation_id)?;
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
    }];

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
            .prepare(OPS, "tokenize", &mut req)
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
            .prepare(BAD, "tokenize", &mut request())
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
            .prepare(OPS, "nope", &mut req)
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
            .prepare(OPS, "tokenize", &mut req)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "refused tokenize");
        assert_eq!(
            format!("{:?}", Hooks::new(Refuse)),
            "Hooks { installed: true }"
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
