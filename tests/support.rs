//! Helpers shared by the workspace-level tests.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Each product's name and spec document, loaded as codegen loads it.
pub fn spec_documents() -> Vec<(&'static str, serde_json::Value)> {
    let root = root();
    payclient_codegen::PRODUCTS
        .iter()
        .map(|product| {
            let spec = payclient_codegen::load::load(
                &root.join(product.spec_path()),
                &product.spec_path(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            (product.name, spec.document)
        })
        .collect()
}

/// The path of a spec's first server (Intelligent Commerce's `/icc/v1`),
/// without a trailing `/`; empty when it has none.
pub fn server_path(document: &serde_json::Value) -> String {
    document
        .pointer("/servers/0/url")
        .and_then(serde_json::Value::as_str)
        .and_then(|url| url.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| {
            rest.find('/')
                .map(|at| rest[at..].trim_end_matches('/').to_owned())
        })
        .unwrap_or_default()
}

/// Whether `actual` (an example after a trip through its generated type)
/// equals `expected` (the example as written), allowing only that a member
/// whose value was an explicit `null` is gone. Returns where they differ.
pub fn same_json_modulo_dropped_nulls(
    expected: &serde_json::Value,
    actual: &serde_json::Value,
    at: &str,
) -> Result<(), String> {
    use serde_json::Value;
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(other) => {
                        same_json_modulo_dropped_nulls(value, other, &format!("{at}.{key}"))?
                    }
                    None if value.is_null() => {}
                    None => return Err(format!("{at}.{key} was dropped")),
                }
            }
            match a.keys().find(|k| !e.contains_key(*k)) {
                Some(extra) => Err(format!("{at}.{extra} was added")),
                None => Ok(()),
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().try_for_each(|(i, (x, y))| {
                same_json_modulo_dropped_nulls(x, y, &format!("{at}[{i}]"))
            })
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{at}: {e} became {a}")),
    }
}

#[cfg(test)]
mod tests {
    use super::same_json_modulo_dropped_nulls as same;
    use serde_json::json;

    #[test]
    fn only_dropped_nulls_are_forgiven() {
        assert!(same(&json!({"a": 1, "q": null}), &json!({"a": 1}), "$").is_ok());
        assert_eq!(
            same(&json!({"a": 1}), &json!({}), "$"),
            Err("$.a was dropped".into())
        );
        assert_eq!(
            same(&json!({}), &json!({"a": null}), "$"),
            Err("$.a was added".into())
        );
        assert_eq!(
            same(&json!([1, 2]), &json!([1]), "$"),
            Err("$: [1,2] became [1]".into())
        );
        assert_eq!(
            same(&json!({"a": "1"}), &json!({"a": 1}), "$"),
            Err("$.a: \"1\" became 1".into())
        );
    }
}
