//! The Visa Token Service iframe and the TMS fields, mapped both ways as the
//! guide's "TMS to Visa Token Service Field Mapping" table says.

use serde::{Deserialize, Deserializer, Serialize};

use super::device::BrowserDevice;
use super::raw::types;
use crate::Sensitive;
use payclient_core::ValidationError;

/// The guide's mapping table, row by row: (TMS field, Visa Token Service
/// iframe field).
pub const IFRAME_FIELD_MAPPING: [(&str, &str); 20] = [
    ("action", "type"),
    ("authenticatedIdentities.data", "fidoResponse.fidoBlob"),
    ("authenticatedIdentities.id", "fidoResponse.identifier"),
    (
        "authenticatedIdentities.relyingPartyId",
        "fidoResponse.rpID",
    ),
    (
        "authenticationContext.endpoint",
        "authenticationContext.endpoint",
    ),
    (
        "authenticationContext.id",
        "authenticationContext.identifier",
    ),
    (
        "authenticationContext.payload",
        "authenticationContext.payload",
    ),
    (
        "authenticationContext.platformType",
        "authenticationContext.platformType",
    ),
    (
        "deviceInformation.httpAcceptContent",
        "browserData.browserHeader",
    ),
    (
        "deviceInformation.httpBrowserColorDepth",
        "browserData.browserColorDepth",
    ),
    (
        "deviceInformation.httpBrowserJavaEnabled",
        "browserData.browserJavaEnabled",
    ),
    (
        "deviceInformation.httpBrowserJavaScriptEnabled",
        "browserData.browserJavascriptEnabled",
    ),
    (
        "deviceInformation.httpBrowserLanguage",
        "browserData.browserLanguage",
    ),
    (
        "deviceInformation.httpBrowserScreenHeight",
        "browserData.browserScreenHeight",
    ),
    (
        "deviceInformation.httpBrowserScreenWidth",
        "browserData.browserScreenWidth",
    ),
    (
        "deviceInformation.httpBrowserTimeDifference",
        "browserData.browserTimeZone",
    ),
    ("deviceInformation.ipAddress", "browserData.ipAddress"),
    ("deviceInformation.platformType", "platformType"),
    (
        "deviceInformation.userAgentBrowserValue",
        "browserData.userAgent",
    ),
    (
        "sessionInformation.secureToken",
        "sessionContext.secureToken",
    ),
];

/// Browsers report numbers as numbers or strings; TMS wants strings.
fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value: Option<serde_json::Value> = Option::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Browsers report flags as booleans or `"true"`/`"false"`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let value: Option<serde_json::Value> = Option::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::Bool(b)) => Some(b),
        Some(serde_json::Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(serde_json::Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// The iframe's `browserData`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrowserData {
    /// `browserHeader` (the `Accept` header).
    #[serde(default)]
    pub browser_header: Option<String>,
    /// `browserColorDepth`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub browser_color_depth: Option<String>,
    /// `browserJavaEnabled`.
    #[serde(default, deserialize_with = "flag")]
    pub browser_java_enabled: Option<bool>,
    /// `browserJavascriptEnabled`.
    #[serde(default, deserialize_with = "flag")]
    pub browser_javascript_enabled: Option<bool>,
    /// `browserLanguage`.
    #[serde(default)]
    pub browser_language: Option<String>,
    /// `browserScreenHeight`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub browser_screen_height: Option<String>,
    /// `browserScreenWidth`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub browser_screen_width: Option<String>,
    /// `browserTimeZone`: minutes from UTC.
    #[serde(default, deserialize_with = "text_or_number")]
    pub browser_time_zone: Option<String>,
    /// `ipAddress`.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// `userAgent`.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// The iframe's `fidoResponse`, once the cardholder authenticated.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct FidoResponse {
    /// `fidoBlob`: the FIDO assertion; never logged.
    #[serde(rename = "fidoBlob")]
    pub fido_blob: Sensitive<String>,
    /// `identifier`.
    pub identifier: String,
    /// `rpID`: the relying party.
    #[serde(rename = "rpID")]
    pub rp_id: String,
}

/// The iframe's `authenticationContext` (what TMS calls the same name,
/// with `identifier` for `id`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IframeAuthenticationContext {
    /// `identifier` (TMS `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// `endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `payload`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `platformType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_type: Option<String>,
}

/// The iframe's `sessionContext`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    /// `secureToken`: never logged.
    pub secure_token: Sensitive<String>,
}

/// What the Visa Token Service iframe hands back to the page (and the page
/// to your server). Unknown members are ignored; every member is optional
/// here and checked where a request needs it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IframeOutput {
    /// `type`: the TMS `action` it performed.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    /// `platformType`.
    #[serde(default)]
    pub platform_type: Option<String>,
    /// `browserData`.
    #[serde(default)]
    pub browser_data: Option<BrowserData>,
    /// `fidoResponse`.
    #[serde(default)]
    pub fido_response: Option<FidoResponse>,
    /// `authenticationContext`.
    #[serde(default)]
    pub authentication_context: Option<IframeAuthenticationContext>,
    /// `sessionContext`.
    #[serde(default)]
    pub session_context: Option<SessionContext>,
}

impl IframeOutput {
    /// `action` ← `type`.
    pub fn action(&self) -> Option<&str> {
        self.type_.as_deref()
    }

    /// `deviceInformation.*` ← `browserData.*` and `platformType`. Combine
    /// with [`BrowserDevice::from_headers`] through [`BrowserDevice::or`].
    pub fn browser_device(&self) -> BrowserDevice {
        let data = self.browser_data.clone().unwrap_or_default();
        BrowserDevice {
            platform_type: self.platform_type.clone(),
            ip_address: data.ip_address,
            accept: data.browser_header,
            language: data.browser_language,
            java_enabled: data.browser_java_enabled,
            javascript_enabled: data.browser_javascript_enabled,
            color_depth: data.browser_color_depth,
            screen_height: data.browser_screen_height,
            screen_width: data.browser_screen_width,
            time_difference: data.browser_time_zone,
            user_agent: data.user_agent,
        }
    }

    /// `sessionInformation.secureToken` ← `sessionContext.secureToken`.
    pub fn secure_token(&self) -> Result<Sensitive<String>, ValidationError> {
        self.session_context
            .as_ref()
            .map(|s| s.secure_token.clone())
            .filter(|t| !t.expose().trim().is_empty())
            .ok_or_else(|| ValidationError::new("sessionContext.secureToken", "is required"))
    }

    /// `authenticatedIdentities[]` ← `fidoResponse` (`data` ← `fidoBlob`,
    /// `id` ← `identifier`, `relyingPartyId` ← `rpID`), with `provider`
    /// (`VISA_PAYMENT_PASSKEY` for Passkey Service).
    pub fn authenticated_identity(
        &self,
        provider: &str,
    ) -> Result<types::AuthenticatedIdentity, ValidationError> {
        let fido = self
            .fido_response
            .as_ref()
            .ok_or_else(|| ValidationError::new("fidoResponse", "is required"))?;
        let required = |field: &str, value: &str| {
            if value.trim().is_empty() {
                Err(ValidationError::new(field, "is required"))
            } else {
                Ok(())
            }
        };
        required("fidoResponse.fidoBlob", fido.fido_blob.expose())?;
        required("fidoResponse.identifier", &fido.identifier)?;
        required("fidoResponse.rpID", &fido.rp_id)?;
        required("authenticatedIdentities.provider", provider)?;
        Ok(types::AuthenticatedIdentity {
            data: fido.fido_blob.clone(),
            id: fido.identifier.clone(),
            relying_party_id: fido.rp_id.clone(),
            provider: provider.to_owned(),
            // The iframe's output does not say how the cardholder unlocked
            // the passkey; set it on the value when the integration knows.
            user_authentication_method: None,
        })
    }

    /// `authenticationContext.*` ← `authenticationContext.*` (`id` ←
    /// `identifier`).
    pub fn authentication_context(&self) -> Option<super::AuthenticationContext> {
        self.authentication_context.as_ref().map(|c| {
            super::AuthenticationContext::new(
                c.identifier.clone(),
                c.endpoint.clone(),
                c.payload.clone(),
                c.platform_type.clone(),
            )
        })
    }
}

/// What the iframe takes to authenticate or register: the TMS `action` as
/// `type` and the TMS `authenticationContext` with `id` as `identifier`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IframeInput {
    /// `type` ← `action`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `authenticationContext` ← TMS `authenticationContext`.
    pub authentication_context: IframeAuthenticationContext,
}

impl IframeInput {
    /// From the TMS `action` and `authenticationContext`.
    pub fn from_tms(action: &str, context: &super::AuthenticationContext) -> Self {
        Self {
            type_: action.to_owned(),
            authentication_context: IframeAuthenticationContext {
                identifier: context.id.clone(),
                endpoint: context.endpoint.clone(),
                payload: context.payload.clone(),
                platform_type: context.platform_type.clone(),
            },
        }
    }
}
