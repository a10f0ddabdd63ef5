//! `blockscope explain`: every delivery line about one IP or range, read file by file the way
//! the nightly run reads them (duplicates dropped, central files routed by host, years resolved).

use super::delivery::{sending_ip, status_code};
use super::line::{Event, Outcome};
use super::run::clean_line;
use super::{
    central, detect_format, duplicates, parse_line_with_host, reader, LogFile, SNIFF_LINES,
};
use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::model::IpSource;
use std::net::IpAddr;

/// One log line about an IP, for `blockscope explain`.
#[derive(Debug, Clone)]
pub(crate) struct Evidence {
    pub(crate) file: String,
    pub(crate) line: u64,
    /// Unix micros (year-less styles resolved like the run does).
    pub(crate) time: i64,
    pub(crate) outcome: Outcome,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) ip_source: IpSource,
    pub(crate) receiver: String,
    pub(crate) rule: crate::model::RuleIdx,
    pub(crate) reply: String,
}

/// Every delivery line whose sending IP `wanted` accepts, file by file (sequential: this is for
/// one IP or range, not the nightly run).
pub(crate) fn evidence(
    files: &[LogFile],
    inv: &Inventory,
    rules: &RuleSet,
    wanted: &dyn Fn(IpAddr) -> bool,

    tz: Option<chrono_tz::Tz>,
) -> Vec<Evidence> {
    let mut out = Vec::new();
    // As in the nightly run: content read twice would be cited twice.
    let mut sorted: Vec<&LogFile> = duplicates::drop_duplicates(files, &mut Default::default());
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for file in sorted {
        let Ok(mut input) = reader::open_log(&file.path) else {
            continue;
        };
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        while let Ok((kind, _)) = reader::read_line(&mut *input, &mut buf, reader::MAX_LINE) {
            match kind {
                reader::Read::Eof => break,
                reader::Read::TooLong => lines.push(None),
                reader::Read::Line => lines.push(Some(clean_line(&buf).0.into_owned())),
            }
        }
        let Some(format) =
            detect_format(lines.iter().take(SNIFF_LINES).flatten().map(String::as_str))
        else {
            continue;
        };
        // A central file's lines go by their HOSTNAME, each host with its own clock.
        let mut clocks = central::Clocks::new(inv, file, tz);
        let mut found = Vec::new();
        let mut clock_of = Vec::new();
        for (i, text) in lines.iter().enumerate() {
            let Some(text) = text else { continue };
            let (Some(raw), host, Event::Delivery(d)) = parse_line_with_host(format, text) else {
                continue;
            };
            let Some((observed_vps, k)) = clocks.locate(inv, host) else {
                continue;
            };
            let Some(time) = clocks.clocks[k].stamp(raw, i as u64 + 1) else {
                continue;
            };
            let (ip, ip_source) = sending_ip(&d, observed_vps, inv);
            if !ip.is_some_and(wanted) {
                continue;
            }
            let reply: &str = &d.reply;
            let code = status_code(&d);
            let rule = if d.outcome == Outcome::Sent {
                rules.unclassified_idx()
            } else {
                rules.classify(reply, code)
            };
            found.push(Evidence {
                file: file.name.clone(),
                line: i as u64 + 1,
                time,
                outcome: d.outcome,
                ip,
                ip_source,
                receiver: d.receiver_host.unwrap_or("").to_string(),
                rule,
                reply: reply.to_string(),
            });
            clock_of.push(k);
        }
        let times = found.iter_mut().map(|e| &mut e.time).zip(clock_of);
        clocks.resolve(file.anchor, times);
        out.extend(found);
    }
    out
}
