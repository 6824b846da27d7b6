//! Flex API v2: capture contexts signed with the sandbox's key, its public
//! key endpoint, and the token endpoint that opens the JWE, checks it
//! against its capture context and answers a signed transient token.

use serde_json::{Map, Value, json};

use crate::crypto::{hex, random_bytes};
use crate::reply::{self, Reply};
use crate::{Shared, now_with_offset};

/// The 31 fields a capture context may ask for (the Flex developer guide's list).
pub const CAPTURABLE_FIELDS: [&str; 31] = [
    "paymentInformation.card.number",
    "paymentInformation.card.securityCode",
    "paymentInformation.card.expirationMonth",
    "paymentInformation.card.expirationYear",
    "paymentInformation.card.type",
    "orderInformation.amountDetails.totalAmount",
    "orderInformation.amountDetails.currency",
    "orderInformation.billTo.address1",
    "orderInformation.billTo.address2",
    "orderInformation.billTo.administrativeArea",
    "orderInformation.billTo.buildingNumber",
    "orderInformation.billTo.company",
    "orderInformation.billTo.country",
    "orderInformation.billTo.district",
    "orderInformation.billTo.email",
    "orderInformation.billTo.firstName",
    "orderInformation.billTo.lastName",
    "orderInformation.billTo.locality",
    "orderInformation.billTo.phoneNumber",
    "orderInformation.billTo.postalCode",
    "orderInformation.shipTo.address1",
    "orderInformation.shipTo.address2",
    "orderInformation.shipTo.administrativeArea",
    "orderInformation.shipTo.buildingNumber",
    "orderInformation.shipTo.company",
    "orderInformation.shipTo.country",
    "orderInformation.shipTo.district",
    "orderInformation.shipTo.firstName",
    "orderInformation.shipTo.lastName",
    "orderInformation.shipTo.locality",
    "orderInformation.shipTo.postalCode",
];

/// What the sandbox remembers of a capture context it issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedContext {
    required: Vec<String>,
    optional: Vec<String>,
    expires_at: i64,
}

fn invalid(reason: &str, message: &str, field: &str) -> Reply {
    reply::cybersource_error(400, "INVALID_REQUEST", reason, message, Some(field))
}

/// Collects `(path, required)` for every leaf of the `fields` tree: a leaf is
/// an object with no object members (`{}` or `{"required": false}`).
fn leaves(
    prefix: &str,
    node: &Map<String, Value>,
    out: &mut Vec<(String, bool)>,
) -> Result<(), String> {
    for (name, child) in node {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let Value::Object(child) = child else {
            return Err(path);
        };
        if child.values().any(Value::is_object) {
            leaves(&path, child, out)?;
        } else {
            match child.get("required") {
                None => out.push((path, true)),
                Some(Value::Bool(required)) => out.push((path, *required)),
                Some(_) => return Err(format!("{path}.required")),
            }
        }
    }
    Ok(())
}

/// `POST /flex/v2/sessions`.
pub(crate) fn create_capture_context(shared: &Shared, body: &[u8]) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return invalid(
            "INVALID_DATA",
            "Declined - The request body is not JSON",
            "fields",
        );
    };
    let Some(fields) = request.get("fields").and_then(Value::as_object) else {
        return invalid(
            "MISSING_FIELD",
            "Declined - The request is missing one or more fields",
            "fields",
        );
    };
    let mut selected = Vec::new();
    if let Err(path) = leaves("", fields, &mut selected) {
        return invalid(
            "INVALID_DATA",
            "Declined - One or more fields in the request contains invalid data",
            &path,
        );
    }
    if selected.is_empty() {
        return invalid(
            "MISSING_FIELD",
            "Declined - The request selects no field",
            "fields",
        );
    }
    if let Some((path, _)) = selected
        .iter()
        .find(|(path, _)| !CAPTURABLE_FIELDS.contains(&path.as_str()))
    {
        return invalid(
            "INVALID_DATA",
            "Declined - The field cannot be captured",
            path,
        );
    }
    let (required, optional): (Vec<_>, Vec<_>) = selected.into_iter().partition(|(_, r)| *r);
    let required: Vec<String> = required.into_iter().map(|(p, _)| p).collect();
    let optional: Vec<String> = optional.into_iter().map(|(p, _)| p).collect();

    let now = now_with_offset(shared);
    let jti = hex(&random_bytes::<12>());
    let expires_at = now + shared.config.capture_context_ttl_seconds;
    let claims = json!({
        "flx": {
            "path": "/flex/v2/tokens",
            "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, random_bytes::<48>()),
            "origin": shared.base_url,
            "jwk": shared.flex_encryption.jwk(),
        },
        "ctx": [{
            "data": {"requiredFields": required, "optionalFields": optional},
            "type": "api-0.1.0"
        }],
        "iss": "Flex API",
        "exp": expires_at,
        "iat": now,
        "jti": jti,
    });
    let jwt = match shared.flex_signing.sign(&claims) {
        Ok(jwt) => jwt,
        Err(_) => return reply::server_error(),
    };
    shared.lock().flex_contexts.insert(
        jti,
        IssuedContext {
            required,
            optional,
            expires_at,
        },
    );
    Reply::jwt(201, jwt)
}

/// `GET /flex/v2/public-keys/{kid}` (unauthenticated).
pub(crate) fn public_key(shared: &Shared, kid: &str) -> Reply {
    if kid == shared.flex_signing.kid {
        Reply::json(200, shared.flex_signing.jwk())
    } else {
        Reply::json(404, json!({}))
    }
}

fn token_error(reason: &str, message: &str, location: &str) -> Reply {
    Reply::json(
        400,
        json!({
            "correlationId": uuid::Uuid::new_v4().to_string(),
            "reason": reason,
            "message": message,
            "details": [{"location": location, "message": message}],
        }),
    )
}

/// Flattens `{"a": {"b": "v"}}` into `[("a.b", "v")]`.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&path, child, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The card brand code Flex reports, from the number's first digits.
fn card_type(number: &str) -> &'static str {
    match number.as_bytes() {
        [b'4', ..] => "001",
        [b'5', b'1'..=b'5', ..] | [b'2', b'2'..=b'7', ..] => "002",
        [b'3', b'4' | b'7', ..] => "003",
        [b'6', ..] => "004",
        _ => "000",
    }
}

/// `POST /flex/v2/tokens` (unauthenticated; the JWE is the credential).
pub(crate) fn create_transient_token(shared: &Shared, body: &[u8]) -> Reply {
    let Ok(jwe) = std::str::from_utf8(body) else {
        return token_error("INVALID_JWE", "The request body is not a JWE", "body");
    };
    let plaintext = match shared.flex_encryption.open_flex(jwe) {
        Ok(p) => p,
        Err(why) => return token_error("INVALID_JWE", &format!("The JWE {why}"), "body"),
    };
    let Ok(plain) = serde_json::from_slice::<Value>(&plaintext) else {
        return token_error("INVALID_JWE", "The JWE payload is not JSON", "body");
    };
    let Some(context) = plain["context"].as_str() else {
        return token_error(
            "MISSING_CONTEXT",
            "The JWE payload has no capture context",
            "context",
        );
    };
    // A capture context the sandbox did not sign (or one altered since) is refused.
    let Some(claims) = shared.flex_signing.verify(context) else {
        return token_error(
            "INVALID_CONTEXT",
            "The capture context is not one this service signed",
            "context",
        );
    };
    let jti = claims["jti"].as_str().unwrap_or_default();
    let Some(issued) = shared.lock().flex_contexts.get(jti).cloned() else {
        return token_error(
            "INVALID_CONTEXT",
            "The capture context is unknown",
            "context",
        );
    };
    if issued.expires_at <= now_with_offset(shared) {
        return token_error(
            "CAPTURE_CONTEXT_EXPIRED",
            "The capture context has expired",
            "context",
        );
    }
    let mut fields = Vec::new();
    flatten("", &plain["data"], &mut fields);
    for path in &issued.required {
        if !fields.iter().any(|(p, _)| p == path) {
            return token_error("MISSING_FIELD", &format!("{path} is required"), path);
        }
    }
    for (path, _) in &fields {
        if !issued.required.contains(path) && !issued.optional.contains(path) {
            return token_error("INVALID_FIELD", &format!("{path} was not asked for"), path);
        }
    }
    let text = |path: &str| {
        fields
            .iter()
            .find(|(p, _)| p == path)
            .and_then(|(_, v)| v.as_str())
    };
    let mut card = Map::new();
    if let Some(number) = text("paymentInformation.card.number") {
        let ok = (12..=19).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
            && luhn(number);
        if !ok {
            return token_error(
                "INVALID_FIELD",
                "The card number is not valid",
                "paymentInformation.card.number",
            );
        }
        let last4 = &number[number.len() - 4..];
        card.insert(
            "number".into(),
            json!({"maskedValue": format!("{}{last4}", "X".repeat(number.len() - 4)), "bin": &number[..6]}),
        );
        card.insert("type".into(), json!({"value": card_type(number)}));
    }
    for (name, path) in [
        ("expirationMonth", "paymentInformation.card.expirationMonth"),
        ("expirationYear", "paymentInformation.card.expirationYear"),
    ] {
        if let Some(v) = text(path) {
            card.insert(name.into(), json!({"value": v}));
        }
    }
    if text("paymentInformation.card.securityCode").is_some() {
        // Its value is never returned.
        card.insert("securityCode".into(), json!({}));
    }
    let now = now_with_offset(shared);
    let jti = hex(&random_bytes::<16>()).to_ascii_uppercase();
    let token = json!({
        "iss": "Flex/00",
        "exp": now + 900,
        "type": "mf-2.0.0",
        "iat": now,
        "jti": jti,
        "content": {"paymentInformation": {"card": card}},
    });
    let details = payment_details_of(&card, &fields);
    match shared.flex_signing.sign(&token) {
        Ok(jwt) => {
            let mut state = shared.lock();
            state.transient_tokens += 1;
            // Expired tokens' details go as new ones come, so a long-running
            // sandbox holds only live ones.
            state
                .payment_details
                .retain(|_, (expires, _)| *expires > now);
            state.payment_details.insert(jti, (now + 900, details));
            Reply::jwt(200, jwt)
        }
        Err(_) => reply::server_error(),
    }
}

/// What `GET /flex/v2/payment-details/{jti}` answers for a token: the card
/// as masked values and every captured order field, in the shape of the
/// vendor's Unified Checkout guide ("Payment Details API"). Never the
/// number or the security code.
fn payment_details_of(card: &Map<String, Value>, fields: &[(String, Value)]) -> Value {
    let mut details_card = Map::new();
    if let Some(masked) = card.get("number").and_then(|n| n.get("maskedValue")) {
        details_card.insert("number".into(), masked.clone());
    }
    for name in ["expirationMonth", "expirationYear", "type"] {
        if let Some(value) = card.get(name).and_then(|v| v.get("value")) {
            details_card.insert(name.into(), value.clone());
        }
    }
    let mut order = Map::new();
    for (path, value) in fields {
        let Some(rest) = path.strip_prefix("orderInformation.") else {
            continue;
        };
        let Some((group, name)) = rest.split_once('.') else {
            continue;
        };
        if let Some(entry) = order
            .entry(group.to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
        {
            entry.insert(name.to_owned(), value.clone());
        }
    }
    json!({"paymentInformation": {"card": details_card}, "orderInformation": order})
}

/// `GET /flex/v2/payment-details/{jti}`: 404 for a jti the sandbox did not
/// issue or whose token expired.
pub(crate) fn payment_details(shared: &Shared, jti: &str) -> Reply {
    let now = now_with_offset(shared);
    let mut state = shared.lock();
    state
        .payment_details
        .retain(|_, (expires, _)| *expires > now);
    match state.payment_details.get(jti) {
        Some((_, details)) => Reply::json(200, details.clone()),
        None => reply::cybersource_error(
            404,
            "NOT_FOUND",
            "NOT_FOUND",
            "The transient token was not found or has expired",
            Some("jti"),
        ),
    }
}
