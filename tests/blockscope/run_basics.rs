use super::*;

pub(crate) fn inventory_error(inventory: &str) -> String {
    let fleet = Fleet::new(inventory);
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(2), "bad inventory must exit 2");
    assert!(
        !fleet.path("out").exists(),
        "nothing written on a bad inventory"
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
pub(crate) fn inventory_errors_name_file_line_and_fix() {
    let err = inventory_error(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc1,A,vps-a,192.0.2.300\n"
    ));
    assert!(
        err.contains("inventory.csv:3:") && err.contains("192.0.2.300") && err.contains("CIDR"),
        "{err}"
    );
    let err = inventory_error(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-b,192.0.2.10\n"
    ));
    assert!(
        err.contains("inventory.csv:3:") && err.contains("line 2") && err.contains("vps-a"),
        "{err}"
    );
    let err = inventory_error(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-a,192.0.2.11\n"
    ));
    assert!(
        err.contains("inventory.csv:3:")
            && err.contains("VPS vps-a")
            && err.contains("exactly one customer"),
        "{err}"
    );
    let err = inventory_error(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10/24\n"));
    assert!(
        err.contains("192.0.2.0/24"),
        "suggests the network address: {err}"
    );
    let err = inventory_error("customer,vps,ip\nc1,vps-a,192.0.2.10\n");
    assert!(
        err.contains("inventory.csv:1:") && err.contains("customer_id"),
        "{err}"
    );
    let err = inventory_error(&format!("{INVENTORY_HEADER}../etc,A,vps-a,192.0.2.10\n"));
    assert!(
        err.contains("inventory.csv:2:") && err.contains("customer_id"),
        "{err}"
    );
}

#[test]
fn a_failed_run_leaves_the_previous_reports_in_place() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    let before = fs::read(fleet.path("out/summary/ips.csv")).unwrap();
    fs::write(
        fleet.path("inventory.csv"),
        format!("{INVENTORY_HEADER}c1,A,vps-a,not-an-ip\n"),
    )
    .unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read(fleet.path("out/summary/ips.csv")).unwrap(), before);
    let leftovers: Vec<_> = fs::read_dir(fleet.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".blockscope"))
        .collect();
    assert!(leftovers.is_empty(), "no staging debris: {leftovers:?}");
}

#[test]
fn refuses_to_replace_a_directory_that_is_not_a_report_set() {
    let fleet = Fleet::one_s3140();
    fs::create_dir_all(fleet.path("out")).unwrap();
    fs::write(fleet.path("out/precious.txt"), "keep me").unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fleet.text("precious.txt"), "keep me");
}

#[test]
fn a_rerun_replaces_the_report_set_whole() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    fs::remove_file(fleet.path("logs/vps-a/mail.log")).unwrap();
    fleet.log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0]["ip"], "198.51.100.8");
}

#[test]
fn unreadable_lines_are_counted_by_reason() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[
            S3140_RFC3164,
            "garbage without a timestamp",
            "Nov  2 10:00:01 web1 postfix/smtp[1]: ABC: to=<a@b.c>, relay=none, delay=1",
            "Nov  2 10:00:01 web1 postfix/smtp[1]: ABC: to=<a@b.c>, relay=none, delay=1, dsn=4.0.0, status=weird (x)",
        ],
        NOV_23_2026,
    );
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "completed with input problems");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped lines: 3"), "{stderr}");
    assert!(stderr.contains("no recognisable timestamp"));
    let summary = fleet.text("summary/summary.md");
    assert!(
        summary.contains("delivery line without status=: 1"),
        "{summary}"
    );
    assert!(summary.contains("unknown status= word: 1"));
    let problems = fleet.csv("summary/input-problems.csv");
    let lines: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|p| (p["file"].as_str(), p["line"].as_str(), p["reason"].as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("vps-a/mail.log", "2", "no recognisable timestamp"),
            ("vps-a/mail.log", "3", "delivery line without status="),
            (
                "vps-a/mail.log",
                "4",
                "delivery line with an unknown status= word"
            ),
        ]
    );
    assert_eq!(
        fleet.csv("summary/ips.csv").len(),
        1,
        "the good line still counts"
    );
}

#[test]
fn files_outside_vps_directories_are_input_problems() {
    let fleet = Fleet::one_s3140();
    fleet.log("stray.log", &[S3140_RFC3164], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "completed with input problems");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stray.log"));
    assert_eq!(fleet.csv("summary/ips.csv").len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Rules, docs, CLI manners

#[test]
fn docs_rules_md_is_generated_from_the_table() {
    let out = blockscope()
        .args(["rules", "--format", "md"])
        .output()
        .unwrap();
    ok(&out);
    let committed =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md")).unwrap();
    // The coverage table after the marker comes from the real-reply corpus (its own test).
    let generated = committed
        .split_once(real_replies::COVERAGE_MARKER)
        .map_or(committed.as_str(), |(head, _)| head);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        generated,
        "docs/rules.md is stale: run `blockscope rules --format md > docs/rules.md`"
    );
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    let mut child = blockscope()
        .args(["rules", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
