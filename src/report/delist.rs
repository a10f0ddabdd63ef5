//! `delist/`: what support pastes into the receivers' delisting forms and mails.

use super::cells::opt;
use super::{csv_io, csv_writer, iso};
use crate::aggregate::{Aggregates, IpRow, Status, Verdict};
use crate::attribute::cidr::{form_list, host, merge};
use crate::classify::rules::{lookup_url_for, Class, DelistForm};
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

fn is_outlook_com(r: &IpRow) -> bool {
    r.has_platform("outlook.com")
        && match r.class {
            Class::IpBlock | Class::NetworkBlock => true,
            // SNDS blocks relaying Spamhaus or Symantec are lifted there, not by this form.
            Class::SndsBlock => !third_party_snds(r),
            _ => false,
        }
}

/// SNDS blocks this IP for a list Microsoft relays (Spamhaus, Symantec Brightmail).
fn third_party_snds(r: &IpRow) -> bool {
    r.snds.blocked == Some(true) && r.snds.reason_kind.is_some_and(|k| !k.is_microsoft())
}

/// `ip (reason label)` for the IPs SNDS blocks for a relayed list, one per IP.
fn third_party_ips<'a>(rows: impl Iterator<Item = &'a IpRow>) -> Vec<String> {
    // Keyed by the address as written: the pack has always listed them in text order.
    let mut out: BTreeMap<String, &'static str> = BTreeMap::new();
    for r in rows.filter(|r| third_party_snds(r)) {
        if let (Some(k), Some(ip)) = (r.snds.reason_kind, r.ip) {
            out.insert(ip.to_string(), k.label());
        }
    }
    out.into_iter()
        .map(|(ip, label)| format!("{ip} ({label})"))
        .collect()
}

/// `outlook-com.txt`: one request for the Outlook.com sender support form.
pub(crate) fn write_outlook(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let rows: Vec<&IpRow> = agg
        .ips
        .iter()
        .filter(|r| is_outlook_com(r) && r.ip.is_some())
        .collect();
    writeln!(w, "Outlook.com sender support request")?;
    writeln!(w, "Form: https://support.microsoft.com/supportrequestform/8ad563e3-288e-2a61-8122-3ba03d6b8d75")?;
    writeln!(w)?;
    let elsewhere = third_party_ips(agg.ips.iter());
    if rows.is_empty() {
        writeln!(
            w,
            "Nothing to request: no Outlook.com block in the logs or in SNDS for this period."
        )?;
        if !elsewhere.is_empty() {
            writeln!(w, "SNDS blocks {} because another list has them (Spamhaus, Symantec): delist there (dnsbl-lookups.csv); Outlook.com follows.", elsewhere.join(", "))?;
        }
        return Ok(());
    }
    let addrs: Vec<_> = rows.iter().filter_map(|r| r.ip).map(host).collect();
    writeln!(w, "Outbound IP(s) or range(s):")?;
    writeln!(w, "{}", form_list(&merge(addrs)))?;
    writeln!(w)?;
    let customers: BTreeSet<&str> = rows
        .iter()
        .map(|r| r.customer_id.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    writeln!(
        w,
        "We are the hosting provider of these addresses and operate the network they belong to. They are used by {} customer(s) on virtual servers; we have investigated the senders in each range and ask you to review the block.",
        customers.len()
    )?;
    writeln!(w)?;
    // Ranges in the order of their text, as the pack has always listed them.
    let mut by_subnet: BTreeMap<String, (Option<IpNetwork>, Vec<&IpRow>)> = BTreeMap::new();
    for r in &rows {
        let entry = by_subnet.entry(opt(r.subnet)).or_default();
        entry.0 = r.subnet;
        entry.1.push(r);
    }
    for (subnet, (net, rows)) in by_subnet {
        range_section(w, agg, (&subnet, net), &rows)?;
    }
    Ok(())
}

/// One range of the Outlook.com request: its addresses, rule ids, dates and latest NDR.
fn range_section(
    w: &mut dyn Write,
    agg: &Aggregates,
    (subnet, net): (&str, Option<IpNetwork>),
    rows: &[&IpRow],
) -> std::io::Result<()> {
    let verdict = agg.verdict_of(net).map_or("", Verdict::as_str);
    let ips: Vec<_> = rows.iter().filter_map(|r| r.ip).map(host).collect();
    let rule_ids: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| &r.receiver_rule_ids)
        .map(String::as_str)
        .collect();
    let seen: Vec<&&IpRow> = rows.iter().filter(|r| r.events > 0).collect();
    let customers: BTreeSet<&str> = rows.iter().map(|r| r.customer_id.as_str()).collect();
    writeln!(w, "== Range {subnet} ({verdict})")?;
    writeln!(w, "Addresses: {}", form_list(&merge(ips)))?;
    writeln!(
        w,
        "Rule IDs quoted by Outlook.com: {}",
        if rule_ids.is_empty() {
            "none".to_string()
        } else {
            rule_ids.into_iter().collect::<Vec<_>>().join(", ")
        }
    )?;
    if let (Some(first), Some(last)) = (
        seen.iter().map(|r| r.first_seen).min(),
        seen.iter().map(|r| r.last_seen).max(),
    ) {
        writeln!(w, "First seen: {}  Last seen: {}", iso(first), iso(last))?;
    }
    let snds_only = rows
        .iter()
        .filter(|r| r.status == Status::BlockedNotSeen)
        .count();
    if snds_only > 0 {
        writeln!(
            w,
            "SNDS lists {snds_only} of these as blocked although they have not bounced yet."
        )?;
    }
    let relayed = third_party_ips(rows.iter().copied());
    if !relayed.is_empty() {
        writeln!(
            w,
            "SNDS gives another list as the reason for {}: delist there first (dnsbl-lookups.csv); Outlook.com lifts its block when that list does.",
            relayed.join(", ")
        )?;
    }
    writeln!(w, "Customers affected: {}", customers.len())?;
    if let Some(latest) = seen.iter().max_by_key(|r| (r.last_seen, &r.sample_reply)) {
        writeln!(
            w,
            "Latest NDR ({}, {}):",
            opt(latest.ip),
            iso(latest.last_seen)
        )?;
        writeln!(w, "{}", latest.sample_reply)?;
    }
    writeln!(w)?;
    Ok(())
}

/// `office365.csv`: sender.office.com takes one IP (and one recipient address) per request.
pub(crate) fn write_office365(
    w: &mut dyn Write,
    agg: &Aggregates,
    contact: Option<&str>,
) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(["ip", "first_seen", "last_seen", "ndr", "contact"])
        .map_err(csv_io)?;
    let portal = |r: &IpRow| agg.delist_form(&r.rule_id) == Some(DelistForm::SenderOfficeCom);
    for (r, ip) in with_ip(agg).filter(|(r, _)| portal(r)) {
        csv.write_record([
            ip.as_str(),
            &iso(r.first_seen),
            &iso(r.last_seen),
            &r.sample_reply,
            contact.unwrap_or(""),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}

/// `delist-microsoft-5.7.511.txt`: one draft mail per IP; the portal cannot lift 5.7.511.
pub(crate) fn write_5_7_511(
    w: &mut dyn Write,
    agg: &Aggregates,
    contact: Option<&str>,
) -> std::io::Result<()> {
    let rows: Vec<(&IpRow, String)> = with_ip(agg)
        .filter(|(r, _)| agg.delist_form(&r.rule_id) == Some(DelistForm::DelistMailbox))
        .collect();
    if rows.is_empty() {
        writeln!(w, "No 5.7.511 (banned sender) blocks in this period.")?;
    }
    for (r, ip) in rows {
        writeln!(w, "To: delist@microsoft.com")?;
        if let Some(c) = contact {
            writeln!(w, "Reply-To: {c}")?;
        }
        writeln!(
            w,
            "Subject: Delisting request for {ip} (550 5.7.511 banned sender)"
        )?;
        writeln!(w)?;
        writeln!(w, "Hello,")?;
        writeln!(w)?;
        writeln!(
            w,
            "we are the hosting provider of {ip}. Mail from {ip} is rejected with 550 5.7.511 since {first} (last {last}, {n} rejection(s)). We have reviewed the customer's sending and ask you to remove the address from your list. The full NDR:",
            first = iso(r.first_seen),
            last = iso(r.last_seen),
            n = r.events
        )?;
        writeln!(w)?;
        writeln!(w, "{}", r.sample_reply)?;
        writeln!(w)?;
        writeln!(w, "Thank you.")?;
        writeln!(
            w,
            "\n----------------------------------------------------------------------\n"
        )?;
    }
    Ok(())
}

/// The rows that name an address, with the address as written.
fn with_ip(agg: &Aggregates) -> impl Iterator<Item = (&IpRow, String)> {
    agg.ips.iter().filter_map(|r| Some((r, r.ip?.to_string())))
}

/// The list's lookup page for an IP (the rule's `lookup_url`), or a multi-list lookup.
fn lookup_url(template: Option<&str>, ip: &str) -> String {
    match template {
        Some(t) => lookup_url_for(t, ip),
        None => format!("https://mxtoolbox.com/SuperTool.aspx?action=blacklist%3a{ip}"),
    }
}

/// `dnsbl-lookups.csv`: the lookup page per listed IP and list.
pub(crate) fn write_dnsbl(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(["ip", "rule_id", "lookup_url", "delist_route"])
        .map_err(csv_io)?;
    for (r, ip) in with_ip(agg).filter(|(r, _)| r.class == Class::Dnsbl) {
        csv.write_record([
            ip.as_str(),
            &r.rule_id,
            &lookup_url(agg.lookup_url(&r.rule_id), &ip),
            &r.delist_route,
        ])
        .map_err(csv_io)?;
    }
    // IPs SNDS blocks because Spamhaus or Symantec lists them: one row per IP, that list's page.
    let mut done = BTreeSet::new();
    for (r, ip) in with_ip(agg).filter(|(r, _)| third_party_snds(r)) {
        let Some(kind) = r.snds.reason_kind else {
            continue;
        };
        if !done.insert(ip.clone()) {
            continue;
        }
        csv.write_record([
            ip.as_str(),
            "snds-blocked",
            &kind.lookup_url(&ip).unwrap_or_default(),
            &kind.delist_route(),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}
