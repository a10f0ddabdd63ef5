//! The morning mail (issue 20): `run --mail-to` and `blockscope mail` hand summary.md (text) with
//! summary.html attached to the local `sendmail -t -i`, as pflogsumm's users do from cron. A
//! fake sendmail on PATH records what it was given.

use super::*;
use std::os::unix::fs::PermissionsExt;

/// A `sendmail` that saves its arguments and the message, and exits with `status`.
fn fake_sendmail(fleet: &Fleet, status: i32) -> PathBuf {
    let bin = fleet.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{dir}/sendmail-args'\ncat > '{dir}/sendmail-message'\n[ {status} = 0 ] || echo 'sendmail: fatal: No recipient addresses found in message header' >&2\nexit {status}\n",
        dir = fleet.path("").display()
    );
    let path = bin.join("sendmail");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// `blockscope ARGS` with the fake sendmail in `bin` first on PATH.
fn with_sendmail(bin: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    blockscope().env("PATH", path).args(args).output().unwrap()
}

/// `run --threads 1 EXTRA` over the fleet, mailing through the fake sendmail in `bin`.
fn run_mailing(fleet: &Fleet, bin: &Path, extra: &[&str]) -> Output {
    let (logs, inventory, out) = (
        fleet.path("logs"),
        fleet.path("inventory.csv"),
        fleet.path("out"),
    );
    let mut args = vec!["run", "--threads", "1", "--logs", logs.to_str().unwrap()];
    args.extend([
        "--inventory",
        inventory.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend(extra);
    with_sendmail(bin, &args)
}

/// One MIME part, decoded: content type, attachment file name, body.
type Part = (String, Option<String>, Vec<u8>);

/// The message's headers and its parts.
fn parse(message: &str) -> (String, Vec<Part>) {
    use base64::Engine;
    let (headers, body) = message.split_once("\n\n").unwrap();
    let boundary = headers
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .unwrap();
    let parts = body
        .split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|p| {
            let (head, data) = p.trim_start_matches('\n').split_once("\n\n").unwrap();
            let field = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::to_string)
            };
            let data: String = data.lines().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap();
            let file = field("Content-Disposition: attachment; filename=")
                .map(|f| f.trim_matches('"').to_string());
            (field("Content-Type: ").unwrap(), file, bytes)
        })
        .collect();
    (headers.to_string(), parts)
}

#[test]
fn run_mail_to_sends_the_summary_with_the_page_attached() {
    let fleet = Fleet::one_s3140();
    let bin = fake_sendmail(&fleet, 0);
    let out = run_mailing(
        &fleet,
        &bin,
        &["--mail-to", "noc@provider.example", "--mail-to", "root"],
    );
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("mailed to noc@provider.example, root"));
    assert_eq!(
        fs::read_to_string(fleet.path("sendmail-args")).unwrap(),
        "-t -i\n"
    );
    let message = fs::read_to_string(fleet.path("sendmail-message")).unwrap();
    let (headers, parts) = parse(&message);
    assert!(
        headers.contains("\nTo: noc@provider.example, root\n")
            || headers.starts_with("To: noc@provider.example, root\n"),
        "{headers}"
    );
    assert!(headers.contains("Subject: blockscope "), "{headers}");
    assert!(
        headers.contains(": 1 neighbourhood block, 1 blocked IP of 1 customer\n"),
        "{headers}"
    );
    assert!(headers.contains("Auto-Submitted: auto-generated"));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, "text/plain; charset=utf-8");
    assert_eq!(
        parts[0].2,
        fs::read(fleet.path("out/summary/summary.md")).unwrap()
    );
    assert_eq!(parts[1].1.as_deref(), Some("summary.html"));
    assert_eq!(
        parts[1].2,
        fs::read(fleet.path("out/summary/summary.html")).unwrap()
    );
}

#[test]
fn a_refused_mail_fails_the_run_but_keeps_its_reports() {
    let fleet = Fleet::one_s3140();
    let bin = fake_sendmail(&fleet, 75);
    let out = run_mailing(&fleet, &bin, &["-q", "--mail-to", "noc@provider.example"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused the mail to noc@provider.example"),
        "{stderr}"
    );
    assert!(stderr.contains("No recipient addresses found"), "{stderr}");
    assert!(stderr.contains("the reports are written"), "{stderr}");
    assert!(fleet.path("out/summary/summary.md").is_file());
}

#[test]
fn mail_sends_the_report_set_named_by_the_config() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    let bin = fake_sendmail(&fleet, 0);
    let config = fleet.path("blockscope.toml");
    fs::write(&config, "out = \"out\"\nmail_to = \"postmaster\"\n").unwrap();
    let out = with_sendmail(&bin, &["mail", "--config", config.to_str().unwrap()]);
    ok(&out);
    let message = fs::read_to_string(fleet.path("sendmail-message")).unwrap();
    assert!(
        message.starts_with("To: postmaster\n"),
        "{}",
        &message[..80]
    );
    // Without a recipient there is nothing to do (blockscope-mail.service runs every night).
    fs::write(&config, "out = \"out\"\n").unwrap();
    fs::remove_file(fleet.path("sendmail-message")).unwrap();
    let out = with_sendmail(&bin, &["mail", "--config", config.to_str().unwrap()]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing mailed"));
    assert!(!fleet.path("sendmail-message").exists());
}

#[test]
fn a_recipient_that_would_add_headers_is_refused_before_the_run() {
    let fleet = Fleet::one_s3140();
    for bad in [
        "noc@provider.example\nBcc: x@evil.example",
        "a@b.example, c@d.example",
        "<root>",
    ] {
        let out = fleet.run_args(&["--mail-to", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--mail-to / mail_to") && stderr.contains("not an address"),
            "{stderr}"
        );
        assert!(
            !fleet.path("out").exists(),
            "no report set for a refused configuration"
        );
    }
}

#[test]
fn mail_without_a_report_set_says_run_first() {
    let fleet = Fleet::one_s3140();
    let bin = fake_sendmail(&fleet, 0);
    let nothing = fleet.path("nothing-here");
    let out = with_sendmail(
        &bin,
        &[
            "mail",
            "--mail-to",
            "root",
            "--out",
            nothing.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no report set to mail"));
}
