//! Creates a Flow payment session, submits a payment for it and handles both
//! outcomes (processed, or action required such as 3DS).
//!
//! Against the vendor's sandbox: set `CHECKOUT_SECRET_KEY` (or
//! `CHECKOUT_CLIENT_ID` + `CHECKOUT_CLIENT_SECRET`), `CHECKOUT_PREFIX` and
//! `CHECKOUT_SESSION_DATA` (what Flow's `handleSubmit` received in the
//! browser), then `cargo run -p payclient --example checkout_flow`. Without
//! them it explains what to set (a local sandbox comes with a later change).

use payclient::checkout::raw::types;
use payclient::checkout::{CheckoutClient, CheckoutConfig, SubmitOutcome};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = match CheckoutConfig::from_env() {
        Ok(config) => config,
        Err(missing) => {
            eprintln!(
                "checkout_flow: {missing}; set CHECKOUT_SECRET_KEY and CHECKOUT_PREFIX to run against the sandbox."
            );
            return Ok(());
        }
    };
    let client = CheckoutClient::new(config)?;

    let request: types::CreatePaymentSessionRequest =
        payclient::request_from_json(serde_json::json!({
            "amount": 1000,
            "currency": "GBP",
            "reference": "ORD-5023-4E89",
            "billing": {"address": {"country": "GB"}},
            "success_url": "https://example.com/payments/success",
            "failure_url": "https://example.com/payments/failure",
            "3ds": {"enabled": true}
        }))?;
    let session = client.create_payment_session(request).await?;
    println!(
        "created {} ({} bytes to hand to Flow)",
        session.value.id,
        session.raw().len()
    );

    let Ok(session_data) = std::env::var("CHECKOUT_SESSION_DATA") else {
        println!("set CHECKOUT_SESSION_DATA to submit a payment for this session");
        return Ok(());
    };
    let submit: types::SubmitPaymentSessionRequest = serde_json::from_value(serde_json::json!({
        "session_data": session_data,
        "amount": 1000
    }))?;
    match client
        .submit_payment_session(&session.value.id, submit)
        .await?
    {
        SubmitOutcome::Processed(reply) => println!(
            "payment {} processed: {}",
            reply.value.id, reply.value.status
        ),
        SubmitOutcome::ActionRequired(reply) => println!(
            "payment {} needs the customer: {} at {}",
            reply.value.id,
            reply.value.action.type_.as_deref().unwrap_or("action"),
            reply.value.action.url.as_deref().unwrap_or("(no url)")
        ),
    }
    Ok(())
}
