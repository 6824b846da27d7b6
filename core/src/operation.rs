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
/// see [`crate::new_request`]) and for every progenitor builder, tying each to its
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
