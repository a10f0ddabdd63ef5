use super::*;
use blockscope::config::{Config, Options, Purpose};
use proptest::prelude::*;

/// Reply templates; `{ip}` is the address the receiver quotes.
const TEMPLATES: &[&str] = &[
    S3140_RFC3164,
    O365_5_7_606,
    O365_5_7_511,
    THROTTLE_4_7_650,
    SPAMHAUS,
    USER_UNKNOWN,
    SENT_GMAIL,
    NO_IP_DEFERRAL,
];
const QUOTED: &[&str] = &[
    "198.51.100.7",
    "203.0.113.25",
    "203.0.113.40",
    "198.51.100.7",
    "198.51.100.7",
    "",
    "",
    "",
];

#[derive(Debug, Clone)]
struct RandomFleet {
    /// customer -> vps -> ip host parts
    customers: Vec<Vec<Vec<u8>>>,
    /// (customer, vps, template, quote own ip?, day, second)
    lines: Vec<(usize, usize, usize, bool, u8, u32)>,
}

fn fleet_strategy() -> impl Strategy<Value = RandomFleet> {
    let vps = prop::collection::vec(1u8..=250, 1..=2);
    let customer = prop::collection::vec(vps, 1..=3);
    (
        prop::collection::vec(customer, 2..=5),
        prop::collection::vec(
            (
                0usize..8,
                0usize..8,
                0usize..TEMPLATES.len(),
                any::<bool>(),
                1u8..=28,
                0u32..86_400,
            ),
            1..60,
        ),
    )
        .prop_map(|(customers, lines)| RandomFleet { customers, lines })
}

fn materialise(f: &RandomFleet) -> (Fleet, Vec<(String, String, Vec<String>)>) {
    let mut inventory = String::from(INVENTORY_HEADER);
    let mut owners = Vec::new(); // (customer id, name, ips)
    let mut used = std::collections::BTreeSet::new();
    let mut vps_ips: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    for (c, vpses) in f.customers.iter().enumerate() {
        let mut all = Vec::new();
        let mut per_vps = Vec::new();
        for (v, hosts) in vpses.iter().enumerate() {
            let vps_id = format!("vps-{c}-{v}");
            let mut ips = Vec::new();
            for h in hosts {
                let subnet = if (c + v) % 2 == 0 {
                    "198.51.100"
                } else {
                    "203.0.113"
                };
                let ip = format!("{subnet}.{h}");
                if used.insert(ip.clone()) {
                    inventory.push_str(&format!("c{c},Customer {c} GmbH,{vps_id},{ip}\n"));
                    ips.push(ip);
                }
            }
            all.extend(ips.clone());
            per_vps.push((vps_id, ips));
        }
        owners.push((format!("c{c}"), format!("Customer {c} GmbH"), all));
        vps_ips.push(per_vps);
    }
    let fleet = Fleet::new(&inventory);
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for &(c, v, t, own, day, sec) in &f.lines {
        let per_vps = &vps_ips[c % vps_ips.len()];
        let (vps_id, ips) = &per_vps[v % per_vps.len()];
        let template = TEMPLATES[t];
        let stamp = format!(
            "Nov {day:>2} {:02}:{:02}:{:02}",
            sec / 3600,
            sec / 60 % 60,
            sec % 60
        );
        let mut line = template.replacen(&template[..15], &stamp, 1);
        if !QUOTED[t].is_empty() {
            let quoted = match ips.first() {
                Some(ip) if own => ip.clone(),
                _ => "192.0.2.200".to_string(), // not in the inventory
            };
            line = line.replace(QUOTED[t], &quoted);
        }
        files.entry(vps_id.clone()).or_default().push(line);
    }
    for (vps, lines) in &files {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        fleet.log(&format!("{vps}/mail.log"), &refs, NOV_23_2026);
    }
    (fleet, owners)
}

/// `ip` as a whole address in `text` (not as the start of a longer one).
fn mentions(text: &str, ip: &str) -> bool {
    let is_part = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    text.match_indices(ip).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let mut after = text[at + ip.len()..].chars();
        let longer = match after.next() {
            Some(c) if c.is_ascii_hexdigit() => true,
            Some('.' | ':') => after.next().is_some_and(|c| c.is_ascii_hexdigit()),
            _ => false,
        };
        !before.is_some_and(is_part) && !longer
    })
}

fn run_lib(fleet: &Fleet, threads: usize, out: &str) -> BTreeMap<String, Vec<u8>> {
    let options = Options {
        logs: Some(fleet.path("logs")),
        inventory: Some(fleet.path("inventory.csv")),
        out: Some(fleet.path(out)),
        threads: Some(threads as u64),
        quiet: true,
        ..Options::default()
    };
    let config = Config::build(options, Purpose::Run).expect("valid options");
    blockscope::cmd::run::run(&config).expect("run succeeds");
    tree_contents(&fleet.path(out))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn reports_do_not_depend_on_thread_count(f in fleet_strategy()) {
        let (fleet, _) = materialise(&f);
        let one = run_lib(&fleet, 1, "out1");
        let four = run_lib(&fleet, 4, "out4");
        prop_assert_eq!(one.keys().collect::<Vec<_>>(), four.keys().collect::<Vec<_>>());
        for (file, bytes) in &one {
            prop_assert!(
                bytes == &four[file],
                "{} differs:\n--- 1 thread\n{}\n--- 4 threads\n{}",
                file,
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&four[file])
            );
        }
    }

    #[test]
    fn customer_reports_hold_only_their_own_data(f in fleet_strategy()) {
        let (fleet, owners) = materialise(&f);
        let tree = run_lib(&fleet, 2, "out");
        for (id, _, ips) in &owners {
            if ips.is_empty() {
                continue; // every address it drew was taken: not in the inventory at all
            }
            let csv_text = String::from_utf8(tree[&format!("customers/{id}.csv")].clone()).unwrap();
            let notice = String::from_utf8(tree[&format!("customers/{id}.md")].clone()).unwrap();
            let text = format!("{csv_text}\n{notice}");
            let rows = read_csv(&fleet.path("out").join(format!("customers/{id}.csv")));
            prop_assert!(rows.iter().all(|r| &r["customer_id"] == id));
            // Recipients appear as domains only.
            prop_assert!(!text.contains("nobody@"), "{} shows a recipient address", id);
            for (other, other_name, other_ips) in &owners {
                if other == id {
                    continue;
                }
                prop_assert!(!text.contains(other_name.as_str()), "{} names {}", id, other_name);
                prop_assert!(!text.contains(&format!("vps-{}-", &other[1..])), "{} names a VPS of {}", id, other);
                for ip in other_ips {
                    prop_assert!(!text.lines().any(|l| l.starts_with(&format!("{ip},"))), "{} lists {}'s IP {}", id, other, ip);
                    prop_assert!(!text.contains(&format!("[{ip}]")), "{} quotes {}'s IP {}", id, other, ip);
                    prop_assert!(!mentions(&notice, ip), "{}'s notice names {}'s IP {}", id, other, ip);
                }
            }
        }
    }
}
