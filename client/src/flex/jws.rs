//! Parsing and checking a compact JWS the way a capture context and a
//! transient token must be checked: size first, RS256 only, no `crit`, a
//! `kid` from a small alphabet, `exp` required, `iat` and `nbf` not in the
//! future.
//! Header members that name keys (`jwk`, `jku`, `x5u`, `x5c`) are ignored:
//! the key only ever comes from the vendor's key endpoint.

use std::time::{Duration, SystemTime};

use crate::jose::decode_segment;
use payclient_core::Error;

/// Tokens larger than this are refused before parsing.
pub const MAX_TOKEN_BYTES: usize = crate::jose::MAX_COMPACT_JWS_BYTES;

/// The longest `kid` accepted.
pub const MAX_KID_LEN: usize = 128;

/// A token split and decoded, not yet verified.
#[derive(Debug)]
pub(crate) struct ParsedJws<'a> {
    pub kid: String,
    pub signing_input: &'a [u8],
    pub signature: Vec<u8>,
    /// The decoded payload bytes; parsed only after the signature verifies.
    pub payload: Vec<u8>,
}

pub(crate) use crate::jose::refuse;

/// Whether `kid` may be sent to the key endpoint: `[A-Za-z0-9._-]`, not empty,
/// not only dots (no path traversal), at most [`MAX_KID_LEN`].
pub fn kid_is_acceptable(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !kid.bytes().all(|b| b == b'.')
}

/// Whether a header member is present, whatever its value (`null` too).
#[derive(Default)]
struct Present(bool);

impl<'de> serde::Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Self(true))
    }
}

/// The header members these rules read; others (`typ`, and the key-naming
/// `jwk`, `jku`, `x5u`, `x5c`) are skipped unread. A member given twice
/// makes the header unreadable, so no duplicate can smuggle an `alg` past
/// the check.
#[derive(serde::Deserialize)]
struct Header {
    alg: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    #[serde(default)]
    crit: Present,
}

/// Splits and decodes `token` and checks its header.
pub(crate) fn parse<'a>(token: &'a str, what: &'static str) -> Result<ParsedJws<'a>, Error> {
    let jws = crate::jose::split_compact_jws::<Header>(token, what)?;
    let header = jws.header;
    if header.alg.as_ref().and_then(serde_json::Value::as_str) != Some("RS256") {
        return Err(refuse(what, "is not signed RS256"));
    }
    if header.crit.0 {
        return Err(refuse(what, "has a `crit` header"));
    }
    let kid = match header.kid {
        Some(serde_json::Value::String(kid)) => kid,
        _ => return Err(refuse(what, "has no `kid`")),
    };
    if !kid_is_acceptable(&kid) {
        return Err(refuse(what, "has a `kid` outside [A-Za-z0-9._-]"));
    }
    let signature = decode_segment(jws.signature, what)?;
    if signature.is_empty() {
        return Err(refuse(what, "has no signature"));
    }
    Ok(ParsedJws {
        kid,
        signing_input: jws.signing_input,
        signature,
        payload: decode_segment(jws.payload, what)?,
    })
}

/// A key-cache error, worded for the token being validated: a fetch shared
/// by several validations was started by one of them.
pub(crate) fn for_token(error: Error, what: &'static str) -> Error {
    match error {
        Error::Verification(v) => refuse(what, v.reason),
        other => other,
    }
}

/// The time claims, read before the typed claims so their rules give
/// precise reasons; other members are skipped.
#[derive(serde::Deserialize)]
struct RawTimes {
    exp: Option<serde_json::Value>,
    iat: Option<serde_json::Value>,
    nbf: Option<serde_json::Value>,
}

/// The time claims of typed claims, seconds since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Times {
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
}

/// Checks that `payload` is a JSON object whose `exp` (required) has not
/// passed and whose `iat` and `nbf` (optional) are not in the future.
pub(crate) fn check_times(
    payload: &[u8],
    now: SystemTime,
    leeway: Duration,
    what: &'static str,
) -> Result<(), Error> {
    // serde would also read a struct from a JSON array; claims are an object.
    if payload.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(refuse(what, "has a payload that is not a JSON object"));
    }
    let times: RawTimes = serde_json::from_slice(payload)
        .map_err(|_| refuse(what, "has a payload that is not JSON"))?;
    // A number beyond i64 seconds is no time this check could pass.
    let seconds = |value: &Option<serde_json::Value>| -> Result<Option<i64>, Error> {
        match value {
            None => Ok(None),
            Some(value) => match (value.as_i64(), value.as_u64()) {
                (Some(v), _) => Ok(Some(v)),
                (None, Some(_)) => Ok(Some(i64::MAX)),
                _ => Err(refuse(
                    what,
                    "has a time claim that is not a whole number of seconds",
                )),
            },
        }
    };
    check_typed_times(
        Times {
            exp: seconds(&times.exp)?,
            iat: seconds(&times.iat)?,
            nbf: seconds(&times.nbf)?,
        },
        now,
        leeway,
        what,
    )
}

/// `exp` (required) has not passed; `iat` and `nbf` (optional) are not in
/// the future. In i128, so that no claim value can overflow.
pub(crate) fn check_typed_times(
    times: Times,
    now: SystemTime,
    leeway: Duration,
    what: &'static str,
) -> Result<(), Error> {
    let now = i128::from(crate::unix_seconds(now));
    let leeway = i128::from(leeway.as_secs());
    let exp = i128::from(times.exp.ok_or_else(|| refuse(what, "has no `exp`"))?);
    if now > exp + leeway {
        return Err(refuse(what, "has expired"));
    }
    if let Some(iat) = times.iat
        && i128::from(iat) > now + leeway
    {
        return Err(refuse(what, "was issued in the future"));
    }
    if let Some(nbf) = times.nbf
        && i128::from(nbf) > now + leeway
    {
        return Err(refuse(what, "is not valid yet (`nbf`)"));
    }
    Ok(())
}

/// The typed claims of a verified payload.
pub(crate) fn claims<T: serde::de::DeserializeOwned>(
    payload: &[u8],
    what: &'static str,
) -> Result<T, Error> {
    // Checked as UTF-8 once, in bulk, rather than string by string.
    let text = std::str::from_utf8(payload)
        .map_err(|_| refuse(what, "has claims that do not have the documented shape"))?;
    serde_json::from_str(text)
        .map_err(|_| refuse(what, "has claims that do not have the documented shape"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::time::UNIX_EPOCH;

    fn token(header: &str, payload: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    fn reason(result: Result<ParsedJws<'_>, Error>) -> &'static str {
        match result {
            Err(Error::Verification(v)) => v.reason,
            Err(other) => panic!("{other:?}"),
            Ok(_) => "accepted",
        }
    }

    #[test]
    fn header_rules() {
        let ok = token(r#"{"kid":"zu","alg":"RS256"}"#, r#"{"exp":1}"#, b"sig");
        assert_eq!(reason(parse(&ok, "t")), "accepted");
        assert_eq!(
            reason(parse(
                &token(r#"{"kid":"zu","alg":"none"}"#, "{}", b"s"),
                "t"
            )),
            "is not signed RS256"
        );
        assert_eq!(
            reason(parse(
                &token(r#"{"kid":"zu","alg":"HS256"}"#, "{}", b"s"),
                "t"
            )),
            "is not signed RS256"
        );
        assert_eq!(
            reason(parse(
                &token(r#"{"kid":"zu","alg":"RS256","crit":["x"]}"#, "{}", b"s"),
                "t"
            )),
            "has a `crit` header"
        );
        assert_eq!(
            reason(parse(&token(r#"{"alg":"RS256"}"#, "{}", b"s"), "t")),
            "has no `kid`"
        );
        assert_eq!(
            reason(parse(
                &token(r#"{"kid":"../keys","alg":"RS256"}"#, "{}", b"s"),
                "t"
            )),
            "has a `kid` outside [A-Za-z0-9._-]"
        );
        assert_eq!(
            reason(parse(
                &token(r#"{"kid":"..","alg":"RS256"}"#, "{}", b"s"),
                "t"
            )),
            "has a `kid` outside [A-Za-z0-9._-]"
        );
        assert_eq!(
            reason(parse(
                &token(r#"{"kid":"zu","alg":"RS256"}"#, "{}", b""),
                "t"
            )),
            "has no signature"
        );
        assert_eq!(
            reason(parse("a.b", "t")),
            "is not a compact JWS (three segments)"
        );
        assert_eq!(
            reason(parse("a.b.c.d", "t")),
            "is not a compact JWS (three segments)"
        );
        assert_eq!(
            reason(parse("a!.b.c", "t")),
            "has a segment that is not base64url"
        );
        assert_eq!(
            reason(parse(&"a".repeat(MAX_TOKEN_BYTES + 1), "t")),
            "is larger than 64 KiB"
        );
    }

    #[test]
    fn time_rules() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let leeway = Duration::from_secs(60);
        let claims = |v: serde_json::Value| v.to_string().into_bytes();
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": 1_000_000})),
                now,
                leeway,
                "t"
            )
            .is_ok()
        );
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": 999_950})),
                now,
                leeway,
                "t"
            )
            .is_ok(),
            "within leeway"
        );
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": 999_900})),
                now,
                leeway,
                "t"
            )
            .is_err()
        );
        assert!(check_times(&claims(serde_json::json!({})), now, leeway, "t").is_err());
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": "2000000"})),
                now,
                leeway,
                "t"
            )
            .is_err()
        );
        assert!(check_times(&claims(serde_json::json!({"exp": 1.5e6})), now, leeway, "t").is_err());
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": 2_000_000, "iat": 1_000_100})),
                now,
                leeway,
                "t"
            )
            .is_err()
        );
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": 2_000_000, "iat": 1_000_050})),
                now,
                leeway,
                "t"
            )
            .is_ok()
        );
        let nbf = |nbf: u64| {
            check_times(
                &claims(serde_json::json!({"exp": 2_000_000, "nbf": nbf})),
                now,
                leeway,
                "t",
            )
        };
        assert!(nbf(1_000_050).is_ok(), "within leeway");
        assert!(matches!(
            nbf(1_000_100),
            Err(Error::Verification(v)) if v.reason == "is not valid yet (`nbf`)"
        ));
        assert!(nbf(u64::MAX).is_err(), "no overflow");
        assert!(
            check_times(
                &claims(serde_json::json!({"exp": u64::MAX})),
                now,
                leeway,
                "t"
            )
            .is_ok()
        );
    }
}
