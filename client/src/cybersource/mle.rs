//! Message-level encryption of Cybersource request bodies: the body becomes
//! `{"encryptedRequest": "<compact JWE>"}` with header
//! `{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT","kid":<cert kid>,"iat":<now>}`
//! (vendor Python SDK `MLEUtility.generate_token`).

use aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256;

use super::certificate::MleCertificate;
use crate::jose::{JweError, compact_jwe};

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
