//! Cybersource Intelligent Commerce: an AI agent buys for a customer under
//! the mandates the customer set. The workflow follows the developer guide's
//! "Complete a Purchase Workflow": enroll a card, initiate a purchase intent
//! (an [`Instruction`] the caller keeps), optionally update or cancel it,
//! retrieve payment credentials for the chosen purchase (checked against the
//! mandates before anything is sent), then confirm the transaction events.
//! The wire shapes are the vendor's (npm `cybersource-rest-client` 0.0.83,
//! `AgentCapabilitiesApi`); where the guide differs, the spec says so and the
//! README lists it.
//!
//! Requests are the generated types of [`types`]: building one (with its
//! builder, or from JSON with [`crate::request_from_json`]) checks the spec's
//! constraints and names the failing field. The mandate guard rails span
//! fields and requests, and live in [`Instruction`].
//!
//! Every operation is message-level-encryption mandatory: configure JWT
//! authentication with an MLE certificate, or turn MLE off for an operation
//! explicitly with `CybersourceConfigBuilder::mle_for_operation`. The path
//! prefix (`/icc/v1` by default, or `/acp/v1`) is
//! [`CybersourceConfigBuilder::intelligent_commerce_prefix`](crate::cybersource::CybersourceConfigBuilder::intelligent_commerce_prefix).
//!
//! ```
//! use payclient::chrono::{Duration, Utc};
//! use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
//! use payclient::intelligent_commerce::{
//!     Amount, IntelligentCommerceClient, MandateTerms, epoch_seconds, new_correlation_id, types,
//! };
//! use payclient::request_from_json;
//! use payclient::secrecy::SecretString;
//! use payclient_sandbox::Sandbox;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start().await?;
//! let c = sandbox.config();
//! let config = CybersourceConfig::builder()
//!     .merchant_id(&c.merchant_id)
//!     .key_id(&c.key_id)
//!     .shared_secret(SecretString::from(c.shared_secret.clone()))
//!     .environment(Environment::Custom {
//!         base_url: sandbox.base_url().to_owned(),
//!         signing_host: c.signing_host.clone(),
//!     })
//!     // Every Intelligent Commerce body is encrypted to the vendor's certificate.
//!     .mle_certificate(sandbox.mle_certificate_pem().as_bytes().to_vec())
//!     .build()?;
//! let icc = IntelligentCommerceClient::new(CybersourceClient::new(config));
//!
//! // The customer's mandate: at most 50 USD a purchase, for a week.
//! let mandate = MandateTerms {
//!     mandate_id: None,
//!     decline_threshold: Amount::parse("50.00").ok_or("amount")?,
//!     currency: "USD".to_owned(),
//!     effective_until: Utc::now() + Duration::days(7),
//!     quantity: Some(2),
//!     description: "Party supplies, at most 50 USD a purchase".to_owned(),
//!     preferred_merchant_name: None,
//! }
//! .to_mandate()?;
//! let mandate_id = mandate.mandate_id.to_string();
//! let instrument = "7019989999909760770";
//! let intent: types::InitiatePurchaseIntentRequest = request_from_json(json!({
//!     "clientCorrelationId": new_correlation_id(),
//!     "paymentInformation": {"instrumentIdentifier": {"id": instrument}},
//!     "deviceInformation": {"applicationName": "Shopping Agent", "ipAddress": "192.0.2.10",
//!         "fingerprintSessionId": new_correlation_id(), "country": "US",
//!         "deviceData": {"type": "Mobile", "brand": "Apple", "manufacturer": "Apple"}},
//!     "assuranceData": [{"verificationType": "DEVICE", "verificationEntity": "10",
//!         "verificationEvents": ["01"], "verificationMethod": "02", "verificationResults": "01",
//!         "verificationTimestamp": epoch_seconds(Utc::now())}],
//!     "mandates": [mandate],
//!     "consumerPrompt": "Buy balloons for Saturday, under 50 dollars"
//! }))?;
//! // The instruction is what the agent keeps (serde) between calls.
//! let mut instruction = icc.initiate_purchase_intent(intent).await?;
//!
//! let purchase = |amount: &str| -> Result<types::RetrievePaymentCredentialsRequest, payclient::ValidationError> {
//!     request_from_json(json!({
//!         "clientCorrelationId": new_correlation_id(),
//!         "paymentInformation": {"instrumentIdentifier": {"id": instrument}},
//!         "transactionData": [{
//!             "clientReferenceInformation": {"code": "order-5023"},
//!             "mandateReferenceData": [{"mandateId": mandate_id}],
//!             "type": "PURCHASE",
//!             "orderInformation": {
//!                 "amountDetail": {"totalAmount": amount, "currency": "USD"},
//!                 "lineItems": [{"items": {"productName": "Balloons", "quantity": "1"}}]},
//!             "merchantInformation": {"merchantName": "Balloon Shop",
//!                 "merchantDescriptor": {"country": "US", "url": "https://balloons.example"}}
//!         }]
//!     }))
//! };
//! // Within the mandate: the vendor answers the credentials, signed.
//! let credentials = icc.retrieve_payment_credentials(&mut instruction, purchase("19.99")?).await?;
//! assert!(credentials.signed_payload().is_some());
//! // Above it: refused here, and nothing is sent.
//! let requests = sandbox.requests();
//! let refused = icc.retrieve_payment_credentials(&mut instruction, purchase("75.00")?).await;
//! assert!(matches!(refused, Err(payclient::Error::Mandate(_))));
//! assert_eq!(sandbox.requests(), requests);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod instruction;
mod requests;
mod signed_payload;

use std::sync::Arc;
use std::time::SystemTime;

pub use crate::amount::Amount;
pub use instruction::{INSTRUCTION_FORMAT, Instruction, InstructionState, MandateRecord};
/// The generated client for `specs/cybersource-intelligent-commerce.yaml`.
pub use payclient_raw_cybersource_intelligent_commerce as raw;
/// The operations of `specs/cybersource-intelligent-commerce.yaml`.
pub use payclient_raw_cybersource_intelligent_commerce::operations;
/// The request and response types of `specs/cybersource-intelligent-commerce.yaml`.
pub use payclient_raw_cybersource_intelligent_commerce::types;
pub use requests::{MandateTerms, epoch_seconds, new_correlation_id};
pub use signed_payload::{MAX_SIGNED_PAYLOAD_BYTES, PayloadKey, SignedPayload};

use crate::Clock;
use crate::cybersource::CybersourceClient;
use crate::fields::{not_empty_list, path_parameter};
use payclient_core::{DecodeError, Error, Reply};
use raw::calls;

/// The answer to an enrollment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Enrollment {
    /// `status`: `Active`, `Pending` (see `pendingEvents`), or a value this
    /// version does not know.
    pub status: Option<types::EnrollCardResponseStatus>,
    /// The whole answer, with unknown members kept (names only in `Debug`).
    pub reply: Reply<types::EnrollCardResponse>,
}

impl Enrollment {
    /// `pendingEvents`: what a `PENDING` enrollment waits for, e.g.
    /// `PENDING_CARDHOLDER_AUTHENTICATION`.
    pub fn pending_events(&self) -> &[String] {
        &self.reply.value.pending_events
    }
}

/// The answer to a credentials retrieval: `COMPLETED` (HTTP 200) with the
/// first-party `authorization` and the `signedPayload` carrying the
/// credentials, or `PENDING` (HTTP 202) with the `pendingEvents` the
/// customer must clear first. `reply.value.extra` keeps every member the
/// vendor adds, and `Debug` names them without their values.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PaymentCredentials {
    /// `status`: `Completed`, `Pending`, or a value this version does not know.
    pub status: Option<types::CredentialsResponseStatus>,
    /// The whole answer (`authorization` redacted in `Debug`).
    pub reply: Reply<types::CredentialsResponse>,
}

impl PaymentCredentials {
    /// `signedPayload` parsed as a JWS (`None` when the answer has none,
    /// as a `PENDING` one). Verify it with [`SignedPayload::verify`] and the
    /// vendor's key before handing the credentials on.
    pub fn signed_payload(&self) -> Option<Result<SignedPayload, Error>> {
        self.reply
            .value
            .signed_payload
            .as_ref()
            .map(|jws| SignedPayload::parse(jws.expose()))
    }

    /// `pendingEvents` of a `PENDING` answer.
    pub fn pending_events(&self) -> &[String] {
        &self.reply.value.pending_events
    }
}

/// The answer to a confirmation of transaction events: the vendor accepts
/// them (HTTP 202) and answers only the `clientCorrelationId`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Confirmation {
    /// Whether an `APPROVED` event was confirmed, which ends the instruction.
    pub approved: bool,
    /// The whole answer.
    pub reply: Reply<types::ConfirmationResponse>,
}

/// Intelligent Commerce over a [`CybersourceClient`]. Cheap to clone.
#[derive(Clone)]
pub struct IntelligentCommerceClient {
    cybersource: CybersourceClient,
    clock: Clock,
}

impl std::fmt::Debug for IntelligentCommerceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntelligentCommerceClient")
            .field("cybersource", &self.cybersource)
            .finish()
    }
}

impl IntelligentCommerceClient {
    /// With the system clock.
    pub fn new(cybersource: CybersourceClient) -> Self {
        Self::with_clock(cybersource, Arc::new(SystemTime::now))
    }

    /// With `clock` deciding when mandates end (for tests and replays).
    pub fn with_clock(cybersource: CybersourceClient, clock: Clock) -> Self {
        Self { cybersource, clock }
    }

    fn now(&self) -> i64 {
        crate::unix_seconds((self.clock)())
    }

    /// Enrolls a card: `ACTIVE`, or `PENDING` until the customer verifies
    /// their identity.
    pub async fn enroll_card(
        &self,
        request: types::EnrollCardRequest,
    ) -> Result<Enrollment, Error> {
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| calls::EnrollCard {
                client: raw,
                body: &request,
            })
            .await?;
        Ok(Enrollment {
            status: reply.value.status.clone(),
            reply,
        })
    }

    /// Records the customer's purchase intent and returns the
    /// [`Instruction`] to keep. The mandates are checked first (ids unique,
    /// not already ended).
    pub async fn initiate_purchase_intent(
        &self,
        request: types::InitiatePurchaseIntentRequest,
    ) -> Result<Instruction, Error> {
        not_empty_list("assuranceData", &request.assurance_data)?;
        not_empty_list("mandates", &request.mandates)?;
        let mandates = instruction::mandate_records(&request.mandates, self.now())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| calls::InitiatePurchaseIntent {
                client: raw,
                body: &request,
            })
            .await?;
        // The id goes into every follow-on URL: it must have the form the
        // spec gives it, whatever the server sent.
        let instruction_id = match reply.value.instruction_id.as_deref() {
            Some(id)
                if path_parameter::<types::UpdatePurchaseIntentInstructionId>(
                    "instructionId",
                    id,
                )
                .is_ok() =>
            {
                id.to_owned()
            }
            other => {
                return Err(Error::Decode(DecodeError::new(
                    operations::INITIATE_PURCHASE_INTENT.id,
                    Some(reply.status),
                    reply.request_id,
                    if other.is_some() {
                        "the answer's instructionId is not an id payclient can put in a URL (letters, digits, `-`, `_`, at most 128)"
                    } else {
                        "the answer has no instructionId"
                    },
                )));
            }
        };
        Ok(Instruction::new(
            instruction_id,
            request.client_correlation_id.to_string(),
            mandates,
            reply.value.status,
            reply.value.pending_events,
        ))
    }

    /// Replaces the intent's mandates (the customer changed their mind).
    /// Credentials retrieved before must be retrieved again.
    pub async fn update_purchase_intent(
        &self,
        instruction: &mut Instruction,
        request: types::UpdatePurchaseIntentRequest,
    ) -> Result<Reply<types::InstructionResponse>, Error> {
        instruction.require(
            "update_purchase_intent",
            &[
                InstructionState::Active,
                InstructionState::CredentialsRetrieved,
            ],
            "only an instruction that is neither cancelled nor confirmed can be updated",
        )?;
        not_empty_list("assuranceData", &request.assurance_data)?;
        not_empty_list("mandates", &request.mandates)?;
        let mut mandates = instruction::mandate_records(&request.mandates, self.now())?;
        // What was already spent under a mandate stays spent.
        for m in &mut mandates {
            if let Some(old) = instruction
                .mandates
                .iter()
                .find(|o| o.mandate_id == m.mandate_id)
            {
                m.quantity_used = old.quantity_used;
            }
        }
        let instruction_id: types::UpdatePurchaseIntentInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| calls::UpdatePurchaseIntent {
                client: raw,
                instruction_id: &instruction_id,
                body: &request,
            })
            .await?;
        instruction.mandates = mandates;
        instruction.state = InstructionState::Active;
        instruction.note(
            reply.value.status.clone(),
            reply.value.pending_events.clone(),
        );
        Ok(reply)
    }

    /// Cancels the intent; nothing more can be done with it afterwards.
    pub async fn cancel_purchase_intent(
        &self,
        instruction: &mut Instruction,
        request: types::CancelPurchaseIntentRequest,
    ) -> Result<Reply<types::InstructionResponse>, Error> {
        instruction.require(
            "cancel_purchase_intent",
            &[
                InstructionState::Active,
                InstructionState::CredentialsRetrieved,
            ],
            "a cancelled or confirmed instruction cannot be cancelled",
        )?;
        not_empty_list("assuranceData", &request.assurance_data)?;
        let instruction_id: types::CancelPurchaseIntentInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| calls::CancelPurchaseIntent {
                client: raw,
                instruction_id: &instruction_id,
                body: &request,
            })
            .await?;
        instruction.state = InstructionState::Cancelled;
        instruction.note(
            reply.value.status.clone(),
            reply.value.pending_events.clone(),
        );
        Ok(reply)
    }

    /// Retrieves the tokenized credentials for the purchase the customer
    /// chose. Refused before sending when the instruction is not live or
    /// when a transaction breaks its mandate (amount above the decline
    /// threshold, another currency, after `effectiveUntilTime`, beyond the
    /// quantity); [`Error::Mandate`] names the mandate and the limit.
    pub async fn retrieve_payment_credentials(
        &self,
        instruction: &mut Instruction,
        request: types::RetrievePaymentCredentialsRequest,
    ) -> Result<PaymentCredentials, Error> {
        instruction.require(
            "retrieve_payment_credentials",
            &[
                InstructionState::Active,
                InstructionState::CredentialsRetrieved,
            ],
            "credentials can be retrieved only for a live instruction",
        )?;
        not_empty_list("transactionData", &request.transaction_data)?;
        let spent = instruction.check_credentials(&request.transaction_data, self.now())?;
        let instruction_id: types::RetrievePaymentCredentialsInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| calls::RetrievePaymentCredentials {
                client: raw,
                instruction_id: &instruction_id,
                body: &request,
            })
            .await?;
        // A PENDING answer that carries no credentials released nothing: the
        // purchase counts against the mandate once they come (a later
        // retrieval). An answer with credentials counts, whatever its status
        // says, so a contradictory one cannot get past the quantity.
        let pending = reply.value.status == Some(types::CredentialsResponseStatus::Pending)
            && reply.value.authorization.is_none()
            && reply.value.signed_payload.is_none();
        if !pending {
            instruction.record_spent(&spent);
            instruction.state = InstructionState::CredentialsRetrieved;
        }
        instruction.note(
            reply.value.status.as_ref().map(|s| s.as_str().to_owned()),
            reply.value.pending_events.clone(),
        );
        Ok(PaymentCredentials {
            status: reply.value.status.clone(),
            reply,
        })
    }

    /// Tells the vendor what happened to the payment (and the order) after
    /// it was processed; allowed only once credentials were retrieved. A
    /// confirmed `APPROVED` event ends the instruction; other events
    /// (declined, error, ...) leave it open for another try.
    pub async fn confirm_transaction_events(
        &self,
        instruction: &mut Instruction,
        request: types::ConfirmTransactionEventsRequest,
    ) -> Result<Confirmation, Error> {
        let reason = if instruction.state == InstructionState::Active {
            "retrieve payment credentials before confirming"
        } else {
            "a cancelled or confirmed instruction cannot be confirmed"
        };
        instruction.require(
            "confirm_transaction_events",
            &[InstructionState::CredentialsRetrieved],
            reason,
        )?;
        not_empty_list("confirmationData", &request.confirmation_data)?;
        let instruction_id: types::ConfirmTransactionEventsInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| calls::ConfirmTransactionEvents {
                client: raw,
                instruction_id: &instruction_id,
                body: &request,
            })
            .await?;
        let approved = request.confirmation_data.iter().any(|event| {
            event.processor_information.transaction_status
                == types::ConfirmationDataProcessorInformationTransactionStatus::Approved
        });
        if approved {
            instruction.state = InstructionState::Confirmed;
        }
        Ok(Confirmation { approved, reply })
    }
}
