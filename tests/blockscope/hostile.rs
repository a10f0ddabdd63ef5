use super::*;

/// A fleet with one good VPS (vps-b) and whatever damage the test adds under vps-a.
fn damaged_fleet() -> Fleet {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
    fleet
}

fn write_bytes(fleet: &Fleet, rel: &str, bytes: &[u8]) {
    let path = fleet.path("logs").join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    set_mtime(&path, NOV_23_2026);
}

/// Run; expect exit 3, the good VPS reported, and these (file, line, reason-fragment) problems.
fn expect_problems(
    fleet: &Fleet,
    out: Output,
    want: &[(&str, &str, &str)],
) -> Vec<BTreeMap<String, String>> {
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ips = fleet.csv("summary/ips.csv");
    assert!(
        ips.iter().any(|r| r["ip"] == "198.51.100.8"),
        "the good VPS is still reported"
    );
    let problems = fleet.csv("summary/input-problems.csv");
    for (file, line, reason) in want {
        assert!(
            problems
                .iter()
                .any(|p| p["file"] == *file && p["line"] == *line && p["reason"].contains(reason)),
            "no problem {file}:{line} {reason:?} in {problems:#?}"
        );
    }
    ips
}

#[test]
fn invalid_utf8_is_repaired_and_counted() {
    let fleet = damaged_fleet();
    let mut bytes = S3140_RFC3164.replace("someone@", "s\u{FFFD}@").into_bytes();
    let at = bytes
        .windows(3)
        .position(|w| w == "\u{FFFD}".as_bytes())
        .unwrap();
    bytes.splice(at..at + 3, [0xA2]);
    bytes.push(b'\n');
    write_bytes(&fleet, "vps-a/mail.log", &bytes);
    let ips = expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/mail.log", "1", "invalid UTF-8")],
    );
    assert!(
        ips.iter().any(|r| r["ip"] == "198.51.100.7"),
        "the repaired line still counts"
    );
}

#[test]
fn nul_bytes_are_removed_and_counted() {
    let fleet = damaged_fleet();
    let bytes = [b"\0\0\0\0".as_slice(), S3140_RFC3164.as_bytes(), b"\n"].concat();
    write_bytes(&fleet, "vps-a/mail.log", &bytes);
    let ips = expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/mail.log", "1", "NUL bytes")],
    );
    assert!(ips.iter().any(|r| r["ip"] == "198.51.100.7"));
}

#[test]
fn crlf_line_endings_read_like_lf() {
    let fleet = damaged_fleet();
    write_bytes(
        &fleet,
        "vps-a/mail.log",
        format!("{NOISE}\r\n{S3140_RFC3164}\r\n").as_bytes(),
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert!(!r["sample_reply"].ends_with('\r'));
    assert!(fleet.csv("summary/input-problems.csv").is_empty());
}

#[test]
fn a_five_megabyte_line_is_skipped_not_swallowed() {
    let fleet = damaged_fleet();
    let huge = format!(
        "Nov  2 10:00:00 web1 postfix/smtp[1]: ABC: to=<{}@x>",
        "a".repeat(5 << 20)
    );
    write_bytes(
        &fleet,
        "vps-a/mail.log",
        format!("{huge}\n{S3140_RFC3164}\n").as_bytes(),
    );
    let ips = expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/mail.log", "1", "longer than 1 MiB")],
    );
    assert!(
        ips.iter().any(|r| r["ip"] == "198.51.100.7"),
        "the line after it is read"
    );
}

#[test]
fn an_empty_file_is_listed() {
    let fleet = damaged_fleet();
    write_bytes(&fleet, "vps-a/mail.log", b"");
    expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/mail.log", "", "empty file")],
    );
}

fn gzip(text: &str) -> Vec<u8> {
    use flate2::{write::GzEncoder, Compression};
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_truncated_gzip_keeps_what_was_read() {
    let fleet = damaged_fleet();
    let mut text = format!("{S3140_RFC3164}\n");
    for i in 0..20_000 {
        text.push_str(&format!("{} {i}\n", NOISE));
    }
    let bytes = gzip(&text);
    write_bytes(&fleet, "vps-a/mail.log.2.gz", &bytes[..bytes.len() / 2]);
    let ips = expect_problems(&fleet, fleet.run(1), &[]);
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems
            .iter()
            .any(|p| p["file"] == "vps-a/mail.log.2.gz"
                && p["reason"].contains("corrupt or truncated")),
        "{problems:#?}"
    );
    assert!(
        ips.iter().any(|r| r["ip"] == "198.51.100.7"),
        "lines before the cut are read"
    );
}

#[test]
fn a_corrupt_gzip_is_listed() {
    let fleet = damaged_fleet();
    let mut bytes = gzip(&format!("{S3140_RFC3164}\n").repeat(200));
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b ^= 0x5a;
    }
    write_bytes(&fleet, "vps-a/mail.log.3.gz", &bytes);
    fleet.run(1);
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems.iter().any(|p| p["file"] == "vps-a/mail.log.3.gz"),
        "{problems:#?}"
    );
}

#[test]
fn a_binary_file_is_reported_once_by_name() {
    let fleet = damaged_fleet();
    let bytes: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    write_bytes(&fleet, "vps-a/core.dump", &bytes);
    expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/core.dump", "", "not a recognised mail log")],
    );
    let problems = fleet.csv("summary/input-problems.csv");
    assert_eq!(
        problems
            .iter()
            .filter(|p| p["file"] == "vps-a/core.dump")
            .count(),
        1,
        "once, not per line"
    );
}

#[test]
fn an_unreadable_file_is_listed() {
    use std::os::unix::fs::PermissionsExt;
    let fleet = damaged_fleet();
    write_bytes(
        &fleet,
        "vps-a/mail.log",
        format!("{S3140_RFC3164}\n").as_bytes(),
    );
    let path = fleet.path("logs/vps-a/mail.log");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything: run as nobody then, with a tree nobody may walk and write.
    let is_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let out = if is_root {
        for dir in [
            fleet.dir.path().to_path_buf(),
            fleet.path("logs"),
            fleet.path("logs/vps-a"),
            fleet.path("logs/vps-b"),
        ] {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        }
        for f in [
            fleet.path("inventory.csv"),
            fleet.path("logs/vps-b/mail.log"),
        ] {
            fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        }
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_blockscope"))
            .args(["run", "--threads", "1", "--logs"])
            .arg(fleet.path("logs"))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(fleet.path("out"))
            .output()
            .unwrap()
    } else {
        fleet.run(1)
    };
    expect_problems(&fleet, out, &[("vps-a/mail.log", "", "ermission denied")]);
}

#[test]
fn a_symlink_loop_is_listed() {
    let fleet = damaged_fleet();
    write_bytes(
        &fleet,
        "vps-a/mail.log",
        format!("{S3140_RFC3164}\n").as_bytes(),
    );
    std::os::unix::fs::symlink("..", fleet.path("logs/vps-a/loop")).unwrap();
    let ips = expect_problems(&fleet, fleet.run(1), &[("vps-a/loop", "", "link loop")]);
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["events"],
        "1",
        "read once"
    );
}

#[test]
fn a_directory_named_like_a_file_is_listed() {
    let fleet = damaged_fleet();
    fs::create_dir_all(fleet.path("logs/vps-a/mail.log.1")).unwrap();
    write_bytes(
        &fleet,
        "vps-a/mail.log",
        format!("{S3140_RFC3164}\n").as_bytes(),
    );
    expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/mail.log.1", "", "directory named like a log file")],
    );
}

#[test]
fn line_problems_are_capped_per_file_with_a_count() {
    let fleet = damaged_fleet();
    let garbage = vec!["garbage"; 100].join("\n");
    write_bytes(
        &fleet,
        "vps-a/mail.log",
        format!("{S3140_RFC3164}\n{garbage}\n").as_bytes(),
    );
    expect_problems(
        &fleet,
        fleet.run(1),
        &[("vps-a/mail.log", "", "80 more problem lines not listed")],
    );
    let problems = fleet.csv("summary/input-problems.csv");
    assert_eq!(
        problems
            .iter()
            .filter(|p| p["file"] == "vps-a/mail.log")
            .count(),
        21
    );
}
