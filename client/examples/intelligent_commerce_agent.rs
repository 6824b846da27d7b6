//! An AI agent buys for a customer under a mandate: 50.00 USD at most per
//! purchase, two items, for a week. It records the purchase intent, buys
//! within the mandate, and is refused (before anything is sent) when it
//! tries to spend above it.
//!
//! `cargo run -p payclient --example intelligent_commerce_agent` runs
//! against the local sandbox (`payclient-sandbox`), started in-process.
//! Against the vendor's test host instead: set the `CYBERSOURCE_*`
//! variables (JWT authentication with `CYBERSOURCE_MLE_CERTIFICATE_PATH`,
//! since the vendor requires message-level encryption here) and optionally
//! `ICC_INSTRUMENT_IDENTIFIER_ID` and `ICC_TOKENIZED_CARD_NUMBER` (TMS
//! tokens of an enrolled card).

use chrono::{Duration, Utc};
use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
use payclient::intelligent_commerce::{
    Amount, IntelligentCommerceClient, MandateTerms, epoch_seconds, new_correlation_id, types,
};
use payclient::request_from_json;
use payclient_sandbox::Sandbox;
use secrecy::SecretString;
use serde_json::{Value, json};

fn device() -> Value {
    json!({"applicationName": "Shopping Agent", "fingerprintSessionId": uuid::Uuid::new_v4().to_string(),
        "ipAddress": "192.0.2.10", "country": "US",
        "deviceData": {"type": "Mobile", "brand": "Apple", "manufacturer": "Apple"}})
}

fn purchase(mandate_id: &str, amount: &str, items: u32) -> Value {
    json!({
        "clientReferenceInformation": {"code": format!("order-{}", uuid::Uuid::new_v4())},
        "mandateReferenceData": [{"mandateId": mandate_id}],
        "type": "PURCHASE",
        "orderInformation": {
            "amountDetail": {"totalAmount": amount, "currency": "USD"},
            "lineItems": [{"items": {"productName": "Balloons", "quantity": items.to_string()}}]
        },
        "merchantInformation": {"merchantName": "Balloon Shop", "merchantDescriptor": {"country": "US", "url": "https://balloons.example"}}
    })
}

/// A credentials request for one purchase; building it checks the spec.
fn credentials(
    instrument: &str,
    purchase: Value,
) -> Result<types::RetrievePaymentCredentialsRequest, payclient::ValidationError> {
    request_from_json(json!({
        "clientCorrelationId": new_correlation_id(),
        "paymentInformation": {"instrumentIdentifier": {"id": instrument}},
        "transactionData": [purchase]
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of main.
    let mut _sandbox = None;
    let config = if std::env::var_os("CYBERSOURCE_MERCHANT_ID").is_some() {
        CybersourceConfig::from_env()?
    } else {
        let local = Sandbox::start().await?;
        println!("using the local sandbox at {}", local.base_url());
        let c = local.config();
        let config = CybersourceConfig::builder()
            .merchant_id(&c.merchant_id)
            .key_id(&c.key_id)
            .shared_secret(SecretString::from(c.shared_secret.clone()))
            .environment(Environment::Custom {
                base_url: local.base_url().to_owned(),
                signing_host: c.signing_host.clone(),
            })
            .mle_certificate(local.mle_certificate_pem().as_bytes().to_vec())
            .build()?;
        _sandbox = Some(local);
        config
    };
    let icc = IntelligentCommerceClient::new(CybersourceClient::new(config));
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let instrument = env("ICC_INSTRUMENT_IDENTIFIER_ID", "7019989999909760770");

    // What the customer authorised.
    let mandate = MandateTerms {
        mandate_id: None,
        decline_threshold: Amount::parse("50.00").ok_or("amount")?,
        currency: "USD".to_owned(),
        effective_until: Utc::now() + Duration::days(7),
        quantity: Some(2),
        description: "Party supplies, at most 50 USD a purchase".to_owned(),
        preferred_merchant_name: None,
    }
    .to_mandate()?;
    let mandate_id = mandate.mandate_id.to_string();

    let intent: types::InitiatePurchaseIntentRequest = request_from_json(json!({
        "clientCorrelationId": new_correlation_id(),
        "paymentInformation": {"instrumentIdentifier": {"id": instrument}},
        "deviceInformation": device(),
        "assuranceData": [{"verificationType": "DEVICE", "verificationEntity": "10", "verificationEvents": ["01"],
            "verificationMethod": "02", "verificationResults": "01", "verificationTimestamp": epoch_seconds(Utc::now())}],
        "mandates": [mandate],
        "consumerPrompt": "Buy balloons for Saturday, under 50 dollars"
    }))?;
    let mut instruction = icc.initiate_purchase_intent(intent).await?;
    println!("initiate_purchase_intent: instruction {}", instruction.id());
    // A real agent stores `instruction` (serde) here and resumes later.

    let within = credentials(&instrument, purchase(&mandate_id, "19.99", 1))?;
    let above = credentials(&instrument, purchase(&mandate_id, "75.00", 1))?;

    let credentials = icc
        .retrieve_payment_credentials(&mut instruction, within)
        .await?;
    // Verify `signedPayload` with the vendor's key (SignedPayload::verify)
    // before handing the credentials to the payment processor.
    let signed = credentials.signed_payload().transpose()?;
    println!(
        "retrieve_payment_credentials 19.99 USD: {:?}, signedPayload {}",
        credentials.status,
        signed.as_ref().map_or("absent", |p| p.alg())
    );

    match icc
        .retrieve_payment_credentials(&mut instruction, above)
        .await
    {
        Err(payclient::Error::Mandate(refused)) => {
            println!("retrieve_payment_credentials 75.00 USD: refused, nothing sent: {refused}")
        }
        other => {
            return Err(format!("the mandate should have refused 75.00 USD: {other:?}").into());
        }
    }

    let confirmation: types::ConfirmTransactionEventsRequest = request_from_json(json!({
        "clientCorrelationId": new_correlation_id(),
        "paymentInformation": {"instrumentIdentifier": {"id": instrument}},
        "confirmationData": [{
            "clientReferenceInformation": {"code": "order-confirmed"},
            "orderInformation": {"amountDetail": {"totalAmount": "19.99", "currency": "USD"}},
            "merchantInformation": {"merchantName": "Balloon Shop"},
            "processorInformation": {"transactionType": "PURCHASE", "transactionStatus": "APPROVED",
                "transactionTimestamp": epoch_seconds(Utc::now())}
        }]
    }))?;
    let confirmed = icc
        .confirm_transaction_events(&mut instruction, confirmation)
        .await?;
    println!(
        "confirm_transaction_events: approved {}, instruction now {:?}",
        confirmed.approved,
        instruction.state()
    );
    Ok(())
}
