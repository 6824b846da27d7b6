//! One insta snapshot per spec of what it generated (operations, media types,
//! types, codegen-view rewrites), so a spec change shows up in review.
//! In CI (`CI` set) insta never writes snapshots, so a changed one fails;
//! `snapshot_files_match_the_specs` fails on an unreferenced or pending one.

use std::collections::BTreeSet;

#[test]
fn summary_of_each_spec() {
    let root = crate::support::root();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("tests").join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for product in payclient_codegen::PRODUCTS {
            let generated = payclient_codegen::generate(&root, product).unwrap_or_else(|errors| {
                panic!(
                    "{}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            });
            insta::assert_snapshot!(product.name, generated.summary);
        }
    });
}

#[test]
fn snapshot_files_match_the_specs() {
    let dir = crate::support::root().join("tests").join("snapshots");
    let found: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("tests/snapshots exists")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = payclient_codegen::PRODUCTS
        .iter()
        .map(|p| format!("{}.snap", p.name))
        .collect();
    let unreferenced: Vec<&String> = found.difference(&expected).collect();
    assert!(
        unreferenced.is_empty(),
        "unreferenced or pending snapshot files in tests/snapshots: {unreferenced:?} \
         (review with `cargo insta review`, delete stale ones)"
    );
    let missing: Vec<&String> = expected.difference(&found).collect();
    assert!(missing.is_empty(), "missing snapshots: {missing:?}");
}
