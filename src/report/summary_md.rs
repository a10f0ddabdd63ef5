//! `summary/summary.md`: what a support engineer reads first.

use super::cells::{join, list, opt};
use super::iso;
use crate::aggregate::{display_order, Aggregates, IpRow, Status, Verdict};
use crate::classify::rules::Class;
use crate::ingest::snds::ReasonKind;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;

/// Escape untrusted text (receiver replies, ids) for a Markdown table cell.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // `_` inside words is literal in CommonMark; left alone so ids stay readable.
            '|' | '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Distinct addresses named by the rows.
fn distinct_ips(rows: &[&IpRow]) -> usize {
    rows.iter()
        .filter_map(|r| r.ip)
        .collect::<BTreeSet<_>>()
        .len()
}

fn distinct<'a>(rows: impl Iterator<Item = &'a str>) -> usize {
    rows.filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .len()
}

/// A Markdown table: `header` cells ending in `>` are right-aligned (the `>` is dropped).
fn table(
    w: &mut dyn Write,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    let names: Vec<&str> = header.iter().map(|h| h.trim_end_matches('>')).collect();
    let rules: Vec<&str> = header
        .iter()
        .map(|h| if h.ends_with('>') { "---:" } else { "---" })
        .collect();
    writeln!(w, "| {} |", names.join(" | "))?;
    writeln!(w, "|{}|", rules.join("|"))?;
    for row in rows {
        writeln!(w, "| {} |", row.join(" | "))?;
    }
    Ok(())
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "—".into()
    } else {
        md(s)
    }
}

pub fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let blocked: Vec<&IpRow> = agg.ips.iter().filter(|r| r.class.is_block()).collect();
    let throttled: Vec<&IpRow> = agg
        .ips
        .iter()
        .filter(|r| r.class == Class::Throttle)
        .collect();
    let not_ip: Vec<&IpRow> = agg.ips.iter().filter(|r| r.class == Class::NotIp).collect();
    let unclassified: Vec<&IpRow> = agg
        .ips
        .iter()
        .filter(|r| r.class == Class::Unclassified)
        .collect();
    let receiver_errors: Vec<&IpRow> = agg
        .ips
        .iter()
        .filter(|r| r.class == Class::ReceiverError)
        .collect();
    let auth: Vec<&IpRow> = agg.ips.iter().filter(|r| r.class == Class::Auth).collect();
    let content: Vec<&IpRow> = agg
        .ips
        .iter()
        .filter(|r| r.class == Class::Content)
        .collect();
    let subnets = display_order(&agg.subnets);
    let neighbourhoods: Vec<_> = subnets
        .iter()
        .filter(|s| s.verdict == Verdict::Neighbourhood)
        .collect();

    writeln!(w, "# blockscope report\n")?;
    writeln!(w, "Report window: {}.\n", agg.window.describe())?;
    match (agg.first_time, agg.last_time) {
        (Some(a), Some(b)) => writeln!(
            w,
            "Evidence window: {} to {} (UTC, from the log lines).\n",
            iso(a),
            iso(b)
        )?,
        _ => writeln!(w, "No delivery lines were found in the logs.\n")?,
    }

    writeln!(w, "## At a glance\n")?;
    writeln!(
        w,
        "- **{}** neighbourhood block(s): subnets where one receiver blocks several customers, or says it blocks part of the network",
        neighbourhoods.len()
    )?;
    writeln!(
        w,
        "- **{}** blocked IP(s) of **{}** customer(s) (IP blocks, network blocks, DNSBL listings)",
        distinct_ips(&blocked),
        distinct(blocked.iter().map(|r| r.customer_id.as_str()))
    )?;
    writeln!(w, "- **{}** throttled IP(s)", distinct_ips(&throttled))?;
    writeln!(
        w,
        "- {} rejection(s) that are not about the IP (unknown user, mailbox full, network failures); never counted as blocks",
        not_ip.iter().map(|r| r.events).sum::<u64>()
    )?;
    writeln!(
        w,
        "- {} unclassified repl(ies)\n",
        unclassified.iter().map(|r| r.events).sum::<u64>()
    )?;

    writeln!(w, "## Neighbourhood blocks\n")?;
    if neighbourhoods.is_empty() {
        writeln!(w, "None.\n")?;
    } else {
        writeln!(w, "| Subnet | Blocked IPs | Active IPs | Inventory IPs | Customers blocked / in subnet | Platforms | Rules |")?;
        writeln!(w, "|---|---:|---:|---:|---:|---|---|")?;
        for s in &neighbourhoods {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} / {} | {} | {} |",
                md(&s.subnet.to_string()),
                s.blocked_ips,
                s.active_ips,
                s.inventory_ips,
                s.blocked_customers,
                s.customers,
                or_dash(&list(&s.platforms)),
                or_dash(&list(&s.rule_ids))
            )?;
        }
        writeln!(w)?;
        writeln!(w, "A neighbourhood block is lifted for the range, not per customer: ask the receiver to delist the whole subnet (see the Outlook.com route below) and look for the sender that caused it.\n")?;
    }

    writeln!(w, "## Blocked IPs by platform\n")?;
    if blocked.is_empty() {
        writeln!(w, "None.\n")?;
    }
    // DNSBL listings are the list's business whichever receiver consulted it: one section.
    let mut by_platform: BTreeMap<String, Vec<&IpRow>> = BTreeMap::new();
    for r in &blocked {
        let heading = if r.class == Class::Dnsbl {
            "DNS block lists (any receiver)".to_string()
        } else {
            join(&r.platforms, ", ")
        };
        by_platform.entry(heading).or_default().push(r);
    }
    for (heading, rows) in by_platform {
        writeln!(w, "### {}\n", or_dash(&heading))?;
        writeln!(w, "| IP | Customer | VPS | Rule | Code | Receiver rule | Events | First seen | Last seen | Subnet verdict |")?;
        writeln!(w, "|---|---|---|---|---|---|---:|---|---|---|")?;
        let mut routes: BTreeMap<&str, &str> = BTreeMap::new();
        for r in &rows {
            let verdict = agg.verdict_of(r.subnet).map_or("", |v| v.as_str());
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                or_dash(&opt(r.ip)),
                or_dash(&r.customer_id),
                or_dash(&r.vps_id),
                md(&r.rule_id),
                or_dash(&list(&r.codes)),
                or_dash(&list(&r.receiver_rule_ids)),
                r.events,
                iso(r.first_seen),
                iso(r.last_seen),
                or_dash(verdict)
            )?;
            routes.insert(r.rule_id.as_str(), r.delist_route.as_str());
        }
        writeln!(w, "\nDelisting:\n")?;
        for (rule, route) in routes {
            writeln!(w, "- `{}`: {}", rule, md(route))?;
        }
        writeln!(w)?;
    }

    if agg.snds_given {
        write_snds(w, agg)?;
    }

    writeln!(w, "## Throttling\n")?;
    if throttled.is_empty() {
        writeln!(w, "None.\n")?;
    } else {
        table(
            w,
            &[
                "IP",
                "Customer",
                "Platform",
                "Rule",
                "Code",
                "Events>",
                "First seen",
                "Last seen",
            ],
            throttled.iter().map(|r| {
                vec![
                    or_dash(&opt(r.ip)),
                    or_dash(&r.customer_id),
                    or_dash(&list(&r.platforms)),
                    md(&r.rule_id),
                    or_dash(&list(&r.codes)),
                    r.events.to_string(),
                    iso(r.first_seen),
                    iso(r.last_seen),
                ]
            }),
        )?;
        writeln!(w, "\nThrottling is not delistable: lower the rate towards that receiver; it lifts as reputation recovers.\n")?;
    }

    for (title, advice, rows) in [
        (
            "Domain authentication (fix the customer's domain)",
            "The receiver refuses the message because the customer's domain or host fails SPF, DKIM, DMARC or PTR requirements. Nothing to delist: fix the DNS records or signing.",
            &auth,
        ),
        (
            "Content rejections",
            "The receiver refuses what was sent, not the IP. Nothing to delist: the customer must fix the messages.",
            &content,
        ),
    ] {
        if rows.is_empty() {
            continue;
        }
        writeln!(w, "## {title}\n")?;
        writeln!(w, "{advice}\n")?;
        table(
            w,
            &["IP", "Customer", "Platform", "Rule", "Code", "Events>", "Last seen"],
            rows.iter().map(|r| {
                vec![
                    or_dash(&opt(r.ip)),
                    or_dash(&r.customer_id),
                    or_dash(&list(&r.platforms)),
                    md(&r.rule_id),
                    or_dash(&list(&r.codes)),
                    r.events.to_string(),
                    iso(r.last_seen),
                ]
            }),
        )?;
        writeln!(w)?;
    }

    if !receiver_errors.is_empty() {
        writeln!(w, "## Receiver-side DNSBL errors\n")?;
        writeln!(w, "These receivers' block-list lookups are broken (e.g. Spamhaus refuses their resolver); the IP is not listed. Tell the recipient's postmaster; do not request delisting.\n")?;
        for r in &receiver_errors {
            writeln!(
                w,
                "- {} ({}): {} event(s), e.g. `{}`",
                or_dash(&opt(r.ip)),
                or_dash(&list(&r.platforms)),
                r.events,
                md(&r.sample_reply)
            )?;
        }
        writeln!(w)?;
    }

    writeln!(w, "## Not IP problems\n")?;
    if not_ip.is_empty() {
        writeln!(w, "None.\n")?;
    } else {
        let mut by_rule: BTreeMap<&str, (u64, BTreeSet<&str>)> = BTreeMap::new();
        for r in &not_ip {
            let e = by_rule.entry(r.rule_id.as_str()).or_default();
            e.0 += r.events;
            e.1.insert(r.customer_id.as_str());
        }
        writeln!(w, "| Rule | Events | Customers |")?;
        writeln!(w, "|---|---:|---:|")?;
        for (rule, (events, customers)) in by_rule {
            writeln!(w, "| {} | {} | {} |", md(rule), events, customers.len())?;
        }
        writeln!(w)?;
    }

    writeln!(w, "## Unclassified replies\n")?;
    if unclassified.is_empty() {
        writeln!(w, "None.\n")?;
    } else {
        writeln!(w, "No rule matched these replies; if one is an IP block, add a rule with `--rules FILE` (see docs/rules.md). `unclassified.csv` groups them fleet-wide with addresses and ids masked.\n")?;
        table(
            w,
            &[
                "IP",
                "Customer",
                "Platform",
                "Code",
                "Events>",
                "Latest reply",
            ],
            unclassified.iter().map(|r| {
                vec![
                    or_dash(&opt(r.ip)),
                    or_dash(&r.customer_id),
                    or_dash(&list(&r.platforms)),
                    or_dash(&list(&r.codes)),
                    r.events.to_string(),
                    md(&r.sample_reply),
                ]
            }),
        )?;
        writeln!(w)?;
    }

    let s = &agg.stats;
    writeln!(w, "## Input\n")?;
    writeln!(w, "| Files | Bytes | Lines | Sent | Deferred | Bounced | Expired | Suspended retries | Local hand-offs | Noise | Skipped |")?;
    writeln!(
        w,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    writeln!(
        w,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.files,
        s.bytes,
        s.lines,
        s.sent,
        s.deferred,
        s.bounced,
        s.expired,
        s.suspended,
        s.local_handoffs,
        s.noise_lines,
        s.skipped_total()
    )?;
    if !s.skipped.is_empty() {
        writeln!(w, "Skipped lines by reason:\n")?;
        for (reason, n) in &s.skipped {
            writeln!(w, "- {}: {}", md(reason), n)?;
        }
        writeln!(w)?;
    }
    if !agg.unconfirmed.is_empty() {
        writeln!(w, "{}\n", unconfirmed_note(agg))?;
    }
    if s.unclassified_dropped() > 0 {
        let note = super::run_summary::unclassified_cap_note(s);
        writeln!(w, "Unclassified: {}.\n", md(&note))?;
    }
    if !s.repaired.is_empty() {
        writeln!(w, "Lines read after a repair:\n")?;
        for (reason, n) in &s.repaired {
            writeln!(w, "- {}: {}", md(reason), n)?;
        }
        writeln!(w)?;
    }
    let file_problems: Vec<_> = s.problems.iter().filter(|p| p.line.is_none()).collect();
    if !file_problems.is_empty() {
        writeln!(w, "Files that could not be read as they are (all input problems: `input-problems.csv`):\n")?;
        for p in file_problems {
            writeln!(w, "- `{}`: {}", md(&p.file), md(&p.reason))?;
        }
        writeln!(w)?;
    }
    if !s.unknown_vps_dirs.is_empty() {
        writeln!(
            w,
            "VPS directories not in the inventory (their events are attributed by IP only):\n"
        )?;
        for (dir, files) in &s.unknown_vps_dirs {
            writeln!(w, "- `{}` ({} file(s))", md(dir), files)?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Addresses quoted in another customer's logs: attributed to no one until support confirms.
fn unconfirmed_note(agg: &Aggregates) -> String {
    let ips: BTreeSet<Option<IpAddr>> = agg.unconfirmed.iter().map(|r| r.ip).collect();
    let events: u64 = agg.unconfirmed.iter().map(|r| r.events).sum();
    format!(
        "Replies quoting an address of another customer than the VPS whose log holds them: {} repl(ies) about {} address(es), attributed to no customer, left out of the verdicts, notices and delisting pack until support confirms them (`ips.csv` rows with `ip_source` `reply_other_customer`; `input-problems.csv` names both VPSes).",
        events,
        ips.len()
    )
}

/// The SNDS section: Outlook.com's own view, and where it agrees with the logs.
fn write_snds(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    writeln!(w, "## SNDS: Outlook.com's view\n")?;

    let empty = agg.snds_notes.empty();
    for note in &empty {
        writeln!(w, "- {}", md(note))?;
    }
    if agg.snds_notes.outside_window > 0 {
        writeln!(
            w,
            "- {} SNDS row(s) outside the report window were not counted.",
            agg.snds_notes.outside_window
        )?;
    }
    if !empty.is_empty() || agg.snds_notes.outside_window > 0 {
        writeln!(w)?;
    }
    let blocked: Vec<_> = agg.snds_status.iter().filter(|s| s.blocked).collect();
    if blocked.is_empty() {
        writeln!(w, "SNDS lists none of our ranges as blocked.\n")?;
    } else {
        writeln!(w, "| Blocked range | CIDRs | Our IPs in it | Bouncing at Outlook.com in the logs | Reason |")?;
        writeln!(w, "|---|---|---:|---:|---|")?;
        for s in &blocked {
            let inside_rows = agg.ips_in_v4_range(s.first, s.last);
            let ours: BTreeSet<Option<IpAddr>> = inside_rows
                .iter()
                .filter(|r| r.in_inventory)
                .map(|r| r.ip)
                .collect();
            let felt: BTreeSet<Option<IpAddr>> = inside_rows
                .iter()
                .filter(|r| r.is_outlook_block())
                .map(|r| r.ip)
                .collect();
            let cidrs: Vec<String> = s.networks.iter().map(|n| n.to_string()).collect();
            writeln!(
                w,
                "| {} – {} | {} | {} | {} | {} |",
                s.first,
                s.last,
                cidrs.join("; "),
                ours.len(),
                felt.len(),
                md(&s.reason.text)
            )?;
        }
        // Each reason has its own way out: Spamhaus and Symantec listings are lifted there.
        let mut reasons: BTreeMap<ReasonKind, BTreeSet<&str>> = BTreeMap::new();
        for s in &blocked {
            reasons
                .entry(s.reason.kind)
                .or_default()
                .insert(s.reason.text.as_str());
        }
        writeln!(w, "\nDelisting these ranges, by SNDS reason:\n")?;
        for (kind, texts) in reasons {
            let quoted: Vec<String> = texts.iter().map(|t| format!("\"{}\"", md(t))).collect();
            writeln!(
                w,
                "- {} ({}): {}",
                kind.label(),
                quoted.join(", "),
                md(&kind.delist_route())
            )?;
        }
        writeln!(w)?;
    }
    let not_seen: Vec<&IpRow> = agg
        .ips
        .iter()
        .filter(|r| r.status == Status::BlockedNotSeen)
        .collect();
    if !not_seen.is_empty() {
        writeln!(w, "Blocked by SNDS, not yet felt (warn these customers before their mail to Outlook.com bounces):\n")?;
        for r in &not_seen {
            writeln!(
                w,
                "- {} ({}, {})",
                opt(r.ip),
                md(&r.customer_id),
                md(&r.vps_id)
            )?;
        }
        writeln!(w)?;
    }
    // In the order of the address text, as always listed.
    let lag: BTreeSet<String> = agg
        .ips
        .iter()
        .filter(|r| r.is_outlook_block() && r.snds.blocked == Some(false))
        .map(|r| opt(r.ip))
        .collect();
    if !lag.is_empty() {
        writeln!(w, "Bouncing at Outlook.com but not blocked in SNDS (a neighbourhood block or SNDS lag; say so in the delisting request): {}\n", lag.into_iter().collect::<Vec<_>>().join(", "))?;
    }
    let suspects: Vec<_> = display_order(&agg.subnets)
        .into_iter()
        .filter(|s| !s.suspect_ips.is_empty())
        .collect();
    if !suspects.is_empty() {
        writeln!(w, "Likely causes (RED filter, complaint rate of 0.3 % or more, or trap hits inside a blocked subnet): talk to these customers first.\n")?;
        for s in suspects {
            writeln!(w, "- {}: {}", s.subnet, join(&s.suspect_ips, ", "))?;
        }
        writeln!(w)?;
    }
    if !agg.snds_unknown.is_empty() {
        writeln!(
            w,
            "{} IP(s) or range(s) in SNDS are not in the inventory (`snds-unknown-ips.csv`): the inventory is stale, or SNDS access covers ranges no longer ours.\n",
            agg.snds_unknown.len()
        )?;
    }
    Ok(())
}
