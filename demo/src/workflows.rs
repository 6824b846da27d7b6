//! The four workflows. Each records its steps in a [`Report`] and returns
//! the first failure; a refusal the workflow expects (a tampered context, a
//! wrong OTP, a purchase above the mandate) is a step, and its absence is a
//! failure.

use chrono::{Duration, Utc};
use payclient::Sensitive;
use payclient::checkout::SubmitOutcome;
use payclient::checkout::raw::types as checkout_types;
use payclient::flex::{
    CaptureField, CaptureSelection, CardNumber, FlexClient, PaymentData, SecurityCode,
};
use payclient::intelligent_commerce::types as icc_types;
use payclient::intelligent_commerce::{
    Amount, IntelligentCommerceClient, MandateTerms, epoch_seconds, new_correlation_id,
};
use payclient::passkey::{
    AuthenticationRequest, BrowserDevice, CredentialsRequest as PasskeyCredentials, IframeOutput,
    PasskeyClient, PasskeyStep, Registrant, StepUpProof, amount_alphabetic, amount_numeric,
    encoded_merchant, plain_merchant,
};
use payclient_sandbox::passkey as sandbox_passkey;
use serde_json::json;

use crate::{DemoError, Report, Target, Targets};

fn fail<'a>(
    product: &'static str,
    operation: &'a str,
) -> impl Fn(payclient::Error) -> DemoError + 'a {
    move |e| DemoError {
        product,
        operation: operation.to_owned(),
        error: e.to_string(),
    }
}

fn unexpected(product: &'static str, operation: &str, what: String) -> DemoError {
    DemoError {
        product,
        operation: operation.to_owned(),
        error: what,
    }
}

/// Runs the four workflows in turn.
pub async fn run_all(targets: &Targets, report: &mut Report) -> Result<(), DemoError> {
    flex(targets, report).await?;
    passkey(targets, report).await?;
    intelligent_commerce(targets, report).await?;
    checkout(targets, report).await?;
    Ok(())
}

const FLEX: &str = "flex";

/// Flex: capture context, validation, JWE, transient token; a tampered
/// capture context is refused.
pub async fn flex(targets: &Targets, report: &mut Report) -> Result<(), DemoError> {
    report.heading("Cybersource Flex API v2", &targets.cybersource_target);
    let flex = FlexClient::with_options(targets.cybersource.clone(), targets.flex_options.clone());
    let selection = CaptureSelection::new()
        .require(CaptureField::CardNumber)
        .require(CaptureField::CardSecurityCode)
        .require(CaptureField::CardExpirationMonth)
        .require(CaptureField::CardExpirationYear)
        .optional(CaptureField::BillToEmail);
    let op = "create_capture_context";
    let context = flex
        .create_capture_context(&selection)
        .await
        .map_err(fail(FLEX, op))?;
    report.step(
        FLEX,
        op,
        "JWT",
        format!(
            "flx.jwk kid {}, {} required + {} optional fields, origin {}; verified RS256 with the key from /flex/v2/public-keys, exp/iat, key size, origin",
            context.claims().flx.jwk.as_ref().and_then(|k| k.kid.as_deref()).unwrap_or("-"),
            context.required_fields().len(),
            context.optional_fields().len(),
            context.origin()
        ),
    );

    let op = "validate tampered context";
    let mut tampered = context.jwt().to_owned();
    let dot = tampered.find('.').unwrap_or(0) + 5;
    let replaced = if tampered.as_bytes().get(dot) == Some(&b'A') {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(dot..dot + 1, replaced);
    match flex.validate_capture_context(&tampered).await {
        Err(payclient::Error::Verification(e)) => report.step(
            FLEX,
            op,
            "refused locally",
            format!("{e}; nothing would be encrypted to it"),
        ),
        other => {
            return Err(unexpected(
                FLEX,
                op,
                format!("a tampered capture context was not refused: {other:?}"),
            ));
        }
    }

    let op = "create_transient_token";
    let card = CardNumber::new("4111111111111111").map_err(|e| fail(FLEX, op)(e.into()))?;
    let code = SecurityCode::new("123").map_err(|e| fail(FLEX, op)(e.into()))?;
    let data = PaymentData::new()
        .card_number(card)
        .security_code(code)
        .set(CaptureField::CardExpirationMonth, "12")
        .set(CaptureField::CardExpirationYear, "2031");
    let token = flex
        .tokenize(&context, &data)
        .await
        .map_err(fail(FLEX, op))?;
    let (month, year) = token.expiration();
    report.step(
        FLEX,
        op,
        "JWT",
        format!(
            "card {} (BIN {}, type {}, expires {}/{}), jti {}; JWE RSA-OAEP/A256GCM to flx.jwk, token verified RS256 + exp",
            token.masked_number().unwrap_or("-"),
            token.bin().unwrap_or("-"),
            token.card_type().unwrap_or("-"),
            month.unwrap_or("-"),
            year.unwrap_or("-"),
            token.jti().unwrap_or("-"),
        ),
    );

    let op = "payment-details";
    let details = flex.payment_details(&token).await.map_err(fail(FLEX, op))?;
    let card = details
        .value
        .payment_information
        .as_ref()
        .and_then(|p| p.card.as_ref());
    report.step(
        FLEX,
        op,
        details.status.to_string(),
        format!(
            "card {} expires {}/{}: the token's own card",
            card.and_then(|c| c.number.as_deref()).unwrap_or("-"),
            card.and_then(|c| c.expiration_month.as_deref())
                .unwrap_or("-"),
            card.and_then(|c| c.expiration_year.as_deref())
                .unwrap_or("-"),
        ),
    );
    Ok(())
}

const PASSKEY: &str = "passkey";

/// An authentication request as a web server would build it.
pub fn passkey_request(secure_token: &str) -> Result<AuthenticationRequest, payclient::Error> {
    use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderValue, USER_AGENT};
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml"),
    );
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
    );
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-US,en;q=0.8"));
    let iframe: IframeOutput = serde_json::from_value(json!({
        "platformType": "WEB",
        "browserData": {"browserJavaEnabled": false, "browserJavascriptEnabled": true,
                        "browserColorDepth": 24, "browserScreenHeight": 1080,
                        "browserScreenWidth": 1920, "browserTimeZone": 0}
    }))
    .map_err(|_| payclient::ValidationError::new("browserData", "is not valid"))?;
    let ip = std::net::IpAddr::from([203, 0, 113, 5]);
    Ok(AuthenticationRequest {
        secure_token: Sensitive::from(secure_token),
        authenticator_render_method: "IFRAME".to_owned(),
        amount: amount_numeric("25.00", "EUR")?,
        merchant: encoded_merchant("Example Shop", "https://shop.example")?,
        device: BrowserDevice::from_headers(&headers, ip)
            .or(iframe.browser_device())
            .build()?,
    })
}

fn passkey_credentials(
    identity_iframe: &IframeOutput,
) -> Result<PasskeyCredentials, payclient::Error> {
    Ok(PasskeyCredentials {
        transaction_type: "ECOM".to_owned(),
        amount: amount_alphabetic("25.00", "978")?,
        bill_to: payclient::request_from_json(
            json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "address1": "1 Analytical Row", "locality": "London", "administrativeArea": "LND", "postalCode": "N1 9GU", "country": "GB"}),
        )?,
        merchant: plain_merchant("Example Shop", "https://shop.example")?,
        device: identity_iframe.browser_device().build()?,
        identities: vec![identity_iframe.authenticated_identity("passkey-demo")?],
    })
}

/// What the iframe posts back after the cardholder used the passkey.
fn authenticated_iframe() -> Result<IframeOutput, payclient::Error> {
    serde_json::from_value(json!({
        "type": "AUTHENTICATE",
        "platformType": "WEB",
        "browserData": {"browserHeader": "text/html", "browserLanguage": "en-US", "browserJavaEnabled": false, "browserJavascriptEnabled": true, "browserColorDepth": "24", "browserScreenHeight": "1080", "browserScreenWidth": "1920", "browserTimeZone": "0", "ipAddress": "203.0.113.5", "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"},
        "fidoResponse": {"fidoBlob": "ZmlkbyBhc3NlcnRpb24", "identifier": "passkey-credential-1", "rpID": "c2hvcC5leGFtcGxl"}
    }))
    .map_err(|e| payclient::ValidationError::new("iframe", e.to_string()).into())
}

/// Passkey Service: the step-up branch (wrong OTP refused, right OTP,
/// registration, payment credentials) and the registered-device branch.
pub async fn passkey(targets: &Targets, report: &mut Report) -> Result<(), DemoError> {
    report.heading("Cybersource Passkey Service", &targets.cybersource_target);
    let (token_id, secure_token) = match (
        &targets.cybersource_target,
        &targets.passkey_token_id,
        &targets.passkey_secure_token,
    ) {
        (Target::Sandbox(_), _, _) => (
            sandbox_passkey::STEP_UP_TOKEN_ID.to_owned(),
            "ezAwMX06AAM1NUHl3Gq8".to_owned(),
        ),
        (Target::Vendor(_), Some(t), Some(s)) => (t.clone(), s.clone()),
        (Target::Vendor(_), _, _) => {
            report.note("skipped: set PASSKEY_TOKEN_ID and PASSKEY_SECURE_TOKEN (a tokenized card and the iframe's secure token) for the vendor's host");
            return Ok(());
        }
    };
    let client = PasskeyClient::new(targets.cybersource_signature.clone());
    let request = passkey_request(&secure_token).map_err(fail(PASSKEY, "build request"))?;

    let op = "authentication-options";
    let mut session = client
        .authentication_options(&token_id, None, &request)
        .await
        .map_err(fail(PASSKEY, op))?;
    let choices = session.step_up_choices().to_vec();
    report.step(
        PASSKEY,
        op,
        step_name(session.step()),
        format!(
            "token {token_id}, {} step-up options, HTTP Signature verified by the host",
            choices.len()
        ),
    );
    if !matches!(session.step(), PasskeyStep::StepUp { .. }) {
        report.note("not a step-up: the rest of this branch does not apply to this card");
        return Ok(());
    }
    let Some(choice) = choices.iter().find(|c| !c.is_out_of_band()) else {
        return Err(unexpected(
            PASSKEY,
            op,
            "no OTP option was offered".to_owned(),
        ));
    };

    let op = "one-time-passwords";
    let limits = client
        .send_otp(&mut session, &choice.id)
        .await
        .map_err(fail(PASSKEY, op))?;
    report.step(
        PASSKEY,
        op,
        "sent",
        format!(
            "by {} to {}, {} tries",
            choice.method(),
            choice.value.as_deref().unwrap_or("-"),
            limits.max_verification_allowed.unwrap_or(0)
        ),
    );

    let Target::Sandbox(_) = targets.cybersource_target else {
        report.note("stopping at the OTP: the cardholder's code is needed to go on (see the passkey_step_up example)");
        return Ok(());
    };
    let op = "validate (wrong OTP)";
    match client
        .validate(
            &mut session,
            &choice.id,
            StepUpProof::Otp(Sensitive::from("000000")),
        )
        .await
    {
        Err(payclient::Error::Api(api)) if api.status == 400 => report.step(
            PASSKEY,
            op,
            "400",
            "refused by the issuer; the session stays at the step-up",
        ),
        other => {
            return Err(unexpected(
                PASSKEY,
                op,
                format!("a wrong OTP was not refused: {other:?}"),
            ));
        }
    }
    let op = "validate";
    let step = client
        .validate(
            &mut session,
            &choice.id,
            StepUpProof::Otp(Sensitive::from(sandbox_passkey::OTP)),
        )
        .await
        .map_err(fail(PASSKEY, op))?;
    report.step(PASSKEY, op, step_name(&step), "OTP accepted");

    let op = "authentication-registrations";
    let registrant = Registrant {
        language: "en_US".to_owned(),
        email: "ada@example.com".to_owned(),
        phone_number: None,
    };
    client
        .register(&mut session, &request, &registrant)
        .await
        .map_err(fail(PASSKEY, op))?;
    let iframe = session
        .iframe_input()
        .map(|i| serde_json::to_value(i).unwrap_or_default());
    report.step(
        PASSKEY,
        op,
        step_name(session.step()),
        format!(
            "iframe gets authenticationContext {}",
            iframe
                .as_ref()
                .and_then(|v| v["authenticationContext"]["identifier"].as_str())
                .unwrap_or("-")
        ),
    );

    let op = "payment-credentials";
    let identity = authenticated_iframe().map_err(fail(PASSKEY, op))?;
    let credentials = client
        .payment_credentials(
            &mut session,
            passkey_credentials(&identity).map_err(fail(PASSKEY, op))?,
        )
        .await
        .map_err(fail(PASSKEY, op))?;
    if credentials.eci() != Some("05") {
        return Err(unexpected(
            PASSKEY,
            op,
            format!("ECI {:?} instead of 05", credentials.eci()),
        ));
    }
    report.step(
        PASSKEY,
        op,
        credentials.reply.status.to_string(),
        format!("ECI 05 (passkey-authenticated), cryptogram kept Sensitive: {credentials:?}"),
    );

    let op = "authentication-options (registered device)";
    let mut registered = client
        .authentication_options(sandbox_passkey::REGISTERED_DEVICE_TOKEN_ID, None, &request)
        .await
        .map_err(fail(PASSKEY, op))?;
    report.step(
        PASSKEY,
        op,
        step_name(registered.step()),
        "straight to the iframe, no step-up",
    );
    // The vendor's current version of the operation (v3), same request.
    let op = "payment-credentials v3 (registered device)";
    let credentials = client
        .payment_credentials_with(
            &mut registered,
            passkey_credentials(&identity).map_err(fail(PASSKEY, op))?,
            payclient::passkey::CredentialsOptions::default()
                .version(payclient::passkey::CredentialsVersion::V3),
        )
        .await
        .map_err(fail(PASSKEY, op))?;
    report.step(
        PASSKEY,
        op,
        credentials.reply.status.to_string(),
        format!("ECI {}", credentials.eci().unwrap_or("-")),
    );
    Ok(())
}

fn step_name(step: &PasskeyStep) -> &'static str {
    match step {
        PasskeyStep::Authenticate(_) => "AUTHENTICATE",
        PasskeyStep::StepUp { .. } => "STEP_UP_AUTHENTICATE",
        PasskeyStep::Register => "REGISTRATION",
        PasskeyStep::Registered(_) => "REGISTERED",
        PasskeyStep::Completed => "COMPLETED",
        _ => "UNKNOWN",
    }
}

const ICC: &str = "intelligent-commerce";

fn device() -> serde_json::Value {
    json!({"applicationName": "Shopping Agent", "fingerprintSessionId": uuid::Uuid::new_v4().to_string(),
        "ipAddress": "192.0.2.10", "country": "US",
        "deviceData": {"type": "Mobile", "brand": "Apple", "manufacturer": "Apple"}})
}

/// One purchase under `mandate_id`.
pub fn purchase(mandate_id: &str, amount: &str, items: u32) -> serde_json::Value {
    json!({
        "clientReferenceInformation": {"code": format!("order-{}", uuid::Uuid::new_v4())},
        "mandateReferenceData": [{"mandateId": mandate_id}],
        "type": "PURCHASE",
        "orderInformation": {
            "amountDetail": {"totalAmount": amount, "currency": "USD"},
            "lineItems": [{"items": {"productName": "Balloons", "quantity": items.to_string()}}]
        },
        "merchantInformation": {"merchantName": "Balloon Shop", "merchantDescriptor": {"country": "US", "url": "https://balloons.example"}}
    })
}

/// The card an agent buys with (a TMS instrument identifier; the sandbox
/// accepts any).
pub struct AgentCard {
    /// The instrument identifier id.
    pub instrument: String,
}

impl AgentCard {
    /// A fresh card for the sandbox, or the one named by
    /// `ICC_INSTRUMENT_IDENTIFIER_ID`.
    pub fn from_env_or_new() -> Self {
        Self {
            instrument: std::env::var("ICC_INSTRUMENT_IDENTIFIER_ID")
                .unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string().to_uppercase()),
        }
    }

    /// The enrollment request for this card.
    pub fn enrollment(&self) -> Result<icc_types::EnrollCardRequest, payclient::ValidationError> {
        payclient::request_from_json(json!({
            "clientCorrelationId": new_correlation_id(),
            "deviceInformation": {"applicationName": "Shopping Agent", "fingerprintSessionId": uuid::Uuid::new_v4().to_string(), "country": "US", "deviceData": {"type": "Mobile", "manufacturer": "Apple", "brand": "Apple"}, "ipAddress": "192.0.2.10"},
            "buyerInformation": {"merchantCustomerId": "customer-1", "language": "en"},
            "billTo": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "countryCallingCode": "1", "phoneNumber": "5551234567", "country": "US"},
            "consumerIdentity": {"identityType": "EMAIL_ADDRESS", "identityValue": "ada@example.com"},
            "paymentInformation": {"instrumentIdentifier": {"id": self.instrument}}
        }))
    }

    /// A purchase intent under one mandate: at most `limit` USD a purchase,
    /// `items` items, for a week.
    pub fn intent(
        &self,
        limit: &str,
        items: u32,
    ) -> Result<(icc_types::InitiatePurchaseIntentRequest, String), payclient::Error> {
        let mandate = MandateTerms {
            mandate_id: None,
            decline_threshold: Amount::parse(limit)
                .ok_or_else(|| payclient::ValidationError::new("limit", "is not a decimal"))?,
            currency: "USD".to_owned(),
            effective_until: Utc::now() + Duration::days(7),
            quantity: Some(u64::from(items)),
            description: format!("Party supplies, at most {limit} USD a purchase"),
            preferred_merchant_name: None,
        }
        .to_mandate()?;
        let mandate_id = mandate.mandate_id.to_string();
        let intent = payclient::request_from_json(json!({
            "clientCorrelationId": new_correlation_id(),
            "paymentInformation": {"instrumentIdentifier": {"id": self.instrument}},
            "deviceInformation": device(),
            "assuranceData": [{"verificationType": "DEVICE", "verificationEntity": "10", "verificationEvents": ["01"],
                "verificationMethod": "02", "verificationResults": "01", "verificationTimestamp": epoch_seconds(Utc::now())}],
            "mandates": [mandate],
            "consumerPrompt": "Buy balloons for Saturday"
        }))?;
        Ok((intent, mandate_id))
    }

    /// A credentials request for one purchase.
    pub fn credentials(
        &self,
        mandate_id: &str,
        amount: &str,
        items: u32,
    ) -> Result<icc_types::RetrievePaymentCredentialsRequest, payclient::ValidationError> {
        payclient::request_from_json(json!({
            "clientCorrelationId": new_correlation_id(),
            "paymentInformation": {"instrumentIdentifier": {"id": self.instrument}},
            "transactionData": [purchase(mandate_id, amount, items)]
        }))
    }

    /// The confirmation that the purchase of `amount` USD was approved.
    pub fn confirmation(
        &self,
        amount: &str,
    ) -> Result<icc_types::ConfirmTransactionEventsRequest, payclient::ValidationError> {
        payclient::request_from_json(json!({
            "clientCorrelationId": new_correlation_id(),
            "paymentInformation": {"instrumentIdentifier": {"id": self.instrument}},
            "confirmationData": [{
                "clientReferenceInformation": {"code": "order-confirmed"},
                "orderInformation": {"orderStatus": "CONFIRMED",
                    "amountDetail": {"totalAmount": amount, "currency": "USD"}},
                "merchantInformation": {"merchantName": "Balloon Shop"},
                "processorInformation": {"transactionType": "PURCHASE", "transactionStatus": "APPROVED",
                    "responseCode": "00", "transactionTimestamp": epoch_seconds(Utc::now()), "entryMode": "ECOMMERCE"}
            }]
        }))
    }
}

/// Intelligent Commerce: enrollment, a purchase intent under a mandate, a
/// purchase within it (credentials with a verified `signedPayload`), one
/// above it refused before sending, confirmation of the approved payment.
pub async fn intelligent_commerce(targets: &Targets, report: &mut Report) -> Result<(), DemoError> {
    report.heading(
        "Cybersource Intelligent Commerce",
        &targets.cybersource_target,
    );
    let icc = IntelligentCommerceClient::new(targets.cybersource.clone());
    let card = AgentCard::from_env_or_new();
    let v = |e: payclient::ValidationError| payclient::Error::from(e);

    let op = "enroll_card";
    for _ in 0..2 {
        let enrollment = icc
            .enroll_card(card.enrollment().map_err(v).map_err(fail(ICC, op))?)
            .await
            .map_err(fail(ICC, op))?;
        match &enrollment.status {
            Some(icc_types::EnrollCardResponseStatus::Active) => {
                report.step(ICC, op, enrollment.reply.status.to_string(), "ACTIVE; body sent MLE-encrypted (RSA-OAEP-256/A256GCM), JWT digest over the encrypted body");
                break;
            }
            Some(icc_types::EnrollCardResponseStatus::Pending) => {
                report.step(
                    ICC,
                    op,
                    enrollment.reply.status.to_string(),
                    format!(
                        "PENDING {:?}; enrolling again once the cardholder verified",
                        enrollment.pending_events()
                    ),
                );
            }
            other => return Err(unexpected(ICC, op, format!("status {other:?}"))),
        }
    }

    let op = "initiate_purchase_intent";
    let (intent, mandate_id) = card.intent("50.00", 2).map_err(fail(ICC, op))?;
    let mut instruction = icc
        .initiate_purchase_intent(intent)
        .await
        .map_err(fail(ICC, op))?;
    report.step(
        ICC,
        op,
        format!("{:?}", instruction.state()),
        format!(
            "instruction {}, mandate {mandate_id}: 50.00 USD a purchase, 2 items, 7 days",
            instruction.id()
        ),
    );

    let op = "retrieve_payment_credentials";
    let credentials = icc
        .retrieve_payment_credentials(
            &mut instruction,
            card.credentials(&mandate_id, "19.99", 1)
                .map_err(v)
                .map_err(fail(ICC, op))?,
        )
        .await
        .map_err(fail(ICC, op))?;
    if credentials.status != Some(icc_types::CredentialsResponseStatus::Completed) {
        return Err(unexpected(
            ICC,
            op,
            format!("status {:?}", credentials.status),
        ));
    }
    let verified = match (credentials.signed_payload(), &targets.payload_key) {
        (Some(Ok(payload)), Some(key)) => {
            let claims = payload.verify(key).map_err(fail(ICC, op))?;
            format!(
                "signedPayload {} verified, instruction {}",
                payload.alg(),
                claims["instructionId"].as_str().unwrap_or("-")
            )
        }
        (Some(Ok(payload)), None) => format!(
            "signedPayload {} parsed (set ICC_SIGNED_PAYLOAD_JWK to verify it)",
            payload.alg()
        ),
        (Some(Err(e)), _) => return Err(fail(ICC, op)(e)),
        (None, _) => {
            return Err(unexpected(
                ICC,
                op,
                "COMPLETED without a signedPayload".to_owned(),
            ));
        }
    };
    report.step(
        ICC,
        op,
        credentials.reply.status.to_string(),
        format!("19.99 USD within the mandate: COMPLETED, {verified}"),
    );

    let op = "retrieve_payment_credentials (75.00)";
    match icc
        .retrieve_payment_credentials(
            &mut instruction,
            card.credentials(&mandate_id, "75.00", 1)
                .map_err(v)
                .map_err(fail(ICC, op))?,
        )
        .await
    {
        Err(payclient::Error::Mandate(refused)) => report.step(
            ICC,
            op,
            "refused locally",
            format!("{refused}; nothing sent"),
        ),
        other => {
            return Err(unexpected(
                ICC,
                op,
                format!("the mandate did not refuse 75.00 USD: {other:?}"),
            ));
        }
    }

    let op = "confirm_transaction_events";
    let confirmed = icc
        .confirm_transaction_events(
            &mut instruction,
            card.confirmation("19.99")
                .map_err(v)
                .map_err(fail(ICC, op))?,
        )
        .await
        .map_err(fail(ICC, op))?;
    report.step(
        ICC,
        op,
        confirmed.reply.status.to_string(),
        format!(
            "APPROVED purchase confirmed; instruction now {:?}",
            instruction.state()
        ),
    );
    Ok(())
}

const CHECKOUT: &str = "checkout";

/// A Flow payment session for `amount` GBP minor units.
pub fn session_request(
    amount: u64,
) -> Result<checkout_types::CreatePaymentSessionRequest, payclient::ValidationError> {
    payclient::request_from_json(session_json(amount))
}

/// The members of a session request, as JSON (create's, and complete's
/// besides `session_data`).
fn session_json(amount: u64) -> serde_json::Value {
    json!({
        "amount": amount,
        "currency": "GBP",
        "reference": format!("ORD-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        "billing": {"address": {"country": "GB"}},
        "success_url": "https://example.com/payments/success",
        "failure_url": "https://example.com/payments/failure",
        "3ds": {"enabled": true}
    })
}

/// Checkout.com Flow: a session paid at once, one that needs 3DS, a read,
/// and a bad request refused before sending.
pub async fn checkout(targets: &Targets, report: &mut Report) -> Result<(), DemoError> {
    report.heading("Checkout.com Flow", &targets.checkout_target);
    let client = &targets.checkout;
    let v = |e: payclient::ValidationError| payclient::Error::from(e);
    let sandbox = matches!(targets.checkout_target, Target::Sandbox(_));
    let session_data = match sandbox {
        true => Some("sandbox-session-data".to_owned()),
        false => std::env::var("CHECKOUT_SESSION_DATA").ok(),
    };

    let mut amounts = vec![1000u64];
    if sandbox {
        amounts.push(1000 + payclient_sandbox::checkout::THREE_DS_AMOUNT_SUFFIX);
    }
    for amount in amounts {
        let op = "create_payment_session";
        let session = client
            .create_payment_session(
                session_request(amount)
                    .map_err(v)
                    .map_err(fail(CHECKOUT, op))?,
            )
            .await
            .map_err(fail(CHECKOUT, op))?;
        report.step(
            CHECKOUT,
            op,
            session.status.to_string(),
            format!(
                "{} for {amount} GBP minor units ({} bytes for Flow, secret kept Sensitive)",
                session.value.id,
                session.raw().len()
            ),
        );
        let Some(data) = &session_data else {
            report.note(
                "submit skipped: set CHECKOUT_SESSION_DATA (what Flow's handleSubmit received)",
            );
            continue;
        };
        let op = "submit_payment_session";
        let submit: checkout_types::SubmitPaymentSessionRequest =
            payclient::request_from_json(json!({"session_data": data, "amount": amount}))
                .map_err(v)
                .map_err(fail(CHECKOUT, op))?;
        match client
            .submit_payment_session(&session.value.id, submit)
            .await
            .map_err(fail(CHECKOUT, op))?
        {
            SubmitOutcome::Processed(reply) => report.step(
                CHECKOUT,
                op,
                reply.status.to_string(),
                format!("payment {} {}", reply.value.id, reply.value.status),
            ),
            SubmitOutcome::ActionRequired(reply) => report.step(
                CHECKOUT,
                op,
                reply.status.to_string(),
                format!(
                    "payment {} needs {} at {}",
                    reply.value.id,
                    reply.value.action.type_.as_deref().unwrap_or("action"),
                    reply.value.action.url.as_deref().unwrap_or("-")
                ),
            ),
            other => return Err(unexpected(CHECKOUT, op, format!("{other:?}"))),
        }
        let op = "get_payment_session";
        let read = client
            .get_payment_session(&session.value.id)
            .await
            .map_err(fail(CHECKOUT, op))?;
        report.step(
            CHECKOUT,
            op,
            read.status.to_string(),
            format!(
                "{} is {}, payment {}",
                read.value.id,
                read.value.status.as_deref().unwrap_or("-"),
                read.value.payment_id.as_deref().unwrap_or("-")
            ),
        );
    }

    if let Some(data) = &session_data {
        // Flow's advanced integration: a session and its payment in one call,
        // with an idempotency key (not retried by payclient either way).
        let op = "complete_payment_session";
        let mut request = session_json(2000);
        request["session_data"] = json!(data);
        let request: checkout_types::CompletePaymentSessionRequest =
            payclient::request_from_json(request)
                .map_err(v)
                .map_err(fail(CHECKOUT, op))?;
        let options = payclient::checkout::FlowCallOptions::default()
            .idempotency_key(uuid::Uuid::new_v4().to_string());
        let outcome = client
            .complete_payment_session(request, options)
            .await
            .map_err(fail(CHECKOUT, op))?;
        let (status, session) = match &outcome {
            payclient::checkout::SubmitOutcome::Processed(r) => {
                (r.status, r.value.payment_session_id.clone())
            }
            payclient::checkout::SubmitOutcome::ActionRequired(r) => {
                (r.status, r.value.payment_session_id.clone())
            }
            other => {
                return Err(unexpected(CHECKOUT, op, format!("{other:?}")));
            }
        };
        report.step(
            CHECKOUT,
            op,
            status.to_string(),
            format!(
                "{} for new session {}, one call with Cko-Idempotency-Key",
                outcome.status(),
                session.as_deref().unwrap_or("-")
            ),
        );
    }

    let op = "create_payment_session (bad reference)";
    let mut bad = json!({"amount": 1000, "currency": "GBP", "billing": {"address": {"country": "GB"}}, "success_url": "https://example.com/s", "failure_url": "https://example.com/f"});
    bad["reference"] = json!("R".repeat(51));
    match payclient::request_from_json::<checkout_types::CreatePaymentSessionRequest>(bad) {
        Err(e) => report.step(
            CHECKOUT,
            op,
            "refused locally",
            format!("{}: {}; nothing sent", e.field, e.reason),
        ),
        Ok(_) => {
            return Err(unexpected(
                CHECKOUT,
                op,
                "a 51-character reference was accepted".to_owned(),
            ));
        }
    }
    Ok(())
}
