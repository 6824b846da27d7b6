//! Checkout.com webhook verification: `Cko-Signature` is the hex HMAC-SHA256
//! of the raw body keyed with the webhook secret (Checkout.com docs, "Set up
//! your webhook receiver"). It is compared in constant time, over the exact
//! bytes received, before anything is parsed.

use aws_lc_rs::hmac;
use secrecy::{ExposeSecret, SecretString};

use payclient_core::{DecodeError, Error, VerificationError, describe_json_error};

/// A verified webhook notification. Members the vendor adds are kept.
/// `Debug` shows the id, type and time, and only the names of the other
/// members and of `data`'s members: their values can be payment data.
#[derive(Clone, PartialEq, serde::Deserialize, serde::Serialize)]
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

impl std::fmt::Debug for WebhookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data_members: Vec<&String> = self
            .data
            .as_object()
            .map(|members| members.keys().collect())
            .unwrap_or_default();
        let other_members: Vec<&String> = self.extra.keys().collect();
        f.debug_struct("WebhookEvent")
            .field("id", &self.id)
            .field("event_type", &self.event_type)
            .field("created_on", &self.created_on)
            .field("data_members", &data_members)
            .field("other_members", &other_members)
            .finish()
    }
}

/// The shortest webhook secret accepted: an HMAC key of fewer than 16 bytes
/// (128 bits) is a configuration mistake, not a key.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 16;

/// `Cko-Signature` is the hex SHA-256 HMAC: exactly this many hex digits.
const SIGNATURE_HEX_DIGITS: usize = 64;

fn verification(reason: &'static str) -> Error {
    Error::Verification(VerificationError::new("Cko-Signature", reason))
}

/// Exactly 64 hex digits (either case), as 32 bytes; anything else (a sign,
/// a space inside, another length) is `None`.
fn decode_signature(text: &str) -> Option<[u8; 32]> {
    let text = text
        .trim_matches(|c: char| c == ' ' || c == '\t')
        .as_bytes();
    if text.len() != SIGNATURE_HEX_DIGITS {
        return None;
    }
    let digit = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

/// Verifies `cko_signature` (the header's value, if present) over the raw
/// `body`, then parses the event. Nothing is parsed unless the signature
/// matches. A secret shorter than [`MIN_WEBHOOK_SECRET_BYTES`] is a
/// configuration error, and the signature must be exactly 64 hex digits.
pub fn verify_webhook(
    body: &[u8],
    cko_signature: Option<&str>,
    secret: &SecretString,
) -> Result<WebhookEvent, Error> {
    if secret.expose_secret().len() < MIN_WEBHOOK_SECRET_BYTES {
        return Err(Error::Configuration(crate::ConfigError::Invalid {
            field: "webhook secret",
            reason: format!(
                "is shorter than {MIN_WEBHOOK_SECRET_BYTES} bytes: no webhook can be verified with it"
            ),
        }));
    }
    let header = cko_signature.ok_or_else(|| verification("header missing"))?;
    let expected = decode_signature(header)
        .ok_or_else(|| verification("not 64 hex digits (a SHA-256 HMAC)"))?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose_secret().as_bytes());
    hmac::verify(&key, body, &expected).map_err(|_| verification("does not match the body"))?;
    serde_json::from_slice(body).map_err(|e| {
        Error::Decode(DecodeError::new(
            "webhook",
            None,
            None,
            describe_json_error(&e),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_0123456789abcdef";

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
        let secret = SecretString::from(SECRET);
        let body = br#"{"id":"evt_1","type":"payment_approved","created_on":"2026-11-22T10:00:00Z","data":{"id":"pay_1"},"_links":{}}"#;
        let signature = sign(body, SECRET);
        let event = verify_webhook(body, Some(&signature), &secret).expect("valid");
        assert_eq!(event.event_type, "payment_approved");
        assert!(event.extra.contains_key("_links"));
        assert!(verify_webhook(body, Some(&signature.to_uppercase()), &secret).is_ok());
    }

    #[test]
    fn refuses_anything_else_without_parsing() {
        let secret = SecretString::from(SECRET);
        let body = br#"{"type":"payment_approved","data":{"amount":100}}"#;
        let good = sign(body, SECRET);
        let tampered = br#"{"type":"payment_approved","data":{"amount":999}}"#;
        let not_hex = "not 64 hex digits (a SHA-256 HMAC)";
        // `+a` parses as 0x0a with from_str_radix; a signature has no signs.
        let signed_digit = format!("+{}", &good[1..]);
        let inner_space = format!("{} {}", &good[..31], &good[32..]);
        for (body, header, reason) in [
            (&body[..], None, "header missing"),
            (&body[..], Some("zz"), not_hex),
            (&body[..], Some(&signed_digit[..]), not_hex),
            (&body[..], Some(&inner_space[..]), not_hex),
            (&body[..], Some(&good[..good.len() - 2]), not_hex),
            (&body[..], Some(&format!("{good}00")[..]), not_hex),
            (
                &body[..],
                Some(&sign(body, "another-secret-of-16+")[..]),
                "does not match the body",
            ),
            (&tampered[..], Some(&good[..]), "does not match the body"),
        ] {
            match verify_webhook(body, header, &secret) {
                Err(Error::Verification(e)) => assert_eq!(e.reason, reason),
                other => panic!("expected a verification error, got {other:?}"),
            }
        }
        let not_json = b"not json";
        assert!(matches!(
            verify_webhook(not_json, Some(&sign(not_json, SECRET)), &secret),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn an_empty_or_short_secret_is_a_configuration_error() {
        let body = br#"{"type":"payment_approved"}"#;
        for short in ["", "whsec", "fifteen-bytes.."] {
            let result = verify_webhook(body, Some(&sign(body, short)), &SecretString::from(short));
            assert!(
                matches!(&result, Err(Error::Configuration(_))),
                "{short:?}: {result:?}"
            );
        }
    }

    #[test]
    fn debug_names_members_without_values() {
        let secret = SecretString::from(SECRET);
        let body = br#"{"id":"evt_1","type":"card_verified","data":{"source":{"bin":"411111","last4":"1111"}},"new_member":"4111111111111111"}"#;
        let event = verify_webhook(body, Some(&sign(body, SECRET)), &secret).expect("valid");
        let debug = format!("{event:?}");
        assert!(
            debug.contains("card_verified")
                && debug.contains("\"source\"")
                && debug.contains("new_member"),
            "{debug}"
        );
        assert!(!debug.contains("1111"), "{debug}");
    }
}
