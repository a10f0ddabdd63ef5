use super::*;

#[test]
fn sample_data_matches_the_golden_reports() {
    let fleet = sample_fleet();
    ok(&run_sample(&fleet, 2));
    let got = tree_contents(&fleet.path("out"));
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sample-data");
    if std::env::var_os("BLOCKSCOPE_UPDATE_GOLDEN").is_some() {
        let _ = fs::remove_dir_all(&golden_dir);
        for (rel, bytes) in &got {
            let path = golden_dir.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
    }
    let want = tree_contents(&golden_dir);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "report file set"
    );
    for (rel, bytes) in &want {
        assert!(
            &got[rel] == bytes,
            "{rel} differs from tests/golden/sample-data (BLOCKSCOPE_UPDATE_GOLDEN=1 regenerates after review):\n{}",
            String::from_utf8_lossy(&got[rel])
        );
    }
}

#[test]
fn sample_data_has_a_neighbourhood_block_and_the_required_events() {
    let fleet = sample_fleet();
    ok(&run_sample(&fleet, 2));
    let subnets = fleet.csv("summary/subnets.csv");
    assert!(
        subnets.iter().any(|s| s["verdict"] == "neighbourhood"),
        "{subnets:#?}"
    );
    let ips = fleet.csv("summary/ips.csv");
    for rule in [
        "ms-outlook-network-blocklist",
        "ms-o365-banned-ip",
        "ms-o365-banned-sender-5.7.511",
        "ms-outlook-rate-limited",
        "dnsbl-spamhaus",
        "recipient-unknown",
    ] {
        assert!(
            ips.iter().any(|r| r["rule_id"] == rule),
            "sample-data lacks {rule}"
        );
    }
}

#[test]
fn thread_count_does_not_change_a_single_byte() {
    let fleet = sample_fleet();
    ok(&run_sample(&fleet, 1));
    let one = tree_contents(&fleet.path("out"));
    for threads in [2, 7] {
        ok(&run_sample(&fleet, threads));
        assert_eq!(
            tree_contents(&fleet.path("out")),
            one,
            "--threads {threads} differs from --threads 1"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over random fleets: thread-count independence and tenant isolation.
