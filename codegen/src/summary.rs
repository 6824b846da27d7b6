//! A readable summary of what one spec generated, for insta snapshots: a
//! spec change shows in review as a diff of this text.

use std::fmt::Write as _;

use serde_json::Value;

use crate::Product;
use crate::render::OperationRow;
use crate::view::Rewrite;

fn schema_label(media: &Value) -> String {
    match media.get("schema") {
        None => "no schema".to_owned(),
        Some(schema) => match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => r.trim_start_matches("#/components/schemas/").to_owned(),
            None => schema
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("inline")
                .to_owned(),
        },
    }
}

/// Everything the summary is made from.
pub struct SummaryInput<'a> {
    /// The product.
    pub product: &'a Product,
    /// The spec path as shown.
    pub spec_display: &'a str,
    /// SHA-256 of the spec file.
    pub spec_sha256: &'a str,
    /// The spec as written.
    pub document: &'a Value,
    /// The operation table.
    pub rows: &'a [OperationRow],
    /// What the codegen view changed.
    pub rewrites: &'a [Rewrite],
    /// Generated type names.
    pub type_names: &'a [String],
    /// Components replaced by the redacting type.
    pub sensitive: &'a [String],
}

/// Renders the summary text.
pub fn summarize(input: &SummaryInput<'_>) -> String {
    let SummaryInput {
        product,
        spec_display,
        spec_sha256,
        document,
        rows,
        rewrites,
        type_names,
        sensitive,
    } = *input;
    let mut s = String::new();
    // Writing into a String cannot fail; the results are ignored below.
    let title = document
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("");
    let version = document
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("");
    let _ = writeln!(s, "{title} (version {version})");
    let _ = writeln!(s, "spec: {spec_display}");
    let _ = writeln!(s, "spec sha256: {spec_sha256}");
    let _ = writeln!(
        s,
        "crate: {} in generated/{}",
        product.crate_name(),
        product.name
    );
    let _ = writeln!(s, "servers:");
    for server in document
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let url = server.get("url").and_then(Value::as_str).unwrap_or("");
        let description = server
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let _ = writeln!(s, "  {url}  ({description})");
    }
    let _ = writeln!(s, "\noperations ({}):", rows.len());
    for row in rows {
        let _ = writeln!(s, "  {}: {} {}", row.id, row.method, row.path);
        if !row.authenticated {
            let _ = writeln!(s, "    unauthenticated (security: [])");
        }
        if !row.retry {
            let _ = writeln!(s, "    never retried automatically");
        }
        if row.idempotent {
            let _ = writeln!(s, "    safe to repeat: retried after timeouts and 5xx");
        }
        if row.message_encryption != "Off" {
            let _ = writeln!(
                s,
                "    message-level encryption: {}",
                row.message_encryption
            );
        }
        if let Some(limit) = row.max_response_bytes {
            let _ = writeln!(s, "    success answers of at most {limit} bytes");
        }
        let escaped = row.path.replace('~', "~0").replace('/', "~1");
        let Some(operation) = document.pointer(&format!(
            "/paths/{escaped}/{}",
            row.method.to_ascii_lowercase()
        )) else {
            continue;
        };
        for parameter in operation
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
        {
            let text = |key: &str| {
                parameter
                    .pointer(&format!("/schema/{key}"))
                    .map_or_else(|| "?".to_owned(), |v| v.to_string())
            };
            let _ = writeln!(
                s,
                "    path parameter {}: pattern {}, at most {} characters",
                parameter.get("name").and_then(Value::as_str).unwrap_or("?"),
                text("pattern"),
                text("maxLength"),
            );
        }
        if let Some(content) = operation
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
        {
            for (media_type, media) in content {
                let _ = writeln!(s, "    request: {media_type} -> {}", schema_label(media));
            }
        }
        for (status, response) in operation
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            match response.get("content").and_then(Value::as_object) {
                Some(content) if !content.is_empty() => {
                    for (media_type, media) in content {
                        let _ =
                            writeln!(s, "    {status}: {media_type} -> {}", schema_label(media));
                    }
                }
                _ => {
                    let _ = writeln!(s, "    {status}: no body");
                }
            }
        }
        for rewrite in rewrites.iter().filter(|r| r.target == row.id) {
            let _ = writeln!(s, "    codegen view: {}: {}", rewrite.name, rewrite.detail);
        }
    }
    let schema_rewrites: Vec<&Rewrite> = rewrites
        .iter()
        .filter(|r| !rows.iter().any(|row| row.id == r.target))
        .collect();
    let _ = writeln!(s, "\nschema rewrites ({}):", schema_rewrites.len());
    for rewrite in schema_rewrites {
        let _ = writeln!(
            s,
            "  {}: {}: {}",
            rewrite.name, rewrite.target, rewrite.detail
        );
    }
    let _ = writeln!(
        s,
        "\nsensitive (redacting Debug: {}): {}",
        crate::render::SENSITIVE_TYPE,
        if sensitive.is_empty() {
            "none".to_owned()
        } else {
            sensitive.join(", ")
        }
    );
    let _ = writeln!(s, "\ngenerated types ({}):", type_names.len());
    for name in type_names {
        let _ = writeln!(s, "  {name}");
    }
    s
}
