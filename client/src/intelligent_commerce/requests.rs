//! Helpers for building the generated request types of the purchase
//! workflow. The types themselves enforce the spec's constraints (required
//! members, non-empty text, timestamp, amount and currency forms) when they
//! are built or read; the rules that span fields (mandates) live in
//! [`super::Instruction`].

use chrono::{DateTime, Utc};

use super::raw::types;
use crate::amount::Amount;
use payclient_core::ValidationError;

/// Seconds since the epoch as a decimal string, the form of every
/// Intelligent Commerce timestamp (`verificationTimestamp`,
/// `effectiveUntilTime`, `acceptedTime`).
pub fn epoch_seconds(time: DateTime<Utc>) -> String {
    time.timestamp().to_string()
}

/// A fresh `clientCorrelationId` (a random UUID).
pub fn new_correlation_id() -> String {
    crate::random_uuid()
}

/// A mandate as the customer states it, with typed time and limits; becomes
/// the wire's `mandates[]` item.
#[derive(Debug, Clone)]
pub struct MandateTerms {
    /// `mandateId`; a UUID is generated when `None`.
    pub mandate_id: Option<String>,
    /// `declineThreshold.amount`: purchases above it are declined.
    pub decline_threshold: Amount,
    /// `declineThreshold.currencyCode` (ISO 4217 alphabetic, e.g. `USD`).
    pub currency: String,
    /// `effectiveUntilTime`.
    pub effective_until: DateTime<Utc>,
    /// `quantity`: how many items the agent may buy under it, if limited.
    pub quantity: Option<u64>,
    /// `description`.
    pub description: String,
    /// `preferredMerchantName`.
    pub preferred_merchant_name: Option<String>,
}

impl MandateTerms {
    /// The wire form, checked against the spec (the failing field named as
    /// in the wire form, e.g. `declineThreshold.currencyCode`).
    pub fn to_mandate(&self) -> Result<types::Mandate, ValidationError> {
        let mut value = serde_json::json!({
            "mandateId": self.mandate_id.clone().unwrap_or_else(crate::random_uuid),
            "declineThreshold": {
                "amount": self.decline_threshold.as_str(),
                "currencyCode": self.currency,
            },
            "effectiveUntilTime": epoch_seconds(self.effective_until),
            "description": self.description,
        });
        if let Some(quantity) = self.quantity {
            value["quantity"] = quantity.to_string().into();
        }
        if let Some(name) = &self.preferred_merchant_name {
            value["preferredMerchantName"] = name.clone().into();
        }
        crate::request_from_json(value)
    }
}
