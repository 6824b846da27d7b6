//! Cybersource Flex API v2: establish a payment session with a capture
//! context, validate it, populate it with the customer's data as a JWE,
//! receive a verified transient token, and read back what it carries.
//!
//! ```
//! use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
//! use payclient::flex::{
//!     CaptureField, CaptureSelection, CardNumber, FlexClient, FlexOptions, PaymentData, SecurityCode,
//! };
//! use payclient::secrecy::SecretString;
//! use payclient_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The local sandbox stands in for Cybersource; against the vendor,
//! // `CybersourceConfig::from_env()?` and `FlexClient::new(..)`.
//! let sandbox = Sandbox::start().await?;
//! let c = sandbox.config();
//! let config = CybersourceConfig::builder()
//!     .merchant_id(&c.merchant_id)
//!     .key_id(&c.key_id)
//!     .shared_secret(SecretString::from(c.shared_secret.clone()))
//!     .environment(Environment::Custom {
//!         base_url: sandbox.base_url().to_owned(),
//!         signing_host: c.signing_host.clone(),
//!     })
//!     .build()?;
//! // The sandbox signs capture contexts that name itself as `flx.origin`.
//! let options = FlexOptions {
//!     allowed_origins: Some(vec![sandbox.base_url().to_owned()]),
//!     ..FlexOptions::default()
//! };
//! let flex = FlexClient::with_options(CybersourceClient::new(config), options);
//!
//! // A capture context, verified with the vendor's published key.
//! let context = flex
//!     .create_capture_context(
//!         &CaptureSelection::new()
//!             .require(CaptureField::CardNumber)
//!             .optional(CaptureField::CardSecurityCode),
//!     )
//!     .await?;
//! assert_eq!(context.origin(), sandbox.base_url());
//!
//! // The card data, encrypted to the context's key, for a transient token.
//! let data = PaymentData::new()
//!     .card_number(CardNumber::new("4111111111111111")?)
//!     .security_code(SecurityCode::new("123")?);
//! let token = flex.tokenize(&context, &data).await?;
//! // Only a masked number comes back.
//! assert!(token.masked_number().is_some_and(|n| n.ends_with("XXXX1111")));
//! // What the token carries, read back by its jti.
//! let details = flex.payment_details(&token).await?;
//! let card = details.value.payment_information.and_then(|p| p.card);
//! assert_eq!(card.and_then(|c| c.number).as_deref(), token.masked_number());
//!
//! // A number that fails its check digit never leaves the process.
//! assert!(CardNumber::new("4111111111111112").is_err());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod card;
mod context;
mod fields;
mod jws;
mod keys;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use card::{CardNumber, PaymentData, SecurityCode};
pub use context::{CaptureContext, TOKENS_PATH, TransientToken};
pub use fields::{CaptureField, CaptureSelection};
pub use jws::{MAX_KID_LEN, MAX_TOKEN_BYTES, kid_is_acceptable};
/// The generated client for `specs/cybersource-flex.yaml`.
pub use payclient_raw_cybersource_flex as raw;
/// The operations of `specs/cybersource-flex.yaml`.
pub use payclient_raw_cybersource_flex::operations;
/// The request and response types of `specs/cybersource-flex.yaml`.
pub use payclient_raw_cybersource_flex::types;

use crate::cybersource::{CybersourceClient, Environment};
use jws::refuse;
use keys::{KeyCache, KeyCacheSettings, VerificationKey};
use payclient_core::Error;

/// Claims that carry `exp`, `iat` and `nbf` (seconds since the epoch).
trait TimeClaims {
    fn times(&self) -> jws::Times;
}

impl TimeClaims for raw::types::CaptureContextClaims {
    fn times(&self) -> jws::Times {
        jws::Times {
            exp: Some(self.exp),
            iat: self.iat,
            nbf: self.nbf,
        }
    }
}

impl TimeClaims for raw::types::TransientTokenClaims {
    fn times(&self) -> jws::Times {
        jws::Times {
            exp: self.exp,
            iat: self.iat,
            nbf: self.nbf,
        }
    }
}

pub use crate::Clock;

/// How capture contexts and transient tokens are checked.
#[derive(Clone)]
pub struct FlexOptions {
    /// Allowed clock skew for `exp` and `iat` (default 60 s).
    pub leeway: Duration,
    /// How long a public key stays cached (default 1 h).
    pub key_ttl: Duration,
    /// How long a failed key fetch (a `kid` the vendor does not have, an
    /// error) is answered from memory instead of fetched again (default 30 s).
    pub key_failure_ttl: Duration,
    /// The least time between two fetches of one `kid` when a signature does
    /// not verify with the cached key (default 60 s): forged tokens naming a
    /// real `kid` cannot make a fetch each.
    pub key_refresh_interval: Duration,
    /// The most kids held in the cache (default 64).
    pub max_cached_keys: usize,
    /// The most key fetches started in any one minute (default 10).
    pub key_fetches_per_minute: u32,
    /// The token endpoints (`flx.origin`) accepted; `None` means the vendor's
    /// Flex hosts for the configured environment.
    pub allowed_origins: Option<Vec<String>>,
    /// The clock.
    pub clock: Clock,
}

impl std::fmt::Debug for FlexOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexOptions")
            .field("leeway", &self.leeway)
            .field("key_ttl", &self.key_ttl)
            .field("key_failure_ttl", &self.key_failure_ttl)
            .field("key_refresh_interval", &self.key_refresh_interval)
            .field("max_cached_keys", &self.max_cached_keys)
            .field("key_fetches_per_minute", &self.key_fetches_per_minute)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

impl Default for FlexOptions {
    fn default() -> Self {
        Self {
            leeway: Duration::from_secs(60),
            key_ttl: Duration::from_secs(3600),
            key_failure_ttl: Duration::from_secs(30),
            key_refresh_interval: Duration::from_secs(60),
            max_cached_keys: 64,
            key_fetches_per_minute: 10,
            allowed_origins: None,
            clock: Arc::new(SystemTime::now),
        }
    }
}

/// The vendor's Flex token hosts for an environment.
pub fn default_origins(environment: &Environment) -> Vec<String> {
    let hosts: &[&str] = match environment {
        Environment::Test => &["testflex.cybersource.com", "apitest.cybersource.com"],
        Environment::Production => &["flex.cybersource.com", "api.cybersource.com"],
        Environment::ProductionIndia => &["flex.in.cybersource.com", "api.in.cybersource.com"],
        _ => &[],
    };
    hosts.iter().map(|h| format!("https://{h}")).collect()
}

/// The Flex API over a [`CybersourceClient`]. Cheap to clone.
#[derive(Clone)]
pub struct FlexClient {
    cybersource: CybersourceClient,
    options: FlexOptions,
    allowed_origins: Arc<Vec<String>>,
    keys: Arc<KeyCache>,
}

impl std::fmt::Debug for FlexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexClient")
            .field("options", &self.options)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

impl FlexClient {
    /// Flex with the default options.
    pub fn new(cybersource: CybersourceClient) -> Self {
        Self::with_options(cybersource, FlexOptions::default())
    }

    /// Flex with `options`.
    pub fn with_options(cybersource: CybersourceClient, options: FlexOptions) -> Self {
        let allowed = options
            .allowed_origins
            .clone()
            .unwrap_or_else(|| default_origins(&cybersource.config().environment))
            .into_iter()
            .map(|origin| origin.trim_end_matches('/').to_owned())
            .collect();
        let keys = Arc::new(KeyCache::new(KeyCacheSettings {
            ttl: options.key_ttl,
            failure_ttl: options.key_failure_ttl,
            refresh_interval: options.key_refresh_interval,
            max_kids: options.max_cached_keys,
            fetches_per_minute: options.key_fetches_per_minute,
        }));
        Self {
            cybersource,
            options,
            allowed_origins: Arc::new(allowed),
            keys,
        }
    }

    /// `POST /flex/v2/sessions` with `Accept: application/jwt`, then validates
    /// the capture context that comes back.
    pub async fn create_capture_context(
        &self,
        selection: &CaptureSelection,
    ) -> Result<CaptureContext, Error> {
        let request = selection.to_request()?;
        let flex = self.cybersource.flex();
        let reply = self
            .cybersource
            .run_bytes(|| raw::calls::CreateCaptureContext {
                client: flex,
                body: &request,
            })
            .await?;
        let jwt = std::str::from_utf8(&reply.value)
            .map_err(|_| refuse("capture context", "is not UTF-8"))?;
        self.validate_capture_context(jwt.trim()).await
    }

    /// `GET /flex/v2/payment-details/{jti}`: what a validated transient
    /// token carries (masked card, expiration, billing and shipping details,
    /// amount). The `jti` comes from the token and is checked before it goes
    /// into the URL; an answer whose masked card number is not the token's
    /// is refused (`Error::Verification`), since it describes another card.
    /// Personal data in the answer (names, email, phone, address lines) is
    /// `Sensitive`.
    pub async fn payment_details(
        &self,
        token: &TransientToken,
    ) -> Result<payclient_core::Reply<types::PaymentDetails>, Error> {
        let jti = token.jti().ok_or_else(|| {
            payclient_core::ValidationError::new("jti", "the transient token has no jti claim")
        })?;
        let jti: types::GetPaymentDetailsJti = crate::fields::path_parameter("jti", jti)?;
        let flex = self.cybersource.flex();
        let reply = self
            .cybersource
            .run(|| raw::calls::GetPaymentDetails {
                client: flex,
                jti: &jti,
            })
            .await?;
        let answered = reply
            .value
            .payment_information
            .as_ref()
            .and_then(|p| p.card.as_ref())
            .and_then(|c| c.number.as_deref());
        // A number in the answer must be the token's masked one (verified
        // with the vendor's key); one that cannot be compared is refused too.
        if let Some(answered) = answered
            && token.masked_number() != Some(answered)
        {
            return Err(Error::Verification(payclient_core::VerificationError::new(
                "paymentInformation.card.number",
                "is not the transient token's masked card number",
            )));
        }
        Ok(reply)
    }

    /// Validates a capture context: signature with the vendor's key, times,
    /// typed claims, encryption key, origin.
    pub async fn validate_capture_context(&self, jwt: &str) -> Result<CaptureContext, Error> {
        let claims = self.verify(jwt, "capture context").await?;
        CaptureContext::from_verified(jwt, claims, &self.allowed_origins)
    }

    /// Validates a transient token the same way.
    pub async fn validate_transient_token(&self, jwt: &str) -> Result<TransientToken, Error> {
        let claims = self.verify(jwt, "transient token").await?;
        TransientToken::from_verified(jwt, claims)
    }

    /// Encrypts `data` for `context`, posts the JWE to the context's origin
    /// (unauthenticated, `application/jwt`) and validates the transient token
    /// that comes back.
    pub async fn tokenize(
        &self,
        context: &CaptureContext,
        data: &PaymentData,
    ) -> Result<TransientToken, Error> {
        let jwe = context.encrypt(data)?;
        // The token endpoint is the context's origin, a vendor host checked
        // when the context was validated.
        let client = raw::Client::new_with_client(
            context.origin(),
            self.cybersource.config().http_client().clone(),
            self.cybersource.hooks(),
        );
        let reply = self
            .cybersource
            .run_bytes(|| raw::calls::CreateTransientToken {
                client: &client,
                body: jwe.as_bytes(),
            })
            .await?;
        let jwt = std::str::from_utf8(&reply.value)
            .map_err(|_| refuse("transient token", "is not UTF-8"))?;
        self.validate_transient_token(jwt.trim()).await
    }

    /// The fetch of `kid`'s key, owned so that every validation waiting for
    /// this kid can drive it (see [`KeyCache`]).
    fn key_fetch(&self, kid: &str, what: &'static str) -> keys::Fetch {
        let cybersource = self.cybersource.clone();
        let kid = kid.to_owned();
        Box::pin(async move { fetch_key(&cybersource, &kid, what).await })
    }

    /// Signature with the vendor's key (fetched again, within the cache's
    /// limits, if it fails), then times, then the typed claims.
    async fn verify<T: serde::de::DeserializeOwned + TimeClaims>(
        &self,
        jwt: &str,
        what: &'static str,
    ) -> Result<T, Error> {
        let parsed = jws::parse(jwt, what)?;
        let host = self.cybersource.config().signing_host();
        let key = self
            .keys
            .get(host, &parsed.kid, || self.key_fetch(&parsed.kid, what))
            .await
            .map_err(|e| jws::for_token(e, what))?;
        if !key.verify(parsed.signing_input, &parsed.signature) {
            // The vendor may have rotated the key behind this kid.
            let fresh = self
                .keys
                .refresh(host, &parsed.kid, &key, || {
                    self.key_fetch(&parsed.kid, what)
                })
                .await
                .map_err(|e| jws::for_token(e, what))?;
            if !fresh.is_some_and(|k| k.verify(parsed.signing_input, &parsed.signature)) {
                return Err(refuse(what, "has a signature that does not verify"));
            }
        }
        match jws::claims::<T>(&parsed.payload, what) {
            Ok(claims) => {
                jws::check_typed_times(
                    claims.times(),
                    (self.options.clock)(),
                    self.options.leeway,
                    what,
                )?;
                Ok(claims)
            }
            // Say which rule the claims break, the time rules first.
            Err(shape) => Err(jws::check_times(
                &parsed.payload,
                (self.options.clock)(),
                self.options.leeway,
                what,
            )
            .err()
            .unwrap_or(shape)),
        }
    }
}

/// `GET /flex/v2/public-keys/{kid}`: an RSA key of 2048 to 8192 bits whose
/// own `kid`, if it names one, is the one asked for.
async fn fetch_key(
    cybersource: &CybersourceClient,
    kid: &str,
    what: &'static str,
) -> Result<VerificationKey, Error> {
    let flex = cybersource.flex();
    let kid_parameter: types::GetPublicKeyKid = crate::fields::path_parameter("kid", kid)?;
    let fetched = cybersource
        .run(|| raw::calls::GetPublicKey {
            client: flex,
            kid: &kid_parameter,
        })
        .await;
    match fetched {
        Ok(reply) => {
            let jwk = reply.value;
            if jwk.kid.as_deref().is_some_and(|answered| answered != kid) {
                return Err(refuse(
                    what,
                    "names a key whose endpoint answered a key with another kid",
                ));
            }
            VerificationKey::from_jwk(&jwk.kty, &jwk.n, &jwk.e).ok_or_else(|| {
                refuse(
                    what,
                    "names a key that is not an RSA key of 2048 to 8192 bits",
                )
            })
        }
        Err(Error::Api(api)) if api.status == 404 => {
            Err(refuse(what, "names a key the vendor does not have"))
        }
        Err(other) => Err(other),
    }
}
