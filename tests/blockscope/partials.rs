use super::*;

/// `blockscope report` over `partials` (a directory or glob) into `out`, with the fleet's
/// inventory and, when it has them, its SNDS exports.
fn report(fleet: &Fleet, partials: &Path, out: &str) -> Output {
    let mut cmd = blockscope();
    cmd.args(["report", "--partials"])
        .arg(partials)
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .arg("--out")
        .arg(fleet.path(out));
    if fleet.path("snds").is_dir() {
        cmd.arg("--snds").arg(fleet.path("snds"));
    }
    cmd.output().unwrap()
}

/// `ingest` on two halves of the fleet + `report` = one `run` over the whole fleet, byte for byte.
#[test]
fn ingest_on_two_halves_then_report_equals_one_run() {
    let fleet = sample_fleet();
    // `report` takes no --config: the whole run goes without the sample's [provider] too.
    let snds = fleet.path("snds");
    ok(&fleet.run_args(&["--threads", "2", "--snds", snds.to_str().unwrap()]));
    let whole = tree_contents(&fleet.path("out"));
    let mut vpses: Vec<String> = fs::read_dir(fleet.path("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    vpses.sort();
    for (i, vps) in vpses.iter().enumerate() {
        let half = if i % 2 == 0 { "host-a" } else { "host-b" };
        copy_tree(&fleet.path("logs").join(vps), &fleet.path(half).join(vps));
    }
    for host in ["host-a", "host-b"] {
        let out = blockscope()
            .args(["ingest", "--threads", "2", "--host-id", host, "--logs"])
            .arg(fleet.path(host))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(fleet.path(&format!("partials/{host}.parquet")))
            .output()
            .unwrap();
        ok(&out);
    }
    ok(&report(&fleet, &fleet.path("partials"), "merged"));
    let merged = tree_contents(&fleet.path("merged"));
    assert_same_tree(&whole, &merged, "run", "ingest + report");
    // A glob names the same partials.
    let glob = fleet.path("partials").join("host-*.parquet");
    let out = blockscope()
        .args([
            "report",
            "--partials",
            glob.to_str().unwrap(),
            "--inventory",
        ])
        .arg(fleet.path("inventory.csv"))
        .arg("--snds")
        .arg(fleet.path("snds"))
        .arg("--out")
        .arg(fleet.path("globbed"))
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(tree_contents(&fleet.path("globbed")), whole);
}

#[test]
fn a_file_that_is_not_a_partial_is_a_clear_error() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fs::create_dir_all(fleet.path("partials")).unwrap();
    fs::write(fleet.path("partials/bad.parquet"), "not parquet").unwrap();
    let out = report(&fleet, &fleet.path("partials"), "out");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.parquet: not a blockscope partial"),
        "{err}"
    );
    assert!(!fleet.path("out").exists());
    let empty = report(&fleet, &fleet.path("nowhere/*.parquet"), "out");
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no partials found"));
}
