//! `customers/<customer_id>.md`: a plain-language notice support can send the customer.
//! Only that customer's addresses appear; neighbours are never named.

use super::cells::opt;
use super::iso;
use super::summary_md::md;
use crate::aggregate::{Aggregates, IpRow, Verdict};
use crate::classify::rules::Class;
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

fn receiver_name(platforms: &BTreeSet<String>) -> String {
    platforms
        .iter()
        .map(|p| crate::classify::platform::label(p))
        .collect::<Vec<_>>()
        .join(", ")
}

fn advice(class: Class) -> &'static str {
    match class {
        Class::IpBlock | Class::NetworkBlock | Class::SndsBlock | Class::Dnsbl => {
            "Please check your server for anything sending mail you did not intend: compromised mailbox passwords, outdated web applications and contact forms, and the mail queue. Tell us if you send newsletters or bulk mail, so we can advise on volume."
        }
        Class::Throttle => {
            "Mail gets through, but slowly. Please spread large mailings over time and keep your lists clean (remove addresses that bounce)."
        }
        Class::Auth => "Please fix your domain's SPF, DKIM and DMARC records (or the server's reverse DNS); we can help with the values.",
        Class::Content => "The receiver refused the content of messages; please review what was sent (links, attachments, newsletters).",
        _ => "",
    }
}

/// Per (subnet, rule): how many customers it blocks (computed once for all notices).
pub(crate) struct SharedRules<'a>(BTreeMap<(Option<IpNetwork>, &'a str), BTreeSet<&'a str>>);

impl<'a> SharedRules<'a> {
    pub(crate) fn new(agg: &'a Aggregates) -> SharedRules<'a> {
        let mut map: BTreeMap<(Option<IpNetwork>, &str), BTreeSet<&str>> = BTreeMap::new();
        for o in agg.ips.iter().filter(|o| o.class.is_block()) {
            map.entry((o.subnet, o.rule_id.as_str()))
                .or_default()
                .insert(o.customer_id.as_str());
        }
        SharedRules(map)
    }

    fn customers(&self, subnet: Option<IpNetwork>, rule_id: &str) -> usize {
        self.0.get(&(subnet, rule_id)).map_or(0, |s| s.len())
    }
}

pub(crate) fn write(
    w: &mut dyn Write,
    agg: &Aggregates,
    customer_id: &str,
    customer_name: &str,
    rows: &[&IpRow],
    shared: &SharedRules,
) -> std::io::Result<()> {
    writeln!(
        w,
        "# Mail delivery report for {} ({})\n",
        md(customer_name),
        md(customer_id)
    )?;
    if let (Some(a), Some(b)) = (agg.first_time, agg.last_time) {
        writeln!(w, "Period: {} to {} (UTC).\n", iso(a), iso(b))?;
    }
    let serious: Vec<&&IpRow> = rows
        .iter()
        .filter(|r| {
            r.class.is_block()
                || matches!(
                    r.class,
                    Class::SndsBlock | Class::Throttle | Class::Auth | Class::Content
                )
        })
        .collect();
    if serious.is_empty() {
        writeln!(
            w,
            "We found no blocks or throttling of your servers' addresses in this period.\n"
        )?;
    }
    // Sections in the order of the address text, as the notices have always listed them.
    let mut by_ip: BTreeMap<(String, &str), Vec<&IpRow>> = BTreeMap::new();
    for r in &serious {
        by_ip
            .entry((opt(r.ip), r.vps_id.as_str()))
            .or_default()
            .push(r);
    }
    for ((ip_text, vps), rows) in by_ip {
        ip_section(w, agg, shared, (&ip_text, vps), &rows)?;
    }
    let recipient_problems: u64 = rows
        .iter()
        .filter(|r| r.class == Class::NotIp)
        .map(|r| r.events)
        .sum();
    if recipient_problems > 0 {
        writeln!(
            w,
            "Not a block: {recipient_problems} message(s) could not be delivered for reasons unrelated to your address (recipient unknown, mailbox full, network errors). Please remove addresses that keep bouncing from your lists.\n"
        )?;
    }
    Ok(())
}

/// One address's section: what each receiver does, whether it is a neighbourhood block, advice.
fn ip_section(
    w: &mut dyn Write,
    agg: &Aggregates,
    shared: &SharedRules,
    (ip_text, vps): (&str, &str),
    rows: &[&IpRow],
) -> std::io::Result<()> {
    let ip = rows.first().and_then(|r| r.ip);
    let shown = if ip.is_none() {
        "an address we could not determine"
    } else {
        ip_text
    };
    writeln!(w, "## {} (server {})\n", md(shown), md(vps))?;
    let subnet = rows.first().and_then(|r| r.subnet);
    let verdict = agg.verdict_of(subnet);
    for r in rows {
        class_line(w, agg, r)?;
    }
    writeln!(w)?;
    let suspect = agg
        .subnet(subnet)
        .is_some_and(|s| ip.is_some_and(|ip| s.suspect_ips.contains(&ip)));
    let network = is_neighbourhood_block(agg, shared, ip, verdict, rows);
    if suspect {
        writeln!(w, "Microsoft's data shows spam complaints or spam-trap hits from this address. This is the most likely cause of the block, so please act on the advice below first.\n")?;
    } else if network {
        writeln!(w, "This is a block of the whole address range your server is in (a \"neighbourhood\" block), not of your address alone; it was most likely caused by another sender in the range. We are asking the receiver to lift it for the range.\n")?;
    } else if rows
        .iter()
        .any(|r| (r.class.is_block() && r.class != Class::Dnsbl) || r.class == Class::SndsBlock)
    {
        writeln!(w, "The block concerns your address alone. We are requesting its removal with the receiver.\n")?;
    } else if rows.iter().any(|r| r.class == Class::Dnsbl) {
        writeln!(w, "The listing concerns your address alone, not the range. The list's operator lifts it, not the receivers, and only once the cause is fixed: please act on the advice below, then tell us, and we request the removal.\n")?;
    }
    let worst = rows.iter().map(|r| r.class).min().unwrap_or(Class::NotIp);
    let text = advice(worst);
    if !text.is_empty() {
        writeln!(w, "What you can do: {text}\n")?;
    }
    Ok(())
}

/// A neighbourhood block for this customer: the receiver says so, SNDS blocks a range, or the
/// same rule blocks other customers in the subnet (counted, never named).
fn is_neighbourhood_block(
    agg: &Aggregates,
    shared: &SharedRules,
    ip: Option<std::net::IpAddr>,
    verdict: Option<Verdict>,
    rows: &[&IpRow],
) -> bool {
    let shared_rule = |r: &IpRow| shared.customers(r.subnet, &r.rule_id) >= 2;
    let snds_range = match ip {
        Some(std::net::IpAddr::V4(a)) => agg
            .snds_status
            .iter()
            .any(|s| s.blocked && s.first <= a && a <= s.last && s.first != s.last),
        _ => false,
    };
    rows.iter().any(|r| {
        r.class == Class::NetworkBlock
            || (r.class == Class::SndsBlock && snds_range)
            || (r.class.is_block() && verdict == Some(Verdict::Neighbourhood) && shared_rule(r))
    })
}

/// What one receiver does to the address, in a sentence.
fn class_line(w: &mut dyn Write, agg: &Aggregates, r: &IpRow) -> std::io::Result<()> {
    let receiver = receiver_name(&r.platforms);
    match r.class {
        // A block list is kept by its operator, not by the receivers that consult it.
        Class::Dnsbl => {
            writeln!(
                w,
                "- This address is on a public block list, and mail servers that consult the list refuse mail from it. Seen at {receiver}: {} rejection(s) from {} to {}.",
                r.events,
                iso(r.first_seen),
                iso(r.last_seen)
            )?;
            if let (Some(url), Some(ip)) = (agg.lookup_url(&r.rule_id), r.ip) {
                let url = crate::classify::rules::lookup_url_for(url, &ip.to_string());
                writeln!(w, "  Look the listing up: {url}")?;
            }
        }
        Class::SndsBlock => {
            writeln!(
                w,
                "- Microsoft's sender data (SNDS) lists this address as blocked at {receiver}. Your mail there has not bounced yet, but it will as soon as you send to those mailboxes."
            )?;
            // A relayed list is lifted where it is kept; say which, and what it means.
            if let Some(note) = r.snds.reason_kind.and_then(|k| k.customer_note()) {
                writeln!(w, "  {note}")?;
            }
        }
        Class::Throttle => writeln!(
            w,
            "- {receiver} slowed down mail from this address ({} deferral(s), {} to {}).",
            r.events,
            iso(r.first_seen),
            iso(r.last_seen)
        )?,
        Class::Auth => writeln!(w, "- {receiver} refused {} message(s) because the sending domain or server failed its authentication checks.", r.events)?,
        Class::Content => writeln!(w, "- {receiver} refused {} message(s) because of their content.", r.events)?,
        _ => writeln!(
            w,
            "- {receiver} refuses mail from this address: {} rejection(s) from {} to {}.",
            r.events,
            iso(r.first_seen),
            iso(r.last_seen)
        )?,
    }
    Ok(())
}
