//! The evidence sections: blocked IPs, SNDS, throttling, other rejections, unclassified, input.

use super::*;
use crate::report::view::SndsView;

pub(super) fn blocked_by_platform(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "blocked", "Blocked IPs by platform")?;
    if ctx.view.blocked.is_empty() {
        none(w)?;
    }
    for group in &ctx.view.blocked {
        writeln!(w, "<h3>{}</h3>", or_dash(&group.heading))?;
        let cells: Vec<Vec<Cell>> = group.rows.iter().map(|r| blocked_row(ctx, r)).collect();
        let mut heads = vec![
            "IP",
            "Customer",
            "VPS",
            "Rule",
            "Code",
            "Receiver rule",
            "Events",
            "First seen",
            "Last seen",
            "Subnet verdict",
        ];
        if ctx.view.state_kept {
            heads.push("Status");
        }
        table(w, ctx, &heads, &cells)?;
        writeln!(w, "<div class=\"routes\"><b>Delisting</b><ul>")?;
        for (rule, route) in &group.routes {
            writeln!(
                w,
                "<li><code>{}</code>: {}</li>",
                escape(rule),
                linkify(route)
            )?;
        }
        writeln!(w, "</ul></div>")?;
    }
    writeln!(w, "</section>")
}

fn blocked_row<'a>(ctx: &Ctx, r: &'a IpRow) -> Vec<Cell<'a>> {
    let mut cells = vec![
        Cell::Ip(r.ip),
        Cell::Customer(&r.customer_id),
        Cell::Mono(Cow::from(&r.vps_id)),
        Cell::Mono(Cow::from(&r.rule_id)),
        Cell::Mono(Cow::from(list(&r.codes))),
        Cell::Mono(Cow::from(list(&r.receiver_rule_ids))),
        Cell::Num(r.events),
        Cell::Time(r.first_seen),
        Cell::Time(r.last_seen),
        Cell::Verdict(ctx.agg.verdict_of(r.subnet)),
    ];
    with_state(ctx, r, &mut cells);
    cells
}

/// The status column's cell (new, ongoing, resolved), when the run keeps a state.
fn with_state<'a>(ctx: &Ctx, r: &IpRow, cells: &mut Vec<Cell<'a>>) {
    if ctx.view.state_kept {
        cells.push(Cell::Text(Cow::from(ctx.view.state(r))));
    }
}

/// Outlook.com's own view (SNDS), and where it agrees with the logs.
pub(super) fn snds(w: &mut dyn Write, ctx: &Ctx, view: &SndsView) -> io::Result<()> {
    let agg = ctx.agg;
    section(w, "snds", "SNDS: Outlook.com's view")?;
    for note in &view.empty_notes {
        writeln!(w, "<p class=\"none\">{}</p>", escape(note))?;
    }
    if agg.snds_notes.outside_window > 0 {
        writeln!(
            w,
            "<p class=\"muted\">{} SNDS row(s) outside the report window were not counted.</p>",
            agg.snds_notes.outside_window
        )?;
    }
    snds_ranges(w, ctx, view)?;
    snds_not_seen(w, ctx, view)?;
    if !view.lag.is_empty() {
        let list: Vec<String> = view.lag.iter().map(|ip| escape(ip)).collect();
        writeln!(w, "<p class=\"advice\">Bouncing at Outlook.com but not blocked in SNDS (a neighbourhood block or SNDS lag; say so in the delisting request): <span class=\"mono\">{}</span></p>", list.join(", "))?;
    }
    snds_suspects(w, ctx, view)?;
    snds_unknown(w, ctx)?;
    writeln!(w, "</section>")
}

fn snds_ranges(w: &mut dyn Write, ctx: &Ctx, view: &SndsView) -> io::Result<()> {
    writeln!(w, "<h3>Blocked ranges</h3>")?;
    if view.ranges.is_empty() {
        return writeln!(
            w,
            "<p class=\"none\">SNDS lists none of our ranges as blocked.</p>"
        );
    }
    let texts: Vec<(String, String)> = view
        .ranges
        .iter()
        .map(|r| {
            let s = r.status;
            (format!("{} – {}", s.first, s.last), list(&s.networks))
        })
        .collect();
    let rows: Vec<Vec<Cell>> = view
        .ranges
        .iter()
        .zip(&texts)
        .map(|(r, (range, cidrs))| {
            vec![
                Cell::Mono(Cow::from(range)),
                Cell::List(Cow::from(cidrs)),
                Cell::Num(r.ours as u64),
                Cell::Num(r.felt as u64),
                Cell::Text(Cow::from(&r.status.reason.text)),
            ]
        })
        .collect();
    table(
        w,
        ctx,
        &[
            "Blocked range",
            "CIDRs",
            "Our IPs in it",
            "Bouncing at Outlook.com",
            "Reason",
        ],
        &rows,
    )?;
    // Each SNDS reason has its own way out (Spamhaus and Symantec listings are lifted there).
    for kind in view.reasons.keys() {
        writeln!(
            w,
            "<p class=\"advice\">{}: {}</p>",
            escape(kind.label()),
            linkify(&kind.delist_route())
        )?;
    }
    Ok(())
}

fn snds_not_seen(w: &mut dyn Write, ctx: &Ctx, view: &SndsView) -> io::Result<()> {
    if view.not_seen.is_empty() {
        return Ok(());
    }
    writeln!(w, "<h3>Blocked by SNDS, not yet felt</h3><p class=\"advice\">Warn these customers before their mail to Outlook.com bounces.</p>")?;
    let rows: Vec<Vec<Cell>> = view
        .not_seen
        .iter()
        .map(|r| {
            vec![
                Cell::Ip(r.ip),
                Cell::Customer(&r.customer_id),
                Cell::Mono(Cow::from(&r.vps_id)),
                Cell::Text(Cow::from(filter_text(r.snds.filter))),
                Cell::Text(Cow::from(&r.snds.reason)),
            ]
        })
        .collect();
    table(
        w,
        ctx,
        &["IP", "Customer", "VPS", "SNDS filter", "Reason"],
        &rows,
    )
}

fn snds_suspects(w: &mut dyn Write, ctx: &Ctx, view: &SndsView) -> io::Result<()> {
    let suspects: Vec<(IpNetwork, IpAddr)> = view
        .suspects
        .iter()
        .flat_map(|s| s.suspect_ips.iter().map(|ip| (s.subnet, *ip)))
        .collect();
    if suspects.is_empty() {
        return Ok(());
    }
    writeln!(w, "<h3>Likely causes</h3><p class=\"advice\">RED filter, a complaint rate of 0.3 % or more, or trap hits inside a blocked subnet: talk to these customers first.</p>")?;
    let hosts: Vec<Option<&Host>> = suspects
        .iter()
        .map(|(_, ip)| ctx.hosts.get(ip).copied())
        .collect();
    let owners: Vec<(String, String)> = hosts
        .iter()
        .map(|h| h.map_or_else(Default::default, |h| ctx.owner(h)))
        .collect();
    let rows: Vec<Vec<Cell>> = suspects
        .iter()
        .zip(hosts.iter().zip(&owners))
        .map(|((subnet, ip), (h, (customer, vps)))| {
            vec![
                Cell::Net(*subnet),
                Cell::Ip(Some(*ip)),
                Cell::Customer(customer),
                Cell::List(Cow::from(vps)),
                Cell::Text(Cow::from(filter_text(h.and_then(|h| h.snds_filter)))),
            ]
        })
        .collect();
    table(
        w,
        ctx,
        &["Subnet", "Suspect IP", "Customer", "VPS", "SNDS filter"],
        &rows,
    )
}

fn snds_unknown(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    let unknown = &ctx.agg.snds_unknown;
    if unknown.is_empty() {
        return Ok(());
    }
    writeln!(w, "<h3>Not in the inventory</h3><p class=\"advice\">SNDS knows these, the inventory does not: the inventory is stale, or SNDS access covers ranges no longer ours (<code>snds-unknown-ips.csv</code>).</p>")?;
    let rows: Vec<Vec<Cell>> = unknown
        .iter()
        .map(|u| {
            vec![
                Cell::Mono(Cow::from(&u.ip)),
                Cell::Text(Cow::from(u.source)),
                Cell::Num(u.days),
                Cell::Text(Cow::from(&u.filter)),
                Cell::Text(Cow::from(yes_no(Some(u.blocked)))),
                Cell::Text(Cow::from(&u.reason)),
            ]
        })
        .collect();
    table(
        w,
        ctx,
        &[
            "IP or range",
            "Source",
            "Days",
            "Filter",
            "Blocked",
            "Reason",
        ],
        &rows,
    )
}

/// The common columns of per-rule evidence tables.
pub(super) fn evidence_rows<'a>(rows: &[&'a IpRow], reply: bool) -> Vec<Vec<Cell<'a>>> {
    rows.iter()
        .map(|r| {
            let mut c = vec![
                Cell::Ip(r.ip),
                Cell::Customer(&r.customer_id),
                Cell::Text(Cow::from(list(&r.platforms))),
                Cell::Mono(Cow::from(&r.rule_id)),
                Cell::Mono(Cow::from(list(&r.codes))),
                Cell::Num(r.events),
                Cell::Time(r.first_seen),
                Cell::Time(r.last_seen),
            ];
            if reply {
                c.push(Cell::Reply(&r.sample_reply));
            }
            c
        })
        .collect()
}

pub(super) const EVIDENCE_HEADS: [&str; 9] = [
    "IP",
    "Customer",
    "Platform",
    "Rule",
    "Code",
    "Events",
    "First seen",
    "Last seen",
    "Latest reply",
];

pub(super) fn throttling(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "throttling", "Throttling")?;
    let rows = &ctx.view.throttled;
    if rows.is_empty() {
        none(w)?;
    } else {
        let mut heads = EVIDENCE_HEADS[..8].to_vec();
        let mut cells = evidence_rows(rows, false);
        if ctx.view.state_kept {
            heads.push("Status");
            for (row, r) in cells.iter_mut().zip(rows) {
                with_state(ctx, r, row);
            }
        }
        table(w, ctx, &heads, &cells)?;
        writeln!(w, "<p class=\"advice\">{}</p>", view::THROTTLE_ADVICE)?;
    }
    writeln!(w, "</section>")
}

/// Blocks and throttling earlier runs saw that tonight's logs no longer show (with a state).
pub(super) fn resolved(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    if !ctx.view.state_kept {
        return Ok(());
    }
    section(w, "resolved", "Resolved since the last run")?;
    let rows = &ctx.view.resolved;
    if rows.is_empty() {
        none(w)?;
    } else {
        let heads = ["IP", "Customer", "Platform", "Rule", "Last seen", "Status"];
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Ip(r.ip),
                    Cell::Customer(&r.customer_id),
                    Cell::Text(Cow::from(list(&r.platforms))),
                    Cell::Mono(Cow::from(&r.rule_id)),
                    Cell::Time(r.last_seen),
                    Cell::Text(Cow::from(ctx.view.state(r))),
                ]
            })
            .collect();
        table(w, ctx, &heads, &cells)?;
        writeln!(w, "<p class=\"advice\">Tonight's logs show none of these any more (the block lifted, or nothing was sent to that receiver): tell the customers concerned, and close an open delisting request once mail gets through.</p>")?;
    }
    writeln!(w, "</section>")
}

pub(super) fn other_rejections(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "other", "Other rejections")?;
    let v = &ctx.view;
    let groups = [
        (view::AUTH, &v.auth),
        (view::CONTENT, &v.content),
        (view::RECEIVER_ERRORS, &v.receiver_errors),
    ];
    for ((title, advice), rows) in groups {
        if rows.is_empty() {
            continue;
        }
        writeln!(w, "<h3>{title}</h3><p class=\"advice\">{advice}</p>")?;
        table(w, ctx, &EVIDENCE_HEADS, &evidence_rows(rows, true))?;
    }
    writeln!(w, "<h3>Not IP problems</h3>")?;
    if v.not_ip.is_empty() {
        none(w)?;
    } else {
        writeln!(w, "<p class=\"advice\">Unknown users, full mailboxes, network failures: never counted as blocks.</p>")?;
        let rows: Vec<Vec<Cell>> = v
            .not_ip
            .iter()
            .map(|c| {
                vec![
                    Cell::Mono(Cow::from(c.rule_id)),
                    Cell::Num(c.events),
                    Cell::Num(c.customers as u64),
                ]
            })
            .collect();
        table(w, ctx, &["Rule", "Events", "Customers"], &rows)?;
    }
    writeln!(w, "</section>")
}

pub(super) fn unclassified(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "unclassified", "Unclassified replies")?;
    let rows = &ctx.view.unclassified;
    if rows.is_empty() {
        none(w)?;
    } else {
        writeln!(w, "<p class=\"advice\">No rule matched these replies; if one is an IP block, add a rule with <code>--rules FILE</code> (see docs/rules.md). <code>unclassified.csv</code> groups them fleet-wide with addresses and ids masked.</p>")?;
        table(w, ctx, &EVIDENCE_HEADS, &evidence_rows(rows, true))?;
    }
    writeln!(w, "</section>")
}

pub(super) fn input(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    let s = &ctx.agg.stats;
    section(w, "input", "Input")?;
    let figures = [
        ("files", s.files),
        ("bytes", s.bytes),
        ("lines", s.lines),
        ("sent", s.sent),
        ("deferred", s.deferred),
        ("bounced", s.bounced),
        ("expired", s.expired),
        ("suspended retries", s.suspended),
        ("local hand-offs", s.local_handoffs),
        ("noise lines", s.noise_lines),
        ("skipped lines", s.skipped_total()),
    ];
    write!(w, "<dl class=\"stats\">")?;
    for (label, n) in figures {
        write!(w, "<div><dt>{label}</dt><dd>{n}</dd></div>")?;
    }
    writeln!(w, "</dl>")?;
    for (title, counts) in [
        ("Skipped lines by reason", &s.skipped),
        ("Lines read after a repair", &s.repaired),
    ] {
        if counts.is_empty() {
            continue;
        }
        writeln!(w, "<h3>{title}</h3>")?;
        let rows: Vec<Vec<Cell>> = counts
            .iter()
            .map(|(reason, n)| vec![Cell::Text(Cow::from(*reason)), Cell::Num(*n)])
            .collect();
        table(w, ctx, &["Reason", "Lines"], &rows)?;
    }
    writeln!(w, "<h3>Input problems</h3>")?;
    if s.problems.is_empty() {
        none(w)?;
    } else {
        writeln!(w, "<p class=\"advice\">Files and lines that could not be read as they are (also in <code>input-problems.csv</code>).</p>")?;
        let lines: Vec<String> = s
            .problems
            .iter()
            .map(|p| p.line.map_or_else(String::new, |l| l.to_string()))
            .collect();
        let rows: Vec<Vec<Cell>> = s
            .problems
            .iter()
            .zip(&lines)
            .map(|(p, line)| {
                vec![
                    Cell::Mono(Cow::from(&p.file)),
                    Cell::Mono(Cow::from(line)),
                    Cell::Reply(&p.reason),
                ]
            })
            .collect();
        table(w, ctx, &["File", "Line", "Reason"], &rows)?;
    }
    if !s.unknown_vps_dirs.is_empty() {
        writeln!(w, "<h3>VPS directories not in the inventory</h3><p class=\"advice\">Their events are attributed by IP only.</p>")?;
        let rows: Vec<Vec<Cell>> = s
            .unknown_vps_dirs
            .iter()
            .map(|(dir, n)| vec![Cell::Mono(Cow::from(dir)), Cell::Num(*n)])
            .collect();
        table(w, ctx, &["Directory", "Files"], &rows)?;
    }
    writeln!(w, "</section>")
}
