//! The state of one cardholder's Passkey flow, as the caller stores it
//! between requests. Written by hand and versioned, so that what a caller
//! stored keeps its meaning when the specs (and the generated types) move:
//! a session is read from the previous format too, and one from a newer
//! payclient is refused with a clear error.

use serde::{Deserialize, Serialize};

use super::iframe::IframeInput;
use super::types;
use payclient_core::{Error, ValidationError, WorkflowError};

/// The format [`PasskeySession`] is written in. Format 0 (payclient 0.1,
/// without a `version` member) has the same members and is read as well.
pub const SESSION_FORMAT: u32 = 1;

/// The `action` values of the guide.
pub(crate) const AUTHENTICATE: &str = "AUTHENTICATE";
pub(crate) const REGISTRATION: &str = "AUTHENTICATION_REGISTRATION";

/// What the iframe needs to authenticate or register: the TMS
/// `authenticationContext`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationContext {
    /// `id` (the iframe's `identifier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
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

impl AuthenticationContext {
    /// The context with these members.
    pub fn new(
        id: Option<String>,
        endpoint: Option<String>,
        payload: Option<String>,
        platform_type: Option<String>,
    ) -> Self {
        Self {
            id,
            endpoint,
            payload,
            platform_type,
        }
    }

    pub(crate) fn from_wire(context: types::AuthenticationContext) -> Self {
        Self::new(
            context.id,
            context.endpoint,
            context.payload,
            context.platform_type,
        )
    }
}

/// One step-up option the issuer offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StepUpChoice {
    /// `id`: what `send_otp`, `validate` and `out_of_band_approved` name.
    pub id: String,
    /// `method` as the vendor wrote it (see [`StepUpChoice::method`]).
    #[serde(rename = "method", default)]
    method_text: String,
    /// `value`: what to show the cardholder (a masked phone or address, a label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `source`: where the OTP comes from, or the app or number to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `requestPayload`: what an out-of-band method hands to the issuer's app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_payload: Option<String>,
}

impl StepUpChoice {
    pub(crate) fn from_wire(option: types::StepUpOption) -> Option<Self> {
        Some(Self {
            id: option.id.filter(|id| !id.is_empty())?,
            method_text: option
                .method
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            value: option.value,
            source: option.source,
            request_payload: option.request_payload,
        })
    }

    /// `method`: `OtpSms`, `AppToApp`, … or `Unknown` for one this version
    /// does not know.
    pub fn method(&self) -> types::StepUpOptionMethod {
        types::StepUpOptionMethod::from(self.method_text.as_str())
    }

    /// Whether the issuer sends a one-time password that `send_otp` asks
    /// for (`OTP_SMS`, `OTP_EMAIL`, `OTP_ONLINE_BANKING`); every other method
    /// is out of band: no OTP is requested; wait for the issuer's approval.
    pub fn sends_otp(&self) -> bool {
        use types::StepUpOptionMethod as M;
        matches!(self.method(), M::OtpSms | M::OtpEmail | M::OtpOnlineBanking)
    }

    /// Whether the issuer reaches the cardholder by itself (app, call): the
    /// opposite of [`StepUpChoice::sends_otp`].
    pub fn is_out_of_band(&self) -> bool {
        !self.sends_otp()
    }
}

/// Where a Passkey session stands: what the caller does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PasskeyStep {
    /// `AUTHENTICATE`: the device and token are registered; run the iframe
    /// with this context, then create payment credentials.
    Authenticate(AuthenticationContext),
    /// `STEP_UP_AUTHENTICATE`: the issuer challenges; pick an option.
    StepUp {
        /// The options the issuer offers.
        options: Vec<StepUpChoice>,
        /// The option an OTP was sent for, if any.
        #[serde(default)]
        otp_sent_for: Option<String>,
    },
    /// `AUTHENTICATION_REGISTRATION`: register the device.
    Register,
    /// Registered: run the iframe with this context, then create payment
    /// credentials.
    Registered(AuthenticationContext),
    /// An `action` this library does not know yet.
    Unknown {
        /// The action as the vendor sent it.
        action: String,
    },
    /// Payment credentials were created.
    Completed,
}

impl PasskeyStep {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            PasskeyStep::Authenticate(_) => "Authenticate",
            PasskeyStep::StepUp { .. } => "StepUp",
            PasskeyStep::Register => "Register",
            PasskeyStep::Registered(_) => "Registered",
            PasskeyStep::Unknown { .. } => "Unknown",
            PasskeyStep::Completed => "Completed",
        }
    }

    /// The step the vendor's `action` leads to.
    pub(crate) fn from_action(
        action: &str,
        context: Option<types::AuthenticationContext>,
        options: Vec<types::StepUpOption>,
    ) -> Self {
        use types::AuthenticationOptionsResponseAction as A;
        match A::from(action) {
            A::Authenticate => PasskeyStep::Authenticate(
                context
                    .map(AuthenticationContext::from_wire)
                    .unwrap_or_default(),
            ),
            A::StepUpAuthenticate => PasskeyStep::StepUp {
                options: options
                    .into_iter()
                    .filter_map(StepUpChoice::from_wire)
                    .collect(),
                otp_sent_for: None,
            },
            A::AuthenticationRegistration => PasskeyStep::Register,
            A::Unknown(action) => PasskeyStep::Unknown { action },
        }
    }
}

/// The state of one cardholder's Passkey flow: token id, correlation id and
/// step. Serializable (it holds no secure token, OTP or FIDO data) so it can
/// wait in the cardholder's session while they use the iframe or their phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeySession {
    version: u32,
    pub(crate) token_id: String,
    pub(crate) client_correlation_id: String,
    pub(crate) step: PasskeyStep,
}

/// The members every format has.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSession {
    #[serde(default)]
    version: u32,
    token_id: String,
    client_correlation_id: String,
    step: PasskeyStep,
}

impl<'de> Deserialize<'de> for PasskeySession {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredSession::deserialize(deserializer)?;
        if stored.version > SESSION_FORMAT {
            return Err(serde::de::Error::custom(format!(
                "this Passkey session was stored by a newer payclient (format {}); this version reads formats up to {SESSION_FORMAT}",
                stored.version
            )));
        }
        Ok(PasskeySession::new(
            stored.token_id,
            stored.client_correlation_id,
            stored.step,
        ))
    }
}

impl PasskeySession {
    pub(crate) fn new(token_id: String, client_correlation_id: String, step: PasskeyStep) -> Self {
        Self {
            version: SESSION_FORMAT,
            token_id,
            client_correlation_id,
            step,
        }
    }

    /// The tokenized card's id.
    pub fn token_id(&self) -> &str {
        &self.token_id
    }

    /// The `clientCorrelationId` every request of this flow carries.
    pub fn client_correlation_id(&self) -> &str {
        &self.client_correlation_id
    }

    /// Where the flow stands.
    pub fn step(&self) -> &PasskeyStep {
        &self.step
    }

    /// The step-up options (empty outside a step-up).
    pub fn step_up_choices(&self) -> &[StepUpChoice] {
        match &self.step {
            PasskeyStep::StepUp { options, .. } => options,
            _ => &[],
        }
    }

    /// What to hand the iframe at an `Authenticate` or `Registered` step.
    pub fn iframe_input(&self) -> Option<IframeInput> {
        match &self.step {
            PasskeyStep::Authenticate(context) => {
                Some(IframeInput::from_tms(AUTHENTICATE, context))
            }
            PasskeyStep::Registered(context) => Some(IframeInput::from_tms(REGISTRATION, context)),
            _ => None,
        }
    }

    pub(crate) fn refuse(&self, operation: &'static str, reason: impl Into<String>) -> Error {
        WorkflowError::new(operation, self.step.name(), reason).into()
    }

    pub(crate) fn choice(
        &self,
        operation: &'static str,
        option_id: &str,
    ) -> Result<StepUpChoice, Error> {
        if !matches!(self.step, PasskeyStep::StepUp { .. }) {
            return Err(self.refuse(
                operation,
                "only a STEP_UP_AUTHENTICATE answer offers step-up options",
            ));
        }
        self.step_up_choices()
            .iter()
            .find(|c| c.id == option_id)
            .cloned()
            .ok_or_else(|| {
                ValidationError::new(
                    "stepUpOption.id",
                    "is not one of the step-up options offered",
                )
                .into()
            })
    }

    /// The issuer approved an out-of-band step-up (app-to-app, customer
    /// service, outbound call): the flow moves on to registration. Nothing
    /// is sent; the guide's next request is the registration.
    pub fn out_of_band_approved(&mut self, option_id: &str) -> Result<(), Error> {
        let choice = self.choice("out_of_band_approved", option_id)?;
        if choice.sends_otp() {
            return Err(self.refuse(
                "out_of_band_approved",
                "this option sends an OTP: validate the code the cardholder received",
            ));
        }
        self.step = PasskeyStep::Register;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sessions as payclient 0.1 stored them (no `version`; generated
    /// members, one the vendor added).
    const FORMAT_0: &[&str] = &[
        r#"{"tokenId":"7010000000016241111","clientCorrelationId":"c","step":{"step":"AUTHENTICATE","id":"ctx","endpoint":"/vts-auth/authenticate","payload":"p","platformType":"WEB","vendorAdded":1}}"#,
        r#"{"tokenId":"7010000000016242222","clientCorrelationId":"c","step":{"step":"STEP_UP","options":[{"id":"YWEw","method":"OTP_SMS","value":"+1 ****1234","source":"issuer"},{"id":"MGZl","method":"APP_TO_APP"}],"otp_sent_for":"YWEw"}}"#,
        r#"{"tokenId":"7010000000016243333","clientCorrelationId":"c","step":{"step":"REGISTER"}}"#,
        r#"{"tokenId":"7010000000016243333","clientCorrelationId":"c","step":{"step":"COMPLETED"}}"#,
    ];

    #[test]
    fn sessions_of_the_previous_format_still_load() {
        for text in FORMAT_0 {
            let session: PasskeySession = serde_json::from_str(text).expect(text);
            let again: PasskeySession =
                serde_json::from_str(&serde_json::to_string(&session).expect("json"))
                    .expect("reads its own format");
            assert_eq!(session, again);
        }
        let step_up: PasskeySession = serde_json::from_str(FORMAT_0[1]).expect("step-up");
        let choices = step_up.step_up_choices();
        assert_eq!(choices.len(), 2);
        assert_eq!(choices[0].method(), types::StepUpOptionMethod::OtpSms);
        assert!(choices[0].sends_otp() && !choices[1].sends_otp());
        let authenticate: PasskeySession = serde_json::from_str(FORMAT_0[0]).expect("auth");
        assert_eq!(
            authenticate.iframe_input().map(|i| i.type_),
            Some("AUTHENTICATE".to_owned())
        );
    }

    #[test]
    fn a_session_from_a_newer_format_is_refused_clearly() {
        let newer =
            r#"{"version":2,"tokenId":"t","clientCorrelationId":"c","step":{"step":"REGISTER"}}"#;
        let err = serde_json::from_str::<PasskeySession>(newer).expect_err("newer");
        assert!(
            err.to_string()
                .contains("stored by a newer payclient (format 2)"),
            "{err}"
        );
        let current = serde_json::to_value(PasskeySession::new(
            "t".into(),
            "c".into(),
            PasskeyStep::Register,
        ))
        .expect("json");
        assert_eq!(current["version"], SESSION_FORMAT);
    }
}
