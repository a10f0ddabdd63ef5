use super::*;

fn bounce_with_reply(reply: &str) -> String {
    S3140_RFC3164.replacen(
        &S3140_RFC3164
            [S3140_RFC3164.find("said: ").unwrap() + 6..S3140_RFC3164.rfind(" (in reply").unwrap()],
        reply,
        1,
    )
}

#[test]
fn csv_cells_cannot_become_formulas_or_carry_control_characters() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let reply =
        "=HYPERLINK(\"http://evil.example\",\"click\") 550 5.7.1 [198.51.100.7] \u{1b}[31mblocked";
    fleet.log("vps-a/mail.log", &[&bounce_with_reply(reply)], NOV_23_2026);
    fleet.log("=1+2/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let ips = fleet.text("summary/ips.csv");
    assert!(ips.contains(",\"'=HYPERLINK("), "{ips}");
    assert!(
        !ips.contains(",=HYPERLINK(") && !ips.contains(",\"=HYPERLINK("),
        "{ips}"
    );
    assert!(
        ips.contains("\\x1b[31mblocked") && !ips.contains('\u{1b}'),
        "{ips}"
    );
    let customer = fleet.text("customers/c1.csv");
    assert!(customer.contains(",\"'=HYPERLINK("), "{customer}");
    let problems = fleet.text("summary/input-problems.csv");
    assert!(problems.contains("'=1+2/"), "{problems}");
    for file in [
        "summary/summary.md",
        "summary/summary.html",
        "customers/c1.md",
    ] {
        let text = fs::read_to_string(fleet.path("out").join(file)).unwrap();
        assert!(
            !text.contains('\u{1b}'),
            "{file} carries a raw escape character"
        );
    }
}

#[test]
fn reports_show_recipient_domains_not_addresses_unless_asked() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[USER_UNKNOWN], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.text("summary/ips.csv");
    assert!(
        ips.contains("<*@example.net>") && !ips.contains("nobody@"),
        "{ips}"
    );
    for file in [
        "summary/summary.md",
        "summary/summary.html",
        "customers/c1.csv",
        "customers/c1.md",
        "summary/unclassified.csv",
    ] {
        let text = fs::read_to_string(fleet.path("out").join(file)).unwrap();
        assert!(!text.contains("nobody@"), "{file}");
    }
    ok(&fleet.run_args(&["--recipient-detail", "full"]));
    let ips = fleet.text("summary/ips.csv");
    assert!(ips.contains("<nobody@example.net>"), "{ips}");
}

#[test]
fn a_symlink_planted_in_out_is_never_written_through() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    let victim = fleet.path("victim.txt");
    fs::write(&victim, "precious").unwrap();
    for planted in ["out/summary/ips.csv", "out/customers/c9.csv"] {
        let _ = fs::remove_file(fleet.path(planted));
        std::os::unix::fs::symlink(&victim, fleet.path(planted)).unwrap();
    }
    ok(&fleet.run(1));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!fs::symlink_metadata(fleet.path("out/summary/ips.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_gzip_bomb_stops_with_a_counted_problem() {
    use flate2::{write::GzEncoder, Compression};
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(format!("{S3140_RFC3164}\n").as_bytes())
        .unwrap();
    let block = vec![b'\n'; 1 << 20];
    for _ in 0..80 {
        e.write_all(&block).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 200_000, "80 MiB in {} bytes", bomb.len());
    fs::create_dir_all(fleet.path("logs/vps-a")).unwrap();
    fs::write(fleet.path("logs/vps-a/mail.log.2.gz"), &bomb).unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems
            .iter()
            .any(|p| p["file"] == "vps-a/mail.log.2.gz" && p["reason"].contains("gzip bomb")),
        "{problems:?}"
    );
    // The lines before the limit were read.
    assert!(fleet
        .csv("summary/ips.csv")
        .iter()
        .any(|r| r["ip"] == "198.51.100.7"));
}

#[test]
fn a_file_naming_too_many_sending_ips_is_capped_and_counted() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let path = fleet.path("logs/vps-a/mail.log");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = String::new();
    for i in 0..100_010u32 {
        text.push_str(&format!(
                "Nov  2 10:00:00 web1 postfix-2001:db8:{:x}::{:x}/smtp[1]: A{i}: to=<a@b.example>, relay=mx.b.example[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n",
                i >> 16,
                i & 0xffff
            ));
    }
    fs::write(&path, text).unwrap();
    set_mtime(&path, NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("too many distinct sending IPs in one file"),
        "{err}"
    );
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems
            .iter()
            .any(|p| p["reason"].contains("10 delivery line(s) skipped")),
        "{problems:?}"
    );
}
