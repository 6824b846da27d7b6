//! JOSE compact serialization, framed by hand over aws-lc-rs primitives
//! (RSA-OAEP, AES-256-GCM, RSASSA-PKCS1-v1_5, HMAC). No cryptography is
//! implemented here: only base64url segments and JSON headers.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// base64url without padding, as JOSE requires.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends base64url of `bytes` to `out`.
pub(crate) fn b64url_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Decodes base64url without padding, strictly: no `=`, no whitespace, no
/// characters of the standard alphabet, no non-zero trailing bits (the
/// `base64` engine's defaults).
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Why a JWE could not be built. Never carries plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JweError(pub &'static str);

/// A compact JWE: RSA-OAEP key wrapping (`oaep` picks SHA-1 or SHA-256) of a
/// fresh AES-256-GCM key; `protected_header` is the JSON header text.
pub(crate) fn compact_jwe(
    protected_header: &str,
    recipient: &OaepPublicEncryptingKey,
    oaep: &'static OaepAlgorithm,
    plaintext: &[u8],
) -> Result<String, JweError> {
    // One draw for the content key and the IV.
    let mut random = [0u8; 44];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| JweError("random content key and IV"))?;
    let (cek, iv_bytes) = random.split_at(32);
    let mut iv = [0u8; 12];
    iv.copy_from_slice(iv_bytes);

    let mut encrypted_key = vec![0u8; recipient.ciphertext_size()];
    let encrypted_key = recipient
        .encrypt(oaep, cek, &mut encrypted_key, None)
        .map_err(|_| JweError("RSA-OAEP encryption of the content key"))?
        .to_vec();

    let header_b64 = b64url(protected_header.as_bytes());
    let key =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).map_err(|_| JweError("AES key"))?);
    let mut in_out = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut in_out,
        )
        .map_err(|_| JweError("AES-GCM encryption"))?;

    let mut out = String::with_capacity(
        header_b64.len() + encrypted_key.len() * 4 / 3 + in_out.len() * 4 / 3 + 48,
    );
    out.push_str(&header_b64);
    out.push('.');
    b64url_into(&encrypted_key, &mut out);
    out.push('.');
    b64url_into(&iv, &mut out);
    out.push('.');
    b64url_into(&in_out, &mut out);
    out.push('.');
    b64url_into(tag.as_ref(), &mut out);
    Ok(out)
}

/// The protected-header members of a JWE that opening it depends on.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct JweHeader {
    pub alg: String,
    pub enc: String,
    #[serde(default)]
    pub kid: Option<String>,
}

/// A JWE's protected header is a few dozen bytes; anything far larger is
/// not one.
const MAX_JWE_HEADER_BYTES: usize = 4096;

/// Opens a compact JWE whose content key is wrapped with RSA-OAEP
/// (`alg` names the `oaep` variant, as the header must) and whose content
/// is AES-256-GCM over the protected header. Every length is checked
/// before use; the reason never carries plaintext.
pub(crate) fn open_compact_jwe(
    jwe: &str,
    key: &OaepPrivateDecryptingKey,
    alg: (&'static str, &'static OaepAlgorithm),
) -> Result<(JweHeader, Vec<u8>), JweError> {
    let mut segments = jwe.trim().split('.');
    let (Some(header_b64), Some(key_b64), Some(iv_b64), Some(data_b64), Some(tag_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(JweError("not a compact JWE (five segments)"));
    };
    if header_b64.len() > MAX_JWE_HEADER_BYTES {
        return Err(JweError("the protected header is too large"));
    }
    let header: JweHeader = b64url_decode(header_b64)
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(JweError("the protected header is not base64url JSON"))?;
    if header.alg != alg.0 {
        return Err(JweError("unexpected key management algorithm (alg)"));
    }
    if header.enc != "A256GCM" {
        return Err(JweError("unexpected content encryption (enc)"));
    }
    let decode = |segment: &str, what: &'static str| b64url_decode(segment).ok_or(JweError(what));
    let wrapped = decode(key_b64, "the encrypted key is not base64url")?;
    if wrapped.len() != key.key_size_bytes() {
        return Err(JweError("the encrypted key does not fit the private key"));
    }
    let mut cek = vec![0u8; key.min_output_size()];
    let cek = key
        .decrypt(alg.1, &wrapped, &mut cek, None)
        .map_err(|_| JweError("the content key does not unwrap with the private key"))?;
    let iv: [u8; 12] = decode(iv_b64, "the IV is not base64url")?
        .try_into()
        .map_err(|_| JweError("the IV is not 12 bytes"))?;
    let tag = decode(tag_b64, "the tag is not base64url")?;
    if tag.len() != 16 {
        return Err(JweError("the tag is not 16 bytes"));
    }
    let mut data = decode(data_b64, "the ciphertext is not base64url")?;
    data.extend_from_slice(&tag);
    let content_key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, cek)
            .map_err(|_| JweError("the content key is not an AES-256 key"))?,
    );
    let plain_len = content_key
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut data,
        )
        .map_err(|_| JweError("the ciphertext or header was altered"))?
        .len();
    data.truncate(plain_len);
    Ok((header, data))
}

#[cfg(any(
    feature = "cybersource-flex",
    feature = "cybersource-intelligent-commerce"
))]
pub(crate) use compact_jws::*;

/// Splitting a compact JWS, shared by Flex token validation and the
/// Intelligent Commerce `signedPayload`.
#[cfg(any(
    feature = "cybersource-flex",
    feature = "cybersource-intelligent-commerce"
))]
mod compact_jws {
    /// Compact JWS larger than this are refused before parsing (Flex tokens,
    /// Intelligent Commerce `signedPayload`).
    pub(crate) const MAX_COMPACT_JWS_BYTES: usize = 64 * 1024;

    /// A compact JWS split into its segments, with the header decoded from a
    /// JSON object into `H`; payload and signature are decoded by the caller,
    /// after its own header rules.
    pub(crate) struct CompactJws<'a, H> {
        pub header: H,
        pub payload: &'a str,
        pub signature: &'a str,
        /// `header.payload`, the bytes the signature covers.
        pub signing_input: &'a [u8],
    }

    /// A refusal of the token named `what`.
    pub(crate) fn refuse(what: &'static str, reason: &'static str) -> crate::Error {
        crate::Error::Verification(crate::VerificationError::new(what, reason))
    }

    /// Decodes one base64url segment.
    pub(crate) fn decode_segment(
        segment: &str,
        what: &'static str,
    ) -> Result<Vec<u8>, crate::Error> {
        super::b64url_decode(segment)
            .ok_or_else(|| refuse(what, "has a segment that is not base64url"))
    }

    /// Size first, then three segments, then a header that is a JSON object.
    pub(crate) fn split_compact_jws<'a, H: serde::de::DeserializeOwned>(
        token: &'a str,
        what: &'static str,
    ) -> Result<CompactJws<'a, H>, crate::Error> {
        if token.len() > MAX_COMPACT_JWS_BYTES {
            return Err(refuse(what, "is larger than 64 KiB"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse(what, "is not a compact JWS (three segments)"));
        };
        let header_bytes = decode_segment(header, what)?;
        // A typed `H` would also be read from a JSON array.
        if header_bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&header_bytes).is_ok();
            return Err(refuse(
                what,
                if is_json {
                    "has a header that is not a JSON object"
                } else {
                    "has a header that is not JSON"
                },
            ));
        }
        let header_value: H = serde_json::from_slice(&header_bytes)
            .map_err(|_| refuse(what, "has a header that is not JSON"))?;
        Ok(CompactJws {
            header: header_value,
            payload,
            signature,
            signing_input: &token.as_bytes()[..header.len() + 1 + payload.len()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::{
        KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, PrivateDecryptingKey,
    };

    #[test]
    fn round_trips_with_both_oaep_hashes_and_binds_the_header() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        let public = OaepPublicEncryptingKey::new(private.public_key()).expect("public");
        let opener = OaepPrivateDecryptingKey::new(private.clone()).expect("oaep key");
        for (alg, oaep) in [
            ("RSA-OAEP", &OAEP_SHA1_MGF1SHA1),
            ("RSA-OAEP-256", &OAEP_SHA256_MGF1SHA256),
        ] {
            let jwe = compact_jwe(
                &format!(r#"{{"alg":"{alg}","enc":"A256GCM","kid":"k"}}"#),
                &public,
                oaep,
                b"secret payload",
            )
            .expect("jwe");
            let (header, plain) = open_compact_jwe(&jwe, &opener, (alg, oaep)).expect("opens");
            assert_eq!(header.kid.as_deref(), Some("k"));
            assert_eq!(plain, b"secret payload");
            assert!(!jwe.contains("secret"));
            // The other OAEP variant does not open it.
            let other = if alg == "RSA-OAEP" {
                ("RSA-OAEP", &OAEP_SHA256_MGF1SHA256)
            } else {
                ("RSA-OAEP-256", &OAEP_SHA1_MGF1SHA1)
            };
            assert!(open_compact_jwe(&jwe, &opener, other).is_err());
        }
    }

    #[test]
    fn an_altered_or_malformed_jwe_is_refused_without_panicking() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        let public = OaepPublicEncryptingKey::new(private.public_key()).expect("public");
        let opener = OaepPrivateDecryptingKey::new(private).expect("oaep key");
        let alg = ("RSA-OAEP-256", &OAEP_SHA256_MGF1SHA256);
        let jwe = compact_jwe(
            r#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#,
            &public,
            &OAEP_SHA256_MGF1SHA256,
            b"{}",
        )
        .expect("jwe");
        let segments: Vec<&str> = jwe.split('.').collect();
        let with = |i: usize, value: &str| {
            let mut s = segments.clone();
            s[i] = value;
            s.join(".")
        };
        let other_header = b64url(br#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"x"}"#);
        let cases = [
            (with(0, &other_header), "altered"),
            (with(3, &b64url(b"xx")), "altered"),
            (with(4, "AAAA"), "16 bytes"),
            (with(2, "AAAA"), "12 bytes"),
            (with(1, "AAAA"), "does not fit"),
            (
                with(0, &b64url(br#"{"alg":"RSA1_5","enc":"A256GCM"}"#)),
                "(alg)",
            ),
            (
                with(
                    0,
                    &b64url(br#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256"}"#),
                ),
                "(enc)",
            ),
            (with(0, "%%"), "base64url JSON"),
            (segments[..4].join("."), "five segments"),
            (format!("{jwe}.x"), "five segments"),
            (String::new(), "five segments"),
        ];
        for (text, reason) in cases {
            let err = open_compact_jwe(&text, &opener, alg).expect_err(reason);
            assert!(err.0.contains(reason), "{reason}: {}", err.0);
        }
        assert_eq!(
            open_compact_jwe(&jwe, &opener, alg).expect("intact").1,
            b"{}"
        );
    }

    #[test]
    fn two_encryptions_differ() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        let public = OaepPublicEncryptingKey::new(private.public_key()).expect("public");
        let a = compact_jwe("{}", &public, &OAEP_SHA256_MGF1SHA256, b"x").expect("jwe");
        let b = compact_jwe("{}", &public, &OAEP_SHA256_MGF1SHA256, b"x").expect("jwe");
        assert_ne!(a, b, "fresh key and IV every time");
    }
}
