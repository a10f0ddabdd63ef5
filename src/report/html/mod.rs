//! `summary/summary.html`: the Markdown summary's content for people, with one heatmap per
//! affected /24 so a neighbourhood block is visible at a glance.
//!
//! The page is one self-contained file (inline CSS, SVG and a small sorting script, no network:
//! a Content-Security-Policy forbids every external load), readable offline and printable.
//! Everything taken from the data — replies, ids, names, file names, reasons — goes through
//! [`escape`]; markup is only ever built from literals. The output is deterministic: no
//! wall-clock time, no random ids (reports are compared byte for byte across thread counts).

mod assets;
mod cases;
mod evidence;
mod heatmap;
mod table;
mod trend;

use super::cells::{blocked_by, join, list, opt, yes_no};
use super::iso;
use super::view::{self, Summary};
use crate::aggregate::{display_order, Aggregates, Host, IpRow, SubnetRow, Verdict};
use crate::classify::rules::Class;
use crate::model::snds::{Filter, SndsStatus};
use assets::{CSS, SCRIPT};
use evidence::*;
use heatmap::*;
use ipnetwork::{IpNetwork, Ipv4Network};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use table::*;

/// Escape untrusted text for HTML element content and quoted attribute values.
///
/// Control characters cannot be typed into a report meaningfully: whitespace controls become a
/// space, the others (and bidi overrides, which could make a reply read differently than it
/// is) become U+FFFD.
pub(crate) fn escape(text: &str) -> String {
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
    /// The sections' content, shared with summary.md.
    view: Summary<'a>,
    names: BTreeMap<&'a str, &'a str>,
    hosts: BTreeMap<IpAddr, &'a Host>,
    /// Hosts by subnet: each heatmap draws its own.
    by_subnet: BTreeMap<IpNetwork, Vec<&'a Host>>,
    /// IP -> its block, throttle and SNDS rule ids: `Host::rules` also lists greylisting and
    /// unknown users, too long for the heatmaps' side tables.
    serious: BTreeMap<IpAddr, BTreeSet<&'a str>>,
}

impl<'a> Ctx<'a> {
    fn new(agg: &'a Aggregates) -> Self {
        Ctx {
            agg,
            view: Summary::new(agg),
            names: agg
                .customers
                .iter()
                .map(|(id, name)| (id.as_str(), name.as_str()))
                .collect(),
            hosts: agg.hosts.iter().map(|h| (h.ip, h)).collect(),
            by_subnet: agg.hosts.iter().fold(BTreeMap::new(), |mut m, h| {
                m.entry(h.subnet).or_insert_with(Vec::new).push(h);
                m
            }),
            serious: serious_rules(agg),
        }
    }

    /// The DNS block-list listings of an address (listings are sorted by address).
    fn listings_of(&self, ip: IpAddr) -> &'a [crate::model::dnsbl::Listing] {
        self.agg.dnsbl.as_ref().map_or(&[], |d| d.listings_of(ip))
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

    /// The hosts of `subnet`, in `agg.hosts` order.
    fn hosts_in(&self, subnet: IpNetwork) -> impl Iterator<Item = &'a Host> + '_ {
        self.by_subnet.get(&subnet).into_iter().flatten().copied()
    }
}

fn serious_rules(agg: &Aggregates) -> BTreeMap<IpAddr, BTreeSet<&str>> {
    let mut out: BTreeMap<IpAddr, BTreeSet<&str>> = BTreeMap::new();
    let serious = |c: Class| c.is_block() || matches!(c, Class::Throttle | Class::SndsBlock);
    for r in agg
        .ips
        .iter()
        .filter(|r| serious(r.class) && r.is_current())
    {
        if let Some(ip) = r.ip {
            out.entry(ip).or_default().insert(r.rule_id.as_str());
        }
    }
    out
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

// ---------------------------------------------------------------------------------------------
// The page

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> io::Result<()> {
    let ctx = Ctx::new(agg);
    head(w, &ctx)?;
    glance(w, &ctx)?;
    trend::provider(w, &ctx)?;
    cases::cases(w, &ctx)?;
    neighbourhoods(w, &ctx)?;
    heatmaps(w, &ctx)?;
    blocked_by_platform(w, &ctx)?;
    if let Some(view) = &ctx.view.snds {
        snds(w, &ctx, view)?;
    }
    if let Some(zones) = &ctx.view.dnsbl {
        section(w, "dnsbl", "DNS block lists (looked up)")?;
        writeln!(w, "<ul>")?;
        for line in zones {
            writeln!(w, "<li>{}</li>", escape(line))?;
        }
        writeln!(w, "</ul><p class=\"muted\">Listed addresses whose mail has not bounced yet are in the blocked tables above as \"DNS block list only, not bouncing yet\"; every listing is in <code>dnsbl.csv</code>.</p></section>")?;
    }
    throttling(w, &ctx)?;
    resolved(w, &ctx)?;
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
    let mut links = vec![("glance", "At a glance")];
    if ctx.agg.cases.as_ref().is_some_and(|c| !c.rows.is_empty()) {
        links.push(("cases", "Delisting cases"));
    }
    links.extend([
        ("neighbourhoods", "Neighbourhood blocks"),
        ("heatmaps", "Subnet heatmaps"),
        ("blocked", "Blocked IPs"),
    ]);
    if ctx.agg.snds_given {
        links.push(("snds", "SNDS"));
    }
    links.push(("throttling", "Throttling"));
    if ctx.view.state_kept {
        links.push(("resolved", "Resolved"));
    }
    links.extend([
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
    let c = &ctx.view.counts;
    let hoods: Vec<String> = ctx
        .view
        .neighbourhoods
        .iter()
        .map(|s| s.subnet.to_string())
        .collect();
    let (blocked_ips, customers) = (c.blocked_ips, c.blocked_customers);
    let throttled_ips = c.throttled_ips;
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
    if ctx.view.state_kept {
        card(
            w,
            c.new > 0,
            &c.new.to_string(),
            "new since the last run",
            &format!(
                "{} ongoing, {} resolved",
                c.ongoing,
                ctx.view.resolved.len()
            ),
        )?;
    }
    if let Some(snds) = &ctx.view.snds {
        let not_seen = view::distinct_ips(&snds.not_seen);
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
            use crate::model::day::DAY_MICROS;
            let days = ((b - a + DAY_MICROS - 1) / DAY_MICROS).max(1) as usize;
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
    let (not_ip, unclassified) = (c.not_ip_events, c.unclassified_events);
    writeln!(w, "<p class=\"muted\">{not_ip} rejection(s) not about the IP (unknown user, mailbox full, network failures; never counted as blocks) · {unclassified} unclassified repl(ies).</p></section>")
}

fn neighbourhoods(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "neighbourhoods", "Neighbourhood blocks")?;
    subnet_table(w, ctx, &ctx.view.neighbourhoods)?;
    if !ctx.view.neighbourhoods.is_empty() {
        writeln!(w, "<p class=\"advice\">A neighbourhood block is one a receiver applies to the range (its own words, an SNDS blocked range over several customers, or its IP-level rule on several customers' addresses): ask that receiver as its \"Blocked by\" advice says (each subnet's card below) and look for the sender that caused it.</p>")?;
    }
    writeln!(w, "<h3>Several separate listings</h3>")?;
    subnet_table(w, ctx, &ctx.view.several_listed)?;
    if !ctx.view.several_listed.is_empty() {
        writeln!(w, "<p class=\"advice\">Several customers' addresses here are listed, each on its own (a block list naming addresses one by one, or different receivers blocking different customers): not a range block. Each address is lifted where its \"Blocked by\" advice says, one at a time.</p>")?;
    }
    writeln!(w, "</section>")
}

/// Subnets with who blocks each as what, and the action each receiver or list accepts.
fn subnet_table(w: &mut dyn Write, ctx: &Ctx, subnets: &[&SubnetRow]) -> io::Result<()> {
    if subnets.is_empty() {
        return none(w);
    }
    let rows: Vec<Vec<Cell>> = subnets
        .iter()
        .map(|s| {
            vec![
                Cell::Net(s.subnet),
                Cell::Num(s.blocked_ips),
                Cell::Num(s.active_ips),
                Cell::Num(s.inventory_ips),
                Cell::Num(s.blocked_customers),
                Cell::Num(s.customers),
                Cell::List(Cow::from(list(s.blockers.iter().map(blocked_by)))),
                Cell::List(Cow::from(list(&s.rule_ids))),
            ]
        })
        .collect();
    let heads = [
        "Subnet",
        "Blocked IPs",
        "Active IPs",
        "Inventory IPs",
        "Customers blocked",
        "Customers in subnet",
        "Blocked by",
        "Rules",
    ];
    table(w, ctx, &heads, &rows)
}

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
