//! Checkout.com webhook verification: `Cko-Signature` is the hex HMAC-SHA256
//! of the raw body keyed with the webhook secret (Checkout.com docs, "Set up
//! your webhook receiver"). It is compared in constant time, over the exact
//! bytes received, before anything is parsed.

use aws_lc_rs::hmac;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{DecodeError, Error, VerificationError, describe_json_error};

/// A verified webhook notification. Members the vendor adds are kept.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct WebhookEvent {
    /// The event id.
    #[serde(default)]
    pub id: Option<String>,
    /// The event type, e.g. `payment_approved`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event happened (ISO 8601).
    #[serde(default)]
    pub created_on: Option<String>,
    /// The event's data.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Everything else.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn verification(reason: &'static str) -> Error {
    Error::Verification(VerificationError {
        what: "Cko-Signature",
        reason,
    })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Verifies `cko_signature` (the header's value, if present) over the raw
/// `body`, then parses the event. Nothing is parsed unless the signature matches.
pub fn verify_webhook(
    body: &[u8],
    cko_signature: Option<&str>,
    secret: &SecretString,
) -> Result<WebhookEvent, Error> {
    let header = cko_signature.ok_or_else(|| verification("header missing"))?;
    let expected = decode_hex(header).ok_or_else(|| verification("not a hex string"))?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose_secret().as_bytes());
    hmac::verify(&key, body, &expected).map_err(|_| verification("does not match the body"))?;
    serde_json::from_slice(body).map_err(|e| {
        Error::Decode(DecodeError {
            operation: "webhook".to_owned(),
            status: 0,
            request_id: None,
            reason: describe_json_error(&e),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(body: &[u8], secret: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        hmac::sign(&key, body)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn accepts_a_matching_signature_in_either_case() {
        let secret = SecretString::from("whsec");
        let body = br#"{"id":"evt_1","type":"payment_approved","created_on":"2026-11-22T10:00:00Z","data":{"id":"pay_1"},"_links":{}}"#;
        let signature = sign(body, "whsec");
        let event = verify_webhook(body, Some(&signature), &secret).expect("valid");
        assert_eq!(event.event_type, "payment_approved");
        assert!(event.extra.contains_key("_links"));
        assert!(verify_webhook(body, Some(&signature.to_uppercase()), &secret).is_ok());
    }

    #[test]
    fn refuses_anything_else_without_parsing() {
        let secret = SecretString::from("whsec");
        let body = br#"{"type":"payment_approved","data":{"amount":100}}"#;
        let good = sign(body, "whsec");
        let tampered = br#"{"type":"payment_approved","data":{"amount":999}}"#;
        for (body, header, reason) in [
            (&body[..], None, "header missing"),
            (&body[..], Some("zz"), "not a hex string"),
            (
                &body[..],
                Some(&sign(body, "other")[..]),
                "does not match the body",
            ),
            (&tampered[..], Some(&good[..]), "does not match the body"),
            (
                &body[..],
                Some(&good[..good.len() - 2]),
                "does not match the body",
            ),
        ] {
            match verify_webhook(body, header, &secret) {
                Err(Error::Verification(e)) => assert_eq!(e.reason, reason),
                other => panic!("expected a verification error, got {other:?}"),
            }
        }
        let not_json = b"not json";
        assert!(matches!(
            verify_webhook(not_json, Some(&sign(not_json, "whsec")), &secret),
            Err(Error::Decode(_))
        ));
    }
}
