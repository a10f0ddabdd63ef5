//! Issue 17: one validated path. Every subcommand that accepts a flag rejects the same bad value
//! with exit code 2 and the same message, on the command line and in `--config` files; nothing
//! is written.

use super::*;

/// The subcommands that check options, each with the smallest real inputs it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Run,
    CheckConfig,
    Ingest,
    Report,
    Explain,
    Attest,
}

const ALL: [Sub; 6] = [
    Sub::Run,
    Sub::CheckConfig,
    Sub::Ingest,
    Sub::Report,
    Sub::Explain,
    Sub::Attest,
];

/// A fleet with one S3140 bounce and the partial `ingest` makes of it (for `report`).
fn fleet_with_partial() -> Fleet {
    let fleet = Fleet::one_s3140();
    ok(&fleet.ingest("p.parquet"));
    fleet
}

impl Sub {
    /// The command with its required inputs; its outputs go to `out/` or `new.parquet`.
    fn command(self, fleet: &Fleet) -> Command {
        self.command_on(fleet, &fleet.path("logs"), &fleet.path("inventory.csv"))
    }

    /// The command with these `--logs` (where it takes them) and `--inventory`.
    fn command_on(self, fleet: &Fleet, logs: &Path, inventory: &Path) -> Command {
        let mut cmd = blockscope();
        match self {
            Sub::Run | Sub::CheckConfig => {
                cmd.arg(if self == Sub::Run {
                    "run"
                } else {
                    "check-config"
                });
                cmd.arg("--logs")
                    .arg(logs)
                    .arg("--inventory")
                    .arg(inventory);
                cmd.arg("--out").arg(fleet.path("out"));
            }
            Sub::Ingest => {
                cmd.arg("ingest").arg("--logs").arg(logs);
                cmd.arg("--inventory").arg(inventory);
                cmd.arg("--out").arg(fleet.path("new.parquet"));
            }
            Sub::Report => {
                cmd.arg("report")
                    .arg("--partials")
                    .arg(fleet.path("p.parquet"));
                cmd.arg("--inventory").arg(inventory);
                cmd.arg("--out").arg(fleet.path("out"));
            }
            Sub::Explain => {
                cmd.args(["explain", "198.51.100.7", "--inventory"]);
                cmd.arg(inventory).arg("--logs").arg(logs);
            }
            Sub::Attest => {
                cmd.args(["attest", "--inventory"]).arg(inventory);
                cmd.arg("--logs").arg(logs);
            }
        }
        cmd
    }
}

/// The `blockscope: error:` line of a failed command, after checking exit 2 and that it wrote
/// nothing.
fn rejected(fleet: &Fleet, sub: Sub, args: &[&str]) -> String {
    rejected_by(fleet, sub, sub.command(fleet), args)
}

fn rejected_by(fleet: &Fleet, sub: Sub, mut cmd: Command, args: &[&str]) -> String {
    let out = cmd.args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{sub:?} {args:?}: {err}");
    assert!(out.stdout.is_empty(), "{sub:?} {args:?}");
    assert!(
        !fleet.path("out").exists() && !fleet.path("new.parquet").exists(),
        "{sub:?} {args:?} wrote output"
    );
    err.lines()
        .find(|l| l.starts_with("blockscope: error: "))
        .unwrap_or_else(|| panic!("{sub:?} {args:?}: no error line in {err}"))
        .to_string()
}

/// Number flags, out-of-range values on each side, the range message, and every subcommand
/// that accepts the flag.
const BOUNDED: &[(&str, &[&str], &str, &[Sub])] = &[
    (
        "--threads",
        &["0", "1025", "100000"],
        "must be between 1 and 1024 (worker threads; leave it out to use every CPU)",
        &[
            Sub::Run,
            Sub::CheckConfig,
            Sub::Ingest,
            Sub::Explain,
            Sub::Attest,
        ],
    ),
    (
        "--days",
        &["0", "3661", "4294967295"],
        "must be between 1 and 3660 (the report window in days; 1 is the latest day)",
        &[Sub::Run, Sub::CheckConfig],
    ),
    (
        "--history-days",
        &["0", "3661", "18446744073709551615"],
        "must be between 1 and 3660 (days of per-day data the state keeps for --days windows)",
        &[Sub::Run, Sub::CheckConfig],
    ),
    (
        "--keep",
        &["1001", "18446744073709551615"],
        "must be between 0 and 1000 (previous report sets kept in <out>.archive/)",
        &[Sub::Run, Sub::CheckConfig, Sub::Report],
    ),
    (
        "--ipv4-prefix",
        &["0", "7", "33", "40", "300"],
        "must be between 8 and 32 (24 is the usual neighbourhood)",
        &[Sub::Run, Sub::CheckConfig, Sub::Report],
    ),
    (
        "--ipv6-prefix",
        &["15", "129", "256"],
        "must be between 16 and 128 (64 or 48 are usual)",
        &[Sub::Run, Sub::CheckConfig, Sub::Report],
    ),
];

/// Every bounded flag, every subcommand that takes it: exit 2 and one message, word for word.
#[test]
fn every_subcommand_rejects_a_bounded_flag_with_the_same_message() {
    let fleet = fleet_with_partial();
    for &(flag, values, range, subs) in BOUNDED {
        for value in values {
            let expected = format!("blockscope: error: {flag} {value}: {range}");
            for &sub in subs {
                assert_eq!(rejected(&fleet, sub, &[flag, value]), expected, "{sub:?}");
            }
        }
    }
}

/// Subcommands without the flag refuse it as unknown (exit 2 from the parser), so no
/// subcommand silently ignores a bound.
#[test]
fn a_bounded_flag_is_accepted_only_where_it_means_something() {
    let fleet = fleet_with_partial();
    for &(flag, _, _, subs) in BOUNDED {
        for sub in ALL.into_iter().filter(|s| !subs.contains(s)) {
            let out = sub.command(&fleet).args([flag, "24"]).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{sub:?} {flag}: {err}");
            assert!(err.contains("unexpected argument"), "{sub:?} {flag}: {err}");
        }
    }
}

/// The other checked values (zone, date, mail address, directories) give one message too.
#[test]
fn every_subcommand_rejects_other_bad_values_with_the_same_message() {
    let fleet = fleet_with_partial();
    let missing = fleet.path("missing");
    let missing = missing.to_str().unwrap();
    let logs_taking = [
        Sub::Run,
        Sub::CheckConfig,
        Sub::Ingest,
        Sub::Explain,
        Sub::Attest,
    ];
    let cases: Vec<(Vec<&str>, String, Vec<Sub>)> = vec![
        (
            vec!["--tz", "Mars/Olympus"],
            "--tz \"Mars/Olympus\": not a time zone name; use an IANA name such as Europe/Berlin or UTC".into(),
            logs_taking.to_vec(),
        ),
        (
            vec!["--delist-contact", "Abuse <abuse@provider.example>"],
            "--delist-contact \"Abuse <abuse@provider.example>\": not a mail address".into(),
            vec![Sub::Run, Sub::CheckConfig, Sub::Report],
        ),
        (
            vec!["--since", "2026-13-01"],
            "--since \"2026-13-01\": not a date; use YYYY-MM-DD".into(),
            vec![Sub::Run, Sub::CheckConfig],
        ),
        (
            vec!["--snds", missing],
            format!("--snds {missing}: not a directory"),
            vec![Sub::Run, Sub::CheckConfig, Sub::Report, Sub::Explain, Sub::Attest],
        ),
    ];
    for (args, says, subs) in cases {
        let first = rejected(&fleet, subs[0], &args);
        assert!(first.contains(&says), "{args:?}: {first}");
        for &sub in &subs[1..] {
            assert_eq!(rejected(&fleet, sub, &args), first, "{sub:?} {args:?}");
        }
    }
    // Missing inputs: the same two messages wherever --logs and --inventory are taken.
    let (logs, inventory) = (fleet.path("logs"), fleet.path("inventory.csv"));
    let missing = fleet.path("missing");
    for (bad_logs, bad_inventory, says) in [
        (true, false, format!("blockscope: error: --logs {missing}: not a directory; point it at the directory that holds one sub-directory per VPS", missing = missing.display())),
        (false, true, format!("blockscope: error: --inventory {missing}: no such file; give the inventory CSV (customer_id,customer_name,vps_id,ip)", missing = missing.display())),
    ] {
        let subs = if bad_logs { &logs_taking[..] } else { &ALL[..] };
        for &sub in subs {
            let cmd = sub.command_on(
                &fleet,
                if bad_logs { &missing } else { &logs },
                if bad_inventory { &missing } else { &inventory },
            );
            assert_eq!(rejected_by(&fleet, sub, cmd, &[]), says, "{sub:?}");
        }
    }
}

/// The same bounds in a `--config` file, for both subcommands that read one: the message names
/// the key as written there and the file.
#[test]
fn config_file_values_get_the_same_message_in_every_subcommand() {
    let fleet = Fleet::one_s3140();
    let config = fleet.path("blockscope.toml");
    for (line, range) in [
        ("threads = 0", "must be between 1 and 1024"),
        ("threads = 100000", "must be between 1 and 1024"),
        ("days = -1", "must be between 1 and 3660"),
        ("days = 4294967295", "must be between 1 and 3660"),
        ("history_days = 3661", "must be between 1 and 3660"),
        ("keep = -1", "must be between 0 and 1000"),
        ("keep = 5000", "must be between 0 and 1000"),
        ("ipv4_prefix = 40", "must be between 8 and 32"),
        ("ipv6_prefix = 129", "must be between 16 and 128"),
    ] {
        fs::write(
            &config,
            format!("logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"out\"\n{line}\n"),
        )
        .unwrap();
        let expected = format!(
            "blockscope: error: {line} in --config {}: {range} (",
            config.display()
        );
        for sub in ["run", "check-config"] {
            let out = blockscope()
                .args([sub, "--config"])
                .arg(&config)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{sub} {line}: {err}");
            assert!(err.starts_with(&expected), "{sub} {line}: {err}");
            assert!(!fleet.path("out").exists(), "{sub} {line}");
        }
        // The flag wins over the file, and is the value checked.
        let (key, _) = line.split_once(" = ").unwrap();
        let good = match key {
            "ipv4_prefix" => "24",
            "ipv6_prefix" => "64",
            "keep" => "0",
            _ => "1",
        };
        let out = blockscope()
            .args(["check-config", "--config"])
            .arg(&config)
            .args([&format!("--{}", key.replace('_', "-")), good])
            .output()
            .unwrap();
        ok(&out);
    }
}

/// `report --partials … --ipv4-prefix 40` once wrote subnets like `192.0.0.0/40`. Since the
/// run-safety bounds (issue 16) it stops with exit 2 and writes nothing; an in-range prefix is
/// the neighbourhood the reports use, exactly as in `run`.
#[test]
fn report_refuses_an_ipv4_prefix_of_40_and_uses_a_valid_one_like_run() {
    let fleet = fleet_with_partial();
    assert_eq!(
        rejected(&fleet, Sub::Report, &["--ipv4-prefix", "40"]),
        "blockscope: error: --ipv4-prefix 40: must be between 8 and 32 (24 is the usual neighbourhood)"
    );
    for sub in [Sub::Report, Sub::Run] {
        let out = sub
            .command(&fleet)
            .args(["--ipv4-prefix", "16", "-q"])
            .output()
            .unwrap();
        ok(&out);
        let ips = fleet.csv("summary/ips.csv");
        assert!(!ips.is_empty(), "{sub:?}");
        for r in &ips {
            assert_eq!(r["subnet"], "198.51.0.0/16", "{sub:?}");
        }
        for r in fleet.csv("summary/subnets.csv") {
            assert!(r["subnet"].ends_with("/16"), "{sub:?}: {r:?}");
        }
        fs::remove_dir_all(fleet.path("out")).unwrap();
    }
}
