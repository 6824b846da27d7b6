//! Cybersource configuration, checked when it is built rather than at the
//! first request.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use payclient_core::{
    AttemptObserver, CallSettings, ConfigError, HttpSettings, MessageEncryption, Operation,
    ResponseLimits, RetryPolicy,
};

#[cfg(feature = "p12")]
use super::certificate::P12SigningKey;
use super::certificate::{MleCertificate, ResponseMleKey};
use super::signature::{JwtSigner, SignatureKey};

/// Which Cybersource environment to call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://apitest.cybersource.com`.
    Test,
    /// `https://api.cybersource.com`.
    Production,
    /// `https://api.in.cybersource.com`.
    ProductionIndia,
    /// Another base URL (a proxy or a local simulator). Requests go to
    /// `base_url`; signatures name `signing_host`, as the vendor SDKs do for
    /// an intermediate host.
    Custom {
        /// Where requests are sent, e.g. `http://127.0.0.1:8080`.
        base_url: String,
        /// The host that is signed, e.g. `apitest.cybersource.com`.
        signing_host: String,
    },
}

impl Environment {
    /// The host requests are signed for.
    pub fn signing_host(&self) -> &str {
        match self {
            Environment::Test => "apitest.cybersource.com",
            Environment::Production => "api.cybersource.com",
            Environment::ProductionIndia => "api.in.cybersource.com",
            Environment::Custom { signing_host, .. } => signing_host,
        }
    }

    /// The base URL requests are sent to (no trailing slash).
    pub fn base_url(&self) -> String {
        match self {
            Environment::Custom { base_url, .. } => base_url.trim_end_matches('/').to_owned(),
            other => format!("https://{}", other.signing_host()),
        }
    }

    fn is_production_host(host: &str) -> bool {
        host.eq_ignore_ascii_case("api.cybersource.com")
            || host.eq_ignore_ascii_case("api.in.cybersource.com")
    }
}

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Authentication {
    /// HTTP Signature with the key id and shared secret (being deprecated by
    /// the vendor; cannot carry message-level encryption).
    HttpSignature,
    /// JWT signed HS256 with the key id and shared secret (the vendor's
    /// recommended path).
    JwtSharedSecret,
    /// JWT signed RS256 with the key in a P12 file (the `p12` feature).
    #[cfg(feature = "p12")]
    JwtCertificate {
        /// The P12 file's bytes.
        p12: Vec<u8>,
        /// Its password.
        password: SecretString,
    },
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authentication::HttpSignature => f.write_str("HttpSignature"),
            Authentication::JwtSharedSecret => f.write_str("JwtSharedSecret"),
            #[cfg(feature = "p12")]
            Authentication::JwtCertificate { p12, .. } => f
                .debug_struct("JwtCertificate")
                .field("p12_bytes", &p12.len())
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// Builds a [`CybersourceConfig`]; see [`CybersourceConfig::builder`].
#[derive(Debug, Default)]
pub struct CybersourceConfigBuilder {
    merchant_id: Option<String>,
    key_id: Option<String>,
    shared_secret: Option<SecretString>,
    portfolio_id: Option<String>,
    environment: Option<Environment>,
    authentication: Option<Authentication>,
    http: HttpSettings,
    settings: CallSettings,
    mle_certificate: Option<Vec<u8>>,
    mle_optional_enabled: bool,
    mle_overrides: Vec<(&'static Operation, bool)>,
    response_mle_key: Option<ResponseMleSource>,
    response_mle_all: bool,
    response_mle_overrides: Vec<(&'static Operation, bool)>,
    intelligent_commerce_prefix: IntelligentCommercePrefix,
}

/// The path prefix of the Intelligent Commerce operations. The vendor's
/// SDKs (npm `cybersource-rest-client` 0.0.83, `AgentCapabilitiesApi`) send
/// to `/icc/v1`; the developer guide and PyPI
/// `cybersource-rest-client-python` 0.0.80 document `/acp/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IntelligentCommercePrefix {
    /// `/acp/v1`, as the developer guide documents.
    Acp,
    /// `/icc/v1`, as the vendor's SDKs use (the default).
    #[default]
    Icc,
}

impl IntelligentCommercePrefix {
    /// The prefix, e.g. `/acp/v1`: the path of the Intelligent Commerce
    /// client's base URL (the spec lists both as servers).
    pub fn as_path(self) -> &'static str {
        match self {
            IntelligentCommercePrefix::Acp => "/acp/v1",
            IntelligentCommercePrefix::Icc => "/icc/v1",
        }
    }
}

impl CybersourceConfigBuilder {
    /// The Intelligent Commerce path prefix (default `/icc/v1`).
    pub fn intelligent_commerce_prefix(mut self, value: IntelligentCommercePrefix) -> Self {
        self.intelligent_commerce_prefix = value;
        self
    }

    /// The transacting merchant id (`v-c-merchant-id`).
    pub fn merchant_id(mut self, value: impl Into<String>) -> Self {
        self.merchant_id = Some(value.into());
        self
    }

    /// The REST key id (`keyid` in signatures, `kid` of HS256 JWTs).
    pub fn key_id(mut self, value: impl Into<String>) -> Self {
        self.key_id = Some(value.into());
        self
    }

    /// The REST shared secret, base64 as the Business Center shows it.
    pub fn shared_secret(mut self, value: SecretString) -> Self {
        self.shared_secret = Some(value);
        self
    }

    /// A meta-key portfolio id: it is signed in place of the merchant id,
    /// while `v-c-merchant-id` still carries the transacting merchant.
    pub fn portfolio_id(mut self, value: impl Into<String>) -> Self {
        self.portfolio_id = Some(value.into());
        self
    }

    /// The environment (default [`Environment::Test`]).
    pub fn environment(mut self, value: Environment) -> Self {
        self.environment = Some(value);
        self
    }

    /// The authentication (default [`Authentication::JwtSharedSecret`]).
    pub fn authentication(mut self, value: Authentication) -> Self {
        self.authentication = Some(value);
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

    /// Build the HTTP client from this `reqwest::ClientBuilder` (its own
    /// timeouts, TLS and proxy settings then apply). Redirects are turned off
    /// whatever it says: a redirect would carry the signature and body
    /// elsewhere.
    pub fn http_client_builder(mut self, value: reqwest::ClientBuilder) -> Self {
        self.http.builder = Some(value);
        self
    }

    /// The most an answer's body may hold (default [`ResponseLimits::default`]).
    pub fn response_limits(mut self, value: ResponseLimits) -> Self {
        self.settings.limits = value;
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, value: RetryPolicy) -> Self {
        self.settings.retry = value;
        self
    }

    /// Adds an observer of every attempt (for metrics; it sees no header or body).
    pub fn observer(mut self, observer: impl AttemptObserver) -> Self {
        self.settings.observers.push(Arc::new(observer));
        self
    }

    /// The vendor's public MLE certificate (PEM or DER). Only with JWT
    /// authentication; a P12 may carry it under `CyberSource_SJC_US` instead.
    pub fn mle_certificate(mut self, pem_or_der: impl Into<Vec<u8>>) -> Self {
        self.mle_certificate = Some(pem_or_der.into());
        self
    }

    /// Encrypt operations whose MLE is optional (default: only mandatory ones).
    pub fn mle_for_optional_operations(mut self, enabled: bool) -> Self {
        self.mle_optional_enabled = enabled;
        self
    }

    /// Turn MLE on or off for one operation (a generated `operations`
    /// static, e.g. `intelligent_commerce::operations::ENROLL_CARD`),
    /// overriding its spec status; `false` on a mandatory operation is the
    /// explicit opt-out.
    pub fn mle_for_operation(mut self, operation: &'static Operation, enabled: bool) -> Self {
        self.mle_overrides.retain(|(o, _)| *o != operation);
        self.mle_overrides.push((operation, enabled));
        self
    }

    /// The merchant's private key for encrypted answers (response MLE):
    /// an unencrypted PKCS#8 RSA key, PEM or DER, and its key id from the
    /// Business Center (the vendor SDKs' `responseMlePrivateKey` and
    /// `responseMleKID`). With a key configured, any answer that arrives
    /// sealed is opened; which requests ask for sealed answers is
    /// [`Self::response_mle_for_all_operations`] and
    /// [`Self::response_mle_for_operation`]. Needs JWT authentication.
    pub fn response_mle_key(
        mut self,
        pkcs8_pem_or_der: impl Into<Vec<u8>>,
        kid: impl Into<String>,
    ) -> Self {
        self.response_mle_key = Some(ResponseMleSource::Pkcs8 {
            key: secrecy::SecretSlice::from(pkcs8_pem_or_der.into()),
            kid: kid.into(),
        });
        self
    }

    /// The response MLE key from a PKCS#12 file (the vendor SDKs'
    /// `responseMlePrivateKeyFilePath` with a `.p12`): its private key, and
    /// `kid` or, when `None`, the key id its merchant certificate carries
    /// (see [`ResponseMleKey::from_pkcs12`]).
    #[cfg(feature = "p12")]
    pub fn response_mle_p12(
        mut self,
        p12: impl Into<Vec<u8>>,
        password: SecretString,
        kid: Option<String>,
    ) -> Self {
        self.response_mle_key = Some(ResponseMleSource::Pkcs12 {
            p12: p12.into(),
            password,
            kid,
        });
        self
    }

    /// Ask for sealed answers on every operation (the vendor SDKs'
    /// `enableResponseMleGlobally`; default off).
    pub fn response_mle_for_all_operations(mut self, enabled: bool) -> Self {
        self.response_mle_all = enabled;
        self
    }

    /// Ask for sealed answers on one operation, or not, overriding
    /// [`Self::response_mle_for_all_operations`] (the vendor SDKs'
    /// per-API map).
    pub fn response_mle_for_operation(
        mut self,
        operation: &'static Operation,
        enabled: bool,
    ) -> Self {
        self.response_mle_overrides.retain(|(o, _)| *o != operation);
        self.response_mle_overrides.push((operation, enabled));
        self
    }

    /// Checks everything and builds the configuration.
    pub fn build(self) -> Result<CybersourceConfig, ConfigError> {
        let merchant_id = required_header_value("merchant_id", self.merchant_id)?;
        let key_id = required_header_value("key_id", self.key_id)?;
        if let Some(portfolio) = &self.portfolio_id {
            check_header_value("portfolio_id", portfolio)?;
        }
        let secret = self.shared_secret.ok_or(ConfigError::Missing {
            field: "shared_secret",
        })?;
        let secret_bytes = STANDARD
            .decode(secret.expose_secret().trim())
            .map_err(|_| ConfigError::Invalid {
                field: "shared_secret",
                reason: "is not base64".to_owned(),
            })?;
        if secret_bytes.is_empty() {
            return Err(ConfigError::Invalid {
                field: "shared_secret",
                reason: "is empty".to_owned(),
            });
        }
        let signature_key = SignatureKey::new(key_id.clone(), &secret_bytes);

        let environment = self.environment.unwrap_or(Environment::Test);
        let base_url = environment.base_url();
        check_base_url(&environment, &base_url)?;
        check_signing_host(environment.signing_host())?;

        let authentication = self
            .authentication
            .unwrap_or(Authentication::JwtSharedSecret);
        let (auth, p12_mle) = match &authentication {
            Authentication::HttpSignature => (AuthMode::HttpSignature(signature_key), None),
            Authentication::JwtSharedSecret => {
                (AuthMode::Jwt(JwtSigner::SharedSecret(signature_key)), None)
            }
            #[cfg(feature = "p12")]
            Authentication::JwtCertificate { p12, password } => {
                let key =
                    P12SigningKey::from_pkcs12(p12, password.expose_secret()).map_err(|e| {
                        ConfigError::Invalid {
                            field: "p12",
                            reason: e.0,
                        }
                    })?;
                let mle = key.mle_certificate().cloned();
                (AuthMode::Jwt(JwtSigner::Certificate(key)), mle)
            }
        };
        let mle_certificate =
            match self.mle_certificate {
                Some(bytes) => Some(MleCertificate::from_pem_or_der(&bytes).map_err(|e| {
                    ConfigError::Invalid {
                        field: "mle_certificate",
                        reason: e.0,
                    }
                })?),
                None => p12_mle,
            };
        if mle_certificate.is_some() && matches!(auth, AuthMode::HttpSignature(_)) {
            return Err(ConfigError::Invalid {
                field: "mle_certificate",
                reason: "message-level encryption needs JWT authentication; HTTP Signature cannot carry it".to_owned(),
            });
        }

        let response_mle_key = match self.response_mle_key {
            Some(ResponseMleSource::Pkcs8 { key, kid }) => Some(
                ResponseMleKey::from_pkcs8_pem_or_der(key.expose_secret(), kid),
            ),
            #[cfg(feature = "p12")]
            Some(ResponseMleSource::Pkcs12 { p12, password, kid }) => Some(
                ResponseMleKey::from_pkcs12(&p12, password.expose_secret(), &merchant_id, kid),
            ),
            None => None,
        }
        .transpose()
        .map_err(|e| ConfigError::Invalid {
            field: "response_mle_key",
            reason: e.0,
        })?;
        let response_mle_asked =
            self.response_mle_all || self.response_mle_overrides.iter().any(|(_, on)| *on);
        if response_mle_asked && response_mle_key.is_none() {
            return Err(ConfigError::Invalid {
                field: "response_mle_key",
                reason: "encrypted answers are asked for, but no response MLE key is configured to open them".to_owned(),
            });
        }
        if response_mle_key.is_some() && matches!(auth, AuthMode::HttpSignature(_)) {
            return Err(ConfigError::Invalid {
                field: "response_mle_key",
                reason: "encrypted answers are asked for with a JWT claim; HTTP Signature cannot carry it".to_owned(),
            });
        }

        let http = self.http.build(crate::USER_AGENT)?;

        Ok(CybersourceConfig {
            merchant_id,
            portfolio_id: self.portfolio_id,
            signing_host: environment.signing_host().to_owned(),
            environment,
            base_url,
            auth,
            http,
            settings: self.settings,
            mle_certificate,
            mle_optional_enabled: self.mle_optional_enabled,
            mle_overrides: self.mle_overrides,
            response_mle_key,
            response_mle_all: self.response_mle_all,
            response_mle_overrides: self.response_mle_overrides,
            intelligent_commerce_prefix: self.intelligent_commerce_prefix,
        })
    }
}

fn required_header_value(
    field: &'static str,
    value: Option<String>,
) -> Result<String, ConfigError> {
    let value = value.ok_or(ConfigError::Missing { field })?;
    check_header_value(field, &value)?;
    Ok(value)
}

fn check_header_value(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::Invalid {
            field,
            reason: "is empty".to_owned(),
        });
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) || value.contains('"') {
        return Err(ConfigError::Invalid {
            field,
            reason: "must be printable ASCII without spaces or quotes".to_owned(),
        });
    }
    Ok(())
}

/// The signed host goes into the `Host` header, the signature and the JWT:
/// it must be a plain `host` or `host:port`, nothing a header could not carry.
fn check_signing_host(host: &str) -> Result<(), ConfigError> {
    check_header_value("signing_host", host)?;
    let plain = reqwest::Url::parse(&format!("https://{host}/")).is_ok_and(|url| {
        let reconstructed = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && reconstructed.eq_ignore_ascii_case(host)
    });
    if !plain {
        return Err(ConfigError::Invalid {
            field: "signing_host",
            reason: "must be a host name, optionally with a port (e.g. apitest.cybersource.com)"
                .to_owned(),
        });
    }
    Ok(())
}

fn check_base_url(environment: &Environment, base_url: &str) -> Result<(), ConfigError> {
    if Environment::is_production_host(environment.signing_host())
        && !base_url.starts_with("https://")
    {
        return Err(ConfigError::Invalid {
            field: "environment",
            reason: "a production environment must use https".to_owned(),
        });
    }
    payclient_core::check_url("environment", base_url).map(|_| ())
}

#[derive(Debug, Clone)]
pub(crate) enum AuthMode {
    HttpSignature(SignatureKey),
    Jwt(JwtSigner),
}

/// Where the response MLE key comes from, read when the configuration is
/// built. The private key's bytes are a secret until then (zeroed on drop).
enum ResponseMleSource {
    Pkcs8 {
        key: secrecy::SecretSlice<u8>,
        kid: String,
    },
    #[cfg(feature = "p12")]
    Pkcs12 {
        p12: Vec<u8>,
        password: SecretString,
        kid: Option<String>,
    },
}

impl fmt::Debug for ResponseMleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pkcs8 { kid, .. } => f
                .debug_struct("Pkcs8")
                .field("kid", kid)
                .field("key", &"<redacted>")
                .finish(),
            #[cfg(feature = "p12")]
            Self::Pkcs12 { kid, .. } => f
                .debug_struct("Pkcs12")
                .field("kid", kid)
                .field("p12", &"<redacted>")
                .finish(),
        }
    }
}

/// A checked Cybersource configuration. `Debug` never shows secrets.
#[derive(Clone)]
pub struct CybersourceConfig {
    pub(crate) merchant_id: String,
    pub(crate) portfolio_id: Option<String>,
    pub(crate) environment: Environment,
    pub(crate) signing_host: String,
    pub(crate) base_url: String,
    pub(crate) auth: AuthMode,
    pub(crate) http: reqwest::Client,
    pub(crate) settings: CallSettings,
    pub(crate) mle_certificate: Option<MleCertificate>,
    pub(crate) mle_optional_enabled: bool,
    pub(crate) mle_overrides: Vec<(&'static Operation, bool)>,
    pub(crate) response_mle_key: Option<ResponseMleKey>,
    pub(crate) response_mle_all: bool,
    pub(crate) response_mle_overrides: Vec<(&'static Operation, bool)>,
    pub(crate) intelligent_commerce_prefix: IntelligentCommercePrefix,
}

impl fmt::Debug for CybersourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            AuthMode::HttpSignature(_) => "HttpSignature",
            AuthMode::Jwt(JwtSigner::SharedSecret(_)) => "JwtSharedSecret",
            #[cfg(feature = "p12")]
            AuthMode::Jwt(JwtSigner::Certificate(_)) => "JwtCertificate",
        };
        f.debug_struct("CybersourceConfig")
            .field("merchant_id", &self.merchant_id)
            .field("portfolio_id", &self.portfolio_id)
            .field("environment", &self.environment)
            .field("authentication", &auth)
            .field("shared_secret", &"<redacted>")
            .field("mle_certificate", &self.mle_certificate)
            .field("response_mle_key", &self.response_mle_key)
            .field("settings", &self.settings)
            .field(
                "intelligent_commerce_prefix",
                &self.intelligent_commerce_prefix,
            )
            .finish()
    }
}

/// What the vendor does with one operation's request body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MlePlan<'a> {
    Plain,
    Encrypt(&'a MleCertificate),
    /// Mandatory, but this configuration cannot encrypt.
    Refuse(&'static str),
}

impl CybersourceConfig {
    /// Starts a builder.
    pub fn builder() -> CybersourceConfigBuilder {
        CybersourceConfigBuilder::default()
    }

    /// Reads the documented variables: `CYBERSOURCE_MERCHANT_ID`,
    /// `CYBERSOURCE_KEY_ID`, `CYBERSOURCE_SHARED_SECRET`, and optionally
    /// `CYBERSOURCE_PORTFOLIO_ID`, `CYBERSOURCE_ENVIRONMENT` (`test`,
    /// `production`, `production-india`, or a base URL with
    /// `CYBERSOURCE_SIGNING_HOST`), `CYBERSOURCE_AUTH` (`jwt`, `http-signature`,
    /// `jwt-certificate` with `CYBERSOURCE_P12_PATH` and
    /// `CYBERSOURCE_P12_PASSWORD`), `CYBERSOURCE_MLE_CERTIFICATE_PATH`,
    /// `CYBERSOURCE_RESPONSE_MLE_KEY_PATH` with `CYBERSOURCE_RESPONSE_MLE_KID`
    /// and `CYBERSOURCE_RESPONSE_MLE` (`off` or `all`), and
    /// `CYBERSOURCE_ICC_PATH_PREFIX` (`acp` or `icc`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`CybersourceConfig::from_env`] over any variable source (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut builder = Self::builder();
        if let Some(v) = get("CYBERSOURCE_MERCHANT_ID") {
            builder = builder.merchant_id(v);
        }
        if let Some(v) = get("CYBERSOURCE_KEY_ID") {
            builder = builder.key_id(v);
        }
        if let Some(v) = get("CYBERSOURCE_SHARED_SECRET") {
            builder = builder.shared_secret(SecretString::from(v));
        }
        if let Some(v) = get("CYBERSOURCE_PORTFOLIO_ID") {
            builder = builder.portfolio_id(v);
        }
        let environment = match get("CYBERSOURCE_ENVIRONMENT").as_deref().map(str::trim) {
            None | Some("") | Some("test") => Environment::Test,
            Some("production") => Environment::Production,
            Some("production-india") => Environment::ProductionIndia,
            Some(url) if url.contains("://") => Environment::Custom {
                base_url: url.to_owned(),
                signing_host: get("CYBERSOURCE_SIGNING_HOST").ok_or(ConfigError::Missing {
                    field: "CYBERSOURCE_SIGNING_HOST",
                })?,
            },
            Some(_) => {
                return Err(ConfigError::Invalid {
                    field: "CYBERSOURCE_ENVIRONMENT",
                    reason: "must be test, production, production-india or a base URL".to_owned(),
                });
            }
        };
        builder = builder.environment(environment);
        let authentication = match get("CYBERSOURCE_AUTH").as_deref().map(str::trim) {
            None | Some("") | Some("jwt") => Authentication::JwtSharedSecret,
            Some("http-signature") => Authentication::HttpSignature,
            #[cfg(not(feature = "p12"))]
            Some("jwt-certificate") => {
                return Err(ConfigError::Invalid {
                    field: "CYBERSOURCE_AUTH",
                    reason: "jwt-certificate needs payclient's `p12` feature".to_owned(),
                });
            }
            #[cfg(feature = "p12")]
            Some("jwt-certificate") => {
                let path = get("CYBERSOURCE_P12_PATH").ok_or(ConfigError::Missing {
                    field: "CYBERSOURCE_P12_PATH",
                })?;
                let p12 = std::fs::read(&path).map_err(|_| ConfigError::Invalid {
                    field: "CYBERSOURCE_P12_PATH",
                    reason: "cannot be read".to_owned(),
                })?;
                let password =
                    SecretString::from(get("CYBERSOURCE_P12_PASSWORD").unwrap_or_default());
                Authentication::JwtCertificate { p12, password }
            }
            Some(_) => {
                return Err(ConfigError::Invalid {
                    field: "CYBERSOURCE_AUTH",
                    reason: "must be jwt, http-signature or jwt-certificate".to_owned(),
                });
            }
        };
        builder = builder.authentication(authentication);
        if let Some(path) = get("CYBERSOURCE_MLE_CERTIFICATE_PATH") {
            let bytes = std::fs::read(&path).map_err(|_| ConfigError::Invalid {
                field: "CYBERSOURCE_MLE_CERTIFICATE_PATH",
                reason: "cannot be read".to_owned(),
            })?;
            builder = builder.mle_certificate(bytes);
        }
        if let Some(path) = get("CYBERSOURCE_RESPONSE_MLE_KEY_PATH") {
            let bytes = std::fs::read(&path).map_err(|_| ConfigError::Invalid {
                field: "CYBERSOURCE_RESPONSE_MLE_KEY_PATH",
                reason: "cannot be read".to_owned(),
            })?;
            let kid = get("CYBERSOURCE_RESPONSE_MLE_KID").ok_or(ConfigError::Missing {
                field: "CYBERSOURCE_RESPONSE_MLE_KID",
            })?;
            builder = builder.response_mle_key(bytes, kid);
        }
        match get("CYBERSOURCE_RESPONSE_MLE").as_deref().map(str::trim) {
            None | Some("") | Some("off") => {}
            Some("all") => builder = builder.response_mle_for_all_operations(true),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    field: "CYBERSOURCE_RESPONSE_MLE",
                    reason: "must be off or all".to_owned(),
                });
            }
        }
        match get("CYBERSOURCE_ICC_PATH_PREFIX").as_deref().map(str::trim) {
            None | Some("") | Some("acp") => {}
            Some("icc") => {
                builder = builder.intelligent_commerce_prefix(IntelligentCommercePrefix::Icc);
            }
            Some(_) => {
                return Err(ConfigError::Invalid {
                    field: "CYBERSOURCE_ICC_PATH_PREFIX",
                    reason: "must be acp or icc".to_owned(),
                });
            }
        }
        builder.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The HTTP client requests go through (with [`crate::cybersource::CybersourceClient::hooks`],
    /// enough to build any generated Cybersource client by hand).
    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    /// The host that signatures name.
    pub fn signing_host(&self) -> &str {
        &self.signing_host
    }

    /// The transacting merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// The merchant id inside signatures and `iss` (the portfolio under a meta key).
    pub(crate) fn signing_merchant_id(&self) -> &str {
        self.portfolio_id.as_deref().unwrap_or(&self.merchant_id)
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// The Intelligent Commerce path prefix.
    pub fn intelligent_commerce_prefix(&self) -> IntelligentCommercePrefix {
        self.intelligent_commerce_prefix
    }

    /// The key id to ask for a sealed answer with (`v-c-response-mle-kid`),
    /// when this operation's answers are to be sealed.
    pub(crate) fn response_mle_kid(&self, operation: &'static Operation) -> Option<&str> {
        let key = self.response_mle_key.as_ref()?;
        let asked = self
            .response_mle_overrides
            .iter()
            .find(|(o, _)| *o == operation)
            .map_or(self.response_mle_all, |(_, on)| *on);
        asked.then(|| key.kid())
    }

    /// Decides MLE for one operation from its spec status and this configuration.
    pub(crate) fn mle_plan(&self, operation: &'static Operation) -> MlePlan<'_> {
        let explicit = self
            .mle_overrides
            .iter()
            .find(|(o, _)| *o == operation)
            .map(|(_, enabled)| *enabled);
        let wanted = match (explicit, operation.message_encryption) {
            (Some(explicit), _) => explicit,
            (None, MessageEncryption::Mandatory) => true,
            (None, MessageEncryption::Optional) => self.mle_optional_enabled,
            (None, _) => false,
        };
        if !wanted {
            return MlePlan::Plain;
        }
        match (&self.auth, &self.mle_certificate) {
            (AuthMode::Jwt(_), Some(certificate)) => MlePlan::Encrypt(certificate),
            (AuthMode::HttpSignature(_), _) => MlePlan::Refuse(
                "message-level encryption is required for this operation, but HTTP Signature cannot carry it: \
                 use JWT authentication with an MLE certificate, or turn MLE off for the operation explicitly",
            ),
            (AuthMode::Jwt(_), None) => MlePlan::Refuse(
                "message-level encryption is required for this operation, but no MLE certificate is configured",
            ),
        }
    }
}
