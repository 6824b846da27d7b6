//! The Cybersource transport shared by Flex, Passkey and Intelligent Commerce:
//! configuration, HTTP Signature and JWT authentication, message-level
//! encryption, retries and errors.

mod certificate;
mod config;
mod jwt;
mod mle;
pub mod signature;
mod transport;
pub mod vendor_error;

use std::sync::Arc;

use bytes::Bytes;
use progenitor_client::{ByteStream, ResponseValue};

pub use certificate::{CertificateError, DEFAULT_MLE_ALIAS, MleCertificate, P12SigningKey};
pub use config::{
    Authentication, CybersourceConfig, CybersourceConfigBuilder, Environment,
    IntelligentCommercePrefix,
};

use crate::call::{self, Reply, Vendor};
use crate::{Error, Hooks};
use transport::CybersourceTransport;

/// A client for every Cybersource product, sharing one configuration and
/// transport. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CybersourceClient {
    config: Arc<CybersourceConfig>,
    hooks: Hooks,
}

impl CybersourceClient {
    /// A client for `config`.
    pub fn new(config: CybersourceConfig) -> Self {
        let config = Arc::new(config);
        let hooks = Hooks::new(CybersourceTransport::new(config.clone()));
        Self { config, hooks }
    }

    /// The configuration.
    pub fn config(&self) -> &CybersourceConfig {
        &self.config
    }

    /// The hooks that sign, encrypt and retry; install them in a generated
    /// client built by hand.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// The generated Flex client, authorized by this client's transport.
    #[cfg(feature = "cybersource-flex")]
    pub fn flex(&self) -> crate::flex::raw::Client {
        crate::flex::raw::Client::new_with_client(
            &self.config.base_url,
            self.config.http.clone(),
            self.hooks.clone(),
        )
    }

    /// The generated Passkey Service client, authorized by this client's transport.
    #[cfg(feature = "cybersource-passkey")]
    pub fn passkey(&self) -> crate::passkey::raw::Client {
        crate::passkey::raw::Client::new_with_client(
            &self.config.base_url,
            self.config.http.clone(),
            self.hooks.clone(),
        )
    }

    /// The generated Intelligent Commerce client, authorized by this client's transport.
    #[cfg(feature = "cybersource-intelligent-commerce")]
    pub fn intelligent_commerce(&self) -> crate::intelligent_commerce::raw::Client {
        crate::intelligent_commerce::raw::Client::new_with_client(
            &self.config.base_url,
            self.config.http.clone(),
            self.hooks.clone(),
        )
    }

    /// Sends one generated call and maps its outcome onto [`Error`]:
    /// `client.send("get_public_key", client.flex().get_public_key().kid("zu").send())`.
    pub fn send<T>(
        &self,
        operation: &str,
        call: impl Future<Output = Result<ResponseValue<T>, progenitor_client::Error<ByteStream>>>,
    ) -> impl Future<Output = Result<Reply<T>, Error>> {
        call::run(Vendor::Cybersource, operation, call)
    }

    /// [`CybersourceClient::send`] for an operation whose success body is raw
    /// (a JWT, or mixed bodies): returns the exact bytes, at most `limit`
    /// ([`Error::ResponseTooLarge`] past it).
    pub fn send_bytes(
        &self,
        operation: &str,
        limit: u64,
        call: impl Future<
            Output = Result<ResponseValue<ByteStream>, progenitor_client::Error<ByteStream>>,
        >,
    ) -> impl Future<Output = Result<Reply<Bytes>, Error>> {
        call::run_bytes(Vendor::Cybersource, operation, limit, call)
    }
}
