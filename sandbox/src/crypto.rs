//! The sandbox's own cryptography, on aws-lc-rs and independent of
//! `payclient`: HMAC and SHA-256 for Cybersource authentication, RS256 for
//! the JWTs it issues, RSA-OAEP + A256GCM to open the JWEs it receives.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use aws_lc_rs::{digest, rand};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// Base64url without padding, as JOSE writes it.
pub(crate) fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub(crate) fn from_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Standard base64 of SHA-256 of `bytes` (the `Digest` header and claim).
pub(crate) fn sha256_b64(bytes: &[u8]) -> String {
    STANDARD.encode(digest::digest(&digest::SHA256, bytes))
}

/// Random bytes.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // The system RNG only fails when the OS has none; the sandbox cannot run then.
    if rand::fill(&mut out).is_err() {
        out.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    out
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RSA key that signs RS256 JWTs, with its public JWK.
pub(crate) struct SigningKey {
    pair: RsaKeyPair,
    public: PublicKeyComponents<Vec<u8>>,
    pub(crate) kid: String,
}

impl SigningKey {
    pub(crate) fn from_pkcs8(der: &[u8], kid: String) -> Result<Self, String> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| format!("signing key: {e}"))?;
        let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        Ok(Self { pair, public, kid })
    }

    /// The public key as `/flex/v2/public-keys/{kid}` serves it.
    pub(crate) fn jwk(&self) -> Value {
        let c = &self.public;
        json!({"kty": "RSA", "use": "enc", "kid": self.kid, "e": b64url(&c.e), "n": b64url(&c.n)})
    }

    /// A compact JWS, RS256, `kid` = this key.
    pub(crate) fn sign(&self, claims: &Value) -> Result<String, String> {
        self.sign_with_header(&json!({"kid": self.kid, "alg": "RS256"}), claims)
    }

    /// A compact JWS, RS256, with `header` as given.
    pub(crate) fn sign_with_header(
        &self,
        header: &Value,
        claims: &Value,
    ) -> Result<String, String> {
        let input = format!(
            "{}.{}",
            b64url(header.to_string()),
            b64url(claims.to_string())
        );
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "RSA signing failed".to_owned())?;
        Ok(format!("{input}.{}", b64url(signature)))
    }

    /// Checks an RS256 compact JWS made by this key and returns its claims.
    pub(crate) fn verify(&self, jws: &str) -> Option<Value> {
        let mut parts = jws.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let header: Value = serde_json::from_slice(&from_b64url(h)?).ok()?;
        if header["alg"] != "RS256" || header["kid"] != self.kid.as_str() {
            return None;
        }
        if !self.verifies(format!("{h}.{p}").as_bytes(), &from_b64url(s)?) {
            return None;
        }
        serde_json::from_slice(&from_b64url(p)?).ok()
    }

    /// Whether `signature` is this key's RS256 signature of `input`.
    pub(crate) fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        let public = aws_lc_rs::signature::RsaPublicKeyComponents {
            n: &self.public.n,
            e: &self.public.e,
        };
        public
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                input,
                signature,
            )
            .is_ok()
    }
}

/// An RSA key that opens JWEs sent to the sandbox.
pub(crate) struct DecryptionKey {
    private: PrivateDecryptingKey,
    public: PublicKeyComponents<Vec<u8>>,
    pub(crate) kid: String,
}

/// Why a JWE could not be opened.
pub(crate) type JweRefusal = &'static str;

impl DecryptionKey {
    pub(crate) fn from_pkcs8(der: &[u8], kid: String) -> Result<Self, String> {
        let private =
            PrivateDecryptingKey::from_pkcs8(der).map_err(|e| format!("decryption key: {e}"))?;
        // The same key read as a key pair gives the public components.
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| format!("decryption key: {e}"))?;
        let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        Ok(Self {
            private,
            public,
            kid,
        })
    }

    /// PKCS#8 of the private key (to make the MLE certificate).
    pub(crate) fn pkcs8(&self) -> Result<Vec<u8>, String> {
        self.private
            .as_der()
            .map(|d| d.as_ref().to_vec())
            .map_err(|e| format!("decryption key: {e}"))
    }

    /// The public key as a JWK with `use: enc` (a capture context's `flx.jwk`).
    pub(crate) fn jwk(&self) -> Value {
        let c = &self.public;
        json!({"kty": "RSA", "e": b64url(&c.e), "use": "enc", "n": b64url(&c.n), "kid": self.kid})
    }

    /// Seals `plaintext` to this key's public half as a compact JWE
    /// (`RSA-OAEP-256`, `A256GCM`, this key's `kid`): an answer for a
    /// merchant who asked for response MLE.
    pub(crate) fn seal(&self, plaintext: &[u8], now: i64) -> Result<String, String> {
        let public = OaepPublicEncryptingKey::new(self.private.public_key())
            .map_err(|e| format!("response MLE key: {e}"))?;
        let header = b64url(
            json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": self.kid, "iat": now})
                .to_string(),
        );
        let cek = random_bytes::<32>();
        let iv = random_bytes::<12>();
        let mut wrapped = vec![0u8; public.ciphertext_size()];
        let wrapped = public
            .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut wrapped, None)
            .map_err(|e| format!("RSA-OAEP-256: {e}"))?;
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &cek).map_err(|e| format!("AES key: {e}"))?,
        );
        let mut data = plaintext.to_vec();
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(iv),
                Aad::from(header.as_bytes()),
                &mut data,
            )
            .map_err(|e| format!("AES-GCM: {e}"))?;
        Ok(format!(
            "{header}.{}.{}.{}.{}",
            b64url(wrapped),
            b64url(iv),
            b64url(&data),
            b64url(tag.as_ref())
        ))
    }

    /// Opens a Flex JWE (`RSA-OAEP`, SHA-1) and returns its plaintext.
    pub(crate) fn open_flex(&self, jwe: &str) -> Result<Vec<u8>, JweRefusal> {
        self.open(jwe, "RSA-OAEP", &OAEP_SHA1_MGF1SHA1)
    }

    /// Opens an MLE JWE (`RSA-OAEP-256`) and returns its plaintext.
    pub(crate) fn open_mle(&self, jwe: &str) -> Result<Vec<u8>, JweRefusal> {
        self.open(jwe, "RSA-OAEP-256", &OAEP_SHA256_MGF1SHA256)
    }

    fn open(
        &self,
        jwe: &str,
        alg: &str,
        oaep_alg: &'static OaepAlgorithm,
    ) -> Result<Vec<u8>, JweRefusal> {
        let parts: Vec<&str> = jwe.trim().split('.').collect();
        let [h, k, iv, ct, tag] = parts.as_slice() else {
            return Err("is not a compact JWE of five segments");
        };
        let header: Value = from_b64url(h)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("has a header that is not base64url JSON")?;
        if header["alg"] != alg || header["enc"] != "A256GCM" {
            return Err("uses an algorithm this key does not accept");
        }
        if header["kid"] != self.kid.as_str() {
            return Err("names another key (kid)");
        }
        let oaep = OaepPrivateDecryptingKey::new(self.private.clone())
            .map_err(|_| "cannot be opened with this key")?;
        let wrapped = from_b64url(k).ok_or("has a malformed encrypted key")?;
        let mut cek = vec![0u8; oaep.min_output_size()];
        let cek = oaep
            .decrypt(oaep_alg, &wrapped, &mut cek, None)
            .map_err(|_| "has an encrypted key that does not decrypt")?;
        let key = UnboundKey::new(&AES_256_GCM, cek)
            .map_err(|_| "has a content key of the wrong size")?;
        let iv: [u8; 12] = from_b64url(iv)
            .and_then(|v| v.try_into().ok())
            .ok_or("has a malformed IV")?;
        let mut data = from_b64url(ct).ok_or("has malformed ciphertext")?;
        data.extend(from_b64url(tag).ok_or("has a malformed tag")?);
        let plain = LessSafeKey::new(key)
            .open_in_place(
                Nonce::assume_unique_for_key(iv),
                Aad::from(h.as_bytes()),
                &mut data,
            )
            .map_err(|_| "fails authentication (altered or wrong key)")?;
        Ok(plain.to_vec())
    }
}

/// `der` as PEM with `label`, in 64-character lines.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A self-signed certificate for `key` whose subject SERIALNUMBER is the
/// key's kid, as the vendor's MLE certificates carry it.
pub(crate) fn mle_certificate_pem(key: &DecryptionKey) -> Result<String, String> {
    let pkcs8 = key.pkcs8()?;
    let pair = rcgen::KeyPair::try_from(pkcs8.as_slice()).map_err(|e| format!("MLE key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(vec!["sandbox.payclient.invalid".to_owned()])
        .map_err(|e| format!("MLE certificate: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "payclient sandbox MLE");
    params.distinguished_name.push(
        rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]),
        key.kid.clone(),
    );
    let cert = params
        .self_signed(&pair)
        .map_err(|e| format!("MLE certificate: {e}"))?;
    Ok(cert.pem())
}
