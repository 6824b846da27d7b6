//! Checks every example in a spec against its schema.
//!
//! A small validator for the OpenAPI 3.0 schema keywords the specs use. It is
//! stricter than JSON Schema in one way, on purpose: an example may only use
//! properties its schema declares unless the schema allows more with
//! `additionalProperties`, so a misspelt or footnoted key (`line1¹`) in a
//! vendor example cannot slip into a spec.

use serde_json::Value;

use crate::error::JsonPath;

/// One example found in a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Where the example is, e.g. `$.paths["/x"].post.requestBody.content["application/json"].example`.
    pub at: JsonPath,
    /// The schema it must match.
    pub schema: Value,
    /// The example itself.
    pub value: Value,
}

/// Every example of `document`: media-type `example`/`examples`, parameter
/// examples and schema-level examples of components.
pub fn collect(document: &Value) -> Vec<Example> {
    let mut found = Vec::new();
    let root = JsonPath::root();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_at = root.key("paths").key(path);
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let op_at = item_at.key(method);
                if let Some(params) = operation.get("parameters").and_then(Value::as_array) {
                    for (i, param) in params.iter().enumerate() {
                        if let (Some(schema), Some(value)) =
                            (param.get("schema"), param.get("example"))
                        {
                            found.push(Example {
                                at: op_at.key("parameters").index(i).key("example"),
                                schema: schema.clone(),
                                value: value.clone(),
                            });
                        }
                    }
                }
                if let Some(content) = operation.pointer("/requestBody/content") {
                    media_examples(
                        content,
                        &op_at.key("requestBody").key("content"),
                        &mut found,
                    );
                }
                if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
                    for (status, response) in responses {
                        if let Some(content) = response.get("content") {
                            let at = op_at.key("responses").key(status).key("content");
                            media_examples(content, &at, &mut found);
                        }
                    }
                }
            }
        }
    }
    if let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            if let Some(value) = schema.get("example") {
                found.push(Example {
                    at: root
                        .key("components")
                        .key("schemas")
                        .key(name)
                        .key("example"),
                    schema: schema.clone(),
                    value: value.clone(),
                });
            }
        }
    }
    found
}

fn media_examples(content: &Value, at: &JsonPath, found: &mut Vec<Example>) {
    let Some(content) = content.as_object() else {
        return;
    };
    for (media_type, media) in content {
        let media_at = at.key(media_type);
        let schema = media.get("schema").cloned().unwrap_or(Value::Bool(true));
        if let Some(value) = media.get("example") {
            found.push(Example {
                at: media_at.key("example"),
                schema: schema.clone(),
                value: value.clone(),
            });
        }
        if let Some(examples) = media.get("examples").and_then(Value::as_object) {
            for (name, example) in examples {
                if let Some(value) = example.get("value") {
                    found.push(Example {
                        at: media_at.key("examples").key(name).key("value"),
                        schema: schema.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
    }
}

/// Where an example departs from its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Path inside the example (`$` is the example's root).
    pub at: JsonPath,
    /// Why it does not match.
    pub reason: String,
}

/// Validates `value` against `schema`, resolving `$ref`s in `document`.
pub fn check(document: &Value, schema: &Value, value: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    Checker { document }.check(schema, value, &JsonPath::root(), &mut out, 0);
    out
}

struct Checker<'a> {
    document: &'a Value,
}

const MAX_DEPTH: usize = 64;

impl Checker<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> Result<&'s Value, String> {
        let mut current = schema;
        for _ in 0..MAX_DEPTH {
            match current.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let pointer = reference.strip_prefix('#').ok_or_else(|| {
                        format!("only local references are supported, not `{reference}`")
                    })?;
                    current = self
                        .document
                        .pointer(pointer)
                        .ok_or_else(|| format!("`{reference}` does not resolve"))?;
                }
                None => return Ok(current),
            }
        }
        Err("reference chain is too long".to_owned())
    }

    fn check(
        &self,
        schema: &Value,
        value: &Value,
        at: &JsonPath,
        out: &mut Vec<Mismatch>,
        depth: usize,
    ) {
        let mut fail = |reason: String| {
            out.push(Mismatch {
                at: at.clone(),
                reason,
            })
        };
        if depth > MAX_DEPTH {
            fail("schema nests too deeply".to_owned());
            return;
        }
        let schema = match self.resolve(schema) {
            Ok(s) => s,
            Err(reason) => return fail(reason),
        };
        let Some(obj) = schema.as_object() else {
            // `true` / absent schema: anything goes.
            return;
        };
        if value.is_null() {
            if obj.get("nullable").and_then(Value::as_bool) != Some(true) && !obj.is_empty() {
                fail("null is not allowed here (the schema is not `nullable`)".to_owned());
            }
            return;
        }
        if obj.contains_key("allOf") {
            return fail(
                "`allOf` is not supported in payclient specs; write the merged schema".to_owned(),
            );
        }
        if let Some(variants) = obj.get("oneOf").and_then(Value::as_array) {
            let matching = variants
                .iter()
                .filter(|v| {
                    let mut scratch = Vec::new();
                    self.check(v, value, at, &mut scratch, depth + 1);
                    scratch.is_empty()
                })
                .count();
            if matching != 1 {
                fail(format!(
                    "matches {matching} of the `oneOf` variants, must match exactly one"
                ));
            }
            return;
        }
        if let Some(variants) = obj.get("anyOf").and_then(Value::as_array) {
            let any = variants.iter().any(|v| {
                let mut scratch = Vec::new();
                self.check(v, value, at, &mut scratch, depth + 1);
                scratch.is_empty()
            });
            if !any {
                fail("matches none of the `anyOf` variants".to_owned());
            }
            return;
        }
        if let Some(allowed) = obj.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            fail(format!(
                "{} is not one of the enum values {}",
                short(value),
                Value::from(allowed.clone())
            ));
        }
        match obj.get("type").and_then(Value::as_str) {
            Some("string") => self.check_string(obj, value, &mut fail),
            Some("integer") => self.check_number(obj, value, true, &mut fail),
            Some("number") => self.check_number(obj, value, false, &mut fail),
            Some("boolean") => check_boolean(value, &mut fail),
            Some("array") => self.check_array(obj, value, at, out, depth),
            Some("object") => self.check_object(obj, value, at, out, depth),
            Some(other) => fail(format!("unknown schema type `{other}`")),
            None if obj.contains_key("properties") => self.check_object(obj, value, at, out, depth),
            None => {}
        }
    }

    fn check_string(
        &self,
        obj: &serde_json::Map<String, Value>,
        value: &Value,
        fail: &mut impl FnMut(String),
    ) {
        let Some(s) = value.as_str() else {
            return fail(format!("expected a string, found {}", kind(value)));
        };
        let chars = s.chars().count() as u64;
        if let Some(max) = obj.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            fail(format!(
                "string has {chars} characters, more than maxLength {max}"
            ));
        }
        if let Some(min) = obj.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            fail(format!(
                "string has {chars} characters, fewer than minLength {min}"
            ));
        }
        if let Some(pattern) = obj.get("pattern").and_then(Value::as_str) {
            match regress::Regex::new(pattern) {
                Ok(re) if re.find(s).is_none() => fail(format!(
                    "{} does not match pattern `{pattern}`",
                    short(value)
                )),
                Ok(_) => {}
                Err(e) => fail(format!(
                    "pattern `{pattern}` is not a valid ECMAScript regex: {e}"
                )),
            }
        }
        match obj.get("format").and_then(Value::as_str) {
            Some("ipv4") if s.parse::<std::net::Ipv4Addr>().is_err() => {
                fail(format!("{} is not an IPv4 address", short(value)))
            }
            Some("ipv6") if s.parse::<std::net::Ipv6Addr>().is_err() => {
                fail(format!("{} is not an IPv6 address", short(value)))
            }
            Some("ip") if s.parse::<std::net::IpAddr>().is_err() => {
                fail(format!("{} is not an IP address", short(value)))
            }
            Some("date-time") if !is_rfc3339(s) => {
                fail(format!("{} is not an RFC 3339 date-time", short(value)))
            }
            _ => {}
        }
    }

    fn check_number(
        &self,
        obj: &serde_json::Map<String, Value>,
        value: &Value,
        integer: bool,
        fail: &mut impl FnMut(String),
    ) {
        let Some(n) = value.as_f64() else {
            return fail(format!("expected a number, found {}", kind(value)));
        };
        if integer && !(value.is_i64() || value.is_u64()) {
            fail(format!("expected an integer, found {value}"));
        }
        if let Some(min) = obj.get("minimum").and_then(Value::as_f64) {
            let exclusive = obj.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
            if n < min || (exclusive && n == min) {
                fail(format!("{value} is below the minimum {min}"));
            }
        }
        if let Some(max) = obj.get("maximum").and_then(Value::as_f64) {
            let exclusive = obj.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
            if n > max || (exclusive && n == max) {
                fail(format!("{value} is above the maximum {max}"));
            }
        }
    }

    fn check_array(
        &self,
        obj: &serde_json::Map<String, Value>,
        value: &Value,
        at: &JsonPath,
        out: &mut Vec<Mismatch>,
        depth: usize,
    ) {
        let Some(items) = value.as_array() else {
            out.push(Mismatch {
                at: at.clone(),
                reason: format!("expected an array, found {}", kind(value)),
            });
            return;
        };
        let len = items.len() as u64;
        if let Some(max) = obj.get("maxItems").and_then(Value::as_u64)
            && len > max
        {
            out.push(Mismatch {
                at: at.clone(),
                reason: format!("{len} items, more than maxItems {max}"),
            });
        }
        if let Some(min) = obj.get("minItems").and_then(Value::as_u64)
            && len < min
        {
            out.push(Mismatch {
                at: at.clone(),
                reason: format!("{len} items, fewer than minItems {min}"),
            });
        }
        if let Some(item_schema) = obj.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &at.index(i), out, depth + 1);
            }
        }
    }

    fn check_object(
        &self,
        obj: &serde_json::Map<String, Value>,
        value: &Value,
        at: &JsonPath,
        out: &mut Vec<Mismatch>,
        depth: usize,
    ) {
        let Some(fields) = value.as_object() else {
            out.push(Mismatch {
                at: at.clone(),
                reason: format!("expected an object, found {}", kind(value)),
            });
            return;
        };
        let empty = serde_json::Map::new();
        let properties = obj
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if let Some(required) = obj.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    out.push(Mismatch {
                        at: at.clone(),
                        reason: format!("required property `{name}` is missing"),
                    });
                }
            }
        }
        let count = fields.len() as u64;
        if let Some(max) = obj.get("maxProperties").and_then(Value::as_u64)
            && count > max
        {
            out.push(Mismatch {
                at: at.clone(),
                reason: format!("{count} properties, more than maxProperties {max}"),
            });
        }
        for (name, field) in fields {
            let field_at = at.key(name);
            match (properties.get(name), obj.get("additionalProperties")) {
                (Some(schema), _) => self.check(schema, field, &field_at, out, depth + 1),
                (None, Some(Value::Bool(true))) => {}
                (None, Some(extra @ Value::Object(_))) => {
                    self.check(extra, field, &field_at, out, depth + 1)
                }
                (None, _) => out.push(Mismatch {
                    at: field_at,
                    reason: format!("property `{name}` is not declared in the schema"),
                }),
            }
        }
    }
}

fn check_boolean(value: &Value, fail: &mut impl FnMut(String)) {
    if !value.is_boolean() {
        fail(format!("expected a boolean, found {}", kind(value)));
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value quoted for an error message, shortened so a long example never floods it.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            b.len() == i + 6 && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "Address": {"type": "object", "required": ["line1"], "properties": {
                "line1": {"type": "string", "maxLength": 5},
                "zip": {"type": "string", "pattern": "^[0-9]+$"}}},
            "Amount": {"type": "integer", "minimum": 0},
            "Open": {"type": "object", "additionalProperties": {"type": "string"}}
        }}})
    }

    fn reasons(schema: Value, value: Value) -> Vec<String> {
        check(&doc(), &schema, &value)
            .into_iter()
            .map(|m| format!("{} {}", m.at, m.reason))
            .collect()
    }

    #[test]
    fn a_matching_example_passes() {
        assert!(
            reasons(
                json!({"$ref": "#/components/schemas/Address"}),
                json!({"line1": "a", "zip": "1"})
            )
            .is_empty()
        );
    }

    #[test]
    fn undeclared_property_is_named() {
        let r = reasons(
            json!({"$ref": "#/components/schemas/Address"}),
            json!({"line1": "a", "line1¹": "b"}),
        );
        assert_eq!(
            r,
            vec!["$[\"line1¹\"] property `line1¹` is not declared in the schema"]
        );
    }

    #[test]
    fn missing_required_and_constraints_are_reported() {
        let r = reasons(
            json!({"$ref": "#/components/schemas/Address"}),
            json!({"zip": "12a"}),
        );
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[0].contains("required property `line1`"));
        assert!(r[1].starts_with("$.zip") && r[1].contains("pattern"));
        let r = reasons(
            json!({"$ref": "#/components/schemas/Address"}),
            json!({"line1": "toolong"}),
        );
        assert!(r[0].contains("maxLength 5"), "{r:?}");
    }

    #[test]
    fn numbers_types_and_null() {
        assert!(
            reasons(json!({"$ref": "#/components/schemas/Amount"}), json!(-1))[0]
                .contains("minimum")
        );
        assert!(
            reasons(json!({"$ref": "#/components/schemas/Amount"}), json!(1.5))[0]
                .contains("integer")
        );
        assert!(reasons(json!({"type": "string"}), json!(null))[0].contains("nullable"));
        assert!(reasons(json!({"type": "string", "nullable": true}), json!(null)).is_empty());
        assert!(reasons(json!({"type": "boolean"}), json!("true"))[0].contains("boolean"));
        assert!(reasons(json!({"type": "boolean"}), json!(false)).is_empty());
        assert!(reasons(json!({"type": "integer"}), json!(7)).is_empty());
        assert!(reasons(json!({"type": "number"}), json!(7.5)).is_empty());
        assert!(reasons(json!({"type": "array"}), json!([])).is_empty());
    }

    #[test]
    fn additional_properties_schema_applies_to_extra_keys() {
        assert!(
            reasons(
                json!({"$ref": "#/components/schemas/Open"}),
                json!({"a": "x"})
            )
            .is_empty()
        );
        assert!(
            reasons(
                json!({"$ref": "#/components/schemas/Open"}),
                json!({"a": 1})
            )[0]
            .starts_with("$.a")
        );
    }

    #[test]
    fn enums_one_of_arrays_and_formats() {
        assert!(reasons(json!({"type": "string", "enum": ["A"]}), json!("B"))[0].contains("enum"));
        let one_of = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
        assert!(reasons(one_of.clone(), json!(1)).is_empty());
        assert!(reasons(one_of, json!(true))[0].contains("0 of the `oneOf`"));
        let arr = json!({"type": "array", "maxItems": 1, "items": {"type": "string"}});
        let r = reasons(arr, json!(["a", 2]));
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[1].starts_with("$[1]"));
        assert!(reasons(json!({"type": "string", "format": "ipv4"}), json!("1.2.3")).len() == 1);
        assert!(
            reasons(
                json!({"type": "string", "format": "date-time"}),
                json!("2026-11-22T10:00:00Z")
            )
            .is_empty()
        );
        assert!(
            reasons(
                json!({"type": "string", "format": "date-time"}),
                json!("2026-11-22 10:00")
            )
            .len()
                == 1
        );
    }

    #[test]
    fn dangling_reference_is_an_error() {
        assert!(
            reasons(json!({"$ref": "#/components/schemas/Nope"}), json!({}))[0]
                .contains("does not resolve")
        );
    }

    #[test]
    fn collect_finds_media_parameter_and_component_examples() {
        let document = json!({
            "paths": {"/x/{id}": {"post": {
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}, "example": "7"}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}, "example": {}}}},
                "responses": {"200": {"content": {"application/json": {"examples": {"ok": {"value": 1}}}}}}
            }}},
            "components": {"schemas": {"A": {"type": "string", "example": "a"}}}
        });
        let found: Vec<String> = collect(&document)
            .into_iter()
            .map(|e| e.at.to_string())
            .collect();
        assert_eq!(
            found,
            vec![
                "$.paths[\"/x/{id}\"].post.parameters[0].example",
                "$.paths[\"/x/{id}\"].post.requestBody.content[\"application/json\"].example",
                "$.paths[\"/x/{id}\"].post.responses[\"200\"].content[\"application/json\"].examples.ok.value",
                "$.components.schemas.A.example",
            ]
        );
    }
}
