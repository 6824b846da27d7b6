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
use payclient::Sensitive;
use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
use payclient::intelligent_commerce::raw::types;
use payclient::intelligent_commerce::{
    Amount, CredentialsRequest, IntelligentCommerceClient, MandateTerms, PurchaseIntent,
    TransactionConfirmation, epoch_seconds,
};
use payclient_sandbox::Sandbox;
use secrecy::SecretString;

fn device() -> types::DeviceInformation {
    types::DeviceInformation {
        application_name: "Shopping Agent".to_owned(),
        fingerprint_session_id: uuid::Uuid::new_v4().to_string(),
        ip_address: "192.0.2.10".to_owned(),
        device_data: types::DeviceInformationDeviceData {
            type_: "Mobile".to_owned(),
            brand: "Apple".to_owned(),
            manufacturer: Some("Apple".to_owned()),
            model: None,
        },
        client_device_id: None,
        country: Some("US".to_owned()),
        user_agent: None,
    }
}

fn token(value: &str) -> types::TokenReference {
    types::TokenReference {
        id: Sensitive::from(value),
    }
}

fn purchase(
    mandate_id: &str,
    amount: &str,
    items: u32,
) -> Result<types::CredentialsTransactionData, payclient::ValidationError> {
    payclient::request_from_json(serde_json::json!({
        "clientReferenceInformation": {"code": format!("order-{}", uuid::Uuid::new_v4())},
        "agreementInformation": [{"id": mandate_id}],
        "transactionType": "PURCHASE",
        "orderInformation": {"amountDetail": {"totalAmount": amount, "currency": "USD"}},
        "merchantInformation": {"merchantName": "Balloon Shop", "merchantDescriptor": {"country": "US", "url": "https://balloons.example"}},
        "products": [{"productName": "Balloons", "quantity": items.to_string()}]
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
    let card = env(
        "ICC_TOKENIZED_CARD_NUMBER",
        "15602cf86c70b8b63297134292ec5801",
    );

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
    .to_mandate();
    let mandate_id = mandate.mandate_id.clone();

    let intent = PurchaseIntent {
        client_correlation_id: None,
        payment_information: types::PaymentInformation {
            customer: token(""),
            payment_instrument: token(""),
            instrument_identifier: token(&instrument),
        },
        device_information: device(),
        tokenized_card: types::TokenizedCardNumber {
            number: Sensitive::from(card.as_str()),
        },
        assurance_data: vec![types::AssuranceData {
            verification_type: Some("DEVICE".to_owned()),
            verification_entity: Some("10".to_owned()),
            verification_events: Some(vec!["01".to_owned()]),
            verification_method: "02".to_owned(),
            verification_results: "01".to_owned(),
            verification_timestamp: epoch_seconds(Utc::now()),
            authentication_context: None,
            authenticated_identities: None,
            additional_data: None,
        }],
        mandates: vec![mandate],
        recurring_payment_information: None,
        buyer_information: None,
        consumer_prompt: Some("Buy balloons for Saturday, under 50 dollars".to_owned()),
    };
    let mut instruction = icc.initiate_purchase_intent(intent).await?;
    println!("initiate_purchase_intent: instruction {}", instruction.id());
    // A real agent stores `instruction` (serde) here and resumes later.

    let within = CredentialsRequest {
        client_correlation_id: None,
        payment_information: types::InstrumentPaymentInformation {
            instrument_identifier: token(&instrument),
        },
        tokenized_card: types::TokenizedCardNumber {
            number: Sensitive::from(card.as_str()),
        },
        transaction_data: vec![purchase(&mandate_id, "19.99", 1)?],
    };
    let above = CredentialsRequest {
        transaction_data: vec![purchase(&mandate_id, "75.00", 1)?],
        ..within.clone()
    };

    let credentials = icc
        .retrieve_payment_credentials(&mut instruction, within)
        .await?;
    println!(
        "retrieve_payment_credentials 19.99 USD: {:?} (transaction {})",
        credentials.status,
        credentials.transaction_id.as_deref().unwrap_or("-")
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

    let confirmation = TransactionConfirmation {
        client_correlation_id: None,
        transaction_data: vec![serde_json::from_value(serde_json::json!({
            "clientReferenceInformation": {"code": "order-confirmed"},
            "type": "PURCHASE",
            "orderInformation": {"amountDetail": {"totalAmount": "19.99", "currency": "USD"}},
            "merchantInformation": {"merchantName": "Balloon Shop", "merchantDescriptor": {"country": "US", "url": "https://balloons.example"}}
        }))?],
    };
    let confirmed = icc
        .confirm_transaction_events(&mut instruction, confirmation)
        .await?;
    println!(
        "confirm_transaction_events: {:?}, instruction now {:?}",
        confirmed.status,
        instruction.state()
    );
    Ok(())
}
