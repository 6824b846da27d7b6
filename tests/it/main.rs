//! The workspace-level tests, one binary: drift of `generated/`, snapshots of
//! what each spec generated, spec examples, operation coverage, the hooks on
//! the wire, end to end against the sandbox, load.

use payclient_workspace_tests as support;

mod conformance;
mod coverage;
mod drift;
mod e2e;
mod hooks;
mod load;
mod snapshots;
mod spec_examples;
