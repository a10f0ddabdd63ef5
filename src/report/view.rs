//! The summary's content, derived once from the aggregates: the sections, rows, counts and
//! advice that `summary.md` and `summary.html` both show. The two renderers only decide markup.

use super::cells::{count, join, opt};
use crate::aggregate::{display_order, Aggregates, Blocker, IpRow, Status, SubnetRow, Verdict};
use crate::classify::rules::Class;
use crate::model::ip_source::IpSource;
use crate::model::snds::{ReasonKind, SndsStatus};
use std::collections::{BTreeMap, BTreeSet};

/// Advice under the throttling table.
pub(crate) const THROTTLE_ADVICE: &str = "Throttling is not delistable: lower the rate towards that receiver; it lifts as reputation recovers.";

/// (title, advice) of the rejections that are not about the IP, by class.
pub(crate) const AUTH: (&str, &str) = (
    "Domain authentication (fix the customer's domain)",
    "The receiver refuses the message because the customer's domain or host fails SPF, DKIM, DMARC or PTR requirements. Nothing to delist: fix the DNS records or signing.",
);
pub(crate) const CONTENT: (&str, &str) = (
    "Content rejections",
    "The receiver refuses what was sent, not the IP. Nothing to delist: the customer must fix the messages.",
);
pub(crate) const RECEIVER_ERRORS: (&str, &str) = (
    "Receiver-side DNSBL errors",
    "These receivers' block-list lookups are broken (e.g. Spamhaus refuses their resolver); the IP is not listed. Tell the recipient's postmaster; do not request delisting.",
);

/// The heading DNSBL listings share: the list's business whichever receiver consulted it.
const DNSBL_HEADING: &str = "DNS block lists (any receiver)";

/// Everything the summaries show, in display order.
pub(crate) struct Summary<'a> {
    pub(crate) agg: &'a Aggregates,
    pub(crate) counts: Counts,
    /// Subnets with the neighbourhood verdict, numerically.
    pub(crate) neighbourhoods: Vec<&'a SubnetRow>,
    /// Subnets where several customers' addresses are listed each on its own, numerically.
    pub(crate) several_listed: Vec<&'a SubnetRow>,
    /// Blocked rows grouped by receiver platform (DNSBL listings in one group), by heading.
    pub(crate) blocked: Vec<PlatformGroup<'a>>,
    pub(crate) throttled: Vec<&'a IpRow>,
    pub(crate) auth: Vec<&'a IpRow>,
    pub(crate) content: Vec<&'a IpRow>,
    pub(crate) receiver_errors: Vec<&'a IpRow>,
    /// Rejections not about the IP, per rule.
    pub(crate) not_ip: Vec<RuleCount<'a>>,
    pub(crate) unclassified: Vec<&'a IpRow>,
    /// Outlook.com's own view; None when no SNDS data was given.
    pub(crate) snds: Option<SndsView<'a>>,
    /// What the DNS block-list lookups found, one sentence per zone; None without lookups.
    pub(crate) dnsbl: Option<Vec<String>>,
    /// Whether the run keeps a state: only then do rows say new, ongoing or resolved.
    pub(crate) state_kept: bool,
    /// Blocks and throttling seen in earlier runs and gone tonight.
    pub(crate) resolved: Vec<&'a IpRow>,
    /// The day a resolved row is reported gone: the last day of the evidence.
    pub(crate) resolved_on: Option<String>,
}

/// The figures "At a glance" shows.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) blocked_ips: usize,
    pub(crate) blocked_customers: usize,
    pub(crate) throttled_ips: usize,
    /// Rejections not about the IP (unknown user, mailbox full, network failures).
    pub(crate) not_ip_events: u64,
    pub(crate) unclassified_events: u64,
    /// Blocked or throttled (IP, rule) rows first seen tonight / seen before and again tonight.
    pub(crate) new: usize,
    pub(crate) ongoing: usize,
}

pub(crate) struct PlatformGroup<'a> {
    pub(crate) heading: String,
    pub(crate) rows: Vec<&'a IpRow>,
    /// Rule id -> its delisting route.
    pub(crate) routes: BTreeMap<&'a str, &'a str>,
}

pub(crate) struct RuleCount<'a> {
    pub(crate) rule_id: &'a str,
    pub(crate) events: u64,
    pub(crate) customers: usize,
}

pub(crate) struct SndsView<'a> {
    /// Blocked IP-status ranges, with how many of our IPs are in each and bounce at Outlook.com.
    pub(crate) ranges: Vec<RangeView<'a>>,
    /// The reasons of the blocked ranges, each with its texts: each has its own way out.
    pub(crate) reasons: BTreeMap<ReasonKind, BTreeSet<&'a str>>,
    /// Addresses SNDS blocks that have not bounced yet.
    pub(crate) not_seen: Vec<&'a IpRow>,
    /// Addresses bouncing at Outlook.com that SNDS does not block, in the order of their text.
    pub(crate) lag: Vec<String>,
    /// Subnets with likely causes (RED, complaints, trap hits) of their blocks.
    pub(crate) suspects: Vec<&'a SubnetRow>,
    /// SNDS notes on empty exports.
    pub(crate) empty_notes: Vec<String>,
}

pub(crate) struct RangeView<'a> {
    pub(crate) status: &'a SndsStatus,
    pub(crate) ours: usize,
    pub(crate) felt: usize,
}

impl Summary<'_> {
    /// A row's state in words (empty without a state).
    pub(crate) fn state(&self, r: &IpRow) -> String {
        super::cells::state_text(r, self.resolved_on.as_deref())
    }
}

impl<'a> Summary<'a> {
    pub(crate) fn new(agg: &'a Aggregates) -> Summary<'a> {
        // A resolved row is history, not tonight's evidence: listed on its own, counted nowhere.
        let of = |class: Class| rows(agg, |r| r.class == class && r.is_current());
        let blocked = rows(agg, |r| r.class.is_block() && r.is_current());
        let throttled = of(Class::Throttle);
        let unclassified = of(Class::Unclassified);
        let counts = Counts {
            blocked_ips: distinct_ips(&blocked),
            blocked_customers: blocked
                .iter()
                .map(|r| r.customer_id.as_str())
                .filter(|c| !c.is_empty())
                .collect::<BTreeSet<_>>()
                .len(),
            throttled_ips: distinct_ips(&throttled),
            not_ip_events: of(Class::NotIp).iter().map(|r| r.events).sum(),
            unclassified_events: unclassified.iter().map(|r| r.events).sum(),
            new: with_status(&blocked, &throttled, Status::New),
            ongoing: with_status(&blocked, &throttled, Status::Ongoing),
        };
        Summary {
            agg,
            counts,
            neighbourhoods: with_verdict(agg, Verdict::Neighbourhood),
            several_listed: with_verdict(agg, Verdict::SeveralListed),
            blocked: platform_groups(&blocked),
            throttled,
            auth: of(Class::Auth),
            content: of(Class::Content),
            receiver_errors: of(Class::ReceiverError),
            not_ip: rule_counts(&of(Class::NotIp)),
            unclassified,
            snds: agg.snds_given.then(|| SndsView::new(agg)),
            dnsbl: agg.dnsbl.as_ref().map(zone_lines),
            state_kept: agg.state_kept(),
            resolved: rows(agg, |r| {
                r.status == Status::Resolved && (r.class.is_block() || r.class == Class::Throttle)
            }),
            resolved_on: agg.resolved_on(),
        }
    }
}

fn with_status(blocked: &[&IpRow], throttled: &[&IpRow], status: Status) -> usize {
    blocked
        .iter()
        .chain(throttled)
        .filter(|r| r.status == status)
        .count()
}

fn with_verdict(agg: &Aggregates, verdict: Verdict) -> Vec<&SubnetRow> {
    display_order(&agg.subnets)
        .into_iter()
        .filter(|s| s.verdict == verdict)
        .collect()
}

/// Lookup links written per blocker at most (a list names its addresses one by one).
const LOOKUPS_SHOWN: usize = 8;

/// What one receiver's or list's block of a subnet is, and the action that receiver or list
/// accepts: its rules' delisting routes (rule data), and its lookup page per address.
pub(crate) fn blocker_advice(agg: &Aggregates, b: &Blocker) -> String {
    let routes: BTreeSet<&str> = b
        .routes
        .values()
        .map(String::as_str)
        .filter(|r| !r.is_empty())
        .collect();
    let mut out = blocker_scope(b);
    if !routes.is_empty() {
        out.push_str(&format!(" Route: {}.", join(routes, " / ")));
    }
    let lookups = lookups(agg, b);
    if !lookups.is_empty() {
        out.push_str(&format!(" Look up each address: {}.", join(lookups, ", ")));
    }
    out
}

/// What the evidence says is blocked: the range (one request for it) or addresses (one each).
fn blocker_scope(b: &Blocker) -> String {
    let customers = count(b.customers.len(), "customer", "customers");
    match (b.class, b.says_range()) {
        (Class::NetworkBlock, _) => "Blocks the range (its reply says part of the network is on its block list): one request for the whole range, filed by us; the customers cannot lift it.".into(),
        (Class::SndsBlock, true) => format!("SNDS lists a blocked range over addresses of {customers}: one request for the whole range, filed by us."),
        (Class::SndsBlock, false) => "SNDS lists these addresses as blocked.".into(),
        (_, true) => format!("Refuses addresses of {customers} with per-IP rules, so it rates the range: find and stop the cause first, then delist each address (one request per IP)."),
        (Class::Dnsbl, _) => "Lists addresses one by one, not the range: each listing is lifted on its own, once that address's sender is fixed.".into(),
        _ => "Blocks single addresses: delist each one (one request per IP) once its sender is fixed.".into(),
    }
}

/// The lookup page of each blocked address (numerically), for rules with one (rule data
/// `lookup_url`).
fn lookups(agg: &Aggregates, b: &Blocker) -> Vec<String> {
    let pages: BTreeSet<&str> = b.routes.keys().filter_map(|r| agg.lookup_url(r)).collect();
    pages
        .iter()
        .flat_map(|page| {
            b.ips
                .iter()
                .take(LOOKUPS_SHOWN)
                .map(|ip| page.replace("{ip}", &ip.to_string()))
        })
        .collect()
}

fn rows(agg: &Aggregates, keep: impl Fn(&IpRow) -> bool) -> Vec<&IpRow> {
    agg.ips.iter().filter(|r| keep(r)).collect()
}

/// Distinct addresses named by the rows.
pub(crate) fn distinct_ips(rows: &[&IpRow]) -> usize {
    rows.iter()
        .filter_map(|r| r.ip)
        .collect::<BTreeSet<_>>()
        .len()
}

fn platform_groups<'a>(blocked: &[&'a IpRow]) -> Vec<PlatformGroup<'a>> {
    let mut by_heading: BTreeMap<String, Vec<&IpRow>> = BTreeMap::new();
    for r in blocked {
        let heading = if r.class == Class::Dnsbl {
            DNSBL_HEADING.to_string()
        } else {
            super::cells::join(&r.platforms, ", ")
        };
        by_heading.entry(heading).or_default().push(r);
    }
    by_heading
        .into_iter()
        .map(|(heading, rows)| PlatformGroup {
            heading,
            routes: rows
                .iter()
                .map(|r| (r.rule_id.as_str(), r.delist_route.as_str()))
                .collect(),
            rows,
        })
        .collect()
}

fn rule_counts<'a>(rows: &[&'a IpRow]) -> Vec<RuleCount<'a>> {
    let mut by_rule: BTreeMap<&str, (u64, BTreeSet<&str>)> = BTreeMap::new();
    for r in rows {
        let e = by_rule.entry(r.rule_id.as_str()).or_default();
        e.0 += r.events;
        e.1.insert(r.customer_id.as_str());
    }
    by_rule
        .into_iter()
        .map(|(rule_id, (events, customers))| RuleCount {
            rule_id,
            events,
            customers: customers.len(),
        })
        .collect()
}

impl<'a> SndsView<'a> {
    fn new(agg: &'a Aggregates) -> SndsView<'a> {
        let blocked: Vec<&SndsStatus> = agg.snds_status.iter().filter(|s| s.blocked).collect();
        let mut reasons: BTreeMap<ReasonKind, BTreeSet<&str>> = BTreeMap::new();
        for s in &blocked {
            reasons
                .entry(s.reason.kind)
                .or_default()
                .insert(s.reason.text.as_str());
        }
        let lag: BTreeSet<String> = agg
            .ips
            .iter()
            .filter(|r| r.is_outlook_block() && r.snds.blocked == Some(false))
            .map(|r| opt(r.ip))
            .collect();
        SndsView {
            ranges: blocked
                .into_iter()
                .map(|s| RangeView::new(agg, s))
                .collect(),
            reasons,
            not_seen: rows(agg, |r| {
                r.status == Status::BlockedNotSeen && r.ip_source == IpSource::Snds
            }),
            lag: lag.into_iter().collect(),
            suspects: display_order(&agg.subnets)
                .into_iter()
                .filter(|s| !s.suspect_ips.is_empty())
                .collect(),
            empty_notes: agg.snds_notes.empty(),
        }
    }
}

impl<'a> RangeView<'a> {
    fn new(agg: &'a Aggregates, status: &'a SndsStatus) -> RangeView<'a> {
        let inside: Vec<&IpRow> = agg
            .ips_in_v4_range(status.first, status.last)
            .iter()
            .collect();
        let ours: Vec<&IpRow> = inside.iter().copied().filter(|r| r.in_inventory).collect();
        let felt: Vec<&IpRow> = inside
            .iter()
            .copied()
            .filter(|r| r.is_outlook_block())
            .collect();
        RangeView {
            status,
            ours: distinct_ips(&ours),
            felt: distinct_ips(&felt),
        }
    }
}

/// One sentence per zone looked up: what it listed, and any answers that were not answers
/// (a refusal of our resolver is never a listing, and says what to change).
fn zone_lines(result: &crate::model::dnsbl::DnsblResult) -> Vec<String> {
    let zones: BTreeSet<&String> = result
        .queried
        .keys()
        .chain(result.failures.keys())
        .collect();
    zones
        .into_iter()
        .map(|zone| {
            let listed: BTreeSet<std::net::IpAddr> = result
                .listings
                .iter()
                .filter(|l| &l.zone == zone)
                .map(|l| l.ip)
                .collect();
            let queried = result.queried.get(zone).copied().unwrap_or(0);
            let mut line = format!(
                "{zone}: {} looked up, {} listed",
                count(queried as usize, "address", "addresses"),
                listed.len()
            );
            if let Some(f) = result.failures.get(zone) {
                if f.refused > 0 {
                    line.push_str(&format!("; it refused our resolver for {} (public or unregistered resolvers are refused: use a DQS key, dnsbl_dqs_key_file, or your own resolver) — those addresses are not checked", count(f.refused as usize, "query", "queries")));
                }
                if f.timeouts > 0 {
                    line.push_str(&format!("; {} timed out", count(f.timeouts as usize, "query", "queries")));
                }
                if f.errors > 0 {
                    line.push_str(&format!("; {} failed (SERVFAIL or an answer that is not a list code)", count(f.errors as usize, "query", "queries")));
                }
            }
            line
        })
        .chain((!result.not_asked.is_empty()).then(|| {
            format!(
                "not looked up, larger than dnsbl_max_range: {}",
                result.not_asked.join(", ")
            )
        }))
        .collect()
}
