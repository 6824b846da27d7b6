//! Field checks shared by the products: building generated request types
//! from JSON with the failing field named, path parameters checked against
//! their generated types, required text that must not be blank. Every
//! refusal names the field and never its value.

use crate::ValidationError;

/// Builds a generated request type from JSON, naming the field path of the
/// first value that breaks the spec (`reference`, `items[2].unit_price`).
pub fn request_from_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ValidationError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let reason = match e.inner().classify() {
            serde_json::error::Category::Data => data_error_reason(&e.inner().to_string()),
            _ => "is not valid JSON".to_owned(),
        };
        ValidationError::new(
            if field == "." {
                "body".to_owned()
            } else {
                field
            },
            reason,
        )
    })
}

/// serde's data errors can quote the offending value (`invalid value: string
/// "4111…"`); keep only the part that states the rule.
fn data_error_reason(message: &str) -> String {
    if message.starts_with("unknown field")
        && let Some(expected) = message.split(", expected ").nth(1)
    {
        return format!("is not a field of this request (expected {expected})");
    }
    if let Some(expected) = message.split(", expected ").nth(1) {
        return format!("expected {expected}");
    }
    if message.contains('"') {
        "does not match the spec".to_owned()
    } else {
        message.to_owned()
    }
}

/// A value for a URL path parameter (or a header), checked against the form
/// the spec gives its generated type (its `pattern`), naming the field. The
/// value itself is never part of the error.
#[cfg(any(
    feature = "cybersource-flex",
    feature = "cybersource-passkey",
    feature = "cybersource-intelligent-commerce",
    feature = "checkout-flow"
))]
pub(crate) fn path_parameter<T>(field: &str, value: &str) -> Result<T, ValidationError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| {
        ValidationError::new(
            field,
            format!("does not have the documented form of this id ({e})"),
        )
    })
}

/// Refuses an empty list the spec requires items in (`minItems: 1`, which
/// the generated types do not enforce), naming the field.
#[cfg(feature = "cybersource-intelligent-commerce")]
pub(crate) fn not_empty_list<T>(field: &str, items: &[T]) -> Result<(), ValidationError> {
    if items.is_empty() {
        return Err(ValidationError::new(field, "must hold at least one item"));
    }
    Ok(())
}

/// Refuses an empty (or blank) required value, naming the field.
#[cfg(feature = "cybersource-passkey")]
pub(crate) fn non_empty(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "is required and must not be empty",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_the_value() {
        assert_eq!(
            data_error_reason("invalid value: string \"4111111111111111\", expected a number"),
            "expected a number"
        );
        assert_eq!(
            data_error_reason("invalid length \"4111\""),
            "does not match the spec"
        );
        assert_eq!(
            data_error_reason("unknown field `pan`, expected one of `a`, `b`"),
            "is not a field of this request (expected one of `a`, `b`)"
        );
    }
}
