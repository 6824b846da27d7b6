//! Intelligent Commerce under `/icc/v1` or `/acp/v1`, on the vendor's
//! shapes (npm `cybersource-rest-client` 0.0.83, `AgentCapabilitiesApi`):
//! enrollment (PENDING on the first call for an instrument, ACTIVE after),
//! instructions with their lifecycle, the mandates enforced on the server
//! side too (`mandateReferenceData`, `lineItems[].items.quantity`), the
//! credentials with an `authorization` and a signed `signedPayload`, and
//! confirmations of transaction events (202). Members of the developer
//! guide's older shapes get a 400 naming them. Bodies are message-level
//! encrypted (`{"encryptedRequest": "<JWE>"}`), which the sandbox requires
//! unless configured otherwise.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Value, json};

use crate::crypto::{hex, random_bytes};
use crate::reply::{self, Reply};
use crate::{Shared, now_with_offset};

/// Where an instruction stands, as the sandbox sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstructionStatus {
    /// Initiated or updated; credentials may be retrieved.
    Active,
    /// Credentials were retrieved at least once; it may be confirmed.
    CredentialsRetrieved,
    /// Cancelled; nothing more is allowed.
    Cancelled,
    /// Confirmed; nothing more is allowed.
    Confirmed,
}

/// One mandate as the sandbox enforces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateUsage {
    /// `mandateId`.
    pub mandate_id: String,
    /// How many items the mandate allows, if limited.
    pub quantity: Option<u64>,
    /// How many items were bought under it.
    pub used: u64,
    amount: String,
    currency: String,
    until: i64,
}

/// What the sandbox holds for one instruction (no card data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionRecord {
    /// `instructionId`.
    pub id: String,
    /// Where it stands.
    pub status: InstructionStatus,
    /// Its mandates and what was spent of them.
    pub mandates: Vec<MandateUsage>,
    /// The id of every credentials retrieval, in order (also a claim of
    /// its `signedPayload`).
    pub transactions: Vec<String>,
    /// How many confirmations it received.
    pub confirmations: u32,
    /// How many updates it received.
    pub updates: u32,
}

impl InstructionRecord {
    /// For the inspection endpoint.
    pub(crate) fn describe(&self) -> Value {
        json!({
            "instructionId": self.id,
            "status": format!("{:?}", self.status),
            "mandates": self.mandates.iter().map(|m| json!({
                "mandateId": m.mandate_id,
                "amount": m.amount,
                "currency": m.currency,
                "expiresAt": m.until,
                "quantity": m.quantity,
                "used": m.used,
            })).collect::<Vec<_>>(),
            "transactions": self.transactions,
            "confirmations": self.confirmations,
            "updates": self.updates,
        })
    }
}

/// The Intelligent Commerce part of the sandbox's state.
#[derive(Debug, Default)]
pub(crate) struct IccState {
    pub enrollments: HashMap<String, u32>,
    pub instructions: HashMap<String, InstructionRecord>,
}

/// Opens the body: decrypts MLE, or accepts plaintext when allowed.
fn open(shared: &Shared, body: &[u8]) -> Result<Value, Reply> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        reply::agentic_error(400, "INVALID_DATA", "The request body is not JSON", "body")
    })?;
    let Some(jwe) = value.get("encryptedRequest") else {
        if shared.config.icc_requires_mle {
            return Err(reply::agentic_error(
                400,
                "MLE_REQUIRED",
                "Message-level encryption is required for this resource",
                "encryptedRequest",
            ));
        }
        return Ok(value);
    };
    let jwe = jwe.as_str().unwrap_or_default();
    let plain = shared.mle.open_mle(jwe).map_err(|why| {
        reply::agentic_error(
            400,
            "INVALID_DATA",
            &format!("The encrypted request {why}"),
            "encryptedRequest",
        )
    })?;
    serde_json::from_slice(&plain).map_err(|_| {
        reply::agentic_error(
            400,
            "INVALID_DATA",
            "The decrypted request is not JSON",
            "encryptedRequest",
        )
    })
}

fn require(value: &Value, fields: &[&str]) -> Result<(), Reply> {
    match fields
        .iter()
        .find(|name| value.get(**name).is_none_or(Value::is_null))
    {
        Some(name) => Err(reply::agentic_error(
            400,
            "MISSING_FIELD",
            &format!("{name} is required"),
            name,
        )),
        None => Ok(()),
    }
}

/// Members of the developer guide's shapes that no vendor request has, by
/// where they sit: refused by name, so a client still sending them learns it
/// here and not from the vendor.
const OLDER_TOP_LEVEL: [&str; 3] = [
    "tokenizedCard",
    "recurringPaymentInformation",
    "transactionData",
];
const OLDER_TRANSACTION: [&str; 5] = [
    "agreementInformation",
    "acquirerInformation",
    "transactionType",
    "shippingAddress",
    "products",
];
const OLDER_AMOUNT_DETAIL: [&str; 4] = [
    "settlementAmount",
    "settlementcurrency",
    "taxAmount",
    "order",
];

/// A 400 naming the first member of an older shape in `value`, whose
/// operation takes `top_level` at the top.
fn older_shape(value: &Value, top_level: &[&str]) -> Result<(), Reply> {
    let refuse = |field: String| {
        Err(reply::agentic_error(
            400,
            "INVALID_FIELD",
            &format!("{field} is not a field of this request"),
            &field,
        ))
    };
    let first_in = |object: &Value, names: &[&'static str]| {
        names
            .iter()
            .copied()
            .find(|name| object.get(*name).is_some())
    };
    let older_top: Vec<&'static str> = OLDER_TOP_LEVEL
        .into_iter()
        .filter(|name| !top_level.contains(name))
        .collect();
    if let Some(name) = first_in(value, &older_top) {
        return refuse(name.to_owned());
    }
    for (i, transaction) in value["transactionData"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(name) = first_in(transaction, &OLDER_TRANSACTION) {
            return refuse(format!("transactionData[{i}].{name}"));
        }
        if let Some(name) = first_in(
            &transaction["orderInformation"]["amountDetail"],
            &OLDER_AMOUNT_DETAIL,
        ) {
            return refuse(format!(
                "transactionData[{i}].orderInformation.amountDetail.{name}"
            ));
        }
    }
    Ok(())
}

fn correlation(value: &Value) -> Value {
    value["clientCorrelationId"].clone()
}

fn not_found() -> Reply {
    reply::agentic_error(
        404,
        "NOT_FOUND",
        "The instruction was not found",
        "instructionId",
    )
}

fn wrong_state(status: InstructionStatus, what: &str) -> Reply {
    reply::agentic_error(
        409,
        "INVALID_STATE",
        &format!("The instruction is {status:?}; {what} is not allowed"),
        "instructionId",
    )
}

/// The instruction `id`, if it is still open (Active or CredentialsRetrieved).
fn open_instruction<'a>(
    icc: &'a mut IccState,
    id: &str,
    what: &str,
) -> Result<&'a mut InstructionRecord, Reply> {
    let record = icc.instructions.get_mut(id).ok_or_else(not_found)?;
    match record.status {
        InstructionStatus::Active | InstructionStatus::CredentialsRetrieved => Ok(record),
        other => Err(wrong_state(other, what)),
    }
}

/// Splits a decimal `123.45` into integer and fraction digits.
fn decimal(text: &str) -> Option<(&str, &str)> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() && digits(int) && digits(frac))
        .then_some((int.trim_start_matches('0'), frac.trim_end_matches('0')))
}

/// Compares two decimal strings exactly.
fn compare_decimal(a: &str, b: &str) -> Option<Ordering> {
    let (ai, af) = decimal(a)?;
    let (bi, bf) = decimal(b)?;
    Some(
        ai.len()
            .cmp(&bi.len())
            .then_with(|| ai.cmp(bi))
            .then_with(|| af.cmp(bf)),
    )
}

fn mandates(
    value: &Value,
    now: i64,
    previous: &[MandateUsage],
) -> Result<Vec<MandateUsage>, Reply> {
    let list = value["mandates"]
        .as_array()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            reply::agentic_error(400, "MISSING_FIELD", "mandates is required", "mandates")
        })?;
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let field = |name: &str| format!("mandates[{i}].{name}");
        let text = |path: &[&str]| {
            let mut v = m;
            for p in path {
                v = &v[*p];
            }
            v.as_str().map(str::to_owned)
        };
        let id = text(&["mandateId"]).ok_or_else(|| {
            reply::agentic_error(
                400,
                "MISSING_FIELD",
                "mandateId is required",
                &field("mandateId"),
            )
        })?;
        let amount = text(&["declineThreshold", "amount"])
            .filter(|a| decimal(a).is_some())
            .ok_or_else(|| {
                reply::agentic_error(
                    400,
                    "INVALID_DATA",
                    "declineThreshold.amount must be a decimal",
                    &field("declineThreshold.amount"),
                )
            })?;
        let currency = text(&["declineThreshold", "currencyCode"]).ok_or_else(|| {
            reply::agentic_error(
                400,
                "MISSING_FIELD",
                "declineThreshold.currencyCode is required",
                &field("declineThreshold.currencyCode"),
            )
        })?;
        let until = text(&["effectiveUntilTime"])
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or_else(|| {
                reply::agentic_error(
                    400,
                    "INVALID_DATA",
                    "effectiveUntilTime must be epoch seconds",
                    &field("effectiveUntilTime"),
                )
            })?;
        if until <= now {
            return Err(reply::agentic_error(
                400,
                "INVALID_DATA",
                "effectiveUntilTime is in the past",
                &field("effectiveUntilTime"),
            ));
        }
        let quantity = match text(&["quantity"]) {
            None => None,
            Some(q) => Some(q.parse::<u64>().map_err(|_| {
                reply::agentic_error(
                    400,
                    "INVALID_DATA",
                    "quantity must be a whole number",
                    &field("quantity"),
                )
            })?),
        };
        let used = previous
            .iter()
            .find(|p| p.mandate_id == id)
            .map_or(0, |p| p.used);
        out.push(MandateUsage {
            mandate_id: id,
            quantity,
            used,
            amount,
            currency,
            until,
        });
    }
    Ok(out)
}

/// Routes one Intelligent Commerce request (`rest` is the path after `/acp/v1/`).
pub(crate) fn handle(
    shared: &Shared,
    method: &axum::http::Method,
    rest: &[&str],
    body: &[u8],
) -> Reply {
    use axum::http::Method;
    let request = match open(shared, body) {
        Ok(v) => v,
        Err(reply) => return reply,
    };
    match (method, rest) {
        (&Method::POST, ["tokens"]) => enroll(shared, &request),
        (&Method::POST, ["instructions"]) => initiate(shared, &request),
        (&Method::PUT, ["instructions", id]) => update(shared, id, &request),
        (&Method::PUT, ["instructions", id, "cancel"]) => cancel(shared, id, &request),
        (&Method::POST, ["instructions", id, "credentials"]) => credentials(shared, id, &request),
        (&Method::POST, ["instructions", id, "confirmations"]) => confirm(shared, id, &request),
        _ => Reply::json(404, json!({})),
    }
}

fn enroll(shared: &Shared, request: &Value) -> Reply {
    if let Err(r) = require(
        request,
        &[
            "clientCorrelationId",
            "deviceInformation",
            "buyerInformation",
            "billTo",
            "consumerIdentity",
            "paymentInformation",
        ],
    )
    .and_then(|()| older_shape(request, &[]))
    {
        return r;
    }
    let Some(instrument) = request["paymentInformation"]["instrumentIdentifier"]["id"]
        .as_str()
        .filter(|s| !s.is_empty())
    else {
        return reply::agentic_error(
            400,
            "MISSING_FIELD",
            "instrumentIdentifier.id is required",
            "paymentInformation.instrumentIdentifier.id",
        );
    };
    let mut state = shared.lock();
    let calls = state
        .icc
        .enrollments
        .entry(instrument.to_owned())
        .or_default();
    *calls += 1;
    if *calls == 1 {
        Reply::hal_json(
            202,
            json!({"clientCorrelationId": correlation(request), "status": "PENDING", "pendingEvents": ["PENDING_CARDHOLDER_AUTHENTICATION"]}),
        )
    } else {
        Reply::hal_json(
            200,
            json!({"clientCorrelationId": correlation(request), "status": "ACTIVE"}),
        )
    }
}

const INTENT_FIELDS: [&str; 5] = [
    "clientCorrelationId",
    "paymentInformation",
    "deviceInformation",
    "assuranceData",
    "mandates",
];

/// The instrument identifier every request but a cancellation must carry.
fn instrument(request: &Value) -> Result<(), Reply> {
    match request["paymentInformation"]["instrumentIdentifier"]["id"].as_str() {
        Some(id) if !id.is_empty() => Ok(()),
        _ => Err(reply::agentic_error(
            400,
            "MISSING_FIELD",
            "paymentInformation.instrumentIdentifier.id is required",
            "paymentInformation.instrumentIdentifier.id",
        )),
    }
}

fn initiate(shared: &Shared, request: &Value) -> Reply {
    if let Err(r) = require(request, &INTENT_FIELDS)
        .and_then(|()| instrument(request))
        .and_then(|()| older_shape(request, &[]))
    {
        return r;
    }
    let mandates = match mandates(request, now_with_offset(shared), &[]) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let id = format!("1-{}", hex(&random_bytes::<20>()).to_ascii_uppercase());
    shared.lock().icc.instructions.insert(
        id.clone(),
        InstructionRecord {
            id: id.clone(),
            status: InstructionStatus::Active,
            mandates,
            transactions: Vec::new(),
            confirmations: 0,
            updates: 0,
        },
    );
    Reply::hal_json(
        200,
        json!({"clientCorrelationId": correlation(request), "instructionId": id, "status": "ACTIVE"}),
    )
}

fn update(shared: &Shared, id: &str, request: &Value) -> Reply {
    if let Err(r) = require(request, &INTENT_FIELDS)
        .and_then(|()| instrument(request))
        .and_then(|()| older_shape(request, &[]))
    {
        return r;
    }
    let now = now_with_offset(shared);
    let mut state = shared.lock();
    let record = match open_instruction(&mut state.icc, id, "an update") {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    match mandates(request, now, &record.mandates) {
        Ok(m) => record.mandates = m,
        Err(r) => return r,
    }
    record.updates += 1;
    Reply::hal_json(
        200,
        json!({"clientCorrelationId": correlation(request), "instructionId": id, "status": "ACTIVE"}),
    )
}

fn cancel(shared: &Shared, id: &str, request: &Value) -> Reply {
    if let Err(r) = require(
        request,
        &["clientCorrelationId", "deviceInformation", "assuranceData"],
    )
    .and_then(|()| older_shape(request, &[]))
    {
        return r;
    }
    let mut state = shared.lock();
    let record = match open_instruction(&mut state.icc, id, "a cancellation") {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    record.status = InstructionStatus::Cancelled;
    Reply::hal_json(
        200,
        json!({"clientCorrelationId": correlation(request), "instructionId": id, "status": "CANCELLED"}),
    )
}

/// The mandate one transaction spends: the one it names, or the only one.
/// The mandates one transaction spends: every one it names (each must be
/// the instruction's), or the only one; `None` when it names none of them
/// or names none while there are several.
fn mandates_for(record: &InstructionRecord, transaction: &Value) -> Option<Vec<usize>> {
    let named: Vec<&str> = transaction["mandateReferenceData"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["mandateId"].as_str()).collect())
        .unwrap_or_default();
    if named.is_empty() {
        return (record.mandates.len() == 1).then(|| vec![0]);
    }
    let mut out = Vec::new();
    for name in named {
        let index = record.mandates.iter().position(|m| m.mandate_id == name)?;
        if !out.contains(&index) {
            out.push(index);
        }
    }
    Some(out)
}

fn credentials(shared: &Shared, id: &str, request: &Value) -> Reply {
    if let Err(r) = require(
        request,
        &[
            "clientCorrelationId",
            "paymentInformation",
            "transactionData",
        ],
    )
    .and_then(|()| instrument(request))
    .and_then(|()| older_shape(request, &["transactionData"]))
    {
        return r;
    }
    let now = now_with_offset(shared);
    let mut state = shared.lock();
    let record = match open_instruction(&mut state.icc, id, "a credentials retrieval") {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    let transactions = request["transactionData"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if transactions.is_empty() {
        return reply::agentic_error(
            400,
            "MISSING_FIELD",
            "transactionData is required",
            "transactionData",
        );
    }
    // Check every transaction before spending any quantity.
    let mut spend: Vec<(String, u64)> = Vec::new();
    for (i, t) in transactions.iter().enumerate() {
        let at = |name: &str| format!("transactionData[{i}].{name}");
        let amount = t["orderInformation"]["amountDetail"]["totalAmount"]
            .as_str()
            .unwrap_or_default();
        let currency = t["orderInformation"]["amountDetail"]["currency"]
            .as_str()
            .unwrap_or_default();
        let items: u64 = match t["orderInformation"]["lineItems"].as_array() {
            Some(lines) if !lines.is_empty() => lines
                .iter()
                .map(|line| {
                    line["items"]["quantity"]
                        .as_str()
                        .and_then(|q| q.parse::<u64>().ok())
                        .unwrap_or(1)
                })
                .fold(0u64, u64::saturating_add),
            _ => 1,
        };
        let Some(indices) = mandates_for(record, t) else {
            return reply::agentic_error(
                400,
                "INVALID_DATA",
                "The transaction names no mandate of this instruction",
                &at("mandateReferenceData"),
            );
        };
        for index in indices {
            let Some(mandate) = record.mandates.get(index) else {
                return reply::server_error();
            };
            if mandate.until <= now {
                return reply::agentic_error(
                    400,
                    "MANDATE_EXPIRED",
                    "The mandate has expired",
                    &at("mandateReferenceData"),
                );
            }
            if currency != mandate.currency {
                return reply::agentic_error(
                    400,
                    "MANDATE_CURRENCY",
                    "The currency is not the mandate's",
                    &at("orderInformation.amountDetail.currency"),
                );
            }
            if !matches!(
                compare_decimal(amount, &mandate.amount),
                Some(Ordering::Less | Ordering::Equal)
            ) {
                return reply::agentic_error(
                    400,
                    "DECLINE_THRESHOLD_EXCEEDED",
                    "The amount is above the mandate's declineThreshold",
                    &at("orderInformation.amountDetail.totalAmount"),
                );
            }
            let already: u64 = spend
                .iter()
                .filter(|(m, _)| *m == mandate.mandate_id)
                .map(|(_, q)| *q)
                .fold(0u64, u64::saturating_add);
            if let Some(allowed) = mandate.quantity
                && mandate.used.saturating_add(already).saturating_add(items) > allowed
            {
                return reply::agentic_error(
                    400,
                    "MANDATE_QUANTITY",
                    "The mandate's quantity is spent",
                    &at("orderInformation.lineItems"),
                );
            }
            spend.push((mandate.mandate_id.clone(), items));
        }
    }
    for (mandate_id, items) in spend {
        if let Some(m) = record
            .mandates
            .iter_mut()
            .find(|m| m.mandate_id == mandate_id)
        {
            m.used = m.used.saturating_add(items);
        }
    }
    let transaction_id = format!("1-{}", hex(&random_bytes::<20>()).to_ascii_uppercase());
    record.transactions.push(transaction_id.clone());
    record.status = InstructionStatus::CredentialsRetrieved;
    let claims = json!({
        "iss": "payclient-sandbox",
        "iat": now,
        "instructionId": id,
        "transactionId": transaction_id,
        "status": "COMPLETED",
        "transactionData": request["transactionData"],
    });
    drop(state);
    let Ok(signed) = shared.payload_signing.sign(&claims) else {
        return reply::server_error();
    };
    Reply::hal_json(
        200,
        json!({"clientCorrelationId": correlation(request), "instructionId": id, "status": "COMPLETED",
            "authorization": format!("sandbox-authorization-{}", hex(&random_bytes::<12>())), "signedPayload": signed}),
    )
}

/// Whether every confirmation event names its transaction type and status
/// (the vendor requires both); the index of the first that does not.
fn unnamed_event(events: &[Value]) -> Option<(usize, &'static str)> {
    events.iter().enumerate().find_map(|(i, event)| {
        let processor = &event["processorInformation"];
        ["transactionType", "transactionStatus"]
            .into_iter()
            .find(|name| processor[*name].as_str().is_none_or(str::is_empty))
            .map(|name| (i, name))
    })
}

fn confirm(shared: &Shared, id: &str, request: &Value) -> Reply {
    if let Err(r) = require(
        request,
        &[
            "clientCorrelationId",
            "paymentInformation",
            "confirmationData",
        ],
    )
    .and_then(|()| instrument(request))
    .and_then(|()| older_shape(request, &[]))
    {
        return r;
    }
    let events = request["confirmationData"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if events.is_empty() {
        return reply::agentic_error(
            400,
            "MISSING_FIELD",
            "confirmationData is required",
            "confirmationData",
        );
    }
    if let Some((i, name)) = unnamed_event(&events) {
        let field = format!("confirmationData[{i}].processorInformation.{name}");
        return reply::agentic_error(
            400,
            "MISSING_FIELD",
            &format!("{field} is required"),
            &field,
        );
    }
    let approved = events
        .iter()
        .any(|e| e["processorInformation"]["transactionStatus"] == "APPROVED");
    let mut state = shared.lock();
    let Some(record) = state.icc.instructions.get_mut(id) else {
        return not_found();
    };
    if record.status != InstructionStatus::CredentialsRetrieved {
        return wrong_state(record.status, "a confirmation");
    }
    if approved {
        record.status = InstructionStatus::Confirmed;
    }
    record.confirmations += 1;
    Reply::hal_json(202, json!({"clientCorrelationId": correlation(request)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(reply: Result<(), Reply>) -> Option<String> {
        let body: Value = serde_json::from_slice(&reply.err()?.body).ok()?;
        body["error"]["detail"]["source"]
            .as_str()
            .map(str::to_owned)
    }

    #[test]
    fn older_shapes_are_refused_naming_the_member() {
        let intent = json!({"clientCorrelationId": "c", "tokenizedCard": {"number": "156"}});
        assert_eq!(
            refused_field(older_shape(&intent, &[])).as_deref(),
            Some("tokenizedCard")
        );
        let confirmation = json!({"clientCorrelationId": "c", "transactionData": []});
        assert_eq!(
            refused_field(older_shape(&confirmation, &[])).as_deref(),
            Some("transactionData")
        );
        let credentials = json!({"transactionData": [
            {"mandateReferenceData": [{"mandateId": "m"}]},
            {"agreementInformation": [{"id": "m"}]}
        ]});
        assert_eq!(
            refused_field(older_shape(&credentials, &["transactionData"])).as_deref(),
            Some("transactionData[1].agreementInformation")
        );
        let amounts = json!({"transactionData": [{"orderInformation": {"amountDetail": {"totalAmount": "1", "settlementAmount": "1"}}}]});
        assert_eq!(
            refused_field(older_shape(&amounts, &["transactionData"])).as_deref(),
            Some("transactionData[0].orderInformation.amountDetail.settlementAmount")
        );
        let current = json!({"transactionData": [{"mandateReferenceData": [], "type": "PURCHASE",
            "orderInformation": {"amountDetail": {"totalAmount": "1", "currency": "USD"}, "lineItems": []}}]});
        assert!(older_shape(&current, &["transactionData"]).is_ok());
    }

    #[test]
    fn confirmation_events_must_name_type_and_status() {
        let events = [
            json!({"processorInformation": {"transactionType": "PURCHASE", "transactionStatus": "APPROVED"}}),
            json!({"processorInformation": {"transactionType": "PURCHASE", "transactionStatus": ""}}),
        ];
        assert_eq!(unnamed_event(&events), Some((1, "transactionStatus")));
        assert_eq!(unnamed_event(&events[..1]), None);
    }

    #[test]
    fn decimals_compare_exactly() {
        assert_eq!(compare_decimal("19.99", "50.00"), Some(Ordering::Less));
        assert_eq!(compare_decimal("50", "50.00"), Some(Ordering::Equal));
        assert_eq!(
            compare_decimal("100.000000000000000001", "100.00"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_decimal("0099.5", "99.50"), Some(Ordering::Equal));
        assert_eq!(compare_decimal("1e3", "10"), None);
    }
}
