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
    let invalid = |reason: &str| ConfigError::Invalid {
        field,
        reason: reason.to_owned(),
    };
    let secure = match url.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    if !secure {
        return Err(invalid(
            "must be https (plain http only on loopback, for simulators)",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials"));
    }
    // Request paths are checked against the base path as written (see
    // `check_path`), so it must be written as the URL parser reads it.
    if written_path(value).map(|p| p.trim_end_matches('/'))
        != Some(url.path().trim_end_matches('/'))
    {
        return Err(invalid(
            "must have a path without dot segments or characters that need encoding",
        ));
    }
    Ok(url)
}

/// The path of `url` as written: everything after the authority, `""` when
/// there is none; `None` when `url` has no `scheme://`.
pub(crate) fn written_path(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    Some(rest.find('/').map_or("", |at| &rest[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_plain_and_written_as_parsed() {
        for good in [
            "https://api.sandbox.checkout.com",
            "https://apitest.cybersource.com/",
            "https://example.com/acp/v1",
            "http://127.0.0.1:8080/proxy/",
            "http://localhost:9",
        ] {
            assert!(check_url("environment", good).is_ok(), "{good}");
        }
        for (bad, reason) in [
            ("http://example.com", "https"),
            ("api.checkout.com", "not a URL"),
            ("https://example.com/a?x=1", "query"),
            ("https://example.com/a#f", "query or a fragment"),
            ("https://user:pw@example.com", "credentials"),
            ("https://example.com/a/../b", "dot segments"),
            ("https://example.com/a b", "encoding"),
        ] {
            let err = check_url("environment", bad).expect_err(bad);
            assert!(err.to_string().contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn the_written_path_is_what_follows_the_authority() {
        assert_eq!(written_path("https://h"), Some(""));
        assert_eq!(written_path("https://h:1/a/b/"), Some("/a/b/"));
        assert_eq!(written_path("h/a"), None);
    }
}
