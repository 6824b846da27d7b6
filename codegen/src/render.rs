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
    /// The names of the header parameters, as the spec writes them.
    pub header_parameters: Vec<String>,
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
            let header_parameters = [item.get("parameters"), operation.get("parameters")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .filter(|p| p.get("in").and_then(Value::as_str) == Some("header"))
                .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect();
            rows.push(OperationRow {
                header_parameters,
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

/// The Rust type every `x-payclient-sensitive: true` string schema without
/// constraints becomes.
pub const SENSITIVE_TYPE: &str = "::payclient_core::Sensitive<::std::string::String>";

/// The Rust type of each sensitive component of the codegen view: its
/// checked text inside `Sensitive` when the view made one (see
/// [`crate::view::constrained_sensitive_text`]), else [`SENSITIVE_TYPE`].
pub fn sensitive_types(view: &Value, sensitive: &[String]) -> Vec<(String, String)> {
    sensitive
        .iter()
        .map(|name| {
            let text = format!("{name}{}", crate::view::SENSITIVE_TEXT_SUFFIX);
            let rust = if view
                .pointer(&format!("/components/schemas/{text}"))
                .is_some()
            {
                format!("::payclient_core::Sensitive<crate::types::{text}>")
            } else {
                SENSITIVE_TYPE.to_owned()
            };
            (name.clone(), rust)
        })
        .collect()
}

/// The Rust type of a response member the spec does not name: its value is
/// kept, its `Debug` never shows it. The codegen view points unknown members
/// at [`crate::view::UNKNOWN_MEMBER`], which becomes this type.
pub const UNKNOWN_MEMBER_TYPE: &str = "::payclient_core::UnknownMember";

/// One open enum of the codegen view (see [`crate::view::OPEN_ENUM_MARK`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The type name (the component's).
    pub name: String,
    /// The known values, in spec order.
    pub values: Vec<String>,
    /// The schema's description.
    pub description: Option<String>,
}

/// The open enums the codegen view made, by component name.
pub fn open_enums(view: &Value) -> Vec<OpenEnum> {
    view.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .filter_map(|(name, schema)| {
                    let values = schema.get(crate::view::OPEN_ENUM_MARK)?.as_array()?;
                    Some(OpenEnum {
                        name: name.clone(),
                        values: values
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect(),
                        description: schema
                            .get("description")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The variant name of an enum value: `StepUpAuthenticate` for
/// `STEP_UP_AUTHENTICATE`, `ActionRequired` for `Action Required`,
/// `PayLater` for `PayLater`, `V3ds` for `3ds`.
pub fn variant_name(value: &str) -> String {
    let mut name = String::new();
    for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        let Some(first) = chars.next() else {
            continue;
        };
        name.push(first.to_ascii_uppercase());
        let rest = chars.as_str();
        if part.chars().any(|c| c.is_ascii_lowercase()) {
            name.push_str(rest);
        } else {
            name.push_str(&rest.to_ascii_lowercase());
        }
    }
    if name.is_empty() {
        return "Empty".to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    name
}

/// The Rust of one open enum: a variant per known value, `Unknown` for any
/// other, read and written as the bare string.
fn open_enum_items(e: &OpenEnum) -> Result<String, RenderError> {
    let variants: Vec<(String, &str)> = e
        .values
        .iter()
        .map(|v| (variant_name(v), v.as_str()))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (variant, _) in &variants {
        if variant == "Unknown" || !seen.insert(variant.clone()) {
            return Err(RenderError(format!(
                "open enum `{}`: two values (or `Unknown`) would both be variant `{variant}`",
                e.name
            )));
        }
    }
    let name = &e.name;
    let doc = e
        .description
        .as_deref()
        .unwrap_or("A value the vendor sends.");
    let mut decl = String::new();
    let mut as_str = String::new();
    let mut from = String::new();
    for (variant, value) in &variants {
        let _ = writeln!(decl, "#[doc = {:?}] {variant},", format!("`{value}`"));
        let _ = writeln!(as_str, "Self::{variant} => {value:?},");
        let _ = writeln!(from, "{value:?} => Self::{variant},");
    }
    Ok(format!(
        r#"
#[doc = {doc:?}]
///
/// An open enum: a value this version does not know is kept in `Unknown`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum {name} {{
    {decl}
    /// A value this version does not know, as the vendor sent it.
    Unknown(::std::string::String),
}}

impl {name} {{
    /// The value as the vendor writes it.
    pub fn as_str(&self) -> &str {{
        match self {{
            {as_str}
            Self::Unknown(value) => value,
        }}
    }}
}}

impl ::std::convert::From<&str> for {name} {{
    fn from(value: &str) -> Self {{
        match value {{
            {from}
            other => Self::Unknown(other.to_owned()),
        }}
    }}
}}

impl ::std::str::FromStr for {name} {{
    type Err = ::std::convert::Infallible;
    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {{
        Ok(Self::from(value))
    }}
}}

impl ::std::fmt::Display for {name} {{
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{
        f.write_str(self.as_str())
    }}
}}

impl ::serde::Serialize for {name} {{
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {{
        serializer.serialize_str(self.as_str())
    }}
}}

impl<'de> ::serde::Deserialize<'de> for {name} {{
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {{
        let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
        Ok(match value.as_str() {{
            {from}
            _ => Self::Unknown(value),
        }})
    }}
}}
"#
    ))
}

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
/// `sensitive` components become the given `Sensitive` types.
pub fn render(
    product: &Product,
    spec_display: &str,
    spec_sha256: &str,
    view: &openapiv3::OpenAPI,
    rows: &[OperationRow],
    sensitive: &[(String, String)],
    open: &[OpenEnum],
) -> Result<Rendered, RenderError> {
    let mut settings = progenitor::GenerationSettings::default();
    for (name, rust) in sensitive {
        settings.with_replacement(name, rust, std::iter::empty());
    }
    for e in open {
        settings.with_replacement(
            &e.name,
            format!("crate::types::{}", e.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    settings.with_replacement(
        crate::view::UNKNOWN_MEMBER,
        UNKNOWN_MEMBER_TYPE,
        std::iter::empty(),
    );
    let inner: proc_macro2::TokenStream = "::payclient_core::Hooks"
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

    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| RenderError(format!("progenitor emitted invalid Rust: {e}")))?;
    add_to_types(&mut file, open)?;
    let calls = builder_calls(&file)?;
    let extra: syn::File = syn::parse_file(&glue(rows, &calls)?)
        .map_err(|e| RenderError(format!("operation table: {e}")))?;
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
         //! Every request passes through [`payclient_core::Hooks`] (see `operations::ALL`).\n\n",
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

/// Puts the open enums into the `types` module, beside the types that use them.
fn add_to_types(file: &mut syn::File, open: &[OpenEnum]) -> Result<(), RenderError> {
    if open.is_empty() {
        return Ok(());
    }
    let types = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| RenderError("progenitor emitted no `types` module".to_owned()))?;
    for e in open {
        let items: syn::File = syn::parse_file(&open_enum_items(e)?)
            .map_err(|err| RenderError(format!("open enum `{}`: {err}", e.name)))?;
        types.1.extend(items.items);
    }
    Ok(())
}

/// One builder progenitor generated: its type, its operation and what a
/// success answer decodes to, read back from the generated `send`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderCall {
    /// The builder's type name in `builder`, e.g. `SubmitPaymentSession`.
    pub builder: String,
    /// The `operationId` its `send` names.
    pub operation_id: String,
    /// `T` of `ResponseValue<T>` in `send`'s return type, as Rust text.
    pub output: String,
    /// The builder's fields but its client: name and `T` of its
    /// `Result<T, String>`, as Rust text (`body`'s `T` is the builder form
    /// of the body type, or `reqwest :: Body` for a raw body).
    pub fields: Vec<(String, String)>,
    /// The arms of `send`'s final `match` on the status, as Rust text: how
    /// each documented success status decodes (the catch-all included).
    pub arms: String,
}

/// Reads every builder's `send` in progenitor's output: the operation it
/// names in `OperationInfo` and its success type. Its error type must be
/// `()`: the codegen view leaves every error answer to payclient's pipeline.
pub fn builder_calls(file: &syn::File) -> Result<Vec<BuilderCall>, RenderError> {
    use quote::ToTokens as _;
    let builder = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or_else(|| RenderError("progenitor emitted no `builder` module".to_owned()))?;
    let structs: std::collections::BTreeMap<String, &syn::ItemStruct> = builder
        .1
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some((s.ident.to_string(), s)),
            _ => None,
        })
        .collect();
    let mut calls = Vec::new();
    for item in &builder.1 {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = block.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for impl_item in &block.items {
            let syn::ImplItem::Fn(f) = impl_item else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            let body = f.block.to_token_stream().to_string();
            let operation_id = body
                .split("operation_id :")
                .nth(1)
                .and_then(|rest| rest.split('"').nth(1))
                .ok_or_else(|| RenderError(format!("`{name}::send` names no operation")))?;
            let syn::ReturnType::Type(_, output) = &f.sig.output else {
                return Err(RenderError(format!("`{name}::send` returns nothing")));
            };
            let (ok, err) = result_arguments(output)
                .ok_or_else(|| RenderError(format!("`{name}::send` does not return a Result")))?;
            let value = single_argument(ok, "ResponseValue").ok_or_else(|| {
                RenderError(format!("`{name}::send` does not return a ResponseValue"))
            })?;
            let error = single_argument(err, "Error")
                .map(|t| t.to_token_stream().to_string())
                .unwrap_or_else(|| "()".to_owned());
            if error != "()" {
                return Err(RenderError(format!(
                    "`{name}::send` has typed error answers ({error}); the codegen view must leave them to the pipeline"
                )));
            }
            let fields = structs
                .get(&name)
                .map(|s| builder_fields(s))
                .transpose()?
                .unwrap_or_default();
            let arms = match f.block.stmts.last() {
                Some(syn::Stmt::Expr(syn::Expr::Match(m), None)) => m
                    .arms
                    .iter()
                    .map(|arm| arm.to_token_stream().to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            };
            calls.push(BuilderCall {
                builder: name.clone(),
                operation_id: operation_id.to_owned(),
                output: value.to_token_stream().to_string(),
                fields,
                arms,
            });
        }
    }
    calls.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    Ok(calls)
}

/// A builder's fields but `client`: each name with `T` of its `Result<T, String>`.
fn builder_fields(item: &syn::ItemStruct) -> Result<Vec<(String, String)>, RenderError> {
    use quote::ToTokens as _;
    let mut fields = Vec::new();
    for field in &item.fields {
        let Some(name) = field.ident.as_ref().map(ToString::to_string) else {
            continue;
        };
        if name == "client" {
            continue;
        }
        let (ty, _) = result_arguments(&field.ty).ok_or_else(|| {
            RenderError(format!(
                "builder `{}`: field `{name}` is not a Result",
                item.ident
            ))
        })?;
        fields.push((name, ty.to_token_stream().to_string()));
    }
    Ok(fields)
}

/// `(T, E)` of a `Result<T, E>` type.
fn result_arguments(ty: &syn::Type) -> Option<(&syn::Type, &syn::Type)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    Some((types.next()?, types.next()?))
}

/// `T` of `Wrapper<T>` (the last path segment named `wrapper`); `None` for
/// a bare `Wrapper`.
fn single_argument<'a>(ty: &'a syn::Type, wrapper: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// `SUBMIT_PAYMENT_SESSION` for `submit_payment_session`.
pub fn operation_const(id: &str) -> String {
    id.to_ascii_uppercase()
}

/// The operation table, the fixed hook implementation and the `Call`
/// implementations appended to every crate.
fn glue(rows: &[OperationRow], calls: &[BuilderCall]) -> Result<String, RenderError> {
    let media = |v: &Option<String>| match v {
        Some(s) => format!("Some(::reqwest::header::HeaderValue::from_static({s:?}))"),
        None => "None".to_owned(),
    };
    let mut statics = String::new();
    let mut all = String::new();
    let mut by_id = String::new();
    for row in rows {
        let name = operation_const(&row.id);
        let _ = writeln!(
            statics,
            "/// `{method} {path}`.\npub static {name}: ::payclient_core::Operation = ::payclient_core::Operation {{ id: {id:?}, method: {method:?}, path: {path:?}, request_content_type: {content_type}, accept: {accept}, message_encryption: ::payclient_core::MessageEncryption::{mle}, idempotent: {idempotent}, retry: {retry}, authenticated: {authenticated}, max_response_bytes: {max} }};",
            id = row.id,
            method = row.method,
            path = row.path,
            content_type = media(&row.request_content_type),
            accept = media(&row.accept),
            mle = row.message_encryption,
            idempotent = row.idempotent,
            retry = row.retry,
            authenticated = row.authenticated,
            max = row
                .max_response_bytes
                .map_or_else(|| "None".to_owned(), |n| format!("Some({n})")),
        );
        let _ = writeln!(all, "&{name},");
        let _ = writeln!(by_id, "{:?} => Some(&{name}),", row.id);
    }
    let mut impls = String::new();
    let mut direct = String::new();
    for call in calls {
        let row = rows
            .iter()
            .find(|r| r.id == call.operation_id)
            .ok_or_else(|| {
                RenderError(format!(
                    "operation `{}` has a builder but no row in the operation table",
                    call.operation_id
                ))
            })?;
        let (item, call_impl) = direct_call(row, call)?;
        direct.push_str(&item);
        impls.push_str(&call_impl);
        let _ = writeln!(
            impls,
            r#"impl<'a> ::payclient_core::Call for builder::{builder}<'a> {{
    type Output = {output};
    fn operation() -> &'static ::payclient_core::Operation {{
        &operations::{name}
    }}
    fn send(self) -> impl ::std::future::Future<Output = Result<ResponseValue<Self::Output>, Error<()>>> + Send {{
        builder::{builder}::send(self)
    }}
}}"#,
            builder = call.builder,
            output = call.output,
            name = operation_const(&call.operation_id),
        );
    }
    Ok(format!(
        r#"
/// Each operation as one typed call: its parameters and body by reference,
/// its request built directly and sent through the client's hooks (path
/// checks, media types, authentication, body limits). This is what
/// `payclient` sends; build one per attempt and hand it to a
/// `payclient_core::Pipeline`, or `payclient_core::Call::send` it once.
pub mod calls {{
    use super::types;

    {direct}
}}

/// What the spec says about each operation: one `static` per operation.
pub mod operations {{
    {statics}

    /// Every operation of this spec, in spec order.
    pub static ALL: &[&::payclient_core::Operation] = &[
        {all}
    ];

    /// The operation whose `operationId` is `id`.
    pub fn by_id(id: &str) -> Option<&'static ::payclient_core::Operation> {{
        match id {{
            {by_id}
            _ => None,
        }}
    }}
}}

impl ClientHooks<::payclient_core::Hooks> for Client {{
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error<E>> {{
        let Some(operation) = operations::by_id(info.operation_id) else {{
            return Err(Error::Custom(format!("operation `{{}}` is not in the operation table", info.operation_id)));
        }};
        self.inner
            .prepare(operation, &self.baseurl, request)
            .map_err(::payclient_core::HookError::into_call_error)
    }}

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {{
        match operations::by_id(info.operation_id) {{
            Some(operation) => self.inner.execute(operation, &self.client, request).await,
            // `pre` refused an unknown operation, so this is never reached.
            None => self.client.execute(request).await,
        }}
    }}
}}

{impls}
"#
    ))
}

/// `token_id` for `tokenId`, `cko_idempotency_key` for `Cko-Idempotency-Key`:
/// the field name progenitor gives a parameter.
fn field_name(parameter: &str) -> String {
    let mut out = String::new();
    let mut after_lower = false;
    for c in parameter.chars() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            after_lower = false;
        } else if c.is_ascii_uppercase() {
            if after_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            after_lower = false;
        } else {
            out.push(c);
            after_lower = true;
        }
    }
    out
}

/// The direct call of one operation: its struct in `calls` and its `Call`
/// implementation, from the operation's row (path template, header names)
/// and progenitor's builder (field types, success arms).
fn direct_call(row: &OperationRow, call: &BuilderCall) -> Result<(String, String), RenderError> {
    use quote::ToTokens as _;
    let refuse = |what: String| RenderError(format!("operation `{}`: {what}", row.id));
    let field_type = |name: &str| {
        call.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| refuse(format!("the builder has no field `{name}`")))
    };
    let mut used = Vec::new();
    let mut members = String::new();
    let mut steps = String::new();

    // The URL: the template with each parameter encoded, after the base URL.
    let mut template = String::from("{}");
    let mut arguments = String::from("client.baseurl");
    let mut rest = row.path.as_str();
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|at| open + at)
            .ok_or_else(|| refuse("an unclosed `{` in the path".to_owned()))?;
        template.push_str(&rest[..open]);
        template.push_str("{}");
        let parameter = &rest[open + 1..close];
        let field = field_name(parameter);
        let ty = field_type(&field)?;
        let _ = writeln!(
            members,
            "/// Path parameter `{parameter}`.\npub {field}: &'a {ty},"
        );
        let _ = write!(arguments, ", encode_path(&self.{field}.to_string())");
        used.push(field);
        rest = &rest[close + 1..];
    }
    template.push_str(rest);
    if template.contains('"') || template.contains('\\') {
        return Err(refuse(
            "the path cannot be written as a string literal".to_owned(),
        ));
    }
    let _ = writeln!(steps, "let url = format!(\"{template}\", {arguments});");
    let _ = writeln!(
        steps,
        "#[allow(unused_mut)]\nlet mut request = ::payclient_core::new_request(operation, &url)?;"
    );

    for header in &row.header_parameters {
        let field = field_name(header);
        let ty: syn::Type = syn::parse_str(&field_type(&field)?)
            .map_err(|e| refuse(format!("header `{header}`: {e}")))?;
        match single_argument(&ty, "Option") {
            Some(inner) => {
                let inner = inner.to_token_stream();
                let _ = writeln!(
                    members,
                    "/// Header `{header}`, sent when present.\npub {field}: Option<&'a {inner}>,"
                );
                let _ = writeln!(
                    steps,
                    "if let Some(value) = self.{field} {{ ::payclient_core::add_header(&mut request, {header:?}, &value.to_string())?; }}"
                );
            }
            None => {
                let ty = ty.to_token_stream();
                let _ = writeln!(members, "/// Header `{header}`.\npub {field}: &'a {ty},");
                let _ = writeln!(
                    steps,
                    "::payclient_core::add_header(&mut request, {header:?}, &self.{field}.to_string())?;"
                );
            }
        }
        used.push(field);
    }

    if let Some((_, ty)) = call.fields.iter().find(|(n, _)| n == "body") {
        let compact: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
        if compact == "reqwest::Body" {
            let _ = writeln!(
                members,
                "/// The request body, sent byte for byte.\npub body: &'a [u8],"
            );
            let _ = writeln!(
                steps,
                "::payclient_core::set_raw_body(&mut request, self.body);"
            );
        } else if let Some(name) = compact.strip_prefix("types::builder::") {
            let _ = writeln!(
                members,
                "/// The request body.\npub body: &'a types::{name},"
            );
            let _ = writeln!(
                steps,
                "::payclient_core::set_json_body(&mut request, self.body)?;"
            );
        } else {
            return Err(refuse(format!("a body of type `{ty}` is not supported")));
        }
        used.push("body".to_owned());
    }
    if let Some((name, _)) = call.fields.iter().find(|(n, _)| !used.contains(n)) {
        return Err(refuse(format!(
            "the builder's field `{name}` is neither a path or header parameter nor the body"
        )));
    }
    if call.arms.is_empty() {
        return Err(refuse(
            "its `send` ends in no match on the status".to_owned(),
        ));
    }

    let name = &call.builder;
    let item = format!(
        "/// `{method} {path}`: operation `{id}`.\n#[derive(Clone, Copy)]\npub struct {name}<'a> {{\n/// The generated client that sends it (base URL, HTTP client, hooks).\npub client: &'a super::Client,\n{members}}}\n",
        method = row.method,
        path = row.path,
        id = row.id,
    );
    let call_impl = format!(
        r#"impl<'a> ::payclient_core::Call for calls::{name}<'a> {{
    type Output = {output};
    fn operation() -> &'static ::payclient_core::Operation {{
        &operations::{constant}
    }}
    fn send(self) -> impl ::std::future::Future<Output = Result<ResponseValue<Self::Output>, Error<()>>> + Send {{
        async move {{
            let operation = &operations::{constant};
            let client = self.client;
            {steps}
            let response = client.inner.send(operation, &client.baseurl, &client.client, request).await?;
            match response.status().as_u16() {{ {arms} }}
        }}
    }}
}}
"#,
        output = call.output,
        constant = operation_const(&row.id),
        arms = call.arms,
    );
    Ok((item, call_impl))
}

fn manifest(product: &Product, lib_rs: &str, uses_futures: bool) -> String {
    let mut deps = vec![
        "payclient-core.workspace = true",
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
         repository.workspace = true\n\
         keywords.workspace = true\n\
         categories.workspace = true\n\
         readme = \"README.md\"\n\n\
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

/// The generated crate's `README.md`, its page on crates.io.
pub fn readme(product: &Product) -> String {
    format!(
        "<!-- @generated by `cargo xtask regen`. Do not edit. -->\n\
         # {crate_name}\n\n\
         The raw {title} client that payclient's `cargo xtask regen` generates\n\
         from `specs/{spec}.yaml` with progenitor and typify. Its API follows the\n\
         spec and changes with it.\n\n\
         Applications use the [`payclient`](https://crates.io/crates/payclient)\n\
         crate (feature `{spec}`), which signs, encrypts, validates and retries\n\
         the calls this crate only describes.\n\n\
         Licensed under either of Apache License, Version 2.0 or MIT license,\n\
         at your option.\n",
        crate_name = product.crate_name(),
        title = product.title,
        spec = product.name,
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
            "parameters": [
                {"name": "Cko-Idempotency-Key", "in": "header", "schema": {"type": "string"}},
                {"name": "id", "in": "path", "schema": {"type": "string"}}
            ],
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
                header_parameters: vec!["Cko-Idempotency-Key".into()],
            }]
        );
    }

    fn row(id: &str, method: &str, path: &str, headers: &[&str]) -> OperationRow {
        OperationRow {
            id: id.into(),
            method: method.into(),
            path: path.into(),
            request_content_type: None,
            accept: Some("application/json".into()),
            message_encryption: "Mandatory",
            idempotent: true,
            retry: true,
            authenticated: true,
            max_response_bytes: Some(16384),
            header_parameters: headers.iter().map(|h| (*h).to_owned()).collect(),
        }
    }

    fn call(builder: &str, id: &str, fields: &[(&str, &str)]) -> BuilderCall {
        BuilderCall {
            builder: builder.into(),
            operation_id: id.into(),
            output: "types :: A".into(),
            fields: fields
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect(),
            arms: "200u16 => ResponseValue :: from_response (response) . await , _ => Err (Error :: UnexpectedResponse (response)) ,".into(),
        }
    }

    #[test]
    fn glue_parses_as_rust() {
        let rows = vec![row("a", "GET", "/a", &[])];
        let calls = vec![call("A", "a", &[])];
        let file = syn::parse_file(&glue(&rows, &calls).expect("glue")).expect("valid Rust");
        // `calls`, `operations`, the hooks, the builder's and the direct call's `Call`.
        assert_eq!(file.items.len(), 5);
    }

    #[test]
    fn parameters_are_named_as_progenitor_names_their_fields() {
        assert_eq!(field_name("tokenId"), "token_id");
        assert_eq!(field_name("Cko-Idempotency-Key"), "cko_idempotency_key");
        assert_eq!(field_name("profile-id"), "profile_id");
        assert_eq!(field_name("kid"), "kid");
    }

    #[test]
    fn a_direct_call_builds_its_url_headers_and_body_from_typed_members() {
        let row = row(
            "submit",
            "POST",
            "/payment-sessions/{id}/submit",
            &["Cko-Idempotency-Key"],
        );
        let call = call(
            "Submit",
            "submit",
            &[
                ("id", "types :: SubmitId"),
                ("cko_idempotency_key", "Option < types :: Key >"),
                ("body", "types :: builder :: SubmitRequest"),
            ],
        );
        let (item, call_impl) = direct_call(&row, &call).expect("rendered");
        let item: syn::ItemStruct = syn::parse_str(&item).expect("a struct");
        let members: Vec<String> = item
            .fields
            .iter()
            .map(|f| {
                use quote::ToTokens as _;
                format!(
                    "{}: {}",
                    f.ident.as_ref().expect("named"),
                    f.ty.to_token_stream()
                )
            })
            .collect();
        assert_eq!(
            members,
            [
                "client: & 'a super :: Client",
                "id: & 'a types :: SubmitId",
                "cko_idempotency_key: Option < & 'a types :: Key >",
                "body: & 'a types :: SubmitRequest",
            ]
        );
        let call_impl: syn::ItemImpl = syn::parse_str(&call_impl).expect("an impl");
        let text = {
            use quote::ToTokens as _;
            call_impl.to_token_stream().to_string()
        };
        assert!(
            text.contains(r#""{}/payment-sessions/{}/submit""#),
            "{text}"
        );
        assert!(
            text.contains("encode_path (& self . id . to_string ())"),
            "{text}"
        );
        assert!(
            text.contains(r#"add_header (& mut request , "Cko-Idempotency-Key""#),
            "{text}"
        );
        assert!(
            text.contains("set_json_body (& mut request , self . body)"),
            "{text}"
        );
        assert!(
            text.contains("200u16 => ResponseValue :: from_response"),
            "{text}"
        );

        // A raw body is taken as bytes.
        let raw = self::call("Tokens", "tokens", &[("body", "reqwest :: Body")]);
        let (item, call_impl) =
            direct_call(&self::row("tokens", "POST", "/tokens", &[]), &raw).expect("rendered");
        assert!(item.contains("pub body: &'a [u8],"), "{item}");
        assert!(
            call_impl.contains("set_raw_body(&mut request, self.body)"),
            "{call_impl}"
        );
    }

    #[test]
    fn a_direct_call_refuses_what_it_cannot_send() {
        // A path parameter the builder has no field for.
        let err = direct_call(&row("a", "GET", "/a/{tokenId}", &[]), &call("A", "a", &[]))
            .expect_err("no field");
        assert!(err.0.contains("no field `token_id`"), "{}", err.0);
        // A builder field that is neither a parameter nor the body (a query).
        let err = direct_call(
            &row("a", "GET", "/a", &[]),
            &call("A", "a", &[("limit", "i64")]),
        )
        .expect_err("a query parameter");
        assert!(err.0.contains("`limit`"), "{}", err.0);
        // A body type that is neither JSON nor raw bytes.
        let err = direct_call(
            &row("a", "POST", "/a", &[]),
            &call("A", "a", &[("body", "Vec < u8 >")]),
        )
        .expect_err("a body type");
        assert!(err.0.contains("not supported"), "{}", err.0);
        // No match on the status to copy.
        let mut no_arms = call("A", "a", &[]);
        no_arms.arms.clear();
        assert!(direct_call(&row("a", "GET", "/a", &[]), &no_arms).is_err());
        // An operation the table does not know.
        assert!(glue(&[], &[call("A", "a", &[])]).is_err());
    }

    #[test]
    fn builder_calls_are_read_from_the_generated_send() {
        let file = syn::parse_file(
            r#"pub mod builder {
                pub struct GetA<'a> {
                    client: &'a super::Client,
                    id: Result<types::GetAId, String>,
                }
                impl<'a> GetA<'a> {
                    pub fn new() {}
                    pub async fn send(self) -> Result<ResponseValue<types::A>, Error<()>> {
                        let info = OperationInfo { operation_id: "get_a" };
                        match response.status().as_u16() {
                            200u16 => ResponseValue::from_response(response).await,
                            _ => Err(Error::UnexpectedResponse(response)),
                        }
                    }
                }
                impl<'a> PostB<'a> {
                    pub async fn send(self) -> Result<ResponseValue<ByteStream>, Error> {
                        let info = OperationInfo { operation_id: "post_b" };
                        todo!()
                    }
                }
            }"#,
        )
        .expect("Rust");
        let calls = builder_calls(&file).expect("calls");
        assert_eq!(
            calls,
            vec![
                BuilderCall {
                    builder: "GetA".into(),
                    operation_id: "get_a".into(),
                    output: "types :: A".into(),
                    fields: vec![("id".into(), "types :: GetAId".into())],
                    arms: "200u16 => ResponseValue :: from_response (response) . await , _ => Err (Error :: UnexpectedResponse (response)) ,".into(),
                },
                BuilderCall {
                    builder: "PostB".into(),
                    operation_id: "post_b".into(),
                    output: "ByteStream".into(),
                    fields: Vec::new(),
                    arms: String::new(),
                },
            ]
        );
        let typed_errors = syn::parse_file(
            r#"pub mod builder { impl<'a> C<'a> { pub async fn send(self) -> Result<ResponseValue<()>, Error<types::E>> { OperationInfo { operation_id: "c" } } } }"#,
        )
        .expect("Rust");
        assert!(builder_calls(&typed_errors).is_err());
    }

    #[test]
    fn open_enums_name_their_variants_and_parse() {
        assert_eq!(variant_name("STEP_UP_AUTHENTICATE"), "StepUpAuthenticate");
        assert_eq!(variant_name("Action Required"), "ActionRequired");
        assert_eq!(variant_name("PayLater"), "PayLater");
        assert_eq!(variant_name("3ds"), "V3ds");
        assert_eq!(variant_name(""), "Empty");
        let e = OpenEnum {
            name: "Status".into(),
            values: vec!["ACTIVE".into(), "PENDING".into()],
            description: None,
        };
        let file = syn::parse_file(&open_enum_items(&e).expect("items")).expect("valid Rust");
        assert!(file.items.len() >= 6);
        let clash = OpenEnum {
            name: "Status".into(),
            values: vec!["a-b".into(), "A_B".into()],
            description: None,
        };
        assert!(open_enum_items(&clash).is_err());
        let reserved = OpenEnum {
            name: "Status".into(),
            values: vec!["UNKNOWN".into()],
            description: None,
        };
        assert!(open_enum_items(&reserved).is_err());
    }

    #[test]
    fn normalize_fixes_line_endings_and_trailing_space() {
        assert_eq!(normalize("a  \r\nb\n\n\n"), "a\nb\n");
    }
}
