//! payclient's integration tests, in one binary (one link instead of ten):
//! each module is one area, against wiremock, a hostile raw-socket server or
//! the sandbox on loopback, with real crypto throughout.

mod support;

mod adversarial;
mod checkout_flow;
mod cybersource_transport;
mod flex_flow;
mod flex_proptest;
mod hostile;
mod intelligent_commerce_flow;
mod jose_corpus;
mod passkey_flow;
mod redaction;
mod response_mle;
mod signature_vectors;
