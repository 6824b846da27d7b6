//! Cybersource Intelligent Commerce: an AI agent buys for a customer under
//! the mandates the customer set. The workflow follows the developer guide's
//! "Complete a Purchase Workflow": enroll a card, initiate a purchase intent
//! (an [`Instruction`] the caller keeps), optionally update or cancel it,
//! retrieve payment credentials for the chosen purchase (checked against the
//! mandates before anything is sent), then confirm the transaction.
//!
//! Every operation is message-level-encryption mandatory: configure JWT
//! authentication with an MLE certificate, or turn MLE off for an operation
//! explicitly with `CybersourceConfigBuilder::mle_for_operation`. The path
//! prefix (`/acp/v1` or `/icc/v1`) is
//! [`CybersourceConfigBuilder::intelligent_commerce_prefix`](crate::cybersource::CybersourceConfigBuilder::intelligent_commerce_prefix).
//!
//! ```no_run
//! use payclient::cybersource::{CybersourceClient, CybersourceConfig};
//! use payclient::intelligent_commerce::{CredentialsRequest, IntelligentCommerceClient, PurchaseIntent};
//!
//! # async fn run(intent: PurchaseIntent, purchase: CredentialsRequest) -> Result<(), payclient::Error> {
//! let icc = IntelligentCommerceClient::new(CybersourceClient::new(CybersourceConfig::from_env()?));
//! let mut instruction = icc.initiate_purchase_intent(intent).await?;
//! // Save `instruction` (serde) with the customer's session, then later:
//! let credentials = icc.retrieve_payment_credentials(&mut instruction, purchase).await?;
//! # let _ = credentials;
//! # Ok(()) }
//! ```

mod instruction;
mod requests;
mod signed_payload;

use std::sync::Arc;
use std::time::SystemTime;

pub use crate::amount::Amount;
pub use instruction::{Instruction, InstructionState, MandateRecord};
/// The generated client for `specs/cybersource-intelligent-commerce.yaml`.
pub use payclient_raw_cybersource_intelligent_commerce as raw;
/// The operations of `specs/cybersource-intelligent-commerce.yaml`.
pub use payclient_raw_cybersource_intelligent_commerce::operations;
pub use requests::{
    CredentialsRequest, EnrollCard, MandateTerms, PurchaseIntent, PurchaseIntentCancellation,
    PurchaseIntentUpdate, TransactionConfirmation, epoch_seconds,
};
pub use signed_payload::{MAX_SIGNED_PAYLOAD_BYTES, PayloadKey, SignedPayload};

use crate::Clock;
use crate::cybersource::CybersourceClient;
use crate::fields::path_parameter;
use payclient_core::Reply;
use payclient_core::{DecodeError, Error};
use raw::types;

/// The status of an enrolled card.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnrollmentStatus {
    /// `ACTIVE`: the card can be used.
    Active,
    /// `PENDING`: the customer must verify their identity first; the events
    /// say what is awaited (e.g. `PENDING_CARDHOLDER_AUTHENTICATION`).
    Pending(Vec<String>),
    /// A status this library does not know yet (empty when absent).
    Unknown(String),
}

/// The answer to an enrollment.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// The `clientCorrelationId` that was sent.
    pub client_correlation_id: String,
    /// The status.
    pub status: EnrollmentStatus,
    /// The whole answer, with unknown members kept.
    pub reply: Reply<types::EnrollCardResponse>,
}

/// The status of a credentials retrieval or a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionStatus {
    /// `COMPLETED`.
    Completed,
    /// `PENDING`, with the events awaited.
    Pending(Vec<String>),
    /// A status this library does not know yet (empty when absent).
    Unknown(String),
}

impl TransactionStatus {
    fn of(response: &types::TransactionResponse) -> Self {
        match response.status.as_deref() {
            Some("COMPLETED") => TransactionStatus::Completed,
            Some("PENDING") => TransactionStatus::Pending(response.pending_events.clone()),
            other => TransactionStatus::Unknown(other.unwrap_or_default().to_owned()),
        }
    }
}

/// The answer to a credentials retrieval. The vendor delivers the
/// credentials message-level encrypted; `reply.value.extra` keeps every
/// member it sends. `Debug` names those members without their values,
/// since they may carry the credentials.
#[derive(Clone)]
pub struct PaymentCredentials {
    /// The `clientCorrelationId` that was sent.
    pub client_correlation_id: String,
    /// The status.
    pub status: TransactionStatus,
    /// `transactionId`.
    pub transaction_id: Option<String>,
    /// The whole answer.
    pub reply: Reply<types::TransactionResponse>,
}

impl std::fmt::Debug for PaymentCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let members: Vec<&String> = self.reply.value.extra.keys().collect();
        f.debug_struct("PaymentCredentials")
            .field("client_correlation_id", &self.client_correlation_id)
            .field("status", &self.status)
            .field("transaction_id", &self.transaction_id)
            .field("http_status", &self.reply.status)
            .field("request_id", &self.reply.request_id)
            .field("other_members", &members)
            .finish()
    }
}

/// The answer to a confirmation.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// The `clientCorrelationId` that was sent.
    pub client_correlation_id: String,
    /// The status; `COMPLETED` confirms the purchase.
    pub status: TransactionStatus,
    /// `transactionId`.
    pub transaction_id: Option<String>,
    /// The whole answer.
    pub reply: Reply<types::TransactionResponse>,
}

impl Confirmation {
    /// `signedPayload` parsed as a JWS (`None` when the answer has none).
    /// Verify it with [`SignedPayload::verify`] and the vendor's key.
    pub fn signed_payload(&self) -> Option<Result<SignedPayload, Error>> {
        self.reply
            .value
            .signed_payload
            .as_deref()
            .map(SignedPayload::parse)
    }
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
    pub async fn enroll_card(&self, request: EnrollCard) -> Result<Enrollment, Error> {
        let body = request.into_body()?;
        let client_correlation_id = body.client_correlation_id.clone();
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| raw.enroll_card().body(body.clone()))
            .await?;
        let status = match reply.value.status.as_deref() {
            Some("ACTIVE") => EnrollmentStatus::Active,
            Some("PENDING") => EnrollmentStatus::Pending(reply.value.pending_events.clone()),
            other => EnrollmentStatus::Unknown(other.unwrap_or_default().to_owned()),
        };
        Ok(Enrollment {
            client_correlation_id,
            status,
            reply,
        })
    }

    /// Records the customer's purchase intent and returns the
    /// [`Instruction`] to keep. The mandates are checked first (ids unique,
    /// decimal thresholds, ISO currencies, not already ended).
    pub async fn initiate_purchase_intent(
        &self,
        request: PurchaseIntent,
    ) -> Result<Instruction, Error> {
        let (body, mandates) = request.into_body(self.now())?;
        let client_correlation_id = body.client_correlation_id.clone();
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| raw.initiate_purchase_intent().body(body.clone()))
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
        Ok(Instruction {
            instruction_id,
            client_correlation_id,
            state: InstructionState::Active,
            mandates,
            status: reply.value.status,
            pending_events: reply.value.pending_events,
        })
    }

    /// Replaces the intent's mandates (the customer changed their mind).
    /// Credentials retrieved before must be retrieved again.
    pub async fn update_purchase_intent(
        &self,
        instruction: &mut Instruction,
        request: PurchaseIntentUpdate,
    ) -> Result<Reply<types::InstructionResponse>, Error> {
        instruction.require(
            "update_purchase_intent",
            &[
                InstructionState::Active,
                InstructionState::CredentialsRetrieved,
            ],
            "only an instruction that is neither cancelled nor confirmed can be updated",
        )?;
        let (body, mut mandates) = request.into_body(self.now())?;
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
            .run(|| {
                raw.update_purchase_intent()
                    .instruction_id(instruction_id.clone())
                    .body(body.clone())
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
        request: PurchaseIntentCancellation,
    ) -> Result<Reply<types::InstructionResponse>, Error> {
        instruction.require(
            "cancel_purchase_intent",
            &[
                InstructionState::Active,
                InstructionState::CredentialsRetrieved,
            ],
            "a cancelled or confirmed instruction cannot be cancelled",
        )?;
        let body = request.into_body()?;
        let instruction_id: types::CancelPurchaseIntentInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| {
                raw.cancel_purchase_intent()
                    .instruction_id(instruction_id.clone())
                    .body(body.clone())
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
        request: CredentialsRequest,
    ) -> Result<PaymentCredentials, Error> {
        instruction.require(
            "retrieve_payment_credentials",
            &[
                InstructionState::Active,
                InstructionState::CredentialsRetrieved,
            ],
            "credentials can be retrieved only for a live instruction",
        )?;
        let body = request.into_body()?;
        let spent = instruction.check_credentials(&body.transaction_data, self.now())?;
        let client_correlation_id = body.client_correlation_id.clone();
        let instruction_id: types::RetrievePaymentCredentialsInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| {
                raw.retrieve_payment_credentials()
                    .instruction_id(instruction_id.clone())
                    .body(body.clone())
            })
            .await?;
        instruction.record_spent(&spent);
        instruction.state = InstructionState::CredentialsRetrieved;
        instruction.note(
            reply.value.status.clone(),
            reply.value.pending_events.clone(),
        );
        Ok(PaymentCredentials {
            client_correlation_id,
            status: TransactionStatus::of(&reply.value),
            transaction_id: reply.value.transaction_id.clone(),
            reply,
        })
    }

    /// Confirms the transaction after the payment was processed; allowed
    /// only once credentials were retrieved. `COMPLETED` ends the
    /// instruction; another status leaves it open for a later confirmation.
    pub async fn confirm_transaction_events(
        &self,
        instruction: &mut Instruction,
        request: TransactionConfirmation,
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
        let body = request.into_body()?;
        let client_correlation_id = body.client_correlation_id.clone();
        let instruction_id: types::ConfirmTransactionEventsInstructionId =
            path_parameter("instructionId", instruction.id())?;
        let raw = self.cybersource.intelligent_commerce();
        let reply = self
            .cybersource
            .run(|| {
                raw.confirm_transaction_events()
                    .instruction_id(instruction_id.clone())
                    .body(body.clone())
            })
            .await?;
        let status = TransactionStatus::of(&reply.value);
        if status == TransactionStatus::Completed {
            instruction.state = InstructionState::Confirmed;
        }
        instruction.note(
            reply.value.status.clone(),
            reply.value.pending_events.clone(),
        );
        Ok(Confirmation {
            client_correlation_id,
            status,
            transaction_id: reply.value.transaction_id.clone(),
            reply,
        })
    }
}
