//! Rules a payclient spec must follow before it reaches the generator. Each
//! rule exists because progenitor/typify would otherwise panic, guess a type
//! name, or quietly make a response strict.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::error::{JsonPath, SpecError};
use crate::examples;
use crate::load::Spec;
use crate::view;

/// Every value that goes into a URL path is validated before it is sent: a
/// path parameter is a string with a `pattern` and a `maxLength` (the id's
/// documented form, or a conservative charset), so the generated type refuses
/// `..`, `/`, `\` and the like with an error that names the parameter.
fn check_path_parameters(
    item: &serde_json::Map<String, Value>,
    operation: &Value,
    op_at: &JsonPath,
    errors: &mut Vec<SpecError>,
    err: &impl Fn(&JsonPath, String) -> SpecError,
) {
    let shared = item.get("parameters").and_then(Value::as_array);
    let own = operation.get("parameters").and_then(Value::as_array);
    for (i, parameter) in own.into_iter().flatten().enumerate() {
        check_path_parameter(parameter, &op_at.key("parameters").index(i), errors, err);
    }
    if shared.is_some_and(|s| !s.is_empty()) {
        errors.push(err(
            &op_at.key("parameters"),
            "write parameters on the operation, not on the path item".to_owned(),
        ));
    }
}

fn check_path_parameter(
    parameter: &Value,
    at: &JsonPath,
    errors: &mut Vec<SpecError>,
    err: &impl Fn(&JsonPath, String) -> SpecError,
) {
    if parameter.get("in").and_then(Value::as_str) != Some("path") {
        return;
    }
    let schema = parameter.get("schema");
    let string = schema.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("string");
    let pattern = schema
        .and_then(|s| s.get("pattern"))
        .and_then(Value::as_str)
        .is_some_and(|p| p.starts_with('^') && p.ends_with('$'));
    let bounded = schema
        .and_then(|s| s.get("maxLength"))
        .and_then(Value::as_u64)
        .is_some();
    if !(string && pattern && bounded) {
        errors.push(err(
            &at.key("schema"),
            "a path parameter is a string with an anchored `pattern` (^…$) and a `maxLength`: every id that goes into a URL is validated".to_owned(),
        ));
    }
}

/// Runs every rule; returns all violations (empty when the spec is fine).
pub fn lint(spec: &Spec) -> Vec<SpecError> {
    let mut errors = Vec::new();
    let doc = &spec.document;
    let err = |at: &JsonPath, reason: String| SpecError::new(&spec.file, at.as_str(), reason);
    let root = JsonPath::root();

    if doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        errors.push(err(
            &root.key("info").key("title"),
            "a title is required".to_owned(),
        ));
    }
    if doc
        .get("servers")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        errors.push(err(
            &root.key("servers"),
            "list the vendor's hosts".to_owned(),
        ));
    }

    let mut ids = BTreeSet::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_at = root.key("paths").key(path);
            if item.get("$ref").is_some() {
                errors.push(err(
                    &item_at.key("$ref"),
                    "path items must be written out, not referenced".to_owned(),
                ));
                continue;
            }
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                if ![
                    "get", "put", "post", "delete", "patch", "head", "options", "trace",
                ]
                .contains(&method.as_str())
                {
                    continue;
                }
                let op_at = item_at.key(method);
                match operation.get("operationId").and_then(Value::as_str) {
                    None => errors.push(err(&op_at.key("operationId"), "missing: every operation needs an operationId (it names the generated method)".to_owned())),
                    Some(id) if !is_snake_case(id) => errors.push(err(&op_at.key("operationId"), format!("`{id}` is not snake_case"))),
                    Some(id) if !ids.insert(id.to_owned()) => errors.push(err(&op_at.key("operationId"), format!("`{id}` is used twice"))),
                    Some(_) => {}
                }
                if let Some(mle) = operation.get("x-mle")
                    && !matches!(mle.as_str(), Some("mandatory" | "optional" | "off"))
                {
                    errors.push(err(
                        &op_at.key("x-mle"),
                        "must be mandatory, optional or off".to_owned(),
                    ));
                }
                if let Some(limit) = operation.get("x-payclient-max-response-bytes")
                    && limit.as_u64().is_none_or(|n| n == 0)
                {
                    errors.push(err(
                        &op_at.key("x-payclient-max-response-bytes"),
                        "must be a positive whole number of bytes".to_owned(),
                    ));
                }
                check_path_parameters(item, operation, &op_at, &mut errors, &err);
                if let Some(content) = operation
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                {
                    if content.len() != 1 {
                        errors.push(err(
                            &op_at.key("requestBody").key("content"),
                            format!(
                                "exactly one media type per request body, found {}",
                                content.len()
                            ),
                        ));
                    }
                    check_named_json(
                        content,
                        &op_at.key("requestBody").key("content"),
                        &mut errors,
                        &err,
                    );
                }
                let responses_at = op_at.key("responses");
                match operation.get("responses").and_then(Value::as_object) {
                    None => errors.push(err(&responses_at, "missing".to_owned())),
                    Some(responses) => {
                        if responses.contains_key("default") {
                            errors.push(err(&responses_at.key("default"), "write the statuses out: progenitor counts `default` as success and error at once".to_owned()));
                        }
                        for (status, response) in responses {
                            if response.get("$ref").is_some() {
                                errors.push(err(&responses_at.key(status), "responses must be written out (use a YAML anchor to share one)".to_owned()));
                            }
                            if let Some(content) =
                                response.get("content").and_then(Value::as_object)
                            {
                                check_named_json(
                                    content,
                                    &responses_at.key(status).key("content"),
                                    &mut errors,
                                    &err,
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    stray_nulls(doc, &root, &mut errors, &err);

    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        if schemas.contains_key(view::UNKNOWN_MEMBER) {
            errors.push(err(
                &root
                    .key("components")
                    .key("schemas")
                    .key(view::UNKNOWN_MEMBER),
                "this name is reserved for the codegen view's unknown response members".to_owned(),
            ));
        }
        for (name, schema) in schemas {
            let sensitive = schema.get("x-payclient-sensitive");
            if sensitive.is_some_and(|v| !v.is_boolean()) {
                errors.push(err(
                    &root
                        .key("components")
                        .key("schemas")
                        .key(name)
                        .key("x-payclient-sensitive"),
                    "must be true or false".to_owned(),
                ));
            }
            if sensitive.and_then(Value::as_bool) == Some(true)
                && schema.get("type").and_then(Value::as_str) != Some("string")
            {
                errors.push(err(
                    &root.key("components").key("schemas").key(name),
                    "a sensitive schema must be a plain string".to_owned(),
                ));
            }
        }
    }

    let requests = view::reachable(doc, true);
    let responses = view::reachable(doc, false);
    for shared in requests.intersection(&responses) {
        errors.push(err(
            &root.key("components").key("schemas").key(shared),
            "used by a request and a response: give the response its own schema (responses are loosened by the codegen view)".to_owned(),
        ));
    }

    for example in examples::collect(doc) {
        for mismatch in examples::check(doc, &example.schema, &example.value) {
            let inside = mismatch.at.as_str().trim_start_matches('$');
            errors.push(SpecError::new(
                &spec.file,
                format!("{}{inside}", example.at),
                format!("example does not match its schema: {}", mismatch.reason),
            ));
        }
    }
    errors
}

/// A `null` outside an example is nearly always YAML gone wrong: an unquoted
/// comma in a flow mapping (`{description: a, b}`) makes `b` a key with no value,
/// and `openapiv3` ignores keys it does not know.
fn stray_nulls(
    value: &Value,
    at: &JsonPath,
    errors: &mut Vec<SpecError>,
    err: &impl Fn(&JsonPath, String) -> SpecError,
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "example" || key == "examples" || key == "default" || key == "enum" {
                    continue;
                }
                if child.is_null() {
                    errors.push(err(
                        &at.key(key),
                        "has no value (quote text that contains a comma or colon)".to_owned(),
                    ));
                }
                stray_nulls(child, &at.key(key), errors, err);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                stray_nulls(child, &at.index(i), errors, err);
            }
        }
        _ => {}
    }
}

/// JSON bodies must name a component, so the generated type has the spec's
/// name (not `<OperationId>Response`) and tests can find it.
fn check_named_json(
    content: &serde_json::Map<String, Value>,
    at: &JsonPath,
    errors: &mut Vec<SpecError>,
    err: &impl Fn(&JsonPath, String) -> SpecError,
) {
    for (media_type, media) in content {
        let json = media_type
            .split(';')
            .next()
            .is_some_and(|m| m.trim() == "application/json");
        if json && media.pointer("/schema/$ref").is_none() {
            errors.push(err(
                &at.key(media_type).key("schema"),
                "a JSON body must be a `$ref` to a named schema".to_owned(),
            ));
        }
    }
}

fn is_snake_case(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn lint_text(text: &str) -> Vec<String> {
        let spec = crate::load::parse(text, Path::new("specs/t.yaml")).expect("parses");
        lint(&spec).into_iter().map(|e| e.to_string()).collect()
    }

    const HEAD: &str =
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\nservers: [{url: 'https://x'}]\n";

    #[test]
    fn a_clean_spec_passes() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    get:\n      operationId: get_a\n      responses:\n        '200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/A'}}, example: {{id: x}}}}}}}}\ncomponents:\n  schemas:\n    A: {{type: object, properties: {{id: {{type: string}}}}}}\n"
        );
        assert_eq!(lint_text(&text), Vec::<String>::new());
    }

    #[test]
    fn missing_operation_id_is_named() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    get:\n      responses: {{'204': {{description: none}}}}\n"
        );
        assert_eq!(
            lint_text(&text),
            vec![
                r#"specs/t.yaml: at $.paths["/a"].get.operationId: missing: every operation needs an operationId (it names the generated method)"#
            ]
        );
    }

    #[test]
    fn example_mismatch_names_the_path_inside_the_example() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    post:\n      operationId: post_a\n      requestBody: {{content: {{application/json: {{schema: {{$ref: '#/components/schemas/A'}}, example: {{id: 7}}}}}}}}\n      responses: {{'204': {{description: none}}}}\ncomponents:\n  schemas:\n    A: {{type: object, properties: {{id: {{type: string}}}}}}\n"
        );
        let errors = lint_text(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(r#"at $.paths["/a"].post.requestBody.content["application/json"].example.id: example does not match its schema: expected a string"#), "{}", errors[0]);
    }

    #[test]
    fn an_unquoted_comma_in_a_flow_mapping_is_caught() {
        let text = format!(
            "{HEAD}paths: {{}}\ncomponents:\n  schemas:\n    A: {{type: integer, description: Expiry, in seconds.}}\n"
        );
        assert_eq!(
            lint_text(&text),
            vec![
                r#"specs/t.yaml: at $.components.schemas.A["in seconds."]: has no value (quote text that contains a comma or colon)"#
            ]
        );
    }

    #[test]
    fn other_rules() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    post:\n      operationId: PostA\n      requestBody: {{content: {{application/json: {{schema: {{type: object}}}}}}}}\n      responses: {{default: {{description: x}}}}\n  /b:\n    get:\n      operationId: get_b\n      responses: {{'200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/S'}}}}}}}}}}\n      parameters: [{{name: q, in: query, schema: {{$ref: '#/components/schemas/S'}}}}]\ncomponents:\n  schemas:\n    S: {{type: string}}\n"
        );
        let errors = lint_text(&text).join("\n");
        assert!(errors.contains("`PostA` is not snake_case"), "{errors}");
        assert!(errors.contains("must be a `$ref`"), "{errors}");
        assert!(errors.contains("progenitor counts `default`"), "{errors}");
        assert!(
            errors.contains("components.schemas.S: used by a request and a response"),
            "{errors}"
        );
    }

    #[test]
    fn path_parameters_need_a_pattern_and_a_length_and_limits_a_size() {
        let operation = |schema: &str| {
            format!(
                "{HEAD}paths:\n  /a/{{id}}:\n    get:\n      operationId: get_a\n      x-payclient-max-response-bytes: 0\n      parameters: [{{name: id, in: path, required: true, schema: {schema}}}]\n      responses: {{'204': {{description: none}}}}\n"
            )
        };
        for loose in [
            "{type: string}",
            "{type: string, maxLength: 9}",
            "{type: string, pattern: '[a-z]+', maxLength: 9}",
            "{type: integer, pattern: '^[0-9]+$', maxLength: 9}",
        ] {
            let errors = lint_text(&operation(loose)).join("\n");
            assert!(errors.contains("anchored `pattern`"), "{loose}: {errors}");
        }
        let errors = lint_text(&operation(
            "{type: string, pattern: '^[a-z]+$', maxLength: 9}",
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("x-payclient-max-response-bytes"),
            "{errors:?}"
        );
    }
}
