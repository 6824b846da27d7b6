//! Checkout.com as a [`Vendor`] of the pipeline: the secret key or an OAuth
//! access token on every attempt (the token fetched before the first one),
//! a new token and one more try after a 401, and the vendor's error body
//! `{request_id, error_type, error_codes}`.

use std::sync::Arc;
use std::time::Instant;

use payclient_core::{BoxFuture, ConfigError, Error, HookError, Operation, ServiceError, Vendor};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};
use secrecy::ExposeSecret;

use super::config::{CheckoutConfig, CheckoutCredentials};
use super::oauth::TokenSource;

static REQUEST_ID: HeaderName = HeaderName::from_static("cko-request-id");

enum Auth {
    SecretKey(HeaderValue),
    OAuth(TokenSource),
}

/// Authenticates Checkout.com requests and reads its errors.
pub(crate) struct Checkout {
    auth: Auth,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            Auth::SecretKey(_) => "secret key",
            Auth::OAuth(_) => "OAuth",
        };
        f.debug_struct("Checkout").field("auth", &auth).finish()
    }
}

impl Checkout {
    pub(crate) fn new(config: &CheckoutConfig) -> Result<Self, ConfigError> {
        let auth = match &config.credentials {
            CheckoutCredentials::SecretKey(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                    .map_err(|_| ConfigError::Invalid {
                    field: "secret_key",
                    reason: "is not a valid header value".to_owned(),
                })?;
                value.set_sensitive(true);
                Auth::SecretKey(value)
            }
            CheckoutCredentials::OAuth {
                client_id,
                client_secret,
            } => {
                let url = config
                    .token_url
                    .clone()
                    .ok_or(ConfigError::Missing { field: "token_url" })?;
                Auth::OAuth(TokenSource::new(
                    client_id.clone(),
                    client_secret.clone(),
                    url,
                    config.http.clone(),
                    config.settings.limits.oauth_token,
                ))
            }
        };
        Ok(Self { auth })
    }
}

impl Vendor for Checkout {
    fn name(&self) -> &'static str {
        "checkout"
    }

    fn request_id_header(&self) -> &HeaderName {
        &REQUEST_ID
    }

    fn before_call(
        &self,
        _operation: &'static Operation,
    ) -> Option<BoxFuture<'_, Result<(), Error>>> {
        match &self.auth {
            Auth::SecretKey(_) => None,
            Auth::OAuth(tokens) => Some(Box::pin(tokens.ensure())),
        }
    }

    fn authenticate(
        &self,
        _operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), HookError> {
        let value = match &self.auth {
            Auth::SecretKey(value) => value.clone(),
            Auth::OAuth(tokens) => tokens
                .current()
                .ok_or_else(|| HookError::new("no OAuth access token has been fetched"))?,
        };
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, value);
        headers.insert(USER_AGENT, HeaderValue::from_static(crate::USER_AGENT));
        Ok(())
    }

    fn after_unauthorized<'a>(
        &'a self,
        _operation: &'static Operation,
        call_started: Instant,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            match &self.auth {
                Auth::SecretKey(_) => false,
                Auth::OAuth(tokens) => tokens.refresh_since(call_started).await,
            }
        })
    }

    fn parse_error(&self, _status: u16, body: &[u8]) -> ServiceError {
        parse_error_body(body)
    }
}

/// A Checkout.com error body `{request_id, error_type, error_codes}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckoutErrorBody {
    /// `request_id`.
    pub request_id: Option<String>,
    /// `error_type`, e.g. `request_invalid`.
    pub error_type: Option<String>,
    /// `error_codes`, e.g. `processing_channel_id_required`.
    pub error_codes: Vec<String>,
}

/// Reads a Checkout.com error body (an empty 401 body reads as nothing).
pub(crate) fn parse_error_body(raw: &[u8]) -> ServiceError {
    #[derive(serde::Deserialize)]
    struct Wire {
        request_id: Option<String>,
        error_type: Option<String>,
        #[serde(default)]
        error_codes: Vec<String>,
    }
    match serde_json::from_slice::<Wire>(raw) {
        Ok(w) if w.request_id.is_some() || w.error_type.is_some() => {
            let reason = format!(
                "{} {}",
                w.error_type.as_deref().unwrap_or("error"),
                w.error_codes.join(", ")
            )
            .trim()
            .to_owned();
            ServiceError::new(
                w.error_type.clone(),
                Some(reason),
                Some(Arc::new(CheckoutErrorBody {
                    request_id: w.request_id,
                    error_type: w.error_type,
                    error_codes: w.error_codes,
                })),
            )
        }
        _ => ServiceError::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let parsed = parse_error_body(
            br#"{"request_id":"r","error_type":"request_invalid","error_codes":["amount_invalid"]}"#,
        );
        assert_eq!(parsed.code.as_deref(), Some("request_invalid"));
        assert_eq!(
            parsed.reason.as_deref(),
            Some("request_invalid amount_invalid")
        );
        let body = parsed
            .body
            .as_deref()
            .and_then(|b| b.downcast_ref::<CheckoutErrorBody>())
            .expect("typed body");
        assert_eq!(body.error_codes, ["amount_invalid"]);
        assert!(parse_error_body(b"").code.is_none());
    }
}
