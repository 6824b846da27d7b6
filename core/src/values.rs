//! Values that must never reach a log: [`Sensitive`] data the spec marks,
//! and [`UnknownMember`]s a vendor adds to its answers later.

use std::fmt;

/// A value that must never be logged: card data, session secrets, OTPs.
/// Serializes as the bare value; `Debug` prints `Sensitive(<redacted>)`.
/// Generated types use it for schemas marked `x-payclient-sensitive: true`.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value, for the one place that must send or compare it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// A response member the spec does not name, kept as the vendor sent it.
///
/// Generated response types collect such members in their `extra` map.
/// `Debug` shows only that a value is there: a vendor may add a member that
/// carries card data or a secret tomorrow, and the map's keys (the member
/// names) are enough to notice it in a log.
#[derive(Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UnknownMember(serde_json::Value);

impl UnknownMember {
    /// Wraps a value.
    pub fn new(value: serde_json::Value) -> Self {
        Self(value)
    }

    /// The value as the vendor sent it (do not log it).
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

impl fmt::Debug for UnknownMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<unknown member>")
    }
}

impl From<serde_json::Value> for UnknownMember {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl PartialEq<serde_json::Value> for UnknownMember {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_serialize_bare_and_never_debug() {
        let secret = Sensitive::from("pss_9823241e");
        assert_eq!(format!("{secret:?}"), "Sensitive(<redacted>)");
        assert_eq!(
            serde_json::to_string(&secret).expect("json"),
            "\"pss_9823241e\""
        );
        let back: Sensitive<String> = serde_json::from_str("\"x\"").expect("json");
        assert_eq!(back.expose(), "x");
    }

    #[test]
    fn unknown_members_keep_their_value_but_never_print_it() {
        let member: UnknownMember =
            serde_json::from_str(r#"{"pan":"4111111111111111"}"#).expect("json");
        assert_eq!(format!("{member:?}"), "<unknown member>");
        assert_eq!(member, serde_json::json!({"pan": "4111111111111111"}));
        assert_eq!(
            serde_json::to_string(&member).expect("json"),
            r#"{"pan":"4111111111111111"}"#
        );
    }
}
