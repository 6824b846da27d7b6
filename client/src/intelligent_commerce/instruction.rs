//! An instruction (a recorded purchase intent) as a value the caller keeps:
//! its id, the mandates that were sent with it and where it stands in the
//! workflow. It holds no card data, so it can be stored as it is.

use serde::{Deserialize, Serialize};

use super::raw::types;
use crate::amount::Amount;
use payclient_core::{MandateLimit, MandateViolation, ValidationError, WorkflowError};

/// The format [`Instruction`] is written in. Format 0 (payclient 0.1,
/// without a `version` member) has the same members and is read as well.
pub const INSTRUCTION_FORMAT: u32 = 1;

/// Where an instruction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InstructionState {
    /// Initiated (or updated); credentials not retrieved since.
    Active,
    /// Credentials were retrieved; the payment can be confirmed.
    CredentialsRetrieved,
    /// Cancelled: nothing more can be done with it.
    Cancelled,
    /// The vendor accepted a confirmation of an `APPROVED` transaction
    /// event: the purchase is done.
    Confirmed,
}

impl InstructionState {
    fn name(self) -> &'static str {
        match self {
            InstructionState::Active => "Active",
            InstructionState::CredentialsRetrieved => "CredentialsRetrieved",
            InstructionState::Cancelled => "Cancelled",
            InstructionState::Confirmed => "Confirmed",
        }
    }
}

/// One mandate as the instruction keeps it: its limits, read and checked
/// when the intent was sent, and what has been spent against its quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MandateRecord {
    /// `mandateId`.
    pub mandate_id: String,
    /// `declineThreshold.amount`, as sent.
    pub decline_threshold: String,
    /// `declineThreshold.currencyCode`.
    pub currency: String,
    /// `effectiveUntilTime`, seconds since the epoch.
    pub effective_until: i64,
    /// `quantity`, when the mandate limits it.
    pub quantity: Option<u64>,
    /// Items credentials were already retrieved for under this mandate.
    pub quantity_used: u64,
}

/// A purchase intent the vendor recorded. Persist it (it serializes with
/// serde, without card data) and pass it back to each follow-on call; the
/// calls update it only when the vendor accepted the request. Written by
/// hand and versioned ([`INSTRUCTION_FORMAT`]): one stored by the previous
/// format loads, one from a newer payclient is refused with a clear error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Instruction {
    version: u32,
    pub(crate) instruction_id: String,
    pub(crate) client_correlation_id: String,
    pub(crate) state: InstructionState,
    pub(crate) mandates: Vec<MandateRecord>,
    /// The vendor's last `status`, if it gave one.
    pub(crate) status: Option<String>,
    /// The vendor's last `pendingEvents`.
    #[serde(default)]
    pub(crate) pending_events: Vec<String>,
}

/// The members every format has.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredInstruction {
    #[serde(default)]
    version: u32,
    instruction_id: String,
    client_correlation_id: String,
    state: InstructionState,
    mandates: Vec<MandateRecord>,
    status: Option<String>,
    #[serde(default)]
    pending_events: Vec<String>,
}

impl<'de> Deserialize<'de> for Instruction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredInstruction::deserialize(deserializer)?;
        if stored.version > INSTRUCTION_FORMAT {
            return Err(serde::de::Error::custom(format!(
                "this instruction was stored by a newer payclient (format {}); this version reads formats up to {INSTRUCTION_FORMAT}",
                stored.version
            )));
        }
        Ok(Instruction {
            version: INSTRUCTION_FORMAT,
            instruction_id: stored.instruction_id,
            client_correlation_id: stored.client_correlation_id,
            state: stored.state,
            mandates: stored.mandates,
            status: stored.status,
            pending_events: stored.pending_events,
        })
    }
}

/// The mandates of an initiate or update request, read into the limits an
/// instruction keeps: ids unique (a transaction names the one it spends),
/// not already ended at `now`. Their forms (decimal threshold, ISO currency,
/// epoch time, whole quantity) the generated types have checked.
pub(crate) fn mandate_records(
    mandates: &[types::Mandate],
    now: i64,
) -> Result<Vec<MandateRecord>, ValidationError> {
    let mut records: Vec<MandateRecord> = Vec::new();
    for (i, mandate) in mandates.iter().enumerate() {
        let field = |name: &str| format!("mandates[{i}].{name}");
        let id: &str = &mandate.mandate_id;
        if records.iter().any(|r| r.mandate_id == id) {
            return Err(ValidationError::new(
                field("mandateId"),
                "repeats another mandate's id; transactions could not say which one they spend",
            ));
        }
        let threshold = Amount::parse(&mandate.decline_threshold.amount).ok_or_else(|| {
            ValidationError::new(field("declineThreshold.amount"), "is not a decimal amount")
        })?;
        let effective_until: i64 = mandate.effective_until_time.parse().map_err(|_| {
            ValidationError::new(
                field("effectiveUntilTime"),
                "is not seconds since the epoch",
            )
        })?;
        if effective_until <= now {
            return Err(ValidationError::new(
                field("effectiveUntilTime"),
                "has already passed",
            ));
        }
        let quantity = mandate
            .quantity
            .as_deref()
            .map(|q| {
                q.parse::<u64>()
                    .map_err(|_| ValidationError::new(field("quantity"), "is too large"))
            })
            .transpose()?;
        records.push(MandateRecord {
            mandate_id: id.to_owned(),
            decline_threshold: threshold.as_str().to_owned(),
            currency: mandate.decline_threshold.currency_code.to_string(),
            effective_until,
            quantity,
            quantity_used: 0,
        });
    }
    Ok(records)
}

impl Instruction {
    pub(crate) fn new(
        instruction_id: String,
        client_correlation_id: String,
        mandates: Vec<MandateRecord>,
        status: Option<String>,
        pending_events: Vec<String>,
    ) -> Self {
        Self {
            version: INSTRUCTION_FORMAT,
            instruction_id,
            client_correlation_id,
            state: InstructionState::Active,
            mandates,
            status,
            pending_events,
        }
    }

    /// The `instructionId` every follow-on request names.
    pub fn id(&self) -> &str {
        &self.instruction_id
    }

    /// The `clientCorrelationId` of the request that created it.
    pub fn client_correlation_id(&self) -> &str {
        &self.client_correlation_id
    }

    /// Where it stands.
    pub fn state(&self) -> InstructionState {
        self.state
    }

    /// The mandates it carries, with what was spent of each quantity.
    pub fn mandates(&self) -> &[MandateRecord] {
        &self.mandates
    }

    /// The vendor's last `status` for it.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The vendor's last `pendingEvents` for it.
    pub fn pending_events(&self) -> &[String] {
        &self.pending_events
    }

    pub(crate) fn require(
        &self,
        operation: &'static str,
        allowed: &[InstructionState],
        reason: &str,
    ) -> Result<(), WorkflowError> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(WorkflowError::new(operation, self.state.name(), reason))
        }
    }

    /// The guard rails: every transaction of a credentials request must fit
    /// the mandate it names (or the only mandate): not after
    /// `effectiveUntilTime`, in the threshold's currency, at most the
    /// threshold, and within what is left of the quantity. Returns the
    /// quantity each mandate would use, to be recorded once the vendor
    /// accepts the request.
    pub(crate) fn check_credentials(
        &self,
        transactions: &[types::CredentialsTransactionData],
        now: i64,
    ) -> Result<Vec<(usize, u64)>, crate::Error> {
        let mut requested: Vec<u64> = vec![0; self.mandates.len()];
        for (i, t) in transactions.iter().enumerate() {
            let prefix = format!("transactionData[{i}]");
            let references: Vec<Option<&str>> = t
                .mandate_reference_data
                .iter()
                .flatten()
                .map(|m| m.mandate_id.as_deref().map(String::as_str))
                .collect();
            // An entry that names no mandate is ambiguous where there are
            // several: refused rather than guessed.
            if self.mandates.len() > 1
                && let Some(k) = references.iter().position(Option::is_none)
            {
                return Err(ValidationError::new(
                    format!("{prefix}.mandateReferenceData[{k}].mandateId"),
                    "must name the mandate it spends: the instruction has several",
                )
                .into());
            }
            let named: Vec<&str> = references.into_iter().flatten().collect();
            let indices: Vec<usize> = if named.is_empty() {
                if self.mandates.len() != 1 {
                    return Err(ValidationError::new(
                        format!("{prefix}.mandateReferenceData"),
                        "must name the mandate (mandateId) it spends: the instruction has several",
                    )
                    .into());
                }
                vec![0]
            } else {
                let mut found = Vec::new();
                for (k, id) in named.iter().enumerate() {
                    let Some(index) = self.mandates.iter().position(|m| m.mandate_id == *id) else {
                        return Err(ValidationError::new(
                            format!("{prefix}.mandateReferenceData[{k}].mandateId"),
                            "names no mandate of this instruction",
                        )
                        .into());
                    };
                    if !found.contains(&index) {
                        found.push(index);
                    }
                }
                found
            };
            let detail = &t.order_information.amount_detail;
            let amount_field = format!("{prefix}.orderInformation.amountDetail.totalAmount");
            let amount = Amount::parse(&detail.total_amount)
                .ok_or_else(|| ValidationError::new(&amount_field, "is not a decimal amount"))?;
            // Each product line buys its quantity, one when it names none;
            // a quantity of zero would let a purchase through uncounted.
            let mut items = 0u64;
            let mut lines = 0usize;
            let line_items = t.order_information.line_items.iter().flatten();
            for (j, line) in line_items.enumerate() {
                lines += 1;
                let quantity = match line.items.as_ref().and_then(|i| i.quantity.as_ref()) {
                    None => 1,
                    Some(q) => {
                        let field =
                            format!("{prefix}.orderInformation.lineItems[{j}].items.quantity");
                        match q.parse::<u64>() {
                            Ok(0) => {
                                return Err(
                                    ValidationError::new(field, "must be at least 1").into()
                                );
                            }
                            Ok(q) => q,
                            Err(_) => {
                                return Err(ValidationError::new(field, "is too large").into());
                            }
                        }
                    }
                };
                items = items.saturating_add(quantity);
            }
            // A transaction that lists no products buys one thing.
            if lines == 0 {
                items = 1;
            }
            for index in indices {
                let mandate = &self.mandates[index];
                let violation = |field: String, limit: MandateLimit| -> crate::Error {
                    MandateViolation::new(mandate.mandate_id.clone(), field, limit).into()
                };
                if now > mandate.effective_until {
                    return Err(violation(
                        format!("{prefix}.mandateReferenceData"),
                        MandateLimit::Expired {
                            effective_until: mandate.effective_until,
                        },
                    ));
                }
                if !detail.currency.eq_ignore_ascii_case(&mandate.currency) {
                    return Err(violation(
                        format!("{prefix}.orderInformation.amountDetail.currency"),
                        MandateLimit::Currency {
                            allowed: mandate.currency.clone(),
                            requested: detail.currency.to_string(),
                        },
                    ));
                }
                let threshold = Amount::parse(&mandate.decline_threshold).ok_or_else(|| {
                    ValidationError::new(
                        format!("mandates[{index}].declineThreshold.amount"),
                        "in the stored instruction is not a decimal amount",
                    )
                })?;
                if amount > threshold {
                    return Err(violation(
                        amount_field.clone(),
                        MandateLimit::Amount {
                            threshold: mandate.decline_threshold.clone(),
                            currency: mandate.currency.clone(),
                            requested: detail.total_amount.to_string(),
                        },
                    ));
                }
                requested[index] = requested[index].saturating_add(items);
                if let Some(allowed) = mandate.quantity {
                    let total = mandate.quantity_used.saturating_add(requested[index]);
                    if total > allowed {
                        return Err(violation(
                            format!("{prefix}.orderInformation.lineItems"),
                            MandateLimit::Quantity {
                                allowed,
                                used: mandate.quantity_used,
                                requested: requested[index],
                            },
                        ));
                    }
                }
            }
        }
        Ok(requested
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    pub(crate) fn record_spent(&mut self, spent: &[(usize, u64)]) {
        for (index, items) in spent {
            if let Some(m) = self.mandates.get_mut(*index) {
                m.quantity_used = m.quantity_used.saturating_add(*items);
            }
        }
    }

    pub(crate) fn note(&mut self, status: Option<String>, pending_events: Vec<String>) {
        self.status = status;
        self.pending_events = pending_events;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instruction as payclient 0.1 stored it (no `version`).
    const FORMAT_0: &str = r#"{"instructionId":"1-5C8B7367EC00c229ec8a","clientCorrelationId":"c","state":"CREDENTIALS_RETRIEVED","mandates":[{"mandateId":"m","declineThreshold":"100.00","currency":"USD","effectiveUntil":1795690745,"quantity":10,"quantityUsed":6}],"status":"COMPLETED","pendingEvents":[]}"#;

    #[test]
    fn an_instruction_of_the_previous_format_still_loads() {
        let loaded: Instruction = serde_json::from_str(FORMAT_0).expect("format 0");
        assert_eq!(loaded.state(), InstructionState::CredentialsRetrieved);
        assert_eq!(loaded.mandates()[0].quantity_used, 6);
        let written = serde_json::to_value(&loaded).expect("json");
        assert_eq!(written["version"], INSTRUCTION_FORMAT);
        let again: Instruction = serde_json::from_value(written).expect("its own format");
        assert_eq!(again, loaded);
    }

    #[test]
    fn an_instruction_of_a_newer_format_is_refused_clearly() {
        let mut newer: serde_json::Value = serde_json::from_str(FORMAT_0).expect("json");
        newer["version"] = (INSTRUCTION_FORMAT + 1).into();
        let err = serde_json::from_value::<Instruction>(newer).expect_err("newer");
        assert!(
            err.to_string().contains("stored by a newer payclient"),
            "{err}"
        );
    }
}
