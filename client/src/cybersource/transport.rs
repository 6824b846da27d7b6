//! The Cybersource transport: a [`RequestHook`] installed in every generated
//! Cybersource client. `prepare` applies message-level encryption (or refuses
//! a mandatory-MLE operation this configuration cannot encrypt); `execute`
//! signs every attempt afresh (new date, digest, jti), retries what the
//! policy allows and traces each attempt without bodies or secrets.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use payclient_runtime::{BoxFuture, HookError, Operation, RequestHook};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use tracing::Instrument as _;

use super::config::{AuthMode, CybersourceConfig, MlePlan};
use super::jwt::JwtRequest;
use super::{mle, signature};
use crate::call::record;
use crate::error::ConfigError;
use crate::retry::{Decision, classify_error, classify_status, retry_after};

const MERCHANT_ID: HeaderName = HeaderName::from_static("v-c-merchant-id");
const SIGNATURE: HeaderName = HeaderName::from_static("signature");
const DIGEST: HeaderName = HeaderName::from_static("digest");

/// Signs, encrypts and retries Cybersource requests.
#[derive(Debug, Clone)]
pub(crate) struct CybersourceTransport {
    config: Arc<CybersourceConfig>,
}

fn now_unix(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn header(value: &str) -> Result<HeaderValue, HookError> {
    HeaderValue::from_str(value)
        .map_err(|_| HookError::new("a signing header value is not a valid header"))
}

impl CybersourceTransport {
    pub(crate) fn new(config: Arc<CybersourceConfig>) -> Self {
        Self { config }
    }

    /// Adds the authentication headers for one attempt and returns what was
    /// signed (kept for the error of a 401).
    pub(crate) fn sign(
        &self,
        request: &mut reqwest::Request,
        now: SystemTime,
    ) -> Result<signature::SigningInputs, HookError> {
        let config = &self.config;
        let url = request.url();
        let request_target = match url.query() {
            Some(query) => format!("{}?{}", url.path(), query),
            None => url.path().to_owned(),
        };
        let method = request.method().as_str().to_owned();
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default();
        let date = httpdate::fmt_http_date(now);
        let inputs = signature::inputs(
            &config.signing_host,
            &date,
            &method,
            &request_target,
            body,
            config.signing_merchant_id(),
        );

        let mut authorization = match &config.auth {
            AuthMode::HttpSignature(key) => {
                let mut value = header(&signature::signature_header(key, &inputs))?;
                value.set_sensitive(true);
                Some((SIGNATURE, value))
            }
            AuthMode::Jwt(signer) => {
                let jti = uuid::Uuid::new_v4().to_string();
                let token = signer
                    .token(&JwtRequest {
                        method: &method,
                        host: &config.signing_host,
                        request_target: &request_target,
                        body,
                        merchant_id: &config.merchant_id,
                        issuer: config.signing_merchant_id(),
                        now_unix: now_unix(now),
                        jti: &jti,
                    })
                    .map_err(|_| HookError::new("the JWT could not be signed"))?;
                let mut value = header(&format!("Bearer {token}"))?;
                value.set_sensitive(true);
                Some((AUTHORIZATION, value))
            }
        };
        let headers = request.headers_mut();
        headers.insert(MERCHANT_ID, header(&config.merchant_id)?);
        headers.insert(reqwest::header::DATE, header(&date)?);
        headers.insert(reqwest::header::HOST, header(&config.signing_host)?);
        headers.insert(
            reqwest::header::USER_AGENT,
            HeaderValue::from_static(crate::USER_AGENT),
        );
        match (&config.auth, &inputs.digest) {
            (AuthMode::HttpSignature(_), Some(digest)) => {
                headers.insert(DIGEST, header(digest)?);
            }
            _ => {
                headers.remove(DIGEST);
            }
        }
        if let Some((name, value)) = authorization.take() {
            headers.insert(name, value);
        }
        Ok(inputs)
    }
}

impl RequestHook for CybersourceTransport {
    fn prepare<'a>(
        &'a self,
        operation: &'static Operation,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(async move {
            match self
                .config
                .mle_plan(operation.id, operation.message_encryption)
            {
                MlePlan::Plain => Ok(()),
                MlePlan::Refuse(reason) => {
                    record(|r| {
                        r.refusal = Some(ConfigError::Operation {
                            operation: operation.id.to_owned(),
                            reason: reason.to_owned(),
                        });
                    });
                    Err(HookError::new(format!(
                        "operation `{}`: {reason}",
                        operation.id
                    )))
                }
                MlePlan::Encrypt => {
                    let Some(certificate) = &self.config.mle_certificate else {
                        return Err(HookError::new("no MLE certificate"));
                    };
                    let Some(body) = request.body().and_then(reqwest::Body::as_bytes) else {
                        return Ok(());
                    };
                    let encrypted =
                        mle::encrypt_body(certificate, body, now_unix(SystemTime::now())).map_err(
                            |e| HookError::new(format!("message-level encryption failed: {}", e.0)),
                        )?;
                    *request.body_mut() = Some(encrypted.into());
                    Ok(())
                }
            }
        })
    }

    fn execute<'a>(
        &'a self,
        operation: &'static Operation,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let policy = &self.config.retry;
            let started = Instant::now();
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                let can_retry = attempt < policy.max_attempts;
                // A body that cannot be cloned (a stream) is sent once.
                let (mut this_attempt, retryable) = match request.try_clone() {
                    Some(copy) if can_retry => (copy, true),
                    _ => match request.try_clone() {
                        Some(copy) => (copy, false),
                        None => return client.execute(request).await,
                    },
                };
                let signed = match self.sign(&mut this_attempt, SystemTime::now()) {
                    Ok(inputs) => inputs,
                    // Configuration is checked when it is built, so signing
                    // cannot fail here; send unsigned rather than panic and
                    // let the vendor's 401 report it.
                    Err(_) => signature::inputs("", "", "", "", &[], ""),
                };
                record(|r| {
                    r.attempts = attempt;
                    r.signed = Some(signed);
                });
                let span = tracing::info_span!(
                    "payclient.cybersource",
                    operation = operation.id,
                    method = operation.method,
                    path = operation.path,
                    attempt,
                    status = tracing::field::Empty,
                    correlation_id = tracing::field::Empty,
                    latency_ms = tracing::field::Empty,
                );
                let sent = Instant::now();
                let outcome = client.execute(this_attempt).instrument(span.clone()).await;
                let latency = u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX);
                span.record("latency_ms", latency);
                let decision = match &outcome {
                    Ok(response) => {
                        span.record("status", response.status().as_u16());
                        if let Some(id) = response
                            .headers()
                            .get("v-c-correlation-id")
                            .and_then(|v| v.to_str().ok())
                        {
                            span.record("correlation_id", id);
                        }
                        classify_status(response.status().as_u16(), operation.idempotent)
                    }
                    Err(error) => classify_error(error, operation.idempotent),
                };
                span.in_scope(|| tracing::debug!(?decision, "attempt finished"));
                if decision == Decision::Stop || !retryable {
                    return outcome;
                }
                let delay = match &outcome {
                    Ok(response) => retry_after(response.headers(), SystemTime::now())
                        .unwrap_or_else(|| policy.backoff(attempt)),
                    Err(_) => policy.backoff(attempt),
                };
                if started.elapsed() + delay > policy.max_elapsed {
                    return outcome;
                }
                drop(outcome);
                tokio::time::sleep(delay).await;
            }
        })
    }
}
