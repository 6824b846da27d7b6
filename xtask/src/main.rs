//! `cargo xtask <command>`: the project's automation, one binary.
//!
//! - `cargo xtask demo` starts the local sandbox and runs the four
//!   workflows end to end with `payclient` (the vendors' test hosts instead
//!   when the `CYBERSOURCE_*` / `CHECKOUT_*` variables are set).
//! - `cargo xtask regen` regenerates `generated/` from `specs/`.
//! - `cargo xtask regen --check` changes nothing and fails, naming every
//!   stale file, when `generated/` is not what the specs produce.

mod regen;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask demo | cargo xtask regen [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["demo"] => demo(&root),
        ["regen"] => run(regen::regen(&root, regen::Mode::Write)),
        ["regen", "--check"] => run(regen::regen(&root, regen::Mode::Check)),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Builds and runs the `payclient-demo` binary. It is a separate crate so
/// that this one never depends on generated code: `regen` must build even
/// when `generated/` is stale or broken.
fn demo(root: &std::path::Path) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "payclient-demo",
            "--bin",
            "payclient-demo",
        ])
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("cargo xtask demo: could not run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(report) => {
            eprint!("{report}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: this crate's parent directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
