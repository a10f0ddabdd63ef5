//! `blockscope dnsbl`: look up the inventory's addresses in DNS block lists now, through the
//! provider's resolver, and print what is listed (CSV or text, per customer) and what could not
//! be learned (refusals, timeouts, errors: never listings). Listings are findings, not errors:
//! exit 0; a resolver that answered nothing is exit 1.

use crate::attribute::inventory::Inventory;
use crate::config::DnsblConfig;
use crate::dnsbl::{check, failure_advice, targets, Targets};
use crate::error::Result;
use crate::model::dnsbl::{DnsblResult, Listing};
use crate::report::text::printable;
use std::collections::BTreeMap;
use std::io::Write;

/// How the findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Per customer, then one line per zone with failures.
    Text,
    /// `ip,customer_id,vps_id,zone,list,code,meaning,scope`, one row per listing.
    Csv,
}

pub(crate) fn run(config: &DnsblConfig, format: Format, w: &mut dyn Write) -> Result<()> {
    if let Some(warning) = config
        .settings
        .dqs_key
        .as_ref()
        .and_then(|k| k.warning.as_ref())
    {
        eprintln!("blockscope: warning: {warning}");
    }
    let inventory = Inventory::load(&config.inventory)?;
    let targets = targets(&inventory, [], config.max_range);
    let today = crate::model::day::day_of_date(chrono::Utc::now().date_naive());
    let result = check(&config.settings, &targets.ips, today)?;
    let notes = notes(config, &targets, &result, &inventory);
    let out = super::stdout_error;
    match format {
        Format::Csv => {
            csv(&result.listings, &inventory, w).map_err(out)?;
            if !config.quiet {
                eprintln!("{}", headline(config, &targets, &result));
                for line in &notes {
                    eprintln!("dnsbl: {line}");
                }
            }
        }
        Format::Text => text(config, &targets, &result, &inventory, &notes, w).map_err(out)?,
    }
    Ok(())
}

/// (customer id, vps id) of an inventory address; empty for one the inventory does not hold.
fn owner(inventory: &Inventory, listing: &Listing) -> (String, String) {
    inventory
        .lookup(listing.ip)
        .map(|e| {
            let vps = &inventory.vpses[e.vps];
            (inventory.customers[vps.customer].id.clone(), vps.id.clone())
        })
        .unwrap_or_default()
}

fn csv(listings: &[Listing], inventory: &Inventory, w: &mut dyn Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let io = crate::report::csv_io;
    out.write_record([
        "ip",
        "customer_id",
        "vps_id",
        "zone",
        "list",
        "code",
        "meaning",
        "scope",
    ])
    .map_err(io)?;
    for l in listings {
        let (customer, vps) = owner(inventory, l);
        out.write_record([
            l.ip.to_string().as_str(),
            &customer,
            &vps,
            &l.zone,
            &l.list,
            &l.code.to_string(),
            &l.meaning,
            l.scope.as_str(),
        ])
        .map_err(io)?;
    }
    out.flush()
}

/// `dnsbl: 258 addresses asked of 2 zones through 127.0.0.1:53 (516 queries): 3 listings`.
fn headline(config: &DnsblConfig, targets: &Targets, result: &DnsblResult) -> String {
    let queries: u64 = result.queried.values().sum();
    format!(
        "dnsbl: {} addresses asked of {} zone(s) through {} ({queries} queries, {}): {} listing(s)",
        targets.ips.len(),
        config.settings.zones.len(),
        config.settings.resolver,
        if config.settings.dqs_key.is_some() {
            "Spamhaus through DQS"
        } else {
            "no DQS key"
        },
        result.listings.len()
    )
}

/// What could not be learned: failures per zone, zones the table does not decode, IPv6
/// addresses a zone does not take, ranges too large to look up.
fn notes(
    config: &DnsblConfig,
    targets: &Targets,
    result: &DnsblResult,
    inventory: &Inventory,
) -> Vec<String> {
    let with_key = config.settings.dqs_key.is_some();
    let mut notes = Vec::new();
    let ipv6 = targets.ips.iter().filter(|ip| ip.is_ipv6()).count();
    for zone in &config.settings.zones {
        if let Some(f) = result.failures.get(&zone.name) {
            notes.extend(failure_advice(zone, f, with_key));
        }
        if !zone.known {
            notes.push(format!("{} is not in blockscope's zone table (`blockscope dnsbl --list-zones`): its codes are not decoded, every 127.0.0.0/8 answer is reported as a listing of this address", zone.name));
        }
        if ipv6 > 0 && !zone.ipv6 {
            notes.push(format!(
                "{}: {ipv6} IPv6 address(es) not asked (the list answers IPv4 queries only)",
                zone.name
            ));
        }
    }
    for r in &targets.too_large {
        let vps = &inventory.vpses[r.vps];
        notes.push(format!(
            "{} (customer {}, VPS {}): not looked up, larger than /{} (--dnsbl-max-range)",
            r.network,
            printable(&inventory.customers[vps.customer].id),
            printable(&vps.id),
            config.max_range
        ));
    }
    notes
}

fn text(
    config: &DnsblConfig,
    targets: &Targets,
    result: &DnsblResult,
    inventory: &Inventory,
    notes: &[String],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(w, "{}", headline(config, targets, result))?;
    // Per customer (by id; addresses the inventory does not hold last), each address's listings.
    let mut by_customer: BTreeMap<(bool, String), Vec<&Listing>> = BTreeMap::new();
    for l in &result.listings {
        let (customer, _) = owner(inventory, l);
        by_customer
            .entry((customer.is_empty(), customer))
            .or_default()
            .push(l);
    }
    if result.listings.is_empty() {
        let unknown = if result.failures.is_empty() {
            ""
        } else {
            " (some queries failed: see below; those addresses are unknown, not clean)"
        };
        writeln!(w, "\nNo address is listed in any zone asked{unknown}.")?;
    }
    for ((_, customer), listings) in &by_customer {
        let title = if customer.is_empty() {
            "Not in the inventory".to_string()
        } else {
            let name = inventory
                .customers
                .iter()
                .find(|c| &c.id == customer)
                .map_or("", |c| c.name.as_str());
            format!("Customer {} ({})", printable(customer), printable(name))
        };
        writeln!(w, "\n{title}")?;
        for l in listings {
            let (_, vps) = owner(inventory, l);
            writeln!(
                w,
                "  {:<15} {:<12} {}: {} {} [{}] {}",
                l.ip,
                printable(&vps),
                l.zone,
                l.list,
                l.code,
                l.scope.as_str(),
                l.meaning
            )?;
        }
    }
    if !notes.is_empty() {
        writeln!(w, "\nNot learned:")?;
        for n in notes {
            writeln!(w, "  {n}")?;
        }
    }
    Ok(())
}

/// `blockscope dnsbl --list-zones`: the zone table, one line per code.
pub(crate) fn list_zones(w: &mut dyn Write) -> std::io::Result<()> {
    for z in crate::dnsbl::table() {
        let dqs = z
            .dqs
            .as_deref()
            .map(|d| format!(", DQS: KEY.{d}"))
            .unwrap_or_default();
        let v6 = if z.ipv6 { "IPv4 and IPv6" } else { "IPv4 only" };
        writeln!(w, "{} ({}; {v6}{dqs})\n  {}", z.name, z.family, z.page)?;
        for c in &z.codes {
            writeln!(
                w,
                "  {:<15} {:<8} {}: {}",
                c.code,
                c.scope.as_str(),
                c.list,
                c.meaning
            )?;
        }
        for (code, meaning) in &z.refusals {
            writeln!(w, "  {code:<15} refused  {meaning} (not a listing)")?;
        }
    }
    Ok(())
}
