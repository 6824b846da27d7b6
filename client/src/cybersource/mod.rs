//! What Flex, Passkey and Intelligent Commerce share: the configuration,
//! HTTP Signature and JWT authentication, message-level encryption and the
//! vendor's error bodies, plugged into the core pipeline as one
//! [`payclient_core::Vendor`].

mod certificate;
mod config;
mod error_body;
mod mle;
pub mod signature;
mod vendor;

use std::sync::Arc;

use bytes::Bytes;
use payclient_core::{ByteStream, Call, CallSettings, Error, Hooks, Pipeline, Reply};

#[cfg(feature = "p12")]
pub use certificate::P12SigningKey;
pub use certificate::{CertificateError, DEFAULT_MLE_ALIAS, MleCertificate, ResponseMleKey};
pub use config::{
    Authentication, CybersourceConfig, CybersourceConfigBuilder, Environment,
    IntelligentCommercePrefix,
};
pub use error_body::{
    AgenticErrorDetail, CybersourceErrorBody, FieldDetail, TmsErrorDetail, TmsErrorEntry,
};

/// A client for every Cybersource product, sharing one configuration and
/// pipeline; the generated clients are built once, here. Cheap to clone.
#[derive(Clone)]
pub struct CybersourceClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<CybersourceConfig>,
    pipeline: Arc<Pipeline>,
    #[cfg(feature = "cybersource-flex")]
    flex: payclient_raw_cybersource_flex::Client,
    #[cfg(feature = "cybersource-passkey")]
    passkey: payclient_raw_cybersource_passkey::Client,
    #[cfg(feature = "cybersource-intelligent-commerce")]
    intelligent_commerce: payclient_raw_cybersource_intelligent_commerce::Client,
}

impl std::fmt::Debug for CybersourceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CybersourceClient")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl CybersourceClient {
    /// A client for `config`.
    pub fn new(config: CybersourceConfig) -> Self {
        let config = Arc::new(config);
        let vendor = Arc::new(vendor::Cybersource::new(config.clone()));
        let settings: CallSettings = config.settings.clone();
        let pipeline = Arc::new(Pipeline::new(
            vendor,
            settings,
            config.signing_host().to_owned(),
        ));
        let hooks = Hooks::new(pipeline.clone());
        let base_url = config.base_url().to_owned();
        #[cfg(not(any(
            feature = "cybersource-flex",
            feature = "cybersource-passkey",
            feature = "cybersource-intelligent-commerce"
        )))]
        let _ = (&hooks, &base_url);
        Self {
            inner: Arc::new(Inner {
                #[cfg(feature = "cybersource-flex")]
                flex: payclient_raw_cybersource_flex::Client::new_with_client(
                    &base_url,
                    config.http.clone(),
                    hooks.clone(),
                ),
                #[cfg(feature = "cybersource-passkey")]
                passkey: payclient_raw_cybersource_passkey::Client::new_with_client(
                    &base_url,
                    config.http.clone(),
                    hooks.clone(),
                ),
                #[cfg(feature = "cybersource-intelligent-commerce")]
                intelligent_commerce:
                    payclient_raw_cybersource_intelligent_commerce::Client::new_with_client(
                        &format!(
                            "{base_url}{}",
                            config.intelligent_commerce_prefix().as_path()
                        ),
                        config.http.clone(),
                        hooks.clone(),
                    ),
                config,
                pipeline,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CybersourceConfig {
        &self.inner.config
    }

    /// The hooks that authenticate and limit every request: install them in
    /// a generated client built by hand (e.g. for another base URL).
    pub fn hooks(&self) -> Hooks {
        Hooks::new(self.inner.pipeline.clone())
    }

    /// Runs a generated call through this client's pipeline (authenticated,
    /// retried as its operation allows), building it once per attempt:
    /// `client.run(|| calls::CreateAuthenticationOptions { client: client.passkey(), token_id: &id, body: &body })`
    /// (a generated crate's `calls`; a progenitor builder works too).
    pub async fn run<C: Call>(&self, call: impl Fn() -> C) -> Result<Reply<C::Output>, Error> {
        self.inner.pipeline.run(call).await
    }

    /// [`CybersourceClient::run`] for an operation whose success body is raw
    /// bytes (a JWT): the exact bytes, at most the operation's limit.
    pub async fn run_bytes<C: Call<Output = ByteStream>>(
        &self,
        call: impl Fn() -> C,
    ) -> Result<Reply<Bytes>, Error> {
        self.inner.pipeline.run_bytes(call).await
    }

    /// The generated Flex client, authenticated by this client.
    #[cfg(feature = "cybersource-flex")]
    pub fn flex(&self) -> &payclient_raw_cybersource_flex::Client {
        &self.inner.flex
    }

    /// The generated Passkey Service client, authenticated by this client.
    #[cfg(feature = "cybersource-passkey")]
    pub fn passkey(&self) -> &payclient_raw_cybersource_passkey::Client {
        &self.inner.passkey
    }

    /// The generated Intelligent Commerce client (its base URL carries the
    /// configured path prefix), authenticated by this client.
    #[cfg(feature = "cybersource-intelligent-commerce")]
    pub fn intelligent_commerce(&self) -> &payclient_raw_cybersource_intelligent_commerce::Client {
        &self.inner.intelligent_commerce
    }
}
