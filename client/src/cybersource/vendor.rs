//! Cybersource as a [`Vendor`] of the pipeline: every attempt is encrypted
//! where the operation needs message-level encryption (or refused when this
//! configuration cannot encrypt it) and signed afresh (new date, digest,
//! jti); a 401 is explained by what was signed; error bodies are read in
//! their known shapes. A request that cannot be encrypted or signed is
//! never sent.

use std::sync::Arc;
use std::time::SystemTime;

use payclient_core::{
    BoxFuture, ConfigError, Error, HookError, Operation, SentRequest, ServiceError, Vendor,
    VerificationError,
};
use reqwest::header::{AUTHORIZATION, DATE, HOST, HeaderName, HeaderValue};

use super::config::{AuthMode, CybersourceConfig, MlePlan};
use super::error_body::CybersourceErrorBody;
use super::signature::{JwtRequest, SigningInputs, signature_header};
use crate::unix_seconds;

const MERCHANT_ID: HeaderName = HeaderName::from_static("v-c-merchant-id");
const SIGNATURE: HeaderName = HeaderName::from_static("signature");
const DIGEST: HeaderName = HeaderName::from_static("digest");
static CORRELATION_ID: HeaderName = HeaderName::from_static("v-c-correlation-id");

/// The headers a 401's explanation reads.
static SIGNED_HEADERS: [HeaderName; 6] =
    [DATE, HOST, DIGEST, MERCHANT_ID, SIGNATURE, AUTHORIZATION];

/// Signs, encrypts and reads the errors of Cybersource requests.
#[derive(Debug)]
pub(crate) struct Cybersource {
    config: Arc<CybersourceConfig>,
}

fn header(value: &str) -> Result<HeaderValue, HookError> {
    HeaderValue::from_str(value)
        .map_err(|_| HookError::new("a signing header value is not a valid header"))
}

/// The `Date` value for `now` (IMF-fixdate), or `None` for a time before
/// 1970 or from the year 10000 on, which `httpdate` panics on.
fn http_date(now: SystemTime) -> Option<String> {
    let second = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    // 10000-01-01T00:00:00Z, the first second `httpdate` refuses.
    (second < 253_402_300_800).then(|| httpdate::fmt_http_date(now))
}

impl Cybersource {
    pub(crate) fn new(config: Arc<CybersourceConfig>) -> Self {
        Self { config }
    }

    /// Adds the authentication headers for one attempt and returns what was signed.
    pub(crate) fn sign(
        &self,
        request: &mut reqwest::Request,
        now: SystemTime,
        response_mle_kid: Option<&str>,
    ) -> Result<SigningInputs, HookError> {
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
        let inputs = SigningInputs::from_parts(
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

        let (name, mut value) = match &config.auth {
            AuthMode::HttpSignature(key) => (SIGNATURE, header(&signature_header(key, &inputs))?),
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
                        now_unix: unix_seconds(now),
                        jti: &jti,
                        response_mle_kid,
                    })
                    .map_err(|_| HookError::new("the JWT could not be signed"))?;
                // Handed over without a copy (a token is several hundred bytes).
                let value = HeaderValue::from_maybe_shared(bytes::Bytes::from(bearer))
                    .map_err(|_| HookError::new("the JWT is not a valid header value"))?;
                (AUTHORIZATION, value)
            }
        };
        value.set_sensitive(true);
        let headers = request.headers_mut();
        headers.insert(MERCHANT_ID, header(&config.merchant_id)?);
        headers.insert(DATE, header(&inputs.date)?);
        headers.insert(HOST, header(&config.signing_host)?);
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
        headers.insert(name, value);
        Ok(inputs)
    }

    /// Encrypts the body when this operation's MLE plan says so.
    fn encrypt(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        match self.config.mle_plan(operation) {
            MlePlan::Plain => Ok(()),
            MlePlan::Refuse(reason) => Err(HookError::new(reason)),
            MlePlan::Encrypt(certificate) => {
                let Some(body) = request.body() else {
                    // Nothing to encrypt.
                    return Ok(());
                };
                let Some(body) = body.as_bytes() else {
                    return Err(HookError::new(
                        "message-level encryption needs the body's bytes, and this body is a stream",
                    ));
                };
                let encrypted =
                    super::mle::encrypt_body(certificate, body, unix_seconds(SystemTime::now()))
                        .map_err(|e| {
                            HookError::new(format!("message-level encryption failed: {}", e.0))
                        })?;
                *request.body_mut() = Some(encrypted.into());
                Ok(())
            }
        }
    }
}

impl Vendor for Cybersource {
    fn name(&self) -> &'static str {
        "cybersource"
    }

    fn request_id_header(&self) -> &HeaderName {
        &CORRELATION_ID
    }

    fn before_call(
        &self,
        operation: &'static Operation,
    ) -> Option<BoxFuture<'_, Result<(), Error>>> {
        // Refused before any attempt, with a typed error.
        match self.config.mle_plan(operation) {
            MlePlan::Refuse(reason) => {
                let refusal = Error::Configuration(ConfigError::Operation {
                    operation: operation.id.to_owned(),
                    reason: reason.to_owned(),
                });
                Some(Box::pin(async move { Err(refusal) }))
            }
            _ => None,
        }
    }

    fn authenticate(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        self.encrypt(operation, request)?;
        if answers_jose(operation) && self.config.response_mle_key.is_none() {
            // No key to open a sealed answer with: ask for the JSON form the
            // product document shows, which the vendor also describes.
            request.headers_mut().insert(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        }
        if !operation.authenticated {
            request.headers_mut().insert(
                reqwest::header::USER_AGENT,
                HeaderValue::from_static(crate::USER_AGENT),
            );
            return Ok(());
        }
        self.sign(
            request,
            SystemTime::now(),
            self.config.response_mle_kid(operation),
        )
        .map(|_| ())
        .map_err(|e| HookError::new(format!("the request could not be signed: {e}")))
    }

    fn rejection_headers(&self) -> &'static [HeaderName] {
        &SIGNED_HEADERS
    }

    fn explain_rejection(&self, sent: &SentRequest) -> Option<String> {
        explain(sent)
    }

    /// Every answer is looked at, key or not: a sealed answer can decode
    /// as an empty success where every member of the answer is optional
    /// (Intelligent Commerce `CredentialsResponse`), so it must be refused
    /// before decoding, not after. Reading each answer whole first costs
    /// about 2 % of a Passkey call in the overhead benchmark.
    fn opens_answers(&self, _operation: &'static Operation) -> bool {
        true
    }

    fn open_answer(
        &self,
        operation: &'static Operation,
        body: &[u8],
    ) -> Result<Option<Vec<u8>>, VerificationError> {
        let key = self.config.response_mle_key.as_ref();
        // The response MLE wrapper first; inside it (or alone) an
        // `application/jose` answer may be a bare compact JWE.
        let unwrapped = match super::mle::sealed_answer(body) {
            Some(jwe) => Some(super::mle::open_answer(
                key.ok_or_else(|| no_key("encryptedResponse"))?,
                jwe,
            )?),
            None => None,
        };
        if !answers_jose(operation) {
            return Ok(unwrapped);
        }
        let inner = unwrapped.as_deref().unwrap_or(body);
        match super::mle::bare_jwe(inner) {
            Some(jwe) => {
                super::mle::open_answer(key.ok_or_else(|| no_key("application/jose"))?, jwe)
                    .map(Some)
            }
            None => Ok(unwrapped),
        }
    }

    fn parse_error(&self, _status: u16, body: &[u8]) -> ServiceError {
        match CybersourceErrorBody::parse(body) {
            Some(parsed) => ServiceError::new(
                parsed.code().map(str::to_owned),
                parsed.reason(),
                Some(Arc::new(parsed)),
            ),
            None => ServiceError::default(),
        }
    }
}

/// Whether the operation asks for `application/jose` answers (a compact JWE
/// sealed to the merchant's key).
fn answers_jose(operation: &Operation) -> bool {
    operation
        .accept
        .as_ref()
        .is_some_and(|accept| accept.as_bytes().starts_with(b"application/jose"))
}

fn no_key(what: &'static str) -> VerificationError {
    VerificationError::new(
        what,
        "the answer is sealed to the merchant's key and no response MLE key is configured (CybersourceConfigBuilder::response_mle_key)",
    )
}

/// What a rejected request carried: host, date, request target, digest,
/// merchant id and signed header names, read from the headers it sent (for
/// a JWT, from its claims). Never the signature or the secret.
fn explain(sent: &SentRequest) -> Option<String> {
    let method = sent.method.as_str().to_ascii_lowercase();
    if let Some(signature) = sent.header(&SIGNATURE) {
        let headers = signature
            .split("headers=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("?");
        return Some(format!(
            "signed host `{}`, date `{}`, request-target `{method} {}`, digest `{}`, merchant id `{}`, headers `{headers}`",
            sent.header(&HOST).unwrap_or("?"),
            sent.header(&DATE).unwrap_or("?"),
            sent.target,
            sent.header(&DIGEST).unwrap_or("none"),
            sent.header(&MERCHANT_ID).unwrap_or("?"),
        ));
    }
    let token = sent.header(&AUTHORIZATION)?.strip_prefix("Bearer ")?;
    let claims = token.split('.').nth(1)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&crate::jose::b64url_decode(claims)?).ok()?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("none")
    };
    Some(format!(
        "signed a JWT for host `{}`, request `{method} {}` (claims `{} {}`), digest `{}`, merchant id `{}`, issued at {}",
        text("request-host"),
        sent.target,
        text("request-method"),
        text("request-resource-path"),
        text("digest"),
        text("v-c-merchant-id"),
        claims
            .get("iat")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0),
    ))
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
