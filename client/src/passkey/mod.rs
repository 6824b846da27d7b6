//! Cybersource Passkey Service for tokenized cards: ask which authentication
//! applies to a network token on this device, step up with the issuer when
//! it challenges, register the device, and create tokenized credentials
//! (cryptogram and ECI) with the identities the Visa Token Service iframe
//! authenticated.
//!
//! The cardholder's iframe and OTP steps happen between HTTP requests, so
//! the state between steps is a [`PasskeySession`] value: serialize it with
//! the cardholder's session and pass it back to the next call. Each call
//! checks that the session is at a step that allows it ([`Error::Workflow`]
//! otherwise, with nothing sent) and moves it on only when the vendor
//! accepted the request.
//!
//! The registered-device branch against the local sandbox (its tokenized
//! cards choose the branch, see `payclient_sandbox::passkey`):
//!
//! ```
//! use payclient::Sensitive;
//! use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
//! use payclient::passkey::{
//!     AuthenticationRequest, BrowserDevice, CredentialsRequest, IframeOutput, PasskeyClient,
//!     PasskeyStep, amount_alphabetic, amount_numeric, encoded_merchant, plain_merchant,
//! };
//! use payclient::reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};
//! use payclient::secrecy::SecretString;
//! use payclient_sandbox::Sandbox;
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
//!     .build()?;
//! let passkey = PasskeyClient::new(CybersourceClient::new(config));
//!
//! // The cardholder's browser, as the web server sees it.
//! let mut headers = HeaderMap::new();
//! headers.insert(ACCEPT, HeaderValue::from_static("text/html"));
//! headers.insert(USER_AGENT, HeaderValue::from_static("Mozilla/5.0 Firefox/140.0"));
//! let iframe: IframeOutput = serde_json::from_value(serde_json::json!({
//!     "platformType": "WEB",
//!     "browserData": {"browserJavaEnabled": false, "browserJavascriptEnabled": true,
//!         "browserColorDepth": 24, "browserScreenHeight": 1080, "browserScreenWidth": 1920,
//!         "browserTimeZone": 0, "browserLanguage": "en-US"}
//! }))?;
//! let request = AuthenticationRequest {
//!     secure_token: Sensitive::from("secure-token-from-the-iframe"),
//!     authenticator_render_method: "IFRAME".to_owned(),
//!     amount: amount_numeric("25.00", "EUR")?,
//!     merchant: encoded_merchant("Example Shop", "https://shop.example")?,
//!     device: BrowserDevice::from_headers(&headers, "203.0.113.5".parse()?)
//!         .or(iframe.browser_device())
//!         .build()?,
//! };
//! let mut session = passkey
//!     .authentication_options(payclient_sandbox::passkey::REGISTERED_DEVICE_TOKEN_ID, None, &request)
//!     .await?;
//! // A registered device goes straight to the iframe, which authenticates
//! // the cardholder with the passkey and posts back what it saw.
//! assert!(matches!(session.step(), PasskeyStep::Authenticate(_)));
//! let authenticated: IframeOutput = serde_json::from_value(serde_json::json!({
//!     "type": "AUTHENTICATE",
//!     "platformType": "WEB",
//!     "browserData": {"browserHeader": "text/html", "browserLanguage": "en-US",
//!         "browserJavaEnabled": false, "browserJavascriptEnabled": true,
//!         "browserColorDepth": "24", "browserScreenHeight": "1080", "browserScreenWidth": "1920",
//!         "browserTimeZone": "0", "ipAddress": "203.0.113.5", "userAgent": "Mozilla/5.0 Firefox/140.0"},
//!     "fidoResponse": {"fidoBlob": "ZmlkbyBhc3NlcnRpb24", "identifier": "passkey-credential-1",
//!         "rpID": "c2hvcC5leGFtcGxl"}
//! }))?;
//! let credentials = passkey
//!     .payment_credentials(
//!         &mut session,
//!         CredentialsRequest {
//!             transaction_type: "ECOM".to_owned(),
//!             amount: amount_alphabetic("25.00", "978")?,
//!             bill_to: payclient::request_from_json(serde_json::json!({
//!                 "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
//!                 "address1": "1 Analytical Row", "locality": "London",
//!                 "administrativeArea": "LND", "postalCode": "N1 9GU", "country": "GB"}))?,
//!             merchant: plain_merchant("Example Shop", "https://shop.example")?,
//!             device: authenticated.browser_device().build()?,
//!             identities: vec![authenticated.authenticated_identity("order-5023")?],
//!         },
//!     )
//!     .await?;
//! // ECI 05: the cardholder authenticated with the passkey. The cryptogram
//! // is `Sensitive`: its Debug and Display never show it.
//! assert_eq!(credentials.eci(), Some("05"));
//! assert!(!format!("{credentials:?}").contains(credentials.cryptogram().map_or("-", |c| c.expose().as_str())));
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod currency;
mod device;
mod iframe;
mod session;

pub use currency::{alphabetic_currency, numeric_currency};
pub use device::{
    BrowserDevice, amount_alphabetic, amount_numeric, encoded_merchant, plain_merchant,
};
pub use iframe::{
    BrowserData, FidoResponse, IFRAME_FIELD_MAPPING, IframeAuthenticationContext, IframeInput,
    IframeOutput, SessionContext,
};
/// The generated client for `specs/cybersource-passkey.yaml`.
pub use payclient_raw_cybersource_passkey as raw;
/// The operations of `specs/cybersource-passkey.yaml`.
pub use payclient_raw_cybersource_passkey::operations;
pub use session::{
    AuthenticationContext, PasskeySession, PasskeyStep, SESSION_FORMAT, StepUpChoice,
};

use crate::Sensitive;
use crate::cybersource::CybersourceClient;
use crate::fields::{non_empty, path_parameter};
use payclient_core::Reply;
use payclient_core::{DecodeError, Error, ValidationError};
use raw::{calls, types};

/// What the authentication-options and registration requests share: the
/// iframe's secure token, the order amount, the merchant and the browser.
#[derive(Debug, Clone)]
pub struct AuthenticationRequest {
    /// `sessionInformation.secureToken` (from the iframe's `sessionContext`).
    pub secure_token: Sensitive<String>,
    /// `authenticatorRenderMethod`, `IFRAME` in the guide.
    pub authenticator_render_method: String,
    /// `orderInformation.amountDetails` (see [`amount_numeric`]).
    pub amount: types::AmountDetails,
    /// `merchantInformation` (see [`encoded_merchant`]).
    pub merchant: types::MerchantInformation,
    /// `deviceInformation` (see [`BrowserDevice`]).
    pub device: types::BrowserDeviceInformation,
}

/// What registration adds.
#[derive(Debug, Clone)]
pub struct Registrant {
    /// `buyerInformation.language`, e.g. `en_US`.
    pub language: String,
    /// `orderInformation.billTo.email`.
    pub email: String,
    /// `orderInformation.billTo.phoneNumber`.
    pub phone_number: Option<String>,
}

/// What a payment-credentials request carries besides the session.
#[derive(Debug, Clone)]
pub struct CredentialsRequest {
    /// `transactionType`, `ECOM` in the guide.
    pub transaction_type: String,
    /// `orderInformation.amountDetails` (see [`amount_alphabetic`]).
    pub amount: types::AmountDetails,
    /// `orderInformation.billTo`.
    pub bill_to: types::PaymentCredentialsRequestOrderInformationBillTo,
    /// `merchantInformation` (see [`plain_merchant`]).
    pub merchant: types::MerchantInformation,
    /// `deviceInformation`.
    pub device: types::BrowserDeviceInformation,
    /// `authenticatedIdentities` (see [`IframeOutput::authenticated_identity`]).
    pub identities: Vec<types::AuthenticatedIdentity>,
}

/// Which version of the vendor's payment-credentials operation to call.
/// Both take the same request and answer the same credentials; the vendor
/// documents only v3 now and keeps v2 "available for now" (npm
/// `cybersource-rest-client` 0.0.83, `postTokenPaymentCredentials`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CredentialsVersion {
    /// `POST /tms/v2/tokens/{tokenId}/payment-credentials`, as the Passkey
    /// document shows.
    #[default]
    V2,
    /// `POST /tms/v3/tokens/{tokenId}/payment-credentials`.
    V3,
}

/// The vendor's options of a payment-credentials request that the Passkey
/// document does not use. `Default` sends none of them, on v2.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CredentialsOptions {
    /// Which operation to call.
    pub version: CredentialsVersion,
    /// `paymentCredentialType`: what to return besides the token number.
    pub payment_credential_type: Option<types::PaymentCredentialsRequestPaymentCredentialType>,
    /// The `profile-id` header: the TMS profile to use.
    pub profile_id: Option<String>,
}

impl CredentialsOptions {
    /// With `version`.
    pub fn version(mut self, version: CredentialsVersion) -> Self {
        self.version = version;
        self
    }

    /// With `paymentCredentialType`.
    pub fn payment_credential_type(
        mut self,
        value: types::PaymentCredentialsRequestPaymentCredentialType,
    ) -> Self {
        self.payment_credential_type = Some(value);
        self
    }

    /// With the `profile-id` header (checked when the request is made:
    /// letters, digits and `-`, at most 64).
    pub fn profile_id(mut self, value: impl Into<String>) -> Self {
        self.profile_id = Some(value.into());
        self
    }
}

/// How the cardholder proves the step-up: exactly one of the two.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StepUpProof {
    /// `otp`: the code the issuer sent.
    Otp(Sensitive<String>),
    /// `issuerAuthCode`: a code from the issuer's app.
    IssuerAuthCode(Sensitive<String>),
}

/// The issuer's limits for an OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpLimits {
    /// `maxRequestsAllowed`.
    pub max_requests_allowed: Option<i64>,
    /// `maxVerificationAllowed`.
    pub max_verification_allowed: Option<i64>,
    /// `codeExpiration`.
    pub code_expiration: Option<i64>,
}

fn check_shared(request: &AuthenticationRequest) -> Result<(), ValidationError> {
    non_empty(
        "sessionInformation.secureToken",
        request.secure_token.expose(),
    )?;
    non_empty(
        "authenticatorRenderMethod",
        &request.authenticator_render_method,
    )?;
    // The authentication requests carry the numeric ISO 4217 code.
    let numeric = &request.amount.currency;
    if numeric.len() != 3 || !numeric.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(
            "orderInformation.amountDetails.currency",
            "must be the numeric ISO 4217 code here (build it with amount_numeric)",
        ));
    }
    check_amount_and_merchant(&request.amount, &request.merchant)?;
    check_device(&request.device)
}

fn check_amount_and_merchant(
    amount: &types::AmountDetails,
    merchant: &types::MerchantInformation,
) -> Result<(), ValidationError> {
    if crate::Amount::parse(&amount.total_amount).is_none() {
        return Err(ValidationError::new(
            "orderInformation.amountDetails.totalAmount",
            "must be a decimal amount",
        ));
    }
    non_empty(
        "merchantInformation.merchantDescriptor.name",
        &merchant.merchant_descriptor.name,
    )?;
    non_empty(
        "merchantInformation.merchantDescriptor.url",
        &merchant.merchant_descriptor.url,
    )
}

/// The device may come from anywhere; the rules of [`BrowserDevice::build`]
/// apply however it was made.
fn check_device(device: &types::BrowserDeviceInformation) -> Result<(), ValidationError> {
    device::check_wire(device)
}

/// The tokenized credentials: `tokenizedCard` (number, cryptogram, ECI),
/// `card`, `issuer.paymentAccountReference` and `processingInformation`,
/// with unknown members kept. `Debug` shows only the token's state, type
/// and ECI: no number, cryptogram or member the vendor may add later.
#[derive(Clone)]
pub struct TokenizedCredentials {
    /// The whole answer.
    pub reply: Reply<types::PaymentCredentialsResponse>,
}

impl std::fmt::Debug for TokenizedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let card = self.reply.value.tokenized_card.as_ref();
        f.debug_struct("TokenizedCredentials")
            .field("http_status", &self.reply.status)
            .field("request_id", &self.reply.request_id)
            .field("state", &card.and_then(|c| c.state.as_deref()))
            .field("type", &card.and_then(|c| c.type_.as_deref()))
            .field("eci", &self.eci())
            .finish()
    }
}

impl TokenizedCredentials {
    /// `tokenizedCard.eci` (`05` when Passkey authenticated the cardholder).
    pub fn eci(&self) -> Option<&str> {
        self.reply.value.tokenized_card.as_ref()?.eci.as_deref()
    }

    /// `tokenizedCard.cryptogram`.
    pub fn cryptogram(&self) -> Option<&Sensitive<String>> {
        self.reply
            .value
            .tokenized_card
            .as_ref()?
            .cryptogram
            .as_ref()
    }

    /// `tokenizedCard.securityCode`: the dynamic security code (Amex
    /// DCSC; Visa DTVV when `paymentCredentialType` is `SECURITY_CODE`).
    pub fn security_code(&self) -> Option<&Sensitive<String>> {
        self.reply
            .value
            .tokenized_card
            .as_ref()?
            .security_code
            .as_ref()
    }

    /// The payment account reference: `issuer.paymentAccountReference` as
    /// the Passkey document shows it, else the vendor's v3 model's
    /// `tokenizedCard.paymentAccountReference`.
    pub fn payment_account_reference(&self) -> Option<&str> {
        let value = &self.reply.value;
        value
            .issuer
            .as_ref()
            .and_then(|i| i.payment_account_reference.as_deref())
            .or_else(|| {
                value
                    .tokenized_card
                    .as_ref()?
                    .payment_account_reference
                    .as_deref()
            })
    }
}

/// The Passkey Service over a [`CybersourceClient`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PasskeyClient {
    cybersource: CybersourceClient,
}

impl PasskeyClient {
    /// The Passkey Service with `cybersource`'s configuration and transport.
    pub fn new(cybersource: CybersourceClient) -> Self {
        Self { cybersource }
    }

    /// `POST …/authentication-options`: starts a session for `token_id`
    /// (a `clientCorrelationId` is generated when `None`). The session's
    /// step is the vendor's `action`.
    pub async fn authentication_options(
        &self,
        token_id: &str,
        client_correlation_id: Option<String>,
        request: &AuthenticationRequest,
    ) -> Result<PasskeySession, Error> {
        let path_token: types::CreateAuthenticationOptionsTokenId =
            path_parameter("tokenId", token_id)?;
        let client_correlation_id = match client_correlation_id {
            Some(id) => {
                non_empty("clientCorrelationId", &id)?;
                id
            }
            None => crate::random_uuid(),
        };
        check_shared(request)?;
        let body = types::AuthenticationOptionsRequest {
            client_correlation_id: client_correlation_id.clone(),
            session_information: types::SessionInformation {
                secure_token: request.secure_token.clone(),
            },
            authenticator_render_method: request.authenticator_render_method.clone(),
            order_information: types::OrderAmountInformation {
                amount_details: request.amount.clone(),
            },
            merchant_information: request.merchant.clone(),
            device_information: request.device.clone(),
        };
        let raw = self.cybersource.passkey();
        let reply = self
            .cybersource
            .run(|| calls::CreateAuthenticationOptions {
                client: raw,
                token_id: &path_token,
                body: &body,
            })
            .await?;
        let response = reply.value;
        Ok(PasskeySession::new(
            token_id.to_owned(),
            client_correlation_id,
            PasskeyStep::from_action(
                response.action.as_str(),
                response.authentication_context,
                response.step_up_options,
            ),
        ))
    }

    /// `POST …/one-time-passwords`: asks the issuer to send an OTP by the
    /// chosen option. Only for `OTP_SMS`, `OTP_EMAIL` and
    /// `OTP_ONLINE_BANKING`; an out-of-band option is refused (nothing is
    /// sent) since the issuer reaches the cardholder itself.
    pub async fn send_otp(
        &self,
        session: &mut PasskeySession,
        option_id: &str,
    ) -> Result<OtpLimits, Error> {
        let choice = session.choice("send_otp", option_id)?;
        if choice.is_out_of_band() {
            return Err(session.refuse(
                "send_otp",
                "the option is an out-of-band step-up (no OTP): wait for the issuer's approval, then call out_of_band_approved",
            ));
        }
        let body = types::OneTimePasswordRequest {
            client_correlation_id: session.client_correlation_id.clone(),
            step_up_option: types::StepUpOptionReference {
                id: choice.id.clone(),
            },
        };
        let token: types::CreateOneTimePasswordTokenId =
            path_parameter("tokenId", &session.token_id)?;
        let raw = self.cybersource.passkey();
        let reply = self
            .cybersource
            .run(|| calls::CreateOneTimePassword {
                client: raw,
                token_id: &token,
                body: &body,
            })
            .await?;
        if let PasskeyStep::StepUp { otp_sent_for, .. } = &mut session.step {
            *otp_sent_for = Some(choice.id);
        }
        Ok(OtpLimits {
            max_requests_allowed: reply.value.max_requests_allowed,
            max_verification_allowed: reply.value.max_verification_allowed,
            code_expiration: reply.value.code_expiration,
        })
    }

    /// `POST …/validate`: sends the OTP (only after [`PasskeyClient::send_otp`]
    /// for the same option) or an issuer authentication code. A wrong code
    /// is the vendor's error and leaves the session where it was, so the
    /// cardholder can try again within the issuer's limits.
    pub async fn validate(
        &self,
        session: &mut PasskeySession,
        option_id: &str,
        proof: StepUpProof,
    ) -> Result<PasskeyStep, Error> {
        let choice = session.choice("validate", option_id)?;
        let (otp, issuer_auth_code) = match proof {
            StepUpProof::Otp(code) => {
                non_empty("otp", code.expose())?;
                let sent = matches!(&session.step, PasskeyStep::StepUp { otp_sent_for: Some(id), .. } if *id == choice.id);
                if !sent {
                    return Err(session.refuse(
                        "validate",
                        "no OTP was sent for this option: call send_otp first",
                    ));
                }
                (Some(code), None)
            }
            StepUpProof::IssuerAuthCode(code) => {
                non_empty("issuerAuthCode", code.expose())?;
                (None, Some(code))
            }
        };
        let body = types::ValidateAuthenticationRequest {
            client_correlation_id: session.client_correlation_id.clone(),
            step_up_option: types::StepUpOptionReference { id: choice.id },
            otp,
            issuer_auth_code,
        };
        let token: types::ValidateAuthenticationTokenId =
            path_parameter("tokenId", &session.token_id)?;
        let raw = self.cybersource.passkey();
        let reply = self
            .cybersource
            .run(|| calls::ValidateAuthentication {
                client: raw,
                token_id: &token,
                body: &body,
            })
            .await?;
        let action = reply.value.action.as_ref().map_or("", |a| a.as_str());
        session.step = PasskeyStep::from_action(action, None, Vec::new());
        Ok(session.step.clone())
    }

    /// `POST …/authentication-registrations`: registers the device and
    /// token; the session moves to `Registered` with the context the iframe
    /// needs ([`PasskeySession::iframe_input`]).
    pub async fn register(
        &self,
        session: &mut PasskeySession,
        request: &AuthenticationRequest,
        registrant: &Registrant,
    ) -> Result<PasskeyStep, Error> {
        if session.step != PasskeyStep::Register {
            return Err(session.refuse(
                "register",
                "registration follows an AUTHENTICATION_REGISTRATION answer (or an approved out-of-band step-up)",
            ));
        }
        check_shared(request)?;
        non_empty("buyerInformation.language", &registrant.language)?;
        if !registrant.email.contains('@') || registrant.email.trim().len() < 3 {
            return Err(ValidationError::new(
                "orderInformation.billTo.email",
                "must be an email address",
            )
            .into());
        }
        let body = types::AuthenticationRegistrationRequest {
            client_correlation_id: session.client_correlation_id.clone(),
            session_information: types::SessionInformation {
                secure_token: request.secure_token.clone(),
            },
            authenticator_render_method: request.authenticator_render_method.clone(),
            order_information: types::AuthenticationRegistrationRequestOrderInformation {
                amount_details: request.amount.clone(),
                bill_to: types::AuthenticationRegistrationRequestOrderInformationBillTo {
                    email: registrant.email.clone(),
                    phone_number: registrant.phone_number.clone(),
                },
            },
            merchant_information: request.merchant.clone(),
            device_information: request.device.clone(),
            buyer_information: types::AuthenticationRegistrationRequestBuyerInformation {
                language: registrant.language.clone(),
            },
        };
        let token: types::CreateAuthenticationRegistrationTokenId =
            path_parameter("tokenId", &session.token_id)?;
        let raw = self.cybersource.passkey();
        let reply = self
            .cybersource
            .run(|| calls::CreateAuthenticationRegistration {
                client: raw,
                token_id: &token,
                body: &body,
            })
            .await?;
        let Some(context) = reply.value.authentication_context else {
            return Err(Error::Decode(DecodeError::new(
                operations::CREATE_AUTHENTICATION_REGISTRATION.id,
                Some(reply.status),
                reply.request_id,
                "the answer has no authenticationContext",
            )));
        };
        session.step = PasskeyStep::Registered(AuthenticationContext::from_wire(context));
        Ok(session.step.clone())
    }

    /// `POST /tms/v2/tokens/{tokenId}/payment-credentials` with the
    /// identities the iframe authenticated: the cryptogram and ECI for the
    /// payment. Allowed once the cardholder authenticated (`Authenticate`)
    /// or registered (`Registered`).
    pub async fn payment_credentials(
        &self,
        session: &mut PasskeySession,
        request: CredentialsRequest,
    ) -> Result<TokenizedCredentials, Error> {
        self.payment_credentials_with(session, request, CredentialsOptions::default())
            .await
    }

    /// [`Self::payment_credentials`] with the vendor's options: v3,
    /// `paymentCredentialType`, the `profile-id` header.
    pub async fn payment_credentials_with(
        &self,
        session: &mut PasskeySession,
        request: CredentialsRequest,
        options: CredentialsOptions,
    ) -> Result<TokenizedCredentials, Error> {
        if !matches!(
            session.step,
            PasskeyStep::Authenticate(_) | PasskeyStep::Registered(_)
        ) {
            return Err(session.refuse(
                "payment_credentials",
                "payment credentials need a cardholder authenticated or registered through the iframe",
            ));
        }
        non_empty("transactionType", &request.transaction_type)?;
        check_amount_and_merchant(&request.amount, &request.merchant)?;
        if currency::alphabetic_currency(&request.amount.currency).is_none() {
            return Err(ValidationError::new(
                "orderInformation.amountDetails.currency",
                "is not an ISO 4217 currency code",
            )
            .into());
        }
        check_device(&request.device)?;
        let b = &request.bill_to;
        for (field, value) in [
            ("orderInformation.billTo.firstName", &b.first_name),
            ("orderInformation.billTo.lastName", &b.last_name),
            ("orderInformation.billTo.email", &b.email),
            ("orderInformation.billTo.address1", &b.address1),
            ("orderInformation.billTo.locality", &b.locality),
            (
                "orderInformation.billTo.administrativeArea",
                &b.administrative_area,
            ),
            ("orderInformation.billTo.postalCode", &b.postal_code),
            ("orderInformation.billTo.country", &b.country),
        ] {
            non_empty(field, value)?;
        }
        if request.identities.is_empty() {
            return Err(ValidationError::new(
                "authenticatedIdentities",
                "must hold the identities the iframe authenticated",
            )
            .into());
        }
        for (i, identity) in request.identities.iter().enumerate() {
            non_empty(
                &format!("authenticatedIdentities[{i}].data"),
                identity.data.expose(),
            )?;
            non_empty(&format!("authenticatedIdentities[{i}].id"), &identity.id)?;
            non_empty(
                &format!("authenticatedIdentities[{i}].provider"),
                &identity.provider,
            )?;
            non_empty(
                &format!("authenticatedIdentities[{i}].relyingPartyId"),
                &identity.relying_party_id,
            )?;
        }
        let body = types::PaymentCredentialsRequest {
            payment_credential_type: options.payment_credential_type,
            client_correlation_id: session.client_correlation_id.clone(),
            transaction_type: request.transaction_type,
            order_information: types::PaymentCredentialsRequestOrderInformation {
                amount_details: request.amount,
                bill_to: request.bill_to,
            },
            merchant_information: request.merchant,
            authenticated_identities: request.identities,
            device_information: request.device,
        };
        let raw = self.cybersource.passkey();
        // v2 and v3 take the same values through calls of their own types.
        macro_rules! send {
            ($call:ident, $token:ty, $profile:ty) => {{
                let token: $token = path_parameter("tokenId", &session.token_id)?;
                // A header value: checked here, so a bad one is an error
                // naming it and nothing is sent.
                let profile_id: Option<$profile> = options
                    .profile_id
                    .as_deref()
                    .map(|id| path_parameter("profile-id", id))
                    .transpose()?;
                self.cybersource
                    .run(|| calls::$call {
                        client: raw,
                        token_id: &token,
                        profile_id: profile_id.as_ref(),
                        body: &body,
                    })
                    .await?
            }};
        }
        let reply = match options.version {
            CredentialsVersion::V2 => send!(
                CreatePaymentCredentials,
                types::CreatePaymentCredentialsTokenId,
                types::CreatePaymentCredentialsProfileId
            ),
            CredentialsVersion::V3 => send!(
                CreatePaymentCredentialsV3,
                types::CreatePaymentCredentialsV3TokenId,
                types::CreatePaymentCredentialsV3ProfileId
            ),
        };
        session.step = PasskeyStep::Completed;
        Ok(TokenizedCredentials { reply })
    }
}
