//! No network stack in the binary (issue 19): a nightly batch job that reads log files and
//! writes reports links no HTTP client, TLS or cloud-storage crate.
//!
//! polars' `parquet` feature once brought reqwest, hyper, rustls and object_store in through its
//! streaming engine (polars issue 26989); the partials now use polars-io's Parquet reader and
//! writer without it. Cargo.lock cannot answer this (it keeps optional dependencies that only a
//! weak `dep?/feature` names), so the test asks `cargo tree` for the crates actually resolved.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates that only a network client, a TLS stack or a cloud object store needs.
const NETWORK: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "h2",
    "rustls",
    "tokio-rustls",
    "ring",
    "aws-lc-rs",
    "native-tls",
    "openssl",
    "quinn",
    "object_store",
];

/// `cargo tree` with `args`, offline and from Cargo.lock as it is: the crate names it prints.
fn tree(args: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(args)
        .output()
        .expect("cargo tree runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("did not match any packages") {
        return Vec::new(); // `--invert` of a crate that is not in Cargo.lock at all
    }
    assert!(out.status.success(), "cargo tree {args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn no_network_crate_is_resolved() {
    // Normal, build and dev edges: nothing the binary links, nor the tests and benches.
    let resolved: BTreeSet<String> = tree(&["--edges", "all"]).into_iter().collect();
    assert!(resolved.contains("polars"), "unexpected cargo tree output");
    let found: Vec<&&str> = NETWORK.iter().filter(|n| resolved.contains(**n)).collect();
    assert!(
        found.is_empty(),
        "network crates are back in the dependency tree: {found:?}; see `cargo tree -e normal -i {}`",
        found[0]
    );
}

/// tokio stays: polars-core and polars-async use its runtime for their own work (no socket is
/// opened). Any other crate that wants it is a new async stack, most likely a network one.
#[test]
fn tokio_only_for_polars() {
    let dependents = tree(&["--edges", "normal", "--invert", "tokio", "--depth", "1"]);
    let others: Vec<&String> = dependents
        .iter()
        .skip(1) // tokio itself
        .filter(|d| !d.starts_with("polars"))
        .collect();
    assert!(
        others.is_empty(),
        "tokio is needed by more than polars: {others:?}"
    );
}
