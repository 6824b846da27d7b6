//! Cybersource error bodies in their known shapes (the raw body is kept on
//! the error too). Shapes: payments-style `{submitTimeUtc, status, reason,
//! message, details[]}` (also the Flex-style `{correlationId, reason, message,
//! details[], informationLink}` and the 401 `{status, message, code}`), TMS
//! `{errors[]}`, Intelligent Commerce `{error{…}}`, and the gateway's
//! `{"response":{"rmsg":…}}` authentication failure.

use serde::Deserialize;

/// One `details[]` entry of a payments- or Flex-style error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDetail {
    /// The field concerned.
    pub field: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Where (Flex style).
    pub location: Option<String>,
    /// A message (Flex style).
    pub message: Option<String>,
}

/// One entry of a TMS `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct TmsErrorEntry {
    /// e.g. `missingFields`, `invalidFields`, `forbidden`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A message.
    pub message: Option<String>,
    /// The fields concerned.
    #[serde(default)]
    pub details: Vec<TmsErrorDetail>,
}

/// A field named by a TMS error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct TmsErrorDetail {
    /// The field path.
    pub name: Option<String>,
    /// Where it is (body, header…).
    pub location: Option<String>,
}

/// The `detail` of an Intelligent Commerce error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgenticErrorDetail {
    /// Why.
    pub reason: Option<String>,
    /// The offending element.
    pub source: Option<String>,
    /// Its kind (body, header…).
    pub source_type: Option<String>,
    /// A message.
    pub message: Option<String>,
}

/// A Cybersource error body in one of its known shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CybersourceErrorBody {
    /// Payments-, Flex- or 401-style.
    Standard {
        /// `submitTimeUtc`.
        submit_time_utc: Option<String>,
        /// `status`, e.g. `INVALID_REQUEST`.
        status: Option<String>,
        /// `reason`, e.g. `MISSING_FIELD`.
        reason: Option<String>,
        /// `message`.
        message: Option<String>,
        /// `details[]`.
        details: Vec<FieldDetail>,
        /// `correlationId` (Flex style).
        correlation_id: Option<String>,
    },
    /// Token Management Service `{errors[]}`.
    Tms {
        /// `errors[]`.
        errors: Vec<TmsErrorEntry>,
    },
    /// Intelligent Commerce `{error{status, reason, message, detail}}`.
    Agentic {
        /// `status`.
        status: Option<String>,
        /// `reason`.
        reason: Option<String>,
        /// `message`.
        message: Option<String>,
        /// `detail`.
        detail: Option<AgenticErrorDetail>,
    },
    /// The gateway refused the authentication: `{"response":{"rmsg":…}}`.
    AuthenticationFailed {
        /// `rmsg`, e.g. `Authentication Failed`.
        rmsg: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StandardWire {
    submit_time_utc: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    #[serde(default)]
    details: Vec<FieldDetail>,
    correlation_id: Option<String>,
}

#[derive(Deserialize)]
struct AgenticWire {
    status: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    detail: Option<AgenticErrorDetail>,
}

impl CybersourceErrorBody {
    /// Recognizes a body; `None` when it is empty or none of the known shapes.
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(raw).ok()?;
        let object = value.as_object()?;
        if let Some(rmsg) = value
            .pointer("/response/rmsg")
            .and_then(serde_json::Value::as_str)
        {
            return Some(Self::AuthenticationFailed {
                rmsg: rmsg.to_owned(),
            });
        }
        if let Some(errors) = object.get("errors").filter(|e| e.is_array()) {
            let errors = serde_json::from_value(errors.clone()).ok()?;
            return Some(Self::Tms { errors });
        }
        if let Some(error) = object.get("error").filter(|e| e.is_object()) {
            let wire: AgenticWire = serde_json::from_value(error.clone()).ok()?;
            return Some(Self::Agentic {
                status: wire.status,
                reason: wire.reason,
                message: wire.message,
                detail: wire.detail,
            });
        }
        if ["status", "reason", "message", "details"]
            .iter()
            .any(|k| object.contains_key(*k))
        {
            let wire: StandardWire = serde_json::from_value(value).ok()?;
            return Some(Self::Standard {
                submit_time_utc: wire.submit_time_utc,
                status: wire.status,
                reason: wire.reason,
                message: wire.message,
                details: wire.details,
                correlation_id: wire.correlation_id,
            });
        }
        None
    }

    /// The vendor's error code: `reason` (e.g. `MISSING_FIELD`), else
    /// `status`; a TMS error's first `type`; `AUTHENTICATION_FAILED` for the
    /// gateway's refusal.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Standard { status, reason, .. } | Self::Agentic { status, reason, .. } => {
                reason.as_deref().or(status.as_deref())
            }
            Self::Tms { errors } => errors.first().and_then(|e| e.kind.as_deref()),
            Self::AuthenticationFailed { .. } => Some("AUTHENTICATION_FAILED"),
        }
    }

    /// A one-line summary: status, reason and the field names concerned.
    pub fn reason(&self) -> Option<String> {
        let join = |parts: Vec<Option<&str>>| {
            let text: Vec<&str> = parts
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect();
            (!text.is_empty()).then(|| text.join(" "))
        };
        match self {
            Self::Standard {
                status,
                reason,
                details,
                ..
            } => {
                let fields: Vec<&str> = details
                    .iter()
                    .filter_map(|d| d.field.as_deref().or(d.location.as_deref()))
                    .collect();
                let fields = (!fields.is_empty()).then(|| format!("[{}]", fields.join(", ")));
                join(vec![
                    status.as_deref(),
                    reason.as_deref(),
                    fields.as_deref(),
                ])
            }
            Self::Tms { errors } => {
                let parts: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        let names: Vec<&str> =
                            e.details.iter().filter_map(|d| d.name.as_deref()).collect();
                        format!(
                            "{}{}",
                            e.kind.as_deref().unwrap_or("error"),
                            if names.is_empty() {
                                String::new()
                            } else {
                                format!(" [{}]", names.join(", "))
                            }
                        )
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            Self::Agentic {
                status,
                reason,
                detail,
                ..
            } => {
                let source = detail
                    .as_ref()
                    .and_then(|d| d.source.as_deref())
                    .map(|s| format!("[{s}]"));
                join(vec![
                    status.as_deref(),
                    reason.as_deref(),
                    source.as_deref(),
                ])
            }
            Self::AuthenticationFailed { rmsg } => Some(rmsg.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_each_shape() {
        let standard = br#"{"submitTimeUtc":"t","status":"INVALID_REQUEST","reason":"MISSING_FIELD","message":"m","details":[{"field":"fields","reason":"MISSING_FIELD"}]}"#;
        assert_eq!(
            CybersourceErrorBody::parse(standard)
                .and_then(|b| b.reason())
                .as_deref(),
            Some("INVALID_REQUEST MISSING_FIELD [fields]")
        );
        let tms = br#"{"errors":[{"type":"missingFields","message":"m","details":[{"name":"sessionInformation.secureToken","location":"body"}]}]}"#;
        assert_eq!(
            CybersourceErrorBody::parse(tms)
                .and_then(|b| b.reason())
                .as_deref(),
            Some("missingFields [sessionInformation.secureToken]")
        );
        let agentic = br#"{"error":{"status":"INVALID_REQUEST","reason":"MISSING_FIELD","message":"m","detail":{"source":"clientCorrelationId"}}}"#;
        assert_eq!(
            CybersourceErrorBody::parse(agentic)
                .and_then(|b| b.reason())
                .as_deref(),
            Some("INVALID_REQUEST MISSING_FIELD [clientCorrelationId]")
        );
        let auth = br#"{"response":{"rmsg":"Authentication Failed"}}"#;
        assert_eq!(
            CybersourceErrorBody::parse(auth),
            Some(CybersourceErrorBody::AuthenticationFailed {
                rmsg: "Authentication Failed".into()
            })
        );
        assert_eq!(CybersourceErrorBody::parse(b""), None);
        assert_eq!(CybersourceErrorBody::parse(b"<html>"), None);
        assert_eq!(CybersourceErrorBody::parse(br#"{"other":1}"#), None);
    }
}
