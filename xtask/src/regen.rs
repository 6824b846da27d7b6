//! `regen` and `regen --check`: one code path; only the last step differs.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use payclient_codegen::{Drift, Generated, all_files, drift, generate_all};

/// Whether to write the files or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write `generated/` (only files whose contents changed).
    Write,
    /// Change nothing; fail on any difference.
    Check,
}

/// Generates every spec in memory, then writes or checks. On any spec error
/// nothing is written. Returns the report to print, as `Err` on failure.
pub fn regen(root: &Path, mode: Mode) -> Result<String, String> {
    let started = Instant::now();
    let generated = generate_all(root).map_err(|errors| {
        let mut report = String::new();
        for error in &errors {
            let _ = writeln!(report, "error: {error}");
        }
        let _ = writeln!(
            report,
            "{} problem(s) in specs/; nothing was written.",
            errors.len()
        );
        report
    })?;
    let differences = drift(root, &generated);

    let mut report = String::new();
    match mode {
        Mode::Check if !differences.is_empty() => {
            for difference in &differences {
                let _ = writeln!(report, "error: {difference}");
            }
            let _ = writeln!(
                report,
                "generated/ does not match specs/: run `cargo xtask regen` and commit the result."
            );
            return Err(report);
        }
        Mode::Check => {}
        Mode::Write => {
            apply(root, &generated, &differences).map_err(|e| format!("error: {e}\n"))?
        }
    }

    for g in &generated {
        let _ = writeln!(
            report,
            "{:<34} {} operations, {} types, {} codegen-view rewrites -> {}",
            g.product.name,
            g.operations,
            g.types,
            g.rewrites.len(),
            g.product.crate_dir().display(),
        );
    }
    let verb = match (mode, differences.len()) {
        (Mode::Check, _) => "checked, up to date".to_owned(),
        (Mode::Write, 0) => "unchanged".to_owned(),
        (Mode::Write, n) => format!("{n} file(s) updated"),
    };
    let _ = writeln!(
        report,
        "{} specs {verb} in {:.2?}",
        generated.len(),
        started.elapsed()
    );
    Ok(report)
}

/// Writes stale and missing files (each through a temporary file and a
/// rename, so a reader never sees half a file) and removes unexpected ones.
fn apply(root: &Path, generated: &[Generated], differences: &[Drift]) -> std::io::Result<()> {
    let files = all_files(generated);
    for difference in differences {
        match difference {
            Drift::Stale(path) | Drift::Missing(path) => {
                let Some(file) = files.iter().find(|f| &f.path == path) else {
                    continue;
                };
                let target = root.join(path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let temporary = target.with_extension("regen-tmp");
                std::fs::write(&temporary, &file.contents)?;
                std::fs::rename(&temporary, &target)?;
            }
            Drift::Unexpected(path) => std::fs::remove_file(root.join(path))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A scratch workspace holding a copy of the real specs and licences.
    fn scratch() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let specs = dir.path().join("specs");
        std::fs::create_dir_all(&specs).expect("mkdir");
        for entry in std::fs::read_dir(real.join("specs")).expect("specs/") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), specs.join(entry.file_name())).expect("copy");
        }
        // regen copies the licence texts into each generated crate.
        for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
            std::fs::copy(real.join(licence), dir.path().join(licence)).expect("licence");
        }
        let root = dir.path().to_path_buf();
        (dir, root)
    }

    fn read(root: &Path, rel: &str) -> Vec<u8> {
        std::fs::read(root.join(rel)).expect(rel)
    }

    #[test]
    fn regen_writes_then_check_passes_and_a_second_run_is_byte_identical() {
        let (_guard, root) = scratch();
        let err = regen(&root, Mode::Check).expect_err("nothing generated yet");
        assert!(
            err.contains("generated/checkout-flow/src/lib.rs is missing"),
            "{err}"
        );

        let report = regen(&root, Mode::Write).expect("regen");
        assert!(report.contains("21 file(s) updated"), "{report}");
        let first = read(&root, "generated/cybersource-flex/src/lib.rs");

        let report = regen(&root, Mode::Write).expect("regen again");
        assert!(report.contains("unchanged"), "{report}");
        assert_eq!(first, read(&root, "generated/cybersource-flex/src/lib.rs"));
        regen(&root, Mode::Check).expect("up to date");
    }

    #[test]
    fn a_description_edit_makes_check_fail_until_regen() {
        let (_guard, root) = scratch();
        regen(&root, Mode::Write).expect("regen");
        let spec = root.join("specs/checkout-flow.yaml");
        let text = std::fs::read_to_string(&spec).expect("spec");
        let edited = text.replacen(
            "summary: Request a payment session",
            "summary: Request a Flow payment session",
            1,
        );
        assert_ne!(text, edited);
        std::fs::write(&spec, edited).expect("write");

        let err = regen(&root, Mode::Check).expect_err("stale");
        assert!(
            err.contains("generated/checkout-flow/src/lib.rs is stale"),
            "{err}"
        );
        assert!(err.contains("run `cargo xtask regen`"), "{err}");
        assert!(
            !err.contains("cybersource-flex"),
            "only the edited spec is stale: {err}"
        );

        regen(&root, Mode::Write).expect("regen");
        regen(&root, Mode::Check).expect("green again");
    }

    #[test]
    fn a_bad_spec_stops_everything_and_writes_nothing() {
        let (_guard, root) = scratch();
        regen(&root, Mode::Write).expect("regen");
        let before = read(&root, "generated/cybersource-flex/src/lib.rs");
        let spec = root.join("specs/cybersource-flex.yaml");
        let text = std::fs::read_to_string(&spec).expect("spec");
        let broken = text
            .replacen("      operationId: get_public_key\n", "", 1)
            .replacen(
                "summary: Establish a payment session",
                "summary: Establish a new payment session",
                1,
            );
        std::fs::write(&spec, broken).expect("write");

        let err = regen(&root, Mode::Write).expect_err("refused");
        assert!(
            err.contains(r#"specs/cybersource-flex.yaml: at $.paths["/flex/v2/public-keys/{kid}"].get.operationId: missing"#),
            "{err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(before, read(&root, "generated/cybersource-flex/src/lib.rs"));
    }

    #[test]
    fn an_example_that_does_not_match_is_refused_with_its_path() {
        let (_guard, root) = scratch();
        let spec = root.join("specs/checkout-flow.yaml");
        let text = std::fs::read_to_string(&spec).expect("spec");
        let broken = text.replacen(
            r#"{"amount": 1000, "currency": "GBP""#,
            r#"{"amount": -5, "currency": "GBP""#,
            1,
        );
        assert_ne!(text, broken);
        std::fs::write(&spec, broken).expect("write");
        let err = regen(&root, Mode::Write).expect_err("refused");
        assert!(err.contains(r#"specs/checkout-flow.yaml: at $.paths["/payment-sessions"].post.requestBody.content["application/json"].example.amount: example does not match its schema: -5 is below the minimum 0"#), "{err}");
        assert!(!root.join("generated").exists(), "nothing written");
    }

    #[test]
    fn a_spec_that_is_not_openapi_30_is_refused() {
        let (_guard, root) = scratch();
        let spec = root.join("specs/cybersource-passkey.yaml");
        let text = std::fs::read_to_string(&spec).expect("spec");
        std::fs::write(&spec, text.replacen("openapi: 3.0.3", "openapi: 3.1.0", 1)).expect("write");
        let err = regen(&root, Mode::Write).expect_err("refused");
        assert!(err.contains("specs/cybersource-passkey.yaml: at $.openapi: OpenAPI version `3.1.0` is not supported"), "{err}");
    }

    #[test]
    fn unexpected_files_under_generated_are_reported_and_removed() {
        let (_guard, root) = scratch();
        regen(&root, Mode::Write).expect("regen");
        std::fs::write(
            root.join("generated/checkout-flow/src/extra.rs"),
            "// by hand\n",
        )
        .expect("write");
        let err = regen(&root, Mode::Check).expect_err("unexpected");
        assert!(
            err.contains("generated/checkout-flow/src/extra.rs is not generated by any spec"),
            "{err}"
        );
        regen(&root, Mode::Write).expect("regen");
        assert!(!root.join("generated/checkout-flow/src/extra.rs").exists());
    }
}
