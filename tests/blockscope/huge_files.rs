use super::*;

/// A file bigger than the chunk size is read by several workers; the reports (line numbers of
/// problems included) are those of one reader.
#[test]
fn a_huge_file_split_into_ranges_reports_like_one_reader() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let mut lines = Vec::new();
    for i in 0..3_000u32 {
        let t = format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.000001+01:00",
            1 + i % 20,
            i % 24,
            i % 60,
            (i * 7) % 60
        );
        lines.push(match i % 7 {
            0 => S3140_RFC3339.replacen("2026-11-02T11:00:03.185246+01:00", &t, 1),
            1 => format!("garbage line {i} without a timestamp"),
            2 => S3140_RFC3339
                .replacen("2026-11-02T11:00:03.185246+01:00", &t, 1)
                .replace("198.51.100.9", &format!("198.51.100.{}", 1 + i % 200)),
            _ => format!("{t} web3 postfix/qmgr[1207]: 6BAB0300C9CD: removed {i}"),
        });
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log("vps-c/mail.log", &refs, NOV_23_2026);
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    let size = fs::metadata(fleet.path("logs/vps-c/mail.log"))
        .unwrap()
        .len();
    assert!(size > 300_000);
    let one = fleet.run(2);
    assert_eq!(one.status.code(), Some(3));
    let whole = tree_contents(&fleet.path("out"));
    let split = fleet.run_split("4096");
    assert_eq!(split.status.code(), Some(3));
    let err = String::from_utf8_lossy(&split.stderr);
    assert!(err.contains("split: 1 huge file(s) read in"), "{err}");
    assert!(!String::from_utf8_lossy(&one.stderr).contains("split:"));
    let parts = tree_contents(&fleet.path("split"));
    for (rel, bytes) in &whole {
        assert!(
            &parts[rel] == bytes,
            "{rel} differs:\n--- one reader\n{}\n--- ranges\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&parts[rel])
        );
    }
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == "2" && p["file"] == "vps-c/mail.log"),
        "{problems:?}"
    );
}
