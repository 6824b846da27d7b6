//! Message-level encryption of Cybersource bodies.
//!
//! Requests: the body becomes `{"encryptedRequest": "<compact JWE>"}` with
//! header `{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT","kid":<cert
//! kid>,"iat":<now>}` (vendor Python SDK `MLEUtility.generate_token`).
//!
//! Answers (response MLE): a request whose JWT carries the claim
//! `v-c-response-mle-kid` may be answered `{"encryptedResponse": "<compact
//! JWE>"}`, an object with that one member, sealed to the merchant's key
//! (vendor Python SDK `MLEUtility.check_is_mle_encrypted_response` and
//! `decrypt_mle_response_payload`; Node `MLEUtility.checkAndDecryptEncryptedResponse`,
//! which opens error answers the same way).

use aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256;

use payclient_core::VerificationError;

use super::certificate::{MleCertificate, ResponseMleKey};
use crate::jose::{JweError, compact_jwe, open_compact_jwe};

/// Encrypts `body` for `certificate`, returning the new request body.
pub(crate) fn encrypt_body(
    certificate: &MleCertificate,
    body: &[u8],
    now_unix: i64,
) -> Result<Vec<u8>, JweError> {
    let header = serde_json::json!({
        "alg": "RSA-OAEP-256",
        "enc": "A256GCM",
        "cty": "JWT",
        "kid": certificate.kid(),
        "iat": now_unix,
    })
    .to_string();
    let jwe = compact_jwe(&header, certificate.key(), &OAEP_SHA256_MGF1SHA256, body)?;
    Ok(serde_json::json!({ "encryptedRequest": jwe })
        .to_string()
        .into_bytes())
}

/// The JWE of a sealed answer: a JSON object whose only member is the
/// string `encryptedResponse`. Anything else is a plain answer.
pub(crate) fn sealed_answer(body: &[u8]) -> Option<&str> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sealed<'a> {
        #[serde(rename = "encryptedResponse", borrow)]
        encrypted_response: &'a str,
    }
    // Cheap first: most answers are plain, and a sealed one starts so.
    let inner = body.trim_ascii_start().strip_prefix(b"{")?;
    if !inner
        .trim_ascii_start()
        .starts_with(b"\"encryptedResponse\"")
    {
        return None;
    }
    serde_json::from_slice::<Sealed<'_>>(body)
        .ok()
        .map(|sealed| sealed.encrypted_response)
}

/// A body that is nothing but a compact JWE (an `application/jose` answer):
/// five base64url segments, surrounding whitespace allowed.
pub(crate) fn bare_jwe(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body.trim_ascii()).ok()?;
    let shaped = text.split('.').count() == 5
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    shaped.then_some(text)
}

/// Opens a sealed answer's JWE with the merchant's response MLE key:
/// RSA-OAEP-256 and A256GCM, as the vendor's request MLE uses, and a `kid`
/// (when the header names one) that is this key's.
pub(crate) fn open_answer(key: &ResponseMleKey, jwe: &str) -> Result<Vec<u8>, VerificationError> {
    let refuse = |reason: &'static str| VerificationError::new("encryptedResponse", reason);
    let (header, plain) =
        open_compact_jwe(jwe, key.key(), ("RSA-OAEP-256", &OAEP_SHA256_MGF1SHA256))
            .map_err(|e| refuse(e.0))?;
    if header.kid.as_deref().is_some_and(|kid| kid != key.kid()) {
        return Err(refuse("the answer is sealed to another key id (kid)"));
    }
    Ok(plain)
}
