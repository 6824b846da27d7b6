//! Every example in every spec deserializes into its generated type and
//! serializes back to an equal JSON value (an explicit `null` the type omits
//! may be dropped, nothing else). An example whose type is not registered
//! below fails the test, so none can be skipped silently.

use std::collections::BTreeMap;

use crate::support::{root, same_json_modulo_dropped_nulls};
use payclient_codegen::examples::collect;
use serde_json::Value;

type RoundTrip = fn(Value) -> Result<Value, String>;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    value: Value,
) -> Result<Value, String> {
    let typed: T =
        serde_json::from_value(value).map_err(|e| format!("does not deserialize: {e}"))?;
    serde_json::to_value(&typed).map_err(|e| format!("does not serialize: {e}"))
}

macro_rules! registry {
    ($( $spec:literal => $krate:ident { $($ty:ident),* $(,)? } )*) => {{
        let mut map: BTreeMap<(&'static str, &'static str), RoundTrip> = BTreeMap::new();
        $( $( map.insert(($spec, stringify!($ty)), round_trip::<$krate::types::$ty> as RoundTrip); )* )*
        map
    }};
}

fn registry() -> BTreeMap<(&'static str, &'static str), RoundTrip> {
    registry! {
        "cybersource-flex" => payclient_raw_cybersource_flex {
            AuthenticationFailure, CaptureContextClaims, CaptureContextRequest, CompactJws,
            CybersourceError, GetPaymentDetailsJti, GetPublicKeyKid, PaymentDetails, PublicKeyJwk,
            TransientTokenClaims,
        }
        "cybersource-passkey" => payclient_raw_cybersource_passkey {
            AuthenticationFailure, AuthenticationOptionsRequest, AuthenticationOptionsResponse,
            AuthenticationRegistrationRequest, AuthenticationRegistrationResponse,
            CreateAuthenticationOptionsTokenId, CreateAuthenticationRegistrationTokenId,
            CreateOneTimePasswordTokenId, CreatePaymentCredentialsTokenId,
            CreatePaymentCredentialsV3TokenId, OneTimePasswordRequest,
            OneTimePasswordResponse, PaymentCredentialsRequest, PaymentCredentialsResponse, TmsError,
            ValidateAuthenticationRequest, ValidateAuthenticationResponse, ValidateAuthenticationTokenId,
        }
        "cybersource-intelligent-commerce" => payclient_raw_cybersource_intelligent_commerce {
            AgenticError, CancelPurchaseIntentInstructionId, CancelPurchaseIntentRequest,
            ConfirmTransactionEventsInstructionId, ConfirmTransactionEventsRequest,
            ConfirmationResponse, CredentialsResponse, CybersourceError, EnrollCardRequest,
            EnrollCardResponse, InitiatePurchaseIntentRequest, InstructionResponse,
            RetrievePaymentCredentialsInstructionId, RetrievePaymentCredentialsRequest,
            UpdatePurchaseIntentInstructionId, UpdatePurchaseIntentRequest,
        }
        "checkout-flow" => payclient_raw_checkout_flow {
            CheckoutError, CompletePaymentSessionRequest, CreatePaymentSessionRequest, GetPaymentSessionId, PaymentActionRequired,
            PaymentProcessed, PaymentSession, SubmitPaymentSessionId, SubmitPaymentSessionRequest,
        }
    }
}

fn pascal(text: &str) -> String {
    text.split(['_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The generated type an example belongs to, from where the example sits.
fn type_of(document: &Value, at: &str, schema: &Value) -> String {
    if let Some(name) = at
        .strip_prefix("$.components.schemas.")
        .and_then(|rest| rest.strip_suffix(".example"))
    {
        return name.to_owned();
    }
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return name.to_owned();
    }
    if at.contains(".parameters[") {
        // typify names a parameter's type after its operation and name.
        let path_end = at.find(".parameters[").unwrap_or(at.len());
        let index: usize = at[path_end + ".parameters[".len()..]
            .split(']')
            .next()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        let (path, method) = split_operation(&at[..path_end]);
        let operation = &document["paths"][path.as_str()][method.as_str()];
        let id = operation["operationId"].as_str().unwrap_or_default();
        let name = operation["parameters"][index]["name"]
            .as_str()
            .unwrap_or_default();
        return pascal(id) + &pascal(name);
    }
    "String".to_owned()
}

/// `$.paths["/a/{b}"].post` → ("/a/{b}", "post").
fn split_operation(at: &str) -> (String, String) {
    let inner = at.trim_start_matches("$.paths[");
    let close = inner.find("\"]").unwrap_or(0);
    let path: String = serde_json::from_str(&inner[..=close]).unwrap_or_default();
    let method = inner[close + 2..].trim_start_matches('.').to_owned();
    (path, method)
}

#[test]
fn every_spec_example_round_trips_through_its_generated_type() {
    let registry = registry();
    let root = root();
    let mut failures = Vec::new();
    let mut checked = 0;
    for product in payclient_codegen::PRODUCTS {
        let spec =
            payclient_codegen::load::load(&root.join(product.spec_path()), &product.spec_path())
                .unwrap_or_else(|e| panic!("{e}"));
        for example in collect(&spec.document) {
            let at = example.at.to_string();
            let type_name = type_of(&spec.document, &at, &example.schema);
            let result = if type_name == "String" {
                round_trip::<String>(example.value.clone())
            } else {
                match registry.get(&(product.name, type_name.as_str())) {
                    Some(trip) => trip(example.value.clone()),
                    None => Err(format!(
                        "type {type_name} is not in this test's registry; add it"
                    )),
                }
            };
            checked += 1;
            match result.and_then(|back| same_json_modulo_dropped_nulls(&example.value, &back, "$"))
            {
                Ok(()) => {}
                Err(why) => failures.push(format!(
                    "{} {at} ({type_name}): {why}",
                    product.spec_path().display()
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 60,
        "expected every seed example, found only {checked}"
    );
}

#[test]
fn a_response_with_unknown_members_and_enum_values_still_decodes() {
    // The vendor adds fields and enum values; responses must not break.
    let body = serde_json::json!({"action": "PASSKEY_V2", "authenticationContext": {"id": "x", "newField": 1}, "added": true});
    let back =
        round_trip::<payclient_raw_cybersource_passkey::types::AuthenticationOptionsResponse>(
            body.clone(),
        )
        .expect("lenient response");
    assert_eq!(back, body, "unknown members are kept");
}

#[test]
fn requests_stay_strict() {
    // A pattern from the spec is enforced on the request side.
    let bad = serde_json::json!({"amount": 1, "currency": "GBP", "billing": {"address": {}}, "success_url": "https://a",
        "failure_url": "https://b", "processing_channel_id": "pc_short"});
    let err = round_trip::<payclient_raw_checkout_flow::types::CreatePaymentSessionRequest>(bad)
        .unwrap_err();
    assert!(
        err.contains("doesn't match pattern") || err.contains("pattern"),
        "{err}"
    );
}
