//! JOSE compact serialization, framed by hand over aws-lc-rs primitives
//! (RSA-OAEP, AES-256-GCM, RSASSA-PKCS1-v1_5, HMAC). No cryptography is
//! implemented here: only base64url segments and JSON headers.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{OaepAlgorithm, OaepPublicEncryptingKey};

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
pub(crate) mod test_support {
    //! Decrypting a compact JWE, for tests that play the server.
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    use aws_lc_rs::rsa::{OaepAlgorithm, OaepPrivateDecryptingKey, PrivateDecryptingKey};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// Returns (protected header JSON, plaintext).
    pub fn decrypt(
        jwe: &str,
        key: &PrivateDecryptingKey,
        oaep: &'static OaepAlgorithm,
    ) -> (serde_json::Value, Vec<u8>) {
        let parts: Vec<&str> = jwe.split('.').collect();
        assert_eq!(parts.len(), 5, "compact JWE has five segments");
        let d = |s: &str| URL_SAFE_NO_PAD.decode(s).expect("base64url");
        let header: serde_json::Value = serde_json::from_slice(&d(parts[0])).expect("header JSON");
        let oaep_key = OaepPrivateDecryptingKey::new(key.clone()).expect("oaep key");
        let mut cek = vec![0u8; oaep_key.min_output_size()];
        let cek = oaep_key
            .decrypt(oaep, &d(parts[1]), &mut cek, None)
            .expect("unwrap CEK")
            .to_vec();
        let iv: [u8; 12] = d(parts[2]).try_into().expect("12-byte IV");
        let mut data = d(parts[3]);
        data.extend(d(parts[4]));
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).expect("aes key"));
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(iv),
                Aad::from(parts[0].as_bytes()),
                &mut data,
            )
            .expect("authentic ciphertext")
            .to_vec();
        (header, plain)
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
        for oaep in [&OAEP_SHA1_MGF1SHA1, &OAEP_SHA256_MGF1SHA256] {
            let jwe = compact_jwe(
                r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"k"}"#,
                &public,
                oaep,
                b"secret payload",
            )
            .expect("jwe");
            let (header, plain) = test_support::decrypt(&jwe, &private, oaep);
            assert_eq!(header["kid"], "k");
            assert_eq!(plain, b"secret payload");
            assert!(!jwe.contains("secret"));
        }
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
