//! Intelligent Commerce against wiremock: the purchase workflow with the
//! developer guide's request bodies (read from the spec's examples), sent
//! message-level encrypted and decrypted by the mock; both path prefixes;
//! the mandate guard rails and wrong-order calls, which must not reach the
//! server; the instruction state through JSON; `signedPayload` verification.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use crate::support::{
    JwtSigner, TestCertificate, builder, certificate, check_hs256_jwt, decrypt_jwe,
};
use payclient::cybersource::{Authentication, CybersourceClient, IntelligentCommercePrefix};
use payclient::intelligent_commerce::types::{
    CancelPurchaseIntentRequest as PurchaseIntentCancellation,
    ConfirmTransactionEventsRequest as TransactionConfirmation,
    CredentialsResponseStatus as CredentialsStatus, EnrollCardRequest as EnrollCard,
    EnrollCardResponseStatus as EnrollmentStatus, InitiatePurchaseIntentRequest as PurchaseIntent,
    RetrievePaymentCredentialsRequest as CredentialsRequest,
    UpdatePurchaseIntentRequest as PurchaseIntentUpdate,
};
use payclient::intelligent_commerce::{
    Instruction, InstructionState, IntelligentCommerceClient, PayloadKey, SignedPayload,
};
use payclient::{Error, MandateLimit, request_from_json};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = include_str!("../../../specs/cybersource-intelligent-commerce.yaml");
const INSTRUCTION_ID: &str = "1-5C8B7367EC00c229ec8a-c96c-a932-a1f3-1faa8f138b01";
/// 2025-06-15: before every `effectiveUntilTime` in the guide's examples.
const T0: i64 = 1_750_000_000;

/// The request example of `method path` in the spec.
fn seed(path: &str, verb: &str) -> Value {
    crate::support::request_example(SPEC, path, verb)
}

/// The wire omits optional members that are `null` in the guide's examples.
fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

struct Harness {
    server: MockServer,
    mle: TestCertificate,
    icc: IntelligentCommerceClient,
    now: Arc<AtomicI64>,
}

async fn harness(prefix: IntelligentCommercePrefix) -> Harness {
    let server = MockServer::start().await;
    let mle = certificate("SJC-MLE-ICC");
    let config = builder(&server.uri(), Authentication::JwtSharedSecret)
        .mle_certificate(mle.pem.clone().into_bytes())
        .intelligent_commerce_prefix(prefix)
        .build()
        .expect("config");
    let now = Arc::new(AtomicI64::new(T0));
    let clock_now = now.clone();
    let icc = IntelligentCommerceClient::with_clock(
        CybersourceClient::new(config),
        Arc::new(move || UNIX_EPOCH + Duration::from_secs(clock_now.load(Ordering::SeqCst) as u64)),
    );
    Harness {
        server,
        mle,
        icc,
        now,
    }
}

impl Harness {
    async fn answer(&self, verb: &str, at: &str, status: u16, body: Value) {
        Mock::given(method(verb))
            .and(path(at))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    async fn answer_once(&self, verb: &str, at: &str, status: u16, body: Value) {
        Mock::given(method(verb))
            .and(path(at))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
    }

    /// Every request received so far: method, path and decrypted JSON body,
    /// after checking the MLE header and that the JWT covers the body sent.
    async fn received(&self) -> Vec<(String, String, Value)> {
        let requests = self.server.received_requests().await.expect("recording");
        requests
            .iter()
            .map(|r| {
                let outer: Value = serde_json::from_slice(&r.body).expect("json body");
                assert_eq!(
                    outer.as_object().expect("object").len(),
                    1,
                    "only encryptedRequest"
                );
                let jwe = outer["encryptedRequest"]
                    .as_str()
                    .expect("encryptedRequest");
                let (header, plaintext) = decrypt_jwe(jwe, &self.mle.private);
                assert_eq!(header["alg"], "RSA-OAEP-256");
                assert_eq!(header["enc"], "A256GCM");
                assert_eq!(header["kid"], "SJC-MLE-ICC");
                let claims = check_hs256_jwt(r);
                let digest = base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    <sha2::Sha256 as sha2::Digest>::digest(&r.body),
                );
                assert_eq!(claims["digest"], digest.as_str());
                (
                    r.method.to_string(),
                    r.url.path().to_owned(),
                    serde_json::from_slice(&plaintext).expect("json plaintext"),
                )
            })
            .collect()
    }

    async fn count(&self) -> usize {
        self.server
            .received_requests()
            .await
            .expect("recording")
            .len()
    }

    async fn initiated(&self, prefix: &str) -> Instruction {
        self.answer_once(
            "POST",
            &format!("{prefix}/instructions"),
            200,
            json!({"clientCorrelationId": "3e1b7943-6567-4965-a32b-5aa93d057d35", "instructionId": INSTRUCTION_ID, "status": "ACTIVE"}),
        )
        .await;
        self.icc
            .initiate_purchase_intent(intent())
            .await
            .expect("initiated")
    }

    /// Initiated, then updated to the guide's update example: one mandate,
    /// 100.00 USD, quantity 10, until 1795690745.
    async fn updated(&self) -> Instruction {
        let mut instruction = self.initiated("/icc/v1").await;
        self.answer_once(
            "PUT",
            &format!("/icc/v1/instructions/{INSTRUCTION_ID}"),
            200,
            json!({"instructionId": INSTRUCTION_ID}),
        )
        .await;
        self.icc
            .update_purchase_intent(&mut instruction, update())
            .await
            .expect("updated");
        instruction
    }
}

fn enroll() -> EnrollCard {
    request_from_json(seed("/tokens", "post")).expect("enroll")
}

fn intent() -> PurchaseIntent {
    request_from_json(seed("/instructions", "post")).expect("intent")
}

fn update() -> PurchaseIntentUpdate {
    request_from_json(seed("/instructions/{instructionId}", "put")).expect("update")
}

fn cancellation() -> PurchaseIntentCancellation {
    request_from_json(seed("/instructions/{instructionId}/cancel", "put")).expect("cancellation")
}

fn credentials_json() -> Value {
    seed("/instructions/{instructionId}/credentials", "post")
}

fn credentials() -> CredentialsRequest {
    request_from_json(credentials_json()).expect("credentials")
}

fn credentials_with(edit: impl FnOnce(&mut Value)) -> CredentialsRequest {
    let mut value = credentials_json();
    edit(&mut value);
    request_from_json(value).expect("credentials")
}

fn confirmation() -> TransactionConfirmation {
    request_from_json(seed("/instructions/{instructionId}/confirmations", "post"))
        .expect("confirmation")
}

#[tokio::test]
async fn the_purchase_workflow_sends_the_guides_bodies_encrypted() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let signer = JwtSigner::new("cybs-confirmations");
    let signed =
        signer.sign(&json!({"instructionId": INSTRUCTION_ID, "status": "COMPLETED", "iat": T0}));

    // Enroll: PENDING first (the customer must verify), ACTIVE on the second try.
    h.answer_once("POST", "/icc/v1/tokens", 202, json!({"clientCorrelationId": "3e1b7943-6567-4965-a32b-5aa93d057d35", "status": "PENDING", "pendingEvents": ["PENDING_CARDHOLDER_AUTHENTICATION"]})).await;
    h.answer_once(
        "POST",
        "/icc/v1/tokens",
        200,
        json!({"clientCorrelationId": "3e1b7943-6567-4965-a32b-5aa93d057d35", "status": "ACTIVE"}),
    )
    .await;
    let pending = h.icc.enroll_card(enroll()).await.expect("enrolled");
    assert_eq!(pending.status, Some(EnrollmentStatus::Pending));
    assert_eq!(
        pending.pending_events(),
        ["PENDING_CARDHOLDER_AUTHENTICATION"]
    );
    assert_eq!(pending.reply.status, 202);
    let active = h.icc.enroll_card(enroll()).await.expect("enrolled");
    assert_eq!(active.status, Some(EnrollmentStatus::Active));

    let mut instruction = h.initiated("/icc/v1").await;
    assert_eq!(instruction.id(), INSTRUCTION_ID);
    assert_eq!(instruction.state(), InstructionState::Active);
    assert_eq!(instruction.mandates()[0].decline_threshold, "10000.00");

    h.answer_once(
        "PUT",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}"),
        200,
        json!({"instructionId": INSTRUCTION_ID}),
    )
    .await;
    h.icc
        .update_purchase_intent(&mut instruction, update())
        .await
        .expect("updated");
    assert_eq!(instruction.mandates()[0].decline_threshold, "100.00");
    assert_eq!(instruction.mandates()[0].quantity, Some(10));

    h.answer_once("POST", &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"), 200, json!({"clientCorrelationId": "retrievePaymentCredentialsRequest", "instructionId": INSTRUCTION_ID, "status": "COMPLETED", "authorization": "first-party-authorization-secret", "signedPayload": signed, "credentials": {"encrypted": "kept"}})).await;
    let creds = h
        .icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .expect("credentials within the mandate");
    assert_eq!(creds.status, Some(CredentialsStatus::Completed));
    assert_eq!(
        creds.reply.value.instruction_id.as_deref(),
        Some(INSTRUCTION_ID)
    );
    assert_eq!(
        creds.reply.value.extra["credentials"].value()["encrypted"],
        "kept"
    );
    let shown = format!("{creds:?}");
    assert!(
        shown.contains("credentials") && !shown.contains("kept"),
        "member names only: {shown}"
    );
    assert!(
        !shown.contains("first-party-authorization-secret"),
        "the authorization is redacted: {shown}"
    );
    assert_eq!(instruction.state(), InstructionState::CredentialsRetrieved);
    assert_eq!(instruction.mandates()[0].quantity_used, 10);
    let payload = creds.signed_payload().expect("present").expect("a JWS");
    assert_eq!(payload.alg(), "RS256");
    assert_eq!(payload.kid(), Some("cybs-confirmations"));
    let key = PayloadKey::from_jwk(&signer.jwk()).expect("key");
    let claims = payload.verify(&key).expect("verifies");
    assert_eq!(claims["instructionId"], INSTRUCTION_ID);

    h.answer_once(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/confirmations"),
        202,
        json!({"clientCorrelationId": "3e1b7943-6567-4965-a32b-5aa93d057d35"}),
    )
    .await;
    let confirmed = h
        .icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .expect("confirmed");
    assert!(confirmed.approved);
    assert_eq!(confirmed.reply.status, 202);
    assert_eq!(instruction.state(), InstructionState::Confirmed);

    // On the wire: the guide's bodies, each encrypted, in the guide's order.
    let received = h.received().await;
    let expected = [
        ("POST", "/icc/v1/tokens".to_owned(), seed("/tokens", "post")),
        ("POST", "/icc/v1/tokens".to_owned(), seed("/tokens", "post")),
        (
            "POST",
            "/icc/v1/instructions".to_owned(),
            seed("/instructions", "post"),
        ),
        (
            "PUT",
            format!("/icc/v1/instructions/{INSTRUCTION_ID}"),
            seed("/instructions/{instructionId}", "put"),
        ),
        (
            "POST",
            format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"),
            credentials_json(),
        ),
        (
            "POST",
            format!("/icc/v1/instructions/{INSTRUCTION_ID}/confirmations"),
            seed("/instructions/{instructionId}/confirmations", "post"),
        ),
    ];
    assert_eq!(received.len(), expected.len());
    for ((verb, at, body), (want_verb, want_path, want_body)) in received.iter().zip(expected) {
        assert_eq!(verb, want_verb);
        assert_eq!(at, &want_path);
        assert_eq!(body, &strip_nulls(want_body), "{at}");
    }
}

#[tokio::test]
async fn the_guides_acp_prefix_routes_every_operation() {
    let h = harness(IntelligentCommercePrefix::Acp).await;
    h.answer("POST", "/acp/v1/tokens", 200, json!({"status": "ACTIVE"}))
        .await;
    h.answer(
        "POST",
        "/acp/v1/instructions",
        200,
        json!({"instructionId": INSTRUCTION_ID}),
    )
    .await;
    for (verb, tail) in [("PUT", ""), ("PUT", "/cancel")] {
        h.answer(
            verb,
            &format!("/acp/v1/instructions/{INSTRUCTION_ID}{tail}"),
            200,
            json!({"instructionId": INSTRUCTION_ID}),
        )
        .await;
    }
    h.answer(
        "POST",
        &format!("/acp/v1/instructions/{INSTRUCTION_ID}/credentials"),
        200,
        json!({"status": "COMPLETED"}),
    )
    .await;
    h.answer(
        "POST",
        &format!("/acp/v1/instructions/{INSTRUCTION_ID}/confirmations"),
        202,
        json!({"clientCorrelationId": "c"}),
    )
    .await;
    h.icc.enroll_card(enroll()).await.expect("enrolled");
    let mut instruction = h
        .icc
        .initiate_purchase_intent(intent())
        .await
        .expect("initiated");
    h.icc
        .update_purchase_intent(&mut instruction, update())
        .await
        .expect("updated");
    h.icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .expect("credentials");
    h.icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .expect("confirmed");

    let mut second = h
        .icc
        .initiate_purchase_intent(intent())
        .await
        .expect("initiated");
    h.icc
        .cancel_purchase_intent(&mut second, cancellation())
        .await
        .expect("cancelled");

    let paths: Vec<String> = h.received().await.into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "/acp/v1/tokens".to_owned(),
            "/acp/v1/instructions".to_owned(),
            format!("/acp/v1/instructions/{INSTRUCTION_ID}"),
            format!("/acp/v1/instructions/{INSTRUCTION_ID}/credentials"),
            format!("/acp/v1/instructions/{INSTRUCTION_ID}/confirmations"),
            "/acp/v1/instructions".to_owned(),
            format!("/acp/v1/instructions/{INSTRUCTION_ID}/cancel"),
        ]
    );
}

#[tokio::test]
async fn a_cancelled_instruction_refuses_everything_else_without_sending() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut instruction = h.initiated("/icc/v1").await;
    h.answer_once("PUT", &format!("/icc/v1/instructions/{INSTRUCTION_ID}/cancel"), 200, json!({"clientCorrelationId": "3e1b7943-6567-4965-a32b-5aa93d057d35", "instructionId": INSTRUCTION_ID, "status": "CANCELLED"})).await;
    h.icc
        .cancel_purchase_intent(&mut instruction, cancellation())
        .await
        .expect("cancelled");
    assert_eq!(instruction.state(), InstructionState::Cancelled);
    assert_eq!(instruction.status(), Some("CANCELLED"));

    let sent = h.count().await;
    let workflow = |e: Error| match e {
        Error::Workflow(w) => (w.operation, w.state),
        other => panic!("expected a workflow error, got {other}"),
    };
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .unwrap_err();
    assert_eq!(
        workflow(e),
        ("retrieve_payment_credentials", "Cancelled".to_owned())
    );
    let e = h
        .icc
        .update_purchase_intent(&mut instruction, update())
        .await
        .unwrap_err();
    assert_eq!(
        workflow(e),
        ("update_purchase_intent", "Cancelled".to_owned())
    );
    let e = h
        .icc
        .cancel_purchase_intent(&mut instruction, cancellation())
        .await
        .unwrap_err();
    assert_eq!(
        workflow(e),
        ("cancel_purchase_intent", "Cancelled".to_owned())
    );
    let e = h
        .icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .unwrap_err();
    assert_eq!(
        workflow(e),
        ("confirm_transaction_events", "Cancelled".to_owned())
    );
    assert_eq!(h.count().await, sent, "nothing reached the server");

    let received = h.received().await;
    assert_eq!(
        received[1].1,
        format!("/icc/v1/instructions/{INSTRUCTION_ID}/cancel")
    );
    assert_eq!(
        received[1].2,
        seed("/instructions/{instructionId}/cancel", "put")
    );
}

#[tokio::test]
async fn confirmation_comes_only_after_credentials_and_only_once() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut instruction = h.updated().await;
    let sent = h.count().await;
    let e = h
        .icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Workflow(w) if w.state == "Active"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("retrieve payment credentials before confirming"),
        "{e}"
    );
    assert_eq!(h.count().await, sent);

    h.answer(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"),
        200,
        json!({"status": "COMPLETED"}),
    )
    .await;
    h.icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["lineItems"][0]["items"]["quantity"] =
                    json!("1")
            }),
        )
        .await
        .expect("credentials");

    // A declined payment keeps the instruction open for another try.
    h.answer(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/confirmations"),
        202,
        json!({"clientCorrelationId": "c"}),
    )
    .await;
    let mut declined = seed("/instructions/{instructionId}/confirmations", "post");
    declined["confirmationData"][0]["processorInformation"]["transactionStatus"] =
        json!("DECLINED");
    let declined = h
        .icc
        .confirm_transaction_events(
            &mut instruction,
            request_from_json(declined).expect("declined"),
        )
        .await
        .expect("accepted");
    assert!(!declined.approved);
    assert_eq!(instruction.state(), InstructionState::CredentialsRetrieved);

    h.icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .expect("completed");
    assert_eq!(instruction.state(), InstructionState::Confirmed);

    let sent = h.count().await;
    let e = h
        .icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Workflow(w) if w.state == "Confirmed"),
        "{e}"
    );
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Workflow(_)), "{e}");
    let e = h
        .icc
        .cancel_purchase_intent(&mut instruction, cancellation())
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Workflow(_)), "{e}");
    assert_eq!(h.count().await, sent);
}

fn mandate_violation(e: Error) -> (String, String, MandateLimit) {
    match e {
        Error::Mandate(v) => (v.mandate_id, v.field, v.limit),
        other => panic!("expected a mandate violation, got {other}"),
    }
}

const MANDATE: &str = "d48ac10b-58cc-4372-a567-0e02b2c3d489";

#[tokio::test]
async fn every_guard_rail_refuses_before_sending() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut instruction = h.updated().await;
    let before = instruction.clone();
    let sent = h.count().await;

    // One cent above the threshold (100 USD is the limit: 100.00).
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["amountDetail"]["totalAmount"] =
                    json!("100.01");
            }),
        )
        .await
        .unwrap_err();
    let message = e.to_string();
    let (id, field, limit) = mandate_violation(e);
    assert_eq!(id, MANDATE);
    assert_eq!(
        field,
        "transactionData[0].orderInformation.amountDetail.totalAmount"
    );
    assert_eq!(
        limit,
        MandateLimit::Amount {
            threshold: "100.00".into(),
            currency: "USD".into(),
            requested: "100.01".into()
        }
    );
    assert!(
        message.contains(MANDATE) && message.contains("100.00 USD"),
        "{message}"
    );

    // A float would call these equal; exact decimals do not.
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["amountDetail"]["totalAmount"] =
                    json!("100.000000000000000001");
            }),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        mandate_violation(e).2,
        MandateLimit::Amount { .. }
    ));

    // Another currency.
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["amountDetail"]["currency"] =
                    json!("EUR");
            }),
        )
        .await
        .unwrap_err();
    let (id, field, limit) = mandate_violation(e);
    assert_eq!(
        (id.as_str(), field.as_str()),
        (
            MANDATE,
            "transactionData[0].orderInformation.amountDetail.currency"
        )
    );
    assert_eq!(
        limit,
        MandateLimit::Currency {
            allowed: "USD".into(),
            requested: "EUR".into()
        }
    );

    // More items than the quantity (10).
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["lineItems"][0]["items"]["quantity"] =
                    json!("11");
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(
        mandate_violation(e).2,
        MandateLimit::Quantity {
            allowed: 10,
            used: 0,
            requested: 11
        }
    );

    // Two transactions of 6 under the same mandate in one request.
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["lineItems"][0]["items"]["quantity"] =
                    json!("6");
                let copy = v["transactionData"][0].clone();
                v["transactionData"]
                    .as_array_mut()
                    .expect("array")
                    .push(copy);
            }),
        )
        .await
        .unwrap_err();
    let (_, field, limit) = mandate_violation(e);
    assert_eq!(field, "transactionData[1].orderInformation.lineItems");
    assert_eq!(
        limit,
        MandateLimit::Quantity {
            allowed: 10,
            used: 0,
            requested: 12
        }
    );

    // A mandate the instruction does not have.
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| {
                v["transactionData"][0]["mandateReferenceData"][0]["mandateId"] =
                    json!("not-a-mandate");
            }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v.field == "transactionData[0].mandateReferenceData[0].mandateId"),
        "{e}"
    );

    // After effectiveUntilTime (1795690745).
    h.now.store(1_795_690_746, Ordering::SeqCst);
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .unwrap_err();
    let (id, _, limit) = mandate_violation(e);
    assert_eq!(id, MANDATE);
    assert_eq!(
        limit,
        MandateLimit::Expired {
            effective_until: 1_795_690_745
        }
    );
    h.now.store(T0, Ordering::SeqCst);

    assert_eq!(
        h.count().await,
        sent,
        "no refused request reached the server"
    );
    assert_eq!(instruction, before, "a refusal changes nothing");
}

#[tokio::test]
async fn quantity_is_counted_across_requests_and_survives_a_restart() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut instruction = h.updated().await;
    h.answer(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"),
        200,
        json!({"status": "COMPLETED"}),
    )
    .await;
    let six = || {
        credentials_with(|v| {
            v["transactionData"][0]["orderInformation"]["lineItems"][0]["items"]["quantity"] =
                json!("6")
        })
    };
    h.icc
        .retrieve_payment_credentials(&mut instruction, six())
        .await
        .expect("6 of 10");

    // The agent's process restarts: the state comes back from storage.
    let stored = serde_json::to_string(&instruction).expect("serialize");
    for secret in [
        "15602cf86c70b8b63297134292ec5801",
        "7019989999909760770",
        "authenticatedData",
    ] {
        assert!(!stored.contains(secret), "stored state holds no card data");
    }
    drop(instruction);
    let mut resumed: Instruction = serde_json::from_str(&stored).expect("deserialize");
    assert_eq!(resumed.id(), INSTRUCTION_ID);
    assert_eq!(resumed.state(), InstructionState::CredentialsRetrieved);
    assert_eq!(resumed.mandates()[0].quantity_used, 6);

    let sent = h.count().await;
    let e = h
        .icc
        .retrieve_payment_credentials(&mut resumed, six())
        .await
        .unwrap_err();
    assert_eq!(
        mandate_violation(e).2,
        MandateLimit::Quantity {
            allowed: 10,
            used: 6,
            requested: 6
        }
    );
    assert_eq!(h.count().await, sent);
    let four = credentials_with(|v| {
        v["transactionData"][0]["orderInformation"]["lineItems"][0]["items"]["quantity"] =
            json!("4")
    });
    h.icc
        .retrieve_payment_credentials(&mut resumed, four)
        .await
        .expect("4 more");
    assert_eq!(resumed.mandates()[0].quantity_used, 10);

    // An update keeps what was spent under the same mandate.
    h.answer(
        "PUT",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}"),
        200,
        json!({}),
    )
    .await;
    h.icc
        .update_purchase_intent(&mut resumed, update())
        .await
        .expect("updated");
    assert_eq!(resumed.state(), InstructionState::Active);
    assert_eq!(resumed.mandates()[0].quantity_used, 10);
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut resumed,
            credentials_with(|v| {
                v["transactionData"][0]["orderInformation"]["lineItems"][0]["items"]["quantity"] =
                    json!("1")
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(
        mandate_violation(e).2,
        MandateLimit::Quantity {
            allowed: 10,
            used: 10,
            requested: 1
        }
    );
}

#[tokio::test]
async fn several_mandates_need_the_transaction_to_name_one() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut two = seed("/instructions", "post");
    let mut second = two["mandates"][0].clone();
    second["mandateId"] = json!("groceries");
    second["declineThreshold"] = json!({"amount": "50", "currencyCode": "EUR"});
    two["mandates"].as_array_mut().expect("array").push(second);
    h.answer(
        "POST",
        "/icc/v1/instructions",
        200,
        json!({"instructionId": INSTRUCTION_ID}),
    )
    .await;
    h.answer(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"),
        200,
        json!({"status": "COMPLETED"}),
    )
    .await;
    let mut instruction = h
        .icc
        .initiate_purchase_intent(request_from_json(two).expect("intent"))
        .await
        .expect("initiated");
    let sent = h.count().await;

    let unnamed = credentials_with(|v| {
        v["transactionData"][0]
            .as_object_mut()
            .expect("object")
            .remove("mandateReferenceData");
    });
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, unnamed)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v.field == "transactionData[0].mandateReferenceData"),
        "{e}"
    );
    // An entry without an id beside a named one is ambiguous too.
    let half_named = credentials_with(|v| {
        v["transactionData"][0]["mandateReferenceData"] = json!([{"mandateId": "groceries"}, {}]);
    });
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, half_named)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v.field == "transactionData[0].mandateReferenceData[1].mandateId"),
        "{e}"
    );

    // Named: the groceries mandate is 50 EUR.
    let groceries = |amount: &str, currency: &str| {
        let (amount, currency) = (amount.to_owned(), currency.to_owned());
        credentials_with(move |v| {
            v["transactionData"][0]["mandateReferenceData"][0]["mandateId"] = json!("groceries");
            v["transactionData"][0]["orderInformation"]["amountDetail"]["totalAmount"] =
                json!(amount);
            v["transactionData"][0]["orderInformation"]["amountDetail"]["currency"] =
                json!(currency);
        })
    };
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, groceries("100", "USD"))
        .await
        .unwrap_err();
    let (id, _, limit) = mandate_violation(e);
    assert_eq!(id, "groceries");
    assert!(matches!(limit, MandateLimit::Currency { .. }));
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, groceries("50.50", "EUR"))
        .await
        .unwrap_err();
    assert!(matches!(
        mandate_violation(e).2,
        MandateLimit::Amount { .. }
    ));
    assert_eq!(h.count().await, sent);
    h.icc
        .retrieve_payment_credentials(&mut instruction, groceries("49.99", "EUR"))
        .await
        .expect("within");
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_nothing_is_sent() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let intent_with =
        |edit: &dyn Fn(&mut Value)| -> Result<PurchaseIntent, payclient::ValidationError> {
            let mut v = seed("/instructions", "post");
            edit(&mut v);
            request_from_json(v)
        };
    type Edit<'a> = &'a dyn Fn(&mut Value);
    let cases: Vec<(Edit, &str)> = vec![
        (
            &|v| v["deviceInformation"]["ipAddress"] = json!(""),
            "deviceInformation.ipAddress",
        ),
        (
            &|v| v["deviceInformation"]["deviceData"]["brand"] = json!(" "),
            "deviceInformation.deviceData.brand",
        ),
        (
            &|v| v["tokenizedCard"] = json!({"number": "15602cf86c70b8b63297134292ec5801"}),
            "tokenizedCard",
        ),
        (
            &|v| v["paymentInformation"]["instrumentIdentifier"]["id"] = json!(""),
            "paymentInformation.instrumentIdentifier.id",
        ),
        (&|v| v["assuranceData"] = json!([]), "assuranceData"),
        (
            &|v| v["assuranceData"][0]["verificationTimestamp"] = json!("2025-01-01"),
            "assuranceData[0].verificationTimestamp",
        ),
        (
            &|v| v["assuranceData"][0]["verificationMethod"] = json!(""),
            "assuranceData[0].verificationMethod",
        ),
        (&|v| v["mandates"] = json!([]), "mandates"),
        (
            &|v| v["mandates"][0]["declineThreshold"]["amount"] = json!("1e4"),
            "mandates[0].declineThreshold.amount",
        ),
        (
            &|v| v["mandates"][0]["declineThreshold"]["amount"] = json!("-5"),
            "mandates[0].declineThreshold.amount",
        ),
        (
            &|v| v["mandates"][0]["declineThreshold"]["currencyCode"] = json!("usd"),
            "mandates[0].declineThreshold.currencyCode",
        ),
        (
            &|v| v["mandates"][0]["quantity"] = json!("ten"),
            "mandates[0].quantity",
        ),
        (
            &|v| v["mandates"][0]["effectiveUntilTime"] = json!("1700000000"),
            "mandates[0].effectiveUntilTime",
        ),
        (
            &|v| v["mandates"][0]["mandateId"] = json!(""),
            "mandates[0].mandateId",
        ),
        (
            &|v| {
                let m = v["mandates"][0].clone();
                v["mandates"].as_array_mut().expect("array").push(m);
            },
            "mandates[1].mandateId",
        ),
        (
            &|v| v["clientCorrelationId"] = json!(""),
            "clientCorrelationId",
        ),
    ];
    // A rule of one field is enforced by the generated type, when the
    // request is built; a rule across fields (mandate ids, times) by the
    // client, before sending. Either way the field is named.
    for (edit, field) in cases {
        let refused = match intent_with(edit) {
            Err(e) => e,
            Ok(request) => match h.icc.initiate_purchase_intent(request).await {
                Err(Error::Validation(e)) => e,
                other => panic!("{field}: {other:?}"),
            },
        };
        assert_eq!(refused.field, field, "{refused}");
    }

    // Missing, mistyped and unknown members are named by `request_from_json`.
    let missing = intent_with(&|v| {
        v["mandates"][0]
            .as_object_mut()
            .expect("object")
            .remove("description");
    })
    .unwrap_err();
    assert_eq!(missing.field, "mandates[0]");
    assert!(missing.reason.contains("description"), "{missing}");
    let typo = intent_with(&|v| v["mandate"] = json!([])).unwrap_err();
    assert_eq!(typo.field, "mandate");
    assert!(
        typo.reason.starts_with("is not a field of this request"),
        "{typo}"
    );

    // The other requests' single-field rules, refused when they are built.
    let refused = |path: &str, verb: &str, edit: &dyn Fn(&mut Value)| {
        let mut value = seed(path, verb);
        edit(&mut value);
        value
    };
    let credentials_path = "/instructions/{instructionId}/credentials";
    for (edit, field) in [
        (
            &(|v: &mut Value| {
                v["transactionData"][0]["orderInformation"]["amountDetail"]["totalAmount"] =
                    json!("abc")
            }) as &dyn Fn(&mut Value),
            "transactionData[0].orderInformation.amountDetail.totalAmount",
        ),
        (
            &|v: &mut Value| {
                v["transactionData"][0]["orderInformation"]["amountDetail"]["currency"] =
                    json!("dollars")
            },
            "transactionData[0].orderInformation.amountDetail.currency",
        ),
        (
            &|v: &mut Value| {
                v["transactionData"][0]["merchantInformation"]["merchantName"] = json!("")
            },
            "transactionData[0].merchantInformation.merchantName",
        ),
    ] {
        let e = request_from_json::<CredentialsRequest>(refused(credentials_path, "post", edit))
            .unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
    // `minItems`, which the generated types do not enforce, is checked
    // before sending.
    let mut instruction = h.updated().await;
    let e = h
        .icc
        .retrieve_payment_credentials(
            &mut instruction,
            credentials_with(|v| v["transactionData"] = json!([])),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Validation(v) if v.field == "transactionData"),
        "{e}"
    );
    let e = request_from_json::<PurchaseIntentCancellation>(refused(
        "/instructions/{instructionId}/cancel",
        "put",
        &|v| v["assuranceData"][0]["authenticatedIdentities"]["id"] = json!(""),
    ))
    .unwrap_err();
    assert_eq!(e.field, "assuranceData[0].authenticatedIdentities.id");
    let e = request_from_json::<EnrollCard>(refused("/tokens", "post", &|v| {
        v["billTo"]["phoneNumber"] = json!("")
    }))
    .unwrap_err();
    assert_eq!(e.field, "billTo.phoneNumber");
    assert_eq!(
        h.count().await,
        2,
        "only the intent and its update were sent"
    );
}

#[test]
fn a_correlation_id_is_required_and_can_be_made() {
    let mut value = seed("/tokens", "post");
    value["clientCorrelationId"] = json!("");
    let err = request_from_json::<EnrollCard>(value).expect_err("blank");
    assert_eq!(err.field, "clientCorrelationId");
    let made = payclient::intelligent_commerce::new_correlation_id();
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "a UUID");
}

#[tokio::test]
async fn lenient_answers_unknown_status_and_missing_instruction_id() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    h.answer(
        "POST",
        "/icc/v1/tokens",
        200,
        json!({"status": "SUSPENDED", "newMember": {"a": 1}}),
    )
    .await;
    let enrolled = h
        .icc
        .enroll_card(enroll())
        .await
        .expect("an unknown status is not an error");
    assert_eq!(
        enrolled.status,
        Some(EnrollmentStatus::Unknown("SUSPENDED".to_owned()))
    );
    assert_eq!(enrolled.reply.value.extra["newMember"].value()["a"], 1);

    h.answer(
        "POST",
        "/icc/v1/instructions",
        202,
        json!({"status": "PENDING"}),
    )
    .await;
    let e = h.icc.initiate_purchase_intent(intent()).await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode(d) if d.reason.contains("instructionId")),
        "{e}"
    );

    // The vendor's own refusal keeps its shape and the instruction unchanged.
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut instruction = h.updated().await;
    let before = instruction.clone();
    h.answer("POST", &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"), 409, json!({"error": {"status": "CONFLICT", "reason": "INSTRUCTION_NOT_ACTIVE", "message": "instruction expired"}})).await;
    let e = h
        .icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(409));
    assert_eq!(instruction, before);
}

#[test]
fn sensitive_request_values_are_redacted_in_debug() {
    let shown = format!("{:?} {:?} {:?}", intent(), credentials(), enroll());
    for secret in [
        "15602cf86c70b8b63297134292ec5801",
        "7019989999909760770",
        "3C189A435506B99AE0634136CF0AEB92",
        "authenticatedData",
        "authenticatedIdentities.data",
    ] {
        assert!(!shown.contains(secret), "{secret} must not appear");
    }
    assert!(shown.contains("<redacted>"));
}

#[test]
fn signed_payload_verifies_only_with_the_right_key_and_algorithm() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signer = JwtSigner::new("k1");
    let claims = json!({"status": "COMPLETED", "amount": "100.00"});
    let token = signer.sign(&claims);
    let key = PayloadKey::from_jwk(&signer.jwk()).expect("key");
    let parsed = SignedPayload::parse(&token).expect("parses");
    assert_eq!(parsed.unverified_claims(), &claims);
    assert_eq!(parsed.verify(&key).expect("verifies"), &claims);
    assert!(
        !format!("{parsed:?}").contains("100.00"),
        "Debug shows claim names only"
    );

    let refused = |token: &str, key: &PayloadKey| match SignedPayload::parse(token)
        .and_then(|p| p.verify(key).cloned())
    {
        Err(Error::Verification(v)) => v.reason,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let other = PayloadKey::from_jwk(&JwtSigner::new("k1").jwk()).expect("key");
    assert_eq!(
        refused(&token, &other),
        "has a signature that does not verify"
    );

    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(br#"{"status":"COMPLETED","amount":"1.00"}"#),
        parts[2]
    );
    assert_eq!(
        refused(&tampered, &key),
        "has a signature that does not verify"
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        parts[1]
    );
    assert_eq!(
        refused(&none, &key),
        "is not signed with an RSA algorithm the key fits"
    );
    let hs = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
        parts[1],
        parts[2]
    );
    assert_eq!(
        refused(&hs, &key),
        "is not signed with an RSA algorithm the key fits"
    );
    let crit = signer.sign_with_header(&json!({"alg": "RS256", "crit": ["exp"]}), &claims);
    assert_eq!(refused(&crit, &key), "has a `crit` header");
    let mut pinned = signer.jwk();
    pinned["alg"] = json!("PS256");
    assert_eq!(
        refused(&token, &PayloadKey::from_jwk(&pinned).expect("key")),
        "is signed with an algorithm the key does not allow"
    );
    assert_eq!(
        refused("a.b", &key),
        "is not a compact JWS (three segments)"
    );
    assert_eq!(
        refused("jws-signed-payload", &key),
        "is not a compact JWS (three segments)"
    );
    assert_eq!(refused(&"a".repeat(70_000), &key), "is larger than 64 KiB");

    // ES256 with a P-256 key.
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("ec key");
    let point = pair.public_key().as_ref().to_vec();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256"}"#),
        parts[1]
    );
    let sig = pair
        .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
        .expect("sign");
    let es = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
    let ec_key = PayloadKey::from_jwk(&jwk).expect("ec key");
    assert_eq!(
        SignedPayload::parse(&es)
            .expect("parses")
            .verify(&ec_key)
            .expect("verifies"),
        &claims
    );
    assert_eq!(
        refused(&es, &key),
        "is not signed with an RSA algorithm the key fits"
    );
    assert_eq!(
        refused(&token, &ec_key),
        "is not signed with an algorithm the key fits"
    );
    assert!(PayloadKey::from_jwk(&json!({"kty": "oct", "k": "AAAA"})).is_err());
}

#[tokio::test]
async fn without_mle_the_workflow_is_refused_unless_mle_is_turned_off_explicitly() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/icc/v1/instructions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"instructionId": INSTRUCTION_ID})),
        )
        .mount(&server)
        .await;
    let clock: payclient::Clock = Arc::new(|| UNIX_EPOCH + Duration::from_secs(T0 as u64));
    for auth in [
        Authentication::JwtSharedSecret,
        Authentication::HttpSignature,
    ] {
        let config = builder(&server.uri(), auth).build().expect("config");
        let icc =
            IntelligentCommerceClient::with_clock(CybersourceClient::new(config), clock.clone());
        let e = icc.initiate_purchase_intent(intent()).await.unwrap_err();
        assert!(
            matches!(&e, Error::Configuration(payclient::ConfigError::Operation { operation, .. }) if operation == "initiate_purchase_intent"),
            "{e}"
        );
    }
    assert!(
        server
            .received_requests()
            .await
            .expect("recording")
            .is_empty(),
        "nothing sent in the clear"
    );

    let config = builder(&server.uri(), Authentication::HttpSignature)
        .mle_for_operation(
            &payclient::intelligent_commerce::operations::INITIATE_PURCHASE_INTENT,
            false,
        )
        .build()
        .expect("config");
    let icc = IntelligentCommerceClient::with_clock(CybersourceClient::new(config), clock);
    let instruction = icc
        .initiate_purchase_intent(intent())
        .await
        .expect("sent in the clear, as asked");
    assert_eq!(instruction.id(), INSTRUCTION_ID);
    let received = server.received_requests().await.expect("recording");
    let body: Value = serde_json::from_slice(&received[0].body).expect("json");
    assert_eq!(body, strip_nulls(seed("/instructions", "post")));
}

#[test]
fn mandate_terms_and_timestamps_come_from_chrono_values() {
    use chrono::{TimeZone, Utc};
    let until = Utc
        .with_ymd_and_hms(2026, 12, 31, 23, 59, 59)
        .single()
        .expect("date");
    assert_eq!(
        payclient::intelligent_commerce::epoch_seconds(until),
        "1798761599"
    );
    let terms = payclient::intelligent_commerce::MandateTerms {
        mandate_id: None,
        decline_threshold: payclient::Amount::parse("250.00").expect("amount"),
        currency: "USD".to_owned(),
        effective_until: until,
        quantity: Some(3),
        description: "Groceries".to_owned(),
        preferred_merchant_name: None,
    };
    let mandate = terms.to_mandate().expect("valid terms");
    assert!(
        uuid::Uuid::parse_str(&mandate.mandate_id).is_ok(),
        "generated id"
    );
    assert_eq!(
        serde_json::to_value(&mandate).expect("json"),
        json!({"mandateId": mandate.mandate_id.to_string(), "declineThreshold": {"amount": "250.00", "currencyCode": "USD"}, "effectiveUntilTime": "1798761599", "quantity": "3", "description": "Groceries"})
    );
}

#[tokio::test]
async fn pending_credentials_spend_nothing_and_leave_the_instruction_active() {
    let h = harness(IntelligentCommercePrefix::Icc).await;
    let mut instruction = h.updated().await;
    h.answer_once(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"),
        202,
        json!({"clientCorrelationId": "c", "instructionId": INSTRUCTION_ID, "status": "PENDING", "pendingEvents": ["PENDING_CARDHOLDER_AUTHENTICATION"]}),
    )
    .await;
    let pending = h
        .icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .expect("pending");
    assert_eq!(pending.status, Some(CredentialsStatus::Pending));
    assert_eq!(
        pending.pending_events(),
        ["PENDING_CARDHOLDER_AUTHENTICATION"]
    );
    assert!(pending.signed_payload().is_none());
    assert_eq!(instruction.state(), InstructionState::Active);
    assert_eq!(instruction.mandates()[0].quantity_used, 0);
    assert_eq!(instruction.status(), Some("PENDING"));
    // Confirming is still refused: no credentials were released.
    let e = h
        .icc
        .confirm_transaction_events(&mut instruction, confirmation())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Workflow(w) if w.state == "Active"),
        "{e}"
    );

    // A "PENDING" answer that carries credentials anyway counts as spent:
    // a contradictory answer cannot get past the quantity.
    h.answer_once(
        "POST",
        &format!("/icc/v1/instructions/{INSTRUCTION_ID}/credentials"),
        202,
        json!({"status": "PENDING", "authorization": "t", "signedPayload": "a.b.c"}),
    )
    .await;
    h.icc
        .retrieve_payment_credentials(&mut instruction, credentials())
        .await
        .expect("answered");
    assert_eq!(instruction.mandates()[0].quantity_used, 10);
    assert_eq!(instruction.state(), InstructionState::CredentialsRetrieved);
}
