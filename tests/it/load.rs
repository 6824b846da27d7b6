//! 1,000 concurrent mixed workflow calls through `payclient` against the
//! sandbox, on loopback, bounded in time: no call fails, and no
//! Intelligent Commerce instruction is lost, duplicated or left in another
//! state than its own calls put it in.

use std::collections::HashSet;
use std::time::Duration;

use payclient::CheckoutClient;
use payclient::flex::{CaptureField, CaptureSelection, FlexClient};
use payclient::intelligent_commerce::{InstructionState, IntelligentCommerceClient};
use payclient::passkey::{PasskeyClient, PasskeyStep};
use payclient_demo::{AgentCard, Targets, session_request};
use payclient_sandbox::{InstructionStatus, Sandbox, passkey as tokens};

const CALLS: usize = 1000;

#[derive(Debug)]
enum Done {
    Flex,
    Passkey,
    Instruction(Box<payclient::intelligent_commerce::Instruction>),
    Session(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_mixed_calls_lose_and_duplicate_nothing() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let targets = Targets::sandbox(&sandbox).expect("targets");
    let flex = FlexClient::with_options(targets.cybersource.clone(), targets.flex_options.clone());
    let passkey = PasskeyClient::new(targets.cybersource_signature.clone());
    let icc = IntelligentCommerceClient::new(targets.cybersource.clone());
    let checkout: CheckoutClient = targets.checkout.clone();
    let request = payclient_demo::passkey_request("secure-token").expect("request");

    let mut tasks = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let (flex, passkey, icc, checkout, request) = (
            flex.clone(),
            passkey.clone(),
            icc.clone(),
            checkout.clone(),
            request.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let done = match i % 4 {
                0 => {
                    let selection = CaptureSelection::new().require(CaptureField::CardNumber);
                    flex.create_capture_context(&selection)
                        .await
                        .map(|_| Done::Flex)
                }
                1 => passkey
                    .authentication_options(tokens::REGISTERED_DEVICE_TOKEN_ID, None, &request)
                    .await
                    .map(|s| {
                        assert!(matches!(s.step(), PasskeyStep::Authenticate(_)));
                        Done::Passkey
                    }),
                2 => {
                    // An agent's purchase: initiate, then one purchase under the mandate.
                    let card = AgentCard::from_env_or_new();
                    let (intent, mandate) = card.intent("50.00", 1).expect("intent");
                    match icc.initiate_purchase_intent(intent).await {
                        Ok(mut instruction) => icc
                            .retrieve_payment_credentials(
                                &mut instruction,
                                card.credentials(&mandate, "12.34", 1).expect("credentials"),
                            )
                            .await
                            .map(|_| Done::Instruction(Box::new(instruction))),
                        Err(e) => Err(e),
                    }
                }
                _ => checkout
                    .create_payment_session(session_request(1000 + i as u64).expect("request"))
                    .await
                    .map(|s| Done::Session(s.value.id.clone())),
            };
            (i, done)
        }));
    }
    let results = tokio::time::timeout(Duration::from_secs(180), futures::future::join_all(tasks))
        .await
        .expect("1,000 calls finish within 3 minutes");

    let mut instructions = Vec::new();
    let mut sessions = HashSet::new();
    let (mut flex_done, mut passkey_done) = (0, 0);
    for joined in results {
        let (i, done) = joined.expect("task did not panic");
        match done.unwrap_or_else(|e| panic!("call {i} failed: {e}")) {
            Done::Flex => flex_done += 1,
            Done::Passkey => passkey_done += 1,
            Done::Instruction(instruction) => instructions.push(instruction),
            Done::Session(id) => assert!(sessions.insert(id), "duplicate session id"),
        }
    }
    assert_eq!(
        (flex_done, passkey_done, instructions.len(), sessions.len()),
        (250, 250, 250, 250)
    );

    // Every instruction the clients hold is held once by the sandbox, in
    // the same state, with exactly the one purchase made under it.
    let held = sandbox.instructions();
    assert_eq!(held.len(), 250, "no instruction lost or duplicated");
    let client_ids: HashSet<&str> = instructions.iter().map(|i| i.id()).collect();
    assert_eq!(client_ids.len(), 250);
    for record in &held {
        assert!(
            client_ids.contains(record.id.as_str()),
            "unknown instruction {}",
            record.id
        );
        assert_eq!(record.status, InstructionStatus::CredentialsRetrieved);
        assert_eq!(record.transactions.len(), 1);
        assert_eq!(record.mandates[0].used, 1);
    }
    for instruction in &instructions {
        assert_eq!(instruction.state(), InstructionState::CredentialsRetrieved);
        assert_eq!(instruction.mandates()[0].quantity_used, 1);
    }
    assert_eq!(sandbox.payment_sessions(), 250);
    assert!(sandbox.auth_failures().is_empty());
    // One OAuth token for 250 concurrent Checkout calls (single flight).
    assert_eq!(sandbox.oauth_tokens_issued(), 1);
    sandbox.shutdown().await;
}
