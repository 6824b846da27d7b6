//! Checks Cybersource authentication the way the gateway does: HTTP
//! Signature (`Signature` header, HMAC-SHA256 over host, date,
//! request-target, digest and v-c-merchant-id) or a JWT bearer (HS256 with
//! the shared secret; method, host, path, merchant and body digest in its
//! claims). A failure answers 401 `{"response":{"rmsg":"Authentication Failed"}}`;
//! the reason is kept for tests ([`crate::Sandbox::auth_failures`]).

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::{from_b64url, sha256_b64};

/// How far `Date` or `iat` may be from the sandbox's clock.
pub(crate) const MAX_SKEW_SECONDS: i64 = 300;

/// What the gateway knows about the merchant.
pub(crate) struct MerchantKeys {
    pub merchant_id: String,
    pub key_id: String,
    pub secret: aws_lc_rs::hmac::Key,
    pub signing_host: String,
}

/// One request as received.
pub(crate) struct Received<'a> {
    pub method: &'a Method,
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub now: i64,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn has_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// Checks the request's authentication; the error says why it failed. A
/// JWT may ask for a sealed answer (response MLE): the key id it names.
pub(crate) fn check(
    keys: &MerchantKeys,
    request: &Received<'_>,
) -> Result<Option<String>, &'static str> {
    match header(request.headers, "v-c-merchant-id") {
        Some(m) if m == keys.merchant_id => {}
        Some(_) => return Err("v-c-merchant-id is not the configured merchant"),
        None => return Err("v-c-merchant-id is missing"),
    }
    if let Some(signature) = header(request.headers, "signature") {
        return check_signature(keys, request, signature).map(|()| None);
    }
    match header(request.headers, "authorization").and_then(|a| a.strip_prefix("Bearer ")) {
        Some(token) => check_jwt(keys, request, token),
        None => Err("neither a Signature header nor a Bearer JWT"),
    }
}

/// The value of `name="…"` in a Signature header.
fn signature_field<'a>(signature: &'a str, name: &str) -> Option<&'a str> {
    signature.split(", ").find_map(|part| {
        part.trim()
            .strip_prefix(name)?
            .strip_prefix("=\"")?
            .strip_suffix('"')
    })
}

fn check_signature(
    keys: &MerchantKeys,
    request: &Received<'_>,
    signature: &str,
) -> Result<(), &'static str> {
    if signature_field(signature, "keyid") != Some(keys.key_id.as_str()) {
        return Err("the signature names another key id");
    }
    if signature_field(signature, "algorithm") != Some("HmacSHA256") {
        return Err("the signature algorithm is not HmacSHA256");
    }
    let date = header(request.headers, "date").ok_or("the Date header is missing")?;
    let sent =
        httpdate::parse_http_date(date).map_err(|_| "the Date header is not an HTTP date")?;
    let sent = sent
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if (request.now - sent).abs() > MAX_SKEW_SECONDS {
        return Err("the Date header is stale");
    }
    let method = request.method.as_str().to_ascii_lowercase();
    let mut signing = format!(
        "host: {}\ndate: {date}\nrequest-target: {method} {}\n",
        keys.signing_host, request.path_and_query
    );
    let expected_headers = if has_body(request.method) {
        let digest = header(request.headers, "digest").ok_or("the Digest header is missing")?;
        if digest != format!("SHA-256={}", sha256_b64(request.body)) {
            return Err("the Digest header does not match the body");
        }
        signing.push_str(&format!("digest: {digest}\n"));
        "host date request-target digest v-c-merchant-id"
    } else {
        "host date request-target v-c-merchant-id"
    };
    if signature_field(signature, "headers") != Some(expected_headers) {
        return Err("the signature does not cover the expected headers");
    }
    signing.push_str(&format!("v-c-merchant-id: {}", keys.merchant_id));
    let given = signature_field(signature, "signature")
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or("the signature is not base64")?;
    hmac::verify(&keys.secret, signing.as_bytes(), &given)
        .map_err(|_| "the signature does not verify")?;
    Ok(())
}

fn check_jwt(
    keys: &MerchantKeys,
    request: &Received<'_>,
    token: &str,
) -> Result<Option<String>, &'static str> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err("the bearer token is not a JWT");
    };
    let header: Value = from_b64url(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the JWT header is not base64url JSON")?;
    if header["alg"] != "HS256" {
        return Err("the JWT is not HS256 (the sandbox checks shared-secret JWTs)");
    }
    if header["kid"] != keys.key_id.as_str() {
        return Err("the JWT names another key id");
    }
    let given = from_b64url(s).ok_or("the JWT signature is not base64url")?;
    hmac::verify(&keys.secret, format!("{h}.{p}").as_bytes(), &given)
        .map_err(|_| "the JWT signature does not verify")?;
    let claims: Value = from_b64url(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the JWT claims are not base64url JSON")?;
    let iat = claims["iat"].as_i64().ok_or("the JWT has no numeric iat")?;
    if (request.now - iat).abs() > MAX_SKEW_SECONDS {
        return Err("the JWT iat is stale");
    }
    if claims["exp"].as_i64().is_some_and(|exp| exp < request.now) {
        return Err("the JWT has expired");
    }
    if claims["request-method"] != request.method.as_str() {
        return Err("the JWT names another method");
    }
    if claims["request-resource-path"] != request.path_and_query {
        return Err("the JWT names another path");
    }
    if claims["request-host"] != keys.signing_host.as_str() {
        return Err("the JWT names another host");
    }
    if claims["v-c-merchant-id"] != keys.merchant_id.as_str() {
        return Err("the JWT names another merchant");
    }
    if has_body(request.method) {
        if claims["digestAlgorithm"] != "SHA-256" {
            return Err("the JWT has no SHA-256 digest");
        }
        if claims["digest"] != sha256_b64(request.body).as_str() {
            return Err("the JWT digest does not match the body");
        }
    }
    match &claims["v-c-response-mle-kid"] {
        Value::Null => Ok(None),
        Value::String(kid) => Ok(Some(kid.clone())),
        _ => Err("the JWT's v-c-response-mle-kid is not a string"),
    }
}
