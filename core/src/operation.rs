//! What the spec says about each operation, and the seam through which the
//! pipeline sends a generated request.

use std::future::Future;

use reqwest::header::HeaderValue;

/// What the spec says about one operation. `cargo xtask regen` emits one
/// `static` per operation in each generated crate's `operations` module, so
/// call sites and per-operation settings name operations by value, never by
/// a string that could be misspelt.
#[derive(Debug)]
pub struct Operation {
    /// The spec's `operationId` (also the generated method name).
    pub id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template as written in the spec, e.g. `/flex/v2/public-keys/{kid}`.
    pub path: &'static str,
    /// The request body's media type exactly as the spec writes it (the
    /// generated code may have sent a normalized one). Checked at compile
    /// time: the table builds it with `HeaderValue::from_static`.
    pub request_content_type: Option<HeaderValue>,
    /// The media type of the success response, sent as `Accept`.
    pub accept: Option<HeaderValue>,
    /// The vendor's message-level-encryption requirement for the request
    /// body (the spec's `x-mle`).
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
    /// configured limit in force.
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

impl PartialEq for Operation {
    /// Operations are the generated statics: one per `operationId`.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Operation {}

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

/// One generated request, ready to send. `cargo xtask regen` implements it
/// for every operation's call type in a generated crate's `calls` module
/// (typed parameters and body by reference; the request built directly,
/// see [`new_request`]) and for every progenitor builder, tying each to its
/// [`Operation`]; the [`crate::Pipeline`] builds one per attempt and sends it.
pub trait Call: Send {
    /// What a success answer decodes to (`ByteStream` for raw bodies).
    type Output: Send;

    /// The operation this builder sends.
    fn operation() -> &'static Operation;

    /// One attempt: builds the request, passes it through the hooks
    /// (`prepare`, then `execute`) and decodes a documented success answer.
    /// Every other answer arrives as `Error::UnexpectedResponse`, for the
    /// pipeline to classify and decode.
    fn send(
        self,
    ) -> impl Future<
        Output = Result<
            progenitor_client::ResponseValue<Self::Output>,
            progenitor_client::Error<()>,
        >,
    > + Send;
}

/// The error of a generated call's attempt: progenitor's, as [`Call::send`]
/// returns it (large, but made once per attempt at most, never in a loop).
type CallError = progenitor_client::Error<()>;

/// The request of one attempt of a generated call: `operation`'s method and
/// `url` (the base URL and the template with each parameter encoded). The
/// calls `regen` emits start here, add headers and body, and send it with
/// [`crate::Hooks::send`].
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
/// operation table by [`crate::Hooks::prepare`]).
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
