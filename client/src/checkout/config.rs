//! Checkout.com configuration, checked when it is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use payclient_core::{
    AttemptObserver, CallSettings, ConfigError, HttpSettings, ResponseLimits, RetryPolicy,
    check_url,
};
use secrecy::{ExposeSecret, SecretString};

/// Which Checkout.com environment to call. `prefix` is the account's
/// subdomain prefix: the first eight characters of the account's client id
/// without `cli_` (Dashboard, Developers > Overview).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckoutEnvironment {
    /// `https://{prefix}.api.sandbox.checkout.com`.
    Sandbox {
        /// The account prefix.
        prefix: String,
    },
    /// `https://{prefix}.api.checkout.com`.
    Production {
        /// The account prefix.
        prefix: String,
    },
    /// Another base URL (a proxy or a local simulator).
    Custom {
        /// Where API requests are sent.
        base_url: String,
        /// Where OAuth tokens come from (required with OAuth credentials).
        token_url: Option<String>,
    },
}

impl CheckoutEnvironment {
    fn urls(&self) -> (String, Option<String>) {
        match self {
            Self::Sandbox { prefix } => (
                format!("https://{prefix}.api.sandbox.checkout.com"),
                Some(format!(
                    "https://{prefix}.access.sandbox.checkout.com/connect/token"
                )),
            ),
            Self::Production { prefix } => (
                format!("https://{prefix}.api.checkout.com"),
                Some(format!(
                    "https://{prefix}.access.checkout.com/connect/token"
                )),
            ),
            Self::Custom {
                base_url,
                token_url,
            } => (base_url.trim_end_matches('/').to_owned(), token_url.clone()),
        }
    }
}

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum CheckoutCredentials {
    /// A secret key, sent as `Authorization: Bearer sk_…`.
    SecretKey(SecretString),
    /// OAuth2 client credentials (scope `payment-sessions`).
    OAuth {
        /// The access key id (`ack_…`; checkout-sdk-node 5.2.1's README calls
        /// it the access credential id), not the account's `cli_…` id.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
    },
}

impl fmt::Debug for CheckoutCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretKey(_) => f.write_str("SecretKey(<redacted>)"),
            Self::OAuth { client_id, .. } => f
                .debug_struct("OAuth")
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish(),
        }
    }
}

/// Builds a [`CheckoutConfig`]; see [`CheckoutConfig::builder`].
#[derive(Debug, Default)]
pub struct CheckoutConfigBuilder {
    environment: Option<CheckoutEnvironment>,
    credentials: Option<CheckoutCredentials>,
    http: HttpSettings,
    settings: CallSettings,
}

impl CheckoutConfigBuilder {
    /// The environment (required).
    pub fn environment(mut self, value: CheckoutEnvironment) -> Self {
        self.environment = Some(value);
        self
    }

    /// The credentials (required).
    pub fn credentials(mut self, value: CheckoutCredentials) -> Self {
        self.credentials = Some(value);
        self
    }

    /// Build the HTTP client from this `reqwest::ClientBuilder` (its own
    /// timeouts, TLS and proxy settings then apply). Redirects are turned off
    /// whatever it says: a redirect would carry the key, the OAuth secret or
    /// the session data elsewhere.
    pub fn http_client_builder(mut self, value: reqwest::ClientBuilder) -> Self {
        self.http.builder = Some(value);
        self
    }

    /// The most an answer's body may hold (default [`ResponseLimits::default`]).
    pub fn response_limits(mut self, value: ResponseLimits) -> Self {
        self.settings.limits = value;
        self
    }

    /// Adds an observer of every attempt (for metrics; it sees no header or body).
    pub fn observer(mut self, observer: impl AttemptObserver) -> Self {
        self.settings.observers.push(Arc::new(observer));
        self
    }

    /// Connect timeout of the default HTTP client (default 10 s).
    pub fn connect_timeout(mut self, value: Duration) -> Self {
        self.http.connect_timeout = Some(value);
        self
    }

    /// Per-attempt timeout of the default HTTP client, body included
    /// (default 30 s).
    pub fn request_timeout(mut self, value: Duration) -> Self {
        self.http.request_timeout = Some(value);
        self
    }

    /// Retry policy for create and get (submit is never retried).
    pub fn retry(mut self, value: RetryPolicy) -> Self {
        self.settings.retry = value;
        self
    }

    /// Checks everything and builds the configuration.
    pub fn build(self) -> Result<CheckoutConfig, ConfigError> {
        let environment = self.environment.ok_or(ConfigError::Missing {
            field: "environment",
        })?;
        let credentials = self.credentials.ok_or(ConfigError::Missing {
            field: "credentials",
        })?;
        if let CheckoutEnvironment::Sandbox { prefix }
        | CheckoutEnvironment::Production { prefix } = &environment
        {
            check_prefix(prefix)?;
        }
        let (base_url, token_url) = environment.urls();
        check_url("environment", &base_url)?;
        match &credentials {
            CheckoutCredentials::SecretKey(key) => {
                check_secret_key(key.expose_secret(), &environment)?
            }
            CheckoutCredentials::OAuth {
                client_id,
                client_secret,
            } => {
                if client_id.trim().is_empty() || !client_id.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(ConfigError::Invalid {
                        field: "client_id",
                        reason: "must be printable ASCII without spaces".to_owned(),
                    });
                }
                if client_secret.expose_secret().is_empty() {
                    return Err(ConfigError::Invalid {
                        field: "client_secret",
                        reason: "is empty".to_owned(),
                    });
                }
                let url = token_url
                    .as_deref()
                    .ok_or(ConfigError::Missing { field: "token_url" })?;
                check_url("token_url", url)?;
            }
        }
        let http = self.http.build(crate::USER_AGENT)?;
        Ok(CheckoutConfig {
            environment,
            base_url,
            token_url,
            credentials,
            http,
            settings: self.settings,
        })
    }
}

/// `^(?:pl-)?[a-z0-9]+$`, as the vendor SDKs check it.
fn check_prefix(prefix: &str) -> Result<(), ConfigError> {
    let rest = prefix.strip_prefix("pl-").unwrap_or(prefix);
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(ConfigError::Invalid {
            field: "prefix",
            reason: "must be lower-case letters and digits (the account prefix)".to_owned(),
        });
    }
    Ok(())
}

fn check_secret_key(key: &str, environment: &CheckoutEnvironment) -> Result<(), ConfigError> {
    let invalid = |reason: &str| {
        Err(ConfigError::Invalid {
            field: "secret_key",
            reason: reason.to_owned(),
        })
    };
    if !key.starts_with("sk_") || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return invalid("is not a Checkout.com secret key (sk_…)");
    }
    let sandbox_key = key.starts_with("sk_sbox_") || key.starts_with("sk_test_");
    match environment {
        CheckoutEnvironment::Production { .. } if sandbox_key => {
            invalid("is a sandbox key, but the environment is production")
        }
        CheckoutEnvironment::Sandbox { .. } if !sandbox_key => {
            invalid("is a live key, but the environment is the sandbox")
        }
        _ => Ok(()),
    }
}

/// A checked Checkout.com configuration. `Debug` never shows secrets.
#[derive(Clone)]
pub struct CheckoutConfig {
    pub(crate) environment: CheckoutEnvironment,
    pub(crate) base_url: String,
    pub(crate) token_url: Option<String>,
    pub(crate) credentials: CheckoutCredentials,
    pub(crate) http: reqwest::Client,
    pub(crate) settings: CallSettings,
}

impl fmt::Debug for CheckoutConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutConfig")
            .field("environment", &self.environment)
            .field("credentials", &self.credentials)
            .field("settings", &self.settings)
            .finish()
    }
}

impl CheckoutConfig {
    /// Starts a builder.
    pub fn builder() -> CheckoutConfigBuilder {
        CheckoutConfigBuilder::default()
    }

    /// Reads `CHECKOUT_SECRET_KEY`, or `CHECKOUT_CLIENT_ID` and
    /// `CHECKOUT_CLIENT_SECRET`; `CHECKOUT_ENVIRONMENT` (`sandbox` by
    /// default, `production`, or a base URL with optional `CHECKOUT_TOKEN_URL`)
    /// and `CHECKOUT_PREFIX` for sandbox and production.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`CheckoutConfig::from_env`] over any variable source (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let prefix = || {
            get("CHECKOUT_PREFIX").ok_or(ConfigError::Missing {
                field: "CHECKOUT_PREFIX",
            })
        };
        let environment = match get("CHECKOUT_ENVIRONMENT").as_deref().map(str::trim) {
            None | Some("") | Some("sandbox") => CheckoutEnvironment::Sandbox { prefix: prefix()? },
            Some("production") => CheckoutEnvironment::Production { prefix: prefix()? },
            Some(url) if url.contains("://") => CheckoutEnvironment::Custom {
                base_url: url.to_owned(),
                token_url: get("CHECKOUT_TOKEN_URL"),
            },
            Some(_) => {
                return Err(ConfigError::Invalid {
                    field: "CHECKOUT_ENVIRONMENT",
                    reason: "must be sandbox, production or a base URL".to_owned(),
                });
            }
        };
        let credentials = match (
            get("CHECKOUT_SECRET_KEY"),
            get("CHECKOUT_CLIENT_ID"),
            get("CHECKOUT_CLIENT_SECRET"),
        ) {
            (Some(key), _, _) => CheckoutCredentials::SecretKey(SecretString::from(key)),
            (None, Some(client_id), Some(secret)) => CheckoutCredentials::OAuth {
                client_id,
                client_secret: SecretString::from(secret),
            },
            _ => {
                return Err(ConfigError::Missing {
                    field: "CHECKOUT_SECRET_KEY",
                });
            }
        };
        Self::builder()
            .environment(environment)
            .credentials(credentials)
            .build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The OAuth token endpoint, when OAuth credentials are used.
    pub fn token_url(&self) -> Option<&str> {
        match self.credentials {
            CheckoutCredentials::OAuth { .. } => self.token_url.as_deref(),
            CheckoutCredentials::SecretKey(_) => None,
        }
    }
}
