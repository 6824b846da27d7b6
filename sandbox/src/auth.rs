//! Checks Cybersource authentication the way the gateway accepts it from
//! the vendor's own SDKs: HTTP Signature (`Signature` header, HMAC-SHA256
//! over host, date, `request-target` or the older `(request-target)`,
//! digest and v-c-merchant-id) or a JWT bearer: HS256 with the shared
//! secret, or RS256 with the merchant's certificate (the P12 the sandbox
//! hands out), in the version-2 form (`kid` = the certificate's subject
//! serial number; method, host, path, merchant and body digest in the
//! claims) or the older form (the certificate in `x5c`, the merchant in the
//! header, `iat` an HTTP date, only the digest claimed). The SDKs' JWTs
//! differ in spelling: npm `cybersource-rest-client` 0.0.83
//! (`JWTSigToken.js`) signs the method in lower case and `digest-algorithm`,
//! PyPI `cybersource-rest-client-python` 0.0.80 (`jwt/Token.py`) upper case
//! and `digestAlgorithm`; both carry the merchant in the claims and send no
//! `v-c-merchant-id` header, which is therefore optional with a JWT (and
//! must match when sent). A failure answers 401
//! `{"response":{"rmsg":"Authentication Failed"}}`; the reason is kept for
//! tests ([`crate::Sandbox::auth_failures`]).

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::{from_b64url, sha256_b64};

/// How far `Date` or `iat` may be from the sandbox's clock.
pub(crate) const MAX_SKEW_SECONDS: u64 = 300;

/// Whether `at` is within [`MAX_SKEW_SECONDS`] of `now`; any `at` a token
/// carries is compared without overflow.
fn fresh(now: i64, at: i64) -> bool {
    now.abs_diff(at) <= MAX_SKEW_SECONDS
}

/// What the gateway knows about the merchant.
pub(crate) struct MerchantKeys {
    pub merchant_id: String,
    pub key_id: String,
    pub secret: aws_lc_rs::hmac::Key,
    pub signing_host: String,
    pub certificate: MerchantCertificate,
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
    let merchant_header = header(request.headers, "v-c-merchant-id");
    if merchant_header.is_some_and(|m| m != keys.merchant_id) {
        return Err("v-c-merchant-id is not the configured merchant");
    }
    if let Some(signature) = header(request.headers, "signature") {
        // The header is part of what an HTTP Signature signs.
        if merchant_header.is_none() {
            return Err("v-c-merchant-id is missing");
        }
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
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0);
    if !fresh(request.now, sent) {
        return Err("the Date header is stale");
    }
    let method = request.method.as_str().to_ascii_lowercase();
    // The current name, or the older `(request-target)` that integrations
    // written before it (Rust and PHP ones among them) still send.
    let target = match signature_field(signature, "headers").and_then(|h| h.split(' ').nth(2)) {
        Some("(request-target)") => "(request-target)",
        _ => "request-target",
    };
    let mut signing = format!(
        "host: {}\ndate: {date}\n{target}: {method} {}\n",
        keys.signing_host, request.path_and_query
    );
    let expected_headers = if has_body(request.method) {
        let digest = header(request.headers, "digest").ok_or("the Digest header is missing")?;
        if digest != format!("SHA-256={}", sha256_b64(request.body)) {
            return Err("the Digest header does not match the body");
        }
        signing.push_str(&format!("digest: {digest}\n"));
        format!("host date {target} digest v-c-merchant-id")
    } else {
        format!("host date {target} v-c-merchant-id")
    };
    if signature_field(signature, "headers") != Some(expected_headers.as_str()) {
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

/// The merchant's certificate for RS256 JWTs (the P12 the sandbox hands
/// out holds it with its private key).
pub(crate) struct MerchantCertificate {
    /// Its key; `kid` is the subject's SERIALNUMBER attribute, which the
    /// SDKs send as the version-2 JWT's `kid` (PyPI 0.0.80
    /// `CertificateUtility.extract_serial_number_from_certificate`, npm
    /// 0.0.83 `JWTSigToken.js`).
    pub key: crate::crypto::SigningKey,
    /// The certificate, DER: what the older form's `x5c` carries.
    pub der: Vec<u8>,
}

/// How a JWT was signed, from its header.
enum JwtForm {
    /// HS256 with the shared secret; version-2 claims.
    SharedSecret,
    /// RS256 with the merchant certificate, `kid` in the header; version-2
    /// claims (what the current SDKs send).
    Certificate,
    /// RS256, the certificate itself in `x5c` and the merchant in a
    /// `v-c-merchant-id` header member; claims only `iat` (an HTTP date) and,
    /// with a body, the digest (the SDKs before version-2 claims).
    OlderCertificate,
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
    let given = from_b64url(s).ok_or("the JWT signature is not base64url")?;
    let signed = format!("{h}.{p}");
    let form = match header["alg"].as_str() {
        Some("HS256") => {
            if header["kid"] != keys.key_id.as_str() {
                return Err("the JWT names another key id");
            }
            hmac::verify(&keys.secret, signed.as_bytes(), &given)
                .map_err(|_| "the JWT signature does not verify")?;
            JwtForm::SharedSecret
        }
        Some("RS256") => {
            let certificate = &keys.certificate;
            // The older form names its certificate by value, never by kid.
            let form = match header.get("x5c").filter(|_| header.get("kid").is_none()) {
                Some(x5c) => {
                    let sent = x5c[0]
                        .as_str()
                        .and_then(|c| STANDARD.decode(c).ok())
                        .ok_or("the JWT's x5c is not a base64 certificate")?;
                    if sent != certificate.der {
                        return Err("the JWT's x5c is not the merchant's certificate");
                    }
                    if header["v-c-merchant-id"] != keys.merchant_id.as_str() {
                        return Err("the JWT header names another merchant");
                    }
                    JwtForm::OlderCertificate
                }
                None if header["kid"] == certificate.key.kid.as_str() => JwtForm::Certificate,
                None => return Err("the JWT names another certificate (kid)"),
            };
            if !certificate.key.verifies(signed.as_bytes(), &given) {
                return Err("the JWT signature does not verify with the merchant's certificate");
            }
            form
        }
        _ => return Err("the JWT is neither HS256 nor RS256"),
    };
    let claims: Value = from_b64url(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the JWT claims are not base64url JSON")?;
    let iat = match (&form, &claims["iat"]) {
        (JwtForm::OlderCertificate, Value::String(date)) => httpdate::parse_http_date(date)
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .ok_or("the JWT iat is not an HTTP date")?,
        (_, iat) => iat.as_i64().ok_or("the JWT has no numeric iat")?,
    };
    if !fresh(request.now, iat) {
        return Err("the JWT iat is stale");
    }
    match &claims["exp"] {
        Value::Null => {}
        exp => match exp.as_i64() {
            Some(exp) if exp >= request.now => {}
            Some(_) => return Err("the JWT has expired"),
            None => return Err("the JWT exp is not a number of seconds"),
        },
    }
    // The older form claims only `iat` and the digest; a token that claims
    // a request (any version-2 member) is held to all of them, whatever its
    // header looks like.
    let claims_a_request = [
        "v-c-jwt-version",
        "request-method",
        "request-resource-path",
        "request-host",
    ]
    .iter()
    .any(|name| claims.get(*name).is_some());
    if !matches!(form, JwtForm::OlderCertificate) || claims_a_request {
        check_request_claims(keys, request, &claims)?;
    }
    if has_body(request.method) {
        let algorithm = claims
            .get("digestAlgorithm")
            .or_else(|| claims.get("digest-algorithm"));
        if algorithm.and_then(Value::as_str) != Some("SHA-256") {
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

/// The version-2 claims that bind a JWT to one request.
fn check_request_claims(
    keys: &MerchantKeys,
    request: &Received<'_>,
    claims: &Value,
) -> Result<(), &'static str> {
    let signed_method = claims["request-method"].as_str().unwrap_or_default();
    if !signed_method.eq_ignore_ascii_case(request.method.as_str()) {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::b64url;
    use axum::http::HeaderValue;

    const SECRET: &[u8] = b"sandbox-shared-secret-of-32-byte";

    fn keys() -> MerchantKeys {
        MerchantKeys {
            merchant_id: "payclient_sandbox".to_owned(),
            key_id: "key-1".to_owned(),
            secret: hmac::Key::new(hmac::HMAC_SHA256, SECRET),
            signing_host: "apitest.cybersource.com".to_owned(),
            certificate: crate::merchant_certificate().expect("certificate"),
        }
    }

    fn jwt(claims: Value) -> String {
        let head = b64url(br#"{"alg":"HS256","kid":"key-1"}"#);
        let body = b64url(claims.to_string());
        let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
        let tag = hmac::sign(&key, format!("{head}.{body}").as_bytes());
        format!("{head}.{body}.{}", b64url(tag.as_ref()))
    }

    fn check_with(
        headers: &[(&'static str, String)],
        method: &Method,
        body: &[u8],
    ) -> Result<Option<String>, &'static str> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        check(
            &keys(),
            &Received {
                method,
                path_and_query: "/flex/v2/sessions",
                headers: &map,
                body,
                now: 1_800_000_000,
            },
        )
    }

    #[test]
    fn the_sdks_jwts_pass_without_a_merchant_header_and_wrong_ones_do_not() {
        let body = br#"{"fields":{}}"#;
        // npm: lower-case method, digest-algorithm; PyPI: upper case, digestAlgorithm.
        for (method, algorithm) in [("post", "digest-algorithm"), ("POST", "digestAlgorithm")] {
            let mut claims = serde_json::json!({"iat": 1_800_000_000, "exp": 1_800_000_120,
                "request-method": method, "request-host": "apitest.cybersource.com",
                "request-resource-path": "/flex/v2/sessions", "v-c-merchant-id": "payclient_sandbox",
                "digest": sha256_b64(body), "iss": "payclient_sandbox", "v-c-jwt-version": "2"});
            claims[algorithm] = "SHA-256".into();
            let bearer = format!("Bearer {}", jwt(claims.clone()));
            assert_eq!(
                check_with(&[("authorization", bearer.clone())], &Method::POST, body),
                Ok(None)
            );
            // A merchant header, when sent, must be the merchant's.
            assert_eq!(
                check_with(
                    &[
                        ("authorization", bearer),
                        ("v-c-merchant-id", "other".into())
                    ],
                    &Method::POST,
                    body
                ),
                Err("v-c-merchant-id is not the configured merchant")
            );
            claims["v-c-merchant-id"] = "other".into();
            let bearer = format!("Bearer {}", jwt(claims));
            assert_eq!(
                check_with(&[("authorization", bearer)], &Method::POST, body),
                Err("the JWT names another merchant")
            );
        }
    }

    fn signature(target: &str, date: &str) -> String {
        let signing = format!(
            "host: apitest.cybersource.com\ndate: {date}\n{target}: get /flex/v2/sessions\nv-c-merchant-id: payclient_sandbox"
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
        let tag = STANDARD.encode(hmac::sign(&key, signing.as_bytes()).as_ref());
        format!(
            r#"keyid="key-1", algorithm="HmacSHA256", headers="host date {target} v-c-merchant-id", signature="{tag}""#
        )
    }

    #[test]
    fn http_signatures_pass_with_either_request_target_name_and_need_the_merchant_header() {
        let date = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000),
        );
        for target in ["request-target", "(request-target)"] {
            let headers = [
                ("signature", signature(target, &date)),
                ("date", date.clone()),
                ("v-c-merchant-id", "payclient_sandbox".to_owned()),
            ];
            assert_eq!(
                check_with(&headers, &Method::GET, b""),
                Ok(None),
                "{target}"
            );
            assert_eq!(
                check_with(&headers[..2], &Method::GET, b""),
                Err("v-c-merchant-id is missing")
            );
        }
        // Signed as one name, declared as the other: refused.
        let mixed = signature("request-target", &date)
            .replace("date request-target", "date (request-target)");
        let headers = [
            ("signature", mixed),
            ("date", date),
            ("v-c-merchant-id", "payclient_sandbox".to_owned()),
        ];
        assert_eq!(
            check_with(&headers, &Method::GET, b""),
            Err("the signature does not verify")
        );
    }

    fn v2_claims(method: &str, body: &[u8]) -> Value {
        serde_json::json!({"iat": 1_800_000_000, "exp": 1_800_000_120,
            "request-method": method, "request-host": "apitest.cybersource.com",
            "request-resource-path": "/flex/v2/sessions", "v-c-merchant-id": "payclient_sandbox",
            "digest": sha256_b64(body), "digestAlgorithm": "SHA-256", "iss": "payclient_sandbox",
            "v-c-jwt-version": "2"})
    }

    #[test]
    fn certificate_jwts_pass_in_both_forms_and_other_keys_or_certificates_do_not() {
        let body = br#"{"fields":{}}"#;
        let certificate = &keys().certificate;
        let sign = |header: Value, claims: &Value| {
            let token = certificate
                .key
                .sign_with_header(&header, claims)
                .expect("sign");
            vec![("authorization", format!("Bearer {token}"))]
        };
        let kid = certificate.key.kid.clone();
        // Version 2: kid = the subject's serial number.
        let v2 = sign(
            serde_json::json!({"alg": "RS256", "kid": kid, "typ": "JWT"}),
            &v2_claims("POST", body),
        );
        assert_eq!(check_with(&v2, &Method::POST, body), Ok(None));
        assert_eq!(
            check_with(&v2, &Method::POST, b"{}"),
            Err("the JWT digest does not match the body")
        );
        let other_kid = sign(
            serde_json::json!({"alg": "RS256", "kid": "another"}),
            &v2_claims("POST", body),
        );
        assert_eq!(
            check_with(&other_kid, &Method::POST, body),
            Err("the JWT names another certificate (kid)")
        );
        // The older form: x5c, the merchant in the header, iat an HTTP date.
        let x5c = STANDARD.encode(&certificate.der);
        let date = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_010),
        );
        let older_claims = serde_json::json!({"iat": date, "digest": sha256_b64(body),
            "digestAlgorithm": "SHA-256"});
        let older = sign(
            serde_json::json!({"alg": "RS256", "v-c-merchant-id": "payclient_sandbox", "x5c": [x5c]}),
            &older_claims,
        );
        assert_eq!(check_with(&older, &Method::POST, body), Ok(None));
        let other_merchant = sign(
            serde_json::json!({"alg": "RS256", "v-c-merchant-id": "other", "x5c": [x5c]}),
            &older_claims,
        );
        assert_eq!(
            check_with(&other_merchant, &Method::POST, body),
            Err("the JWT header names another merchant")
        );
        let other_certificate = sign(
            serde_json::json!({"alg": "RS256", "v-c-merchant-id": "payclient_sandbox",
                "x5c": [STANDARD.encode(b"not this one")]}),
            &older_claims,
        );
        assert_eq!(
            check_with(&other_certificate, &Method::POST, body),
            Err("the JWT's x5c is not the merchant's certificate")
        );
        // An x5c header does not excuse version-2 claims from their checks.
        let mut wrong_path = v2_claims("POST", body);
        wrong_path["request-resource-path"] = "/elsewhere".into();
        let mixed = sign(
            serde_json::json!({"alg": "RS256", "v-c-merchant-id": "payclient_sandbox", "x5c": [x5c]}),
            &wrong_path,
        );
        assert_eq!(
            check_with(&mixed, &Method::POST, body),
            Err("the JWT names another path")
        );
        // Signed by another key, naming the merchant's certificate: refused.
        let stranger = crate::crypto::SigningKey::from_pkcs8(crate::FLEX_SIGNING_KEY, kid.clone())
            .expect("key");
        let forged = stranger
            .sign_with_header(
                &serde_json::json!({"alg": "RS256", "kid": kid}),
                &v2_claims("POST", body),
            )
            .expect("sign");
        assert_eq!(
            check_with(
                &[("authorization", format!("Bearer {forged}"))],
                &Method::POST,
                body
            ),
            Err("the JWT signature does not verify with the merchant's certificate")
        );
    }

    #[test]
    fn hostile_iat_and_exp_values_are_refused_without_overflow() {
        let body = br#"{}"#;
        let now: i64 = 1_800_000_000;
        for iat in [i64::MIN, i64::MAX, now.wrapping_add(i64::MIN), now - 301] {
            let mut claims = v2_claims("POST", body);
            claims["iat"] = iat.into();
            let bearer = format!("Bearer {}", jwt(claims));
            assert_eq!(
                check_with(&[("authorization", bearer)], &Method::POST, body),
                Err("the JWT iat is stale"),
                "{iat}"
            );
        }
        for (exp, why) in [
            (serde_json::json!(now - 1), "the JWT has expired"),
            (
                serde_json::json!("1800000120"),
                "the JWT exp is not a number of seconds",
            ),
            (
                serde_json::json!(1.8e9),
                "the JWT exp is not a number of seconds",
            ),
            (
                serde_json::json!(u64::MAX),
                "the JWT exp is not a number of seconds",
            ),
        ] {
            let mut claims = v2_claims("POST", body);
            claims["exp"] = exp;
            let bearer = format!("Bearer {}", jwt(claims));
            assert_eq!(
                check_with(&[("authorization", bearer)], &Method::POST, body),
                Err(why)
            );
        }
    }
}
