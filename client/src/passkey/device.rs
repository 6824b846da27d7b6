//! Building the parts every Passkey request shares: the cardholder's browser
//! (from the incoming HTTP request's headers where possible, the rest from
//! the iframe's `browserData`), the merchant descriptor and the amount.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, USER_AGENT};

use super::currency::{alphabetic_currency, numeric_currency};
use super::raw::types;
use crate::amount::Amount;
use payclient_core::ValidationError;

/// The cardholder's browser, as `deviceInformation` describes it. Fill it
/// from the request headers ([`BrowserDevice::from_headers`]) and the
/// iframe's `browserData` ([`crate::passkey::IframeOutput::browser_device`]),
/// then [`BrowserDevice::build`] checks that every required member is there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowserDevice {
    /// `platformType` (`WEB` for a browser).
    pub platform_type: Option<String>,
    /// `ipAddress`.
    pub ip_address: Option<String>,
    /// `httpAcceptContent`: the browser's `Accept` header.
    pub accept: Option<String>,
    /// `httpBrowserLanguage`, e.g. `en-US`.
    pub language: Option<String>,
    /// `httpBrowserJavaEnabled`.
    pub java_enabled: Option<bool>,
    /// `httpBrowserJavaScriptEnabled`.
    pub javascript_enabled: Option<bool>,
    /// `httpBrowserColorDepth` in bits, e.g. `24`.
    pub color_depth: Option<String>,
    /// `httpBrowserScreenHeight` in pixels.
    pub screen_height: Option<String>,
    /// `httpBrowserScreenWidth` in pixels.
    pub screen_width: Option<String>,
    /// `httpBrowserTimeDifference`: minutes between UTC and the browser's
    /// time, e.g. `-480`.
    pub time_difference: Option<String>,
    /// `userAgentBrowserValue`: the browser's `User-Agent`.
    pub user_agent: Option<String>,
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl BrowserDevice {
    /// What the cardholder's request to your server tells: `Accept`,
    /// `User-Agent`, the first `Accept-Language` tag, the client's IP (as
    /// your server determined it: proxies make that a deployment decision)
    /// and `platformType` `WEB`. Screen, colour depth, time difference and
    /// Java/JavaScript come from the iframe.
    pub fn from_headers(headers: &HeaderMap, client_ip: IpAddr) -> Self {
        let language = header(headers, ACCEPT_LANGUAGE).and_then(|v| {
            v.split(',')
                .next()
                .and_then(|tag| tag.split(';').next())
                .map(|tag| tag.trim().to_owned())
                .filter(|tag| !tag.is_empty() && tag != "*")
        });
        Self {
            platform_type: Some("WEB".to_owned()),
            ip_address: Some(client_ip.to_string()),
            accept: header(headers, ACCEPT),
            language,
            user_agent: header(headers, USER_AGENT),
            ..Self::default()
        }
    }

    /// Fills every member this one lacks from `other` (e.g. headers first,
    /// then the iframe's `browserData`).
    pub fn or(self, other: BrowserDevice) -> Self {
        Self {
            platform_type: self.platform_type.or(other.platform_type),
            ip_address: self.ip_address.or(other.ip_address),
            accept: self.accept.or(other.accept),
            language: self.language.or(other.language),
            java_enabled: self.java_enabled.or(other.java_enabled),
            javascript_enabled: self.javascript_enabled.or(other.javascript_enabled),
            color_depth: self.color_depth.or(other.color_depth),
            screen_height: self.screen_height.or(other.screen_height),
            screen_width: self.screen_width.or(other.screen_width),
            time_difference: self.time_difference.or(other.time_difference),
            user_agent: self.user_agent.or(other.user_agent),
        }
    }

    /// The wire form, with every required member present and well formed.
    pub fn build(self) -> Result<types::BrowserDeviceInformation, ValidationError> {
        fn text(name: &str, value: Option<String>) -> Result<String, ValidationError> {
            check_text(name, value.as_deref())?;
            // Checked just above: present.
            Ok(value.unwrap_or_default())
        }
        fn number(
            name: &str,
            value: Option<String>,
            signed: bool,
        ) -> Result<String, ValidationError> {
            check_number(name, value.as_deref(), signed)?;
            Ok(value.unwrap_or_default())
        }
        check_ip_address(self.ip_address.as_deref())?;
        let ip_address = self.ip_address.unwrap_or_default();
        Ok(types::BrowserDeviceInformation {
            platform_type: text("platformType", self.platform_type)?,
            ip_address,
            http_accept_content: text("httpAcceptContent", self.accept)?,
            http_browser_language: text("httpBrowserLanguage", self.language)?,
            http_browser_java_enabled: self.java_enabled.ok_or_else(|| {
                ValidationError::new("deviceInformation.httpBrowserJavaEnabled", "is required")
            })?,
            http_browser_java_script_enabled: self.javascript_enabled.ok_or_else(|| {
                ValidationError::new(
                    "deviceInformation.httpBrowserJavaScriptEnabled",
                    "is required",
                )
            })?,
            http_browser_color_depth: number("httpBrowserColorDepth", self.color_depth, false)?,
            http_browser_screen_height: number(
                "httpBrowserScreenHeight",
                self.screen_height,
                false,
            )?,
            http_browser_screen_width: number("httpBrowserScreenWidth", self.screen_width, false)?,
            http_browser_time_difference: number(
                "httpBrowserTimeDifference",
                self.time_difference,
                true,
            )?,
            user_agent_browser_value: text("userAgentBrowserValue", self.user_agent)?,
        })
    }
}

/// A required text member: present and not blank.
fn check_text(name: &str, value: Option<&str>) -> Result<(), ValidationError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(()),
        _ => Err(ValidationError::new(
            format!("deviceInformation.{name}"),
            "is required",
        )),
    }
}

/// A required whole number of at most six digits, `-` allowed if `signed`.
fn check_number(name: &str, value: Option<&str>, signed: bool) -> Result<(), ValidationError> {
    check_text(name, value)?;
    let v = value.unwrap_or_default();
    let digits = if signed {
        v.strip_prefix('-').unwrap_or(v)
    } else {
        v
    };
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(
            format!("deviceInformation.{name}"),
            "must be a whole number",
        ));
    }
    Ok(())
}

fn check_ip_address(value: Option<&str>) -> Result<(), ValidationError> {
    check_text("ipAddress", value)?;
    if value.unwrap_or_default().parse::<IpAddr>().is_err() {
        return Err(ValidationError::new(
            "deviceInformation.ipAddress",
            "must be an IPv4 or IPv6 address",
        ));
    }
    Ok(())
}

/// The rules of [`BrowserDevice::build`], applied to a wire form however it
/// was made, without copying it.
pub(crate) fn check_wire(device: &types::BrowserDeviceInformation) -> Result<(), ValidationError> {
    let d = device;
    check_ip_address(Some(&d.ip_address))?;
    for (name, value) in [
        ("platformType", &d.platform_type),
        ("httpAcceptContent", &d.http_accept_content),
        ("httpBrowserLanguage", &d.http_browser_language),
    ] {
        check_text(name, Some(value))?;
    }
    for (name, value, signed) in [
        ("httpBrowserColorDepth", &d.http_browser_color_depth, false),
        (
            "httpBrowserScreenHeight",
            &d.http_browser_screen_height,
            false,
        ),
        (
            "httpBrowserScreenWidth",
            &d.http_browser_screen_width,
            false,
        ),
        (
            "httpBrowserTimeDifference",
            &d.http_browser_time_difference,
            true,
        ),
    ] {
        check_number(name, Some(value), signed)?;
    }
    check_text("userAgentBrowserValue", Some(&d.user_agent_browser_value))
}

fn check_descriptor(name: &str, url: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::new(
            "merchantInformation.merchantDescriptor.name",
            "is required",
        ));
    }
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => Ok(()),
        _ => Err(ValidationError::new(
            "merchantInformation.merchantDescriptor.url",
            "must be an http(s) URL",
        )),
    }
}

/// The merchant descriptor as the authentication requests send it: name and
/// URL base64-encoded without padding (the guide's
/// `"TWVyY2hhbnQgVlphRjVYQmo"` is `Merchant VZaF5XBj`).
pub fn encoded_merchant(
    name: &str,
    url: &str,
) -> Result<types::MerchantInformation, ValidationError> {
    check_descriptor(name, url)?;
    Ok(types::MerchantInformation {
        merchant_descriptor: types::MerchantInformationMerchantDescriptor {
            name: STANDARD_NO_PAD.encode(name),
            url: STANDARD_NO_PAD.encode(url),
            alternate_name: None,
        },
    })
}

/// The merchant descriptor as the payment-credentials request sends it:
/// plain name and URL.
pub fn plain_merchant(
    name: &str,
    url: &str,
) -> Result<types::MerchantInformation, ValidationError> {
    check_descriptor(name, url)?;
    Ok(types::MerchantInformation {
        merchant_descriptor: types::MerchantInformationMerchantDescriptor {
            name: name.to_owned(),
            url: url.to_owned(),
            alternate_name: None,
        },
    })
}

fn amount(total: &str) -> Result<String, ValidationError> {
    Amount::parse(total)
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| {
            ValidationError::new(
                "orderInformation.amountDetails.totalAmount",
                "must be a decimal amount (digits, optionally a point and digits)",
            )
        })
}

/// The amount as the authentication requests send it: a decimal total and
/// the numeric ISO 4217 code (`"EUR"` becomes `"978"`).
pub fn amount_numeric(
    total: &str,
    currency: &str,
) -> Result<types::AmountDetails, ValidationError> {
    amount_details(total, numeric_currency(currency))
}

/// The amount as the payment-credentials request sends it: a decimal total
/// and the alphabetic ISO 4217 code (`"978"` becomes `"EUR"`).
pub fn amount_alphabetic(
    total: &str,
    currency: &str,
) -> Result<types::AmountDetails, ValidationError> {
    amount_details(total, alphabetic_currency(currency))
}

fn amount_details(
    total: &str,
    currency: Option<&'static str>,
) -> Result<types::AmountDetails, ValidationError> {
    let total_amount = amount(total)?;
    let currency = currency.ok_or_else(|| {
        ValidationError::new(
            "orderInformation.amountDetails.currency",
            "is not an ISO 4217 currency code",
        )
    })?;
    Ok(types::AmountDetails {
        total_amount,
        currency: currency.to_owned(),
    })
}
