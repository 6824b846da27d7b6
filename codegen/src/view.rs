//! The codegen view: the hand-written spec, bent where progenitor 0.15 cannot
//! express it. The specs in `specs/` stay truthful; every bend is one named
//! function here, recorded as a [`Rewrite`] in the per-spec summary.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The component every unknown response member points at; rendering replaces
/// it with `payclient_core::UnknownMember`, whose `Debug` never shows the
/// value. Reserved: a spec may not define it.
pub const UNKNOWN_MEMBER: &str = "PayclientUnknownMember";

/// One change the codegen view made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The rewrite's function name.
    pub name: &'static str,
    /// What it changed: an operation id or a schema name.
    pub target: String,
    /// What was changed, in a few words.
    pub detail: String,
}

/// Builds the codegen view of `document` in place, running every rewrite in
/// a fixed order, and returns what was changed.
pub fn apply(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    done.extend(constrained_sensitive_text(document));
    done.extend(jwt_request_bodies_as_text(document));
    done.extend(jose_answers_decoded_as_json(document));
    done.extend(structured_json_answers_as_json(document));
    done.extend(optional_request_arrays_keep_empty(document));
    done.extend(non_negative_integers_unsigned(document));
    done.extend(open_enums_the_spec_asks_for(document));
    done.extend(close_request_schemas(document));
    // Before the raw-body rewrites: those drop the `$ref`s that show which
    // components responses reach, and raw bodies are still decoded into them.
    done.extend(open_response_schemas(document));
    done.extend(verbatim_success_bodies_as_raw(document));
    done.extend(mixed_success_bodies_as_raw(document));
    done.extend(error_answers_to_the_pipeline(document));
    done
}

/// Requests are strict: every object schema a request reaches refuses
/// members it does not declare (`deny_unknown_fields`), so a misspelt member
/// in a request built from JSON is an error naming it, never silently
/// dropped. (The lint keeps specs from sharing a component between a
/// request and a response, so answers stay open.)
pub fn close_request_schemas(document: &mut Value) -> Vec<Rewrite> {
    fn close(schema: &mut Value, count: &mut usize) {
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        if obj.contains_key("$ref") {
            return;
        }
        let is_object = obj.get("type").and_then(Value::as_str) == Some("object")
            || obj.contains_key("properties");
        if is_object && obj.contains_key("properties") && !obj.contains_key("additionalProperties")
        {
            obj.insert("additionalProperties".to_owned(), Value::Bool(false));
            *count += 1;
        }
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.values_mut().for_each(|p| close(p, count));
        }
        for key in ["items", "additionalProperties"] {
            if let Some(s) = obj.get_mut(key).filter(|s| s.is_object()) {
                close(s, count);
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
                list.iter_mut().for_each(|s| close(s, count));
            }
        }
    }
    let mut done = Vec::new();
    for name in reachable(document, true) {
        if let Some(schema) = document.pointer_mut(&format!("/components/schemas/{name}")) {
            let mut count = 0;
            close(schema, &mut count);
            if count > 0 {
                done.push(Rewrite {
                    name: "close_request_schemas",
                    target: name,
                    detail: format!("{count} object(s) refuse undeclared members"),
                });
            }
        }
    }
    done
}

/// The suffix of the component that holds a sensitive schema's constrained
/// text (see [`constrained_sensitive_text`]).
pub const SENSITIVE_TEXT_SUFFIX: &str = "Text";

/// A sensitive schema becomes `Sensitive<…>`, whose `Debug` redacts; one
/// with constraints (a length, a pattern) keeps them in a companion
/// component `<Name>Text` that typify makes a validating newtype, and
/// rendering makes the sensitive type `Sensitive<<Name>Text>`, so the value
/// is checked when it is built or read and still never printed.
pub fn constrained_sensitive_text(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return done;
    };
    let mut added = Vec::new();
    for (name, schema) in schemas.iter() {
        let sensitive = schema.get("x-payclient-sensitive").and_then(Value::as_bool) == Some(true);
        let constrained = ["minLength", "maxLength", "pattern"]
            .iter()
            .any(|k| schema.get(*k).is_some());
        if !(sensitive && constrained) {
            continue;
        }
        let mut text = schema.clone();
        if let Some(obj) = text.as_object_mut() {
            obj.remove("x-payclient-sensitive");
            obj.insert(
                "description".to_owned(),
                json!(format!("The checked text of a `{name}`; never logged.")),
            );
        }
        added.push((format!("{name}{SENSITIVE_TEXT_SUFFIX}"), text));
        done.push(Rewrite {
            name: "constrained_sensitive_text",
            target: name.clone(),
            detail: format!("checked as `{name}{SENSITIVE_TEXT_SUFFIX}`, held as `Sensitive`"),
        });
    }
    for (name, text) in added {
        schemas.insert(name, text);
    }
    done
}

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Calls `f(operation_id, method, operation)` for every operation.
pub fn for_each_operation(
    document: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>),
) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            f(&id, method, operation);
        }
    }
}

fn essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or(media_type).trim()
}

/// progenitor accepts only JSON, form, octet-stream and `text/plain` request
/// bodies (`method.rs` `BodyContentType`). A compact JWE/JWS posted as
/// `application/jwt` becomes a plain-text string body; the generated hook
/// restores the real `Content-Type` from the operation table.
pub fn jwt_request_bodies_as_text(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for_each_operation(document, |id, _, operation| {
        let Some(content) = operation
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let jwt: Vec<String> = content
            .keys()
            .filter(|k| essence(k) == "application/jwt")
            .cloned()
            .collect();
        for key in jwt {
            content.remove(&key);
            content.insert(
                "text/plain".to_owned(),
                json!({"schema": {"type": "string"}}),
            );
            done.push(Rewrite {
                name: "jwt_request_bodies_as_text",
                target: id.to_owned(),
                detail: format!(
                    "request body `{key}` sent as a string; Content-Type restored by the hook"
                ),
            });
        }
    });
    done
}

/// A vendor may answer a compact JWE (`application/jose`) sealed to the
/// merchant's key where it would otherwise answer JSON (Cybersource TMS
/// payment credentials). The hooks open it into that JSON before anything
/// decodes it, so progenitor sees the JSON form only; the operation table
/// keeps the spec's first media type as `Accept`.
pub fn jose_answers_decoded_as_json(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for_each_response_content(document, |id, status, content| {
        if !content.keys().any(|k| essence(k) == "application/json") {
            return;
        }
        let jose: Vec<String> = content
            .keys()
            .filter(|k| essence(k) == "application/jose")
            .cloned()
            .collect();
        for key in jose {
            content.remove(&key);
            done.push(Rewrite {
                name: "jose_answers_decoded_as_json",
                target: id.to_owned(),
                detail: format!("{status} `{key}` opened by the hook into its JSON form"),
            });
        }
    });
    done
}

/// A JSON answer with a structured-syntax media type (`application/hal+json`,
/// RFC 6839 `+json`), as Cybersource Intelligent Commerce declares, is
/// JSON: progenitor decodes only `application/json`, so the view renames
/// the media type. The operation table keeps the spec's type as `Accept`.
pub fn structured_json_answers_as_json(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for_each_response_content(document, |id, status, content| {
        if content.keys().any(|k| essence(k) == "application/json") {
            return;
        }
        let Some(key) = content
            .keys()
            .find(|k| {
                let essence = essence(k);
                essence.starts_with("application/") && essence.ends_with("+json")
            })
            .cloned()
        else {
            return;
        };
        if let Some(media) = content.remove(&key) {
            content.insert("application/json".to_owned(), media);
            done.push(Rewrite {
                name: "structured_json_answers_as_json",
                target: id.to_owned(),
                detail: format!("{status} `{key}` decoded as JSON"),
            });
        }
    });
    done
}

/// Request enums are strict, except where the spec marks a string enum
/// component `x-payclient-open-enum: true`: a list whose values the vendor
/// extends without notice (Checkout.com's payment methods), where refusing
/// a value the vendor already accepts would help nobody. The component
/// becomes an open enum (known values named, others carried as given).
pub fn open_enums_the_spec_asks_for(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return done;
    };
    for (name, schema) in schemas.iter_mut() {
        if schema.get(OPEN_ENUM_MARK).and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        let strings: Vec<Value> = values.iter().filter(|v| v.is_string()).cloned().collect();
        let count = strings.len();
        let mut open = json!({"type": "string", OPEN_ENUM_MARK: strings});
        if let Some(description) = schema.get("description") {
            open["description"] = description.clone();
        }
        *schema = open;
        done.push(Rewrite {
            name: "open_enums_the_spec_asks_for",
            target: name.clone(),
            detail: format!("an open enum of {count} known values; others are carried as given"),
        });
    }
    done
}

/// Runs `f` over the `content` map of every response of every operation,
/// with the operation id and the status.
fn for_each_response_content(
    document: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>),
) {
    for_each_operation(document, |id, _, operation| {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        for (status, response) in responses.iter_mut() {
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                f(id, status, content);
            }
        }
    });
}

/// Runs `change` over every component schema a request reaches, recording
/// one rewrite per component it changed.
fn rewrite_request_components(
    document: &mut Value,
    name: &'static str,
    change: fn(&mut Value, &mut usize),
    detail: impl Fn(usize) -> String,
) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for target in reachable(document, true) {
        if let Some(schema) = document.pointer_mut(&format!("/components/schemas/{target}")) {
            let mut count = 0;
            change(schema, &mut count);
            if count > 0 {
                done.push(Rewrite {
                    name,
                    target,
                    detail: detail(count),
                });
            }
        }
    }
    done
}

/// typify serializes an optional array with `skip_serializing_if =
/// "Vec::is_empty"`, so a caller's explicit `[]` (the vendor's own examples
/// send `"verificationEvents": []`) would vanish from the request. Marking
/// optional request arrays `nullable` makes them `Option<Vec<_>>`: absent
/// stays absent and `[]` is sent as `[]`.
pub fn optional_request_arrays_keep_empty(document: &mut Value) -> Vec<Rewrite> {
    rewrite_request_components(
        document,
        "optional_request_arrays_keep_empty",
        mark_optional_arrays,
        |count| format!("{count} optional array(s) become Option<Vec<_>>"),
    )
}

fn mark_optional_arrays(schema: &mut Value, count: &mut usize) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let required: BTreeSet<String> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            let is_array = prop.get("type").and_then(Value::as_str) == Some("array");
            if is_array
                && !required.contains(name)
                && let Some(p) = prop.as_object_mut()
            {
                p.insert("nullable".to_owned(), Value::Bool(true));
                *count += 1;
            }
            mark_optional_arrays(prop, count);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = obj.get_mut(key).filter(|s| s.is_object()) {
            mark_optional_arrays(sub, count);
        }
    }
}

/// What progenitor makes of a response body.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    None,
    Raw,
    Json(String),
}

fn body_kind(response: &Value) -> BodyKind {
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return BodyKind::None;
    };
    if let Some((_, media)) = content
        .iter()
        .find(|(k, _)| essence(k) == "application/json")
    {
        return BodyKind::Json(
            media
                .get("schema")
                .map(Value::to_string)
                .unwrap_or_default(),
        );
    }
    if content.is_empty() {
        BodyKind::None
    } else {
        BodyKind::Raw
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

fn is_error(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

/// The raw-bytes stand-in for a response body.
fn raw_content() -> Value {
    json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
}

/// Makes the body of every response whose status is in `class` raw; returns those statuses.
fn make_raw(
    responses: &mut serde_json::Map<String, Value>,
    class: fn(&str) -> bool,
) -> Vec<String> {
    let mut statuses = Vec::new();
    for (status, response) in responses.iter_mut().filter(|(s, _)| class(s)) {
        if let Some(response) = response.as_object_mut() {
            response.insert("content".to_owned(), raw_content());
            statuses.push(status.clone());
        }
    }
    statuses
}

/// Operations marked `x-payclient-verbatim: true` must hand the caller the
/// exact response bytes (Checkout.com Flow initializes from the unmodified
/// body): their success responses become raw, and `payclient` decodes the
/// typed view from the same bytes.
pub fn verbatim_success_bodies_as_raw(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for_each_operation(document, |id, _, operation| {
        if operation
            .get("x-payclient-verbatim")
            .and_then(Value::as_bool)
            != Some(true)
        {
            return;
        }
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let statuses = make_raw(responses, is_success);
        if !statuses.is_empty() {
            done.push(Rewrite {
                name: "verbatim_success_bodies_as_raw",
                target: id.to_owned(),
                detail: format!(
                    "success responses {} arrive as the exact bytes",
                    statuses.join(", ")
                ),
            });
        }
    });
    done
}

/// typify enforces `minimum` only as `NonZero` for 1; an amount documented
/// `>= 0` would be a signed `i64` that happily holds -5. Request integers
/// with a non-negative minimum become unsigned (`u64`), so a negative
/// amount cannot be built at all.
pub fn non_negative_integers_unsigned(document: &mut Value) -> Vec<Rewrite> {
    rewrite_request_components(
        document,
        "non_negative_integers_unsigned",
        make_unsigned,
        |count| format!("{count} integer(s) documented >= 0 become u64"),
    )
}

fn make_unsigned(schema: &mut Value, count: &mut usize) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let integer = obj.get("type").and_then(Value::as_str) == Some("integer");
    let non_negative = obj
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m >= 0.0);
    if integer && non_negative {
        obj.insert("format".to_owned(), Value::String("uint64".to_owned()));
        if obj.get("minimum").and_then(Value::as_f64) == Some(0.0) {
            obj.remove("minimum");
        }
        *count += 1;
    }
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        props.values_mut().for_each(|p| make_unsigned(p, count));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = obj.get_mut(key).filter(|s| s.is_object()) {
            make_unsigned(sub, count);
        }
    }
}

/// progenitor asserts that all success responses have one body type
/// (`method.rs` `extract_responses`, progenitor#344/#950). Where they differ
/// (Flow submit 201 vs 202), every success response becomes raw bytes and
/// `payclient` decodes by status.
pub fn mixed_success_bodies_as_raw(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for_each_operation(document, |id, _, operation| {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let kinds: BTreeSet<BodyKind> = responses
            .iter()
            .filter(|(status, _)| is_success(status))
            .map(|(_, r)| body_kind(r))
            .collect();
        if kinds.len() <= 1 {
            return;
        }
        let statuses = make_raw(responses, is_success);
        done.push(Rewrite {
            name: "mixed_success_bodies_as_raw",
            target: id.to_owned(),
            detail: format!(
                "success responses {} have different bodies; all are raw bytes",
                statuses.join(", ")
            ),
        });
    });
    done
}

/// Every error answer (4xx, 5xx) goes to payclient's pipeline, not to
/// progenitor: it arrives as the whole `reqwest::Response`, so the pipeline
/// can retry it, read its body under the error limit, keep the exact bytes
/// and decode the vendor's known shapes (progenitor would decode one schema
/// and drop the bytes, and give each operation a different error type). The
/// spec keeps the statuses; the snapshot lists them.
pub fn error_answers_to_the_pipeline(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    for_each_operation(document, |id, _, operation| {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let statuses: Vec<String> = responses
            .keys()
            .filter(|status| is_error(status))
            .cloned()
            .collect();
        for status in &statuses {
            responses.remove(status);
        }
        if !statuses.is_empty() {
            done.push(Rewrite {
                name: "error_answers_to_the_pipeline",
                target: id.to_owned(),
                detail: format!(
                    "error responses {} are handed to payclient's pipeline whole",
                    statuses.join(", ")
                ),
            });
        }
    });
    done
}

/// Marks a component as response-side data carried outside a body.
pub const RESPONSE_MARK: &str = "x-payclient-response";

/// The inline schemas of request bodies and parameters (`requests`) or of
/// responses (`!requests`), and the component names they reach.
pub fn reachable(document: &Value, requests: bool) -> BTreeSet<String> {
    let mut roots = Vec::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for (method, operation) in item {
                if !HTTP_METHODS.contains(&method.as_str()) {
                    continue;
                }
                if requests {
                    if let Some(content) = operation
                        .pointer("/requestBody/content")
                        .and_then(Value::as_object)
                    {
                        roots.extend(content.values().filter_map(|m| m.get("schema")));
                    }
                    if let Some(params) = operation.get("parameters").and_then(Value::as_array) {
                        roots.extend(params.iter().filter_map(|p| p.get("schema")));
                    }
                } else if let Some(responses) =
                    operation.get("responses").and_then(Value::as_object)
                {
                    for response in responses.values() {
                        if let Some(content) = response.get("content").and_then(Value::as_object) {
                            roots.extend(content.values().filter_map(|m| m.get("schema")));
                        }
                    }
                }
            }
        }
    }
    let mut names = BTreeSet::new();
    let mut stack: Vec<&Value> = roots;
    // Components marked `x-payclient-response: true` hold data the vendor
    // sends inside a token rather than a body (JWT claims): lenient too.
    if !requests
        && let Some(schemas) = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            if schema.get(RESPONSE_MARK).and_then(Value::as_bool) == Some(true)
                && names.insert(name.clone())
            {
                stack.push(schema);
            }
        }
    }
    while let Some(schema) = stack.pop() {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            if names.insert(name.to_owned())
                && let Some(target) = document.pointer(&format!("/components/schemas/{name}"))
            {
                stack.push(target);
            }
            continue;
        }
        stack.extend(sub_schemas(schema));
    }
    names
}

fn sub_schemas(schema: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.values());
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(s) = schema.get(key).filter(|s| s.is_object()) {
            out.push(s);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            out.extend(list);
        }
    }
    out
}

/// What [`loosen`] removed from one schema tree.
#[derive(Debug, Default)]
struct Loosened {
    opened_objects: usize,
    opened_enums: usize,
    dropped_constraints: BTreeSet<&'static str>,
    /// Whether some schema now points at [`UNKNOWN_MEMBER`].
    unknown_members: bool,
    /// String enums turned into open enums: (type name, component schema).
    open_enums: Vec<(String, Value)>,
    /// Component names in use (the spec's and the open enums' so far).
    taken: BTreeSet<String>,
}

/// Marks a component the codegen view made for an open enum: its known
/// values. Rendering replaces the component with a generated enum that
/// names each of them and keeps any other value in an `Unknown` arm.
pub const OPEN_ENUM_MARK: &str = "x-payclient-open-enum";

/// `StepUpOptionMethod` from `StepUpOption` and `method`: the name typify
/// would give the inline schema.
fn type_name(parent: &str, member: &str) -> String {
    let mut name = parent.to_owned();
    for part in member.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

const RESPONSE_CONSTRAINTS: &[&str] = &[
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minProperties",
    "maxProperties",
];

/// typify makes strict types: closed enums, validating string newtypes,
/// `deny_unknown_fields`, `NonZero` integers. On a response any of these turns
/// a harmless vendor addition into a failed call, so response schemas lose
/// them and objects keep unknown members in a map. A string enum becomes an
/// open enum named `name` (see [`OPEN_ENUM_MARK`]); other enums become the
/// bare type with the known values in the description.
fn loosen(schema: &mut Value, out: &mut Loosened, name: &str) {
    if schema.get("$ref").is_some() {
        return;
    }
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(values)) = obj.remove("enum") {
        out.opened_enums += 1;
        let strings: Option<Vec<&str>> = values.iter().map(Value::as_str).collect();
        if let Some(strings) = strings
            && obj.get("type").is_none_or(|t| t == "string")
        {
            let mut component = json!({"type": "string", OPEN_ENUM_MARK: strings});
            if let Some(description) = obj.get("description") {
                component["description"] = description.clone();
            }
            // An inline enum takes a name no component of the spec has.
            let mut free = name.to_owned();
            while !out.taken.insert(free.clone()) {
                free.push_str("Enum");
            }
            *schema = json!({"$ref": format!("#/components/schemas/{free}")});
            out.open_enums.push((free, component));
            return;
        }
        let known: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        let note = format!("Known values: {}.", known.join(", "));
        let description = match obj.get("description").and_then(Value::as_str) {
            Some(d) => format!("{d}\n\n{note}"),
            None => note,
        };
        obj.insert("description".to_owned(), Value::String(description));
    }
    for key in RESPONSE_CONSTRAINTS {
        if obj.remove(*key).is_some() {
            out.dropped_constraints.insert(key);
        }
    }
    if obj.get("type").and_then(Value::as_str) == Some("string") && obj.remove("format").is_some() {
        out.dropped_constraints.insert("format");
    }
    let is_object =
        obj.get("type").and_then(Value::as_str) == Some("object") || obj.contains_key("properties");
    // Unknown members are kept, typed so that `Debug` never shows their values.
    let (keep_unknown, newly_opened) = match obj.get("additionalProperties") {
        None | Some(Value::Bool(false)) => (is_object, is_object),
        Some(Value::Bool(true)) => (true, false),
        Some(Value::Object(schema)) => (schema.is_empty(), false),
        Some(_) => (false, false),
    };
    if keep_unknown {
        obj.insert("additionalProperties".to_owned(), unknown_member_ref());
        out.unknown_members = true;
        if newly_opened {
            out.opened_objects += 1;
        }
    }
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for (member, p) in props.iter_mut() {
            loosen(p, out, &type_name(name, member));
        }
    }
    for (key, suffix) in [("items", "Item"), ("additionalProperties", "Value")] {
        if let Some(s) = obj.get_mut(key).filter(|s| s.is_object()) {
            loosen(s, out, &type_name(name, suffix));
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            for (i, s) in list.iter_mut().enumerate() {
                loosen(s, out, &format!("{name}Variant{i}"));
            }
        }
    }
}

fn unknown_member_ref() -> Value {
    json!({"$ref": format!("#/components/schemas/{UNKNOWN_MEMBER}")})
}

fn describe(l: &Loosened) -> Option<String> {
    let mut parts = Vec::new();
    if l.opened_objects > 0 {
        parts.push(format!(
            "{} object(s) keep unknown members",
            l.opened_objects
        ));
    }
    if l.opened_enums > 0 {
        parts.push(format!("{} enum(s) accept unknown values", l.opened_enums));
    }
    if !l.open_enums.is_empty() {
        let names: Vec<&str> = l.open_enums.iter().map(|(n, _)| n.as_str()).collect();
        parts.push(format!("open enums {}", names.join(", ")));
    }
    if !l.dropped_constraints.is_empty() {
        parts.push(format!(
            "not enforced: {}",
            l.dropped_constraints
                .iter()
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Responses are lenient: every schema a response reaches (components and
/// inline schemas) is loosened; see `loosen`. The lint guarantees that no
/// component is shared with a request, so requests stay strict.
pub fn open_response_schemas(document: &mut Value) -> Vec<Rewrite> {
    let mut done = Vec::new();
    let mut unknown_members = false;
    let mut open_enums = Vec::new();
    let mut taken: BTreeSet<String> = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default();
    let components = reachable(document, false);
    for name in &components {
        if let Some(schema) = document.pointer_mut(&format!("/components/schemas/{name}")) {
            let mut l = Loosened {
                taken: std::mem::take(&mut taken),
                ..Loosened::default()
            };
            // A component that is itself an enum keeps its own name.
            l.taken.remove(name);
            loosen(schema, &mut l, name);
            taken = std::mem::take(&mut l.taken);
            taken.insert(name.clone());
            unknown_members |= l.unknown_members;
            // A component that is itself an enum stays where it is, as one.
            if let Some(at) = l.open_enums.iter().position(|(n, _)| n == name) {
                let (_, component) = l.open_enums.remove(at);
                *schema = component;
                l.open_enums.push((name.clone(), Value::Null));
            }
            open_enums.extend(std::mem::take(&mut l.open_enums));
            if let Some(detail) = describe(&l) {
                done.push(Rewrite {
                    name: "open_response_schemas",
                    target: name.clone(),
                    detail,
                });
            }
        }
    }
    for_each_response_content(document, |id, status, content| {
        for (media_type, media) in content.iter_mut() {
            if essence(media_type) != "application/json" {
                continue;
            }
            if let Some(schema) = media.get_mut("schema") {
                let mut l = Loosened {
                    taken: std::mem::take(&mut taken),
                    ..Loosened::default()
                };
                loosen(
                    schema,
                    &mut l,
                    &type_name("", &format!("{id}_response_{status}")),
                );
                taken = std::mem::take(&mut l.taken);
                unknown_members |= l.unknown_members;
                open_enums.extend(std::mem::take(&mut l.open_enums));
                if let Some(detail) = describe(&l) {
                    done.push(Rewrite {
                        name: "open_response_schemas",
                        target: format!("{id} {status}"),
                        detail,
                    });
                }
            }
        }
    });
    if unknown_members {
        // The lint keeps specs from defining this name, so nothing is replaced.
        document["components"]["schemas"][UNKNOWN_MEMBER] =
            json!({"description": "A response member the spec does not name."});
    }
    for (name, component) in open_enums {
        // `Null`: the component was the enum and already holds it.
        if component.is_null() {
            continue;
        }
        document["components"]["schemas"][name] = component;
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(body: Value) -> Value {
        json!({"paths": {"/x": {"post": body}}, "components": {"schemas": {}}})
    }

    #[test]
    fn jwt_request_body_becomes_text() {
        let mut doc = op(json!({"operationId": "tokenize",
            "requestBody": {"content": {"application/jwt": {"schema": {"type": "string", "pattern": "^[^.]+$"}}}},
            "responses": {"201": {"description": "ok"}}}));
        let done = jwt_request_bodies_as_text(&mut doc);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].target, "tokenize");
        assert_eq!(
            doc.pointer("/paths/~1x/post/requestBody/content"),
            Some(&json!({"text/plain": {"schema": {"type": "string"}}}))
        );
    }

    #[test]
    fn hal_json_answers_are_decoded_as_json_and_json_ones_untouched() {
        let mut doc = op(json!({"operationId": "initiate", "responses": {
            "200": {"description": "a", "content": {"application/hal+json;charset=utf-8": {"schema": {"type": "object"}}}},
            "202": {"description": "b", "content": {"application/json": {"schema": {"type": "object"}},
                "application/problem+json": {"schema": {"type": "string"}}}},
            "204": {"description": "c", "content": {"text/plain": {"schema": {"type": "string"}}}}}}));
        let done = structured_json_answers_as_json(&mut doc);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].target, "initiate");
        let responses = doc.pointer("/paths/~1x/post/responses").cloned();
        assert_eq!(
            responses,
            Some(json!({
                "200": {"description": "a", "content": {"application/json": {"schema": {"type": "object"}}}},
                "202": {"description": "b", "content": {"application/json": {"schema": {"type": "object"}},
                    "application/problem+json": {"schema": {"type": "string"}}}},
                "204": {"description": "c", "content": {"text/plain": {"schema": {"type": "string"}}}}}))
        );
    }

    #[test]
    fn only_enums_the_spec_marks_open_become_open() {
        let mut doc = json!({"paths": {}, "components": {"schemas": {
            "Method": {"type": "string", "enum": ["card", "paypal"], "x-payclient-open-enum": true, "description": "d"},
            "Kind": {"type": "string", "enum": ["a"]}}}});
        let done = open_enums_the_spec_asks_for(&mut doc);
        assert_eq!(done.len(), 1);
        assert_eq!(
            doc["components"]["schemas"]["Method"],
            json!({"type": "string", "x-payclient-open-enum": ["card", "paypal"], "description": "d"})
        );
        assert_eq!(
            doc["components"]["schemas"]["Kind"],
            json!({"type": "string", "enum": ["a"]}),
            "request enums stay strict unless marked"
        );
    }

    #[test]
    fn json_request_bodies_are_left_alone() {
        let mut doc = op(json!({"operationId": "a",
            "requestBody": {"content": {"application/json;charset=utf-8": {"schema": {"type": "object"}}}},
            "responses": {}}));
        let before = doc.clone();
        assert!(jwt_request_bodies_as_text(&mut doc).is_empty());
        assert_eq!(doc, before);
    }

    #[test]
    fn different_success_bodies_become_raw() {
        let mut doc = op(json!({"operationId": "submit", "responses": {
            "201": {"description": "a", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "202": {"description": "b", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}},
            "422": {"description": "c", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}}}}));
        let done = mixed_success_bodies_as_raw(&mut doc);
        assert_eq!(done.len(), 1);
        assert!(done[0].detail.contains("201, 202"));
        let responses = doc.pointer("/paths/~1x/post/responses").unwrap();
        assert!(
            responses["201"]["content"]
                .get("application/octet-stream")
                .is_some()
        );
        assert!(
            responses["202"]["content"]
                .get("application/octet-stream")
                .is_some()
        );
        assert!(
            responses["422"]["content"]
                .get("application/json")
                .is_some(),
            "errors untouched"
        );
    }

    #[test]
    fn same_success_bodies_are_left_alone() {
        let schema = json!({"application/json": {"schema": {"$ref": "#/components/schemas/A"}}});
        let mut doc = op(json!({"operationId": "enroll", "responses": {
            "200": {"description": "a", "content": schema.clone()},
            "202": {"description": "b", "content": schema}}}));
        assert!(mixed_success_bodies_as_raw(&mut doc).is_empty());
    }

    #[test]
    fn every_error_response_goes_to_the_pipeline_and_success_is_untouched() {
        let mut doc = op(json!({"operationId": "get", "responses": {
            "200": {"description": "a"},
            "401": {"description": "empty"},
            "404": {"description": "c", "content": {"application/json": {"schema": {"type": "object"}}}},
            "502": {"description": "d", "content": {"application/json": {"schema": {"type": "object"}}}}}}));
        let done = error_answers_to_the_pipeline(&mut doc);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].name, "error_answers_to_the_pipeline");
        assert!(
            done[0].detail.contains("401, 404, 502"),
            "{}",
            done[0].detail
        );
        let responses = doc.pointer("/paths/~1x/post/responses").unwrap();
        assert_eq!(
            responses
                .as_object()
                .map(|r| r.keys().map(String::as_str).collect::<Vec<_>>()),
            Some(vec!["200"]),
            "only the success is left to progenitor"
        );
    }

    #[test]
    fn response_schemas_are_opened_and_request_schemas_kept() {
        let mut doc = json!({
            "paths": {"/x": {"post": {"operationId": "a",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Res"}}}}}}}},
            "components": {"schemas": {
                "Req": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["A"], "maxLength": 3}}},
                "Res": {"type": "object", "additionalProperties": false, "properties": {
                    "status": {"type": "string", "enum": ["OK", "FAILED"]},
                    "when": {"type": "string", "format": "date-time"},
                    "count": {"type": "integer", "minimum": 1},
                    "nested": {"$ref": "#/components/schemas/Nested"}}},
                "Nested": {"type": "object", "properties": {"id": {"type": "string", "pattern": "^x$"}}}
            }}
        });
        let done = open_response_schemas(&mut doc);
        let targets: Vec<&str> = done.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(targets, vec!["Nested", "Res"]);
        let res = &doc["components"]["schemas"]["Res"];
        assert_eq!(
            res["additionalProperties"],
            json!({"$ref": "#/components/schemas/PayclientUnknownMember"}),
            "unknown members are kept, as the type whose Debug hides them"
        );
        assert!(doc["components"]["schemas"][UNKNOWN_MEMBER].is_object());
        assert!(
            doc["components"]["schemas"]["Req"]
                .get("additionalProperties")
                .is_none()
        );
        // A string enum becomes an open enum of its own, named for where it is.
        assert_eq!(
            res["properties"]["status"],
            json!({"$ref": "#/components/schemas/ResStatus"})
        );
        assert_eq!(
            doc["components"]["schemas"]["ResStatus"][OPEN_ENUM_MARK],
            json!(["OK", "FAILED"])
        );
        assert!(res["properties"]["when"].get("format").is_none());
        assert!(res["properties"]["count"].get("minimum").is_none());
        assert!(
            doc["components"]["schemas"]["Nested"]["properties"]["id"]
                .get("pattern")
                .is_none()
        );
        assert_eq!(
            doc["components"]["schemas"]["Req"]["properties"]["kind"]["enum"],
            json!(["A"]),
            "requests stay strict"
        );
    }

    #[test]
    fn reachability_follows_refs_through_arrays_and_maps() {
        let doc = json!({
            "paths": {"/x": {"post": {"operationId": "a",
                "parameters": [{"name": "id", "in": "path", "schema": {"$ref": "#/components/schemas/Id"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}}}},
                "responses": {}}}},
            "components": {"schemas": {"Id": {"type": "string"}, "A": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/B"}}, "B": {"type": "string"}, "C": {}}}
        });
        assert_eq!(
            reachable(&doc, true).into_iter().collect::<Vec<_>>(),
            vec!["A", "B", "Id"]
        );
        assert!(reachable(&doc, false).is_empty());
    }

    #[test]
    fn marked_components_count_as_responses() {
        let doc = json!({"paths": {}, "components": {"schemas": {
            "Claims": {"x-payclient-response": true, "type": "object", "properties": {"flx": {"$ref": "#/components/schemas/Flx"}}},
            "Flx": {"type": "object"}, "Other": {"type": "object"}}}});
        assert_eq!(
            reachable(&doc, false).into_iter().collect::<Vec<_>>(),
            vec!["Claims", "Flx"]
        );
    }

    #[test]
    fn schemas_behind_raw_bodies_are_still_opened() {
        let mut doc = json!({"paths": {"/x": {"post": {"operationId": "submit", "responses": {
            "201": {"description": "a", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "202": {"description": "b", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}}}},
            "components": {"schemas": {"A": {"type": "object"}, "B": {"type": "object", "properties": {"s": {"type": "string", "enum": ["x"]}}}}}});
        let done = apply(&mut doc);
        let names: Vec<(&str, &str)> = done.iter().map(|r| (r.name, r.target.as_str())).collect();
        assert_eq!(
            names,
            vec![
                ("open_response_schemas", "A"),
                ("open_response_schemas", "B"),
                ("mixed_success_bodies_as_raw", "submit")
            ]
        );
        assert!(
            doc["components"]["schemas"]["B"]["properties"]["s"]
                .get("enum")
                .is_none()
        );
    }

    #[test]
    fn optional_request_arrays_become_nullable_and_required_ones_do_not() {
        let mut doc = json!({"paths": {"/x": {"post": {"operationId": "a",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Res"}}}}}}}},
            "components": {"schemas": {
                "Req": {"type": "object", "required": ["must"], "properties": {
                    "must": {"type": "array", "items": {"type": "string"}},
                    "may": {"type": "array", "items": {"type": "object", "properties": {"inner": {"type": "array", "items": {"type": "string"}}}}}}},
                "Res": {"type": "object", "properties": {"list": {"type": "array", "items": {"type": "string"}}}}}}});
        let done = optional_request_arrays_keep_empty(&mut doc);
        assert_eq!(done.len(), 1);
        assert!(
            done[0].detail.starts_with("2 optional"),
            "{}",
            done[0].detail
        );
        let req = &doc["components"]["schemas"]["Req"]["properties"];
        assert!(req["must"].get("nullable").is_none());
        assert_eq!(req["may"]["nullable"], json!(true));
        assert_eq!(
            req["may"]["items"]["properties"]["inner"]["nullable"],
            json!(true)
        );
        assert!(
            doc["components"]["schemas"]["Res"]["properties"]["list"]
                .get("nullable")
                .is_none(),
            "responses untouched"
        );
    }

    #[test]
    fn verbatim_operations_get_raw_success_bodies() {
        let mut doc = op(
            json!({"operationId": "create", "x-payclient-verbatim": true, "responses": {
            "201": {"description": "a", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "422": {"description": "e", "content": {"application/json": {"schema": {"type": "object"}}}}}}),
        );
        let done = verbatim_success_bodies_as_raw(&mut doc);
        assert_eq!(done.len(), 1);
        let responses = doc.pointer("/paths/~1x/post/responses").unwrap();
        assert!(
            responses["201"]["content"]
                .get("application/octet-stream")
                .is_some()
        );
        assert!(
            responses["422"]["content"]
                .get("application/json")
                .is_some()
        );
        let mut plain = op(
            json!({"operationId": "get", "responses": {"200": {"description": "a", "content": {"application/json": {}}}}}),
        );
        assert!(verbatim_success_bodies_as_raw(&mut plain).is_empty());
    }

    #[test]
    fn non_negative_request_integers_become_unsigned() {
        let mut doc = json!({"paths": {"/x": {"post": {"operationId": "a",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Res"}}}}}}}},
            "components": {"schemas": {
                "Req": {"type": "object", "properties": {
                    "amount": {"type": "integer", "format": "int64", "minimum": 0},
                    "signed": {"type": "integer", "format": "int64"},
                    "items": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}}}}},
                "Res": {"type": "object", "properties": {"amount": {"type": "integer", "minimum": 0}}}}}});
        let done = non_negative_integers_unsigned(&mut doc);
        assert_eq!(done.len(), 1);
        let req = &doc["components"]["schemas"]["Req"]["properties"];
        assert_eq!(
            req["amount"],
            json!({"type": "integer", "format": "uint64"})
        );
        assert_eq!(req["signed"]["format"], "int64");
        assert_eq!(
            req["items"]["items"]["properties"]["qty"],
            json!({"type": "integer", "format": "uint64", "minimum": 1})
        );
        assert_eq!(
            doc["components"]["schemas"]["Res"]["properties"]["amount"]["minimum"], 0,
            "responses untouched"
        );
    }

    #[test]
    fn apply_is_deterministic() {
        let make = || {
            json!({"paths": {"/x": {"post": {"operationId": "a",
            "requestBody": {"content": {"application/jwt": {"schema": {"type": "string"}}}},
            "responses": {"201": {"description": "a", "content": {"application/jwt": {"schema": {"type": "string"}}}},
                          "401": {"description": "b"}, "422": {"description": "c", "content": {"application/json": {"schema": {"type": "object"}}}}}}}}})
        };
        let (mut a, mut b) = (make(), make());
        assert_eq!(apply(&mut a), apply(&mut b));
        assert_eq!(a, b);
    }

    #[test]
    fn inline_enum_names_never_take_a_spec_component() {
        let mut doc = json!({
            "paths": {"/x": {"get": {"operationId": "a",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Res"}}}}}}}},
            "components": {"schemas": {
                "Res": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["A"]},
                    "other": {"$ref": "#/components/schemas/ResStatus"}}},
                "ResStatus": {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}
            }}
        });
        open_response_schemas(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Res"]["properties"]["status"],
            json!({"$ref": "#/components/schemas/ResStatusEnum"})
        );
        assert_eq!(schemas["ResStatusEnum"][OPEN_ENUM_MARK], json!(["A"]));
        assert_eq!(
            schemas["Res"]["properties"]["other"],
            json!({"$ref": "#/components/schemas/ResStatus"}),
            "the spec's own component is untouched"
        );
        assert!(
            schemas["ResStatus"]["properties"]["n"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("1, 2")),
            "an integer enum is opened by its description"
        );
    }

    #[test]
    fn request_objects_refuse_undeclared_members() {
        let mut doc = op(json!({"operationId": "a",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
            "responses": {}}));
        doc["components"]["schemas"]["Req"] = json!({"type": "object", "properties": {
            "inner": {"type": "object", "properties": {"a": {"type": "string"}}},
            "map": {"type": "object", "additionalProperties": {"type": "string"}}}});
        let done = close_request_schemas(&mut doc);
        assert_eq!(done.len(), 1);
        let req = &doc["components"]["schemas"]["Req"];
        assert_eq!(req["additionalProperties"], json!(false));
        assert_eq!(
            req["properties"]["inner"]["additionalProperties"],
            json!(false)
        );
        assert_eq!(
            req["properties"]["map"]["additionalProperties"],
            json!({"type": "string"}),
            "a map keeps its own members"
        );
    }

    #[test]
    fn a_constrained_sensitive_schema_gets_a_checked_text() {
        let mut doc = json!({"components": {"schemas": {
            "Secret": {"type": "string", "minLength": 1, "x-payclient-sensitive": true},
            "Plain": {"type": "string", "x-payclient-sensitive": true}}}});
        let done = constrained_sensitive_text(&mut doc);
        assert_eq!(done.len(), 1);
        let text = &doc["components"]["schemas"]["SecretText"];
        assert_eq!(text["minLength"], 1);
        assert!(text.get("x-payclient-sensitive").is_none());
        assert!(doc["components"]["schemas"].get("PlainText").is_none());
    }
}
