//! Passkey Service: the three `action` branches, OTPs, validation,
//! registration and payment credentials. The branch is chosen by the
//! tokenized card's id (see the crate docs' table); a flow is keyed by
//! `(tokenId, clientCorrelationId)`, as one cardholder's attempt.

use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::Shared;
use crate::crypto::{b64url, random_bytes};
use crate::reply::{self, Reply};

/// A tokenized card whose device is already registered: `AUTHENTICATE`.
pub const REGISTERED_DEVICE_TOKEN_ID: &str = "7010000000016241111";
/// A tokenized card whose issuer wants a step-up: `STEP_UP_AUTHENTICATE`.
pub const STEP_UP_TOKEN_ID: &str = "7010000000016242222";
/// A tokenized card on a new device: `AUTHENTICATION_REGISTRATION`.
pub const NEW_DEVICE_TOKEN_ID: &str = "7010000000016243333";
/// The one-time password every OTP option "sends".
pub const OTP: &str = "123456";
/// The issuer authorization code an out-of-band step-up accepts.
pub const ISSUER_AUTH_CODE: &str = "ISSUER-APPROVED";
/// How many OTP requests and verifications one flow may make.
pub const OTP_LIMIT: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    Authenticate,
    StepUp,
    Register,
}

/// One cardholder's flow.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    branch: Branch,
    otp_sent_for: Option<String>,
    otp_requests: u32,
    verifications: u32,
    stepped_up: bool,
    registered: bool,
}

impl Flow {
    /// For the inspection endpoint.
    pub(crate) fn describe(&self) -> Value {
        json!({
            "branch": match self.branch {
                Branch::Authenticate => "AUTHENTICATE",
                Branch::StepUp => "STEP_UP_AUTHENTICATE",
                Branch::Register => "AUTHENTICATION_REGISTRATION",
            },
            "otpSent": self.otp_sent_for.is_some(),
            "otpRequests": self.otp_requests,
            "verifications": self.verifications,
            "steppedUp": self.stepped_up,
            "registered": self.registered,
        })
    }
}

/// The guide's step-up options (the document's example, values quoted),
/// built once: every OTP and validation request looks its option up here.
static STEP_UP_OPTIONS: LazyLock<Value> = LazyLock::new(|| {
    json!([
        {"method": "OTP_SMS", "value": "415****000", "source": "1-800-847-291", "id": "YWEwMjFhZmFkZDU4ZWI0NDJjYTM0MzY4OTY1YjdhMDE="},
        {"method": "OTP_EMAIL", "value": "ip****@email.com", "source": "email@issuer.com", "id": "ZTk1OGUyODM4ZjAzN2MzMmQzZGMyMjZjNGQwZTcyMDE="},
        {"method": "OTP_ONLINE_BANKING", "value": "Mobile Banking", "source": "br.com.bradesco.next|a2a", "id": "NzNkOWI0ZTVjNzA3MzA4OGQ4YmFjYjYwMDg0ZjRjMDE="},
        {"method": "APP_TO_APP", "value": "Verify with Bank", "source": "https://usa.visa.com/app/af801b935f19ae03a718d40", "id": "MGZlY2YwOWQ3MDZmYWZjZGMwN2Y0YjllZWFkODZkMDI=", "requestPayload": "cDkwMjFhZmFkZDVmZ2hqMzQyY2EzNTM2ODk2NWI3YTAy"},
        {"method": "CUSTOMER_SERVICE", "value": "1-800-847-2911", "id": "ODk3Zjk1ODhhMzI1YTllOTY1ZGU0NjhhMDY4OGE3MDE="},
        {"method": "OUTBOUND_CALL", "value": "415****000", "id": "YmIwMjFhZmFkZDU5ZWI0NDJjYTM1MzY4OTY1YjdhMDI="}
    ])
});

fn option_method(id: &str) -> Option<&'static str> {
    STEP_UP_OPTIONS
        .as_array()?
        .iter()
        .find(|o| o["id"] == id)
        .and_then(|o| o["method"].as_str())
}

fn is_otp_method(method: &str) -> bool {
    matches!(method, "OTP_SMS" | "OTP_EMAIL" | "OTP_ONLINE_BANKING")
}

fn authentication_context() -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "endpoint": "/vts-auth/authenticate",
        "payload": b64url(random_bytes::<24>()),
        "platformType": "WEB"
    })
}

/// What an authentication-options request must carry (the spec's `required`).
const AUTHENTICATION_FIELDS: [&str; 6] = [
    "clientCorrelationId",
    "sessionInformation",
    "authenticatorRenderMethod",
    "orderInformation",
    "merchantInformation",
    "deviceInformation",
];

/// A registration carries the same, and `buyerInformation`.
const REGISTRATION_FIELDS: [&str; 7] = [
    "clientCorrelationId",
    "sessionInformation",
    "authenticatorRenderMethod",
    "orderInformation",
    "merchantInformation",
    "deviceInformation",
    "buyerInformation",
];

/// Parses the body and names every missing top-level member.
fn parse(body: &[u8], required: &[&str]) -> Result<Value, Reply> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        reply::tms_error(400, "invalidRequest", "The request body is not JSON", &[])
    })?;
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|name| value.get(*name).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return Err(reply::tms_error(
            400,
            "missingFields",
            "One or more fields are missing",
            &missing,
        ));
    }
    Ok(value)
}

fn flow_key(token_id: &str, request: &Value) -> (String, String) {
    (
        token_id.to_owned(),
        request["clientCorrelationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn not_found() -> Reply {
    reply::tms_error(404, "notFound", "The token was not found", &[])
}

fn conflict(message: &str) -> Reply {
    reply::tms_error(409, "conflict", message, &[])
}

/// `POST /tms/v2/tokenized-cards/{tokenId}/authentication-options`.
pub(crate) fn authentication_options(shared: &Shared, token_id: &str, body: &[u8]) -> Reply {
    let request = match parse(body, &AUTHENTICATION_FIELDS) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    if request["sessionInformation"]["secureToken"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return reply::tms_error(
            400,
            "missingFields",
            "One or more fields are missing",
            &["sessionInformation.secureToken"],
        );
    }
    let branch = match token_id {
        REGISTERED_DEVICE_TOKEN_ID => Branch::Authenticate,
        STEP_UP_TOKEN_ID => Branch::StepUp,
        NEW_DEVICE_TOKEN_ID => Branch::Register,
        _ => return not_found(),
    };
    shared.lock().passkey.insert(
        flow_key(token_id, &request),
        Flow {
            branch,
            otp_sent_for: None,
            otp_requests: 0,
            verifications: 0,
            stepped_up: false,
            registered: false,
        },
    );
    let answer = match branch {
        Branch::Authenticate => {
            json!({"action": "AUTHENTICATE", "authenticationContext": authentication_context()})
        }
        Branch::StepUp => {
            json!({"action": "STEP_UP_AUTHENTICATE", "stepUpOptions": *STEP_UP_OPTIONS})
        }
        Branch::Register => json!({"action": "AUTHENTICATION_REGISTRATION"}),
    };
    Reply::json(200, answer)
}

/// `POST …/authentication-options/one-time-passwords`.
pub(crate) fn one_time_password(shared: &Shared, token_id: &str, body: &[u8]) -> Reply {
    let request = match parse(body, &["clientCorrelationId", "stepUpOption"]) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let option = request["stepUpOption"]["id"].as_str().unwrap_or_default();
    let mut state = shared.lock();
    let Some(flow) = state.passkey.get_mut(&flow_key(token_id, &request)) else {
        return not_found();
    };
    if flow.branch != Branch::StepUp || flow.stepped_up {
        return conflict("No step-up is pending for this token");
    }
    match option_method(option) {
        Some(method) if is_otp_method(method) => {}
        _ => {
            return reply::tms_error(
                400,
                "invalidFields",
                "The step-up option cannot receive a one-time password",
                &["stepUpOption.id"],
            );
        }
    }
    if flow.otp_requests >= OTP_LIMIT {
        return conflict("Too many one-time password requests");
    }
    flow.otp_requests += 1;
    flow.otp_sent_for = Some(option.to_owned());
    Reply::json(
        200,
        json!({"maxRequestsAllowed": OTP_LIMIT, "maxVerificationAllowed": OTP_LIMIT, "codeExpiration": 300}),
    )
}

/// `POST …/authentication-options/validate`.
pub(crate) fn validate(shared: &Shared, token_id: &str, body: &[u8]) -> Reply {
    let request = match parse(body, &["clientCorrelationId", "stepUpOption"]) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let option = request["stepUpOption"]["id"].as_str().unwrap_or_default();
    let otp = request["otp"].as_str();
    let code = request["issuerAuthCode"].as_str();
    let mut state = shared.lock();
    let Some(flow) = state.passkey.get_mut(&flow_key(token_id, &request)) else {
        return not_found();
    };
    if flow.branch != Branch::StepUp || flow.stepped_up {
        return conflict("No step-up is pending for this token");
    }
    if flow.verifications >= OTP_LIMIT {
        return conflict("Too many verification attempts");
    }
    let Some(method) = option_method(option) else {
        return reply::tms_error(
            400,
            "invalidFields",
            "Unknown step-up option",
            &["stepUpOption.id"],
        );
    };
    let accepted = match (otp, code) {
        (Some(otp), None) => {
            if flow.otp_sent_for.as_deref() != Some(option) {
                return conflict("No one-time password was sent for this option");
            }
            otp == OTP
        }
        (None, Some(code)) => {
            if is_otp_method(method) {
                return reply::tms_error(
                    400,
                    "invalidFields",
                    "This option is validated with an OTP",
                    &["issuerAuthCode"],
                );
            }
            code == ISSUER_AUTH_CODE
        }
        _ => {
            return reply::tms_error(
                400,
                "invalidFields",
                "Exactly one of otp and issuerAuthCode is required",
                &["otp", "issuerAuthCode"],
            );
        }
    };
    flow.verifications += 1;
    if !accepted {
        let field = if otp.is_some() {
            "otp"
        } else {
            "issuerAuthCode"
        };
        return reply::tms_error(400, "invalidFields", "The code is not valid", &[field]);
    }
    flow.stepped_up = true;
    Reply::json(200, json!({"action": "AUTHENTICATION_REGISTRATION"}))
}

/// `POST /tms/v2/tokenized-cards/{tokenId}/authentication-registrations`.
pub(crate) fn register(shared: &Shared, token_id: &str, body: &[u8]) -> Reply {
    let request = match parse(body, &REGISTRATION_FIELDS) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let mut state = shared.lock();
    let Some(flow) = state.passkey.get_mut(&flow_key(token_id, &request)) else {
        return not_found();
    };
    let allowed = match flow.branch {
        Branch::Register => true,
        Branch::StepUp => flow.stepped_up,
        Branch::Authenticate => false,
    };
    if !allowed || flow.registered {
        return conflict("Registration is not expected at this step");
    }
    flow.registered = true;
    Reply::json(
        200,
        json!({"authenticationContext": authentication_context()}),
    )
}

/// `POST /tms/{v2,v3}/tokens/{tokenId}/payment-credentials` (the same
/// request and answer in both versions).
pub(crate) fn payment_credentials(
    shared: &Shared,
    version: &str,
    token_id: &str,
    body: &[u8],
) -> Reply {
    // The vendor's model requires no member (`transactionType` defaults to
    // ECOM; npm cybersource-rest-client 0.0.83 `PostPaymentCredentialsRequest`
    // docs), and its SDKs send `{}` or nothing for a plain request: outside
    // a passkey flow the answer is the ECI 07 one.
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let request = match parse(body, &[]) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    if !request.is_object() {
        return reply::tms_error(
            400,
            "invalidRequest",
            "The request body is not an object",
            &[],
        );
    }
    let refusal = match &request["transactionType"] {
        Value::Null => None,
        Value::String(t) if t.len() <= 20 => None,
        Value::String(_) => Some("transactionType is longer than 20 characters"),
        _ => Some("transactionType is not a string"),
    };
    if let Some(message) = refusal {
        return reply::tms_error(400, "invalidData", message, &["transactionType"]);
    }
    let authenticated = {
        let state = shared.lock();
        match state.passkey.get(&flow_key(token_id, &request)) {
            Some(flow) => flow.branch == Branch::Authenticate || flow.registered,
            None if [
                REGISTERED_DEVICE_TOKEN_ID,
                STEP_UP_TOKEN_ID,
                NEW_DEVICE_TOKEN_ID,
            ]
            .contains(&token_id) =>
            {
                false
            }
            None => return not_found(),
        }
    };
    let (eci, indicator) = if authenticated {
        ("05", "vbv")
    } else {
        ("07", "internet")
    };
    let cryptogram = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        random_bytes::<20>(),
    );
    Reply::json(
        200,
        json!({
            "_links": {"self": {"href": format!("/tms/{version}/tokens/{token_id}/payment-credentials")}},
            "tokenizedCard": {
                "state": "ACTIVE",
                "enrollmentId": crate::crypto::hex(&random_bytes::<16>()),
                "tokenReferenceId": crate::crypto::hex(&random_bytes::<16>()),
                "number": "4895370016750801",
                "expirationMonth": "12",
                "expirationYear": "2031",
                "type": "visa",
                "cryptogram": cryptogram,
                "eci": eci,
                "requestorId": "40010052236",
                "card": {"suffix": "0801", "expirationMonth": "12", "expirationYear": "2031"}
            },
            "card": {"number": "411111XXXXXX1111"},
            "issuer": {"paymentAccountReference": "V0010013022298169667504231315"},
            "processingInformation": {"commerceIndicator": indicator}
        }),
    )
}
