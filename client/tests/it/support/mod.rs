//! Test helpers: keys and certificates made with real crypto, an independent
//! HTTP Signature / JWT checker (RustCrypto, not aws-lc-rs) and a JWE decrypter.
#![allow(dead_code)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use payclient::cybersource::{Authentication, CybersourceClient, CybersourceConfig, Environment};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

pub const MERCHANT: &str = "test_merchant";
pub const KEY_ID: &str = "08c94330-f618-42a3-b09d-e1e43be5efda";
pub const SECRET_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const HOST: &str = "apitest.cybersource.com";

pub fn secret_bytes() -> Vec<u8> {
    STANDARD.decode(SECRET_B64).expect("base64")
}

pub fn builder(
    base_url: &str,
    auth: Authentication,
) -> payclient::cybersource::CybersourceConfigBuilder {
    CybersourceConfig::builder()
        .merchant_id(MERCHANT)
        .key_id(KEY_ID)
        .shared_secret(SecretString::from(SECRET_B64))
        .environment(Environment::Custom {
            base_url: base_url.to_owned(),
            signing_host: HOST.to_owned(),
        })
        .authentication(auth)
        .retry(payclient::RetryPolicy::default().with_backoff(
            std::time::Duration::from_millis(5),
            std::time::Duration::from_millis(20),
        ))
}

pub fn client(base_url: &str, auth: Authentication) -> CybersourceClient {
    CybersourceClient::new(builder(base_url, auth).build().expect("valid config"))
}

/// Recomputes an HTTP Signature from what the server received, with RustCrypto.
pub fn check_http_signature(request: &wiremock::Request) {
    let h = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let signature = h("signature").expect("Signature header");
    let field = |name: &str| {
        let start = signature.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
        let end = signature[start..].find('"').expect("closing quote") + start;
        signature[start..end].to_owned()
    };
    assert_eq!(field("keyid"), KEY_ID);
    assert_eq!(field("algorithm"), "HmacSHA256");
    let method = request.method.as_str().to_ascii_lowercase();
    let target = match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let with_body = matches!(method.as_str(), "post" | "put" | "patch");
    let mut signing = format!(
        "host: {}\ndate: {}\nrequest-target: {method} {target}\n",
        h("host").expect("host"),
        h("date").expect("date")
    );
    if with_body {
        let digest = format!("SHA-256={}", STANDARD.encode(Sha256::digest(&request.body)));
        assert_eq!(
            h("digest").as_deref(),
            Some(digest.as_str()),
            "digest covers the exact body"
        );
        signing.push_str(&format!("digest: {digest}\n"));
        assert_eq!(
            field("headers"),
            "host date request-target digest v-c-merchant-id"
        );
    } else {
        assert_eq!(field("headers"), "host date request-target v-c-merchant-id");
    }
    signing.push_str(&format!(
        "v-c-merchant-id: {}",
        h("v-c-merchant-id").expect("merchant id")
    ));
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret_bytes()).expect("key");
    mac.update(signing.as_bytes());
    assert_eq!(
        field("signature"),
        STANDARD.encode(mac.finalize().into_bytes()),
        "signature recomputed independently"
    );
}

/// Checks an HS256 bearer JWT with RustCrypto and returns its claims.
pub fn check_hs256_jwt(request: &wiremock::Request) -> serde_json::Value {
    let auth = request
        .headers
        .get("authorization")
        .expect("Authorization")
        .to_str()
        .expect("ascii");
    let token = auth.strip_prefix("Bearer ").expect("bearer");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    assert_eq!(
        header,
        serde_json::json!({"kid": KEY_ID, "alg": "HS256", "typ": "JWT"})
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret_bytes()).expect("key");
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64"))
        .expect("HS256 signature verifies");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("claims")
}

/// An RSA key and a self-signed certificate for it whose subject carries
/// SERIALNUMBER `serial` (the vendor's kid).
pub struct TestCertificate {
    pub private: PrivateDecryptingKey,
    pub pkcs8: Vec<u8>,
    pub der: Vec<u8>,
    pub pem: String,
}

pub fn certificate(serial: &str) -> TestCertificate {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("rsa key");
    let pkcs8 = private.as_der().expect("pkcs8").as_ref().to_vec();
    certificate_for_key(&pkcs8, serial, "payclient test")
}

/// A self-signed certificate for the PKCS#8 key `pkcs8`, with subject
/// common name `common_name` and SERIALNUMBER `serial`.
pub fn certificate_for_key(pkcs8: &[u8], serial: &str, common_name: &str) -> TestCertificate {
    let private = PrivateDecryptingKey::from_pkcs8(pkcs8).expect("rsa key");
    let pkcs8 = pkcs8.to_vec();
    let key = rcgen::KeyPair::try_from(pkcs8.as_slice()).expect("rcgen key");
    let mut params =
        rcgen::CertificateParams::new(vec!["cybersource.test".to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), serial);
    let cert = params.self_signed(&key).expect("certificate");
    TestCertificate {
        private,
        pkcs8,
        der: cert.der().to_vec(),
        pem: cert.pem(),
    }
}

/// A P12 holding `signing` as the key chain and `mle` under the vendor's alias.
#[cfg(feature = "p12")]
pub fn p12(signing: &TestCertificate, mle: Option<&TestCertificate>, password: &str) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let mut store = KeyStore::new();
    let chain = PrivateKeyChain::new(
        vec![1u8, 2, 3, 4],
        PrivateKey::from_der(&signing.pkcs8).expect("key"),
        vec![Certificate::from_der(&signing.der).expect("cert")],
    );
    store.add_entry("merchant", KeyStoreEntry::PrivateKeyChain(chain));
    if let Some(mle) = mle {
        store.add_entry(
            "CyberSource_SJC_US",
            KeyStoreEntry::Certificate(Certificate::from_der(&mle.der).expect("cert")),
        );
    }
    store.writer(password).write().expect("p12")
}

/// Decrypts an MLE JWE (RSA-OAEP-256 + A256GCM).
pub fn decrypt_jwe(jwe: &str, key: &PrivateDecryptingKey) -> (serde_json::Value, Vec<u8>) {
    decrypt_jwe_with(jwe, key, &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256)
}

/// Decrypts a compact JWE whose key is wrapped with `oaep` and whose content is A256GCM.
pub fn decrypt_jwe_with(
    jwe: &str,
    key: &PrivateDecryptingKey,
    oaep_alg: &'static aws_lc_rs::rsa::OaepAlgorithm,
) -> (serde_json::Value, Vec<u8>) {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    use aws_lc_rs::rsa::OaepPrivateDecryptingKey;
    let parts: Vec<&str> = jwe.split('.').collect();
    assert_eq!(parts.len(), 5, "compact JWE");
    let d = |s: &str| URL_SAFE_NO_PAD.decode(s).expect("b64url");
    let header = serde_json::from_slice(&d(parts[0])).expect("header");
    let oaep = OaepPrivateDecryptingKey::new(key.clone()).expect("oaep");
    let mut cek = vec![0u8; oaep.min_output_size()];
    let cek = oaep
        .decrypt(oaep_alg, &d(parts[1]), &mut cek, None)
        .expect("CEK")
        .to_vec();
    let mut data = d(parts[3]);
    data.extend(d(parts[4]));
    let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).expect("aes"));
    let iv: [u8; 12] = d(parts[2]).try_into().expect("iv");
    let plain = aes
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(parts[0].as_bytes()),
            &mut data,
        )
        .expect("authentic")
        .to_vec();
    (header, plain)
}

/// An RSA key that signs JWTs (RS256), with its public JWK.
pub struct JwtSigner {
    pub pair: aws_lc_rs::signature::RsaKeyPair,
    pub kid: String,
}

impl JwtSigner {
    pub fn new(kid: &str) -> Self {
        let pair =
            aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("rsa key");
        Self {
            pair,
            kid: kid.to_owned(),
        }
    }

    /// The public key as the vendor's key endpoint returns it.
    pub fn jwk(&self) -> serde_json::Value {
        use aws_lc_rs::signature::KeyPair as _;
        let components =
            aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(self.pair.public_key());
        serde_json::json!({"kty": "RSA", "use": "sig", "kid": self.kid, "n": URL_SAFE_NO_PAD.encode(&components.n), "e": URL_SAFE_NO_PAD.encode(&components.e)})
    }

    /// Signs `header.claims` with this key (the header is used as given).
    pub fn sign_with_header(
        &self,
        header: &serde_json::Value,
        claims: &serde_json::Value,
    ) -> String {
        self.sign_with_raw_header(&header.to_string(), claims)
    }

    /// Signs with `header` as exact text (e.g. with a member given twice).
    pub fn sign_with_raw_header(&self, header: &str, claims: &serde_json::Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An RS256 JWT with `kid` = this key's kid.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        self.sign_with_header(
            &serde_json::json!({"kid": self.kid, "alg": "RS256"}),
            claims,
        )
    }
}

/// An RSA key pair for the capture context's `flx.jwk`: the JWK to publish
/// and the private half to decrypt with.
pub fn encryption_key(
    kid: &str,
    bits: aws_lc_rs::rsa::KeySize,
) -> (serde_json::Value, PrivateDecryptingKey) {
    use aws_lc_rs::signature::KeyPair as _;
    let pair = aws_lc_rs::rsa::KeyPair::generate(bits).expect("rsa key");
    let pkcs8 = pair.as_der().expect("pkcs8");
    let private = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).expect("decrypting key");
    let components = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let jwk = serde_json::json!({"kty": "RSA", "e": URL_SAFE_NO_PAD.encode(&components.e), "use": "enc", "n": URL_SAFE_NO_PAD.encode(&components.n), "kid": kid});
    (jwk, private)
}

/// Decrypts a Flex JWE (RSA-OAEP with SHA-1, A256GCM).
pub fn decrypt_flex_jwe(jwe: &str, key: &PrivateDecryptingKey) -> (serde_json::Value, Vec<u8>) {
    decrypt_jwe_with(jwe, key, &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1)
}

/// The request example of `verb path` in a spec's text (the guide's,
/// repaired where the spec says so).
pub fn request_example(spec: &str, path: &str, verb: &str) -> serde_json::Value {
    let spec: serde_json::Value = serde_yaml_ng::from_str(spec).expect("spec YAML");
    let content = &spec["paths"][path][verb]["requestBody"]["content"];
    let media = content
        .as_object()
        .expect("content")
        .values()
        .next()
        .expect("one media type");
    media["example"].clone()
}
