//! The syslog envelope around a program's message, in every style the fleet writes:
//! RFC 3164 (`Nov  2 10:00:01 host prog[pid]: msg`, also zero-padded, unpadded, with a
//! `<facility.level>` tag or a `<PRI>`), rsyslog RFC 3339, journalctl `short-iso`,
//! `short-precise` and `short-iso-precise`, and RFC 5424 (`<22>1 2026-11-02T10:00:01Z host app pid - - msg`).

use super::timestamp::{parse_prefix, RawTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Envelope<'a> {
    pub(crate) time: RawTime,
    /// The syslog HOSTNAME as logged (empty for RFC 5424's nil `-`); central syslog routes by it.
    pub(crate) host: &'a str,
    /// Program name without the pid (`postfix/smtp`, `exim`, `smtpd`, `sm-mta`).
    pub(crate) program: &'a str,
    pub(crate) message: &'a str,
}

/// `-- Journal begins at ... --`, `-- Boot 3f2a... --`: journalctl's own lines.
pub(crate) fn is_journal_marker(line: &str) -> bool {
    line.starts_with("-- ") && (line.ends_with(" --") || line == "-- No entries --")
}

pub(crate) fn parse(line: &str) -> Option<Envelope<'_>> {
    let line = strip_pri(line);
    if let Some(rest) = line.strip_prefix("1 ") {
        return parse_rfc5424(rest);
    }
    let (time, rest) = parse_prefix(line)?;
    // Optional `<mail.notice>` tag (syslog-ng / sendmail setups).
    let rest = match rest.strip_prefix('<') {
        Some(tagged) => tagged.split_once("> ").map_or(rest, |(_, r)| r),
        None => rest,
    };
    let (host, rest) = rest.split_once(' ')?;
    // `split_once(": ")` with a searcher built once, not per line.
    let colon = find!(rest.as_bytes(), b": ").map(|i| (&rest[..i], &rest[i + 2..]));
    let (program, message) = colon
        .or_else(|| rest.strip_suffix(':').map(|p| (p, "")))
        .filter(|(p, _)| !p.contains(' '))
        .or_else(|| tag_without_colon(rest))?;
    let program = program.split_once('[').map_or(program, |(p, _)| p);
    Some(Envelope {
        time,
        host,
        program,
        message,
    })
}

/// `prog[pid] msg`: rsyslog writes an RFC 5424 message's tag without the colon
/// (`RSYSLOG_TraditionalFileFormat` on a central log host).
fn tag_without_colon(rest: &str) -> Option<(&str, &str)> {
    let (tag, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let (name, pid) = tag.strip_suffix(']')?.split_once('[')?;
    let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (is_pid && !name.is_empty()).then_some((tag, message))
}

fn strip_pri(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('<') {
        if let Some((pri, after)) = rest.split_once('>') {
            if !pri.is_empty() && pri.len() <= 3 && pri.bytes().all(|b| b.is_ascii_digit()) {
                return after;
            }
        }
    }
    line
}

/// `TIMESTAMP HOST APP PROCID MSGID SD MSG` after the version.
fn parse_rfc5424(rest: &str) -> Option<Envelope<'_>> {
    let (time, rest) = parse_prefix(rest)?;
    let mut parts = rest.splitn(5, ' ');
    let host = parts.next()?;
    let app = parts.next()?;
    let _procid = parts.next()?;
    let _msgid = parts.next()?;
    let rest = parts.next().unwrap_or("");
    let message = skip_structured_data(rest);
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Some(Envelope {
        time,
        host: if host == "-" { "" } else { host },
        program: if app == "-" { "" } else { app },
        message,
    })
}

fn skip_structured_data(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix("- ") {
        return rest;
    }
    if s == "-" {
        return "";
    }
    // One or more `[id key="value" ...]` elements; `\]` escapes inside values.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b'[' {
        let mut escaped = false;
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' if !escaped => escaped = true,
                b']' if !escaped => break,
                _ => escaped = false,
            }
            i += 1;
        }
        i += 1;
    }
    s.get(i..).map_or("", |r| r.strip_prefix(' ').unwrap_or(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let e = parse("Nov  2 10:00:01 web1 postfix/smtp[123]: ABC: to=<a@b>").unwrap();
        assert_eq!(
            (e.host, e.program, e.message),
            ("web1", "postfix/smtp", "ABC: to=<a@b>")
        );
        let e = parse("2023-09-08T17:20:30+0200 web1 postfix/smtp[123]: ABC: x").unwrap();
        assert_eq!(e.program, "postfix/smtp");
        let e = parse("Sep 08 17:20:30.655028 web1 postfix/smtp[123]: ABC: x").unwrap();
        assert_eq!(
            e.time,
            RawTime::YearLess {
                month: 9,
                day: 8,
                secs: 62430,
                micros: 655_028
            }
        );
        let e = parse(
            "<22>1 2026-11-02T10:00:01.123456+01:00 web1 postfix/smtp 1234 - - ABC: to=<a@b>",
        )
        .unwrap();
        assert_eq!(
            (e.host, e.program, e.message),
            ("web1", "postfix/smtp", "ABC: to=<a@b>")
        );
        let e =
            parse(r#"<22>1 2026-11-02T10:00:01Z web1 postfix/smtp 1234 - [meta x="a\]b"] ABC: y"#)
                .unwrap();
        assert_eq!(e.message, "ABC: y");
        let e =
            parse("Jun 17 14:37:39 <mail.notice> robin sm-mta[2794]: 55HIbcGI002794: x").unwrap();
        assert_eq!((e.host, e.program), ("robin", "sm-mta"));
        assert!(parse("Jan 1 00:00:00 hostname postfix/postscreen[12345").is_none());
        // rsyslog writes an RFC 5424 message's tag without the colon.
        let e =
            parse("Dec 31 23:59:51 vps2.example.net postfix-out/smtp[21380] 1A2B: to=<a@b>, x: y")
                .unwrap();
        assert_eq!(
            (e.host, e.program, e.message),
            (
                "vps2.example.net",
                "postfix-out/smtp",
                "1A2B: to=<a@b>, x: y"
            )
        );
        assert!(parse("Dec 31 23:59:51 vps2 some words without a tag").is_none());
        // The HOSTNAME is borrowed from the line, in every style a central log host writes.
        for (line, host) in [
            ("Nov  2 10:00:01 vps1 postfix/smtp[1]: x", "vps1"),
            ("2026-11-02T10:00:01.123456+00:00 VPS2.example.net postfix/smtp[1]: x", "VPS2.example.net"),
            ("1 2026-11-02T10:00:01.123456+00:00 vps3 postfix/smtp 1 - [timeQuality tzKnown=\"1\"] x", "vps3"),
            ("<22>1 2026-11-02T10:00:01Z - postfix/smtp 1 - - x", ""),
            ("2026-11-02T10:00:01+0000 vps4 postfix/smtp[1]: x", "vps4"),
        ] {
            assert_eq!(parse(line).unwrap().host, host, "{line}");
        }
        assert!(is_journal_marker("-- Journal begins at Mon 2026-11-02 10:00:00 UTC, ends at Mon 2026-11-02 11:00:00 UTC. --"));
        assert!(is_journal_marker("-- Boot 3f2a9c0d1e --"));
    }
}
