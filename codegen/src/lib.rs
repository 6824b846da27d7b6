//! payclient's code generator: loads a hand-written OpenAPI 3.0 spec, checks
//! it, builds the *codegen view* (see [`view`]), runs progenitor and typify,
//! and renders the crate under `generated/<product>/` as deterministic text.
//!
//! `cargo xtask regen` writes what [`generate`] returns; the workspace drift
//! test compares it with the checked-in tree.
//!
//! ```no_run
//! let root = std::path::Path::new(".");
//! for product in payclient_codegen::PRODUCTS {
//!     let generated = payclient_codegen::generate(root, product).expect("spec is valid");
//!     println!("{}: {} operations", product.name, generated.operations);
//! }
//! ```

#![warn(missing_docs)]

pub mod error;
pub mod examples;
pub mod lint;
pub mod load;
pub mod render;
pub mod summary;
pub mod view;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use error::SpecError;

/// The progenitor version the output was made with (pinned in `Cargo.toml`).
pub const PROGENITOR_VERSION: &str = "0.15.1";

/// One payment product: a spec in `specs/` and a crate in `generated/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// File stem of the spec and directory name of the generated crate.
    pub name: &'static str,
    /// Human name, used in generated docs.
    pub title: &'static str,
}

impl Product {
    /// `specs/<name>.yaml`, relative to the workspace root.
    pub fn spec_path(&self) -> PathBuf {
        Path::new("specs").join(format!("{}.yaml", self.name))
    }

    /// `generated/<name>`, relative to the workspace root.
    pub fn crate_dir(&self) -> PathBuf {
        Path::new("generated").join(self.name)
    }

    /// The generated crate's package name.
    pub fn crate_name(&self) -> String {
        format!("payclient-raw-{}", self.name)
    }
}

/// Every product, in the order they are generated.
pub const PRODUCTS: &[Product] = &[
    Product {
        name: "cybersource-flex",
        title: "Cybersource Flex API v2",
    },
    Product {
        name: "cybersource-passkey",
        title: "Cybersource Passkey Service (TMS tokenized cards)",
    },
    Product {
        name: "cybersource-intelligent-commerce",
        title: "Cybersource Intelligent Commerce",
    },
    Product {
        name: "checkout-flow",
        title: "Checkout.com Flow payment sessions",
    },
];

/// One file of a generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root.
    pub path: PathBuf,
    /// Full contents.
    pub contents: String,
}

/// Everything generated from one spec.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The product.
    pub product: Product,
    /// The crate's files (`Cargo.toml`, `src/lib.rs`, `README.md` and the
    /// licence texts a published crate carries).
    pub files: Vec<GeneratedFile>,
    /// The readable summary that the snapshot test records.
    pub summary: String,
    /// Number of operations.
    pub operations: usize,
    /// Number of generated types.
    pub types: usize,
    /// What the codegen view changed.
    pub rewrites: Vec<view::Rewrite>,
}

/// Loads `product`'s spec below `root`, checks it and renders its crate in
/// memory. Nothing is written. All problems found are returned together.
pub fn generate(root: &Path, product: &Product) -> Result<Generated, Vec<SpecError>> {
    let display = product.spec_path();
    let file = root.join(&display);
    let bytes = std::fs::read(&file).map_err(|e| {
        vec![SpecError::new(
            &display,
            "$",
            format!("cannot read the file: {e}"),
        )]
    })?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| vec![SpecError::new(&display, "$", "not UTF-8")])?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let spec = load::parse(&text, &display).map_err(|e| vec![e])?;
    let problems = lint::lint(&spec);
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut view_document = spec.document.clone();
    let rewrites = view::apply(&mut view_document);
    let view_api = load::to_openapi(&view_document, &display).map_err(|e| vec![e])?;
    let rows = render::operation_rows(&spec.document);
    let spec_display = display.to_string_lossy().replace('\\', "/");
    let sensitive = render::sensitive_components(&spec.document);
    let open = render::open_enums(&view_document);
    let sensitive_types = render::sensitive_types(&view_document, &sensitive);
    let rendered = render::render(
        product,
        &spec_display,
        &sha256,
        &view_api,
        &rows,
        &sensitive_types,
        &open,
    )
    .map_err(|e| vec![SpecError::new(&display, "$", e.0)])?;
    let summary = summary::summarize(&summary::SummaryInput {
        product,
        spec_display: &spec_display,
        spec_sha256: &sha256,
        document: &spec.document,
        rows: &rows,
        rewrites: &rewrites,
        type_names: &rendered.type_names,
        sensitive: &sensitive,
    });

    let dir = product.crate_dir();
    Ok(Generated {
        product: *product,
        files: vec![
            GeneratedFile {
                path: dir.join("Cargo.toml"),
                contents: rendered.cargo_toml,
            },
            GeneratedFile {
                path: dir.join("src").join("lib.rs"),
                contents: rendered.lib_rs,
            },
            GeneratedFile {
                path: dir.join("README.md"),
                contents: render::readme(product),
            },
        ]
        .into_iter()
        .chain(licence_files(root, &dir).map_err(|e| vec![e])?)
        .collect(),
        summary,
        operations: rows.len(),
        types: rendered.type_names.len(),
        rewrites,
    })
}

/// The workspace's licence texts, copied into a generated crate so that its
/// published package carries them (cargo packages only a crate's own files).
fn licence_files(root: &Path, dir: &Path) -> Result<Vec<GeneratedFile>, SpecError> {
    ["LICENSE-MIT", "LICENSE-APACHE"]
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(root.join(name)).map_err(|e| {
                SpecError::new(Path::new(name), "$", format!("cannot read the file: {e}"))
            })?;
            Ok(GeneratedFile {
                path: dir.join(name),
                contents: text,
            })
        })
        .collect()
}

/// [`generate`] for every product; all errors of all specs, or all outputs.
pub fn generate_all(root: &Path) -> Result<Vec<Generated>, Vec<SpecError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for product in PRODUCTS {
        match generate(root, product) {
            Ok(g) => out.push(g),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How the checked-in tree differs from what the specs generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file exists but its contents differ.
    Stale(PathBuf),
    /// The file should exist and does not.
    Missing(PathBuf),
    /// A file under `generated/` that no spec produces.
    Unexpected(PathBuf),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Stale(p) => write!(f, "{} is stale", p.display()),
            Drift::Missing(p) => write!(f, "{} is missing", p.display()),
            Drift::Unexpected(p) => write!(f, "{} is not generated by any spec", p.display()),
        }
    }
}

/// Every file `generated/` must hold: each crate's files and an index.
pub fn all_files(generated: &[Generated]) -> Vec<GeneratedFile> {
    let mut files: Vec<GeneratedFile> = generated
        .iter()
        .flat_map(|g| g.files.iter().cloned())
        .collect();
    let mut readme = String::from(
        "# generated/\n\n\
         Written by `cargo xtask regen` from `specs/`; never edit these files by hand.\n\
         Change a spec, run `cargo xtask regen`, and review the snapshot diff in `tests/snapshots/`.\n\n\
         | crate | spec | operations | types |\n|---|---|---|---|\n",
    );
    for g in generated {
        readme.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            g.product.crate_name(),
            g.product.spec_path().to_string_lossy().replace('\\', "/"),
            g.operations,
            g.types
        ));
    }
    files.push(GeneratedFile {
        path: PathBuf::from("generated").join("README.md"),
        contents: readme,
    });
    files
}

/// Compares `generated` with the files below `root`: the one code path behind
/// `cargo xtask regen --check` and the workspace drift test.
pub fn drift(root: &Path, generated: &[Generated]) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut expected = std::collections::BTreeSet::new();
    for file in &all_files(generated) {
        expected.insert(file.path.clone());
        match std::fs::read(root.join(&file.path)) {
            Ok(bytes) if bytes == file.contents.as_bytes() => {}
            Ok(_) => out.push(Drift::Stale(file.path.clone())),
            Err(_) => out.push(Drift::Missing(file.path.clone())),
        }
    }
    let mut stack = vec![PathBuf::from("generated")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
            continue;
        };
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for name in names {
            let relative = dir.join(&name);
            if root.join(&relative).is_dir() {
                stack.push(relative);
            } else if !expected.contains(&relative) {
                out.push(Drift::Unexpected(relative));
            }
        }
    }
    out
}
