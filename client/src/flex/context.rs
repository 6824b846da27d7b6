//! A validated capture context (what it asks for, where and how to send the
//! customer's data) and a validated transient token.

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey, PublicKeyComponents,
};

use super::card::PaymentData;
use super::fields::{CaptureField, insert_path};
use super::jws::refuse;
use crate::flex::raw::types;
use payclient_core::{Error, ValidationError};

const WHAT: &str = "capture context";

/// The path of the token endpoint in the spec; a capture context naming
/// another one is refused rather than followed.
pub const TOKENS_PATH: &str = "/flex/v2/tokens";

/// A capture context whose signature, times, key and origin were checked.
#[derive(Clone)]
pub struct CaptureContext {
    jwt: String,
    claims: types::CaptureContextClaims,
    origin: String,
    encryption_kid: String,
    /// `flx.jwk`'s modulus and exponent, checked when validated; the
    /// aws-lc key is built once, on the first `encrypt`.
    encryption_components: Arc<(Vec<u8>, Vec<u8>)>,
    encryption_key: Arc<OnceLock<Option<OaepPublicEncryptingKey>>>,
    required: Vec<String>,
    optional: Vec<String>,
}

impl fmt::Debug for CaptureContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureContext")
            .field("kid", &self.encryption_kid)
            .field("origin", &self.origin)
            .field("exp", &self.claims.exp)
            .field("required_fields", &self.required)
            .field("optional_fields", &self.optional)
            .finish()
    }
}

/// Checks `flx.jwk`: an RSA encryption key of at least 2048 bits with a kid.
fn rsa_encryption_components(
    jwk: &types::EncryptionJwk,
) -> Result<(String, Vec<u8>, Vec<u8>), Error> {
    if jwk.kty.as_deref() != Some("RSA") {
        return Err(refuse(WHAT, "has an encryption key that is not RSA"));
    }
    if jwk.use_.as_deref().is_some_and(|u| u != "enc") {
        return Err(refuse(WHAT, "has a key that is not for encryption"));
    }
    let kid = jwk
        .kid
        .clone()
        .ok_or_else(|| refuse(WHAT, "has an encryption key without a kid"))?;
    let decode = |v: &Option<String>| v.as_deref().and_then(crate::jose::b64url_decode);
    let (Some(n), Some(e)) = (decode(&jwk.n), decode(&jwk.e)) else {
        return Err(refuse(
            WHAT,
            "has an encryption key with a malformed modulus or exponent",
        ));
    };
    let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
    if bits < 2048 {
        return Err(refuse(WHAT, "has an encryption key shorter than 2048 bits"));
    }
    if e.is_empty() || e.len() > 8 {
        return Err(refuse(
            WHAT,
            "has an encryption key with an unusable exponent",
        ));
    }
    Ok((kid, n, e))
}

fn oaep_key(n: &[u8], e: &[u8]) -> Option<OaepPublicEncryptingKey> {
    let public: PublicEncryptingKey = PublicKeyComponents { n, e }.try_into().ok()?;
    OaepPublicEncryptingKey::new(public).ok()
}

/// `scheme://host[:port]` of `url`, when it is https (or one of the
/// `flx.origin`, when it is exactly one of the allowed origins (the vendor's
/// Flex hosts, https, or origins configured for a simulator).
fn origin_of(url: &str, allowed: &[String]) -> Result<String, Error> {
    let candidate = url.trim_end_matches('/');
    if allowed.iter().any(|a| a == candidate) {
        return Ok(candidate.to_owned());
    }
    // Refused: say why as precisely as the URL allows.
    let reason = match reqwest::Url::parse(url) {
        Err(_) => "has an origin that is not a URL",
        Ok(parsed) if parsed.scheme() != "https" => "has an origin that is not https",
        Ok(parsed) if !matches!(parsed.path(), "" | "/") => "has an origin with a path",
        Ok(_) => "has an origin that is not one of the vendor's Flex hosts",
    };
    Err(refuse(WHAT, reason))
}

impl CaptureContext {
    /// Builds the context from verified claims; `allowed_origins` are the
    /// token endpoints this environment accepts.
    pub(crate) fn from_verified(
        jwt: &str,
        claims: types::CaptureContextClaims,
        allowed_origins: &[String],
    ) -> Result<Self, Error> {
        let jwk = claims
            .flx
            .jwk
            .as_ref()
            .ok_or_else(|| refuse(WHAT, "has no encryption key (flx.jwk)"))?;
        let (encryption_kid, n, e) = rsa_encryption_components(jwk)?;
        let origin = origin_of(
            claims
                .flx
                .origin
                .as_deref()
                .ok_or_else(|| refuse(WHAT, "has no flx.origin"))?,
            allowed_origins,
        )?;
        if claims.flx.path.as_deref() != Some(TOKENS_PATH) {
            return Err(refuse(
                WHAT,
                "names a token endpoint other than /flex/v2/tokens",
            ));
        }
        let mut required = Vec::new();
        let mut optional = Vec::new();
        for entry in &claims.ctx {
            if let Some(data) = &entry.data {
                required.extend(data.required_fields.iter().cloned());
                optional.extend(data.optional_fields.iter().cloned());
            }
        }
        Ok(Self {
            jwt: jwt.to_owned(),
            claims,
            origin,
            encryption_kid,
            encryption_components: Arc::new((n, e)),
            encryption_key: Arc::new(OnceLock::new()),
            required,
            optional,
        })
    }

    /// The capture context JWT, as received.
    pub fn jwt(&self) -> &str {
        &self.jwt
    }

    /// The typed claims (unknown members kept in `extra`).
    pub fn claims(&self) -> &types::CaptureContextClaims {
        &self.claims
    }

    /// Where the customer's data goes (`flx.origin`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The fields the customer must supply.
    pub fn required_fields(&self) -> &[String] {
        &self.required
    }

    /// The fields the customer may supply.
    pub fn optional_fields(&self) -> &[String] {
        &self.optional
    }

    /// When the context expires (seconds since the epoch).
    pub fn expires_at(&self) -> i64 {
        self.claims.exp
    }

    /// Checks `data` against this context (every required field present, no
    /// field it did not ask for, card basics) and encrypts it as a compact JWE
    /// (`alg: RSA-OAEP`, `enc: A256GCM`, `kid` = `flx.jwk.kid`) whose
    /// plaintext is `{"data": {…}, "context": "<this JWT>", "index": 0}`.
    pub fn encrypt(&self, data: &PaymentData) -> Result<String, Error> {
        for path in &self.required {
            if !data.fields().any(|f| f.path() == path) {
                return Err(ValidationError::new(
                    path.clone(),
                    "is required by the capture context",
                )
                .into());
            }
        }
        for field in data.fields() {
            let path = field.path();
            if !self
                .required
                .iter()
                .chain(&self.optional)
                .any(|p| p == path)
            {
                return Err(
                    ValidationError::new(path, "was not asked for by the capture context").into(),
                );
            }
        }
        data.check_card()?;
        let mut nested = serde_json::Map::new();
        for (field, value) in data.values() {
            insert_path(
                &mut nested,
                CaptureField::path(field),
                serde_json::Value::String(value.to_owned()),
            );
        }
        // The JWT holds only base64url characters and dots (it was parsed as a
        // compact JWS), so it needs no JSON escaping.
        let data = serde_json::to_string(&nested)
            .map_err(|_| refuse(WHAT, "data could not be serialized"))?;
        let mut plaintext = String::with_capacity(data.len() + self.jwt.len() + 32);
        plaintext.push_str("{\"data\":");
        plaintext.push_str(&data);
        plaintext.push_str(",\"context\":\"");
        plaintext.push_str(&self.jwt);
        plaintext.push_str("\",\"index\":0}");
        let header =
            serde_json::json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": self.encryption_kid})
                .to_string();
        let (n, e) = &*self.encryption_components;
        let key = self
            .encryption_key
            .get_or_init(|| oaep_key(n, e))
            .as_ref()
            .ok_or_else(|| refuse(WHAT, "has an encryption key aws-lc rejects"))?;
        crate::jose::compact_jwe(&header, key, &OAEP_SHA1_MGF1SHA1, plaintext.as_bytes())
            .map_err(|e| refuse("capture context", e.0))
    }
}

/// A transient token whose signature and times were checked; its JWT goes
/// into `tokenInformation.transientTokenJwt` of a payment.
#[derive(Clone)]
pub struct TransientToken {
    jwt: String,
    claims: types::TransientTokenClaims,
}

impl fmt::Debug for TransientToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransientToken")
            .field("jti", &self.claims.jti)
            .field("exp", &self.claims.exp)
            .field("masked_number", &self.masked_number())
            .finish()
    }
}

impl TransientToken {
    pub(crate) fn from_verified(
        jwt: &str,
        claims: types::TransientTokenClaims,
    ) -> Result<Self, Error> {
        Ok(Self {
            jwt: jwt.to_owned(),
            claims,
        })
    }

    fn card(&self) -> Option<&types::TransientTokenClaimsContentPaymentInformationCard> {
        self.claims
            .content
            .as_ref()?
            .payment_information
            .as_ref()?
            .card
            .as_ref()
    }

    /// The raw JWT, for `tokenInformation.transientTokenJwt`.
    pub fn jwt(&self) -> &str {
        &self.jwt
    }

    /// The typed claims.
    pub fn claims(&self) -> &types::TransientTokenClaims {
        &self.claims
    }

    /// The masked card number, e.g. `XXXXXXXXXXXX1111`.
    pub fn masked_number(&self) -> Option<&str> {
        self.card()?.number.as_ref()?.masked_value.as_deref()
    }

    /// The card's BIN.
    pub fn bin(&self) -> Option<&str> {
        self.card()?.number.as_ref()?.bin.as_deref()
    }

    /// Expiry month and year, as captured.
    pub fn expiration(&self) -> (Option<&str>, Option<&str>) {
        let card = self.card();
        (
            card.and_then(|c| c.expiration_month.as_ref()?.value.as_deref()),
            card.and_then(|c| c.expiration_year.as_ref()?.value.as_deref()),
        )
    }

    /// The card type code.
    pub fn card_type(&self) -> Option<&str> {
        self.card()?.type_.as_ref()?.value.as_deref()
    }

    /// The token id (`jti`).
    pub fn jti(&self) -> Option<&str> {
        self.claims.jti.as_deref()
    }

    /// Expiry (seconds since the epoch).
    pub fn expires_at(&self) -> Option<i64> {
        self.claims.exp
    }
}
