//! The morning mail: the report set's summary.md as the text, summary.html attached, handed to
//! the local `sendmail -t -i` as pflogsumm's users do from cron. `run --mail-to` sends it after
//! a successful run; `blockscope mail` sends the report set already in `--out` (what
//! blockscope-mail.service does, outside the nightly unit's sandbox).

use crate::config::Config;
use crate::error::MailError;
use base64::Engine;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

/// Largest summary.html attached: encoded, ~9.3 MB, under Postfix's default 10 MB
/// `message_size_limit`. A larger page (a fleet of thousands of VPSes) is named, not attached.
const MAX_ATTACHMENT: u64 = 7_000_000;

/// Where a local MTA puts `sendmail` when PATH does not have it (cron's PATH lacks /usr/sbin).
const SENDMAIL_FALLBACKS: [&str; 2] = ["/usr/sbin/sendmail", "/usr/lib/sendmail"];

/// The mail as composed, before it is handed over.
pub(crate) struct Digest {
    pub(crate) to: Vec<String>,
    pub(crate) subject: String,
    pub(crate) text: String,
    /// summary.html, when small enough to attach.
    pub(crate) html: Option<Vec<u8>>,
}

/// Compose the digest of the report set in `config.out` and send it to `config.mail_to`.
/// Nothing to do without recipients.
pub(crate) fn send_summary(config: &Config) -> Result<(), MailError> {
    if config.mail_to.is_empty() {
        return Ok(());
    }
    let digest = digest(&config.out, config.mail_to.clone(), &today(config))?;
    send(&sendmail()?, &digest)
}

/// The day the mail is about, in the provider's zone.
fn today(config: &Config) -> String {
    let now = chrono::Utc::now();
    match config.tz {
        Some(tz) => now.with_timezone(&tz).format("%Y-%m-%d").to_string(),
        None => now.format("%Y-%m-%d").to_string(),
    }
}

/// The digest of the report set in `out`.
pub(crate) fn digest(out: &Path, to: Vec<String>, day: &str) -> Result<Digest, MailError> {
    let summary = out.join("summary");
    let no_report = |path: PathBuf| move |error| MailError::NoReport { path, error };
    let md_path = summary.join("summary.md");
    let text = std::fs::read_to_string(&md_path).map_err(no_report(md_path.clone()))?;
    let html_path = summary.join("summary.html");
    let html_size = std::fs::metadata(&html_path)
        .map_err(no_report(html_path.clone()))?
        .len();
    let (html, text) = if html_size <= MAX_ATTACHMENT {
        let html = std::fs::read(&html_path).map_err(no_report(html_path.clone()))?;
        (Some(html), text)
    } else {
        let note = format!(
            "summary.html ({:.1} MB) is too large to attach; read it on the report host: {}\n\n",
            html_size as f64 / 1e6,
            html_path.display()
        );
        (None, note + &text)
    };
    Ok(Digest {
        subject: subject(&text, day),
        to,
        text,
        html,
    })
}

static NEIGHBOURHOODS: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\*\*(\d+)\*\* neighbourhood block").expect("valid"));
static BLOCKED: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\*\*(\d+)\*\* blocked IP\(s\) of \*\*(\d+)\*\* customer").expect("valid")
});

static CASES_WAITING: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\*\*(\d+)\*\* delisting case\(s\) wait for support").expect("valid")
});

/// `blockscope 2026-12-05: 1 neighbourhood block, 10 blocked IPs of 10 customers, 1 delisting
/// case waits for support`, from
/// summary.md's "At a glance" (our own template's words; a summary without them gets the
/// plain subject).
fn subject(summary_md: &str, day: &str) -> String {
    let count = |re: &regex::Regex, group: usize| {
        re.captures(summary_md)
            .and_then(|c| c.get(group)?.as_str().parse::<u64>().ok())
    };
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if let Some(n) = count(&NEIGHBOURHOODS, 1) {
        parts.push(plural(n, "neighbourhood block", "neighbourhood blocks"));
    }
    if let (Some(ips), Some(customers)) = (count(&BLOCKED, 1), count(&BLOCKED, 2)) {
        parts.push(format!(
            "{} of {}",
            plural(ips, "blocked IP", "blocked IPs"),
            plural(customers, "customer", "customers")
        ));
    }
    if let Some(n) = count(&CASES_WAITING, 1) {
        parts.push(plural(
            n,
            "delisting case waits for support",
            "delisting cases wait for support",
        ));
    }
    if parts.is_empty() {
        format!("blockscope report {day}")
    } else {
        format!("blockscope {day}: {}", parts.join(", "))
    }
}

/// The message as `sendmail -t` reads it: headers, a text part and the page attached, both
/// base64 (summary.md's table lines exceed SMTP's 998-character limit; log text inside it is
/// never read as headers or as the end of the message).
pub(crate) fn compose(digest: &Digest) -> Vec<u8> {
    let boundary = format!(
        "=_blockscope_{:016x}",
        xxhash_rust::xxh3::xxh3_64(digest.text.as_bytes())
    );
    let mut m = String::new();
    m.push_str(&format!("To: {}\n", digest.to.join(", ")));
    m.push_str(&format!("Subject: {}\n", digest.subject));
    m.push_str(&format!("Date: {}\n", chrono::Utc::now().to_rfc2822()));
    // RFC 3834: no vacation replies to a nightly job.
    m.push_str("Auto-Submitted: auto-generated\nMIME-Version: 1.0\n");
    m.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
    ));
    m.push_str("This is a MIME message: summary.md as text, summary.html attached.\n");
    part(&mut m, &boundary, "text/plain; charset=utf-8", None);
    base64_lines(&mut m, digest.text.as_bytes());
    if let Some(html) = &digest.html {
        part(
            &mut m,
            &boundary,
            "text/html; charset=utf-8; name=\"summary.html\"",
            Some("summary.html"),
        );
        base64_lines(&mut m, html);
    }
    m.push_str(&format!("--{boundary}--\n"));
    m.into_bytes()
}

fn part(m: &mut String, boundary: &str, content_type: &str, attachment: Option<&str>) {
    m.push_str(&format!(
        "\n--{boundary}\nContent-Type: {content_type}\nContent-Transfer-Encoding: base64\n"
    ));
    match attachment {
        Some(name) => m.push_str(&format!(
            "Content-Disposition: attachment; filename=\"{name}\"\n\n"
        )),
        None => m.push_str("Content-Disposition: inline\n\n"),
    }
}

/// RFC 2045: base64 in lines of 76 characters.
fn base64_lines(m: &mut String, data: &[u8]) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    for line in encoded.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        m.push('\n');
    }
}

/// The local MTA's `sendmail`: on PATH, else where Debian's MTAs install it.
fn sendmail() -> Result<PathBuf, MailError> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("sendmail"))
            .find(|p| p.is_file())
    });
    on_path
        .or_else(|| {
            SENDMAIL_FALLBACKS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        })
        .ok_or(MailError::NoSendmail)
}

/// Hand the message to `sendmail -t -i` (recipients from `To:`, a line of one dot is text).
fn send(sendmail: &Path, digest: &Digest) -> Result<(), MailError> {
    let spawn_error = |error| MailError::Spawn {
        sendmail: sendmail.to_path_buf(),
        error,
    };
    let mut child = Command::new(sendmail)
        .args(["-t", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let message = compose(digest);
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(&message));
    let output = child.wait_with_output().map_err(spawn_error)?;
    if output.status.success() {
        if let Some(Err(error)) = written {
            return Err(spawn_error(error));
        }
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.trim();
    Err(MailError::Refused {
        sendmail: sendmail.to_path_buf(),
        to: digest.to.join(", "),
        status: output.status.to_string(),
        stderr: if stderr.is_empty() {
            String::new()
        } else {
            format!(": {}", stderr.chars().take(500).collect::<String>())
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_counts_what_the_summary_counts() {
        let md = "- **1** neighbourhood block(s): subnets...\n- **10** blocked IP(s) of **7** customer(s) (IP blocks...)\n";
        assert_eq!(
            subject(md, "2026-12-05"),
            "blockscope 2026-12-05: 1 neighbourhood block, 10 blocked IPs of 7 customers"
        );
        let md = "- **0** neighbourhood block(s)\n- **1** blocked IP(s) of **1** customer(s)\n";
        assert_eq!(
            subject(md, "2026-12-05"),
            "blockscope 2026-12-05: 0 neighbourhood blocks, 1 blocked IP of 1 customer"
        );
        let md = "- **1** neighbourhood block(s)\n- **3** blocked IP(s) of **2** customer(s)\n\n## Delisting cases\n\n**2** delisting case(s) wait for support: C2 (reply-on-ticket), C3 (submit).\n";
        assert_eq!(
            subject(md, "2026-12-05"),
            "blockscope 2026-12-05: 1 neighbourhood block, 3 blocked IPs of 2 customers, 2 delisting cases wait for support"
        );
        assert_eq!(
            subject("a provider's own summary", "2026-12-05"),
            "blockscope report 2026-12-05"
        );
    }

    #[test]
    fn log_text_in_the_summary_cannot_end_the_message_or_add_headers() {
        let digest = Digest {
            to: vec!["noc@provider.example".into()],
            subject: "blockscope report 2026-12-05".into(),
            text: "reply: 550 x\n.\nBcc: victim@example.net\n\nFrom mallory\n".into(),
            html: Some(b"<html></html>".to_vec()),
        };
        let message = String::from_utf8(compose(&digest)).unwrap();
        let (headers, body) = message.split_once("\n\n").unwrap();
        assert!(!headers.contains("Bcc") && !body.contains("Bcc"));
        assert!(!message.lines().any(|l| l == "." || l.starts_with("From ")));
        assert!(message.lines().all(|l| l.len() <= 998));
        assert!(headers.starts_with("To: noc@provider.example\nSubject: "));
    }
}
