//! `cargo test` alone catches a stale `generated/`: regenerate every spec in
//! memory and compare with the checked-in tree (the same code path as
//! `cargo xtask regen --check`).

#[test]
fn generated_tree_matches_the_specs() {
    let root = crate::support::root();
    let generated = payclient_codegen::generate_all(&root).unwrap_or_else(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("the specs do not generate:\n{}", text.join("\n"))
    });
    let drift = payclient_codegen::drift(&root, &generated);
    let text: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert!(
        drift.is_empty(),
        "{}\ngenerated/ does not match specs/: run `cargo xtask regen` and commit the result",
        text.join("\n")
    );
}

#[test]
fn generation_is_deterministic() {
    let root = crate::support::root();
    let product = &payclient_codegen::PRODUCTS[0];
    let first = payclient_codegen::generate(&root, product).expect("generates");
    let second = payclient_codegen::generate(&root, product).expect("generates");
    assert_eq!(first.files, second.files);
    assert_eq!(first.summary, second.summary);
}
