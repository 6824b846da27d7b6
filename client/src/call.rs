//! Running one generated call: a per-call record the transport writes into
//! (attempts, what was signed, why a request was refused), and the mapping
//! of progenitor's results onto [`crate::Error`].

use std::cell::RefCell;
use std::future::Future;

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use progenitor_client::{ByteStream, ResponseValue};

use crate::cybersource::signature::SigningInputs;
use crate::cybersource::vendor_error::CybersourceErrorBody;
use crate::error::{
    ApiError, ConfigError, DecodeError, Error, ResponseTooLarge, TransportError,
    TransportErrorKind, ValidationError, VendorErrorBody,
};

/// What the transport learned during one call.
///
/// Kept small (the rare parts boxed): the task-local that holds it moves it
/// in and out of its slot on every poll of the call.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    pub attempts: u32,
    pub signed: Option<Box<SigningInputs>>,
    pub refusal: Option<Box<ConfigError>>,
    /// Why a hook could not send (e.g. the OAuth token request failed).
    pub failure: Option<Box<Error>>,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// Updates the current call's record (a no-op outside [`run`], e.g. when a
/// generated client is used directly).
pub(crate) fn record(update: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|record| update(&mut record.borrow_mut()));
}

/// Which vendor answered: where its request id is and how its errors look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vendor {
    Cybersource,
    #[cfg(feature = "checkout-flow")]
    Checkout,
}

impl Vendor {
    fn request_id_header(self) -> &'static str {
        match self {
            Vendor::Cybersource => "v-c-correlation-id",
            #[cfg(feature = "checkout-flow")]
            Vendor::Checkout => "cko-request-id",
        }
    }

    fn parse_error(self, raw: &[u8]) -> VendorErrorBody {
        match self {
            Vendor::Cybersource => CybersourceErrorBody::parse(raw)
                .map_or(VendorErrorBody::Unrecognized, VendorErrorBody::Cybersource),
            #[cfg(feature = "checkout-flow")]
            Vendor::Checkout => crate::checkout::parse_error_body(raw),
        }
    }
}

/// A successful answer with its status, request id and attempt count.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The decoded body.
    pub value: T,
    /// HTTP status.
    pub status: u16,
    /// The vendor's correlation or request id.
    pub request_id: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
}

impl<T> Reply<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.value
    }
}

fn request_id(vendor: Vendor, headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(vendor.request_id_header())
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Why a body could not be collected.
enum CollectError {
    /// More than the limit arrived (here, or in the transport's cap).
    TooLarge(u64),
    Transport(reqwest::Error),
}

impl From<reqwest::Error> for CollectError {
    fn from(error: reqwest::Error) -> Self {
        match crate::http::exceeded_limit(&error) {
            Some(limit) => CollectError::TooLarge(limit),
            None => CollectError::Transport(error),
        }
    }
}

impl CollectError {
    fn into_error(self, operation: &str, status: u16, id: Option<String>, attempts: u32) -> Error {
        match self {
            CollectError::TooLarge(limit) => Error::ResponseTooLarge(ResponseTooLarge {
                operation: operation.to_owned(),
                status,
                request_id: id,
                limit,
            }),
            CollectError::Transport(e) => {
                Error::Transport(TransportError::from_reqwest(operation, attempts, e))
            }
        }
    }
}

/// The whole body, at most `limit` bytes. A body that arrives in one chunk
/// (most answers) is returned as that chunk, without a copy.
async fn collect(mut stream: ByteStream, limit: u64) -> Result<Bytes, CollectError> {
    let over = |len: usize| len as u64 > limit;
    let Some(first) = stream.next().await else {
        return Ok(Bytes::new());
    };
    let first = first?;
    if over(first.len()) {
        return Err(CollectError::TooLarge(limit));
    }
    let Some(second) = stream.next().await else {
        return Ok(first);
    };
    let mut out = BytesMut::from(first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        let chunk = chunk?;
        if over(out.len().saturating_add(chunk.len())) {
            return Err(CollectError::TooLarge(limit));
        }
        out.extend_from_slice(&chunk);
        next = stream.next().await;
    }
    Ok(out.freeze())
}

/// The field a generated client's `InvalidRequest` names: typify's
/// "conversion to `T` for NAME failed" for a parameter, the runtime's
/// "path parameter `NAME` must …" for one that left its segment.
fn invalid_request_field(reason: &str) -> Option<&str> {
    if let Some(rest) = reason.strip_prefix("path parameter `") {
        return rest.split('`').next();
    }
    let rest = reason.strip_prefix("conversion to `")?;
    let (_, rest) = rest.split_once("` for ")?;
    rest.strip_suffix(" failed")
}

/// Runs one generated call and maps its outcome.
///
/// The call is boxed before anything awaits it: a generated call's future
/// is kilobytes (10 KB for a Passkey call), and every async layer above it
/// would otherwise carry that size and copy it on each move.
pub(crate) fn run<T, F>(
    vendor: Vendor,
    operation: &str,
    call: F,
) -> impl Future<Output = Result<Reply<T>, Error>>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<ByteStream>>>,
{
    run_boxed(vendor, operation, Box::pin(call))
}

async fn run_boxed<T, F>(
    vendor: Vendor,
    operation: &str,
    call: std::pin::Pin<Box<F>>,
) -> Result<Reply<T>, Error>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<ByteStream>>>,
{
    let (outcome, record) = CALL
        .scope(RefCell::new(CallRecord::default()), async {
            let outcome = call.await;
            let record = CALL.with(|r| std::mem::take(&mut *r.borrow_mut()));
            (outcome, record)
        })
        .await;
    let attempts = record.attempts.max(1);
    match outcome {
        Ok(value) => {
            let status = value.status().as_u16();
            let request_id = request_id(vendor, value.headers());
            Ok(Reply {
                value: value.into_inner(),
                status,
                request_id,
                attempts,
            })
        }
        // Boxed: the error path reads a body and would otherwise make the
        // future of every call (successful ones too) kilobytes larger.
        Err(error) => Err(Box::pin(map_error(vendor, operation, error, record)).await),
    }
}

/// Like [`run`] for raw success bodies: collects the exact bytes.
pub(crate) fn run_bytes<F>(
    vendor: Vendor,
    operation: &str,
    limit: u64,
    call: F,
) -> impl Future<Output = Result<Reply<Bytes>, Error>>
where
    F: Future<Output = Result<ResponseValue<ByteStream>, progenitor_client::Error<ByteStream>>>,
{
    let reply = run(vendor, operation, call);
    async move { collect_reply(operation, limit, reply.await?).await }
}

async fn collect_reply(
    operation: &str,
    limit: u64,
    reply: Reply<ByteStream>,
) -> Result<Reply<Bytes>, Error> {
    let value = collect(reply.value, limit).await.map_err(|e| {
        e.into_error(
            operation,
            reply.status,
            reply.request_id.clone(),
            reply.attempts,
        )
    })?;
    Ok(Reply {
        value,
        status: reply.status,
        request_id: reply.request_id,
        attempts: reply.attempts,
    })
}

async fn map_error(
    vendor: Vendor,
    operation: &str,
    error: progenitor_client::Error<ByteStream>,
    record: CallRecord,
) -> Error {
    use progenitor_client::Error as P;
    let attempts = record.attempts.max(1);
    match error {
        P::InvalidRequest(reason) => Error::Validation(match invalid_request_field(&reason) {
            Some(field) => ValidationError::new(field, "does not have the documented form"),
            None => ValidationError::new(operation, reason),
        }),
        P::Custom(reason) => match (record.failure, record.refusal) {
            (Some(failure), _) => *failure,
            (None, Some(refusal)) => Error::Configuration(*refusal),
            (None, None) => Error::Configuration(ConfigError::Operation {
                operation: operation.to_owned(),
                reason,
            }),
        },
        P::CommunicationError(e) => {
            Error::Transport(TransportError::from_reqwest(operation, attempts, e))
        }
        // A typed success body that could not be read: over its limit, or cut off.
        P::ResponseBodyError(e) => CollectError::from(e).into_error(operation, 200, None, attempts),
        P::InvalidUpgrade(_) => Error::Decode(DecodeError {
            operation: operation.to_owned(),
            status: 0,
            request_id: None,
            reason: "unexpected connection upgrade".to_owned(),
        }),
        P::InvalidResponsePayload(_, e) => Error::Decode(DecodeError {
            operation: operation.to_owned(),
            status: 200,
            request_id: None,
            reason: crate::error::describe_json_error(&e),
        }),
        P::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let id = request_id(vendor, response.headers());
            // The transport already caps the body; this bound is for a
            // generated client used without it.
            match collect(response.into_inner(), ERROR_BODY_BOUND).await {
                Ok(raw) => api_error(vendor, operation, status, id, raw, attempts, record.signed),
                Err(e) => e.into_error(operation, status, id, attempts),
            }
        }
        P::UnexpectedResponse(response) if response.status().is_redirection() => {
            Error::Redirect(crate::http::redirect_error(operation, &response))
        }
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let id = request_id(vendor, response.headers());
            match collect(
                ByteStream::new(Box::pin(response.bytes_stream())),
                ERROR_BODY_BOUND,
            )
            .await
            {
                Ok(raw) if (200..300).contains(&status) => Error::Decode(DecodeError {
                    operation: operation.to_owned(),
                    status,
                    request_id: id,
                    reason: format!(
                        "HTTP {status} is not a documented answer ({} body bytes)",
                        raw.len()
                    ),
                }),
                Ok(raw) => api_error(vendor, operation, status, id, raw, attempts, record.signed),
                Err(e) => e.into_error(operation, status, id, attempts),
            }
        }
        // progenitor's Error is not #[non_exhaustive] today; keep a safe arm.
        #[allow(unreachable_patterns)]
        _ => Error::Transport(TransportError {
            operation: operation.to_owned(),
            kind: TransportErrorKind::Other,
            attempts,
            source: None,
        }),
    }
}

/// The most of an error body read when the transport's cap is not there.
const ERROR_BODY_BOUND: u64 = 1 << 20;

fn api_error(
    vendor: Vendor,
    operation: &str,
    status: u16,
    id: Option<String>,
    raw: Bytes,
    attempts: u32,
    signed: Option<Box<SigningInputs>>,
) -> Error {
    let body = vendor.parse_error(&raw);
    let mut error = ApiError::new(operation, status, id, body, raw);
    error.attempts = attempts;
    if status == 401 {
        error.signed = signed.map(|s| *s);
    }
    Error::Api(Box::new(error))
}
