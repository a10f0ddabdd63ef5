//! `blockscope explain <ip|cidr>`: everything about one IP or range, for a support ticket.
//! Log text is printed through `printable`: a customer's log line must not drive the support
//! engineer's terminal.

use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, line::Outcome};
use crate::model::Stats;
use crate::pipeline::parse_target;
use crate::report::cells::{list, opt, yes_no};
use crate::report::iso;
use crate::report::text::printable;
use ipnetwork::IpNetwork;
use std::io::Write;

/// `target`: the IP address or CIDR range to explain.
pub(crate) fn run(config: &Config, target: &str, w: &mut dyn Write) -> Result<()> {
    let target = parse_target(target)?;
    let inventory = Inventory::load(&config.inventory)?;
    let rules = crate::pipeline::load_rules(config)?;
    let agg = crate::pipeline::analyse(config, &inventory, &rules)?;
    let files = ingest::discover(&config.logs, &mut Stats::default());
    let evidence = ingest::evidence(
        &files,
        &inventory,
        &rules,
        &|ip| target.contains(ip),
        config.tz,
    );
    let out = |e: std::io::Error| Error::Output {
        path: "stdout".into(),
        source: e,
    };
    write(w, target, &inventory, &agg, &rules, &evidence).map_err(out)
}

fn write(
    w: &mut dyn Write,
    target: IpNetwork,
    inv: &Inventory,
    agg: &crate::aggregate::Aggregates,
    rules: &crate::classify::RuleSet,
    evidence: &[ingest::Evidence],
) -> std::io::Result<()> {
    writeln!(w, "# {target}\n")?;
    writeln!(w, "## Owner")?;
    // By what each entry really holds: an address inside another customer's wider block has
    // one owner, the more specific row.
    let owners: Vec<_> = inv
        .entries
        .iter()
        .filter(|e| e.owned.iter().any(|n| overlaps(*n, target)))
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
    writeln!(w, "\n## Evidence ({} line(s))", evidence.len())?;
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
            writeln!(w, "    reply: {}", printable(&e.reply))?;
        }
    }
    Ok(())
}

fn overlaps(a: IpNetwork, b: IpNetwork) -> bool {
    a.contains(b.network()) || b.contains(a.network())
}

/// Log text for a terminal (`report::text::printable`): never raw escape sequences.
fn or_dash(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_empty() {
        "-".into()
    } else {
        printable(s)
    }
}
