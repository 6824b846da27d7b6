//! The specs against the vendors' published definitions.
//!
//! `conformance/facts/*.json` holds what the vendors' own SDK packages say
//! about each operation payclient speaks (method, path, media types,
//! parameters, every request and answer field with its type and whether it
//! is required), extracted by the scripts beside it. Every spec operation
//! names the vendor operation it is (`x-vendor-operation`) or says why there
//! is none. This test walks both and fails on any difference that
//! `conformance/deviations.yaml` does not explain, on any explanation that
//! no longer matches a difference, and when the README's table of
//! differences is not the one the file makes.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::root;
use serde::Deserialize;
use serde_json::Value;

/// One field as the vendor or a spec describes it.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    kind: String,
    required: bool,
}

#[derive(Debug, Deserialize)]
struct Facts {
    operations: Vec<VendorOperation>,
}

#[derive(Debug, Deserialize)]
struct VendorOperation {
    operation: String,
    method: String,
    path: String,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    accept: String,
    #[serde(default)]
    parameters: Vec<VendorParameter>,
    #[serde(default)]
    request: Vec<VendorField>,
    #[serde(default)]
    response: Vec<VendorField>,
}

#[derive(Debug, Deserialize)]
struct VendorParameter {
    name: String,
    #[serde(rename = "in")]
    location: String,
    required: bool,
}

#[derive(Debug, Deserialize)]
struct VendorField {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    /// `None` where the vendor's package does not say (Checkout's models).
    required: Option<bool>,
}

/// An explained difference. `at` is `request.<path>`, `response.<path>`,
/// `parameter.<name>`, `accept`, `content_type` or `operation`; a path
/// covers the subtree under it.
#[derive(Debug, Deserialize)]
struct Deviation {
    operation: String,
    at: String,
    kind: Kind,
    reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    /// The vendor has it; payclient leaves it out on purpose.
    Omitted,
    /// payclient has it; the vendor's definition does not.
    Extra,
    /// payclient requires what the vendor leaves optional.
    Stricter,
    /// The vendor's definition says something its gateway does not do.
    VendorModel,
    /// Not carried yet: open work, listed so it stays visible.
    Pending,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Omitted => "omitted",
            Kind::Extra => "extra",
            Kind::Stricter => "stricter",
            Kind::VendorModel => "vendor model",
            Kind::Pending => "pending",
        }
    }
}

/// What kind of difference was found; each [`Kind`] explains some.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The vendor has it (a field, parameter or operation); the spec not.
    Missing,
    /// The spec has it; the vendor not.
    Added,
    /// Required on one side only.
    Required,
    /// Another type, method, path or media type.
    Shape,
}

impl Kind {
    fn explains(self, found: Found) -> bool {
        match self {
            Kind::Omitted => found == Found::Missing,
            Kind::Extra => found == Found::Added,
            Kind::Stricter => found == Found::Required,
            // A member the vendor's model has and the wire does not, or the
            // other way round; never a type or required-ness.
            Kind::VendorModel => matches!(found, Found::Missing | Found::Added),
            Kind::Pending => true,
        }
    }
}

/// One difference found: vendor operation, where, what kind, what.
#[derive(Debug)]
struct Difference {
    operation: String,
    at: String,
    found: Found,
    what: String,
}

fn difference(
    operation: &str,
    at: impl Into<String>,
    found: Found,
    what: impl Into<String>,
) -> Difference {
    Difference {
        operation: operation.to_owned(),
        at: at.into(),
        found,
        what: what.into(),
    }
}

fn load_facts() -> Vec<VendorOperation> {
    let dir = root().join("conformance").join("facts");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("conformance/facts")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for file in names {
        let facts: Facts = serde_json::from_slice(&std::fs::read(&file).expect("facts file"))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        out.extend(facts.operations);
    }
    out
}

fn load_deviations() -> Vec<Deviation> {
    let text = std::fs::read_to_string(root().join("conformance").join("deviations.yaml"))
        .expect("conformance/deviations.yaml");
    serde_yaml_ng::from_str(&text).expect("deviations.yaml parses")
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                document,
                document.pointer(pointer).expect("a $ref that resolves"),
            )
        }
        None => schema,
    }
}

fn kind_of(document: &Value, schema: &Value) -> String {
    let schema = resolve(document, schema);
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        return kind.to_owned();
    }
    if schema.get("properties").is_some() || schema.get("allOf").is_some() {
        return "object".to_owned();
    }
    "any".to_owned()
}

/// Every field under `schema`, by the facts' path syntax (`a.b`, `c[].d`).
fn flatten(
    document: &Value,
    schema: &Value,
    prefix: &str,
    depth: usize,
    out: &mut BTreeMap<String, Field>,
) {
    let schema = resolve(document, schema);
    if depth > 12 {
        return;
    }
    for part in ["allOf", "oneOf", "anyOf"] {
        for sub in schema
            .get(part)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            flatten(document, sub, prefix, depth + 1, out);
        }
    }
    if let Some(items) = schema.get("items") {
        flatten(document, items, &format!("{prefix}[]"), depth + 1, out);
        return;
    }
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, child) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        out.insert(
            path.clone(),
            Field {
                kind: kind_of(document, child),
                required: required.contains(name.as_str()),
            },
        );
        flatten(document, child, &path, depth + 1, out);
    }
}

/// One spec operation: its document, path with the first server's path
/// before it, method and the operation object.
struct SpecOperation {
    spec: String,
    /// The operation's spec, shared by its operations.
    document: std::rc::Rc<Value>,
    path: String,
    method: String,
    operation: Value,
}

fn spec_operations() -> Vec<SpecOperation> {
    let mut out = Vec::new();
    for (name, document) in crate::support::spec_documents() {
        let server_path = crate::support::server_path(&document);
        let document = std::rc::Rc::new(document);
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                if operation.get("operationId").is_none() {
                    continue;
                }
                out.push(SpecOperation {
                    spec: name.to_owned(),
                    document: document.clone(),
                    path: format!("{server_path}{path}"),
                    method: method.to_ascii_uppercase(),
                    operation: operation.clone(),
                });
            }
        }
    }
    out
}

fn request_fields(op: &SpecOperation) -> BTreeMap<String, Field> {
    let mut out = BTreeMap::new();
    if let Some(content) = op
        .operation
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        && let Some((_, media)) = content.iter().next()
        && let Some(schema) = media.get("schema")
    {
        flatten(&op.document, schema, "", 0, &mut out);
    }
    out
}

/// The union of the fields of every 2xx answer.
fn response_fields(op: &SpecOperation) -> BTreeMap<String, Field> {
    let mut out = BTreeMap::new();
    for (status, response) in op.operation["responses"].as_object().into_iter().flatten() {
        if !status.starts_with('2') {
            continue;
        }
        let response = resolve(&op.document, response);
        for (media, content) in response
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if media.contains("json")
                && let Some(schema) = content.get("schema")
            {
                flatten(&op.document, schema, "", 0, &mut out);
            }
        }
    }
    out
}

fn first_success_media(op: &SpecOperation) -> String {
    op.operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, r)| {
            resolve(&op.document, r)
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.keys().next().cloned())
        })
        .unwrap_or_default()
}

fn compare_fields(
    name: &str,
    side: &str,
    vendor: &[VendorField],
    ours: &BTreeMap<String, Field>,
    found: &mut Vec<Difference>,
) {
    let theirs: BTreeMap<String, &VendorField> =
        vendor.iter().map(|f| (f.path.clone(), f)).collect();
    for (path, field) in &theirs {
        let at = format!("{side}.{path}");
        match ours.get(path) {
            None => found.push(difference(
                name,
                at,
                Found::Missing,
                "the vendor's, not in the spec",
            )),
            Some(mine) => {
                let same_kind = mine.kind == field.kind
                    || (field.kind == "number" && mine.kind == "integer")
                    || mine.kind == "any";
                if !same_kind {
                    found.push(difference(
                        name,
                        at.clone(),
                        Found::Shape,
                        format!("type: vendor {}, spec {}", field.kind, mine.kind),
                    ));
                }
                if side == "request"
                    && let Some(required) = field.required
                    && required != mine.required
                {
                    found.push(difference(
                        name,
                        at,
                        Found::Required,
                        format!("required: vendor {}, spec {}", required, mine.required),
                    ));
                }
            }
        }
    }
    for path in ours.keys() {
        if !theirs.contains_key(path) {
            found.push(difference(
                name,
                format!("{side}.{path}"),
                Found::Added,
                "in the spec, not the vendor's",
            ));
        }
    }
}

/// Whether `deviation` explains `found`: same operation, at its place or
/// under it, and of a kind it explains.
fn covers(deviation: &Deviation, found: &Difference) -> bool {
    let at = found.at.as_str();
    deviation.operation == found.operation
        && deviation.kind.explains(found.found)
        && (at == deviation.at
            || at.starts_with(&format!("{}.", deviation.at))
            || at.starts_with(&format!("{}[]", deviation.at)))
}

fn differences() -> Vec<Difference> {
    let facts = load_facts();
    let ops = spec_operations();
    let mut found = Vec::new();
    let mut claimed = BTreeSet::new();
    for op in &ops {
        let id = op.operation["operationId"].as_str().unwrap_or_default();
        let Some(vendor_name) = op.operation.get("x-vendor-operation") else {
            found.push(difference(
                &format!("{}:{id}", op.spec),
                "operation",
                Found::Shape,
                "has no x-vendor-operation (a vendor operation name, or {none: why})",
            ));
            continue;
        };
        let Some(vendor_name) = vendor_name.as_str() else {
            assert!(
                vendor_name
                    .pointer("/none")
                    .and_then(Value::as_str)
                    .is_some(),
                "{id}: x-vendor-operation is a name or {{none: reason}}"
            );
            continue;
        };
        claimed.insert(vendor_name.to_owned());
        let Some(vendor) = facts.iter().find(|f| f.operation == vendor_name) else {
            found.push(difference(
                vendor_name,
                "operation",
                Found::Shape,
                format!("{id} names it, but no facts file has it"),
            ));
            continue;
        };
        let name = vendor.operation.as_str();
        if vendor.method != op.method || vendor.path != op.path {
            found.push(difference(
                name,
                "operation",
                Found::Shape,
                format!(
                    "vendor {} {}, spec {} {}",
                    vendor.method, vendor.path, op.method, op.path
                ),
            ));
        }
        let content_type = op
            .operation
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
            .and_then(|c| c.keys().next().cloned())
            .unwrap_or_default();
        if !vendor.request.is_empty() && vendor.content_type != content_type {
            found.push(difference(
                name,
                "content_type",
                Found::Shape,
                format!("vendor {}, spec {content_type}", vendor.content_type),
            ));
        }
        let accept = first_success_media(op);
        if !vendor.accept.is_empty() && vendor.accept != accept {
            found.push(difference(
                name,
                "accept",
                Found::Shape,
                format!("vendor {}, spec {accept}", vendor.accept),
            ));
        }
        let parameters: Vec<&Value> = op.operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&op.document, p))
            .collect();
        for p in &vendor.parameters {
            let mine = parameters.iter().find(|q| {
                q["name"].as_str().is_some_and(|n| {
                    n.eq_ignore_ascii_case(&p.name)
                        || n.replace('-', "").eq_ignore_ascii_case(&p.name)
                })
            });
            match mine {
                None => found.push(difference(
                    name,
                    format!("parameter.{}", p.name),
                    Found::Missing,
                    format!("the vendor's ({}), not in the spec", p.location),
                )),
                Some(q) if q["required"].as_bool().unwrap_or(false) != p.required => {
                    found.push(difference(
                        name,
                        format!("parameter.{}", p.name),
                        Found::Required,
                        format!("required: vendor {}", p.required),
                    ))
                }
                Some(_) => {}
            }
        }
        compare_fields(
            name,
            "request",
            &vendor.request,
            &request_fields(op),
            &mut found,
        );
        if !vendor.response.is_empty() {
            compare_fields(
                name,
                "response",
                &vendor.response,
                &response_fields(op),
                &mut found,
            );
        }
    }
    for vendor in &facts {
        if !claimed.contains(&vendor.operation) {
            found.push(difference(
                &vendor.operation,
                "operation",
                Found::Missing,
                "the vendor's, no spec operation names it",
            ));
        }
    }
    found
}

/// The README's table of differences, as `deviations.yaml` makes it.
fn readme_table(deviations: &[Deviation]) -> String {
    let mut rows: Vec<&Deviation> = deviations.iter().collect();
    rows.sort_by(|a, b| (a.kind, &a.operation, &a.at).cmp(&(b.kind, &b.operation, &b.at)));
    let mut table = String::from("| vendor operation | where | kind | why |\n|---|---|---|---|\n");
    for d in rows {
        table.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            d.operation,
            d.at,
            d.kind.label(),
            d.reason.replace('|', "\\|").replace('\n', " ")
        ));
    }
    table
}

#[test]
fn every_difference_from_the_vendors_definitions_is_explained() {
    let deviations = load_deviations();
    let found = differences();
    let unexplained: Vec<&Difference> = found
        .iter()
        .filter(|f| !deviations.iter().any(|d| covers(d, f)))
        .collect();
    let stale: Vec<&Deviation> = deviations
        .iter()
        .filter(|d| !found.iter().any(|f| covers(d, f)))
        .collect();
    let mut report = String::new();
    for f in &unexplained {
        report.push_str(&format!(
            "unexplained: {} {} ({:?}): {}\n",
            f.operation, f.at, f.found, f.what
        ));
    }
    for d in &stale {
        report.push_str(&format!(
            "stale (no such difference any more): {} {}\n",
            d.operation, d.at
        ));
    }
    assert!(
        report.is_empty(),
        "{report}\nexplain each in conformance/deviations.yaml or change the spec"
    );
}

#[test]
fn the_readme_lists_every_difference() {
    let table = readme_table(&load_deviations());
    assert!(
        readme_has(&table),
        "README.md's table of differences from the vendors (section \"Where payclient differs from the vendors\") must read:\n\n{table}"
    );
}

/// Whether README.md holds `table` exactly: from its header line to the
/// first line that is not a row.
fn readme_has(table: &str) -> bool {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let header = table.lines().next().unwrap_or_default();
    let written: String = readme
        .lines()
        .skip_while(|line| *line != header)
        .take_while(|line| line.starts_with('|'))
        .map(|line| format!("{line}\n"))
        .collect();
    written == table
}

/// Every `x-vendor-differs` note of the specs (where a spec follows the
/// vendor against its product document): (spec, where, note), where the
/// operation id, the component (with a member path inside it), or
/// `(the whole spec)`.
fn document_differences() -> Vec<(String, String, String)> {
    fn walk(value: &Value, at: &str, spec: &str, out: &mut Vec<(String, String, String)>) {
        let Some(object) = value.as_object() else {
            return;
        };
        if let Some(note) = object.get("x-vendor-differs").and_then(Value::as_str) {
            out.push((
                spec.to_owned(),
                at.to_owned(),
                note.split_whitespace().collect::<Vec<_>>().join(" "),
            ));
        }
        if let Some(members) = object.get("properties").and_then(Value::as_object) {
            for (name, member) in members {
                walk(member, &format!("{at}.{name}"), spec, out);
            }
        }
        if let Some(items) = object.get("items") {
            walk(items, &format!("{at}[]"), spec, out);
        }
    }
    let mut out = Vec::new();
    for (product, document) in crate::support::spec_documents() {
        let name = format!("{product}.yaml");
        walk(&document["info"], "(the whole spec)", &name, &mut out);
        for item in document["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                    walk(operation, id, &name, &mut out);
                }
            }
        }
        for (component, schema) in document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            walk(schema, component, &name, &mut out);
        }
    }
    out
}

#[test]
fn the_readme_lists_every_spot_where_a_spec_follows_the_vendor_against_its_document() {
    let notes = document_differences();
    assert!(
        notes.len() >= 15,
        "the specs' x-vendor-differs notes were not found ({})",
        notes.len()
    );
    let mut table = String::from(
        "| spec | where | the product document, and the vendor's definition the spec follows |\n|---|---|---|\n",
    );
    for (spec, at, note) in &notes {
        table.push_str(&format!(
            "| `{spec}` | `{at}` | {} |\n",
            note.replace('|', "\\|")
        ));
    }
    assert!(
        readme_has(&table),
        "README.md's table of the documents' differences from the vendors (section \"Where payclient differs from the vendors\") must read:\n\n{table}"
    );
}

#[test]
fn the_comparison_sees_fields_types_and_required_ness() {
    // The walk itself: a field missing, a type and a required-ness changed.
    let document = serde_json::json!({"components": {"schemas": {"A": {"type": "object",
        "required": ["x"], "properties": {"x": {"type": "string"},
        "list": {"type": "array", "items": {"type": "object", "properties": {"y": {"type": "boolean"}}}}}}}}});
    let mut ours = BTreeMap::new();
    flatten(
        &document,
        &serde_json::json!({"$ref": "#/components/schemas/A"}),
        "",
        0,
        &mut ours,
    );
    assert_eq!(
        ours.keys().cloned().collect::<Vec<_>>(),
        ["list", "list[].y", "x"]
    );
    let vendor = vec![
        VendorField {
            path: "x".into(),
            kind: "string".into(),
            required: Some(false),
        },
        VendorField {
            path: "list[].y".into(),
            kind: "string".into(),
            required: Some(false),
        },
        VendorField {
            path: "z".into(),
            kind: "string".into(),
            required: Some(false),
        },
    ];
    let mut found = Vec::new();
    compare_fields("op", "request", &vendor, &ours, &mut found);
    let whats: Vec<(String, String)> = found.into_iter().map(|f| (f.at, f.what)).collect();
    assert_eq!(
        whats,
        [
            (
                "request.list[].y".to_owned(),
                "type: vendor string, spec boolean".to_owned()
            ),
            (
                "request.x".to_owned(),
                "required: vendor false, spec true".to_owned()
            ),
            (
                "request.z".to_owned(),
                "the vendor's, not in the spec".to_owned()
            ),
            (
                "request.list".to_owned(),
                "in the spec, not the vendor's".to_owned()
            ),
        ]
    );
}
