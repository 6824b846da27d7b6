//! Signing Cybersource requests: HTTP Signature and JWT, computed exactly as
//! the vendor SDKs do. Public so that a request to an endpoint payclient has
//! no operation for can be signed the same way.
//!
//! **HTTP Signature.**
//! Signing string: `host`, `date`, `request-target` (lower-case method, a
//! space, the path and query as sent), `digest` (POST/PUT/PATCH only:
//! `SHA-256=` + base64 of SHA-256 of the exact body bytes) and
//! `v-c-merchant-id`, each `name: value`, joined by `\n` with no trailing
//! newline; HMAC-SHA256 keyed with the base64-decoded shared secret. Sources:
//! the vendor's Python SDK (`authenticationsdk/http/GetSignatureParameter.py`,
//! `HTTPSignatureToken.py`) and Node SDK (`SignatureParameterGenerator.js`).

use std::fmt;

use aws_lc_rs::{digest, hmac};
#[cfg(feature = "p12")]
use aws_lc_rs::{rand::SystemRandom, signature::RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

#[cfg(feature = "p12")]
use super::certificate::P12SigningKey;
use crate::jose::b64url_into;

/// The header names signed for methods without a body (GET, DELETE).
pub const HEADERS_WITHOUT_BODY: &str = "host date request-target v-c-merchant-id";
/// The header names signed for POST, PUT and PATCH.
pub const HEADERS_WITH_BODY: &str = "host date request-target digest v-c-merchant-id";

/// Whether the vendor signs a digest of the body for this method.
pub fn method_has_digest(method: &str) -> bool {
    method.eq_ignore_ascii_case("POST")
        || method.eq_ignore_ascii_case("PUT")
        || method.eq_ignore_ascii_case("PATCH")
}

/// `SHA-256=` followed by the standard base64 of SHA-256 of `body`.
pub fn digest_header(body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    let mut out = String::with_capacity(52);
    out.push_str("SHA-256=");
    STANDARD.encode_string(hash.as_ref(), &mut out);
    out
}

/// The HMAC key and key id of one merchant key. `Debug` shows the key id only.
#[derive(Clone)]
pub struct SignatureKey {
    key_id: String,
    // Shared: the key schedule is computed once per configuration.
    key: std::sync::Arc<hmac::Key>,
}

impl fmt::Debug for SignatureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureKey")
            .field("key_id", &self.key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl SignatureKey {
    /// A key from the merchant key id and the base64-decoded shared secret.
    pub fn new(key_id: impl Into<String>, secret: &[u8]) -> Self {
        Self {
            key_id: key_id.into(),
            key: std::sync::Arc::new(hmac::Key::new(hmac::HMAC_SHA256, secret)),
        }
    }

    /// The merchant key id (`keyid` in the header).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Base64 HMAC-SHA256 of `data` (also used by the HS256 JWT signer).
    pub(crate) fn mac(&self, data: &[u8]) -> hmac::Tag {
        hmac::sign(&self.key, data)
    }
}

/// What one signature covers. Kept so a 401 can say what was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningInputs {
    /// The signed host (the vendor's host, even when the request goes through a proxy).
    pub host: String,
    /// The `Date` header value (RFC 7231 IMF-fixdate).
    pub date: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path and query exactly as sent.
    pub request_target: String,
    /// The `Digest` header value, for methods with a body.
    pub digest: Option<String>,
    /// The merchant id inside the signature (the portfolio id under a meta key).
    pub signing_merchant_id: String,
}

impl SigningInputs {
    /// The names of the signed headers, in order.
    pub fn signed_headers(&self) -> &'static str {
        if self.digest.is_some() {
            HEADERS_WITH_BODY
        } else {
            HEADERS_WITHOUT_BODY
        }
    }

    /// The exact string that is signed.
    pub fn signing_string(&self) -> String {
        let mut s = String::with_capacity(
            96 + self.host.len() + self.request_target.len() + self.signing_merchant_id.len(),
        );
        s.push_str("host: ");
        s.push_str(&self.host);
        s.push_str("\ndate: ");
        s.push_str(&self.date);
        s.push_str("\nrequest-target: ");
        let start = s.len();
        s.push_str(&self.method);
        s[start..].make_ascii_lowercase();
        s.push(' ');
        s.push_str(&self.request_target);
        if let Some(digest) = &self.digest {
            s.push_str("\ndigest: ");
            s.push_str(digest);
        }
        s.push_str("\nv-c-merchant-id: ");
        s.push_str(&self.signing_merchant_id);
        s
    }
}

/// The `Signature` header value for `inputs`.
pub fn signature_header(key: &SignatureKey, inputs: &SigningInputs) -> String {
    let tag = key.mac(inputs.signing_string().as_bytes());

    let headers = inputs.signed_headers();
    let mut out = String::with_capacity(64 + key.key_id.len() + headers.len() + 44);
    out.push_str("keyid=\"");
    out.push_str(&key.key_id);
    out.push_str("\", algorithm=\"HmacSHA256\", headers=\"");
    out.push_str(headers);
    out.push_str("\", signature=\"");
    STANDARD.encode_string(tag.as_ref(), &mut out);
    out.push('"');
    out
}

impl SigningInputs {
    /// The inputs of one request from values the caller already owns (no
    /// copies); `method` must be upper-case.
    pub(crate) fn from_parts(
        host: &str,
        date: String,
        method: String,
        request_target: String,
        body: &[u8],
        signing_merchant_id: &str,
    ) -> Self {
        Self {
            host: host.to_owned(),
            digest: method_has_digest(&method).then(|| digest_header(body)),
            date,
            method,
            request_target,
            signing_merchant_id: signing_merchant_id.to_owned(),
        }
    }
}

/// Builds the inputs for one request: computes the digest when the method has one.
pub fn inputs(
    host: &str,
    date: &str,
    method: &str,
    request_target: &str,
    body: &[u8],
    signing_merchant_id: &str,
) -> SigningInputs {
    SigningInputs::from_parts(
        host,
        date.to_owned(),
        method.to_ascii_uppercase(),
        request_target.to_owned(),
        body,
        signing_merchant_id,
    )
}

// JWT authentication (`Authorization: Bearer <jwt>`), HS256 with the shared
// secret or RS256 with a P12 key. Claims as the vendor SDKs send them (Python
// `authenticationsdk/jwt/Token.py`): `digest` and `digestAlgorithm` for
// methods with a body, `iat`, `exp` (= iat + 120), `request-method`,
// `request-host`, `request-resource-path`, `iss`, `jti`, `v-c-merchant-id`
// and `v-c-jwt-version: "2"`.

/// How a JWT is signed.
#[derive(Debug, Clone)]
pub(crate) enum JwtSigner {
    /// HS256 with the merchant key id and shared secret.
    SharedSecret(SignatureKey),
    /// RS256 with a P12 key.
    #[cfg(feature = "p12")]
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
    /// `v-c-response-mle-kid`: asks for a sealed answer to this key.
    pub response_mle_kid: Option<&'a str>,
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
    /// Last, where the vendor SDKs add it (Node `JWTSigToken.js`).
    #[serde(
        rename = "v-c-response-mle-kid",
        skip_serializing_if = "Option::is_none"
    )]
    response_mle_kid: Option<&'a str>,
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
            #[cfg(feature = "p12")]
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
            response_mle_kid: request.response_mle_kid,
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
            #[cfg(feature = "p12")]
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

    #[test]
    fn matches_the_worked_example_in_the_research_notes() {
        // Secret = bytes 0..31; see shared reference cybersource.md §1.8.
        let secret: Vec<u8> = (0u8..32).collect();
        let key = SignatureKey::new("k", &secret);
        let body = br#"{"clientReferenceInformation":{"code":"TC50171_3"}}"#;
        let i = inputs(
            "apitest.cybersource.com",
            "Thu, 18 Jul 2019 00:18:03 GMT",
            "POST",
            "/pts/v2/payments",
            body,
            "test_merchant",
        );
        assert_eq!(
            i.digest.as_deref(),
            Some("SHA-256=8/r3xgd0zzJf7lzdmDJ0phW/UOyPt23n++R+PbYNQeU=")
        );
        assert!(
            signature_header(&key, &i)
                .ends_with("signature=\"90Mp1nPaGcVQFIKm0SqTwdnowAm81gZiJArp9E+GTD0=\"")
        );
    }

    #[test]
    fn the_header_signs_exactly_the_signing_string() {
        let key = SignatureKey::new("k", b"secret");
        for method in ["post", "GET", "DELETE"] {
            let i = inputs("h", "d", method, "/x?y=1", b"{}", "m");
            let expected =
                STANDARD.encode(hmac::sign(&key.key, i.signing_string().as_bytes()).as_ref());
            assert!(
                signature_header(&key, &i).ends_with(&format!("signature=\"{expected}\"")),
                "{method}"
            );
        }
    }

    #[test]
    fn get_and_delete_sign_no_digest() {
        for method in ["GET", "delete"] {
            let i = inputs("h", "d", method, "/x?y=1", b"ignored", "m");
            assert_eq!(i.digest, None);
            assert_eq!(
                i.signing_string(),
                format!(
                    "host: h\ndate: d\nrequest-target: {} /x?y=1\nv-c-merchant-id: m",
                    method.to_lowercase()
                )
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SignatureKey::new("key-1", b"super-secret-bytes");
        let text = format!("{key:?}");
        assert!(text.contains("key-1") && !text.contains("super"), "{text}");
    }
}

#[cfg(test)]
mod jwt_tests {
    use super::*;
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
                response_mle_kid: None,
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
            response_mle_kid: None,
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
            #[cfg(feature = "p12")]
            JwtSigner::Certificate(_) => unreachable!("shared secret only"),
        }
    }
}
