//! `cargo xtask demo`: starts the sandbox and runs the four workflows,
//! printing each step; exits 1 if any step fails.

use std::process::ExitCode;

use payclient_demo::{Report, Targets, run_all};
use payclient_sandbox::Sandbox;

#[tokio::main]
async fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let sandbox = match Sandbox::start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: the sandbox did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "payclient demo: four workflows end to end (sandbox up in {:?})",
        started.elapsed()
    );
    let targets = match Targets::from_env(&sandbox) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("demo: configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut report = Report::printing();
    let outcome = run_all(&targets, &mut report).await;
    sandbox.shutdown().await;
    match outcome {
        Ok(()) => {
            println!(
                "\nall {} steps passed in {:.1?}",
                report.steps.len(),
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nFAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
