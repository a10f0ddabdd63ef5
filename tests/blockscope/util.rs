//! Shared helpers: real log lines as constants, a throw-away fleet (logs, inventory, out), and
//! readers for what the binary writes.

pub(crate) use std::collections::BTreeMap;
pub(crate) use std::fs;
pub(crate) use std::io::{Read, Write};
pub(crate) use std::path::{Path, PathBuf};
pub(crate) use std::process::{Command, Output, Stdio};
pub(crate) use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------------------------------------
// Real log lines (see tests/fixtures/postfix/README.md and the public corpus they mirror).
// Receiver replies quote the sender's address; `host X[ip]` is always the receiver.

pub(crate) const S3140_RFC3164: &str = "Nov  2 10:00:01 web1 postfix/smtp[19793]: 6BAB0300C9CD: to=<someone@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [MW2NAM12FT005.eop-nam12.prod.protection.outlook.com] (in reply to MAIL FROM command))";
pub(crate) const S3140_MAILLOG_FILE: &str = "Nov 02 10:00:02 web2 postfix/smtp[2211]: 4F1C2A0B3D: to=<a@outlook.com>, relay=outlook-com.olc.protection.outlook.com[52.101.68.17]:25, delay=0.5, delays=0.01/0/0.3/0.19, dsn=5.7.1, status=bounced (host outlook-com.olc.protection.outlook.com[52.101.68.17] said: 550 5.7.1 Unfortunately, messages from [198.51.100.8] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [Name=Protocol Filter Agent][AGT=PFA][MxId=11BC54339C3FD8FF] [BN3PEPF0000B077.namprd04.prod.outlook.com 2025-11-25T08:06:40.951Z 08DE2A19D02BF789] (in reply to MAIL FROM command))";
pub(crate) const S3140_RFC3339: &str = "2026-11-02T11:00:03.185246+01:00 web3 postfix/smtp[3163107]: 9AC31E2F01: to=<b@live.com>, relay=eur.olc.protection.outlook.com[52.101.73.1]:25, delay=0.4, delays=0.01/0/0.2/0.19, dsn=5.7.1, status=bounced (host eur.olc.protection.outlook.com[52.101.73.1] said: 550 5.7.1 Unfortunately, messages from [198.51.100.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. (in reply to MAIL FROM command))";
pub(crate) const S3140_UNPADDED_DAY: &str = "Nov 2 10:00:04 web4 postfix/smtp[18733]: 77A1B2C3D4: to=<c@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [198.51.100.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). (in reply to MAIL FROM command))";
pub(crate) const O365_5_7_606: &str = "Nov  2 10:05:00 shop postfix/smtp[4411]: 1A2B3C4D5E: to=<buyer@contoso.com>, relay=contoso-com.mail.protection.outlook.com[52.101.40.2]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.7.606, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.40.2] said: 550 5.7.606 Access denied, banned sending IP [203.0.113.25]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) (in reply to RCPT TO command))";
pub(crate) const O365_5_7_511: &str = "Nov  2 10:06:00 shop postfix/smtp[4412]: 2B3C4D5E6F: to=<buyer@fabrikam.com>, relay=fabrikam-com.mail.protection.outlook.com[52.101.41.9]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.7.511, status=bounced (host fabrikam-com.mail.protection.outlook.com[52.101.41.9] said: 550 5.7.511 Access denied, banned sender[203.0.113.40]. To request removal from this list please forward this message to delist@messaging.microsoft.com. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653. AS(508) [SN1NAM04FT013.eop-NAM04.prod.protection.outlook.com] (in reply to RCPT TO command))";
pub(crate) const THROTTLE_4_7_650: &str = "Nov  2 10:07:00 web1 postfix/smtp[5511]: 3C4D5E6F70: to=<d@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.650, status=deferred (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BCD825A78A8D0B] [AMS0EPF000001A7.eurprd05.prod.outlook.com 2026-02-25T11:12:39.245Z 08DE6C12E206EF5D] (in reply to MAIL FROM command))";
pub(crate) const SPAMHAUS: &str = "Nov  2 10:08:00 web1 postfix/smtp[5512]: 4D5E6F7081: to=<e@example.cz>, relay=mx.example.cz[192.0.2.77]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.example.cz[192.0.2.77] said: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7 (in reply to RCPT TO command))";
pub(crate) const USER_UNKNOWN: &str = "Nov  2 10:09:00 web1 postfix/smtp[5513]: 5E6F708192: to=<nobody@example.net>, relay=mx.example.net[192.0.2.99]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.99] said: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))";
pub(crate) const O365_5_4_1: &str = "Nov  2 10:10:00 web1 postfix/smtp[5514]: 6F708192A3: to=<gone@contoso.com>, relay=contoso-com.mail.protection.outlook.com[52.101.40.2]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.4.1, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.40.2] said: 550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A5F.eurprd04.prod.outlook.com 2026-11-02T10:00:01.000Z 08DE1A2B3C4D5E6F] (in reply to RCPT TO command))";
pub(crate) const SENT_GMAIL: &str = "Nov  2 10:11:00 web1 postfix/smtp[5515]: 708192A3B4: to=<f@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.102.27]:25, delay=0.55, delays=0.02/0.06/0.16/0.31, dsn=2.0.0, status=sent (250 2.0.0 OK  1607509104 z6si1138927wrp.1 - gsmtp)";
/// A reply that quotes no address: the sender must come from elsewhere, never from `host X[ip]`.
pub(crate) const NO_IP_DEFERRAL: &str = "Nov  2 10:12:00 web1 postfix/smtp[5516]: 8192A3B4C5: to=<g@example.org>, relay=mx.example.org[192.0.2.250]:25, delay=3, delays=0/0/1.5/1.5, dsn=4.3.5, status=deferred (host mx.example.org[192.0.2.250] said: 451 4.3.5 Server configuration problem (in reply to RCPT TO command))";
pub(crate) const NOISE: &str = "Nov  2 10:00:00 web1 postfix/qmgr[1207]: 6BAB0300C9CD: from=<shop@customer.example>, size=1842, nrcpt=1 (queue active)";

// ---------------------------------------------------------------------------------------------
// Helpers

pub(crate) fn blockscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_blockscope"))
}

pub(crate) struct Fleet {
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) const INVENTORY_HEADER: &str = "customer_id,customer_name,vps_id,ip\n";

impl Fleet {
    pub(crate) fn new(inventory: &str) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("logs")).unwrap();
        fs::write(dir.path().join("inventory.csv"), inventory).unwrap();
        Fleet { dir }
    }

    /// The neighbourhood inventory and one real Outlook.com S3140 bounce in vps-a's log: the
    /// smallest fleet that produces a full report set.
    pub(crate) fn one_s3140() -> Fleet {
        let fleet = Fleet::new(&neighbourhood_inventory());
        fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
        fleet
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a log file with the given lines and mtime (Unix seconds).
    pub(crate) fn log(&self, rel: &str, lines: &[&str], mtime: i64) -> &Fleet {
        let path = self.path("logs").join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        set_mtime(&path, mtime);
        self
    }

    pub(crate) fn run(&self, threads: usize) -> Output {
        self.run_args(&["--threads", &threads.to_string()])
    }

    pub(crate) fn run_args(&self, extra: &[&str]) -> Output {
        self.command("run", extra)
    }

    /// `check-config EXTRA` over this fleet's logs, inventory and `out`.
    pub(crate) fn check_config(&self, extra: &[&str]) -> Output {
        self.command("check-config", extra)
    }

    /// `run EXTRA` over this fleet's logs and inventory into `out` (`rel` below the fleet).
    pub(crate) fn run_into(&self, rel: &str, extra: &[&str]) -> Output {
        self.command_into("run", &self.path(rel), extra)
    }

    /// `blockscope SUBCOMMAND` over this fleet's logs, inventory and `out`, then `extra`.
    fn command(&self, subcommand: &str, extra: &[&str]) -> Output {
        self.command_into(subcommand, &self.path("out"), extra)
    }

    fn command_into(&self, subcommand: &str, out: &Path, extra: &[&str]) -> Output {
        blockscope()
            .arg(subcommand)
            .arg("--logs")
            .arg(self.path("logs"))
            .arg("--inventory")
            .arg(self.path("inventory.csv"))
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap()
    }

    /// `run --threads 2` into `out/../split` with huge-file chunks of `chunk_bytes`.
    pub(crate) fn run_split(&self, chunk_bytes: &str) -> Output {
        blockscope()
            .env("BLOCKSCOPE_CHUNK_BYTES", chunk_bytes)
            .args(["run", "--threads", "2", "--logs"])
            .arg(self.path("logs"))
            .arg("--inventory")
            .arg(self.path("inventory.csv"))
            .arg("--out")
            .arg(self.path("split"))
            .output()
            .unwrap()
    }

    /// `ingest` this fleet's logs (with its inventory) into the partial `rel`.
    pub(crate) fn ingest(&self, rel: &str) -> Output {
        blockscope()
            .args(["ingest", "-q", "--threads", "1", "--logs"])
            .arg(self.path("logs"))
            .arg("--inventory")
            .arg(self.path("inventory.csv"))
            .arg("--out")
            .arg(self.path(rel))
            .output()
            .unwrap()
    }

    /// `explain TARGET` over this fleet's logs and inventory.
    pub(crate) fn explain(&self, target: &str) -> Output {
        blockscope()
            .args(["explain", target, "--inventory"])
            .arg(self.path("inventory.csv"))
            .arg("--logs")
            .arg(self.path("logs"))
            .output()
            .unwrap()
    }

    pub(crate) fn csv(&self, rel: &str) -> Vec<BTreeMap<String, String>> {
        read_csv(&self.path("out").join(rel))
    }

    /// A report of the run into `out/`, as text.
    pub(crate) fn text(&self, rel: &str) -> String {
        let path = self.path("out").join(rel);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

pub(crate) fn set_mtime(path: &Path, unix_secs: i64) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(unix_secs as u64);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Append lines to a log (created if missing) and set its mtime (Unix seconds).
pub(crate) fn append(path: &Path, lines: &[String], mtime: i64) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    set_mtime(path, mtime);
}

/// 2026-11-23T00:00:00Z
pub(crate) const NOV_23_2026: i64 = 1_795_392_000;

pub(crate) fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub(crate) fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    ip: &str,
    rule: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["ip"] == ip && r["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no row for {ip} {rule} in {rows:#?}"))
}

/// `SPAMHAUS` (zen.spamhaus.org) quoting `ip` instead of 198.51.100.7.
pub(crate) fn spamhaus(ip: &str) -> String {
    SPAMHAUS.replace("198.51.100.7", ip)
}

/// `O365_5_7_606` (Office 365 banned sending IP) quoting `ip`.
pub(crate) fn o365_banned(ip: &str) -> String {
    O365_5_7_606.replace("203.0.113.25", ip)
}

/// The neighbourhood fleet with Office 365 banning two customers' addresses (vps-a, vps-b):
/// one receiver's IP-level rule on several customers, the range evidence of the verdict rule.
pub(crate) fn two_customers_banned_by_office365() -> Fleet {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet
        .log(
            "vps-a/mail.log",
            &[&o365_banned("198.51.100.7")],
            NOV_23_2026,
        )
        .log(
            "vps-b/mail.log",
            &[&o365_banned("198.51.100.8")],
            NOV_23_2026,
        );
    fleet
}

pub(crate) fn neighbourhood_inventory() -> String {
    format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,198.51.100.7\nc2,Beta Blog,vps-b,198.51.100.8\nc3,Gamma Ltd,vps-c,198.51.100.9\nc4,Delta,vps-d,198.51.100.10\nc5,Epsilon,vps-e,203.0.113.25\nc5,Epsilon,vps-f,203.0.113.40\nc6,Zeta,vps-g,198.51.100.20\nc6,Zeta,vps-g,198.51.100.21\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Sample data: golden reports and thread-count independence

pub(crate) fn sample_fleet() -> Fleet {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let fleet = Fleet::new(&fs::read_to_string(root.join("inventory.csv")).unwrap());
    copy_tree(&root.join("logs"), &fleet.path("logs"));
    copy_tree(&root.join("snds"), &fleet.path("snds"));
    fleet
}

/// Run the sample fleet as the README does (with its SNDS exports, provider config and a fresh
/// copy of its state: the delisting cases).
pub(crate) fn run_sample(fleet: &Fleet, threads: usize) -> Output {
    // A fresh copy each run, as scripts/run-sample.sh does: every run reads the same nights.
    let state = fleet.path("state");
    let _ = fs::remove_dir_all(&state);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/state"),
        &state,
    );
    run_sample_with(fleet, threads, &["--state", state.to_str().unwrap()])
}

/// The sample fleet run without a state: no delisting case, every block asked for in the pack.
pub(crate) fn run_sample_without_cases(fleet: &Fleet, threads: usize) -> Output {
    run_sample_with(fleet, threads, &[])
}

fn run_sample_with(fleet: &Fleet, threads: usize, extra: &[&str]) -> Output {
    let snds = fleet.path("snds");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/blockscope.toml");
    let threads = threads.to_string();
    let mut args = vec![
        "--threads",
        threads.as_str(),
        "--snds",
        snds.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fleet.run_args(&args)
}

/// Copy a directory tree, pinning every mtime (git does not keep them; year inference reads them).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            set_mtime(&target, NOV_23_2026);
        }
    }
}

pub(crate) fn tree_contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walk(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        files.insert(rel, fs::read(&entry).unwrap());
    }
    files
}

pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Hostile input: the run completes, the damage is counted and listed, exit code 3.

// ---------------------------------------------------------------------------------------------
// Other MTAs and envelopes (line shapes from the MTAs' sources and public logs; the real-MTA
// captures are in tests/fixtures/).

// ---------------------------------------------------------------------------------------------
// Provider rule files and unclassified replies

// ---------------------------------------------------------------------------------------------
// SNDS joined with the logs

// ---------------------------------------------------------------------------------------------
// Reports people act on: delisting pack, notices, attest, explain (on the sample fleet)

// ---------------------------------------------------------------------------------------------
// Nightly operation: config file, check-config, lock, metrics

// ---------------------------------------------------------------------------------------------
// summary.html: escaping, heatmaps, self-containment.

// ---------------------------------------------------------------------------------------------
// Untrusted text and hostile files: safe outputs, limits.

// ---------------------------------------------------------------------------------------------
// Beyond one machine: ingest on each log host, merge the Parquet partials anywhere.

/// Two report trees are the same file for file, byte for byte; a difference shows both texts.
pub(crate) fn assert_same_tree(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
    expected_label: &str,
    actual_label: &str,
) {
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (rel, bytes) in expected {
        assert!(
            &actual[rel] == bytes,
            "{rel} differs:\n--- {expected_label}\n{}\n--- {actual_label}\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&actual[rel])
        );
    }
}
