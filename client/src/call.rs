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
    ApiError, ConfigError, DecodeError, Error, TransportError, TransportErrorKind, ValidationError,
    VendorErrorBody,
};

/// The most of an error body we read (vendor error bodies are small).
const MAX_ERROR_BODY: usize = 1 << 20;

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

/// The body, cut at `limit` bytes. A body that arrives in one chunk (most
/// answers) is returned as that chunk, without a copy.
async fn collect(mut stream: ByteStream, limit: usize) -> Result<Bytes, reqwest::Error> {
    let Some(first) = stream.next().await else {
        return Ok(Bytes::new());
    };
    let mut first = first?;
    let Some(second) = stream.next().await else {
        first.truncate(limit);
        return Ok(first);
    };
    let mut out = BytesMut::new();
    for chunk in [Ok(first), second] {
        append(&mut out, &chunk?, limit);
    }
    while let Some(chunk) = stream.next().await {
        append(&mut out, &chunk?, limit);
    }
    Ok(out.freeze())
}

fn append(out: &mut BytesMut, chunk: &[u8], limit: usize) {
    let room = limit.saturating_sub(out.len());
    out.extend_from_slice(&chunk[..chunk.len().min(room)]);
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
    limit: usize,
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
    limit: usize,
    reply: Reply<ByteStream>,
) -> Result<Reply<Bytes>, Error> {
    let value = collect(reply.value, limit).await.map_err(|e| {
        Error::Transport(TransportError::from_reqwest(operation, reply.attempts, e))
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
        P::InvalidRequest(reason) => Error::Validation(ValidationError::new(operation, reason)),
        P::Custom(reason) => match (record.failure, record.refusal) {
            (Some(failure), _) => *failure,
            (None, Some(refusal)) => Error::Configuration(*refusal),
            (None, None) => Error::Configuration(ConfigError::Operation {
                operation: operation.to_owned(),
                reason,
            }),
        },
        P::CommunicationError(e) | P::ResponseBodyError(e) => {
            Error::Transport(TransportError::from_reqwest(operation, attempts, e))
        }
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
            match collect(response.into_inner(), MAX_ERROR_BODY).await {
                Ok(raw) => api_error(vendor, operation, status, id, raw, attempts, record.signed),
                Err(e) => Error::Transport(TransportError::from_reqwest(operation, attempts, e)),
            }
        }
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let id = request_id(vendor, response.headers());
            match response.bytes().await {
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
                Err(e) => Error::Transport(TransportError::from_reqwest(operation, attempts, e)),
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
