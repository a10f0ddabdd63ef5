//! Receivers' replies as others published them (tests/fixtures/real-replies/), through the
//! pipeline's own parser, provenance, rules and platform map (`blockscope classify`).

use super::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    text: String,
    source: String,
    mx: String,
    #[allow(dead_code)]
    mx_published: bool,
    class: String,
    platform: String,
    sending_ip: String,
    receiver_rule_id: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    reply: Vec<Item>,
}

/// `unclassified`: the reply says nothing blockscope can act on (a bare "try again later" with a
/// policy code); it must stay for a person to read, never be guessed.
const CLASSES: [&str; 9] = [
    "ip_block",
    "network_block",
    "throttle",
    "dnsbl",
    "receiver_error",
    "auth",
    "content",
    "not_ip",
    "unclassified",
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-replies")
}

/// Every item of every fixture file, with its file name.
fn load() -> Vec<(String, Item)> {
    let mut files: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut items = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        let parsed: FixtureFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        items.extend(parsed.reply.into_iter().map(|i| (name.clone(), i)));
    }
    items
}

/// What blockscope said about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    class: String,
    platform: String,
    sending_ip: String,
    receiver_rule_id: String,
    rule_id: String,
}

/// `blockscope classify --mx MX TEXT...` for each MX, in item order.
fn classify_all(items: &[(String, Item)]) -> Vec<Verdict> {
    let mut by_mx: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (_, item)) in items.iter().enumerate() {
        by_mx.entry(item.mx.as_str()).or_default().push(i);
    }
    let mut verdicts: Vec<Option<Verdict>> = vec![None; items.len()];
    for (mx, idx) in by_mx {
        let out = blockscope()
            .args(["classify", "--mx", mx, "--"])
            .args(idx.iter().map(|&i| &items[i].1.text))
            .output()
            .unwrap();
        ok(&out);
        let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), idx.len(), "one row per item for {mx}");
        let headers = rdr.headers().unwrap().clone();
        let col = |row: &csv::StringRecord, name: &str| {
            row[headers.iter().position(|h| h == name).unwrap()].to_string()
        };
        for (row, &i) in rows.iter().zip(&idx) {
            verdicts[i] = Some(Verdict {
                class: col(row, "class"),
                platform: col(row, "platform"),
                sending_ip: col(row, "sending_ip"),
                receiver_rule_id: col(row, "receiver_rule_id"),
                rule_id: col(row, "rule_id"),
            });
        }
    }
    verdicts.into_iter().map(Option::unwrap).collect()
}

#[test]
fn the_corpus_is_real_sourced_and_distinct() {
    let items = load();
    assert!(
        items.len() >= 300,
        "{} items; the corpus needs 300",
        items.len()
    );
    let mut seen = std::collections::BTreeSet::new();
    for (file, item) in &items {
        assert!(
            seen.insert(item.text.as_str()),
            "{file}: duplicate text {:?}",
            item.text
        );
        assert!(
            item.source.starts_with("https://") || item.source.contains(':'),
            "{file}: {:?} has no source",
            item.text
        );
        assert!(
            CLASSES.contains(&item.class.as_str()),
            "{file}: class {:?}",
            item.class
        );
        if !item.sending_ip.is_empty() {
            item.sending_ip
                .parse::<std::net::IpAddr>()
                .unwrap_or_else(|e| panic!("{file}: sending_ip {:?}: {e}", item.sending_ip));
        }
    }
}

#[test]
fn every_real_reply_is_classified_as_published() {
    let items = load();
    let verdicts = classify_all(&items);
    let mut wrong = Vec::new();
    for ((file, item), got) in items.iter().zip(&verdicts) {
        let expected = Verdict {
            class: item.class.clone(),
            platform: item.platform.clone(),
            sending_ip: item.sending_ip.clone(),
            receiver_rule_id: item.receiver_rule_id.clone(),
            rule_id: got.rule_id.clone(),
        };
        if &expected != got {
            wrong.push(format!(
                "{file}: {}\n    expected {} / {} / ip {:?} / id {:?}\n    got      {} / {} / ip {:?} / id {:?} (rule {})",
                item.text,
                expected.class,
                expected.platform,
                expected.sending_ip,
                expected.receiver_rule_id,
                got.class,
                got.platform,
                got.sending_ip,
                got.receiver_rule_id,
                got.rule_id
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} real replies differ:\n{}",
        wrong.len(),
        items.len(),
        wrong.join("\n")
    );
}

/// The coverage section of docs/rules.md: receivers (platforms) x classes, counted.
fn coverage_table(items: &[(String, Item)]) -> String {
    let mut counts: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (_, item) in items {
        *counts
            .entry(item.platform.as_str())
            .or_default()
            .entry(item.class.as_str())
            .or_default() += 1;
    }
    let mut out = String::from(COVERAGE_MARKER);
    out.push_str("\n\n## Coverage by real replies\n\n");
    out.push_str(&format!(
        "{} replies and log lines published by others (mail-stack issue trackers, receivers' postmaster pages, hosting knowledge bases, forums, sisimai's bounce corpus), each with its source, in `tests/fixtures/real-replies/`. The test `real_replies` runs every one through `blockscope classify` and asserts its class, platform, sending IP and receiver rule id. Counts by platform (from the receiving MX) and expected class:\n\n",
        items.len()
    ));
    out.push_str(&format!("| platform | {} | total |\n", CLASSES.join(" | ")));
    out.push_str(&format!("|---|{}---:|\n", "---:|".repeat(CLASSES.len())));
    let mut totals = [0usize; CLASSES.len()];
    for (platform, by_class) in &counts {
        let cells: Vec<String> = CLASSES
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let n = by_class.get(c).copied().unwrap_or(0);
                totals[i] += n;
                if n == 0 {
                    String::new()
                } else {
                    n.to_string()
                }
            })
            .collect();
        let total: usize = by_class.values().sum();
        out.push_str(&format!(
            "| {platform} | {} | {total} |\n",
            cells.join(" | ")
        ));
    }
    let cells: Vec<String> = totals.iter().map(|n| format!("**{n}**")).collect();
    out.push_str(&format!(
        "| **all** | {} | **{}** |\n",
        cells.join(" | "),
        items.len()
    ));
    out
}

pub(crate) const COVERAGE_MARKER: &str = "<!-- Coverage: generated by the real_replies test (BLOCKSCOPE_UPDATE_GOLDEN=1 regenerates) -->";

#[test]
fn docs_rules_md_has_the_coverage_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let committed = fs::read_to_string(&path).unwrap();
    let head = committed
        .split_once(COVERAGE_MARKER)
        .map_or(committed.as_str(), |(h, _)| h);
    let expected = format!("{head}{}", coverage_table(&load()));
    if std::env::var_os("BLOCKSCOPE_UPDATE_GOLDEN").is_some() {
        fs::write(&path, &expected).unwrap();
    }
    assert!(
        committed == expected,
        "docs/rules.md's coverage table is stale (BLOCKSCOPE_UPDATE_GOLDEN=1 regenerates)"
    );
}

#[test]
fn classify_reads_one_item_per_stdin_line() {
    let mut child = blockscope()
        .args(["classify", "--mx", "hotmail-com.olc.protection.outlook.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = format!("{S3140_RFC3164}\r\n{}\n", "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    ok(&out);
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for (row, (kind, id)) in rows.iter().zip([("log line", "S3140"), ("reply", "S3150")]) {
        assert_eq!(&row[1], kind);
        assert_eq!(&row[3], "network_block");
        assert_eq!(&row[8], "198.51.100.7");
        assert_eq!(&row[10], id);
    }
}
