//! `summary/summary.html`: the Markdown summary's content for people, with one heatmap per
//! affected /24 so a neighbourhood block is visible at a glance.
//!
//! The page is one self-contained file (inline CSS, SVG and a small sorting script, no network:
//! a Content-Security-Policy forbids every external load), readable offline and printable.
//! Everything taken from the data — replies, ids, names, file names, reasons — goes through
//! [`escape`]; markup is only ever built from literals. The output is deterministic: no
//! wall-clock time, no random ids (reports are compared byte for byte across thread counts).

use super::cells::{join, list, opt, yes_no};
use super::iso;
use crate::aggregate::{display_order, Aggregates, Host, IpRow, Status, SubnetRow, Verdict};
use crate::classify::rules::Class;
use crate::ingest::snds::{Filter, SndsStatus};
use ipnetwork::{IpNetwork, Ipv4Network};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

/// Escape untrusted text for HTML element content and quoted attribute values.
///
/// Control characters cannot be typed into a report meaningfully: whitespace controls become a
/// space, the others (and bidi overrides, which could make a reply read differently than it
/// is) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if super::text::is_bidi_control(c) => out.push('\u{FFFD}'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text, or an em dash when empty (an empty cell reads as "missing data").
fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "—".into()
    } else {
        escape(text)
    }
}

/// Escape `text`, turning its http(s) URLs into links: delisting routes name portals and forms.
fn linkify(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&escape(&rest[..at]));
        let tail = &rest[at..];
        let stop = |c: char| c.is_whitespace() || "()[]<>\"',;".contains(c);
        let mut end = tail.find(stop).unwrap_or(tail.len());
        // A full stop or colon after a URL ends the sentence, not the URL.
        while tail[..end].ends_with(['.', ':']) {
            end -= 1;
        }
        let url = escape(&tail[..end]);
        out.push_str(&format!("<a href=\"{url}\" rel=\"noreferrer\">{url}</a>"));
        rest = &tail[end..];
    }
    out.push_str(&escape(rest));
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Lookups shared by the sections.
struct Ctx<'a> {
    agg: &'a Aggregates,
    names: BTreeMap<&'a str, &'a str>,
    hosts: BTreeMap<IpAddr, &'a Host>,
    /// IP -> its block, throttle and SNDS rule ids: `Host::rules` also lists greylisting and
    /// unknown users, too long for the heatmaps' side tables.
    serious: BTreeMap<IpAddr, BTreeSet<&'a str>>,
}

impl<'a> Ctx<'a> {
    fn new(agg: &'a Aggregates) -> Self {
        Ctx {
            agg,
            names: agg
                .customers
                .iter()
                .map(|(id, name)| (id.as_str(), name.as_str()))
                .collect(),
            hosts: agg.hosts.iter().map(|h| (h.ip, h)).collect(),
            serious: serious_rules(agg),
        }
    }

    fn rows(&self, keep: impl Fn(&IpRow) -> bool) -> Vec<&'a IpRow> {
        self.agg.ips.iter().filter(|r| keep(r)).collect()
    }

    /// Customer and VPS of a heatmap address (`;`-separated when several). An address outside
    /// the inventory can be seen from several VPSes, and `Host` keeps whichever came first — not
    /// the same for every thread count — so those come from the evidence rows instead.
    fn owner(&self, h: &Host) -> (String, String) {
        if h.in_inventory {
            return (h.customer_id.clone(), h.vps_id.clone());
        }
        let mut customers = BTreeSet::new();
        let mut vpses = BTreeSet::new();
        for r in self.agg.ips.iter().filter(|r| r.ip == Some(h.ip)) {
            customers.extend(Some(r.customer_id.as_str()).filter(|c| !c.is_empty()));
            vpses.extend(Some(r.vps_id.as_str()).filter(|v| !v.is_empty()));
        }
        let join = |set: BTreeSet<&str>| set.into_iter().collect::<Vec<_>>().join(";");
        (join(customers), join(vpses))
    }

    /// "id (name)" for hover text.
    fn customer_label(&self, id: &str) -> String {
        match self.names.get(id) {
            Some(name) if !name.is_empty() => format!("{id} ({name})"),
            _ if id.is_empty() => "—".into(),
            _ => id.into(),
        }
    }

    /// The SNDS IP-status range blocking `ip`, if any.
    fn snds_range(&self, ip: Ipv4Addr) -> Option<&'a SndsStatus> {
        self.agg
            .snds_status
            .iter()
            .find(|s| s.blocked && s.first <= ip && ip <= s.last)
    }
}

fn serious_rules(agg: &Aggregates) -> BTreeMap<IpAddr, BTreeSet<&str>> {
    let mut out: BTreeMap<IpAddr, BTreeSet<&str>> = BTreeMap::new();
    let serious = |c: Class| c.is_block() || matches!(c, Class::Throttle | Class::SndsBlock);
    for r in agg.ips.iter().filter(|r| serious(r.class)) {
        if let Some(ip) = r.ip {
            out.entry(ip).or_default().insert(r.rule_id.as_str());
        }
    }
    out
}

/// Distinct addresses named by the rows.
fn distinct_ips<'a>(rows: impl Iterator<Item = &'a IpRow>) -> usize {
    rows.filter_map(|r| r.ip).collect::<BTreeSet<_>>().len()
}

/// SNDS's filter as it writes it, empty without data.
fn filter_text(filter: Option<Filter>) -> &'static str {
    filter.map_or("", Filter::as_str)
}

/// The key the page's sorting script orders addresses by: IPv4 before IPv6, numerically.
fn sort_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(a)) => format!("4{:08x}", u32::from(a)),
        Some(IpAddr::V6(a)) => format!("6{:032x}", u128::from(a)),
        None => "~".into(),
    }
}

fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> usize {
    values
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .len()
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A table cell; every variant escapes its text.
enum Cell<'a> {
    Text(Cow<'a, str>),
    Mono(Cow<'a, str>),
    /// Sorted by address, not by text.
    Ip(Option<IpAddr>),
    /// Sorted by its network address.
    Net(IpNetwork),
    Num(u64),
    Time(i64),
    Verdict(Option<Verdict>),
    /// Receiver text: long, wraps anywhere.
    Reply(&'a str),
    /// Customer id, with the name underneath.
    Customer(&'a str),
    /// A `;`-separated list (rule ids), shown wrapping after each item.
    List(Cow<'a, str>),
    /// A heatmap state, with its colour.
    State(State),
}

fn cell(ctx: &Ctx, c: &Cell) -> String {
    match c {
        Cell::Text(s) => format!("<td>{}</td>", or_dash(s)),
        Cell::Mono(s) => format!("<td class=\"mono\">{}</td>", or_dash(s)),
        Cell::Ip(ip) => format!(
            "<td class=\"mono\" data-sort=\"{}\">{}</td>",
            sort_key(*ip),
            or_dash(&opt(*ip))
        ),
        Cell::Net(net) => format!(
            "<td class=\"mono\" data-sort=\"{}\">{}</td>",
            sort_key(Some(net.network())),
            or_dash(&net.to_string())
        ),
        Cell::Num(n) => format!("<td class=\"n\">{n}</td>"),
        // Allowed to break after the date in narrow tables.
        Cell::Time(t) => format!(
            "<td class=\"mono time\">{}</td>",
            iso(*t).replacen('T', "<wbr>T", 1)
        ),
        Cell::Verdict(v) => match v {
            Some(v) => format!("<td data-sort=\"{}\">{}</td>", v.as_str(), badge(*v, true)),
            None => "<td>—</td>".into(),
        },
        Cell::Reply(s) => format!("<td class=\"reply\">{}</td>", or_dash(s)),
        Cell::Customer(id) => match ctx.names.get(id) {
            Some(name) if !name.is_empty() => format!(
                "<td data-sort=\"{0}\">{0}<span class=\"sub\">{1}</span></td>",
                escape(id),
                escape(name)
            ),
            _ => format!("<td>{}</td>", or_dash(id)),
        },
        Cell::List(s) => format!(
            "<td class=\"mono list\">{}</td>",
            or_dash(&s.replace(';', "; "))
        ),
        Cell::State(st) => format!(
            "<td data-sort=\"{}\"><span class=\"chip\"><i class=\"sw {}\"></i>{}</span></td>",
            *st as u8,
            st.class(),
            st.short()
        ),
    }
}

/// A sortable table; numeric columns (judged by the first row) are right-aligned.
fn table(w: &mut dyn Write, ctx: &Ctx, heads: &[&str], rows: &[Vec<Cell>]) -> io::Result<()> {
    write!(
        w,
        "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
    )?;
    for (i, h) in heads.iter().enumerate() {
        let numeric = rows
            .first()
            .is_some_and(|r| matches!(r.get(i), Some(Cell::Num(_))));
        let class = if numeric { " class=\"n\"" } else { "" };
        write!(w, "<th{class}>{}</th>", escape(h))?;
    }
    writeln!(w, "</tr></thead><tbody>")?;
    for r in rows {
        write!(w, "<tr>")?;
        for c in r {
            w.write_all(cell(ctx, c).as_bytes())?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(w, "</tbody></table></div>")
}

/// The verdict as a coloured badge; `short` inside tables.
fn badge(v: Verdict, short: bool) -> String {
    let label = match v {
        Verdict::Neighbourhood if short => "neighbourhood",
        Verdict::Neighbourhood => "neighbourhood block",
        Verdict::SingleIp => "single IP",
        Verdict::SingleCustomer => "single customer",
        Verdict::Clear => "clear in the logs",
    };
    format!("<span class=\"badge b-{}\">{label}</span>", v.as_str())
}

fn none(w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "<p class=\"none\">None.</p>")
}

fn section(w: &mut dyn Write, id: &str, title: &str) -> io::Result<()> {
    writeln!(w, "<section id=\"{id}\"><h2>{}</h2>", escape(title))
}

// ---------------------------------------------------------------------------------------------
// The page

pub fn write(w: &mut dyn Write, agg: &Aggregates) -> io::Result<()> {
    let ctx = Ctx::new(agg);
    head(w, &ctx)?;
    glance(w, &ctx)?;
    neighbourhoods(w, &ctx)?;
    heatmaps(w, &ctx)?;
    blocked_by_platform(w, &ctx)?;
    if agg.snds_given {
        snds(w, &ctx)?;
    }
    throttling(w, &ctx)?;
    other_rejections(w, &ctx)?;
    unclassified(w, &ctx)?;
    input(w, &ctx)?;
    writeln!(w, "</main>\n<footer>Written by blockscope from the logs, the inventory{}. Full data: <code>ips.csv</code>, <code>subnets.csv</code>, <code>customers/</code>.</footer>",
        if agg.snds_given { " and the SNDS exports" } else { "" })?;
    writeln!(w, "<script>{SCRIPT}</script>\n</body>\n</html>")
}

fn head(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    // default-src 'none': even a markup mistake could not make the page load anything.
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(w, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">")?;
    writeln!(
        w,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        w,
        "<title>blockscope report</title>\n<style>{CSS}</style>\n</head>\n<body>"
    )?;
    write!(w, "<header class=\"top\"><h1>blockscope report</h1><p>")?;
    write!(w, "Report window: {}. ", escape(&ctx.agg.window.describe()))?;
    match (ctx.agg.first_time, ctx.agg.last_time) {
        (Some(a), Some(b)) => write!(
            w,
            "Evidence window {} to {} (UTC, from the log lines).",
            iso(a),
            iso(b)
        )?,
        _ => write!(w, "No delivery lines were found in the logs.")?,
    }
    writeln!(w, "</p></header>")?;
    write!(w, "<nav>")?;
    let mut links = vec![
        ("glance", "At a glance"),
        ("neighbourhoods", "Neighbourhood blocks"),
        ("heatmaps", "Subnet heatmaps"),
        ("blocked", "Blocked IPs"),
    ];
    if ctx.agg.snds_given {
        links.push(("snds", "SNDS"));
    }
    links.extend([
        ("throttling", "Throttling"),
        ("other", "Other rejections"),
        ("unclassified", "Unclassified"),
        ("input", "Input"),
    ]);
    for (id, label) in links {
        write!(w, "<a href=\"#{id}\">{label}</a>")?;
    }
    writeln!(w, "</nav>\n<main>")
}

fn card(w: &mut dyn Write, alert: bool, value: &str, label: &str, sub: &str) -> io::Result<()> {
    let class = if alert { "card alert" } else { "card" };
    writeln!(
        w,
        "<div class=\"{class}\"><div class=\"v\">{}</div><div class=\"l\">{}</div><div class=\"s\">{}</div></div>",
        escape(value),
        escape(label),
        escape(sub)
    )
}

fn glance(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    let agg = ctx.agg;
    let blocked = ctx.rows(|r| r.class.is_block());
    let throttled = ctx.rows(|r| r.class == Class::Throttle);
    let hoods: Vec<String> = display_order(&agg.subnets)
        .into_iter()
        .filter(|s| s.verdict == Verdict::Neighbourhood)
        .map(|s| s.subnet.to_string())
        .collect();
    let blocked_ips = distinct_ips(blocked.iter().copied());
    let customers = distinct(blocked.iter().map(|r| r.customer_id.as_str()));
    let throttled_ips = distinct_ips(throttled.iter().copied());
    section(w, "glance", "At a glance")?;
    writeln!(w, "<div class=\"cards\">")?;
    let hood_sub = if hoods.is_empty() {
        "no receiver blocks a whole subnet".to_string()
    } else {
        hoods.join(", ")
    };
    card(
        w,
        !hoods.is_empty(),
        &hoods.len().to_string(),
        "neighbourhood blocks",
        &hood_sub,
    )?;
    card(
        w,
        blocked_ips > 0,
        &blocked_ips.to_string(),
        "blocked IPs",
        "IP and network blocks, DNSBL listings",
    )?;
    card(
        w,
        customers > 0,
        &customers.to_string(),
        "customers affected",
        "with at least one blocked IP",
    )?;
    card(
        w,
        false,
        &throttled_ips.to_string(),
        "throttled IPs",
        "rate-limited, not blocked",
    )?;
    if agg.snds_given {
        let not_seen = distinct_ips(
            agg.ips
                .iter()
                .filter(|r| r.status == Status::BlockedNotSeen),
        );
        card(
            w,
            not_seen > 0,
            &not_seen.to_string(),
            "SNDS-blocked, not yet bouncing",
            "warn these customers",
        )?;
    }
    match (agg.first_time, agg.last_time) {
        (Some(a), Some(b)) => {
            // Whole days, rounded up: a window of 6 days and 23 hours reads as "7 days".
            const DAY: i64 = 86_400_000_000;
            let days = ((b - a + DAY - 1) / DAY).max(1) as usize;
            let sub = format!("{} to {}", iso(a), iso(b));
            card(
                w,
                false,
                &plural(days, "day", "days"),
                "evidence window",
                &sub,
            )?
        }
        _ => card(w, false, "—", "evidence window", "no delivery lines")?,
    }
    writeln!(w, "</div>")?;
    let not_ip: u64 = ctx
        .rows(|r| r.class == Class::NotIp)
        .iter()
        .map(|r| r.events)
        .sum();
    let unclassified: u64 = ctx
        .rows(|r| r.class == Class::Unclassified)
        .iter()
        .map(|r| r.events)
        .sum();
    writeln!(w, "<p class=\"muted\">{not_ip} rejection(s) not about the IP (unknown user, mailbox full, network failures; never counted as blocks) · {unclassified} unclassified repl(ies).</p></section>")
}

fn neighbourhoods(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "neighbourhoods", "Neighbourhood blocks")?;
    let rows: Vec<Vec<Cell>> = display_order(&ctx.agg.subnets)
        .into_iter()
        .filter(|s| s.verdict == Verdict::Neighbourhood)
        .map(|s| {
            vec![
                Cell::Net(s.subnet),
                Cell::Num(s.blocked_ips),
                Cell::Num(s.active_ips),
                Cell::Num(s.inventory_ips),
                Cell::Num(s.blocked_customers),
                Cell::Num(s.customers),
                Cell::List(Cow::from(list(&s.platforms))),
                Cell::List(Cow::from(list(&s.rule_ids))),
            ]
        })
        .collect();
    if rows.is_empty() {
        none(w)?;
    } else {
        let heads = [
            "Subnet",
            "Blocked IPs",
            "Active IPs",
            "Inventory IPs",
            "Customers blocked",
            "Customers in subnet",
            "Platforms",
            "Rules",
        ];
        table(w, ctx, &heads, &rows)?;
        writeln!(w, "<p class=\"advice\">A neighbourhood block is lifted for the range, not per customer: ask the receiver to delist the whole subnet (see the delisting routes below) and look for the sender that caused it.</p>")?;
    }
    writeln!(w, "</section>")
}

// ---------------------------------------------------------------------------------------------
// Heatmaps

/// What one address of a heatmap shows, most serious first.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum State {
    Blocked,
    SndsOnly,
    Throttled,
    Sent,
    Silent,
    NotOurs,
    /// In the /24 drawn but outside the subnet (prefixes longer than /24).
    Outside,
}

impl State {
    const LEGEND: [State; 6] = [
        State::Blocked,
        State::SndsOnly,
        State::Throttled,
        State::Sent,
        State::Silent,
        State::NotOurs,
    ];

    fn class(self) -> &'static str {
        match self {
            State::Blocked => "blocked",
            State::SndsOnly => "snds",
            State::Throttled => "throttled",
            State::Sent => "sent",
            State::Silent => "silent",
            State::NotOurs => "notours",
            State::Outside => "outside",
        }
    }

    fn label(self) -> &'static str {
        match self {
            State::Blocked => "blocked",
            State::SndsOnly => "SNDS-blocked, not bouncing yet",
            State::Throttled => "throttled",
            State::Sent => "sending, no block",
            State::Silent => "ours, no activity",
            State::NotOurs => "not in the inventory",
            State::Outside => "outside the subnet",
        }
    }

    fn short(self) -> &'static str {
        match self {
            State::SndsOnly => "SNDS only",
            State::Sent => "sending",
            State::Silent => "silent",
            State::NotOurs => "not ours",
            _ => self.label(),
        }
    }

    fn of(host: Option<&Host>) -> State {
        let Some(h) = host else {
            return State::NotOurs;
        };
        match h.worst {
            Some(c) if c.is_block() => State::Blocked,
            Some(Class::SndsBlock) => State::SndsOnly,
            Some(Class::Throttle) => State::Throttled,
            _ if !h.in_inventory => State::NotOurs,
            _ if h.sent + h.deferred + h.bounced > 0 => State::Sent,
            _ => State::Silent,
        }
    }
}

/// IPv4 subnets worth a heatmap: blocked in the logs or in SNDS. Neighbourhoods first.
fn affected(agg: &Aggregates) -> Vec<(&SubnetRow, Ipv4Network)> {
    let mut out: Vec<_> = display_order(&agg.subnets)
        .into_iter()
        .filter(|s| s.verdict != Verdict::Clear || s.snds_blocked_ips > 0)
        .filter_map(|s| match s.subnet {
            IpNetwork::V4(n) => Some((s, n)),
            IpNetwork::V6(_) => None,
        })
        .collect();
    out.sort_by_key(|(s, _)| s.verdict); // stable: numeric order within a verdict
    out
}

fn heatmaps(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "heatmaps", "Subnet heatmaps")?;
    let subnets = affected(ctx.agg);
    if subnets.is_empty() {
        none(w)?;
        return writeln!(w, "</section>");
    }
    writeln!(w, "<p class=\"muted\">One square per address, .0 top left to .255 bottom right; hover a square for its owner, counts, rules and SNDS data. Blocked IPv4 subnets only; clear subnets and IPv6 are left out.</p>")?;
    legend(w)?;
    for (s, net) in subnets {
        heatmap_card(w, ctx, s, net)?;
    }
    writeln!(w, "</section>")
}

fn legend(w: &mut dyn Write) -> io::Result<()> {
    write!(w, "<div class=\"legend\">")?;
    for st in State::LEGEND {
        write!(
            w,
            "<span><i class=\"sw {}\"></i>{}</span>",
            st.class(),
            st.label()
        )?;
    }
    writeln!(
        w,
        "<span><i class=\"sw sent red\"></i>thick outline: SNDS filter RED</span></div>"
    )
}

/// The /24 blocks to draw for a subnet: its own /24, or each /24 with addresses of ours.
fn blocks_of(ctx: &Ctx, s: &SubnetRow, net: Ipv4Network) -> Vec<u32> {
    if net.prefix() >= 24 {
        return vec![u32::from(net.network()) & !0xff];
    }
    let set: BTreeSet<u32> = ctx
        .agg
        .hosts
        .iter()
        .filter(|h| h.subnet == s.subnet)
        .filter_map(|h| match h.ip {
            IpAddr::V4(ip) => Some(u32::from(ip) & !0xff),
            IpAddr::V6(_) => None,
        })
        .collect();
    set.into_iter().collect()
}

fn heatmap_card(w: &mut dyn Write, ctx: &Ctx, s: &SubnetRow, net: Ipv4Network) -> io::Result<()> {
    let v = s.verdict;
    writeln!(
        w,
        "<article class=\"hm v-{}\" data-subnet=\"{}\">",
        v.as_str(),
        escape(&s.subnet.to_string())
    )?;
    write!(
        w,
        "<div class=\"hm-head\"><h3>{}</h3>{}",
        escape(&s.subnet.to_string()),
        badge(v, false)
    )?;
    if s.snds_blocked_ips > 0 {
        write!(
            w,
            "<span class=\"badge b-snds\">SNDS blocks {}</span>",
            plural(s.snds_blocked_ips as usize, "address", "addresses")
        )?;
    }
    writeln!(w, "</div>")?;
    let why = match v {
        Verdict::Neighbourhood => format!(
            "{} of the {} customers here are blocked by {} ({}): delist the whole range and find the cause.",
            s.blocked_customers,
            s.customers,
            or_dash(&join(&s.platforms, ", ")),
            or_dash(&join(&s.rule_ids, ", "))
        ),
        Verdict::SingleCustomer => {
            "Several blocked IPs, all of one customer: talk to that customer, delist per IP.".into()
        }
        Verdict::SingleIp => "Isolated blocks among clean neighbours: delist per IP.".into(),
        Verdict::Clear => "No block in the logs, but SNDS lists addresses here as blocked.".into(),
    };
    writeln!(
        w,
        "<p class=\"why\">{why}</p><p class=\"facts\">{} blocked · {} throttled · {} active · {} in the inventory · rules: {}</p>",
        plural(s.blocked_ips as usize, "IP", "IPs"),
        s.throttled_ips,
        s.active_ips,
        s.inventory_ips,
        or_dash(&join(&s.rule_ids, ", "))
    )?;
    if !s.suspect_ips.is_empty() {
        writeln!(
            w,
            "<p class=\"facts\">Likely cause (SNDS RED, complaints or trap hits): <b>{}</b></p>",
            escape(&join(&s.suspect_ips, ", "))
        )?;
    }
    for base in blocks_of(ctx, s, net) {
        writeln!(w, "<div class=\"hm-body\">")?;
        grid(w, ctx, s, net, base)?;
        notable(w, ctx, s, base)?;
        writeln!(w, "</div>")?;
    }
    writeln!(w, "</article>")
}

const CELL: u32 = 26;
const GAP: u32 = 3;
const LEFT: u32 = 38;
const TOP: u32 = 18;

/// The 16×16 SVG grid of one /24 starting at `base`.
fn grid(
    w: &mut dyn Write,
    ctx: &Ctx,
    s: &SubnetRow,
    net: Ipv4Network,
    base: u32,
) -> io::Result<()> {
    let pitch = CELL + GAP;
    let (width, height) = (LEFT + 16 * pitch, TOP + 16 * pitch);
    let first = Ipv4Addr::from(base);
    writeln!(
        w,
        "<svg class=\"grid\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Addresses of {first}/24\">"
    )?;
    for col in 0..16 {
        let x = LEFT + col * pitch + CELL / 2;
        write!(w, "<text class=\"lbl\" x=\"{x}\" y=\"12\">+{col}</text>")?;
    }
    writeln!(w)?;
    for n in 0..256u32 {
        let (row, col) = (n / 16, n % 16);
        let (x, y) = (LEFT + col * pitch, TOP + row * pitch);
        if col == 0 {
            write!(
                w,
                "<text class=\"lbl row\" x=\"{}\" y=\"{}\">.{n}</text>",
                LEFT - 6,
                y + CELL / 2 + 4
            )?;
        }
        let ip = Ipv4Addr::from(base + n);
        let ip_text = ip.to_string();
        let host = ctx.hosts.get(&IpAddr::V4(ip)).copied();
        let state = if net.contains(ip) {
            State::of(host)
        } else {
            State::Outside
        };
        let red = host.is_some_and(|h| h.snds_filter == Some(Filter::Red));
        write!(
            w,
            "<rect class=\"cell {}{}\" data-ip=\"{ip_text}\" x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\" rx=\"3\"><title>{}</title></rect>",
            state.class(),
            if red { " red" } else { "" },
            tooltip(ctx, s, ip, host, state)
        )?;
        // The last octet on our own addresses, so a printout still says which square is which.
        if host.is_some_and(|h| h.in_inventory)
            || matches!(state, State::Blocked | State::Throttled)
        {
            write!(
                w,
                "<text class=\"oct {}\" x=\"{}\" y=\"{}\">{n}</text>",
                state.class(),
                x + CELL / 2,
                y + CELL / 2 + 4
            )?;
        }
        writeln!(w)?;
    }
    writeln!(w, "</svg>")
}

/// Hover text of one square: already escaped, lines joined with a character reference.
fn tooltip(ctx: &Ctx, s: &SubnetRow, ip: Ipv4Addr, host: Option<&Host>, state: State) -> String {
    let mut lines = vec![format!("{ip} — {}", state.label())];
    if let Some(h) = host {
        if let Some(c) = h.worst {
            lines[0].push_str(&format!(" ({})", c.as_str()));
        }
        let (customer, vps) = ctx.owner(h);
        lines.push(format!(
            "customer {} · VPS {}",
            escape(&ctx.customer_label(&customer)),
            or_dash(&vps)
        ));
        lines.push(format!(
            "sent {} · deferred {} · bounced {}",
            h.sent, h.deferred, h.bounced
        ));
        lines.push(format!("rules: {}", or_dash(&join(&h.rules, ", "))));
        lines.push(format!(
            "SNDS filter: {}",
            or_dash(filter_text(h.snds_filter))
        ));
    } else if state == State::Outside {
        lines.push(format!("not part of {}", escape(&s.subnet.to_string())));
    }
    if let Some(r) = ctx.snds_range(ip) {
        lines.push(format!("SNDS: blocked ({})", or_dash(&r.reason.text)));
    }
    lines.join("&#10;")
}

/// Beside the grid, the addresses that need action: readable without hovering and on paper.
fn notable(w: &mut dyn Write, ctx: &Ctx, s: &SubnetRow, base: u32) -> io::Result<()> {
    let hosts: Vec<(&Host, State)> = ctx
        .agg
        .hosts
        .iter()
        .filter(|h| h.subnet == s.subnet)
        .filter(|h| matches!(h.ip, IpAddr::V4(ip) if u32::from(ip) & !0xff == base))
        .map(|h| (h, State::of(Some(h))))
        .filter(|(h, st)| {
            matches!(st, State::Blocked | State::SndsOnly | State::Throttled)
                || h.snds_filter == Some(Filter::Red)
        })
        .collect();
    writeln!(w, "<div class=\"notable\">")?;
    if hosts.is_empty() {
        writeln!(
            w,
            "<p class=\"none\">No blocked, throttled or RED address in this /24.</p>"
        )?;
    } else {
        let owners: Vec<(String, String)> = hosts.iter().map(|(h, _)| ctx.owner(h)).collect();
        let rows: Vec<Vec<Cell>> = hosts
            .iter()
            .zip(&owners)
            .map(|((h, st), (customer, vps))| {
                vec![
                    Cell::Ip(Some(h.ip)),
                    Cell::Customer(customer),
                    Cell::List(Cow::from(vps)),
                    Cell::State(*st),
                    Cell::List(Cow::from(list(
                        ctx.serious.get(&h.ip).into_iter().flatten(),
                    ))),
                    Cell::Text(Cow::from(filter_text(h.snds_filter))),
                ]
            })
            .collect();
        table(
            w,
            ctx,
            &[
                "IP",
                "Customer",
                "VPS",
                "State",
                "Block/throttle rules",
                "SNDS",
            ],
            &rows,
        )?;
    }
    writeln!(w, "</div>")
}

// ---------------------------------------------------------------------------------------------
// Evidence tables

fn blocked_by_platform(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "blocked", "Blocked IPs by platform")?;
    let blocked = ctx.rows(|r| r.class.is_block());
    if blocked.is_empty() {
        none(w)?;
    }
    // DNSBL listings are the list's business whichever receiver consulted it: one group.
    let mut by_platform: BTreeMap<String, Vec<&IpRow>> = BTreeMap::new();
    for r in blocked {
        let heading = if r.class == Class::Dnsbl {
            "DNS block lists (any receiver)".to_string()
        } else {
            join(&r.platforms, ", ")
        };
        by_platform.entry(heading).or_default().push(r);
    }
    for (heading, rows) in by_platform {
        writeln!(w, "<h3>{}</h3>", or_dash(&heading))?;
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                vec![
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
                ]
            })
            .collect();
        let heads = [
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
        table(w, ctx, &heads, &cells)?;
        let routes: BTreeMap<&str, &str> = rows
            .iter()
            .map(|r| (r.rule_id.as_str(), r.delist_route.as_str()))
            .collect();
        writeln!(w, "<div class=\"routes\"><b>Delisting</b><ul>")?;
        for (rule, route) in routes {
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

/// Outlook.com's own view (SNDS), and where it agrees with the logs.
fn snds(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    let agg = ctx.agg;
    section(w, "snds", "SNDS: Outlook.com's view")?;
    for note in agg.snds_notes.empty() {
        writeln!(w, "<p class=\"none\">{}</p>", escape(&note))?;
    }
    if agg.snds_notes.outside_window > 0 {
        writeln!(
            w,
            "<p class=\"muted\">{} SNDS row(s) outside the report window were not counted.</p>",
            agg.snds_notes.outside_window
        )?;
    }
    writeln!(w, "<h3>Blocked ranges</h3>")?;
    let ranges: Vec<&SndsStatus> = agg.snds_status.iter().filter(|s| s.blocked).collect();
    if ranges.is_empty() {
        writeln!(
            w,
            "<p class=\"none\">SNDS lists none of our ranges as blocked.</p>"
        )?;
    } else {
        let mut texts = Vec::new();
        let mut counts = Vec::new();
        for s in &ranges {
            let inside_rows = agg.ips_in_v4_range(s.first, s.last);
            let ours = distinct_ips(inside_rows.iter().filter(|r| r.in_inventory));
            let felt = distinct_ips(inside_rows.iter().filter(|r| r.is_outlook_block()));
            let cidrs: Vec<String> = s.networks.iter().map(|n| n.to_string()).collect();
            texts.push((
                format!("{} – {}", s.first, s.last),
                s.first.to_string(),
                cidrs.join(";"),
            ));
            counts.push((ours as u64, felt as u64));
        }
        let rows: Vec<Vec<Cell>> = ranges
            .iter()
            .zip(&texts)
            .zip(&counts)
            .map(|((s, (range, _, cidrs)), (ours, felt))| {
                vec![
                    Cell::Mono(Cow::from(range)),
                    Cell::List(Cow::from(cidrs)),
                    Cell::Num(*ours),
                    Cell::Num(*felt),
                    Cell::Text(Cow::from(&s.reason.text)),
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
        let kinds: BTreeSet<crate::ingest::snds::ReasonKind> =
            ranges.iter().map(|s| s.reason.kind).collect();
        for kind in kinds {
            writeln!(
                w,
                "<p class=\"advice\">{}: {}</p>",
                escape(kind.label()),
                linkify(&kind.delist_route())
            )?;
        }
    }
    let not_seen = ctx.rows(|r| r.status == Status::BlockedNotSeen);
    if !not_seen.is_empty() {
        writeln!(w, "<h3>Blocked by SNDS, not yet felt</h3><p class=\"advice\">Warn these customers before their mail to Outlook.com bounces.</p>")?;
        let rows: Vec<Vec<Cell>> = not_seen
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
        )?;
    }
    // In the order of the address text, as always listed.
    let lag: BTreeSet<String> = agg
        .ips
        .iter()
        .filter(|r| r.is_outlook_block() && r.snds.blocked == Some(false))
        .map(|r| opt(r.ip))
        .collect();
    if !lag.is_empty() {
        let list: Vec<String> = lag.iter().map(|ip| escape(ip)).collect();
        writeln!(w, "<p class=\"advice\">Bouncing at Outlook.com but not blocked in SNDS (a neighbourhood block or SNDS lag; say so in the delisting request): <span class=\"mono\">{}</span></p>", list.join(", "))?;
    }
    let suspects: Vec<(IpNetwork, IpAddr)> = display_order(&agg.subnets)
        .into_iter()
        .flat_map(|s| s.suspect_ips.iter().map(|ip| (s.subnet, *ip)))
        .collect();
    if !suspects.is_empty() {
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
        )?;
    }
    if !agg.snds_unknown.is_empty() {
        writeln!(w, "<h3>Not in the inventory</h3><p class=\"advice\">SNDS knows these, the inventory does not: the inventory is stale, or SNDS access covers ranges no longer ours (<code>snds-unknown-ips.csv</code>).</p>")?;
        let rows: Vec<Vec<Cell>> = agg
            .snds_unknown
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
        )?;
    }
    writeln!(w, "</section>")
}

/// The common columns of per-rule evidence tables.
fn evidence_rows<'a>(rows: &[&'a IpRow], reply: bool) -> Vec<Vec<Cell<'a>>> {
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

const EVIDENCE_HEADS: [&str; 9] = [
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

fn throttling(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "throttling", "Throttling")?;
    let rows = ctx.rows(|r| r.class == Class::Throttle);
    if rows.is_empty() {
        none(w)?;
    } else {
        table(w, ctx, &EVIDENCE_HEADS[..8], &evidence_rows(&rows, false))?;
        writeln!(w, "<p class=\"advice\">Throttling is not delistable: lower the rate towards that receiver; it lifts as reputation recovers.</p>")?;
    }
    writeln!(w, "</section>")
}

fn other_rejections(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "other", "Other rejections")?;
    let groups = [
        (Class::Auth, "Domain authentication (fix the customer's domain)", "The receiver refuses the message because the customer's domain or host fails SPF, DKIM, DMARC or PTR requirements. Nothing to delist: fix the DNS records or signing."),
        (Class::Content, "Content rejections", "The receiver refuses what was sent, not the IP. Nothing to delist: the customer must fix the messages."),
        (Class::ReceiverError, "Receiver-side DNSBL errors", "These receivers' block-list lookups are broken (e.g. Spamhaus refuses their resolver); the IP is not listed. Tell the recipient's postmaster; do not request delisting."),
    ];
    for (class, title, advice) in groups {
        let rows = ctx.rows(|r| r.class == class);
        if rows.is_empty() {
            continue;
        }
        writeln!(w, "<h3>{title}</h3><p class=\"advice\">{advice}</p>")?;
        table(w, ctx, &EVIDENCE_HEADS, &evidence_rows(&rows, true))?;
    }
    writeln!(w, "<h3>Not IP problems</h3>")?;
    let mut by_rule: BTreeMap<&str, (u64, BTreeSet<&str>)> = BTreeMap::new();
    for r in ctx.rows(|r| r.class == Class::NotIp) {
        let e = by_rule.entry(r.rule_id.as_str()).or_default();
        e.0 += r.events;
        e.1.insert(r.customer_id.as_str());
    }
    if by_rule.is_empty() {
        none(w)?;
    } else {
        writeln!(w, "<p class=\"advice\">Unknown users, full mailboxes, network failures: never counted as blocks.</p>")?;
        let rows: Vec<Vec<Cell>> = by_rule
            .iter()
            .map(|(rule, (events, customers))| {
                vec![
                    Cell::Mono(Cow::from(*rule)),
                    Cell::Num(*events),
                    Cell::Num(customers.len() as u64),
                ]
            })
            .collect();
        table(w, ctx, &["Rule", "Events", "Customers"], &rows)?;
    }
    writeln!(w, "</section>")
}

fn unclassified(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "unclassified", "Unclassified replies")?;
    let rows = ctx.rows(|r| r.class == Class::Unclassified);
    if rows.is_empty() {
        none(w)?;
    } else {
        writeln!(w, "<p class=\"advice\">No rule matched these replies; if one is an IP block, add a rule with <code>--rules FILE</code> (see docs/rules.md). <code>unclassified.csv</code> groups them fleet-wide with addresses and ids masked.</p>")?;
        table(w, ctx, &EVIDENCE_HEADS, &evidence_rows(&rows, true))?;
    }
    writeln!(w, "</section>")
}

fn input(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
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

// ---------------------------------------------------------------------------------------------
// Inline assets (static: no data ever goes into them)

const CSS: &str = r#"
:root{--blocked:#c62828;--snds:#8e5cd0;--throttled:#fbc02d;--sent:#66bb6a;--silent:#9fb3c2;--notours:#eef1f4;--ink:#1d2329;--muted:#5f6b76;--line:#dde3e8;--bg:#f5f7f9}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header.top{background:#1d2329;color:#fff;padding:18px 32px 14px}
header.top h1{margin:0;font-size:24px}
header.top p{margin:4px 0 0;color:#c5ced6}
nav{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px}
nav a{color:#1f5f99;text-decoration:none}
nav a:hover{text-decoration:underline}
main{max-width:1320px;margin:0 auto;padding:0 32px 40px}
section{margin-top:30px}
h2{font-size:20px;margin:0 0 12px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:18px 0 8px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.muted,.none{color:var(--muted)}
.advice{color:#38434d;max-width:100ch}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-top:5px solid #90a4ae;border-radius:8px;padding:10px 14px}
.card .v{font-size:30px;font-weight:700;line-height:1.2;overflow-wrap:anywhere}
.card .l{font-weight:600}
.card .s{color:var(--muted);font-size:12px;overflow-wrap:anywhere}
.card.alert{border-top-color:var(--blocked);background:#fff6f6}
.card.alert .v{color:var(--blocked)}
.card .v.small{font-size:17px;padding:7px 0 6px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px;border:1px solid var(--line)}
th,td{padding:5px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
th{background:#eaeff3;font-weight:600;white-space:nowrap}
.n{text-align:right;font-variant-numeric:tabular-nums}
td.mono{white-space:nowrap}
td.time{white-space:normal;min-width:11ch}
td.list{white-space:normal;overflow-wrap:anywhere;min-width:16ch}
td .badge{font-size:10px;padding:1px 8px}
.chip{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}
.chip .sw{width:12px;height:12px}
td.reply{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere;min-width:30ch}
tbody tr:hover{background:#f3f8fc}
.sub{display:block;color:var(--muted);font-size:11.5px}
html.js table.sortable th{cursor:pointer;user-select:none}
html.js table.sortable th::after{content:" \2195";color:#9aa5ae;font-size:11px}
html.js table.sortable th[aria-sort=ascending]::after{content:" \25B2";color:var(--ink)}
html.js table.sortable th[aria-sort=descending]::after{content:" \25BC";color:var(--ink)}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:11.5px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#fff;white-space:nowrap;vertical-align:middle}
.b-neighbourhood{background:var(--blocked)}
.b-single_ip,.b-single_customer{background:#a35400}
.b-clear{background:#78909c}
.b-snds{background:#5e35b1}
.routes{margin:8px 0 18px}
.routes ul{margin:4px 0 0;padding-left:20px}
.routes li{margin:2px 0;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0 4px;font-size:13px}
.legend span{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:16px;height:16px;border-radius:3px;border:1px solid rgba(0,0,0,.15)}
.sw.red{border:3px solid #111}
.hm{background:#fff;border:1px solid var(--line);border-left:10px solid #a35400;border-radius:8px;padding:14px 18px;margin:16px 0}
.hm.v-neighbourhood{border-left-color:var(--blocked);box-shadow:0 0 0 2px rgba(198,40,40,.25)}
.hm.v-clear{border-left-color:#5e35b1}
.hm-head{display:flex;flex-wrap:wrap;align-items:center;gap:10px}
.hm-head h3{margin:0;font-size:20px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.v-neighbourhood .hm-head .b-neighbourhood{font-size:14px;padding:4px 14px}
.hm .why{margin:8px 0 2px;font-weight:600}
.v-neighbourhood .why{color:var(--blocked)}
.hm .facts{margin:2px 0;color:var(--muted);font-size:13px}
.hm-body{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;margin-top:10px}
.hm-body svg{flex:none}
.notable{flex:1 1 420px;min-width:0}
svg.grid .lbl{font-size:10px;fill:#7a8791;text-anchor:middle;font-family:ui-monospace,Menlo,Consolas,monospace}
svg.grid .lbl.row{text-anchor:end}
svg.grid .cell{stroke:rgba(0,0,0,.12);stroke-width:1}
svg.grid .cell:hover{stroke:#000;stroke-width:2}
svg.grid .cell.red{stroke:#111;stroke-width:3.5}
svg.grid .oct{font-size:9.5px;text-anchor:middle;pointer-events:none;fill:#1d2329;font-family:ui-monospace,Menlo,Consolas,monospace}
svg.grid .oct.blocked,svg.grid .oct.snds{fill:#fff;font-weight:700}
.blocked{fill:var(--blocked);background:var(--blocked)}
.snds{fill:var(--snds);background:var(--snds)}
.throttled{fill:var(--throttled);background:var(--throttled)}
.sent{fill:var(--sent);background:var(--sent)}
.silent{fill:var(--silent);background:var(--silent)}
.notours{fill:var(--notours);background:var(--notours)}
.outside{fill:#fff;background:#fff}
dl.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:0}
dl.stats div{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
dl.stats dt{color:var(--muted);font-size:12px}
dl.stats dd{margin:0;font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
footer{max-width:1320px;margin:0 auto;padding:16px 32px 32px;color:var(--muted);font-size:12px}
@media print{
body{background:#fff;font-size:11px}
nav{display:none}
header.top{background:#fff;color:#000;padding:0 0 6px;border-bottom:2px solid #000}
header.top p{color:#000}
main,footer{max-width:none;padding:0}
.scroll{overflow:visible}
thead{display:table-header-group}
tr,.card,.hm-body,dl.stats div{break-inside:avoid}
h2,h3,.hm-head{break-after:avoid}
.hm{box-shadow:none}
a{color:inherit;text-decoration:none}
html.js table.sortable th::after{content:none}
tbody tr:hover{background:none}
}
"#;

/// Click (or Enter on) a header to sort its table; a second click reverses. Cells with
/// `data-sort` compare by that key as text (IP keys are fixed-width), others numerically when
/// both are numbers, else in natural order. Without JS the tables simply stay in report order.
const SCRIPT: &str = r#"
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  function key(row, i) {
    var c = row.cells[i];
    if (!c) return { k: '', raw: false };
    var k = c.getAttribute('data-sort');
    return k !== null ? { k: k, raw: true } : { k: c.textContent.trim(), raw: false };
  }
  function compare(a, b) {
    if (a.raw || b.raw) return a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
    var num = /^-?\d+(\.\d+)?$/;
    if (num.test(a.k) && num.test(b.k)) return parseFloat(a.k) - parseFloat(b.k);
    return a.k.localeCompare(b.k, undefined, { numeric: true });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r, s) {
          var c = compare(key(r, i), key(s, i));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
      });
    });
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape("<a href=\"x\" title='y'>&\u{1b}\u{202E}\n"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;\u{FFFD}\u{FFFD} "
        );
    }

    #[test]
    fn linkify_escapes_and_links_only_http_urls() {
        assert_eq!(
            linkify("form https://ex.example/a?b=1&c=2. Or <javascript:x>"),
            "form <a href=\"https://ex.example/a?b=1&amp;c=2\" rel=\"noreferrer\">https://ex.example/a?b=1&amp;c=2</a>. Or &lt;javascript:x&gt;"
        );
        assert_eq!(
            linkify("(https://x.example/\"onmouseover=alert(1))"),
            "(<a href=\"https://x.example/\" rel=\"noreferrer\">https://x.example/</a>&quot;onmouseover=alert(1))"
        );
    }
}
