//! Checkout.com Flow: OAuth client credentials or a secret key, payment
//! sessions created, submitted and read, the 422 validation errors, and 3DS
//! for the trigger amounts in the crate docs.

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::crypto::{b64url, hex, random_bytes};
use crate::reply::Reply;
use crate::{Shared, now_with_offset};

/// A submitted amount (minor units) whose last two digits are this value
/// asks the customer for 3DS: 202 `Action Required`.
pub const THREE_DS_AMOUNT_SUFFIX: u64 = 50;
/// A submitted amount whose last two digits are this value is declined
/// (201 with `status: Declined`).
pub const DECLINED_AMOUNT_SUFFIX: u64 = 5;
/// How long an OAuth access token lives, in seconds.
pub const TOKEN_LIFETIME_SECONDS: i64 = 3600;

/// One payment session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    request: Value,
    status: &'static str,
    payments: Vec<String>,
    /// The 3DS session id (`sid_…`) of the attempt waiting for its
    /// challenge, answered once at `GET /3ds/{sid}`.
    challenge: Option<String>,
}

impl Session {
    /// For the inspection endpoint (no request members: they may carry
    /// personal data).
    pub(crate) fn describe(&self, id: &str) -> Value {
        json!({"id": id, "status": self.status, "payments": self.payments, "challenge": self.challenge})
    }
}

/// The Checkout part of the sandbox's state.
#[derive(Debug, Default)]
pub(crate) struct CheckoutState {
    pub tokens: HashMap<String, i64>,
    pub sessions: HashMap<String, Session>,
    pub token_requests: u32,
}

fn request_id() -> String {
    hex(&random_bytes::<8>()).to_ascii_uppercase()
}

fn invalid(codes: Vec<&str>) -> Reply {
    let id = request_id();
    Reply::json(
        422,
        json!({"request_id": id, "error_type": "request_invalid", "error_codes": codes}),
    )
    .with_header("cko-request-id", id)
}

pub(crate) fn unauthorized() -> Reply {
    Reply::empty(401).with_header("cko-request-id", request_id())
}

pub(crate) fn not_found() -> Reply {
    Reply::empty(404).with_header("cko-request-id", request_id())
}

/// `POST /connect/token`: client credentials in the form or HTTP Basic.
pub(crate) fn token(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Reply {
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let (id, secret) = match (form.get("client_id"), form.get("client_secret"), basic) {
        (Some(id), Some(secret), _) => (id.clone(), secret.clone()),
        (_, _, Some(pair)) => pair,
        _ => return Reply::json(400, json!({"error": "invalid_request"})),
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return Reply::json(400, json!({"error": "unsupported_grant_type"}));
    }
    if id != shared.config.checkout_client_id || secret != shared.config.checkout_client_secret {
        return Reply::json(401, json!({"error": "invalid_client"}));
    }
    let scopes = form.get("scope").map(String::as_str).unwrap_or_default();
    if !scopes.split(' ').any(|s| s == "payment-sessions") {
        return Reply::json(400, json!({"error": "invalid_scope"}));
    }
    let token = format!("sbx_at_{}", b64url(random_bytes::<24>()));
    let mut state = shared.lock();
    state.checkout.token_requests += 1;
    state.checkout.tokens.insert(
        token.clone(),
        now_with_offset(shared) + TOKEN_LIFETIME_SECONDS,
    );
    Reply::json(
        200,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS}),
    )
}

/// A secret key or a live access token.
pub(crate) fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(bearer) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    if bearer == shared.config.checkout_secret_key {
        return true;
    }
    let now = now_with_offset(shared);
    shared
        .lock()
        .checkout
        .tokens
        .get(bearer)
        .is_some_and(|expires| *expires > now)
}

fn text_len(value: &Value, max: usize) -> Option<bool> {
    value.as_str().map(|s| s.chars().count() <= max)
}

/// Present and not a text of at most `max` characters.
fn text_invalid(value: &Value, max: usize) -> bool {
    !value.is_null() && text_len(value, max) != Some(true)
}

/// Three upper-case letters (ISO 4217).
fn currency_valid(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
}

/// Present and not `pc_` and 26 word characters.
fn channel_invalid(channel: &Value) -> bool {
    !channel.is_null()
        && !channel.as_str().is_some_and(|c| {
            c.strip_prefix("pc_").is_some_and(|rest| {
                rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        })
}

/// The 422 codes a create request earns (empty when it is valid).
fn create_errors(request: &Value) -> Vec<&'static str> {
    let mut codes = Vec::new();
    match &request["amount"] {
        Value::Null => codes.push("amount_required"),
        v if v.as_u64().is_none() => codes.push("amount_invalid"),
        _ => {}
    }
    match &request["currency"] {
        Value::Null => codes.push("currency_required"),
        v if !currency_valid(v) => codes.push("currency_invalid"),
        _ => {}
    }
    if request["billing"].is_null() {
        codes.push("billing_required");
    } else if request["billing"]["address"]["country"]
        .as_str()
        .is_none_or(|c| c.len() != 2)
    {
        codes.push("billing_address_country_invalid");
    }
    for (field, required, invalid) in [
        ("success_url", "success_url_required", "success_url_invalid"),
        ("failure_url", "failure_url_required", "failure_url_invalid"),
    ] {
        // Absent is `_required`; any other type, or too long, `_invalid`
        // (as a submission says it).
        if request[field].is_null() {
            codes.push(required);
        } else if text_invalid(&request[field], 1024) {
            codes.push(invalid);
        }
    }
    if text_invalid(&request["reference"], 50) {
        codes.push("reference_invalid");
    }
    if text_invalid(&request["description"], 100) {
        codes.push("description_invalid");
    }
    if channel_invalid(&request["processing_channel_id"]) {
        codes.push("processing_channel_id_invalid");
    }
    codes
}

/// `POST /payment-sessions`.
pub(crate) fn create(shared: &Shared, body: &[u8]) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return invalid(vec!["request_body_malformed"]);
    };
    let codes = create_errors(&request);
    if !codes.is_empty() {
        return invalid(codes);
    }
    let id = new_session_id();
    let link = format!("{}/payment-sessions/{id}", shared.base_url);
    let token_body = json!({"id": id}).to_string();
    shared.lock().checkout.sessions.insert(
        id.clone(),
        Session {
            request,
            status: "Active",
            payments: Vec::new(),
            challenge: None,
        },
    );
    Reply::json(
        201,
        json!({
            "id": id,
            "payment_session_token": format!("YmFzZTY0:{}", STANDARD.encode(token_body)),
            "payment_session_secret": format!("pss_{}", uuid::Uuid::new_v4()),
            "_links": {"self": {"href": link}},
        }),
    )
    .with_header("cko-request-id", request_id())
}

/// The 422 codes a submission earns (empty when it is valid).
fn submit_errors(request: &Value) -> Vec<&'static str> {
    let mut codes = Vec::new();
    if request["session_data"].as_str().is_none_or(str::is_empty) {
        codes.push("session_data_required");
    }
    match &request["amount"] {
        Value::Null => codes.push("amount_required"),
        v if v.as_u64().is_none() => codes.push("amount_invalid"),
        _ => {}
    }
    if text_invalid(&request["reference"], 50) {
        codes.push("reference_invalid");
    }
    // Members a submission may override (the SDKs' models send them), held
    // to the create request's rules when present.
    if !request["currency"].is_null() && !currency_valid(&request["currency"]) {
        codes.push("currency_invalid");
    }
    for (field, code) in [
        ("success_url", "success_url_invalid"),
        ("failure_url", "failure_url_invalid"),
    ] {
        if text_invalid(&request[field], 1024) {
            codes.push(code);
        }
    }
    if channel_invalid(&request["processing_channel_id"]) {
        codes.push("processing_channel_id_invalid");
    }
    codes
}

/// `POST /payment-sessions/{id}/submit`.
pub(crate) fn submit(shared: &Shared, id: &str, body: &[u8]) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return invalid(vec!["request_body_malformed"]);
    };
    let codes = submit_errors(&request);
    if !codes.is_empty() {
        return invalid(codes);
    }
    let amount = request["amount"].as_u64().unwrap_or_default();
    let mut state = shared.lock();
    let Some(session) = state.checkout.sessions.get_mut(id) else {
        return not_found();
    };
    if session.status != "Active" {
        return invalid(vec!["payment_session_not_active"]);
    }
    let (status, answer) = attempt(&shared.base_url, session, amount);
    Reply::json(status, answer).with_header("cko-request-id", request_id())
}

/// One payment attempt for an active session, by the amount's last two
/// digits (see [`THREE_DS_AMOUNT_SUFFIX`], [`DECLINED_AMOUNT_SUFFIX`]).
fn attempt(base_url: &str, session: &mut Session, amount: u64) -> (u16, Value) {
    let payment = vendor_id("pay");
    session.payments.push(payment.clone());
    session.challenge = None;
    match amount % 100 {
        THREE_DS_AMOUNT_SUFFIX => {
            session.status = "Pending";
            let sid = vendor_id("sid");
            session.challenge = Some(sid.clone());
            (
                202,
                json!({
                    "id": payment,
                    "status": "Action Required",
                    "type": "card",
                    "action": {"type": "3ds", "url": format!("{base_url}/3ds/{sid}"), "data": {"session_id": sid}}
                }),
            )
        }
        DECLINED_AMOUNT_SUFFIX => {
            session.status = "Completed";
            (
                201,
                json!({"id": payment, "status": "Declined", "type": "card", "decline_reason": "card_declined"}),
            )
        }
        _ => {
            session.status = "Completed";
            (
                201,
                json!({"id": payment, "status": "Approved", "type": "card"}),
            )
        }
    }
}

/// `GET /3ds/{sid}`: the customer's browser at a 3DS challenge (the URL of
/// a 202's `action`). The sandbox's challenge passes at once, or fails with
/// `?result=failed`, and sends the browser on to the session's
/// `success_url` (or `failure_url`) with the query members the vendor adds
/// on the way back: `cko-session-id` (Checkout's API reference: "the
/// redirect URL back to your site will include a `cko-session-id` query
/// parameter"), `cko-payment-session-id` and `cko-payment-id` (read by Flow
/// integrations in production). A passed challenge completes the session; a
/// failed one leaves it active for another attempt (the sandbox's choice:
/// nothing documents it). Each challenge is answered once, then 404.
pub(crate) fn challenge(shared: &Shared, sid: &str, query: Option<&str>) -> Reply {
    let failed = query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "result" && v == "failed")
    });
    let mut state = shared.lock();
    let Some((id, session)) = state
        .checkout
        .sessions
        .iter_mut()
        .find(|(_, s)| s.challenge.as_deref() == Some(sid))
    else {
        return not_found();
    };
    session.challenge = None;
    session.status = if failed { "Active" } else { "Completed" };
    let target = if failed { "failure_url" } else { "success_url" };
    // Required and a string at create; `complete` checks the same.
    let url = session.request[target].as_str().unwrap_or_default();
    let payment = session.payments.last().map_or("", String::as_str);
    match back_to(
        url,
        &[
            ("cko-payment-session-id", id),
            ("cko-session-id", sid),
            ("cko-payment-id", payment),
        ],
    ) {
        Some(location) => Reply::empty(303).with_header("location", location),
        None => Reply::json(
            400,
            json!({"error": format!("{target} cannot be a Location header")}),
        ),
    }
}

/// `url` with `params` added to its query (after any it has, before a
/// fragment), or `None` when the result cannot be a header value (visible
/// ASCII only; the create rules allow any text).
fn back_to(url: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let (base, fragment) = url
        .split_once('#')
        .map_or((url, None), |(b, f)| (b, Some(f)));
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut location = format!("{base}{separator}{}", query.finish());
    if let Some(fragment) = fragment {
        location.push('#');
        location.push_str(fragment);
    }
    location
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b))
        .then_some(location)
}

/// `POST /payment-sessions/complete`: a session and its first attempt in
/// one call, checked as a create request plus `session_data`; the answer is
/// a submission's with the new session's id and secret.
pub(crate) fn complete(shared: &Shared, body: &[u8]) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return invalid(vec!["request_body_malformed"]);
    };
    let mut codes = create_errors(&request);
    if request["session_data"].as_str().is_none_or(str::is_empty) {
        codes.push("session_data_required");
    }
    if !codes.is_empty() {
        return invalid(codes);
    }
    let amount = request["amount"].as_u64().unwrap_or_default();
    let id = new_session_id();
    let secret = format!("pss_{}", uuid::Uuid::new_v4());
    let mut session = Session {
        request,
        status: "Active",
        payments: Vec::new(),
        challenge: None,
    };
    let (status, mut answer) = attempt(&shared.base_url, &mut session, amount);
    shared.lock().checkout.sessions.insert(id.clone(), session);
    answer["payment_session_id"] = json!(id);
    answer["payment_session_secret"] = json!(secret);
    Reply::json(status, answer).with_header("cko-request-id", request_id())
}

/// `prefix_` and 26 of lowercase base32 (`[a-z2-7]`), the shape of the
/// vendor's payment and 3DS session ids (`pay_mbabizu24mvu3mela5njyhpit4`,
/// `sid_y3oqhf46pyzuxjbcn2giaqnb44` in its documents).
fn vendor_id(prefix: &str) -> String {
    const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    // 256 is a multiple of 32: every character is equally likely.
    let tail: String = random_bytes::<26>()
        .iter()
        .map(|b| char::from(BASE32[usize::from(b % 32)]))
        .collect();
    format!("{prefix}_{tail}")
}

fn new_session_id() -> String {
    format!(
        "ps_{}",
        &b64url(random_bytes::<21>()).replace(['-', '_'], "x")[..27]
    )
}

/// `GET /payment-sessions/{id}`.
pub(crate) fn get(shared: &Shared, id: &str) -> Reply {
    let state = shared.lock();
    let Some(session) = state.checkout.sessions.get(id) else {
        return not_found();
    };
    let mut body = json!({
        "id": id,
        "status": session.status,
        "_links": {"self": {"href": format!("{}/payment-sessions/{id}", shared.base_url)}},
    });
    if let Some(payment) = session.payments.last() {
        body["payment_id"] = json!(payment);
    }
    for field in [
        "amount",
        "currency",
        "reference",
        "billing",
        "description",
        "customer",
    ] {
        if !session.request[field].is_null() {
            body[field] = session.request[field].clone();
        }
    }
    Reply::json(200, body).with_header("cko-request-id", request_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base32_id(id: &str, prefix: &str) -> bool {
        id.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() == 26
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        })
    }

    #[test]
    fn payment_and_3ds_ids_have_the_vendors_shape() {
        for _ in 0..50 {
            assert!(base32_id(&vendor_id("pay"), "pay_"));
        }
        let mut session = Session {
            request: json!({}),
            status: "Active",
            payments: Vec::new(),
            challenge: None,
        };
        let (status, answer) = attempt("http://127.0.0.1:1", &mut session, 1050);
        assert_eq!(status, 202);
        assert!(base32_id(answer["id"].as_str().unwrap_or_default(), "pay_"));
        let sid = answer["action"]["data"]["session_id"]
            .as_str()
            .unwrap_or_default();
        assert!(base32_id(sid, "sid_"), "{sid}");
        assert_eq!(
            answer["action"]["url"].as_str(),
            Some(format!("http://127.0.0.1:1/3ds/{sid}").as_str())
        );
    }

    #[test]
    fn the_oauth_client_id_is_an_access_key_id() {
        // The SDKs name the OAuth client id `ack_XXXX` (checkout-sdk-node
        // 5.2.1 README); `cli_…` is the account id, not a credential.
        let id = crate::SandboxConfig::default().checkout_client_id;
        assert!(base32_id(&id, "ack_"), "{id}");
    }

    #[test]
    fn a_submission_is_held_to_the_create_rules_for_what_it_overrides() {
        let valid = json!({"session_data": "s", "amount": 1000});
        assert!(submit_errors(&valid).is_empty());
        // checkout-sdk-node 5.2.1 checks the currency on create but not on
        // submit, so the API's own answer is what its users see.
        let mut request = valid.clone();
        request["currency"] = json!("gbp");
        assert_eq!(submit_errors(&request), ["currency_invalid"]);
        request["currency"] = json!(826);
        assert_eq!(submit_errors(&request), ["currency_invalid"]);
        request["currency"] = json!("GBP");
        assert!(submit_errors(&request).is_empty());
        request["processing_channel_id"] = json!("pc_short");
        request["success_url"] = json!("u".repeat(1025));
        assert_eq!(
            submit_errors(&request),
            ["success_url_invalid", "processing_channel_id_invalid"]
        );
        // A member of the wrong type is invalid, not ignored.
        assert_eq!(
            submit_errors(
                &json!({"session_data": "s", "amount": 1, "reference": 5, "success_url": [], "processing_channel_id": 7})
            ),
            [
                "reference_invalid",
                "success_url_invalid",
                "processing_channel_id_invalid"
            ]
        );
        assert_eq!(
            submit_errors(&json!({"amount": "10"})),
            ["session_data_required", "amount_invalid"]
        );
    }

    #[test]
    fn a_currency_that_is_not_a_string_is_invalid_not_missing() {
        let mut request = json!({
            "amount": 1,
            "currency": 826,
            "billing": {"address": {"country": "GB"}},
            "success_url": "s",
            "failure_url": "f",
        });
        assert_eq!(create_errors(&request), ["currency_invalid"]);
        request["currency"] = Value::Null;
        assert_eq!(create_errors(&request), ["currency_required"]);
    }

    #[test]
    fn the_way_back_from_a_challenge_keeps_the_merchants_query_and_fragment() {
        let params = [("cko-session-id", "sid_a"), ("cko-payment-id", "pay_b")];
        assert_eq!(
            back_to("https://shop.example/ok", &params).as_deref(),
            Some("https://shop.example/ok?cko-session-id=sid_a&cko-payment-id=pay_b")
        );
        assert_eq!(
            back_to("https://shop.example/ok?order=5#top", &params).as_deref(),
            Some("https://shop.example/ok?order=5&cko-session-id=sid_a&cko-payment-id=pay_b#top")
        );
        assert_eq!(
            back_to("https://shop.example/ok", &[("k", "a b&c")]).as_deref(),
            Some("https://shop.example/ok?k=a+b%26c")
        );
        assert_eq!(back_to("https://shop.example/\u{e9}t\u{e9}", &params), None);
        assert_eq!(back_to("https://shop.example/\nx", &params), None);
    }

    #[test]
    fn a_redirect_url_that_is_not_a_string_is_invalid_not_missing() {
        let mut request = json!({
            "amount": 1,
            "currency": "GBP",
            "billing": {"address": {"country": "GB"}},
            "success_url": 5,
            "failure_url": ["f"],
        });
        assert_eq!(
            create_errors(&request),
            ["success_url_invalid", "failure_url_invalid"]
        );
        request["success_url"] = Value::Null;
        request["failure_url"] = json!("f".repeat(1025));
        assert_eq!(
            create_errors(&request),
            ["success_url_required", "failure_url_invalid"]
        );
        request["success_url"] = json!("https://example.com/ok");
        request["failure_url"] = json!("https://example.com/no");
        assert!(create_errors(&request).is_empty());
    }
}
