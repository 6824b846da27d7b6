//! HTTP settings shared by the vendor configurations.

use std::time::Duration;

use crate::error::ConfigError;

/// The caller's `reqwest::Client`, or timeouts for the default one.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpSettings {
    pub client: Option<reqwest::Client>,
    pub connect_timeout: Option<Duration>,
    pub request_timeout: Option<Duration>,
}

impl HttpSettings {
    /// The caller's client, or one with the timeouts (10 s connect, 30 s per
    /// attempt by default) and payclient's `User-Agent`.
    pub fn build(self) -> Result<reqwest::Client, ConfigError> {
        match self.client {
            Some(client) => Ok(client),
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .timeout(self.request_timeout.unwrap_or(Duration::from_secs(30)))
                .user_agent(crate::USER_AGENT)
                .build()
                .map_err(|_| ConfigError::Invalid {
                    field: "http_client",
                    reason: "the HTTP client could not be built".to_owned(),
                }),
        }
    }
}

/// `https`, or plain `http` on loopback only (local simulators).
pub(crate) fn check_url(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let url = reqwest::Url::parse(value).map_err(|_| ConfigError::Invalid {
        field,
        reason: "is not a URL".to_owned(),
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(ConfigError::Invalid {
            field,
            reason: "must be https (plain http only on loopback, for simulators)".to_owned(),
        }),
    }
}
