//! `blockscope explain <ip|cidr>`: everything about one IP or range, for a support ticket.
//! Log text is printed through `printable`: a customer's log line must not drive the support
//! engineer's terminal.

use crate::attribute::cidr::parse_target;
use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::Result;
use crate::ingest::{self, line::Outcome};
use crate::model::Stats;
use crate::report::cells::{list, opt, yes_no};
use crate::report::iso;
use crate::report::text::printable;
use ipnetwork::IpNetwork;
use std::io::Write;

/// `target`: the IP address or CIDR range to explain; `all`: also the lines of delivered mail.
pub(crate) fn run(config: &Config, target: &str, all: bool, w: &mut dyn Write) -> Result<()> {
    let target = parse_target(target)?;
    let inventory = Inventory::load(&config.inventory)?;
    let rules = crate::pipeline::load_rules(config)?;
    let agg = crate::pipeline::analyse(config, &inventory, &rules)?;
    let files = ingest::discover(&config.logs, &mut Stats::default());
    let mut evidence = ingest::evidence(
        &files,
        &inventory,
        &rules,
        &|ip| target.contains(ip),
        config.tz,
    );
    // What happened, in the order it happened (files are read newest rotation last or first as
    // they lie on disk); refusals and deferrals unless the delivered mail is asked for too.
    evidence.retain(|e| all || e.outcome != Outcome::Sent);
    evidence.sort_by(|a, b| (a.time, &a.file, a.line).cmp(&(b.time, &b.file, b.line)));
    let shown = Shown {
        all,
        recipients: config.recipients,
    };
    write(w, target, &inventory, &agg, &rules, &evidence, shown).map_err(super::stdout_error)
}

fn write(
    w: &mut dyn Write,
    target: IpNetwork,
    inv: &Inventory,
    agg: &crate::aggregate::Aggregates,
    rules: &crate::classify::RuleSet,
    evidence: &[ingest::Evidence],
    shown: Shown,
) -> std::io::Result<()> {
    writeln!(w, "# {target}\n")?;
    writeln!(w, "## Owner")?;
    // By what each entry really holds: an address inside another customer's wider block has
    // one owner, the more specific row.
    let owners: Vec<_> = inv
        .entries
        .iter()
        .filter(|e| {
            e.owned
                .iter()
                .any(|n| crate::model::networks_overlap(*n, target))
        })
        .collect();
    if owners.is_empty() {
        writeln!(w, "not in the inventory")?;
    }
    for e in owners {
        let vps = &inv.vpses[e.vps];
        let c = &inv.customers[vps.customer];
        writeln!(
            w,
            "{}  customer {} ({})  VPS {}",
            e.network,
            c.id,
            printable(&c.name),
            vps.id
        )?;
    }
    writeln!(w, "\n## Verdicts")?;
    let rows: Vec<_> = agg
        .ips
        .iter()
        .filter(|r| r.ip.is_some_and(|ip| target.contains(ip)))
        .collect();
    if rows.is_empty() {
        writeln!(w, "no rejections, deferrals or SNDS listings")?;
    }
    for r in &rows {
        let verdict = agg.verdict_of(r.subnet).map_or("", |v| v.as_str());
        writeln!(
            w,
            "{}  {}  {} ({})  {} event(s) {}..{}  subnet {} {}  status {}",
            opt(r.ip),
            printable(&list(&r.platforms)),
            r.rule_id,
            r.class.as_str(),
            r.events,
            iso(r.first_seen),
            iso(r.last_seen),
            opt(r.subnet),
            verdict,
            r.status.as_str()
        )?;
        if !r.delist_route.is_empty() {
            writeln!(w, "    delist: {}", printable(&r.delist_route))?;
        }
        if let Some(days) = r.snds.days {
            writeln!(
                w,
                "    SNDS: filter {} complaints {} trap hits {} on {} day(s); blocked {} {}",
                or_dash(&opt(r.snds.filter.map(|f| f.as_str()))),
                or_dash(&r.snds.complaint_rate.clone().unwrap_or_default()),
                or_dash(&opt(r.snds.trap_hits)),
                days,
                yes_no(r.snds.blocked),
                printable(&r.snds.reason)
            )?;
        }
    }
    let what = if shown.all {
        "line(s)"
    } else {
        "refusal(s) and deferral(s); --all adds delivered mail"
    };
    writeln!(
        w,
        "\n## Evidence, in time order ({} {what})",
        evidence.len()
    )?;
    for e in evidence {
        let outcome = match e.outcome {
            Outcome::Sent => "sent",
            Outcome::Deferred => "deferred",
            Outcome::Bounced => "bounced",
        };
        let ip = e.ip.map_or_else(|| "-".to_string(), |ip| ip.to_string());
        writeln!(
            w,
            "{}:{}  {}  {}  from {} ({})  to {}",
            printable(&e.file),
            e.line,
            iso(e.time),
            outcome,
            ip,
            e.ip_source.as_str(),
            or_dash(&e.receiver)
        )?;
        if e.outcome != Outcome::Sent {
            let rule = rules.rule(e.rule);
            let why = if rule.pattern.is_empty() {
                "no rule matched".to_string()
            } else {
                format!("matched /{}/", rule.pattern)
            };
            writeln!(w, "    rule {} ({}) {}", rule.id, rule.class.as_str(), why)?;
            // Recipients as the reports show them: the receiving domain unless asked for more.
            let reply = crate::classify::shown_reply(&e.reply, shown.recipients);
            writeln!(w, "    reply: {}", printable(&reply))?;
        }
    }
    Ok(())
}

/// What the evidence list shows.
#[derive(Clone, Copy)]
struct Shown {
    /// Also delivered mail.
    all: bool,
    recipients: crate::model::RecipientDetail,
}

/// Log text for a terminal (`report::text::printable`): never raw escape sequences.
fn or_dash(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_empty() {
        "-".into()
    } else {
        printable(s)
    }
}
