//! The `signedPayload` of a confirmation: a compact JWS signed by
//! Cybersource. Parsed into header and claims; verified with a key the
//! caller supplies (the vendor distributes it out of band), never with a key
//! named inside the token (`jwk`, `jku`, `x5u`, `x5c` are ignored).

use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, RsaParameters, RsaPublicKeyComponents,
    UnparsedPublicKey,
};

use crate::jose::{decode_segment, split_compact_jws};
use payclient_core::{ConfigError, Error};

const WHAT: &str = "signedPayload";

/// Payloads larger than this are refused before parsing.
pub const MAX_SIGNED_PAYLOAD_BYTES: usize = crate::jose::MAX_COMPACT_JWS_BYTES;

fn refuse(reason: &'static str) -> Error {
    crate::jose::refuse(WHAT, reason)
}

/// A public key to verify `signedPayload` with.
pub struct PayloadKey {
    kind: KeyKind,
    /// The JWK's `alg`, when it states one: only that algorithm is accepted.
    alg: Option<String>,
}

enum KeyKind {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    EcP256(Vec<u8>),
    EcP384(Vec<u8>),
}

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            KeyKind::Rsa { .. } => "RSA",
            KeyKind::EcP256(_) => "EC P-256",
            KeyKind::EcP384(_) => "EC P-384",
        };
        f.debug_struct("PayloadKey")
            .field("kind", &kind)
            .field("alg", &self.alg)
            .finish()
    }
}

fn jwk_error(reason: &str) -> ConfigError {
    ConfigError::Invalid {
        field: "signed_payload_key",
        reason: reason.to_owned(),
    }
}

impl PayloadKey {
    /// From a public JWK: RSA (`n`, `e`) or EC P-256 / P-384 (`x`, `y`).
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, ConfigError> {
        let member = |name: &str| -> Result<Vec<u8>, ConfigError> {
            let text = jwk
                .get(name)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| jwk_error(&format!("has no `{name}`")))?;
            crate::jose::b64url_decode(text)
                .ok_or_else(|| jwk_error(&format!("`{name}` is not base64url")))
        };
        let alg = jwk
            .get("alg")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let kind = match jwk.get("kty").and_then(serde_json::Value::as_str) {
            Some("RSA") => KeyKind::Rsa {
                n: member("n")?,
                e: member("e")?,
            },
            Some("EC") => {
                let (x, y) = (member("x")?, member("y")?);
                let (size, p384) = match jwk.get("crv").and_then(serde_json::Value::as_str) {
                    Some("P-256") => (32, false),
                    Some("P-384") => (48, true),
                    _ => {
                        return Err(jwk_error(
                            "is an EC key on a curve other than P-256 or P-384",
                        ));
                    }
                };
                if x.len() != size || y.len() != size {
                    return Err(jwk_error("has coordinates of the wrong length"));
                }
                // The uncompressed SEC1 point: 0x04 || x || y.
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                if p384 {
                    KeyKind::EcP384(point)
                } else {
                    KeyKind::EcP256(point)
                }
            }
            _ => return Err(jwk_error("must be an RSA or EC public JWK")),
        };
        Ok(Self { kind, alg })
    }
}

/// A parsed `signedPayload`: header and claims, not yet verified.
#[derive(Clone)]
pub struct SignedPayload {
    compact: String,
    signing_input_len: usize,
    header: serde_json::Map<String, serde_json::Value>,
    claims: serde_json::Value,
    signature: Vec<u8>,
}

impl std::fmt::Debug for SignedPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claim values may describe the purchase; show only their names.
        let claim_names: Vec<&String> = self
            .claims
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        f.debug_struct("SignedPayload")
            .field("alg", &self.alg())
            .field("kid", &self.kid())
            .field("claims", &claim_names)
            .finish()
    }
}

impl SignedPayload {
    /// Splits and decodes a compact JWS. Nothing is trusted yet.
    pub fn parse(compact: &str) -> Result<Self, Error> {
        let jws = split_compact_jws::<serde_json::Map<String, serde_json::Value>>(compact, WHAT)?;
        if jws
            .header
            .get("alg")
            .and_then(serde_json::Value::as_str)
            .is_none()
        {
            return Err(refuse("has no `alg`"));
        }
        let claims: serde_json::Value = serde_json::from_slice(&decode_segment(jws.payload, WHAT)?)
            .map_err(|_| refuse("has a payload that is not JSON"))?;
        let signature = decode_segment(jws.signature, WHAT)?;
        Ok(Self {
            compact: compact.to_owned(),
            signing_input_len: jws.signing_input.len(),
            header: jws.header,
            claims,
            signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.header
    }

    /// `alg` of the header.
    pub fn alg(&self) -> &str {
        self.header
            .get("alg")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    }

    /// `kid` of the header, if any: which of the vendor's keys to use.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(serde_json::Value::as_str)
    }

    /// The claims, NOT verified: for display or routing only. Use
    /// [`SignedPayload::verify`] before acting on them.
    pub fn unverified_claims(&self) -> &serde_json::Value {
        &self.claims
    }

    /// The compact JWS as received.
    pub fn as_str(&self) -> &str {
        &self.compact
    }

    /// Verifies the signature with `key` and returns the claims. Accepts
    /// RS256/384/512 and PS256/384/512 with an RSA key of 2048 bits or more,
    /// ES256 with P-256 and ES384 with P-384; refuses `none`, HMAC, a
    /// `crit` header and an algorithm the key does not match.
    pub fn verify(&self, key: &PayloadKey) -> Result<&serde_json::Value, Error> {
        if self.header.contains_key("crit") {
            return Err(refuse("has a `crit` header"));
        }
        let alg = self.alg();
        if let Some(expected) = &key.alg
            && expected != alg
        {
            return Err(refuse("is signed with an algorithm the key does not allow"));
        }
        let message = &self.compact.as_bytes()[..self.signing_input_len];
        let ok = match (&key.kind, alg) {
            (KeyKind::Rsa { n, e }, _) => {
                let params: &RsaParameters = match alg {
                    "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                    "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                    "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                    "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                    "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                    "PS512" => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return Err(refuse("is not signed with an RSA algorithm the key fits")),
                };
                RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .verify(params, message, &self.signature)
                .is_ok()
            }
            (KeyKind::EcP256(point), "ES256") => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, &self.signature)
                    .is_ok()
            }
            (KeyKind::EcP384(point), "ES384") => {
                UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, &self.signature)
                    .is_ok()
            }
            _ => return Err(refuse("is not signed with an algorithm the key fits")),
        };
        if ok {
            Ok(&self.claims)
        } else {
            Err(refuse("has a signature that does not verify"))
        }
    }
}
