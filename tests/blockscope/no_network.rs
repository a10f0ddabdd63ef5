//! No network stack in the batch job (issue 19), one small HTTP client for `snds fetch`, and
//! one DNS resolver for `dnsbl` (issue 21).
//!
//! The nightly job reads log files and writes reports: it links no async HTTP stack and no
//! cloud-storage crate. polars' `parquet` feature once brought reqwest, hyper, rustls and
//! object_store in through its streaming engine (polars issue 26989); the partials use
//! polars-io's Parquet reader and writer without it. `snds fetch` downloads the SNDS exports,
//! so the binary now links the one HTTP client made for that: ureq (blocking, no runtime) with
//! rustls (ring, webpki roots). Its TLS crates must be reached through ureq alone: any other
//! path to them (polars-io's cloud features, a new dependency's own client) is the network
//! stack of issue 19 coming back. `dnsbl` asks DNS block lists through hickory-resolver on tokio
//! (plain UDP/TCP DNS): hickory is built without its TLS, HTTPS, QUIC and DNSSEC features, and
//! without system-config, so it can neither bring a TLS stack in nor read /etc/resolv.conf
//! behind the `--resolver` it is given. Cargo.lock cannot answer this (it keeps optional
//! dependencies that only a weak `dep?/feature` names), so the test asks `cargo tree` for the
//! crates actually resolved.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates of async HTTP stacks, other TLS backends and cloud object stores: never resolved.
const NETWORK: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "h2",
    "tokio-rustls",
    "native-tls",
    "openssl",
    "openssl-sys",
    "quinn",
    "object_store",
    "curl",
    "isahc",
    // hickory's system-config: a resolver configured from the host instead of `--resolver`.
    "resolv-conf",
    "system-configuration",
    "ipconfig",
];

/// hickory's crates: each may be resolved only on hickory-resolver's way to blockscope.
const VIA_HICKORY: &[&str] = &["hickory-proto", "hickory-net"];

/// ureq's HTTP and TLS crates: each may be resolved only on ureq's way to blockscope.
const VIA_UREQ: &[&str] = &[
    "ureq-proto",
    "rustls",
    "rustls-webpki",
    "ring",
    "aws-lc-rs",
    "webpki-roots",
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

/// `cargo tree -e normal -i rustls` shows ureq as the only way from rustls to blockscope, and
/// the same for ring, webpki and ureq's protocol crate; ureq is blockscope's own dependency.
#[test]
fn tls_and_http_crates_only_through_ureq() {
    let edges = ["--edges", "normal,build,dev", "--invert"];
    let rustls = tree(&[&edges[..], &["rustls"]].concat());
    assert!(
        rustls.iter().any(|c| c == "ureq"),
        "unexpected cargo tree output: {rustls:?}"
    );
    for krate in VIA_UREQ {
        let paths = tree(&[&edges[..], &[krate]].concat());
        let others: BTreeSet<&String> = paths
            .iter()
            // On the way up only ureq's own crates, ureq and blockscope may appear.
            .filter(|c| {
                !["blockscope", "ureq"].contains(&c.as_str()) && !VIA_UREQ.contains(&c.as_str())
            })
            .collect();
        assert!(
            others.is_empty(),
            "{krate} is reached through {others:?}, not only through ureq; see `cargo tree -e normal -i {krate}`"
        );
    }
    let ureq = tree(&[&edges[..], &["ureq", "--depth", "1"]].concat());
    assert_eq!(
        ureq,
        ["ureq", "blockscope"],
        "only blockscope depends on ureq"
    );
}

/// `cargo tree -e normal -i hickory-proto` shows hickory-resolver as the only way to blockscope,
/// and only blockscope depends on hickory-resolver.
#[test]
fn dns_crates_only_through_hickory_resolver() {
    let edges = ["--edges", "normal,build,dev", "--invert"];
    for krate in VIA_HICKORY {
        let paths = tree(&[&edges[..], &[krate]].concat());
        assert!(
            paths.iter().any(|c| c == "hickory-resolver"),
            "unexpected cargo tree output: {paths:?}"
        );
        let others: BTreeSet<&String> = paths
            .iter()
            .filter(|c| {
                !["blockscope", "hickory-resolver"].contains(&c.as_str())
                    && !VIA_HICKORY.contains(&c.as_str())
            })
            .collect();
        assert!(
            others.is_empty(),
            "{krate} is reached through {others:?}; see `cargo tree -e normal -i {krate}`"
        );
    }
    let resolver = tree(&[&edges[..], &["hickory-resolver", "--depth", "1"]].concat());
    assert_eq!(
        resolver,
        ["hickory-resolver", "blockscope"],
        "only blockscope depends on hickory-resolver"
    );
}

/// tokio stays: polars-core and polars-async use its runtime for their own work (no socket is
/// opened), and `dnsbl` runs hickory-resolver on a current-thread runtime (blockscope's own
/// dependency, used in src/dnsbl/ only). Any other crate that wants it is a new async stack,
/// most likely a network one.
#[test]
fn tokio_only_for_polars_and_the_dns_resolver() {
    let dependents = tree(&["--edges", "normal", "--invert", "tokio", "--depth", "1"]);
    let others: Vec<&String> = dependents
        .iter()
        .skip(1) // tokio itself
        .filter(|d| !d.starts_with("polars") && !d.starts_with("hickory-") && *d != "blockscope")
        .collect();
    assert!(
        others.is_empty(),
        "tokio is needed by more than polars and hickory: {others:?}"
    );
}

/// No tokio type outside src/dnsbl/ (nor hickory's): the rest of blockscope stays synchronous.
#[test]
fn tokio_and_hickory_stay_in_src_dnsbl() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path != src.join("dnsbl") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("tokio::") || text.contains("hickory_") {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "tokio or hickory outside src/dnsbl/: {found:?}"
    );
}
