//! Errors that name the spec file, the JSON path inside it and the reason.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with one spec: where it is and why it stops generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec file, as given to the loader.
    pub file: PathBuf,
    /// JSON path inside the spec, e.g. `$.paths["/payment-sessions"].post.operationId`.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl SpecError {
    /// An error at `path` in `file`.
    pub fn new(file: &Path, path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: at {}: {}",
            self.file.display(),
            self.path,
            self.reason
        )
    }
}

impl std::error::Error for SpecError {}

/// Builds JSON paths in the `$.a.b["/with/slash"][0]` form used in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(String);

impl Default for JsonPath {
    fn default() -> Self {
        Self("$".to_owned())
    }
}

impl JsonPath {
    /// The root, `$`.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path followed by an object key.
    pub fn key(&self, key: &str) -> Self {
        let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
        if plain {
            Self(format!("{}.{}", self.0, key))
        } else {
            Self(format!("{}[{}]", self.0, serde_json::Value::from(key)))
        }
    }

    /// This path followed by an array index.
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}[{}]", self.0, index))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_keys_that_are_not_identifiers() {
        let path = JsonPath::root()
            .key("paths")
            .key("/flex/v2/sessions")
            .key("post")
            .index(0);
        assert_eq!(path.as_str(), r#"$.paths["/flex/v2/sessions"].post[0]"#);
    }

    #[test]
    fn display_names_file_path_and_reason() {
        let err = SpecError::new(Path::new("specs/x.yaml"), "$.info", "missing title");
        assert_eq!(err.to_string(), "specs/x.yaml: at $.info: missing title");
    }
}
