//! Signing one POST with a 300-byte body: digest + HMAC + header formatting.
//! `cargo bench -p payclient --bench signing`

use criterion::{Criterion, criterion_group, criterion_main};
use payclient::cybersource::signature::{SignatureKey, inputs, signature_header};
use std::hint::black_box;

fn sign_post(c: &mut Criterion) {
    let secret: Vec<u8> = (0u8..32).collect();
    let key = SignatureKey::new("08c94330-f618-42a3-b09d-e1e43be5efda", &secret);
    let mut body = String::from(
        r#"{"clientCorrelationId":"3e1b7943-6567-4965-a32b-5aa93d057d35","stepUpOption":{"id":"#,
    );
    while body.len() < 298 {
        body.push('A');
    }
    body.push_str("\"}");
    assert_eq!(body.len(), 300);
    c.bench_function("http_signature/post_300_byte_body", |b| {
        b.iter(|| {
            let signed = inputs(
                black_box("apitest.cybersource.com"),
                black_box("Sun, 22 Nov 2026 10:00:00 GMT"),
                black_box("POST"),
                black_box("/tms/v2/tokenized-cards/7010000000016241111/authentication-options/one-time-passwords"),
                black_box(body.as_bytes()),
                black_box("test_merchant"),
            );
            let header = signature_header(&key, &signed);
            black_box((signed.digest, header))
        })
    });
}

/// The floor: SHA-256 of the body and HMAC-SHA256 of a signing string of
/// the same length, with nothing else.
fn floor(c: &mut Criterion) {
    use aws_lc_rs::{digest, hmac};
    let key = hmac::Key::new(hmac::HMAC_SHA256, &[7u8; 32]);
    let body = vec![b'A'; 300];
    let signing_string = vec![b'B'; 260];
    c.bench_function("floor/sha256_300_plus_hmac_260", |b| {
        b.iter(|| {
            let d = digest::digest(&digest::SHA256, black_box(&body));
            let t = hmac::sign(&key, black_box(&signing_string));
            black_box((d, t))
        })
    });
}

criterion_group!(benches, sign_post, floor);
criterion_main!(benches);
