//! Aggregation: the merged partials become report rows. polars does the group-bys and stays in
//! this module; what leaves it is plain Rust data.

mod blockers;
pub(crate) mod cases;
pub(crate) mod dnsbl;
mod hosts;
mod rows;
pub(crate) mod snds;
mod subnets;
pub(crate) mod trend;

pub(crate) use blockers::{Blocker, BlockerId};
pub(crate) use hosts::Host;
pub(crate) use rows::ip_row_order;
pub(crate) use rows::{sort_ip_rows, IpRow, Status, UnclassifiedRow};
pub(crate) use subnets::{display_order, SubnetRow, Verdict};
pub(crate) use trend::{DayCounts, Trend};

use crate::attribute::inventory::Inventory;
use crate::attribute::owner_of;
use crate::classify::rules::DelistForm;
use crate::classify::{self, RuleSet};
use crate::error::{Error, Result};
use crate::model::snds::Snds;
use crate::model::IpSource;
use crate::model::{Partial, RecipientDetail, Stats};
use ipnetwork::IpNetwork;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Rows kept in unclassified.csv (most frequent first).
pub(crate) const UNCLASSIFIED_ROWS: usize = 500;

/// Everything the reports need, in report order.
#[derive(Debug, Clone)]
pub(crate) struct Aggregates {
    /// Rows attributed to a customer (or to no one for lack of an owner), in ips.csv order.
    pub(crate) ips: Vec<IpRow>,
    /// Rows of addresses quoted in another customer's logs (`reply_other_customer`): written to
    /// summary/ips.csv only, never to a customer's files, the delisting pack or a verdict, until
    /// support confirms them. Kept apart so that no report can take them in by accident.
    pub(crate) unconfirmed: Vec<IpRow>,
    pub(crate) subnets: Vec<SubnetRow>,
    pub(crate) unclassified: Vec<UnclassifiedRow>,
    /// Every inventory address and every address seen sending, for heatmaps.
    pub(crate) hosts: Vec<Host>,
    /// Whether SNDS data was part of the run.
    pub(crate) snds_given: bool,
    /// The night's DNS block-list lookups, when the run made them.
    pub(crate) dnsbl: Option<crate::model::dnsbl::DnsblResult>,
    pub(crate) snds_unknown: Vec<snds::UnknownRow>,
    pub(crate) snds_status: Vec<crate::model::snds::SndsStatus>,
    /// Why SNDS makes an IP a likely cause (RED, complaints, trap hits), for every such IP.
    pub(crate) snds_causes: BTreeMap<IpAddr, snds::Cause>,
    /// The SNDS files read (empty exports included) and rows left out by the window.
    pub(crate) snds_notes: snds::Notes,
    pub(crate) stats: Stats,
    pub(crate) first_time: Option<i64>,
    pub(crate) last_time: Option<i64>,
    /// (customer_id, customer_name) for every inventory customer, sorted by id.
    pub(crate) customers: Vec<(String, String)>,
    /// Which log lines the reports cover.
    pub(crate) window: ReportWindow,
    /// What the reports say about a rule (delisting pack file, lookup page), by rule id: rows
    /// name their rule by id, resolved rows from the state included.
    pub(crate) rule_notes: BTreeMap<String, RuleNotes>,
    /// Blocks per day and subnet over the history (the state's, else the window's logs).
    pub(crate) trend: Trend,
    /// The delisting cases joined with the night (with `--state`).
    pub(crate) cases: Option<cases::CaseReport>,
}

/// The rule data the reports act on, beyond the row's own columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RuleNotes {
    pub(crate) delist: Option<DelistForm>,
    pub(crate) lookup_url: Option<String>,
    /// The list a `dnsbl` rule's replies name.
    pub(crate) list: Option<String>,
}

/// The rules with something for the reports to act on.
fn rule_notes(rules: &RuleSet) -> BTreeMap<String, RuleNotes> {
    rules
        .rules()
        .iter()
        .filter(|r| r.delist.is_some() || r.lookup_url.is_some() || r.list.is_some())
        .map(|r| {
            let notes = RuleNotes {
                delist: r.delist,
                lookup_url: r.lookup_url.clone(),
                list: r.list.clone(),
            };
            (r.id.clone(), notes)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum WindowKind {
    /// Every line read (no state, or its first run).
    #[default]
    All,
    /// The lines that are new since the last run.
    SinceLastRun,
    /// Calendar days (`--since`/`--until`/`--days`).
    Dates,
}

/// The report window, as stamped on the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReportWindow {
    pub(crate) kind: WindowKind,
    /// First and last day (days since 1970-01-01 in `tz`); None: open.
    pub(crate) since: Option<i32>,
    pub(crate) until: Option<i32>,
    /// The zone the days are in.
    pub(crate) tz: String,
}

impl ReportWindow {
    /// One sentence for the top of a report.
    pub(crate) fn describe(&self) -> String {
        use crate::model::day::date_of_day;
        match self.kind {
            WindowKind::All => "every log line read".into(),
            WindowKind::SinceLastRun => "the log lines that are new since the last run".into(),
            WindowKind::Dates => match (self.since, self.until) {
                (Some(a), Some(b)) => format!(
                    "{} to {} ({} day{}, {})",
                    date_of_day(a),
                    date_of_day(b),
                    b - a + 1,
                    if a == b { "" } else { "s" },
                    self.tz
                ),
                (None, Some(b)) => {
                    format!("every stored day up to {} ({})", date_of_day(b), self.tz)
                }
                (Some(a), None) => format!("{} onwards ({})", date_of_day(a), self.tz),
                (None, None) => "every stored day".into(),
            },
        }
    }
}

impl Aggregates {
    /// The rows whose IPv4 address lies in `first..=last` (rows are sorted numerically, IPv4 first).
    pub(crate) fn ips_in_v4_range(
        &self,
        first: std::net::Ipv4Addr,
        last: std::net::Ipv4Addr,
    ) -> &[IpRow] {
        let v4 = |r: &IpRow| match r.ip {
            Some(IpAddr::V4(a)) => Some(a),
            _ => None,
        };
        let below = |limit: std::net::Ipv4Addr| move |r: &IpRow| v4(r).is_some_and(|a| a < limit);
        let start = self.ips.partition_point(below(first));
        let end = match last.to_bits().checked_add(1) {
            Some(after) => self
                .ips
                .partition_point(below(std::net::Ipv4Addr::from_bits(after))),
            None => self.ips.partition_point(|r| v4(r).is_some()),
        };
        &self.ips[start..end.max(start)]
    }

    /// Row indexes per customer, in ips.csv order (one pass instead of one per customer).
    pub(crate) fn rows_by_customer(&self) -> std::collections::HashMap<&str, Vec<&IpRow>> {
        let mut map: std::collections::HashMap<&str, Vec<&IpRow>> =
            std::collections::HashMap::new();
        for r in &self.ips {
            map.entry(r.customer_id.as_str()).or_default().push(r);
        }
        map
    }

    /// Whether the run keeps a state: only then is a row new, ongoing or resolved.
    pub(crate) fn state_kept(&self) -> bool {
        self.ips
            .iter()
            .any(|r| matches!(r.status, Status::New | Status::Ongoing | Status::Resolved))
    }

    /// The day a resolved row is reported gone: the last day of tonight's evidence.
    pub(crate) fn resolved_on(&self) -> Option<String> {
        self.last_time.map(crate::model::day::format_utc_date)
    }

    /// The subnets.csv row of a subnet (rows are kept in `IpNetwork` order).
    pub(crate) fn subnet(&self, subnet: Option<IpNetwork>) -> Option<&SubnetRow> {
        let subnet = subnet?;
        self.subnets
            .binary_search_by(|s| s.subnet.cmp(&subnet))
            .ok()
            .map(|i| &self.subnets[i])
    }

    pub(crate) fn verdict_of(&self, subnet: Option<IpNetwork>) -> Option<Verdict> {
        self.subnet(subnet).map(|s| s.verdict)
    }

    /// The delisting pack file that takes a rule's addresses, if one does.
    pub(crate) fn delist_form(&self, rule_id: &str) -> Option<DelistForm> {
        self.rule_notes.get(rule_id).and_then(|n| n.delist)
    }

    /// The block list a `dnsbl` rule's replies name (`Spamhaus`), if the rule knows it.
    pub(crate) fn list_name(&self, rule_id: &str) -> Option<&str> {
        self.rule_notes.get(rule_id)?.list.as_deref()
    }

    /// A rule's lookup page template (`{ip}` where the address goes), if it has one.
    pub(crate) fn lookup_url(&self, rule_id: &str) -> Option<&str> {
        self.rule_notes
            .get(rule_id)
            .and_then(|n| n.lookup_url.as_deref())
    }
}

fn polars_err(e: PolarsError) -> Error {
    Error::Aggregate(e.to_string())
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let ca = df.column(name).and_then(|c| c.str()).map_err(polars_err)?;
    Ok(ca
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// A list column of strings, one set per row.
fn string_sets<S: Default + FromIterator<String>>(df: &DataFrame, name: &str) -> Result<Vec<S>> {
    let ca = df.column(name).and_then(|c| c.list()).map_err(polars_err)?;
    // One series reused for every row, not a new one built per row.
    ca.amortized_iter()
        .map(|series| {
            let Some(series) = series else {
                return Ok(Default::default());
            };
            let values = series.as_ref().str().map_err(polars_err)?;
            Ok(values.iter().flatten().map(String::from).collect())
        })
        .collect()
}

fn bools(df: &DataFrame, name: &str) -> Result<Vec<bool>> {
    let ca = df.column(name).and_then(|c| c.bool()).map_err(polars_err)?;
    Ok(ca.iter().map(|v| v.unwrap_or(false)).collect())
}

fn u32s(df: &DataFrame, name: &str) -> Result<Vec<u32>> {
    let ca = df.column(name).and_then(|c| c.u32()).map_err(polars_err)?;
    Ok(ca.iter().map(|v| v.unwrap_or_default()).collect())
}

fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>> {
    let ca = df.column(name).and_then(|c| c.u64()).map_err(polars_err)?;
    Ok(ca.iter().map(|v| v.unwrap_or_default()).collect())
}

fn i64s(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let ca = df.column(name).and_then(|c| c.i64()).map_err(polars_err)?;
    Ok(ca.iter().map(|v| v.unwrap_or_default()).collect())
}

/// What the receivers' own lists say, beside the logs: SNDS exports and DNS block-list lookups.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListData<'a> {
    pub(crate) snds: Option<&'a Snds>,
    pub(crate) dnsbl: Option<&'a crate::model::dnsbl::DnsblResult>,
}

pub(crate) fn aggregate(
    partial: Partial,
    inv: &Inventory,
    rules: &RuleSet,
    lists: ListData<'_>,
    v4_prefix: u8,
    v6_prefix: u8,
    recipients: RecipientDetail,
) -> Result<Aggregates> {
    let sndsdata = lists.snds;
    // Split in place: a partition into two new lists held every row twice at the run's peak.
    let mut ips = rows::ip_rows(&partial, inv, rules, v4_prefix, v6_prefix)?;
    let mut unconfirmed: Vec<IpRow> = ips
        .extract_if(.., |r| r.ip_source == IpSource::ReplyOtherCustomer)
        .collect();
    for r in ips.iter_mut().chain(unconfirmed.iter_mut()) {
        if let std::borrow::Cow::Owned(shown) = classify::shown_reply(&r.sample_reply, recipients) {
            r.sample_reply = shown;
        }
    }
    if let Some(data) = sndsdata {
        snds::annotate_ips(&mut ips, data, inv, v4_prefix, v6_prefix);
    }
    let evidence = lists.dnsbl.map(|result| {
        let active: std::collections::BTreeSet<IpAddr> =
            partial.activity.keys().filter_map(|k| k.ip).collect();
        dnsbl::annotate_ips(&mut ips, result, inv, &active, (v4_prefix, v6_prefix))
    });
    let mut subnets = subnets::subnet_rows(
        &partial,
        &ips,
        inv,
        (sndsdata, evidence.as_ref()),
        v4_prefix,
        v6_prefix,
    )?;
    if let Some(data) = sndsdata {
        snds::annotate_subnets(&mut subnets, data, v4_prefix, v6_prefix);
    }
    let snds_unknown = sndsdata
        .map(|d| snds::unknown_ips(d, inv))
        .unwrap_or_default();
    let mut hosts = hosts::hosts(&partial, &ips, inv, v4_prefix, v6_prefix);
    if let Some(data) = sndsdata {
        let summaries = snds::summarise(data);
        for h in hosts.iter_mut() {
            if let Some(s) = summaries.get(&h.ip) {
                h.snds_filter = s.filter;
            }
            h.snds_blocked |= data.status_of(h.ip).is_some_and(|st| st.blocked);
        }
    }
    let snds_status: Vec<crate::model::snds::SndsStatus> =
        sndsdata.map(|d| d.status.clone()).unwrap_or_default();
    let mut customers: Vec<(String, String)> = inv
        .customers
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    customers.sort();
    let mut unclassified: Vec<UnclassifiedRow> = partial
        .unclassified
        .iter()
        .map(|(k, v)| UnclassifiedRow {
            events: v.events,
            ips: v.ips.iter().filter(|ip| ip.is_some()).count() as u64,
            platform: k.platform.to_string(),
            code: k.code.to_string(),
            reply: classify::shown_reply(&k.reply, recipients).into_owned(),
        })
        .collect();
    unclassified.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then_with(|| (&a.reply, &a.platform, &a.code).cmp(&(&b.reply, &b.platform, &b.code)))
    });
    unclassified.truncate(UNCLASSIFIED_ROWS);
    let (first_time, last_time) = (partial.first_time(), partial.last_time());
    let mut stats = partial.stats;
    note_run_unclassified_cap(&mut stats);
    Ok(Aggregates {
        ips,
        unconfirmed,
        subnets,
        unclassified,
        hosts,
        snds_given: sndsdata.is_some(),
        dnsbl: lists.dnsbl.cloned(),
        snds_unknown,
        snds_status,
        snds_causes: sndsdata.map(snds::causes).unwrap_or_default(),
        snds_notes: sndsdata.map(snds::Notes::new).unwrap_or_default(),
        first_time,
        last_time,
        stats,
        customers,
        window: ReportWindow::default(),
        rule_notes: rule_notes(rules),
        trend: Trend::default(),
        cases: None,
    })
}

/// The input problem for unclassified replies dropped past the run's cap (the per-file ones are
/// listed with their file).
fn note_run_unclassified_cap(stats: &mut Stats) {
    let n = stats.unclassified_dropped_in_run;
    if n > 0 {
        stats.problem(
            RUN_PROBLEM_FILE,
            None,
            format!("{n} unclassified repl(ies) counted but not kept for unclassified.csv: the logs have more than {} distinct unclassified reply texts (per receiver, code and day)", crate::model::UNCLASSIFIED_PER_RUN),
        );
    }
}

/// The `file` of input problems that belong to the whole run, not to one file.
pub(crate) const RUN_PROBLEM_FILE: &str = "(all log files)";

/// Who a row of events belongs to: an address quoted in another customer's logs belongs to no
/// one until support confirms it (`attribute::tenancy`).
fn row_owner(inv: &Inventory, k: &crate::model::EventKey) -> crate::attribute::Owner {
    if k.ip_source == IpSource::ReplyOtherCustomer {
        return crate::attribute::Owner {
            vps: None,
            customer: None,
            in_inventory: true,
        };
    }
    owner_of(
        inv,
        k.ip,
        crate::attribute::observed_index(inv, k.observed_vps),
    )
}
