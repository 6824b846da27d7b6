//! Cybersource JWT authentication (`Authorization: Bearer <jwt>`), HS256 with
//! the shared secret or RS256 with a P12 key. Claims as the vendor SDKs send
//! them (Python `authenticationsdk/jwt/Token.py`): `digest` and
//! `digestAlgorithm` for methods with a body, `iat`, `exp` (= iat + 120),
//! `request-method`, `request-host`, `request-resource-path`, `iss`, `jti`,
//! `v-c-merchant-id` and `v-c-jwt-version: "2"`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;

use super::certificate::P12SigningKey;
use super::signature::SignatureKey;
use crate::jose::b64url_into;

/// How a JWT is signed.
#[derive(Debug, Clone)]
pub(crate) enum JwtSigner {
    /// HS256 with the merchant key id and shared secret.
    SharedSecret(SignatureKey),
    /// RS256 with a P12 key.
    Certificate(P12SigningKey),
}

/// What one JWT claims about its request.
pub(crate) struct JwtRequest<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub request_target: &'a str,
    /// The `Digest` value already computed for the request
    /// (`SHA-256=<base64>`), for methods with a body.
    pub digest: Option<&'a str>,
    pub merchant_id: &'a str,
    pub issuer: &'a str,
    pub now_unix: i64,
    pub jti: &'a str,
}

/// The JOSE header, in the vendor SDKs' member order.
#[derive(serde::Serialize)]
struct Header<'a> {
    kid: &'a str,
    alg: &'a str,
    typ: &'a str,
}

/// The claims, in the vendor SDKs' member order.
#[derive(serde::Serialize)]
struct Claims<'a> {
    iat: i64,
    exp: i64,
    #[serde(rename = "request-method")]
    request_method: &'a str,
    #[serde(rename = "request-host")]
    request_host: &'a str,
    #[serde(rename = "request-resource-path")]
    request_resource_path: &'a str,
    iss: &'a str,
    jti: &'a str,
    #[serde(rename = "v-c-merchant-id")]
    merchant_id: &'a str,
    #[serde(rename = "v-c-jwt-version")]
    jwt_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    #[serde(rename = "digestAlgorithm", skip_serializing_if = "Option::is_none")]
    digest_algorithm: Option<&'a str>,
}

/// A signing failure (RSA signing can fail in principle; HMAC cannot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JwtError;

impl JwtSigner {
    /// The signed token.
    #[cfg(test)]
    pub(crate) fn token(&self, request: &JwtRequest<'_>) -> Result<String, JwtError> {
        let mut token = String::new();
        self.append_token(request, &mut token)?;
        Ok(token)
    }

    /// `Bearer <token>`, the `Authorization` value, built in one buffer.
    pub(crate) fn bearer(&self, request: &JwtRequest<'_>) -> Result<String, JwtError> {
        let mut value = String::with_capacity(1024);
        value.push_str("Bearer ");
        self.append_token(request, &mut value)?;
        Ok(value)
    }

    /// Appends the signed token to `out`; the signature covers only what
    /// this call appends.
    fn append_token(&self, request: &JwtRequest<'_>, out: &mut String) -> Result<(), JwtError> {
        let (kid, alg) = match self {
            JwtSigner::SharedSecret(key) => (key.key_id(), "HS256"),
            JwtSigner::Certificate(key) => (key.kid(), "RS256"),
        };
        let method = request.method.to_ascii_uppercase();
        // The claim is the bare base64 of the SHA-256, without the header's prefix.
        let digest = request
            .digest
            .map(|d| d.strip_prefix("SHA-256=").unwrap_or(d));
        let claims = Claims {
            iat: request.now_unix,
            exp: request.now_unix + 120,
            request_method: &method,
            request_host: request.host,
            request_resource_path: request.request_target,
            iss: request.issuer,
            jti: request.jti,
            merchant_id: request.merchant_id,
            jwt_version: "2",
            digest,
            digest_algorithm: digest.map(|_| "SHA-256"),
        };
        // Structs rather than `json!` maps: the same bytes, without building
        // and hashing a map on every request. One scratch buffer for both.
        let mut json = Vec::with_capacity(512);
        serde_json::to_writer(
            &mut json,
            &Header {
                kid,
                alg,
                typ: "JWT",
            },
        )
        .map_err(|_| JwtError)?;
        let start = out.len();
        b64url_into(&json, out);
        out.push('.');
        json.clear();
        serde_json::to_writer(&mut json, &claims).map_err(|_| JwtError)?;
        b64url_into(&json, out);
        let signed = &out.as_bytes()[start..];
        match self {
            JwtSigner::SharedSecret(key) => {
                let tag = key.mac(signed);
                out.push('.');
                b64url_into(tag.as_ref(), out);
            }
            JwtSigner::Certificate(key) => {
                let pair = key.key();
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    signed,
                    &mut signature,
                )
                .map_err(|_| JwtError)?;
                out.push('.');
                b64url_into(&signature, out);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn a_get_carries_no_digest_claims() {
        let signer = JwtSigner::SharedSecret(SignatureKey::new("key-1", b"secret"));
        let token = signer
            .token(&JwtRequest {
                method: "get",
                host: "apitest.cybersource.com",
                request_target: "/tms/v2/tokens/1?x=1",
                digest: None,
                merchant_id: "m",
                issuer: "portfolio",
                now_unix: 1_795_000_000,
                jti: "j",
            })
            .expect("token");
        let parts: Vec<&str> = token.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["request-method"], "GET");
        assert_eq!(claims["request-resource-path"], "/tms/v2/tokens/1?x=1");
        assert_eq!(claims["iss"], "portfolio");
        assert_eq!(claims["exp"], 1_795_000_120);
        assert!(claims.get("digest").is_none() && claims.get("digestAlgorithm").is_none());
        let expected = signer_mac(&signer, &format!("{}.{}", parts[0], parts[1]));
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).expect("b64"), expected);
    }

    #[test]
    fn the_bearer_value_carries_the_same_token() {
        let signer = JwtSigner::SharedSecret(SignatureKey::new("key-1", b"secret"));
        let request = JwtRequest {
            method: "POST",
            host: "apitest.cybersource.com",
            request_target: "/tms/v2/tokenized-cards/1/authentication-options",
            digest: Some("SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
            merchant_id: "m",
            issuer: "m",
            now_unix: 1_795_000_000,
            jti: "j",
        };
        let token = signer.token(&request).expect("token");
        assert_eq!(
            signer.bearer(&request).expect("bearer"),
            format!("Bearer {token}")
        );
        // The MAC covers the token's own header and claims, not the prefix.
        let parts: Vec<&str> = token.split('.').collect();
        let expected = signer_mac(&signer, &format!("{}.{}", parts[0], parts[1]));
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).expect("b64"), expected);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(
            claims["digest"],
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(claims["digestAlgorithm"], "SHA-256");
    }

    fn signer_mac(signer: &JwtSigner, input: &str) -> Vec<u8> {
        match signer {
            JwtSigner::SharedSecret(key) => key.mac(input.as_bytes()).as_ref().to_vec(),
            JwtSigner::Certificate(_) => unreachable!("shared secret only"),
        }
    }
}
