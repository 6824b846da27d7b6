//! The HTTP client a vendor configuration builds, and its URL rules.

use std::time::Duration;

use crate::error::ConfigError;

/// The caller's `reqwest::ClientBuilder` (or a default one) and the timeouts
/// for the default one; every vendor configuration builds its client here.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct HttpSettings {
    /// The caller's builder; its timeouts, TLS and proxy settings apply.
    pub builder: Option<reqwest::ClientBuilder>,
    /// Connect timeout of the default client (10 s when `None`).
    pub connect_timeout: Option<Duration>,
    /// Per-attempt timeout of the default client, body included (30 s when `None`).
    pub request_timeout: Option<Duration>,
}

impl HttpSettings {
    /// The client every request of a configuration goes through: the
    /// caller's builder, or one with the timeouts and `user_agent`.
    /// Redirects are turned off whatever the builder said: a redirect would
    /// carry credentials, a signed body or card data to wherever it points.
    pub fn build(self, user_agent: &str) -> Result<reqwest::Client, ConfigError> {
        let builder = match self.builder {
            Some(builder) => builder,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .timeout(self.request_timeout.unwrap_or(Duration::from_secs(30)))
                .user_agent(user_agent),
        };
        builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ConfigError::Invalid {
                field: "http_client",
                reason: "the HTTP client could not be built".to_owned(),
            })
    }
}

/// Checks that `value` is an `https` URL, or plain `http` on loopback only
/// (local simulators), naming `field` when it is not.
pub fn check_url(field: &'static str, value: &str) -> Result<reqwest::Url, ConfigError> {
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
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(ConfigError::Invalid {
            field,
            reason: "must be https (plain http only on loopback, for simulators)".to_owned(),
        }),
    }
}
