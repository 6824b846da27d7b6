//! Checkout.com Flow: building and serializing a create request with every
//! field set, and parsing a full create response.
//! `cargo bench -p payclient --bench checkout`

use criterion::{Criterion, criterion_group, criterion_main};
use payclient::checkout::raw::types;
use std::hint::black_box;

/// The same request the integration tests send.
fn every_field() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../tests/fixtures/flow-create-every-field.json"
    ))
    .expect("fixture is JSON")
}

const CREATE_RESPONSE: &str = r#"{"id":"ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn","status":"Active","amount":1000,"currency":"GBP","reference":"ORD-5023-4E89","description":"Set of 3 masks","expires_on":"2026-11-23T10:00:00Z","customer":{"email":"jia.tsang@example.com","name":"Jia Tsang","id":"cus_1"},"billing":{"address":{"address_line1":"123 High St.","city":"London","zip":"SW1A 1AA","country":"GB"}},"products":[{"name":"Mask","quantity":3,"price":300}],"payment_session_token":"YmFzZTY0:eyJpZCI6InBzXzJVbjZYa0R6dm5ielkiLCJlbnRpdHlfaWQiOiJlbnRfbnRibWJkcnl0In0=","payment_session_secret":"pss_9823241e-2cec-4c98-b23d-7b29ade4d1e2","_links":{"self":{"href":"https://abcd1234.api.sandbox.checkout.com/payment-sessions/ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn"}}}"#;

fn bench(c: &mut Criterion) {
    let value = every_field();
    c.bench_function("checkout/create_request_build_validate_serialize", |b| {
        b.iter(|| {
            let request: types::CreatePaymentSessionRequest =
                payclient::request_from_json(black_box(value.clone())).expect("valid request");
            black_box(serde_json::to_vec(&request).expect("serializes"))
        })
    });
    c.bench_function("checkout/parse_create_response", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<types::PaymentSession>(black_box(
                    CREATE_RESPONSE.as_bytes(),
                ))
                .expect("parses"),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
