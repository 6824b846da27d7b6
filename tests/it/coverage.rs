//! Every operation the product documents describe (17 in all) is in the
//! specs with the documented method and path, and in the generated tables;
//! the specs' operations beyond them come from the vendors' definitions
//! (listed below with their source).

use std::collections::BTreeSet;

/// (spec, method, path), transcribed from the documents in the shared seeds,
/// and the vendors' operations the specs add.
const DOCUMENTED: &[(&str, &str, &str)] = &[
    // 000/001/002: Flex API v2 (the document's one `GET /flex/v2/sessions` is a known defect).
    ("cybersource-flex", "POST", "/flex/v2/sessions"),
    ("cybersource-flex", "GET", "/flex/v2/public-keys/{kid}"),
    ("cybersource-flex", "POST", "/flex/v2/tokens"),
    // Not in the Flex documents: the vendor's transient-token data
    // (npm cybersource-rest-client 0.0.83 getTransactionForTransientTokenJTI).
    ("cybersource-flex", "GET", "/flex/v2/payment-details/{jti}"),
    // 003: Passkey Service.
    (
        "cybersource-passkey",
        "POST",
        "/tms/v2/tokenized-cards/{tokenId}/authentication-options",
    ),
    (
        "cybersource-passkey",
        "POST",
        "/tms/v2/tokenized-cards/{tokenId}/authentication-options/one-time-passwords",
    ),
    (
        "cybersource-passkey",
        "POST",
        "/tms/v2/tokenized-cards/{tokenId}/authentication-options/validate",
    ),
    (
        "cybersource-passkey",
        "POST",
        "/tms/v2/tokenized-cards/{tokenId}/authentication-registrations",
    ),
    (
        "cybersource-passkey",
        "POST",
        "/tms/v2/tokens/{tokenId}/payment-credentials",
    ),
    // Not in the Passkey document: the vendor's current version of the same
    // operation (npm cybersource-rest-client 0.0.83 postTokenPaymentCredentialsV3).
    (
        "cybersource-passkey",
        "POST",
        "/tms/v3/tokens/{tokenId}/payment-credentials",
    ),
    // 003: Intelligent Commerce.
    ("cybersource-intelligent-commerce", "POST", "/icc/v1/tokens"),
    (
        "cybersource-intelligent-commerce",
        "POST",
        "/icc/v1/instructions",
    ),
    (
        "cybersource-intelligent-commerce",
        "PUT",
        "/icc/v1/instructions/{instructionId}",
    ),
    (
        "cybersource-intelligent-commerce",
        "PUT",
        "/icc/v1/instructions/{instructionId}/cancel",
    ),
    (
        "cybersource-intelligent-commerce",
        "POST",
        "/icc/v1/instructions/{instructionId}/credentials",
    ),
    (
        "cybersource-intelligent-commerce",
        "POST",
        "/icc/v1/instructions/{instructionId}/confirmations",
    ),
    // 004: Checkout.com Flow.
    ("checkout-flow", "POST", "/payment-sessions"),
    ("checkout-flow", "POST", "/payment-sessions/{id}/submit"),
    ("checkout-flow", "GET", "/payment-sessions/{id}"),
    // Not in the Flow document: the vendor's create-and-pay call
    // (checkout-sdk 4.8.1 create_payment_session_with_payment).
    ("checkout-flow", "POST", "/payment-sessions/complete"),
];

/// Every operation of the specs: (spec, method, path), the path led by the
/// first server's own path when `with_server_path` (Intelligent Commerce's
/// `/icc/v1` prefix lives there).
fn spec_operations(with_server_path: bool) -> BTreeSet<(String, String, String)> {
    let mut found = BTreeSet::new();
    for (name, document) in crate::support::spec_documents() {
        let server_path = if with_server_path {
            crate::support::server_path(&document)
        } else {
            String::new()
        };
        for row in payclient_codegen::render::operation_rows(&document) {
            found.insert((
                name.to_owned(),
                row.method,
                format!("{server_path}{}", row.path),
            ));
        }
    }
    found
}

#[test]
fn every_documented_operation_is_in_the_specs() {
    // The documents' 17, and the vendor's v3 payment credentials, payment
    // details and complete.
    assert_eq!(DOCUMENTED.len(), 20);
    let documented: BTreeSet<(String, String, String)> = DOCUMENTED
        .iter()
        .map(|(s, m, p)| ((*s).to_owned(), (*m).to_owned(), (*p).to_owned()))
        .collect();
    let specs = spec_operations(true);
    let missing: Vec<_> = documented.difference(&specs).collect();
    assert!(
        missing.is_empty(),
        "documented but not in the specs: {missing:?}"
    );
    let extra: Vec<_> = specs.difference(&documented).collect();
    assert!(
        extra.is_empty(),
        "in the specs but not documented: {extra:?}"
    );
}

#[test]
fn every_documented_operation_is_in_the_generated_tables() {
    let tables: [(&str, &[&payclient_core::Operation]); 4] = [
        (
            "cybersource-flex",
            payclient_raw_cybersource_flex::operations::ALL,
        ),
        (
            "cybersource-passkey",
            payclient_raw_cybersource_passkey::operations::ALL,
        ),
        (
            "cybersource-intelligent-commerce",
            payclient_raw_cybersource_intelligent_commerce::operations::ALL,
        ),
        (
            "checkout-flow",
            payclient_raw_checkout_flow::operations::ALL,
        ),
    ];
    let generated: BTreeSet<(String, String, String)> = tables
        .iter()
        .flat_map(|(name, ops)| {
            ops.iter()
                .map(move |op| ((*name).to_owned(), op.method.to_owned(), op.path.to_owned()))
        })
        .collect();
    assert_eq!(generated, spec_operations(false));
}

#[test]
fn intelligent_commerce_is_marked_mle_mandatory() {
    use payclient_core::MessageEncryption;
    for op in payclient_raw_cybersource_intelligent_commerce::operations::ALL {
        assert_eq!(
            op.message_encryption,
            MessageEncryption::Mandatory,
            "{}",
            op.id
        );
    }
    for op in payclient_raw_cybersource_flex::operations::ALL {
        assert_eq!(op.message_encryption, MessageEncryption::Off, "{}", op.id);
    }
}
