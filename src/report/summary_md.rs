//! `summary/summary.md`: what a support engineer reads first.

use super::cells::{blocked_by, join, list, opt};
use super::iso;
use super::view::{
    blocker_advice, SndsView, Summary, AUTH, CONTENT, RECEIVER_ERRORS, THROTTLE_ADVICE,
};
use crate::aggregate::{Aggregates, IpRow, SubnetRow};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;

/// Escape untrusted text (receiver replies, ids) for a Markdown table cell.
pub(crate) fn md(text: &str) -> String {
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

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let view = Summary::new(agg);
    header(w, agg)?;
    glance(w, &view)?;
    cases(w, agg)?;
    neighbourhoods(w, &view)?;
    blocked(w, &view)?;
    if let Some(snds) = &view.snds {
        write_snds(w, agg, snds)?;
    }
    if let Some(zones) = &view.dnsbl {
        writeln!(w, "## DNS block lists (looked up)\n")?;
        for line in zones {
            writeln!(w, "- {}", md(line))?;
        }
        writeln!(w, "\nListed addresses whose mail has not bounced yet are in the blocked list above as \"DNS block list only, not bouncing yet\"; every listing is in `dnsbl.csv`.\n")?;
    }
    throttling(w, &view)?;
    resolved(w, &view)?;
    other_rejections(w, &view)?;
    receiver_errors(w, &view)?;
    not_ip(w, &view)?;
    unclassified(w, &view)?;
    input(w, agg)
}

fn header(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    writeln!(w, "# blockscope report\n")?;
    writeln!(w, "Report window: {}.\n", agg.window.describe())?;
    match (agg.first_time, agg.last_time) {
        (Some(a), Some(b)) => writeln!(
            w,
            "Evidence window: {} to {} (UTC, from the log lines).\n",
            iso(a),
            iso(b)
        ),
        _ => writeln!(w, "No delivery lines were found in the logs.\n"),
    }
}

fn glance(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    let c = &view.counts;
    writeln!(w, "## At a glance\n")?;
    writeln!(
        w,
        "- **{}** neighbourhood block(s): subnets a receiver blocks as a range (by its own words, an SNDS range over several customers, or its IP-level rule on several customers)",
        view.neighbourhoods.len()
    )?;
    writeln!(
        w,
        "- **{}** subnet(s) with several separate listings (several customers listed one address at a time; not a range block)",
        view.several_listed.len()
    )?;
    writeln!(
        w,
        "- **{}** blocked IP(s) of **{}** customer(s) (IP blocks, network blocks, DNSBL listings)",
        c.blocked_ips, c.blocked_customers
    )?;
    writeln!(w, "- **{}** throttled IP(s)", c.throttled_ips)?;
    if view.state_kept {
        writeln!(
            w,
            "- Since the last run: **{}** new, **{}** ongoing, **{}** resolved (blocks and throttling, per IP and rule)",
            c.new, c.ongoing, view.resolved.len()
        )?;
    }
    writeln!(
        w,
        "- {} rejection(s) that are not about the IP (unknown user, mailbox full, network failures); never counted as blocks",
        c.not_ip_events
    )?;
    writeln!(w, "- {} unclassified repl(ies)\n", c.unclassified_events)
}

/// The delisting cases (with `--state`, when there are any): their life and the next step.
fn cases(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let Some(report) = agg.cases.as_ref().filter(|r| !r.rows.is_empty()) else {
        return Ok(());
    };
    writeln!(w, "## Delisting cases\n")?;
    writeln!(w, "{}\n", super::cases::waiting_line(report))?;
    table(
        w,
        &super::cases::SUMMARY_COLUMNS,
        report.rows.iter().map(|r| {
            vec![
                md(&r.case.id),
                md(&r.case.range_text()),
                md(&r.case.receiver),
                or_dash(r.case.ticket.as_deref().unwrap_or("")),
                md(&super::cases::life(&r.case)),
                super::cases::blocked_now(r),
                md(&super::cases::next_step(r, report.quiet_nights)),
            ]
        }),
    )?;
    writeln!(w, "\nEvery case is in `cases.csv`; `blockscope case list` prints them, `blockscope case import` records the receiver's answer mail.\n")
}

fn neighbourhoods(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    writeln!(w, "## Neighbourhood blocks\n")?;
    subnets(w, view, &view.neighbourhoods)?;
    if !view.neighbourhoods.is_empty() {
        writeln!(w, "A neighbourhood block is one a receiver applies to the range (its own words, an SNDS blocked range over several customers, or its IP-level rule on several customers' addresses): ask that receiver as its advice above says and look for the sender that caused it.\n")?;
    }
    writeln!(w, "### Several separate listings\n")?;
    subnets(w, view, &view.several_listed)?;
    if !view.several_listed.is_empty() {
        writeln!(w, "Several customers' addresses are listed here, each on its own (a block list naming addresses one by one, or different receivers blocking different customers): not a range block. Each address is lifted where its advice above says, one at a time.\n")?;
    }
    Ok(())
}

/// Subnets as a table, then who blocks each as what and the action that receiver or list accepts.
fn subnets(w: &mut dyn Write, view: &Summary, rows: &[&SubnetRow]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(w, "None.\n");
    }
    writeln!(w, "| Subnet | Blocked IPs | Active IPs | Inventory IPs | Customers blocked / in subnet | Blocked by | Rules |")?;
    writeln!(w, "|---|---:|---:|---:|---:|---|---|")?;
    for s in rows {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} / {} | {} | {} |",
            md(&s.subnet.to_string()),
            s.blocked_ips,
            s.active_ips,
            s.inventory_ips,
            s.blocked_customers,
            s.customers,
            or_dash(&join(s.blockers.iter().map(blocked_by), "; ")),
            or_dash(&list(&s.rule_ids))
        )?;
    }
    writeln!(w)?;
    for s in rows {
        for b in &s.blockers {
            let advice = blocker_advice(view.agg, b);
            writeln!(
                w,
                "- {} — {}: {}",
                md(&s.subnet.to_string()),
                md(&blocked_by(b)),
                md(&advice)
            )?;
        }
    }
    writeln!(w)
}

fn blocked(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    writeln!(w, "## Blocked IPs by platform\n")?;
    if view.blocked.is_empty() {
        writeln!(w, "None.\n")?;
    }
    for group in &view.blocked {
        writeln!(w, "### {}\n", or_dash(&group.heading))?;
        // The state column only when a state is kept: without one every row would say nothing.
        let (state_head, state_rule) = if view.state_kept {
            (" Status |", "---|")
        } else {
            ("", "")
        };
        writeln!(w, "| IP | Customer | VPS | Rule | Code | Receiver rule | Events | First seen | Last seen | Subnet verdict |{state_head}")?;
        writeln!(w, "|---|---|---|---|---|---|---:|---|---|---|{state_rule}")?;
        for r in &group.rows {
            let verdict = view.agg.verdict_of(r.subnet).map_or("", |v| v.as_str());
            let state = if view.state_kept {
                format!(" {} |", or_dash(&view.state(r)))
            } else {
                String::new()
            };
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |{state}",
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
        }
        writeln!(w, "\nDelisting:\n")?;
        for (rule, route) in &group.routes {
            writeln!(w, "- `{}`: {}", rule, md(route))?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// The columns every per-IP table starts with (throttling adds "First seen" before "Last seen").
const IP_HEADS: [&str; 7] = [
    "IP",
    "Customer",
    "Platform",
    "Rule",
    "Code",
    "Events>",
    "Last seen",
];

fn ip_cells(r: &IpRow) -> Vec<String> {
    vec![
        or_dash(&opt(r.ip)),
        or_dash(&r.customer_id),
        or_dash(&list(&r.platforms)),
        md(&r.rule_id),
        or_dash(&list(&r.codes)),
        r.events.to_string(),
        iso(r.last_seen),
    ]
}

fn throttling(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    writeln!(w, "## Throttling\n")?;
    if view.throttled.is_empty() {
        return writeln!(w, "None.\n");
    }
    let mut heads = IP_HEADS.to_vec();
    heads.insert(6, "First seen");
    if view.state_kept {
        heads.push("Status");
    }
    table(
        w,
        &heads,
        view.throttled.iter().map(|r| {
            let mut cells = ip_cells(r);
            cells.insert(6, iso(r.first_seen));
            if view.state_kept {
                cells.push(or_dash(&view.state(r)));
            }
            cells
        }),
    )?;
    writeln!(w, "\n{THROTTLE_ADVICE}\n")
}

/// Blocks and throttling that earlier runs saw and tonight's logs no longer show.
fn resolved(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    if !view.state_kept {
        return Ok(());
    }
    writeln!(w, "## Resolved since the last run\n")?;
    if view.resolved.is_empty() {
        return writeln!(w, "None.\n");
    }
    let heads = ["IP", "Customer", "Platform", "Rule", "Last seen", "Status"];
    table(
        w,
        &heads,
        view.resolved.iter().map(|r| {
            vec![
                or_dash(&opt(r.ip)),
                or_dash(&r.customer_id),
                or_dash(&list(&r.platforms)),
                md(&r.rule_id),
                iso(r.last_seen),
                view.state(r),
            ]
        }),
    )?;
    writeln!(w, "\nTonight's logs show none of these any more (the block lifted, or nothing was sent to that receiver): tell the customers concerned, and close an open delisting request once mail gets through.\n")
}

/// Domain authentication and content: nothing to delist, the customer fixes them.
fn other_rejections(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    for ((title, advice), rows) in [(AUTH, &view.auth), (CONTENT, &view.content)] {
        if rows.is_empty() {
            continue;
        }
        writeln!(w, "## {title}\n")?;
        writeln!(w, "{advice}\n")?;
        table(w, &IP_HEADS, rows.iter().map(|r| ip_cells(r)))?;
        writeln!(w)?;
    }
    Ok(())
}

fn receiver_errors(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    if view.receiver_errors.is_empty() {
        return Ok(());
    }
    let (title, advice) = RECEIVER_ERRORS;
    writeln!(w, "## {title}\n")?;
    writeln!(w, "{advice}\n")?;
    for r in &view.receiver_errors {
        writeln!(
            w,
            "- {} ({}): {} event(s), e.g. `{}`",
            or_dash(&opt(r.ip)),
            or_dash(&list(&r.platforms)),
            r.events,
            md(&r.sample_reply)
        )?;
    }
    writeln!(w)
}

fn not_ip(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    writeln!(w, "## Not IP problems\n")?;
    if view.not_ip.is_empty() {
        return writeln!(w, "None.\n");
    }
    writeln!(w, "| Rule | Events | Customers |")?;
    writeln!(w, "|---|---:|---:|")?;
    for c in &view.not_ip {
        writeln!(w, "| {} | {} | {} |", md(c.rule_id), c.events, c.customers)?;
    }
    writeln!(w)
}

fn unclassified(w: &mut dyn Write, view: &Summary) -> std::io::Result<()> {
    writeln!(w, "## Unclassified replies\n")?;
    if view.unclassified.is_empty() {
        return writeln!(w, "None.\n");
    }
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
        view.unclassified.iter().map(|r| {
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
    writeln!(w)
}

fn input(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
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
fn write_snds(w: &mut dyn Write, agg: &Aggregates, view: &SndsView) -> std::io::Result<()> {
    writeln!(w, "## SNDS: Outlook.com's view\n")?;
    for note in &view.empty_notes {
        writeln!(w, "- {}", md(note))?;
    }
    let outside = agg.snds_notes.outside_window;
    if outside > 0 {
        writeln!(
            w,
            "- {outside} SNDS row(s) outside the report window were not counted."
        )?;
    }
    if !view.empty_notes.is_empty() || outside > 0 {
        writeln!(w)?;
    }
    snds_ranges(w, view)?;
    if !view.not_seen.is_empty() {
        writeln!(w, "Blocked by SNDS, not yet felt (warn these customers before their mail to Outlook.com bounces):\n")?;
        for r in &view.not_seen {
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
    if !view.lag.is_empty() {
        writeln!(w, "Bouncing at Outlook.com but not blocked in SNDS (a neighbourhood block or SNDS lag; say so in the delisting request): {}\n", view.lag.join(", "))?;
    }
    if !view.suspects.is_empty() {
        writeln!(w, "Likely causes (RED filter, complaint rate of 0.3 % or more, or trap hits inside a blocked subnet): talk to these customers first.\n")?;
        for s in &view.suspects {
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

/// The blocked ranges, and how to delist them by reason.
fn snds_ranges(w: &mut dyn Write, view: &SndsView) -> std::io::Result<()> {
    if view.ranges.is_empty() {
        return writeln!(w, "SNDS lists none of our ranges as blocked.\n");
    }
    writeln!(
        w,
        "| Blocked range | CIDRs | Our IPs in it | Bouncing at Outlook.com in the logs | Reason |"
    )?;
    writeln!(w, "|---|---|---:|---:|---|")?;
    for r in &view.ranges {
        let s = r.status;
        writeln!(
            w,
            "| {} – {} | {} | {} | {} | {} |",
            s.first,
            s.last,
            join(&s.networks, "; "),
            r.ours,
            r.felt,
            md(&s.reason.text)
        )?;
    }
    writeln!(w, "\nDelisting these ranges, by SNDS reason:\n")?;
    for (kind, texts) in &view.reasons {
        let quoted: Vec<String> = texts.iter().map(|t| format!("\"{}\"", md(t))).collect();
        writeln!(
            w,
            "- {} ({}): {}",
            kind.label(),
            quoted.join(", "),
            md(&kind.delist_route())
        )?;
    }
    writeln!(w)
}
