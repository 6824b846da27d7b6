//! X.509 certificates and PKCS#12 files for JWT (RS256) and MLE.

use std::fmt;

use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
#[cfg(feature = "p12")]
use aws_lc_rs::signature::RsaKeyPair;
use x509_parser::oid_registry::OID_X509_SERIALNUMBER;

/// The alias under which the vendor's MLE certificate sits in a merchant P12
/// (the vendor SDKs' `mleKeyAlias` default).
pub const DEFAULT_MLE_ALIAS: &str = "CyberSource_SJC_US";

/// Why a certificate or key file was refused (no key material in the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateError(pub String);

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `kid` the vendor expects for a certificate: the subject's
/// SERIALNUMBER attribute, else the certificate serial in decimal
/// (vendor Python SDK `MLEUtility.extract_serial_number`).
fn kid_of(cert: &x509_parser::certificate::X509Certificate<'_>) -> String {
    subject_serial(cert).unwrap_or_else(|| cert.serial.to_string())
}

/// The subject's SERIALNUMBER attribute.
fn subject_serial(cert: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_by_oid(&OID_X509_SERIALNUMBER)
        .find_map(|attribute| attribute.as_str().ok().map(str::to_owned))
}

/// The DER in `bytes`, PEM (with its label) or DER as it is; `what` names
/// the file in the error.
fn pem_or_der(bytes: &[u8], what: &str) -> Result<(Option<String>, Vec<u8>), CertificateError> {
    if bytes.starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(bytes)
            .map_err(|e| CertificateError(format!("not a PEM {what}: {e}")))?;
        Ok((Some(pem.label), pem.contents))
    } else {
        Ok((None, bytes.to_vec()))
    }
}

/// The vendor's public MLE certificate: its `kid` and RSA encryption key.
#[derive(Clone)]
pub struct MleCertificate {
    kid: String,
    key: std::sync::Arc<OaepPublicEncryptingKey>,
    not_after_unix: i64,
}

impl fmt::Debug for MleCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MleCertificate")
            .field("kid", &self.kid)
            .field("not_after_unix", &self.not_after_unix)
            .finish()
    }
}

impl MleCertificate {
    /// Reads a PEM or DER X.509 certificate holding an RSA key.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, CertificateError> {
        Self::from_der(&pem_or_der(bytes, "certificate")?.1)
    }

    /// Reads a DER X.509 certificate holding an RSA key.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| CertificateError(format!("not an X.509 certificate: {e}")))?;
        let public = PublicEncryptingKey::from_der(cert.public_key().raw).map_err(|_| {
            CertificateError("the MLE certificate does not hold an RSA key".to_owned())
        })?;
        let key = OaepPublicEncryptingKey::new(public).map_err(|_| {
            CertificateError("the MLE certificate's RSA key cannot encrypt".to_owned())
        })?;
        Ok(Self {
            kid: kid_of(&cert),
            key: std::sync::Arc::new(key),
            not_after_unix: cert.validity().not_after.timestamp(),
        })
    }

    /// The JWE `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// When the certificate expires (seconds since the epoch).
    pub fn not_after_unix(&self) -> i64 {
        self.not_after_unix
    }

    pub(crate) fn key(&self) -> &OaepPublicEncryptingKey {
        &self.key
    }
}

/// The merchant's private key for message-level encrypted answers (response
/// MLE) and the key id the vendor knows it by (`responseMleKID` in the
/// vendor SDKs, from the Business Center). `Debug` shows the key id only.
#[derive(Clone)]
pub struct ResponseMleKey {
    kid: String,
    key: std::sync::Arc<OaepPrivateDecryptingKey>,
}

impl fmt::Debug for ResponseMleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseMleKey")
            .field("kid", &self.kid)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ResponseMleKey {
    /// Reads an unencrypted PKCS#8 RSA private key, PEM (`PRIVATE KEY`) or
    /// DER, and its key id.
    pub fn from_pkcs8_pem_or_der(
        bytes: &[u8],
        kid: impl Into<String>,
    ) -> Result<Self, CertificateError> {
        let kid = kid.into();
        if kid.is_empty() || kid.len() > 256 || kid.chars().any(char::is_control) {
            return Err(CertificateError(
                "the response MLE key id must be 1 to 256 printable characters".to_owned(),
            ));
        }
        let der = match pem_or_der(bytes, "file")? {
            (Some(label), _) if label != "PRIVATE KEY" => {
                return Err(CertificateError(format!(
                    "a PEM `PRIVATE KEY` (unencrypted PKCS#8) is needed, not `{label}`"
                )));
            }
            (_, der) => der,
        };
        let private = PrivateDecryptingKey::from_pkcs8(&der).map_err(|_| {
            CertificateError("the response MLE key is not a PKCS#8 RSA private key".to_owned())
        })?;
        let key = OaepPrivateDecryptingKey::new(private).map_err(|_| {
            CertificateError("the response MLE key cannot decrypt RSA-OAEP".to_owned())
        })?;
        Ok(Self {
            kid,
            key: std::sync::Arc::new(key),
        })
    }

    /// Reads the private key of a PKCS#12 file (the `p12` feature). The key
    /// id is `kid` when given; otherwise, as the vendor SDKs find it in a
    /// Cybersource-generated P12, the subject SERIALNUMBER of the
    /// certificate whose common name is the merchant id (case-insensitive;
    /// Python SDK `MLEUtility.extract_response_mle_kid`).
    #[cfg(feature = "p12")]
    pub fn from_pkcs12(
        data: &[u8],
        password: &str,
        merchant_id: &str,
        kid: Option<String>,
    ) -> Result<Self, CertificateError> {
        use p12_keystore::KeyStoreEntry;
        use x509_parser::oid_registry::OID_X509_COMMON_NAME;
        let store = open_p12(data, password, "response MLE P12 file")?;
        let chain = key_chain(&store, "response MLE P12 file")?;
        let kid = match kid {
            Some(kid) => kid,
            None => {
                let certificates =
                    chain
                        .certs()
                        .iter()
                        .map(|c| c.as_der())
                        .chain(store.entries().filter_map(|(_, entry)| match entry {
                            KeyStoreEntry::Certificate(c) => Some(c.as_der()),
                            _ => None,
                        }));
                certificates
                    .filter_map(|der| x509_parser::parse_x509_certificate(der).ok())
                    .find_map(|(_, cert)| {
                        let named = cert.subject().iter_by_oid(&OID_X509_COMMON_NAME).any(|cn| {
                            cn.as_str()
                                .is_ok_and(|cn| cn.eq_ignore_ascii_case(merchant_id))
                        });
                        named.then(|| subject_serial(&cert)).flatten()
                    })
                    .ok_or_else(|| {
                        CertificateError(
                            "no certificate in the P12 file is the merchant's (common name) with a subject SERIALNUMBER; give the key id"
                                .to_owned(),
                        )
                    })?
            }
        };
        Self::from_pkcs8_pem_or_der(chain.key().as_der(), kid)
    }

    /// The key id sent as the JWT claim `v-c-response-mle-kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn key(&self) -> &OaepPrivateDecryptingKey {
        &self.key
    }
}

/// The merchant's signing key from a P12 file, for RS256 JWTs (the `p12`
/// feature).
#[cfg(feature = "p12")]
#[derive(Clone)]
pub struct P12SigningKey {
    kid: String,
    key: std::sync::Arc<RsaKeyPair>,
    mle: Option<MleCertificate>,
}

#[cfg(feature = "p12")]
impl fmt::Debug for P12SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("P12SigningKey")
            .field("kid", &self.kid)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[cfg(feature = "p12")]
impl P12SigningKey {
    /// Opens a PKCS#12 file: the private key chain signs; a certificate under
    /// [`DEFAULT_MLE_ALIAS`] (if present) is the vendor's MLE certificate.
    pub fn from_pkcs12(data: &[u8], password: &str) -> Result<Self, CertificateError> {
        use p12_keystore::KeyStoreEntry;
        let store = open_p12(data, password, "P12 file")?;
        let chain = key_chain(&store, "P12 file")?;
        let key = RsaKeyPair::from_pkcs8(chain.key().as_der())
            .map_err(|_| CertificateError("the P12 private key is not an RSA key".to_owned()))?;
        let leaf = chain.certs().first().ok_or_else(|| {
            CertificateError("the P12 file holds no certificate for its key".to_owned())
        })?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_der())
            .map_err(|e| CertificateError(format!("the P12 certificate is not X.509: {e}")))?;
        let mle = store.entries().find_map(|(alias, entry)| match entry {
            KeyStoreEntry::Certificate(c) if alias.eq_ignore_ascii_case(DEFAULT_MLE_ALIAS) => {
                MleCertificate::from_der(c.as_der()).ok()
            }
            _ => None,
        });
        Ok(Self {
            kid: kid_of(&cert),
            key: std::sync::Arc::new(key),
            mle,
        })
    }

    /// The JWT `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The vendor's MLE certificate, when the P12 carries one.
    pub fn mle_certificate(&self) -> Option<&MleCertificate> {
        self.mle.as_ref()
    }

    pub(crate) fn key(&self) -> &RsaKeyPair {
        &self.key
    }
}

/// Opens a PKCS#12 file; `what` names it in the error.
#[cfg(feature = "p12")]
fn open_p12(
    data: &[u8],
    password: &str,
    what: &str,
) -> Result<p12_keystore::KeyStore, CertificateError> {
    use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
    KeyStore::from_pkcs12(data, password, Pkcs12ImportPolicy::Relaxed).map_err(|_| {
        CertificateError(format!(
            "cannot open the {what} (wrong password or unsupported format)"
        ))
    })
}

/// The private key chain of an opened PKCS#12 file.
#[cfg(feature = "p12")]
fn key_chain<'a>(
    store: &'a p12_keystore::KeyStore,
    what: &str,
) -> Result<&'a p12_keystore::PrivateKeyChain, CertificateError> {
    store
        .private_key_chain()
        .map(|(_, chain)| chain)
        .ok_or_else(|| CertificateError(format!("the {what} holds no private key")))
}
