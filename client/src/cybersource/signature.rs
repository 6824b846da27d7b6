//! Cybersource HTTP Signature, computed exactly as the vendor SDKs do.
//!
//! Signing string: `host`, `date`, `request-target` (lower-case method, a
//! space, the path and query as sent), `digest` (POST/PUT/PATCH only:
//! `SHA-256=` + base64 of SHA-256 of the exact body bytes) and
//! `v-c-merchant-id`, each `name: value`, joined by `\n` with no trailing
//! newline; HMAC-SHA256 keyed with the base64-decoded shared secret. Sources:
//! the vendor's Python SDK (`authenticationsdk/http/GetSignatureParameter.py`,
//! `HTTPSignatureToken.py`) and Node SDK (`SignatureParameterGenerator.js`).

use std::fmt;

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

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
