//! The four `payclient` workflows end to end, as `cargo xtask demo` runs
//! them: against the local sandbox by default, or against the vendors'
//! test hosts when the documented `CYBERSOURCE_*` / `CHECKOUT_*` variables
//! are set. The end-to-end tests run the same functions.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = payclient_sandbox::Sandbox::start().await?;
//! let targets = payclient_demo::Targets::sandbox(&sandbox)?;
//! let mut report = payclient_demo::Report::printing();
//! payclient_demo::run_all(&targets, &mut report).await?;
//! # Ok(()) }
//! ```

mod workflows;

use std::fmt;

use payclient::checkout::{
    CheckoutClient, CheckoutConfig, CheckoutConfigBuilder, CheckoutCredentials, CheckoutEnvironment,
};
use payclient::cybersource::{
    Authentication, CybersourceClient, CybersourceConfig, Environment, IntelligentCommercePrefix,
};
use payclient::flex::FlexOptions;
use payclient::intelligent_commerce::PayloadKey;
use payclient_sandbox::Sandbox;
use secrecy::SecretString;

pub use workflows::{
    AgentCard, checkout, flex, intelligent_commerce, passkey, passkey_request, purchase, run_all,
    session_request,
};

/// Where one vendor's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The local sandbox at this base URL.
    Sandbox(String),
    /// The vendor's test host (from the environment).
    Vendor(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sandbox(url) => write!(f, "local sandbox at {url}"),
            Target::Vendor(url) => write!(f, "vendor test host {url}"),
        }
    }
}

/// The clients a demo run uses.
pub struct Targets {
    /// JWT (HS256) with the MLE certificate: Flex and Intelligent Commerce.
    pub cybersource: CybersourceClient,
    /// HTTP Signature: the Passkey Service (the sandbox checks both schemes).
    pub cybersource_signature: CybersourceClient,
    /// Flex validation options (the sandbox's origin is allowed).
    pub flex_options: FlexOptions,
    /// Checkout.com with OAuth client credentials (sandbox) or the configured credentials.
    pub checkout: CheckoutClient,
    /// The key that verifies `signedPayload`, when known.
    pub payload_key: Option<PayloadKey>,
    /// Where Cybersource calls go.
    pub cybersource_target: Target,
    /// Where Checkout calls go.
    pub checkout_target: Target,
    /// Tokenized cards, instrument and tokens for the vendor's test host.
    pub passkey_token_id: Option<String>,
    /// The iframe's secure token for the vendor's test host.
    pub passkey_secure_token: Option<String>,
}

impl fmt::Debug for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Targets")
            .field("cybersource_target", &self.cybersource_target)
            .field("checkout_target", &self.checkout_target)
            .finish()
    }
}

/// Cybersource configuration for the sandbox, before building.
pub fn sandbox_cybersource(
    sandbox: &Sandbox,
    authentication: Authentication,
) -> payclient::cybersource::CybersourceConfigBuilder {
    let c = sandbox.config();
    let builder = CybersourceConfig::builder()
        .merchant_id(&c.merchant_id)
        .key_id(&c.key_id)
        .shared_secret(SecretString::from(c.shared_secret.clone()))
        .environment(Environment::Custom {
            base_url: sandbox.base_url().to_owned(),
            signing_host: c.signing_host.clone(),
        });
    match authentication {
        Authentication::HttpSignature => builder.authentication(Authentication::HttpSignature),
        other => builder
            .authentication(other)
            .mle_certificate(sandbox.mle_certificate_pem().as_bytes().to_vec()),
    }
}

/// Checkout configuration for the sandbox with OAuth client credentials.
pub fn sandbox_checkout_oauth(sandbox: &Sandbox) -> CheckoutConfigBuilder {
    let c = sandbox.config();
    CheckoutConfig::builder()
        .environment(CheckoutEnvironment::Custom {
            base_url: sandbox.base_url().to_owned(),
            token_url: Some(format!("{}/connect/token", sandbox.base_url())),
        })
        .credentials(CheckoutCredentials::OAuth {
            client_id: c.checkout_client_id.clone(),
            client_secret: SecretString::from(c.checkout_client_secret.clone()),
        })
}

/// Checkout configuration for the sandbox with the secret key.
pub fn sandbox_checkout_secret_key(sandbox: &Sandbox) -> CheckoutConfigBuilder {
    CheckoutConfig::builder()
        .environment(CheckoutEnvironment::Custom {
            base_url: sandbox.base_url().to_owned(),
            token_url: None,
        })
        .credentials(CheckoutCredentials::SecretKey(SecretString::from(
            sandbox.config().checkout_secret_key.clone(),
        )))
}

/// Flex options that accept the sandbox as `flx.origin`.
pub fn sandbox_flex_options(sandbox: &Sandbox) -> FlexOptions {
    FlexOptions {
        allowed_origins: Some(vec![sandbox.base_url().to_owned()]),
        ..FlexOptions::default()
    }
}

impl Targets {
    /// Everything against `sandbox`.
    pub fn sandbox(sandbox: &Sandbox) -> Result<Self, payclient::Error> {
        Self::sandbox_with_prefix(sandbox, IntelligentCommercePrefix::default())
    }

    /// Everything against `sandbox`, Intelligent Commerce under `prefix`.
    pub fn sandbox_with_prefix(
        sandbox: &Sandbox,
        prefix: IntelligentCommercePrefix,
    ) -> Result<Self, payclient::Error> {
        let jwt = sandbox_cybersource(sandbox, Authentication::JwtSharedSecret)
            .intelligent_commerce_prefix(prefix)
            .build()?;
        let signature = sandbox_cybersource(sandbox, Authentication::HttpSignature).build()?;
        Ok(Self {
            cybersource: CybersourceClient::new(jwt),
            cybersource_signature: CybersourceClient::new(signature),
            flex_options: sandbox_flex_options(sandbox),
            checkout: CheckoutClient::new(sandbox_checkout_oauth(sandbox).build()?)?,
            payload_key: Some(PayloadKey::from_jwk(&sandbox.signed_payload_jwk())?),
            cybersource_target: Target::Sandbox(sandbox.base_url().to_owned()),
            checkout_target: Target::Sandbox(sandbox.base_url().to_owned()),
            passkey_token_id: None,
            passkey_secure_token: None,
        })
    }

    /// Each vendor whose variables are set goes to its test host; the
    /// others go to `sandbox`.
    pub fn from_env(sandbox: &Sandbox) -> Result<Self, payclient::Error> {
        let mut targets = Self::sandbox(sandbox)?;
        if std::env::var_os("CYBERSOURCE_MERCHANT_ID").is_some() {
            let config = CybersourceConfig::from_env()?;
            targets.cybersource_target = Target::Vendor(config.base_url().to_owned());
            targets.cybersource = CybersourceClient::new(config.clone());
            targets.cybersource_signature = CybersourceClient::new(config);
            targets.flex_options = FlexOptions::default();
            targets.payload_key = match std::env::var("ICC_SIGNED_PAYLOAD_JWK") {
                Ok(jwk) => Some(PayloadKey::from_jwk(&serde_json::from_str(&jwk).map_err(
                    |_| payclient::ValidationError::new("ICC_SIGNED_PAYLOAD_JWK", "is not JSON"),
                )?)?),
                Err(_) => None,
            };
            targets.passkey_token_id = std::env::var("PASSKEY_TOKEN_ID").ok();
            targets.passkey_secure_token = std::env::var("PASSKEY_SECURE_TOKEN").ok();
        }
        if std::env::var_os("CHECKOUT_SECRET_KEY").is_some()
            || std::env::var_os("CHECKOUT_CLIENT_ID").is_some()
        {
            let config = CheckoutConfig::from_env()?;
            targets.checkout_target = Target::Vendor(config.base_url().to_owned());
            targets.checkout = CheckoutClient::new(config)?;
        }
        Ok(targets)
    }
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The product.
    pub product: &'static str,
    /// The operation (or local check).
    pub operation: String,
    /// HTTP status or outcome, e.g. `201`, `refused locally`.
    pub outcome: String,
    /// Ids and what was verified.
    pub detail: String,
}

/// The steps so far; prints them as they come when asked to.
#[derive(Debug, Default)]
pub struct Report {
    /// Every step, in order.
    pub steps: Vec<Step>,
    print: bool,
}

impl Report {
    /// A report that prints each step.
    pub fn printing() -> Self {
        Self {
            steps: Vec::new(),
            print: true,
        }
    }

    /// A silent report (tests).
    pub fn silent() -> Self {
        Self::default()
    }

    /// Prints a heading.
    pub fn heading(&mut self, title: &str, target: &Target) {
        if self.print {
            println!("\n== {title}  ({target})");
        }
    }

    /// Prints a note that is not a step.
    pub fn note(&mut self, text: &str) {
        if self.print {
            println!("   - {text}");
        }
    }

    /// Records (and prints) a step.
    pub fn step(
        &mut self,
        product: &'static str,
        operation: impl Into<String>,
        outcome: impl Into<String>,
        detail: impl Into<String>,
    ) {
        let step = Step {
            product,
            operation: operation.into(),
            outcome: outcome.into(),
            detail: detail.into(),
        };
        if self.print {
            println!(
                "   ok  {:<34} {:<18} {}",
                step.operation, step.outcome, step.detail
            );
        }
        self.steps.push(step);
    }

    /// The steps of one product.
    pub fn of(&self, product: &str) -> Vec<&Step> {
        self.steps.iter().filter(|s| s.product == product).collect()
    }
}

/// A step that failed.
#[derive(Debug)]
pub struct DemoError {
    /// The product.
    pub product: &'static str,
    /// The operation.
    pub operation: String,
    /// What went wrong.
    pub error: String,
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} failed: {}",
            self.product, self.operation, self.error
        )
    }
}

impl std::error::Error for DemoError {}
