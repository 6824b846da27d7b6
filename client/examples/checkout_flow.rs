//! Creates a Flow payment session, submits a payment for it and handles both
//! outcomes (processed, or action required such as 3DS).
//!
//! `cargo run -p payclient --example checkout_flow` runs against the local
//! sandbox (`payclient-sandbox`), started in-process. Against Checkout.com's
//! sandbox instead: set `CHECKOUT_SECRET_KEY` (or `CHECKOUT_CLIENT_ID` +
//! `CHECKOUT_CLIENT_SECRET`), `CHECKOUT_PREFIX` and `CHECKOUT_SESSION_DATA`
//! (what Flow's `handleSubmit` received in the browser).

use payclient::checkout::raw::types;
use payclient::checkout::{
    CheckoutClient, CheckoutConfig, CheckoutCredentials, CheckoutEnvironment, SubmitOutcome,
};
use payclient_sandbox::Sandbox;
use secrecy::SecretString;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let vendor = std::env::var_os("CHECKOUT_SECRET_KEY").is_some()
        || std::env::var_os("CHECKOUT_CLIENT_ID").is_some();
    // Kept alive until the end of main.
    let mut sandbox = None;
    let config = if vendor {
        CheckoutConfig::from_env()?
    } else {
        let local = Sandbox::start().await?;
        println!("using the local sandbox at {}", local.base_url());
        let config = CheckoutConfig::builder()
            .environment(CheckoutEnvironment::Custom {
                base_url: local.base_url().to_owned(),
                token_url: None,
            })
            .credentials(CheckoutCredentials::SecretKey(SecretString::from(
                local.config().checkout_secret_key.clone(),
            )))
            .build()?;
        sandbox = Some(local);
        config
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

    let session_data = match (std::env::var("CHECKOUT_SESSION_DATA"), &sandbox) {
        (Ok(data), _) => data,
        // The local sandbox takes any session data.
        (Err(_), Some(_)) => "session-data-from-flow".to_owned(),
        (Err(_), None) => {
            println!("set CHECKOUT_SESSION_DATA to submit a payment for this session");
            return Ok(());
        }
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
        // An answer this version does not know: return its bytes to Flow.
        other => println!(
            "payment {}: return the body to Flow unchanged",
            other.status()
        ),
    }
    Ok(())
}
