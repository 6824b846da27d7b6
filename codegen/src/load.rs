//! Reading a spec file: YAML → JSON value → `openapiv3::OpenAPI`, with errors
//! that say where the document stops being OpenAPI 3.0.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{JsonPath, SpecError};

/// A spec as written by hand, before the codegen view is applied.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file it came from (as given to [`load`]).
    pub file: PathBuf,
    /// The document as JSON; rewrites and the example checker work on this form.
    pub document: Value,
}

/// Reads and parses `file`; `display` is the name used in errors (usually
/// relative to the workspace root).
pub fn load(file: &Path, display: &Path) -> Result<Spec, SpecError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| SpecError::new(display, "$", format!("cannot read the file: {e}")))?;
    parse(&text, display)
}

/// Parses spec text; `display` is the file name used in errors.
pub fn parse(text: &str, display: &Path) -> Result<Spec, SpecError> {
    let document: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {} column {}", l.line(), l.column()))
            .unwrap_or_else(|| "$".to_owned());
        SpecError::new(display, at, format!("not valid YAML: {e}"))
    })?;
    let spec = Spec {
        file: display.to_path_buf(),
        document,
    };
    check_version(&spec)?;
    to_openapi(&spec.document, &spec.file)?;
    Ok(spec)
}

fn check_version(spec: &Spec) -> Result<(), SpecError> {
    let at = JsonPath::root().key("openapi");
    match spec.document.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") => Ok(()),
        Some(Value::String(v)) => Err(SpecError::new(
            &spec.file,
            at.as_str(),
            format!("OpenAPI version `{v}` is not supported: progenitor reads 3.0.x only"),
        )),
        Some(_) => Err(SpecError::new(
            &spec.file,
            at.as_str(),
            "must be a string such as \"3.0.3\"",
        )),
        None => Err(SpecError::new(
            &spec.file,
            at.as_str(),
            "missing: not an OpenAPI 3.0 document",
        )),
    }
}

/// Deserializes a JSON document into the `openapiv3` model, naming the path of
/// the first element that does not fit.
pub fn to_openapi(document: &Value, file: &Path) -> Result<openapiv3::OpenAPI, SpecError> {
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(document.clone()).map_err(|e| {
        // `openapiv3` flattens and uses untagged enums, which hide the path
        // below `paths` and `components`; look inside those piece by piece.
        let (path, reason) = refine(document).unwrap_or_else(|| {
            (
                to_json_path(&JsonPath::root(), e.path()),
                e.inner().to_string(),
            )
        });
        SpecError::new(
            file,
            path.as_str(),
            format!("not valid OpenAPI 3.0: {reason}"),
        )
    })
}

fn to_json_path(base: &JsonPath, path: &serde_path_to_error::Path) -> JsonPath {
    let mut out = base.clone();
    for segment in path.iter() {
        out = match segment {
            serde_path_to_error::Segment::Seq { index } => out.index(*index),
            serde_path_to_error::Segment::Map { key } => out.key(key),
            serde_path_to_error::Segment::Enum { variant } => out.key(variant),
            serde_path_to_error::Segment::Unknown => out,
        };
    }
    out
}

fn first_error<T: serde::de::DeserializeOwned>(
    value: &Value,
    at: &JsonPath,
) -> Option<(JsonPath, String)> {
    serde_path_to_error::deserialize::<_, T>(value.clone())
        .err()
        .map(|e| (to_json_path(at, e.path()), e.inner().to_string()))
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn refine(document: &Value) -> Option<(JsonPath, String)> {
    let root = JsonPath::root();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_at = root.key("paths").key(path);
            if let Some(methods) = item.as_object() {
                for (method, operation) in methods
                    .iter()
                    .filter(|(m, _)| METHODS.contains(&m.as_str()))
                {
                    let op_at = item_at.key(method);
                    if let Some(found) = refine_operation(operation, &op_at) {
                        return Some(found);
                    }
                }
            }
            if let Some(found) = first_error::<openapiv3::PathItem>(item, &item_at) {
                return Some(found);
            }
        }
    }
    if let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            let at = root.key("components").key("schemas").key(name);
            if let Some(found) =
                first_error::<openapiv3::ReferenceOr<openapiv3::Schema>>(schema, &at)
            {
                return Some(found);
            }
        }
    }
    None
}

fn refine_operation(operation: &Value, at: &JsonPath) -> Option<(JsonPath, String)> {
    if let Some(responses) = operation.get("responses") {
        let responses_at = at.key("responses");
        match responses.as_object() {
            Some(map) => {
                for (status, response) in map {
                    let found = first_error::<openapiv3::ReferenceOr<openapiv3::Response>>(
                        response,
                        &responses_at.key(status),
                    );
                    if found.is_some() {
                        return found;
                    }
                }
            }
            None => {
                return Some((
                    responses_at,
                    "expected a map of status codes to responses".to_owned(),
                ));
            }
        }
    }
    if let Some(body) = operation.get("requestBody") {
        let found = first_error::<openapiv3::ReferenceOr<openapiv3::RequestBody>>(
            body,
            &at.key("requestBody"),
        );
        if found.is_some() {
            return found;
        }
    }
    if let Some(parameters) = operation.get("parameters").and_then(Value::as_array) {
        for (i, parameter) in parameters.iter().enumerate() {
            let found = first_error::<openapiv3::ReferenceOr<openapiv3::Parameter>>(
                parameter,
                &at.key("parameters").index(i),
            );
            if found.is_some() {
                return found;
            }
        }
    }
    first_error::<openapiv3::Operation>(operation, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> SpecError {
        parse(text, Path::new("specs/t.yaml")).expect_err("must be refused")
    }

    #[test]
    fn refuses_openapi_31() {
        let err = parse_err("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
        assert_eq!(err.path, "$.openapi");
        assert!(err.reason.contains("3.0.x"), "{err}");
    }

    #[test]
    fn refuses_a_document_without_version() {
        let err = parse_err("info: {title: t, version: '1'}\npaths: {}\n");
        assert_eq!(err.path, "$.openapi");
    }

    #[test]
    fn names_the_path_of_a_structural_error() {
        let err = parse_err(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: 7\n",
        );
        assert_eq!(err.path, r#"$.paths["/x"].get.responses"#, "{err}");
        assert!(err.reason.starts_with("not valid OpenAPI 3.0"), "{err}");
    }

    #[test]
    fn reports_yaml_syntax_errors_with_a_line() {
        let err = parse_err("openapi: [3.0.3\n");
        assert!(err.path.starts_with("line "), "{err}");
    }
}
