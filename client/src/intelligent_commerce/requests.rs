//! The requests of the purchase workflow. Each is the generated body with
//! `clientCorrelationId` optional (a UUID is generated when it is absent) and
//! with the developer guide's required fields checked before sending: the
//! type system makes them present, [`check`] makes sure the ones that carry
//! meaning are not empty and that timestamps, amounts and quantities have
//! the form the vendor documents. Every refusal names the field path.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::raw::types;
use crate::amount::Amount;
use payclient_core::ValidationError;

/// Seconds since the epoch as a decimal string, the form of every
/// Intelligent Commerce timestamp (`verificationTimestamp`,
/// `effectiveUntilTime`, `acceptedTime`).
pub fn epoch_seconds(time: DateTime<Utc>) -> String {
    time.timestamp().to_string()
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
    /// The wire form.
    pub fn to_mandate(&self) -> types::Mandate {
        types::Mandate {
            mandate_id: self.mandate_id.clone().unwrap_or_else(crate::random_uuid),
            decline_threshold: types::MandateDeclineThreshold {
                amount: self.decline_threshold.as_str().to_owned(),
                currency_code: self.currency.clone(),
            },
            effective_until_time: epoch_seconds(self.effective_until),
            quantity: self.quantity.map(|q| q.to_string()),
            description: self.description.clone(),
            preferred_merchant_name: self.preferred_merchant_name.clone(),
        }
    }
}

/// `POST …/tokens`: enroll a customer's card.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollCard {
    /// `clientCorrelationId`; generated when `None`.
    #[serde(default)]
    pub client_correlation_id: Option<String>,
    /// `deviceInformation`.
    pub device_information: types::DeviceInformation,
    /// `buyerInformation`.
    #[serde(default)]
    pub buyer_information: Option<types::EnrollCardRequestBuyerInformation>,
    /// `billTo`.
    pub bill_to: types::EnrollCardRequestBillTo,
    /// `consumerIdentity`.
    pub consumer_identity: types::EnrollCardRequestConsumerIdentity,
    /// `paymentInformation`: the TMS token ids.
    pub payment_information: types::PaymentInformation,
    /// `tokenizedCard`.
    #[serde(default)]
    pub tokenized_card: Option<types::EnrollCardRequestTokenizedCard>,
    /// `enrollmentReferenceData`.
    #[serde(default)]
    pub enrollment_reference_data: Option<types::EnrollCardRequestEnrollmentReferenceData>,
    /// `assuranceData`.
    #[serde(default)]
    pub assurance_data: Option<Vec<types::EnrollmentAssuranceData>>,
    /// `consentData`.
    #[serde(default)]
    pub consent_data: Option<Vec<types::EnrollCardRequestConsentDataItem>>,
}

/// `POST …/instructions`: the customer's purchase intent and its mandates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurchaseIntent {
    /// `clientCorrelationId`; generated when `None`.
    #[serde(default)]
    pub client_correlation_id: Option<String>,
    /// `paymentInformation`: the TMS token ids.
    pub payment_information: types::PaymentInformation,
    /// `deviceInformation`.
    pub device_information: types::DeviceInformation,
    /// `tokenizedCard.number`.
    pub tokenized_card: types::TokenizedCardNumber,
    /// `assuranceData`: how the customer authenticated the intent.
    pub assurance_data: Vec<types::AssuranceData>,
    /// `mandates`: what the customer authorised; at least one.
    pub mandates: Vec<types::Mandate>,
    /// `recurringPaymentInformation`.
    #[serde(default)]
    pub recurring_payment_information: Option<types::RecurringPaymentInformation>,
    /// `buyerInformation`.
    #[serde(default)]
    pub buyer_information: Option<types::BuyerReference>,
    /// `consumerPrompt`: what the customer asked for, in their words.
    #[serde(default)]
    pub consumer_prompt: Option<String>,
}

/// `PUT …/instructions/{id}`: the customer changed their intent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurchaseIntentUpdate {
    /// `clientCorrelationId`; generated when `None`.
    #[serde(default)]
    pub client_correlation_id: Option<String>,
    /// `paymentInformation.instrumentIdentifier`.
    pub payment_information: types::InstrumentPaymentInformation,
    /// `deviceInformation`.
    pub device_information: types::DeviceInformation,
    /// `tokenizedCard.number`.
    pub tokenized_card: types::TokenizedCardNumber,
    /// `assuranceData`.
    pub assurance_data: Vec<types::AssuranceData>,
    /// `mandates`: they replace the instruction's mandates; at least one.
    pub mandates: Vec<types::Mandate>,
    /// `recurringPaymentInformation`.
    #[serde(default)]
    pub recurring_payment_information: Option<types::RecurringPaymentInformation>,
    /// `buyerInformation`.
    #[serde(default)]
    pub buyer_information: Option<types::BuyerReference>,
}

/// `PUT …/instructions/{id}/cancel`: the customer will not buy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurchaseIntentCancellation {
    /// `clientCorrelationId`; generated when `None`.
    #[serde(default)]
    pub client_correlation_id: Option<String>,
    /// `deviceInformation`.
    pub device_information: types::DeviceInformation,
    /// `assuranceData`.
    pub assurance_data: Vec<types::CancelAssuranceData>,
}

/// `POST …/instructions/{id}/credentials`: the customer chose a purchase
/// and a card. Checked against the instruction's mandates before sending.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialsRequest {
    /// `clientCorrelationId`; generated when `None`.
    #[serde(default)]
    pub client_correlation_id: Option<String>,
    /// `paymentInformation.instrumentIdentifier`.
    pub payment_information: types::InstrumentPaymentInformation,
    /// `tokenizedCard.number`.
    pub tokenized_card: types::TokenizedCardNumber,
    /// `transactionData`: at least one; each names its mandate in
    /// `agreementInformation[].id` (optional when the instruction has one).
    pub transaction_data: Vec<types::CredentialsTransactionData>,
}

/// `POST …/instructions/{id}/confirmations`: the payment was processed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransactionConfirmation {
    /// `clientCorrelationId`; generated when `None`.
    #[serde(default)]
    pub client_correlation_id: Option<String>,
    /// `transactionData`: at least one.
    pub transaction_data: Vec<types::ConfirmTransactionEventsRequestTransactionDataItem>,
}

pub(crate) mod check {
    //! Field checks; each names the field path and never the value.
    use super::*;

    pub(crate) fn err(field: impl Into<String>, reason: &str) -> ValidationError {
        ValidationError::new(field, reason)
    }

    /// Refuses an empty (or blank) required value, naming the field.
    pub(crate) fn non_empty(field: &str, value: &str) -> Result<(), ValidationError> {
        if value.trim().is_empty() {
            return Err(err(field, "is required and must not be empty"));
        }
        Ok(())
    }

    /// Seconds since the epoch, as the vendor writes them.
    pub(crate) fn epoch(field: &str, value: &str) -> Result<i64, ValidationError> {
        if value.is_empty() || value.len() > 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                field,
                "must be seconds since the epoch as a decimal string",
            ));
        }
        value
            .parse()
            .map_err(|_| err(field, "must be seconds since the epoch"))
    }

    pub(crate) fn amount(field: &str, value: &str) -> Result<Amount, ValidationError> {
        Amount::parse(value).ok_or_else(|| {
            err(
                field,
                "must be a decimal amount (digits, optionally a point and digits)",
            )
        })
    }

    pub(crate) fn currency(field: &str, value: &str) -> Result<(), ValidationError> {
        if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(err(
                field,
                "must be an ISO 4217 alphabetic code (three capital letters)",
            ));
        }
        Ok(())
    }

    pub(crate) fn count(field: &str, value: &str) -> Result<u64, ValidationError> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(field, "must be a whole number as a decimal string"));
        }
        value.parse().map_err(|_| err(field, "is too large"))
    }

    pub(crate) fn correlation_id(given: Option<String>) -> Result<String, ValidationError> {
        match given {
            None => Ok(crate::random_uuid()),
            Some(id) => {
                non_empty("clientCorrelationId", &id)?;
                Ok(id)
            }
        }
    }

    pub(crate) fn device(device: &types::DeviceInformation) -> Result<(), ValidationError> {
        non_empty(
            "deviceInformation.applicationName",
            &device.application_name,
        )?;
        non_empty(
            "deviceInformation.fingerprintSessionId",
            &device.fingerprint_session_id,
        )?;
        non_empty("deviceInformation.ipAddress", &device.ip_address)?;
        non_empty(
            "deviceInformation.deviceData.type",
            &device.device_data.type_,
        )?;
        non_empty(
            "deviceInformation.deviceData.brand",
            &device.device_data.brand,
        )?;
        Ok(())
    }

    pub(crate) fn assurance(
        index: usize,
        method: &str,
        results: &str,
        timestamp: &str,
    ) -> Result<(), ValidationError> {
        let field = |name: &str| format!("assuranceData[{index}].{name}");
        non_empty(&field("verificationMethod"), method)?;
        non_empty(&field("verificationResults"), results)?;
        epoch(&field("verificationTimestamp"), timestamp)?;
        Ok(())
    }

    pub(crate) fn token(
        field: &str,
        value: &payclient_core::Sensitive<String>,
    ) -> Result<(), ValidationError> {
        non_empty(field, value.expose())
    }

    /// The mandates of an initiate or update request, read into the limits
    /// the instruction keeps. `now` refuses a mandate that has already ended.
    pub(crate) fn mandates(
        mandates: &[types::Mandate],
        now: i64,
    ) -> Result<Vec<super::super::instruction::MandateRecord>, ValidationError> {
        if mandates.is_empty() {
            return Err(err("mandates", "must hold at least one mandate"));
        }
        let mut records: Vec<super::super::instruction::MandateRecord> = Vec::new();
        for (i, mandate) in mandates.iter().enumerate() {
            let field = |name: &str| format!("mandates[{i}].{name}");
            non_empty(&field("mandateId"), &mandate.mandate_id)?;
            if records.iter().any(|r| r.mandate_id == mandate.mandate_id) {
                return Err(err(
                    field("mandateId"),
                    "repeats another mandate's id; transactions could not say which one they spend",
                ));
            }
            non_empty(&field("description"), &mandate.description)?;
            let threshold = amount(
                &field("declineThreshold.amount"),
                &mandate.decline_threshold.amount,
            )?;
            currency(
                &field("declineThreshold.currencyCode"),
                &mandate.decline_threshold.currency_code,
            )?;
            let effective_until =
                epoch(&field("effectiveUntilTime"), &mandate.effective_until_time)?;
            if effective_until <= now {
                return Err(err(field("effectiveUntilTime"), "has already passed"));
            }
            let quantity = mandate
                .quantity
                .as_deref()
                .map(|q| count(&field("quantity"), q))
                .transpose()?;
            records.push(super::super::instruction::MandateRecord {
                mandate_id: mandate.mandate_id.clone(),
                decline_threshold: threshold.as_str().to_owned(),
                currency: mandate.decline_threshold.currency_code.clone(),
                effective_until,
                quantity,
                quantity_used: 0,
            });
        }
        Ok(records)
    }

    /// `transactionData[]` of a credentials or confirmation request: at
    /// least one; each with a reference code, a merchant, a decimal total
    /// and an ISO currency. Items are (code, merchant, totalAmount, currency).
    pub(crate) fn transactions<'a>(
        items: impl ExactSizeIterator<
            Item = (
                &'a String,
                &'a types::TransactionMerchantInformation,
                &'a String,
                &'a String,
            ),
        >,
    ) -> Result<(), ValidationError> {
        if items.len() == 0 {
            return Err(err("transactionData", "must hold at least one transaction"));
        }
        for (i, (code, merchant_information, total, currency_code)) in items.enumerate() {
            let prefix = format!("transactionData[{i}]");
            non_empty(&format!("{prefix}.clientReferenceInformation.code"), code)?;
            merchant(&prefix, merchant_information)?;
            amount(
                &format!("{prefix}.orderInformation.amountDetail.totalAmount"),
                total,
            )?;
            currency(
                &format!("{prefix}.orderInformation.amountDetail.currency"),
                currency_code,
            )?;
        }
        Ok(())
    }

    pub(crate) fn merchant(
        prefix: &str,
        merchant: &types::TransactionMerchantInformation,
    ) -> Result<(), ValidationError> {
        non_empty(
            &format!("{prefix}.merchantInformation.merchantName"),
            &merchant.merchant_name,
        )?;
        non_empty(
            &format!("{prefix}.merchantInformation.merchantDescriptor.country"),
            &merchant.merchant_descriptor.country,
        )?;
        non_empty(
            &format!("{prefix}.merchantInformation.merchantDescriptor.url"),
            &merchant.merchant_descriptor.url,
        )?;
        Ok(())
    }
}

impl EnrollCard {
    pub(crate) fn into_body(self) -> Result<types::EnrollCardRequest, ValidationError> {
        let client_correlation_id = check::correlation_id(self.client_correlation_id)?;
        check::non_empty("billTo.country", &self.bill_to.country)?;
        check::non_empty(
            "billTo.countryCallingCode",
            &self.bill_to.country_calling_code,
        )?;
        check::non_empty("billTo.phoneNumber", &self.bill_to.phone_number)?;
        check::non_empty(
            "consumerIdentity.identityType",
            &self.consumer_identity.identity_type,
        )?;
        check::non_empty(
            "consumerIdentity.identityValue",
            &self.consumer_identity.identity_value,
        )?;
        check::device(&self.device_information)?;
        // The guide's own examples send `customer.id` and
        // `paymentInstrument.id` empty; the instrument identifier is the token.
        check::token(
            "paymentInformation.instrumentIdentifier.id",
            &self.payment_information.instrument_identifier.id,
        )?;
        for (i, a) in self.assurance_data.iter().flatten().enumerate() {
            if let Some(t) = &a.verification_timestamp {
                check::epoch(&format!("assuranceData[{i}].verificationTimestamp"), t)?;
            }
        }
        for (i, c) in self.consent_data.iter().flatten().enumerate() {
            if let Some(t) = &c.accepted_time {
                check::epoch(&format!("consentData[{i}].acceptedTime"), t)?;
            }
            if let Some(t) = &c.effective_until {
                check::epoch(&format!("consentData[{i}].effectiveUntil"), t)?;
            }
        }
        Ok(types::EnrollCardRequest {
            client_correlation_id,
            device_information: self.device_information,
            buyer_information: self.buyer_information,
            bill_to: self.bill_to,
            consumer_identity: self.consumer_identity,
            payment_information: self.payment_information,
            tokenized_card: self.tokenized_card,
            enrollment_reference_data: self.enrollment_reference_data,
            assurance_data: self.assurance_data,
            consent_data: self.consent_data,
        })
    }
}

fn check_intent_parts(
    device: &types::DeviceInformation,
    instrument: &types::TokenReference,
    card: &types::TokenizedCardNumber,
    assurance: &[types::AssuranceData],
) -> Result<(), ValidationError> {
    check::device(device)?;
    check::token("paymentInformation.instrumentIdentifier.id", &instrument.id)?;
    check::token("tokenizedCard.number", &card.number)?;
    if assurance.is_empty() {
        return Err(check::err(
            "assuranceData",
            "must hold how the customer authenticated the intent",
        ));
    }
    for (i, a) in assurance.iter().enumerate() {
        check::assurance(
            i,
            &a.verification_method,
            &a.verification_results,
            &a.verification_timestamp,
        )?;
    }
    Ok(())
}

impl PurchaseIntent {
    pub(crate) fn into_body(
        self,
        now: i64,
    ) -> Result<
        (
            types::InitiatePurchaseIntentRequest,
            Vec<super::instruction::MandateRecord>,
        ),
        ValidationError,
    > {
        let client_correlation_id = check::correlation_id(self.client_correlation_id)?;
        check_intent_parts(
            &self.device_information,
            &self.payment_information.instrument_identifier,
            &self.tokenized_card,
            &self.assurance_data,
        )?;
        let mandates = check::mandates(&self.mandates, now)?;
        Ok((
            types::InitiatePurchaseIntentRequest {
                client_correlation_id,
                payment_information: self.payment_information,
                device_information: self.device_information,
                tokenized_card: self.tokenized_card,
                assurance_data: self.assurance_data,
                mandates: self.mandates,
                recurring_payment_information: self.recurring_payment_information,
                buyer_information: self.buyer_information,
                consumer_prompt: self.consumer_prompt,
            },
            mandates,
        ))
    }
}

impl PurchaseIntentUpdate {
    pub(crate) fn into_body(
        self,
        now: i64,
    ) -> Result<
        (
            types::UpdatePurchaseIntentRequest,
            Vec<super::instruction::MandateRecord>,
        ),
        ValidationError,
    > {
        let client_correlation_id = check::correlation_id(self.client_correlation_id)?;
        check_intent_parts(
            &self.device_information,
            &self.payment_information.instrument_identifier,
            &self.tokenized_card,
            &self.assurance_data,
        )?;
        let mandates = check::mandates(&self.mandates, now)?;
        Ok((
            types::UpdatePurchaseIntentRequest {
                client_correlation_id,
                payment_information: self.payment_information,
                device_information: self.device_information,
                tokenized_card: self.tokenized_card,
                assurance_data: self.assurance_data,
                mandates: self.mandates,
                recurring_payment_information: self.recurring_payment_information,
                buyer_information: self.buyer_information,
            },
            mandates,
        ))
    }
}

impl PurchaseIntentCancellation {
    pub(crate) fn into_body(self) -> Result<types::CancelPurchaseIntentRequest, ValidationError> {
        let client_correlation_id = check::correlation_id(self.client_correlation_id)?;
        check::device(&self.device_information)?;
        if self.assurance_data.is_empty() {
            return Err(check::err(
                "assuranceData",
                "must hold how the customer authenticated the cancellation",
            ));
        }
        for (i, a) in self.assurance_data.iter().enumerate() {
            check::assurance(
                i,
                &a.verification_method,
                &a.verification_results,
                &a.verification_timestamp,
            )?;
            check::non_empty(
                &format!("assuranceData[{i}].authenticatedIdentities.id"),
                &a.authenticated_identities.id,
            )?;
        }
        Ok(types::CancelPurchaseIntentRequest {
            client_correlation_id,
            device_information: self.device_information,
            assurance_data: self.assurance_data,
        })
    }
}

impl CredentialsRequest {
    /// Checks the fields; the mandates are checked by the instruction.
    pub(crate) fn into_body(
        self,
    ) -> Result<types::RetrievePaymentCredentialsRequest, ValidationError> {
        let client_correlation_id = check::correlation_id(self.client_correlation_id)?;
        check::token(
            "paymentInformation.instrumentIdentifier.id",
            &self.payment_information.instrument_identifier.id,
        )?;
        check::token("tokenizedCard.number", &self.tokenized_card.number)?;
        check::transactions(self.transaction_data.iter().map(|t| {
            (
                &t.client_reference_information.code,
                &t.merchant_information,
                &t.order_information.amount_detail.total_amount,
                &t.order_information.amount_detail.currency,
            )
        }))?;
        // Product quantities are read (and checked) once, by the mandate
        // guard rails of the instruction.
        Ok(types::RetrievePaymentCredentialsRequest {
            client_correlation_id,
            payment_information: self.payment_information,
            tokenized_card: self.tokenized_card,
            transaction_data: self.transaction_data,
        })
    }
}

impl TransactionConfirmation {
    pub(crate) fn into_body(
        self,
    ) -> Result<types::ConfirmTransactionEventsRequest, ValidationError> {
        let client_correlation_id = check::correlation_id(self.client_correlation_id)?;
        check::transactions(self.transaction_data.iter().map(|t| {
            (
                &t.client_reference_information.code,
                &t.merchant_information,
                &t.order_information.amount_detail.total_amount,
                &t.order_information.amount_detail.currency,
            )
        }))?;
        Ok(types::ConfirmTransactionEventsRequest {
            client_correlation_id,
            transaction_data: self.transaction_data,
        })
    }
}
