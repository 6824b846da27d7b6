//! The Checkout.com transport: a [`RequestHook`] that adds the secret key or
//! an OAuth access token, resends once after a 401 on a cached token, and
//! retries create and get as the policy allows (submit never: the spec marks
//! it `x-payclient-retry: false`).

use std::sync::Arc;

use payclient_runtime::{BoxFuture, HookError, Operation, RequestHook};
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use secrecy::ExposeSecret;

use super::config::{CheckoutConfig, CheckoutCredentials};
use super::oauth::TokenSource;
use crate::call::record;

enum Auth {
    SecretKey(HeaderValue),
    OAuth(TokenSource),
}

/// Authenticates and retries Checkout.com requests.
pub(crate) struct CheckoutTransport {
    config: Arc<CheckoutConfig>,
    auth: Auth,
}

impl std::fmt::Debug for CheckoutTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutTransport")
            .field("config", &self.config)
            .finish()
    }
}

impl CheckoutTransport {
    pub(crate) fn new(config: Arc<CheckoutConfig>) -> Result<Self, crate::ConfigError> {
        let auth = match &config.credentials {
            CheckoutCredentials::SecretKey(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                    .map_err(|_| crate::ConfigError::Invalid {
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
                    .ok_or(crate::ConfigError::Missing { field: "token_url" })?;
                Auth::OAuth(TokenSource::new(
                    client_id.clone(),
                    client_secret.clone(),
                    url,
                    config.http.clone(),
                    config.limits.oauth_token,
                ))
            }
        };
        Ok(Self { config, auth })
    }
}

impl RequestHook for CheckoutTransport {
    fn prepare<'a>(
        &'a self,
        _operation: &'static Operation,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(async move {
            let header = match &self.auth {
                Auth::SecretKey(value) => value.clone(),
                Auth::OAuth(tokens) => match tokens.header().await {
                    Ok(value) => value,
                    Err(error) => {
                        let message = format!("the OAuth token request failed: {error}");
                        record(|r| r.failure = Some(Box::new(error)));
                        return Err(HookError::new(message));
                    }
                },
            };
            request.headers_mut().insert(AUTHORIZATION, header);
            request
                .headers_mut()
                .insert(USER_AGENT, HeaderValue::from_static(crate::USER_AGENT));
            Ok(())
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
                vendor: "checkout",
                request_id_header: "cko-request-id",
                authorizer: self,
            },
            client,
            request,
        ))
    }
}

impl crate::retry::Authorizer for CheckoutTransport {
    fn authorize_retry(
        &self,
        _operation: &'static Operation,
        _request: &mut reqwest::Request,
    ) -> Result<(), ()> {
        // The header was set once in `prepare`; a token does not change per attempt.
        Ok(())
    }

    fn reauthorize<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _response: &'a reqwest::Response,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Auth::OAuth(tokens) = &self.auth else {
                return false;
            };
            let Some(rejected) = request.headers().get(AUTHORIZATION).cloned() else {
                return false;
            };
            match tokens.refresh_after_rejection(&rejected).await {
                Ok(fresh) => {
                    request.headers_mut().insert(AUTHORIZATION, fresh);
                    true
                }
                Err(_) => false,
            }
        })
    }
}
