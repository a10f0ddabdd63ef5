use super::*;

#[test]
fn a_config_file_with_relative_paths_and_flags_overriding_it() {
    let fleet = Fleet::one_s3140();
    fs::write(fleet.path("blockscope.toml"), "logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"from-config\"\nipv4_prefix = 24\nmetrics = \"blockscope.prom\"\n").unwrap();
    let config = fleet.path("blockscope.toml");
    let out = blockscope()
        .args(["run", "-q", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(fleet.path("from-flag"))
        .output()
        .unwrap();
    ok(&out);
    assert!(
        fleet.path("from-flag/summary/ips.csv").is_file(),
        "the flag wins"
    );
    assert!(!fleet.path("from-config").exists());
    let metrics = fs::read_to_string(fleet.path("blockscope.prom")).unwrap();
    assert!(metrics.contains("# TYPE blockscope_last_success_timestamp_seconds gauge"));
    assert!(
        metrics.contains("blockscope_blocked_ips{platform=\"outlook.com\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("blockscope_subnets{verdict=\"neighbourhood\"} 1"));
    assert!(metrics.contains("blockscope_input_lines 1"));
}

#[test]
fn check_config_validates_everything_and_names_the_problem() {
    let fleet = Fleet::one_s3140();
    let config = fleet.path("blockscope.toml");
    // check-config over a config file holding `text`.
    let check = |text: &str| {
        fs::write(&config, text).unwrap();
        blockscope()
            .args(["check-config", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let out = check("logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"out\"\n");
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("6 customers, 7 VPSes"));
    assert!(!fleet.path("out").exists(), "check-config writes nothing");
    let out = check("logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"out\"\nthreds = 2\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("blockscope.toml:4: unknown field `threds`")
    );
    let out = check("logs = \"logs\"\nout = \"out\"\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--inventory FILE is required"));
    fs::write(
        fleet.path("inventory.csv"),
        format!("{INVENTORY_HEADER}c1,A,vps-a,300.1.1.1\n"),
    )
    .unwrap();
    let out = blockscope()
        .args(["check-config", "--config"])
        .arg(&config)
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inventory.csv:2:"));
}

#[test]
fn previous_report_sets_are_archived_up_to_keep() {
    let fleet = Fleet::one_s3140();
    for night in 1..=4 {
        fleet.log(
            "vps-b/mail.log",
            &[&S3140_MAILLOG_FILE.replace("10:00:02", &format!("10:00:0{night}"))],
            NOV_23_2026,
        );
        ok(&fleet.run_args(&["--threads", "1", "--keep", "2"]));
    }
    let mut sets: Vec<String> = fs::read_dir(fleet.path("out.archive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    sets.sort();
    assert_eq!(sets, ["000002", "000003"], "the two newest previous sets");
    let newest_archived = read_csv(&fleet.path("out.archive/000003/summary/ips.csv"));
    assert_eq!(
        row(
            &newest_archived,
            "198.51.100.8",
            "ms-outlook-network-blocklist"
        )["first_seen"],
        "2026-11-02T10:00:03Z"
    );
    let current = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&current, "198.51.100.8", "ms-outlook-network-blocklist")["first_seen"],
        "2026-11-02T10:00:04Z"
    );
    let leftovers: Vec<_> = fs::read_dir(fleet.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".blockscope"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_second_run_on_the_same_reports_stops_with_its_own_exit_code() {
    let fleet = Fleet::one_s3140();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(fleet.path("out.lock"))
        .unwrap();
    lock.lock().unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another blockscope run"));
    assert!(!fleet.path("out").exists());
    lock.unlock().unwrap();
    ok(&fleet.run(1));
}

/// node_exporter reads the textfile as its own user: 0644 under cron's `umask 077`, and the
/// distinct blocked-IP total is the summary's figure (the per-platform gauges count an address
/// blocked at two platforms twice: sample-data's 10 IPs are 11 there).
#[test]
fn metrics_are_world_readable_and_agree_with_the_summary() {
    use std::os::unix::fs::PermissionsExt;
    let fleet = sample_fleet();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/blockscope.toml");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 077; exec "$0" run -q --threads 1 --logs "$1" --inventory "$2" --snds "$3" --config "$4" --out "$5" --metrics "$6""#)
        .arg(env!("CARGO_BIN_EXE_blockscope"))
        .args([fleet.path("logs"), fleet.path("inventory.csv"), fleet.path("snds")])
        .arg(&config)
        .args([fleet.path("out"), fleet.path("blockscope.prom")])
        .output()
        .unwrap();
    ok(&out);
    let mode = fs::metadata(fleet.path("blockscope.prom"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "{mode:o}");
    let metrics = fs::read_to_string(fleet.path("blockscope.prom")).unwrap();
    let summary = fleet.text("summary/summary.md");
    assert!(summary.contains("- **10** blocked IP(s)"), "{summary}");
    assert!(
        metrics.contains("\nblockscope_blocked_ips_total 10\n"),
        "{metrics}"
    );
    let per_platform: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("blockscope_blocked_ips{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(per_platform, 11, "the labels' documented double count");
}

#[test]
fn check_config_checks_one_input_alone_and_fails_where_a_run_would_be_empty() {
    let fleet = Fleet::one_s3140();
    let check = |args: &[&Path]| {
        let mut cmd = blockscope();
        cmd.arg("check-config");
        for pair in args.chunks(2) {
            cmd.arg(pair[0]).arg(pair[1]);
        }
        cmd.output().unwrap()
    };
    let flag = |f: &'static str| Path::new(f);
    // Alone: an inventory, SNDS exports, a rules file.
    let out = check(&[flag("--inventory"), &fleet.path("inventory.csv")]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("6 customers, 7 VPSes") && !stdout.contains("logs "),
        "{stdout}"
    );
    fs::create_dir_all(fleet.path("snds")).unwrap();
    let out = check(&[flag("--snds"), &fleet.path("snds")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no files; a run would have no SNDS data")
    );
    fs::write(fleet.path("snds/ipStatus-2026-11-22.csv"), "").unwrap();
    ok(&check(&[flag("--snds"), &fleet.path("snds")]));
    fs::write(fleet.path("rules.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    let out = check(&[flag("--rules"), &fleet.path("rules.toml")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken rules file alone is checked"
    );
    let out = blockscope().arg("check-config").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to check"));
    // Logs: no VPS directory, or files lying in --logs itself.
    fs::create_dir_all(fleet.path("empty-logs")).unwrap();
    let out = check(&[flag("--logs"), &fleet.path("empty-logs")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no VPS directories; a run would read nothing"));
    fs::write(fleet.path("logs/mail.log"), format!("{S3140_RFC3164}\n")).unwrap();
    let out = check(&[
        flag("--logs"),
        &fleet.path("logs"),
        flag("--inventory"),
        &fleet.path("inventory.csv"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("log files lie in it directly (mail.log)"),
        "{stderr}"
    );
    fs::remove_file(fleet.path("logs/mail.log")).unwrap();
    // VPS directories the inventory does not name are said, not fatal.
    fleet.log("web-old/mail.log", &[NOISE], NOV_23_2026);
    let out = check(&[
        flag("--logs"),
        &fleet.path("logs"),
        flag("--inventory"),
        &fleet.path("inventory.csv"),
    ]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 VPS directories; 1 not an inventory vps_id")
            && stdout.contains(": web-old"),
        "{stdout}"
    );
    // With --config, the file must hold all a run needs.
    fs::write(fleet.path("c.toml"), "inventory = \"inventory.csv\"\n").unwrap();
    let out = check(&[flag("--config"), &fleet.path("c.toml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is required"));
}
