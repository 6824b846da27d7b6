//! Running progenitor on the codegen view and rendering deterministic text.

use std::fmt::Write as _;

use serde_json::Value;

use crate::Product;

/// The Rust source and manifest of one generated crate, plus what it holds.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `src/lib.rs`.
    pub lib_rs: String,
    /// `Cargo.toml`.
    pub cargo_toml: String,
    /// Names of the generated types, sorted.
    pub type_names: Vec<String>,
}

/// One row of the generated `operations::ALL` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    /// `operationId`.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The request body's media type as written in the spec.
    pub request_content_type: Option<String>,
    /// The first success response's media type, sent as `Accept`.
    pub accept: Option<String>,
    /// The spec's `x-mle`: `Off`, `Optional` or `Mandatory`.
    pub message_encryption: &'static str,
    /// GET/HEAD, or `x-payclient-idempotent: true`.
    pub idempotent: bool,
    /// `false` for `x-payclient-retry: false`.
    pub retry: bool,
    /// `false` for an operation-level `security: []`.
    pub authenticated: bool,
    /// `x-payclient-max-response-bytes`: the largest success answer.
    pub max_response_bytes: Option<u64>,
}

/// The operation table, read from the spec as written (before the codegen view).
pub fn operation_rows(document: &Value) -> Vec<OperationRow> {
    let mut rows = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return rows;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let request_content_type = operation
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .and_then(|c| c.keys().next().cloned());
            let accept = operation
                .get("responses")
                .and_then(Value::as_object)
                .and_then(|responses| {
                    responses
                        .iter()
                        .filter(|(status, _)| status.starts_with('2'))
                        .find_map(|(_, r)| {
                            r.get("content")
                                .and_then(Value::as_object)
                                .and_then(|c| c.keys().next().cloned())
                        })
                });
            let message_encryption = match operation.get("x-mle").and_then(Value::as_str) {
                Some("mandatory") => "Mandatory",
                Some("optional") => "Optional",
                _ => "Off",
            };
            let idempotent = matches!(method.as_str(), "get" | "head")
                || operation
                    .get("x-payclient-idempotent")
                    .and_then(Value::as_bool)
                    == Some(true);
            rows.push(OperationRow {
                id: id.to_owned(),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                request_content_type,
                accept,
                message_encryption,
                idempotent,
                retry: operation.get("x-payclient-retry").and_then(Value::as_bool) != Some(false),
                authenticated: operation
                    .get("security")
                    .and_then(Value::as_array)
                    .is_none_or(|s| !s.is_empty()),
                max_response_bytes: operation
                    .get("x-payclient-max-response-bytes")
                    .and_then(Value::as_u64),
            });
        }
    }
    rows
}

/// Why rendering failed (progenitor refused or panicked, or emitted bad Rust).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub String);

/// The Rust type every `x-payclient-sensitive: true` string schema becomes.
pub const SENSITIVE_TYPE: &str = "::payclient_runtime::Sensitive<::std::string::String>";

/// The Rust type of a response member the spec does not name: its value is
/// kept, its `Debug` never shows it. The codegen view points unknown members
/// at [`crate::view::UNKNOWN_MEMBER`], which becomes this type.
pub const UNKNOWN_MEMBER_TYPE: &str = "::payclient_runtime::UnknownMember";

/// Component names marked `x-payclient-sensitive: true`.
pub fn sensitive_components(document: &Value) -> Vec<String> {
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .filter(|(_, s)| {
                    s.get("x-payclient-sensitive").and_then(Value::as_bool) == Some(true)
                })
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs progenitor (builder interface, hooks expected) on the codegen view;
/// `sensitive` components become [`SENSITIVE_TYPE`].
pub fn render(
    product: &Product,
    spec_display: &str,
    spec_sha256: &str,
    view: &openapiv3::OpenAPI,
    rows: &[OperationRow],
    sensitive: &[String],
) -> Result<Rendered, RenderError> {
    let mut settings = progenitor::GenerationSettings::default();
    for name in sensitive {
        settings.with_replacement(name, SENSITIVE_TYPE, std::iter::empty());
    }
    settings.with_replacement(
        crate::view::UNKNOWN_MEMBER,
        UNKNOWN_MEMBER_TYPE,
        std::iter::empty(),
    );
    let inner: proc_macro2::TokenStream = "::payclient_runtime::Hooks"
        .parse()
        .map_err(|e| RenderError(format!("inner type: {e}")))?;
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(inner)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap")
        .with_timeout(30);
    let mut generator = progenitor::Generator::new(&settings);

    // progenitor asserts and `todo!()`s on some inputs; turn that into an error
    // that names the spec instead of a bare panic in the xtask.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(view)
    }))
    .map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown panic".to_owned());
        RenderError(format!("progenitor panicked: {message}"))
    })?
    .map_err(|e| RenderError(format!("progenitor: {e}")))?;

    // Only the named types the spec produced; builtins and `Option<…>` wrappers are noise.
    let mut type_names: Vec<String> = generator
        .get_type_space()
        .iter_types()
        .map(|t| t.name())
        .filter(|n| {
            n.starts_with(|c: char| c.is_ascii_uppercase())
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .collect();
    type_names.sort();
    type_names.dedup();

    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| RenderError(format!("progenitor emitted invalid Rust: {e}")))?;
    let extra: syn::File =
        syn::parse_file(&glue(rows)).map_err(|e| RenderError(format!("operation table: {e}")))?;
    let body = progenitor_impl::space_out_items(prettyplease::unparse(&file))
        .map_err(|e| RenderError(format!("formatting: {e}")))?;
    let glue_text = prettyplease::unparse(&extra);

    let mut lib_rs = String::new();
    // Writing into a String cannot fail.
    let _ = write!(
        lib_rs,
        "// @generated by `cargo xtask regen` from {spec_display} (sha256 {spec_sha256}).\n\
         // Do not edit: change the spec and run `cargo xtask regen`.\n\
         #![cfg_attr(rustfmt, rustfmt::skip)]\n\
         #![allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_pub)]\n\
         //! Raw {title} client generated from `{spec_display}` by progenitor {progenitor}.\n\
         //!\n\
         //! Applications use the `payclient` crate; this crate is its generated layer.\n\
         //! Every request passes through [`payclient_runtime::Hooks`] (see `operations::ALL`).\n\n",
        title = product.title,
        progenitor = crate::PROGENITOR_VERSION,
    );
    lib_rs.push_str(&body);
    lib_rs.push('\n');
    lib_rs.push_str(&glue_text);
    let lib_rs = normalize(&lib_rs);

    let cargo_toml = manifest(product, &lib_rs, generator.uses_futures());
    Ok(Rendered {
        lib_rs,
        cargo_toml,
        type_names,
    })
}

/// The operation table and the fixed hook implementation appended to every crate.
fn glue(rows: &[OperationRow]) -> String {
    let opt = |v: &Option<String>| match v {
        Some(s) => format!("Some({s:?})"),
        None => "None".to_owned(),
    };
    let mut table = String::new();
    for row in rows {
        let _ = writeln!(
            table,
            "::payclient_runtime::Operation {{ id: {:?}, method: {:?}, path: {:?}, request_content_type: {}, accept: {}, message_encryption: ::payclient_runtime::MessageEncryption::{}, idempotent: {}, retry: {}, authenticated: {}, max_response_bytes: {} }},",
            row.id,
            row.method,
            row.path,
            opt(&row.request_content_type),
            opt(&row.accept),
            row.message_encryption,
            row.idempotent,
            row.retry,
            row.authenticated,
            row.max_response_bytes
                .map_or_else(|| "None".to_owned(), |n| format!("Some({n})")),
        );
    }
    format!(
        r#"
/// What the spec says about each operation: method, path and the exact media types.
pub mod operations {{
    /// Every operation of this spec, in spec order.
    pub static ALL: &[::payclient_runtime::Operation] = &[
        {table}
    ];
}}

impl ClientHooks<::payclient_runtime::Hooks> for Client {{
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error<E>> {{
        self.inner
            .prepare(operations::ALL, info.operation_id, &self.baseurl, request)
            .await
            .map_err(|e| if e.is_invalid_request() {{
                Error::InvalidRequest(e.to_string())
            }} else {{
                Error::Custom(e.to_string())
            }})
    }}

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {{
        self.inner.execute(operations::ALL, info.operation_id, &self.client, request).await
    }}
}}
"#
    )
}

fn manifest(product: &Product, lib_rs: &str, uses_futures: bool) -> String {
    let mut deps = vec![
        "payclient-runtime.workspace = true",
        "progenitor-client.workspace = true",
        "reqwest.workspace = true",
        "serde.workspace = true",
        "serde_json.workspace = true",
    ];
    if lib_rs.contains("::regress::") {
        deps.push("regress.workspace = true");
    }
    if lib_rs.contains("::chrono::") {
        deps.push("chrono.workspace = true");
    }
    if lib_rs.contains("::uuid::") {
        deps.push("uuid.workspace = true");
    }
    if uses_futures {
        deps.push("futures.workspace = true");
    }
    deps.sort_unstable();
    format!(
        "# @generated by `cargo xtask regen`. Do not edit.\n\
         [package]\n\
         name = \"{name}\"\n\
         description = \"Raw {title} client generated from specs/{spec}.yaml; use the payclient crate.\"\n\
         edition.workspace = true\n\
         version.workspace = true\n\
         license.workspace = true\n\
         rust-version.workspace = true\n\
         publish = false\n\n\
         [lib]\n\
         path = \"src/lib.rs\"\n\n\
         [dependencies]\n\
         {deps}\n",
        name = product.crate_name(),
        title = product.title,
        spec = product.name,
        deps = deps.join("\n"),
    )
}

/// `\n` line endings, no trailing spaces, exactly one final newline.
pub fn normalize(text: &str) -> String {
    let mut out: String = text
        .replace("\r\n", "\n")
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operation_rows_keep_the_spec_media_types() {
        let doc = json!({"paths": {"/flex/v2/tokens": {"post": {
            "operationId": "tokenize",
            "requestBody": {"content": {"application/jwt": {}}},
            "responses": {"201": {"content": {"application/jwt": {}}}, "400": {"content": {"application/json": {}}}}
        }}}});
        assert_eq!(
            operation_rows(&doc),
            vec![OperationRow {
                id: "tokenize".into(),
                method: "POST".into(),
                path: "/flex/v2/tokens".into(),
                request_content_type: Some("application/jwt".into()),
                accept: Some("application/jwt".into()),
                message_encryption: "Off",
                idempotent: false,
                retry: true,
                authenticated: true,
                max_response_bytes: None,
            }]
        );
    }

    #[test]
    fn glue_parses_as_rust() {
        let rows = vec![OperationRow {
            id: "a".into(),
            method: "GET".into(),
            path: "/a".into(),
            request_content_type: None,
            accept: Some("application/json".into()),
            message_encryption: "Mandatory",
            idempotent: true,
            retry: true,
            authenticated: true,
            max_response_bytes: Some(16384),
        }];
        let file = syn::parse_file(&glue(&rows)).expect("valid Rust");
        assert_eq!(file.items.len(), 2);
    }

    #[test]
    fn normalize_fixes_line_endings_and_trailing_space() {
        assert_eq!(normalize("a  \r\nb\n\n\n"), "a\nb\n");
    }
}
