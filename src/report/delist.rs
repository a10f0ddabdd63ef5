//! `delist/`: what support pastes into the receivers' delisting forms and mails.

use super::cells::opt;
use super::{csv_io, csv_writer, iso};
use crate::aggregate::cases::{open_request_for, CaseRow};
use crate::aggregate::snds::Cause;
use crate::aggregate::{Aggregates, IpRow, Status};
use crate::attribute::cidr::{form_list, host, merge};
use crate::classify::rules::{lookup_url_for, Class, DelistForm};
use crate::model::case::Case;
use crate::model::snds::OUTLOOK_FORM;
use crate::model::Provider;
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;

/// `ip (reason label)` for the IPs SNDS blocks for a relayed list, one per IP.
fn third_party_ips<'a>(rows: impl Iterator<Item = &'a IpRow>) -> Vec<String> {
    // Keyed by the address as written: the pack has always listed them in text order.
    let mut out: BTreeMap<String, &'static str> = BTreeMap::new();
    for r in rows.filter(|r| r.is_third_party_snds()) {
        if let (Some(k), Some(ip)) = (r.snds.reason_kind, r.ip) {
            out.insert(ip.to_string(), k.label());
        }
    }
    out.into_iter()
        .map(|(ip, label)| format!("{ip} ({label})"))
        .collect()
}

/// The note a pack without the provider's full identity carries, when it holds a request.
pub(crate) fn incomplete_note(agg: &Aggregates, provider: &Provider) -> Option<String> {
    let requests = current(agg).any(|r| {
        r.ip.is_some() && (r.is_outlook_com_request() || agg.delist_form(&r.rule_id).is_some())
    });
    provider.incomplete_note().filter(|_| requests)
}

/// A configured value, or what is missing where the form wants it.
fn field(value: Option<&str>, key: &str) -> String {
    value.map_or_else(
        || format!("(not configured: [provider] {key})"),
        str::to_string,
    )
}

/// `outlook-com.txt`: one request per range for the Outlook.com sender support form, holding only
/// what Outlook.com blocks (its bounces, or SNDS blocks for Microsoft's own reasons).
pub(crate) fn write_outlook(
    w: &mut dyn Write,
    agg: &Aggregates,
    provider: &Provider,
) -> std::io::Result<()> {
    let rows: Vec<&IpRow> = current(agg)
        .filter(|r| r.is_outlook_com_request() && r.ip.is_some())
        .collect();
    writeln!(w, "Outlook.com sender support requests")?;
    writeln!(w, "Form: {OUTLOOK_FORM}")?;
    if let Some(note) = incomplete_note(agg, provider) {
        writeln!(w, "{note}")?;
    }
    writeln!(w)?;
    let elsewhere = third_party_ips(current(agg));
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
    writeln!(w, "One request per range below. Sign in to the form with the Microsoft account of {}: the form fills in \"Contact email address\" from it and the answer goes there.", field(provider.email.as_deref(), "email"))?;
    writeln!(w, "Fix each range's \"Before you submit\" items first: a request while the cause still sends is refused, or the block comes back for longer. A first \"not qualified for mitigation\" answer is common: reply to it with the details below to reach a person; Microsoft may ask us to confirm we own the range (WHOIS). Record each submission with `blockscope case open RANGE --receiver outlook.com --ticket SRX...` and save Microsoft's answers for `blockscope case import`: the nightly run then follows the request and this pack stops asking for it again.")?;
    writeln!(w)?;
    // Ranges in the order of their text, as the pack has always listed them.
    let mut by_subnet: BTreeMap<String, (Option<IpNetwork>, Vec<&IpRow>)> = BTreeMap::new();
    for r in &rows {
        let entry = by_subnet.entry(opt(r.subnet)).or_default();
        entry.0 = r.subnet;
        entry.1.push(r);
    }
    for (subnet, (net, rows)) in by_subnet {
        range_section(w, agg, provider, (&subnet, net), &rows)?;
    }
    Ok(())
}

/// Why an IP is a likely cause, in words (SNDS's filter and complaint rate as it writes them).
fn cause_text(c: &Cause) -> String {
    let mut parts = Vec::new();
    if c.red {
        parts.push("SNDS filter RED (over 90 % of its mail judged spam)".to_string());
    }
    if let Some(rate) = &c.complaint_rate {
        parts.push(format!("complaint rate {rate} (at or above 0.3 %, Google's published limit; Microsoft publishes none)"));
    }
    if c.trap_hits > 0 {
        parts.push(format!(
            "{} spam-trap hit(s) (mail to addresses that never signed up)",
            c.trap_hits
        ));
    }
    parts.join("; ")
}

/// Who an address belongs to, for support: `c1006, vps-c1006-01`, or that no one we know has it.
fn owner(agg: &Aggregates, ip: IpAddr) -> String {
    agg.hosts
        .iter()
        .find(|h| h.ip == ip && !h.customer_id.is_empty())
        .map_or_else(
            || "not in the inventory".to_string(),
            |h| format!("{}, {}", h.customer_id, h.vps_id),
        )
}

/// The range's "before you submit" list; returns the addresses to leave out of the request.
fn before_you_submit(
    w: &mut dyn Write,
    agg: &Aggregates,
    net: Option<IpNetwork>,
    rows: &[&IpRow],
) -> std::io::Result<BTreeSet<IpAddr>> {
    let suspects: Vec<IpAddr> = agg
        .subnet(net)
        .map(|s| s.suspect_ips.iter().copied().collect())
        .unwrap_or_default();
    let mut per_customer: BTreeMap<&str, u64> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.customer_id.is_empty()) {
        *per_customer.entry(r.customer_id.as_str()).or_default() += r.events;
    }
    let total: u64 = per_customer.values().sum();
    let top = per_customer
        .iter()
        .filter(|(_, n)| **n > 0)
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)));
    writeln!(w, "Before you submit (fix these first):")?;
    if suspects.is_empty() && top.is_none() {
        writeln!(w, "- nothing found: no RED filter, complaint rate at 0.3 % or more, or trap hit in SNDS for this range; check the senders' mail anyway")?;
    }
    let ours: BTreeSet<IpAddr> = rows.iter().filter_map(|r| r.ip).collect();
    for ip in &suspects {
        let why = agg.snds_causes.get(ip).map(cause_text).unwrap_or_default();
        let listed = if ours.contains(ip) {
            "Left out of the request below: add it once fixed"
        } else if agg
            .hosts
            .iter()
            .any(|h| h.ip == *ip && !h.customer_id.is_empty())
        {
            "Not in this request, but it sends from the same range: fix it before Outlook.com blocks more of it"
        } else {
            "Not in this request: find out who sends from it (SNDS reports it, the inventory does not have it)"
        };
        writeln!(w, "- {ip} ({}): {why}. {listed}.", owner(agg, *ip))?;
    }
    // SNDS blocking one address on its own (not a range) names that address as the cause.
    for r in rows
        .iter()
        .filter(|r| r.events == 0 && blocked_alone(agg, r))
    {
        if let Some(ip) = r.ip.filter(|ip| !suspects.contains(ip)) {
            writeln!(w, "- {ip} ({}, {}): SNDS blocks this address on its own (\"{}\"): ask the customer what it sends before you submit.", r.customer_id, r.vps_id, r.snds.reason)?;
        }
    }
    if let Some((customer, n)) = top {
        writeln!(w, "- {customer} has the most rejections at Outlook.com in this range ({n} of {total}): check its mail (volume, lists, a compromised account or script) before you submit.")?;
    }
    writeln!(w)?;
    Ok(suspects
        .into_iter()
        .filter(|ip| ours.contains(ip))
        .collect())
}

/// SNDS's blocked range for this row's address is that address alone.
fn blocked_alone(agg: &Aggregates, r: &IpRow) -> bool {
    let Some(IpAddr::V4(a)) = r.ip else {
        return false;
    };
    agg.snds_status
        .iter()
        .any(|s| s.blocked && s.reason.kind.is_microsoft() && s.first == a && s.last == a)
}

/// What Outlook.com itself says about the range: its rule ids and SNDS's blocked ranges.
fn evidence(w: &mut dyn Write, agg: &Aggregates, rows: &[&IpRow]) -> std::io::Result<()> {
    let rule_ids: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| &r.receiver_rule_ids)
        .map(String::as_str)
        .collect();
    let bounced: u64 = rows.iter().map(|r| r.events).sum();
    writeln!(w, "Why we ask:")?;
    if bounced > 0 {
        writeln!(
            w,
            "- Outlook.com rejected {bounced} message(s) from {} of these addresses; rule IDs quoted by Outlook.com: {}",
            rows.iter().filter(|r| r.events > 0).filter_map(|r| r.ip).collect::<BTreeSet<_>>().len(),
            if rule_ids.is_empty() {
                "none".to_string()
            } else {
                rule_ids.into_iter().collect::<Vec<_>>().join(", ")
            }
        )?;
    }
    let ips: BTreeSet<IpAddr> = rows.iter().filter_map(|r| r.ip).collect();
    for st in agg.snds_status.iter().filter(|s| {
        s.blocked
            && s.reason.kind.is_microsoft()
            && ips
                .iter()
                .any(|ip| matches!(ip, IpAddr::V4(a) if s.first <= *a && *a <= s.last))
    }) {
        let nets: Vec<IpNetwork> = st.networks.iter().map(|n| IpNetwork::V4(*n)).collect();
        writeln!(
            w,
            "- SNDS lists {} as blocked: {}",
            form_list(&nets),
            st.reason.text
        )?;
    }
    Ok(())
}

/// The form's fields for one range, in the form's order.
fn form_fields(
    w: &mut dyn Write,
    provider: &Provider,
    subnet: &str,
    (list, asked): (&str, usize),
    rows: &[&IpRow],
    customers: usize,
) -> std::io::Result<()> {
    let rule_ids: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| &r.receiver_rule_ids)
        .map(String::as_str)
        .collect();
    let quoted = if rule_ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", rule_ids.into_iter().collect::<Vec<_>>().join(", "))
    };
    let name = match (&provider.contact, &provider.name) {
        (Some(c), Some(n)) => format!("{c}, {n}"),
        (Some(v), None) | (None, Some(v)) => v.clone(),
        (None, None) => field(None, "contact and name"),
    };
    let domains = if provider.sender_domains.is_empty() {
        field(None, "sender_domains")
    } else {
        provider.sender_domains.join(", ")
    };
    writeln!(
        w,
        "Issue title: Hosting provider requests mitigation for {asked} address(es) in {subnet}{quoted}"
    )?;
    writeln!(w, "Contact name: {name}")?;
    writeln!(
        w,
        "Contact email address: {}",
        field(provider.email.as_deref(), "email")
    )?;
    writeln!(w, "What domain are you sending to?: outlook.com (hotmail.com, live.com and msn.com are the same service)")?;
    writeln!(w, "What domain are you sending from?: {domains}")?;
    writeln!(
        w,
        "How would you describe your company or yourself?: hosting provider (ISP)"
    )?;
    writeln!(w, "Outbound IP(s) or range(s):")?;
    writeln!(w, "{list}")?;
    writeln!(w, "Is your server dedicated or shared?: shared: virtual servers of {customers} customer(s) of ours")?;
    Ok(())
}

/// One range of the Outlook.com requests: the causes to fix first, the form's fields, the
/// evidence and the latest NDR.
fn range_section(
    w: &mut dyn Write,
    agg: &Aggregates,
    provider: &Provider,
    (subnet, net): (&str, Option<IpNetwork>),
    rows: &[&IpRow],
) -> std::io::Result<()> {
    let seen: Vec<&&IpRow> = rows.iter().filter(|r| r.events > 0).collect();
    let customers: BTreeSet<&str> = rows.iter().map(|r| r.customer_id.as_str()).collect();
    let all: BTreeSet<IpAddr> = rows.iter().filter_map(|r| r.ip).collect();
    writeln!(
        w,
        "== Range {subnet}: Outlook.com blocks {} of our address(es) here",
        all.len()
    )?;
    writeln!(w)?;
    // Addresses an open request already holds are not asked again: the ticket it has is where
    // Microsoft's answers and a person's review happen.
    let cased = asked_before(agg, rows);
    for (row, ips) in cased.values() {
        let c = &row.case;
        writeln!(
            w,
            "Already requested in case {}: {} at Outlook.com, {}.",
            c.id,
            c.range_text(),
            super::cases::requested(c)
        )?;
        let which = if ips.len() == all.len() {
            format!("these {} address(es)", ips.len())
        } else {
            let list: Vec<IpNetwork> = ips.iter().map(|ip| host(*ip)).collect();
            format!("{} (in {})", form_list(&merge(list)), c.id)
        };
        writeln!(
            w,
            "Do not resubmit {which}: the request continues on {}. Next step: {}",
            c.ticket.as_deref().map_or_else(
                || "the receiver's answer mails".to_string(),
                |t| format!("ticket {t}")
            ),
            super::cases::next_step(row, agg.cases.as_ref().map_or(0, |r| r.quiet_nights))
        )?;
    }
    for c in recurrences(agg, &all) {
        let previous = agg
            .cases
            .iter()
            .flat_map(|r| &r.rows)
            .find(|r| Some(&r.case.id) == c.previous.as_ref());
        let ticket = previous
            .and_then(|p| p.case.ticket.as_deref())
            .map_or_else(String::new, |t| format!(" (ticket {t})"));
        writeln!(
            w,
            "Blocked again after case {}{ticket} closed: {} follows it. Mention the earlier ticket in the Description, and record this request with blockscope case open {} --receiver outlook.com --ticket SRX... once submitted.\n",
            c.previous.as_deref().unwrap_or("-"),
            c.id,
            c.range_text().replace(' ', "")
        )?;
    }
    let addresses: BTreeSet<IpAddr> = all
        .iter()
        .filter(|ip| !cased.values().any(|(_, ips)| ips.contains(ip)))
        .copied()
        .collect();
    if !cased.is_empty() {
        writeln!(w)?;
    }
    if addresses.is_empty() {
        evidence(w, agg, rows)?;
        latest_ndr(w, &seen)?;
        writeln!(w)?;
        return Ok(());
    }
    let fix_first = before_you_submit(w, agg, net, rows)?;
    let asked: Vec<IpNetwork> = addresses
        .iter()
        .filter(|ip| !fix_first.contains(ip))
        .map(|ip| host(*ip))
        .collect();
    let asked_n = asked.len();
    let list = if asked.is_empty() {
        "(none until the causes above are fixed)".to_string()
    } else {
        form_list(&merge(asked))
    };
    form_fields(w, provider, subnet, (&list, asked_n), rows, customers.len())?;
    writeln!(
        w,
        "Copy and paste any error messages: {}",
        if seen.is_empty() {
            "none yet (no bounce); give SNDS's reason from \"Why we ask\" below"
        } else {
            "the latest NDR below"
        }
    )?;
    writeln!(w)?;
    let we = provider
        .name
        .as_ref()
        .map_or_else(|| "We are".to_string(), |n| format!("We are {n},"));
    writeln!(w, "Description: {we} the hosting provider of these addresses, and operate the network they belong to. They are used by {} customer(s) on virtual servers; we have investigated the senders in this range and ask you to review the block.", customers.len())?;
    writeln!(w)?;
    evidence(w, agg, rows)?;
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
    latest_ndr(w, &seen)?;
    writeln!(w)?;
    Ok(())
}

/// The latest full NDR of the range (what the form and a reply on a ticket ask for).
fn latest_ndr(w: &mut dyn Write, seen: &[&&IpRow]) -> std::io::Result<()> {
    match seen.iter().max_by_key(|r| (r.last_seen, &r.sample_reply)) {
        Some(latest) => {
            writeln!(
                w,
                "Latest NDR ({}, {}):",
                opt(latest.ip),
                iso(latest.last_seen)
            )?;
            writeln!(w, "{}", latest.sample_reply)
        }
        None => writeln!(
            w,
            "No NDR: Outlook.com has not bounced these addresses yet."
        ),
    }
}

/// The recurrences (open, not yet submitted) at Outlook.com holding some of `addresses`.
fn recurrences<'a>(agg: &'a Aggregates, addresses: &BTreeSet<IpAddr>) -> Vec<&'a Case> {
    agg.cases
        .iter()
        .flat_map(|r| &r.rows)
        .map(|r| &r.case)
        .filter(|c| {
            c.is_open()
                && !c.submitted
                && c.receiver == "outlook.com"
                && addresses.iter().any(|ip| c.covers(*ip))
        })
        .collect()
}

/// The open requests holding some of these rows' addresses: case id -> (its row, the
/// addresses it holds).
fn asked_before<'a>(
    agg: &'a Aggregates,
    rows: &[&IpRow],
) -> BTreeMap<&'a str, (&'a CaseRow, BTreeSet<IpAddr>)> {
    let mut out: BTreeMap<&str, (&CaseRow, BTreeSet<IpAddr>)> = BTreeMap::new();
    for r in rows {
        if let (Some(case), Some(ip)) = (open_request_for(agg, r), r.ip) {
            out.entry(case.case.id.as_str())
                .or_insert_with(|| (case, BTreeSet::new()))
                .1
                .insert(ip);
        }
    }
    out
}

/// `office365.csv`: sender.office.com takes one IP (and one recipient address) per request.
pub(crate) fn write_office365(
    w: &mut dyn Write,
    agg: &Aggregates,
    contact: Option<&str>,
) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record([
        "ip",
        "first_seen",
        "last_seen",
        "ndr",
        "contact",
        "open_case",
        "case_ticket",
    ])
    .map_err(csv_io)?;
    let portal = |r: &IpRow| agg.delist_form(&r.rule_id) == Some(DelistForm::SenderOfficeCom);
    for (r, ip) in with_ip(agg).filter(|(r, _)| portal(r)) {
        // An address with an open Office 365 case is not submitted again.
        let case = open_request_for(agg, r);
        csv.write_record([
            ip.as_str(),
            &iso(r.first_seen),
            &iso(r.last_seen),
            &r.sample_reply,
            contact.unwrap_or(""),
            case.map_or("", |c| c.case.id.as_str()),
            &super::neutralise(case.and_then(|c| c.case.ticket.as_deref()).unwrap_or("")),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}

/// `delist-microsoft-5.7.511.txt`: one draft mail per IP; the portal cannot lift 5.7.511.
pub(crate) fn write_5_7_511(
    w: &mut dyn Write,
    agg: &Aggregates,
    provider: &Provider,
) -> std::io::Result<()> {
    let rows: Vec<(&IpRow, String)> = with_ip(agg)
        .filter(|(r, _)| agg.delist_form(&r.rule_id) == Some(DelistForm::DelistMailbox))
        .collect();
    if rows.is_empty() {
        writeln!(w, "No 5.7.511 (banned sender) blocks in this period.")?;
    } else if let Some(note) = provider.incomplete_note() {
        writeln!(w, "{note}\n")?;
    }
    for (r, ip) in rows {
        if let Some(row) = open_request_for(agg, r) {
            writeln!(
                w,
                "{ip}: already requested in case {} ({}): do not send again; {}.\n",
                row.case.id,
                super::cases::requested(&row.case),
                super::cases::on_ticket(&row.case)
            )?;
            continue;
        }
        if let Some(c) = &provider.email {
            writeln!(w, "From: {c}")?;
        }
        writeln!(w, "To: delist@microsoft.com")?;
        if let Some(c) = &provider.email {
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
        signature(w, provider)?;
        writeln!(
            w,
            "\n----------------------------------------------------------------------\n"
        )?;
    }
    Ok(())
}

/// The provider's identity under a draft mail, as far as it is configured.
fn signature(w: &mut dyn Write, p: &Provider) -> std::io::Result<()> {
    for line in [&p.contact, &p.name, &p.email].into_iter().flatten() {
        writeln!(w, "{line}")?;
    }
    if !p.sender_domains.is_empty() {
        writeln!(w, "Sending domains: {}", p.sender_domains.join(", "))?;
    }
    Ok(())
}

/// The rows that name an address, with the address as written.
fn with_ip(agg: &Aggregates) -> impl Iterator<Item = (&IpRow, String)> {
    current(agg).filter_map(|r| Some((r, r.ip?.to_string())))
}

/// The rows the pack asks about: a block resolved since the last run is asked about no more.
fn current(agg: &Aggregates) -> impl Iterator<Item = &IpRow> {
    agg.ips.iter().filter(|r| r.is_current())
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
    for (r, ip) in with_ip(agg).filter(|(r, _)| r.is_third_party_snds()) {
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
