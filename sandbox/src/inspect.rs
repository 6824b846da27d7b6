//! Inspection over HTTP, under [`PREFIX`], for tests in any language: the
//! requests received (redacted), why authentication failed, the state of
//! every product, the test triggers, a reset and a clock to move. No
//! authentication: the sandbox holds nothing real. Never a body, a
//! signature or a bearer value: header values outside a short allow-list
//! are replaced by `<redacted>`.

use std::collections::VecDeque;

use axum::http::{HeaderMap, Method};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::{SandboxState, Shared, checkout, passkey};

/// The reserved path prefix; no vendor path starts with it.
pub const PREFIX: &str = "/__sandbox";

/// How many requests [`PREFIX`]`/requests` keeps (the most recent).
pub const MAX_RECORDED_REQUESTS: usize = 1000;

/// The headers whose values are shown; every other value is redacted
/// (authorization, signatures, digests of bodies, cookies, anything new).
const SHOWN_HEADERS: [&str; 9] = [
    "accept",
    "content-type",
    "content-length",
    "host",
    "date",
    "user-agent",
    "v-c-merchant-id",
    "profile-id",
    "cko-idempotency-key",
];

/// One request as the inspection endpoint shows it.
#[derive(Debug, Clone)]
pub(crate) struct RecordedRequest {
    at: i64,
    method: String,
    path: String,
    status: u16,
    headers: Vec<(String, String)>,
    body_bytes: usize,
}

/// The most header lines one record keeps.
const MAX_RECORDED_HEADERS: usize = 32;
/// The most bytes of a path or header value one record keeps.
const MAX_RECORDED_TEXT: usize = 256;

/// `text` cut to [`MAX_RECORDED_TEXT`] bytes (on a character boundary).
fn bounded(text: &str) -> String {
    if text.len() <= MAX_RECORDED_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_RECORDED_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Remembers a request and the status it got (the query string is left
/// out: it is nobody's business here), each text bounded so that a
/// thousand records stay small.
pub(crate) fn record(
    log: &mut VecDeque<RecordedRequest>,
    at: i64,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body_bytes: usize,
    status: u16,
) {
    if log.len() >= MAX_RECORDED_REQUESTS {
        log.pop_front();
    }
    let headers = headers
        .iter()
        .take(MAX_RECORDED_HEADERS)
        .map(|(name, value)| {
            let shown = SHOWN_HEADERS.contains(&name.as_str());
            let value = match value.to_str() {
                Ok(v) if shown => bounded(v),
                _ => "<redacted>".to_owned(),
            };
            (bounded(name.as_str()), value)
        })
        .collect();
    log.push_back(RecordedRequest {
        at,
        method: bounded(method.as_str()),
        path: bounded(path),
        status,
        headers,
        body_bytes,
    });
}

/// Whether a path is an inspection path (not recorded, not authenticated).
pub(crate) fn is_inspection(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The test triggers: values that choose a branch of a flow.
pub(crate) fn triggers() -> Value {
    json!({
        "passkey": {
            "tokenIds": {
                passkey::REGISTERED_DEVICE_TOKEN_ID: "AUTHENTICATE (a registered device)",
                passkey::STEP_UP_TOKEN_ID: "STEP_UP_AUTHENTICATE (the guide's seven options)",
                passkey::NEW_DEVICE_TOKEN_ID: "AUTHENTICATION_REGISTRATION (a new device)",
                "anything else": "404",
            },
            "otp": passkey::OTP,
            "otpRequestsAllowed": passkey::OTP_LIMIT,
            "issuerAuthCode": passkey::ISSUER_AUTH_CODE,
            "paymentCredentials": "ECI 05 after a passkey authentication or registration, 07 otherwise (an empty body too)",
        },
        "flex": {
            "cardNumber": "any Luhn-valid number; others are refused",
            "captureContextLifetimeSeconds": "SandboxConfig::capture_context_ttl_seconds (default 900)",
        },
        "intelligentCommerce": {
            "enrollment": "PENDING (202) on the first call for an instrument, ACTIVE after",
            "confirmation": "an APPROVED event confirms the instruction; any other leaves it open",
        },
        "checkout": {
            "submitAmountEndingIn": {
                format!("{:02}", checkout::THREE_DS_AMOUNT_SUFFIX): "202 Action Required (3DS), e.g. 1050",
                format!("{:02}", checkout::DECLINED_AMOUNT_SUFFIX): "201 Declined, e.g. 1005",
                "anything else": "201 Approved",
            },
            "threeDsChallenge": "GET the action's url (/3ds/sid_…): passes and redirects (303) to success_url with cko-payment-session-id, cko-session-id and cko-payment-id; with ?result=failed, to failure_url",
            "oauthTokenLifetimeSeconds": checkout::TOKEN_LIFETIME_SECONDS,
        },
        "cybersourceAuthentication": {
            "merchantCertificateKid": crate::MERCHANT_CERTIFICATE_KID,
            "p12Alias": crate::MERCHANT_P12_ALIAS,
            "p12Password": crate::MERCHANT_P12_PASSWORD,
            "maxClockSkewSeconds": crate::auth::MAX_SKEW_SECONDS,
        },
    })
}

/// The state of every product (no card data: the sandbox keeps none that
/// it would show).
fn state(shared: &Shared, state: &SandboxState) -> Value {
    json!({
        "requests": shared.requests.load(std::sync::atomic::Ordering::Relaxed),
        "clockOffsetSeconds": shared.clock_offset.load(std::sync::atomic::Ordering::Relaxed),
        "sealedAnswers": shared.sealed_answers.load(std::sync::atomic::Ordering::Relaxed),
        "flex": {
            "captureContexts": state.flex_contexts.len(),
            "transientTokensIssued": state.transient_tokens,
        },
        "passkey": {
            "flows": state.passkey.iter().map(|((token, correlation), flow)| {
                let mut described = flow.describe();
                described["tokenId"] = token.as_str().into();
                described["clientCorrelationId"] = correlation.as_str().into();
                described
            }).collect::<Vec<_>>(),
        },
        "intelligentCommerce": {
            "enrollments": state.icc.enrollments.len(),
            "instructions": state.icc.instructions.values().map(|i| i.describe()).collect::<Vec<_>>(),
        },
        "checkout": {
            "paymentSessions": state.checkout.sessions.iter()
                .map(|(id, session)| session.describe(id)).collect::<Vec<_>>(),
            "oauthTokensIssued": state.checkout.token_requests,
        },
    })
}

/// Answers a request under [`PREFIX`]; `rest` is the path after it.
pub(crate) fn route(shared: &Shared, method: &Method, rest: &[&str], body: &[u8]) -> Reply {
    match (method, rest) {
        (&Method::GET, [] | [""]) => Reply::json(
            200,
            json!({"endpoints": {
                "GET /__sandbox/requests": "the requests received, most recent last (redacted: no bodies, no credentials)",
                "GET /__sandbox/auth-failures": "why each refused Cybersource request was refused",
                "GET /__sandbox/state": "flows, instructions, sessions and counters",
                "GET /__sandbox/triggers": "the values that choose a flow's branch",
                "POST /__sandbox/reset": "forget every request and all state, clock back to now",
                "POST /__sandbox/clock": "{\"advanceSeconds\": n} moves the sandbox's clock forward",
            }}),
        ),
        (&Method::GET, ["requests"]) => {
            // Copied under the lock, written out after it.
            let recorded: Vec<RecordedRequest> = shared.lock().recorded.iter().cloned().collect();
            let requests: Vec<Value> = recorded
                .iter()
                .map(|r| {
                    json!({
                        "at": r.at,
                        "method": r.method,
                        "path": r.path,
                        "status": r.status,
                        "headers": r.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                        "bodyBytes": r.body_bytes,
                    })
                })
                .collect();
            Reply::json(200, json!({ "requests": requests }))
        }
        (&Method::GET, ["auth-failures"]) => {
            Reply::json(200, json!({ "authFailures": shared.lock().auth_failures }))
        }
        (&Method::GET, ["state"]) => {
            let guard = shared.lock();
            Reply::json(200, state(shared, &guard))
        }
        (&Method::GET, ["triggers"]) => Reply::json(200, triggers()),
        (&Method::POST, ["reset"]) => {
            crate::reset(shared);
            Reply::json(200, json!({"reset": true}))
        }
        (&Method::POST, ["clock"]) => {
            let seconds = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v["advanceSeconds"].as_i64())
                // Up to ten years at a time (a thousand in all): enough for
                // any expiry, and far from overflowing the clock.
                .filter(|s| (0..=10 * 366 * 86_400).contains(s));
            match seconds {
                Some(seconds) => {
                    let offset = crate::advance_clock(shared, seconds);
                    Reply::json(200, json!({"clockOffsetSeconds": offset}))
                }
                None => Reply::json(
                    400,
                    json!({"error": "advanceSeconds must be an integer from 0 to 316224000"}),
                ),
            }
        }
        _ => Reply::json(
            404,
            json!({"error": "no such inspection endpoint; see GET /__sandbox"}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn recorded_requests_show_only_allowed_header_values_and_stay_bounded() {
        let mut log = VecDeque::new();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer secret"));
        headers.insert(
            "signature",
            HeaderValue::from_static("keyid=\"k\", signature=\"s\""),
        );
        headers.insert("x-new-vendor-header", HeaderValue::from_static("value"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        for _ in 0..MAX_RECORDED_REQUESTS + 5 {
            record(
                &mut log,
                1,
                &Method::POST,
                "/flex/v2/sessions",
                &headers,
                10,
                201,
            );
        }
        assert_eq!(log.len(), MAX_RECORDED_REQUESTS);
        let shown: Vec<_> = log[0]
            .headers
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        assert!(
            shown.contains(&"content-type=application/json".to_owned()),
            "{shown:?}"
        );
        for hidden in ["authorization", "signature", "x-new-vendor-header"] {
            assert!(shown.contains(&format!("{hidden}=<redacted>")), "{shown:?}");
        }
        assert!(
            !shown
                .iter()
                .any(|s| s.contains("secret") || s.contains("value"))
        );

        // Long texts are cut; many headers are capped.
        let mut many = HeaderMap::new();
        for i in 0..100 {
            let name = axum::http::HeaderName::try_from(format!("x-h{i}")).expect("name");
            many.insert(name, HeaderValue::from_static("v"));
        }
        many.insert(
            "user-agent",
            HeaderValue::from_str(&"é".repeat(1000)).expect("value"),
        );
        record(
            &mut log,
            1,
            &Method::GET,
            &"/p".repeat(10_000),
            &many,
            0,
            404,
        );
        let last = log.back().expect("recorded");
        assert_eq!(last.headers.len(), MAX_RECORDED_HEADERS);
        assert!(last.path.len() <= MAX_RECORDED_TEXT + '…'.len_utf8());
        assert!(last.path.ends_with('…'));
    }

    #[test]
    fn inspection_paths_are_exactly_the_prefix_and_below() {
        assert!(is_inspection("/__sandbox"));
        assert!(is_inspection("/__sandbox/state"));
        assert!(!is_inspection("/__sandboxes"));
        assert!(!is_inspection("/flex/v2/sessions"));
    }
}
