//! The Cybersource transport: a [`RequestHook`] installed in every generated
//! Cybersource client. `prepare` applies message-level encryption (or refuses
//! a mandatory-MLE operation this configuration cannot encrypt) and signs the
//! first attempt; `execute` signs every further attempt afresh (new date,
//! digest, jti), retries what the policy allows and traces each attempt
//! without bodies or secrets. A request that cannot be encrypted or signed is
//! never sent.

use std::sync::Arc;
use std::time::SystemTime;

use crate::unix_seconds as now_unix;

use payclient_runtime::{BoxFuture, HookError, Operation, RequestHook};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::config::{AuthMode, CybersourceConfig, IntelligentCommercePrefix, MlePlan};
use super::jwt::JwtRequest;
use super::{mle, signature};
use crate::call::record;
use crate::error::ConfigError;

const MERCHANT_ID: HeaderName = HeaderName::from_static("v-c-merchant-id");
const SIGNATURE: HeaderName = HeaderName::from_static("signature");
const DIGEST: HeaderName = HeaderName::from_static("digest");

/// Signs, encrypts and retries Cybersource requests.
#[derive(Debug, Clone)]
pub(crate) struct CybersourceTransport {
    config: Arc<CybersourceConfig>,
}

fn invalid_header() -> HookError {
    HookError::new("a signing header value is not a valid header")
}

fn header(value: &str) -> Result<HeaderValue, HookError> {
    HeaderValue::from_str(value).map_err(|_| invalid_header())
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
        // The digest covers the exact bytes; a streamed body has none to cover.
        let body = match request.body() {
            None => &[][..],
            Some(body) => body
                .as_bytes()
                .ok_or_else(|| HookError::new("a streamed body cannot be signed"))?,
        };
        let inputs = signature::SigningInputs::from_parts(
            &config.signing_host,
            http_date(now).ok_or_else(|| {
                HookError::new("the system clock reads a time outside the years 1970 to 9999")
            })?,
            // Signed upper-case, whatever case an extension method has.
            request.method().as_str().to_ascii_uppercase(),
            request_target,
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
                let jti = crate::random_uuid();
                let bearer = signer
                    .bearer(&JwtRequest {
                        method: &inputs.method,
                        host: &config.signing_host,
                        request_target: &inputs.request_target,
                        digest: inputs.digest.as_deref(),
                        merchant_id: &config.merchant_id,
                        issuer: config.signing_merchant_id(),
                        now_unix: now_unix(now),
                        jti: &jti,
                    })
                    .map_err(|_| HookError::new("the JWT could not be signed"))?;
                // Handed over without a copy (a token is several hundred bytes).
                let mut value = HeaderValue::from_maybe_shared(bytes::Bytes::from(bearer))
                    .map_err(|_| invalid_header())?;
                value.set_sensitive(true);
                Some((AUTHORIZATION, value))
            }
        };
        let headers = request.headers_mut();
        headers.insert(MERCHANT_ID, header(&config.merchant_id)?);
        headers.insert(reqwest::header::DATE, header(&inputs.date)?);
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

/// The `Date` value for `now` (IMF-fixdate), or `None` for a time before
/// 1970 or from the year 10000 on, which `httpdate` panics on.
fn http_date(now: SystemTime) -> Option<String> {
    let second = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    // 10000-01-01T00:00:00Z, the first second `httpdate` refuses.
    (second < 253_402_300_800).then(|| httpdate::fmt_http_date(now))
}

impl CybersourceTransport {
    /// Moves an Intelligent Commerce request to the configured path prefix;
    /// the generated client always builds the spec's `/acp/v1/` paths.
    /// Runs before signing, so the signature covers the final path.
    fn route(&self, operation: &Operation, request: &mut reqwest::Request) {
        let spec = IntelligentCommercePrefix::SPEC;
        let wanted = self.config.intelligent_commerce_prefix.as_path();
        if wanted == spec || !operation.path.starts_with(spec) {
            return;
        }
        let url = request.url_mut();
        // The base URL may carry a path of its own (a proxy); path
        // parameters are percent-encoded, so the first match is the prefix.
        if let Some(at) = url.path().find(spec) {
            let path = format!(
                "{}{wanted}{}",
                &url.path()[..at],
                &url.path()[at + spec.len()..]
            );
            url.set_path(&path);
        }
    }
}

/// Refuses `operation` with a configuration error that says `reason`:
/// recorded for the caller's [`crate::Error`], and returned to the hook.
fn refuse(operation: &Operation, reason: String) -> HookError {
    let message = format!("operation `{}`: {reason}", operation.id);
    record(|r| {
        r.refusal = Some(Box::new(ConfigError::Operation {
            operation: operation.id.to_owned(),
            reason,
        }));
    });
    HookError::new(message)
}

impl CybersourceTransport {
    /// Encrypts the body when this operation's MLE plan says so.
    fn encrypt(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        match self
            .config
            .mle_plan(operation.id, operation.message_encryption)
        {
            MlePlan::Plain => Ok(()),
            MlePlan::Refuse(reason) => Err(refuse(operation, reason.to_owned())),
            MlePlan::Encrypt => {
                let Some(certificate) = &self.config.mle_certificate else {
                    return Err(refuse(operation, "no MLE certificate".to_owned()));
                };
                let Some(body) = request.body() else {
                    // Nothing to encrypt.
                    return Ok(());
                };
                let Some(body) = body.as_bytes() else {
                    return Err(refuse(
                        operation,
                        "message-level encryption needs the body's bytes, and this body is a stream"
                            .to_owned(),
                    ));
                };
                let encrypted = mle::encrypt_body(certificate, body, now_unix(SystemTime::now()))
                    .map_err(|e| {
                    refuse(
                        operation,
                        format!("message-level encryption failed: {}", e.0),
                    )
                })?;
                *request.body_mut() = Some(encrypted.into());
                Ok(())
            }
        }
    }

    /// Signs one attempt of an authenticated operation and records what was
    /// signed; an unauthenticated one only gets the `User-Agent`.
    fn authenticate(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        if !operation.authenticated {
            request.headers_mut().insert(
                reqwest::header::USER_AGENT,
                HeaderValue::from_static(crate::USER_AGENT),
            );
            return Ok(());
        }
        let signed = self.sign(request, SystemTime::now()).map_err(|e| {
            refuse(
                operation,
                format!("the request could not be signed: {}", e.message()),
            )
        })?;
        record(|r| r.signed = Some(Box::new(signed)));
        Ok(())
    }
}

impl RequestHook for CybersourceTransport {
    fn prepare<'a>(
        &'a self,
        operation: &'static Operation,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(async move {
            self.route(operation, request);
            self.encrypt(operation, request)?;
            self.authenticate(operation, request)
        })
    }

    fn execute<'a>(
        &'a self,
        operation: &'static Operation,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(crate::retry::execute(
            crate::retry::Attempts {
                policy: &self.config.retry,
                limits: &self.config.limits,
                operation,
                vendor: "cybersource",
                request_id_header: "v-c-correlation-id",
                authorizer: self,
            },
            client,
            request,
        ))
    }
}

impl crate::retry::Authorizer for CybersourceTransport {
    fn authorize_retry(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), ()> {
        self.authenticate(operation, request).map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::http_date;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_date_is_the_imf_fixdate_within_httpdates_years() {
        let base = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(
            http_date(base + Duration::from_millis(999)).as_deref(),
            Some("Wed, 18 Nov 2026 11:06:40 GMT")
        );
        // A clock outside httpdate's years is refused rather than a panic.
        assert_eq!(http_date(UNIX_EPOCH - Duration::from_secs(90)), None);
        let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
        assert_eq!(
            http_date(last).as_deref(),
            Some("Fri, 31 Dec 9999 23:59:59 GMT")
        );
        assert_eq!(http_date(last + Duration::from_secs(1)), None);
    }
}
