//! `customers/<customer_id>.md`: a plain-language notice support can send the customer.
//!
//! This module decides what is true for the customer (which situation each finding is, whether
//! the address is the likely cause, what is new or resolved); the words are the `notice.md`
//! template's (`report/templates/notice.md`, or the provider's own under `--templates`). Only
//! the customer's own addresses appear; neighbours are never named or counted.

use super::iso;
use super::templates::{TemplateError, Templates, NOTICE};
use crate::aggregate::{Aggregates, Blocker, BlockerId, IpRow, Status};
use crate::classify::rules::Class;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What a finding is, for the customer: each has its own wording in the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Situation {
    /// A receiver blocks the range the address is in, by its own words or by blocking several
    /// customers' addresses there: not this customer's doing unless `likely_cause`.
    Neighbourhood,
    /// A receiver refuses this address itself.
    OwnBlock,
    /// The address is on a DNS block list that receivers consult.
    Dnsbl,
    /// A lookup found the address on a DNS block list, for itself; no bounce yet.
    DnsblListed,
    /// A lookup found the range the address is in on a DNS block list (a range, AS or policy
    /// listing); no bounce yet.
    DnsblRangeListed,
    /// SNDS blocks a range over several customers' addresses, this one included; no bounce yet.
    SndsNeighbourhood,
    /// SNDS blocks this address (alone or with the customer's own); no bounce yet.
    SndsOwn,
    /// Mail is slowed down, not refused.
    Throttle,
    /// The domain or host fails the receiver's authentication checks.
    Auth,
    /// The receiver refuses the content.
    Content,
}

/// What the customer is asked to do for an address, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Advice {
    /// Find and stop what sends unwanted mail from the server.
    Block,
    /// Nothing is required; the provider handles the range.
    Neighbourhood,
    /// Nothing is required; the provider asks the list to lift its range listing.
    RangeListed,
    Throttle,
    Auth,
    Content,
}

/// The notice's data, as the template sees it (docs/templates.md lists every field).
#[derive(Debug, Serialize)]
pub(crate) struct NoticeView<'a> {
    customer: Customer<'a>,
    /// The evidence window, when there was evidence.
    period: Option<Period>,
    /// Whether the state is kept (`--state`): only then is a finding new, ongoing or resolved.
    state_kept: bool,
    /// The provider's name from `[provider]`, if given.
    provider: Option<&'a str>,
    addresses: Vec<Address>,
    /// Messages refused for good for reasons that are not about the address.
    failed: u64,
    /// Attempts refused with a temporary error (greylisting, a busy mailbox): retried, so
    /// usually delivered later; never counted as undelivered.
    delayed: u64,
}

#[derive(Debug, Serialize)]
struct Customer<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct Period {
    from: String,
    to: String,
}

#[derive(Debug, Serialize)]
struct Address {
    /// None: the logs did not say which address sent.
    ip: Option<String>,
    server: String,
    findings: Vec<Finding>,
    /// Microsoft's data shows complaints, trap hits or its RED filter for this address.
    likely_cause: bool,
    advice: Option<Advice>,
}

#[derive(Debug, Serialize)]
struct Finding {
    situation: Situation,
    /// Who refuses or slows the mail (receiver names; for a DNSBL, where it was seen).
    receiver: String,
    /// The block list's name, for a DNSBL listing whose rule knows it.
    list: Option<String>,
    /// The list's lookup page for this address.
    lookup_url: Option<String>,
    events: u64,
    first: Option<String>,
    last: Option<String>,
    /// `new`, `ongoing`, `resolved`, `seen` (no state kept) or `blocked_not_seen` (SNDS only).
    state: &'static str,
    /// The first day the state saw it (YYYY-MM-DD).
    since: Option<String>,
    /// Days from `since` to the last event, both counted.
    days: u64,
    /// For a resolved finding: the day this report found it gone.
    resolved_on: Option<String>,
    /// What an SNDS reason means for the customer (a relayed list is lifted where it is kept).
    snds_note: Option<&'static str>,
    /// Our open delisting request that covers this address at this receiver (`blockscope case`).
    request: Option<Request>,
}

/// A delisting request as the customer may hear of it: dates and the answer, never the ticket.
#[derive(Debug, Serialize)]
struct Request {
    submitted: String,
    /// The receiver's latest answer (`case answer --result`'s names: `mitigated`...).
    result: Option<&'static str>,
    answered: Option<String>,
    /// After "mitigated": the last day of the time the receiver gives (48 hours at Outlook.com).
    lifts_by: Option<String>,
    /// That time in hours.
    lift_hours: i64,
}

/// What every notice of a run shares, computed once.
pub(crate) struct NoticeContext<'a> {
    agg: &'a Aggregates,
    templates: &'a Templates,
    provider: Option<&'a str>,
    state_kept: bool,
    /// The day a resolved finding is reported gone: the last day of the evidence.
    resolved_on: Option<String>,
}

impl<'a> NoticeContext<'a> {
    pub(crate) fn new(
        agg: &'a Aggregates,
        templates: &'a Templates,
        provider: Option<&'a str>,
    ) -> NoticeContext<'a> {
        NoticeContext {
            agg,
            templates,
            provider,
            state_kept: agg.state_kept(),
            resolved_on: agg.resolved_on(),
        }
    }

    /// The notice for one customer, rendered.
    pub(crate) fn render(
        &self,
        customer_id: &str,
        customer_name: &str,
        rows: &[&IpRow],
    ) -> Result<String, TemplateError> {
        let view = self.view(customer_id, customer_name, rows);
        self.templates.render(NOTICE, &view)
    }

    pub(crate) fn view<'b>(
        &'b self,
        customer_id: &'b str,
        customer_name: &'b str,
        rows: &[&IpRow],
    ) -> NoticeView<'b> {
        let agg = self.agg;
        let period = match (agg.first_time, agg.last_time) {
            (Some(a), Some(b)) => Some(Period {
                from: iso(a),
                to: iso(b),
            }),
            _ => None,
        };
        // Sections in the order of the address text, as the notices have always listed them.
        let mut by_ip: BTreeMap<(String, &str), Vec<(&IpRow, Situation)>> = BTreeMap::new();
        for r in rows {
            let Some(situation) = situation(agg, r) else {
                continue;
            };
            let ip = r.ip.map_or_else(String::new, |ip| ip.to_string());
            by_ip
                .entry((ip, r.vps_id.as_str()))
                .or_default()
                .push((r, situation));
        }
        let addresses = by_ip
            .into_values()
            .map(|rows| self.address(&rows))
            .collect();
        let not_ip = rows.iter().filter(|r| r.class == Class::NotIp);
        let (failed, delayed) = not_ip.fold((0, 0), |(f, d), r| {
            (f + r.events - r.temporary_events, d + r.temporary_events)
        });
        NoticeView {
            customer: Customer {
                id: customer_id,
                name: customer_name,
            },
            period,
            state_kept: self.state_kept,
            provider: self.provider,
            addresses,
            failed,
            delayed,
        }
    }

    fn address(&self, rows: &[(&IpRow, Situation)]) -> Address {
        let agg = self.agg;
        let first = rows[0].0;
        let ip = first.ip;
        let findings: Vec<Finding> = rows.iter().map(|&(r, s)| self.finding(r, s)).collect();
        let likely_cause = ip.is_some_and(|ip| {
            agg.subnet(first.subnet)
                .is_some_and(|s| s.suspect_ips.contains(&ip))
        });
        let open = findings.iter().filter(|f| f.state != "resolved");
        let advice = open.map(|f| advice(f.situation, likely_cause)).min();
        Address {
            ip: ip.map(|ip| ip.to_string()),
            server: first.vps_id.clone(),
            findings,
            likely_cause,
            advice,
        }
    }

    fn finding(&self, r: &IpRow, situation: Situation) -> Finding {
        let agg = self.agg;
        let dnsbl = r.class == Class::Dnsbl;
        let seen = r.events > 0;
        Finding {
            situation,
            receiver: receiver_name(&r.platforms),
            list: if situation_is_lookup(situation) {
                let lists: std::collections::BTreeSet<&str> =
                    listings_of(agg, r).map(|l| l.list.as_str()).collect();
                Some(lists.into_iter().collect::<Vec<_>>().join(", "))
            } else {
                dnsbl
                    .then(|| agg.list_name(&r.rule_id).map(String::from))
                    .flatten()
            },
            lookup_url: match (agg.lookup_url(&r.rule_id), r.ip) {
                (Some(url), Some(ip)) if dnsbl => {
                    Some(crate::classify::rules::lookup_url_for(url, &ip.to_string()))
                }
                _ => None,
            },
            events: r.events,
            first: seen.then(|| iso(r.first_seen)),
            last: (r.last_seen != i64::MIN).then(|| iso(r.last_seen)),
            state: r.status.as_str(),
            since: (r.since != i64::MIN).then(|| crate::model::day::format_utc_date(r.since)),
            days: r.days_blocked,
            resolved_on: (r.status == Status::Resolved)
                .then(|| self.resolved_on.clone())
                .flatten(),
            snds_note: (r.class == Class::SndsBlock)
                .then(|| r.snds.reason_kind.and_then(|k| k.customer_note()))
                .flatten(),
            request: request(agg, r, situation),
        }
    }
}

/// The open, submitted delisting case covering this row's address at its receiver, for the
/// blocks a receiver lifts (not block lists, throttling or content).
fn request(agg: &Aggregates, r: &IpRow, situation: Situation) -> Option<Request> {
    use crate::model::case::CaseResult;
    let lifted_by_receiver = matches!(
        situation,
        Situation::Neighbourhood
            | Situation::OwnBlock
            | Situation::SndsNeighbourhood
            | Situation::SndsOwn
    );
    if !lifted_by_receiver || !r.is_current() {
        return None;
    }
    let row = crate::aggregate::cases::open_request_for(agg, r)?;
    let last = row.case.last_answer();
    Some(Request {
        submitted: row.case.opened.to_string(),
        result: last.map(|a| a.result.as_str()),
        answered: last.map(|a| a.date.to_string()),
        lifts_by: last
            .filter(|a| {
                matches!(
                    a.result,
                    CaseResult::Mitigated | CaseResult::ConditionallyMitigated
                )
            })
            .map(|a| {
                let by = crate::aggregate::cases::lifted_by(&row.case.receiver, a.date) - 1;
                crate::model::day::format_utc_date(by)
            }),
        lift_hours: crate::aggregate::cases::mitigation_hours(&row.case.receiver),
    })
}

/// The situation a row is for its customer; None for rows a notice does not itemise.
fn situation(agg: &Aggregates, r: &IpRow) -> Option<Situation> {
    let range = |judged: &dyn Fn(&Blocker) -> bool| {
        agg.subnet(r.subnet)
            .is_some_and(|s| s.blockers.iter().any(|b| judged(b) && b.says_range()))
    };
    Some(match r.class {
        Class::NetworkBlock => Situation::Neighbourhood,
        Class::IpBlock => {
            let by_receiver = |b: &Blocker| matches!(&b.id, BlockerId::Receiver(p) if r.platforms.contains(p) || (p.is_empty() && r.platforms.is_empty()));
            if range(&by_receiver) {
                Situation::Neighbourhood
            } else {
                Situation::OwnBlock
            }
        }
        Class::Dnsbl if r.ip_source == crate::model::ip_source::IpSource::DnsblLookup => {
            let zone = r
                .rule_id
                .strip_prefix(crate::aggregate::dnsbl::LOOKUP_RULE_PREFIX)
                .unwrap_or("");
            let range = listings_of(agg, r)
                .any(|l| l.zone == zone && l.scope != crate::model::dnsbl::ListingScope::Address);
            if range {
                Situation::DnsblRangeListed
            } else {
                Situation::DnsblListed
            }
        }
        Class::Dnsbl => Situation::Dnsbl,
        Class::SndsBlock => {
            let covers = |b: &Blocker| match (&b.id, r.ip) {
                (BlockerId::Snds(first, last), Some(IpAddr::V4(a))) => *first <= a && a <= *last,
                _ => false,
            };
            if range(&covers) {
                Situation::SndsNeighbourhood
            } else {
                Situation::SndsOwn
            }
        }
        Class::Throttle => Situation::Throttle,
        Class::Auth => Situation::Auth,
        Class::Content => Situation::Content,
        _ => return None,
    })
}

/// The lookups' listings of a row's address.
fn listings_of<'a>(
    agg: &'a Aggregates,
    r: &IpRow,
) -> impl Iterator<Item = &'a crate::model::dnsbl::Listing> {
    match (&agg.dnsbl, r.ip) {
        (Some(d), Some(ip)) => d.listings_of(ip).iter(),
        _ => [].iter(),
    }
}

/// What a finding asks of the customer: a range block they did not cause asks nothing.
fn advice(situation: Situation, likely_cause: bool) -> Advice {
    match situation {
        Situation::DnsblRangeListed if !likely_cause => Advice::RangeListed,
        Situation::Neighbourhood | Situation::SndsNeighbourhood if !likely_cause => {
            Advice::Neighbourhood
        }
        Situation::Throttle => Advice::Throttle,
        Situation::Auth => Advice::Auth,
        Situation::Content => Advice::Content,
        _ => Advice::Block,
    }
}

fn situation_is_lookup(s: Situation) -> bool {
    matches!(s, Situation::DnsblListed | Situation::DnsblRangeListed)
}

fn receiver_name(platforms: &crate::model::set::SortedSet<String>) -> String {
    platforms
        .iter()
        .map(|p| crate::classify::platform::label(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Render the notice template once over a made-up customer with every situation, state and
/// advice, so a provider's template that names an unknown variable fails before the run.
pub(crate) fn try_render(templates: &Templates) -> Result<String, TemplateError> {
    templates.render(NOTICE, every_situation())
}

/// A notice holding every situation, state and advice (for `try_render` and the docs' tests).
pub(crate) fn every_situation() -> NoticeView<'static> {
    let finding = |situation, state: &'static str| Finding {
        situation,
        receiver: "Outlook.com".into(),
        list: matches!(
            situation,
            Situation::Dnsbl | Situation::DnsblListed | Situation::DnsblRangeListed
        )
        .then(|| "Spamhaus".into()),
        lookup_url: (situation == Situation::Dnsbl)
            .then(|| "https://check.spamhaus.org/results/?query=192.0.2.1".into()),
        events: 3,
        first: Some("2026-11-16T14:07:13Z".into()),
        last: Some("2026-11-21T17:45:01Z".into()),
        state,
        since: Some("2026-11-16".into()),
        days: 6,
        resolved_on: (state == "resolved").then(|| "2026-11-21".into()),
        snds_note: None,
        request: (situation == Situation::Neighbourhood).then(|| Request {
            submitted: "2026-11-16".into(),
            result: Some("mitigated"),
            answered: Some("2026-11-20".into()),
            lifts_by: Some("2026-11-22".into()),
            lift_hours: 48,
        }),
    };
    let situations = [
        Situation::Neighbourhood,
        Situation::OwnBlock,
        Situation::Dnsbl,
        Situation::DnsblListed,
        Situation::DnsblRangeListed,
        Situation::SndsNeighbourhood,
        Situation::SndsOwn,
        Situation::Throttle,
        Situation::Auth,
        Situation::Content,
    ];
    let states = ["new", "ongoing", "resolved", "seen", "blocked_not_seen"];
    let advices = [
        Some(Advice::Block),
        Some(Advice::Neighbourhood),
        Some(Advice::RangeListed),
        Some(Advice::Throttle),
        Some(Advice::Auth),
        Some(Advice::Content),
        None,
    ];
    let addresses = advices
        .iter()
        .enumerate()
        .map(|(i, &advice)| Address {
            ip: (i > 0).then(|| format!("192.0.2.{i}")),
            server: format!("vps-{i}"),
            findings: situations
                .iter()
                .flat_map(|&s| states.iter().map(move |&st| finding(s, st)))
                .collect(),
            likely_cause: i % 2 == 0,
            advice,
        })
        .collect();
    NoticeView {
        customer: Customer {
            id: "c0000",
            name: "Example Customer",
        },
        period: Some(Period {
            from: "2026-11-15T00:00:00Z".into(),
            to: "2026-11-21T23:59:59Z".into(),
        }),
        state_kept: true,
        provider: Some("Example Hosting"),
        addresses,
        failed: 2,
        delayed: 3,
    }
}
