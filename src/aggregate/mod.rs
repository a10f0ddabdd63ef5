//! Aggregation: the merged partials become report rows. polars does the group-bys and stays in
//! this module; what leaves it is plain Rust data.

pub mod snds;

use crate::attribute::inventory::Inventory;
use crate::attribute::{observed_index, owner_of, subnet_of};
use crate::classify::{self, rules::Class, RuleSet};
use crate::error::{Error, Result};
use crate::model::snds::Snds;
use crate::model::IpSource;
use crate::model::{Partial, Stats};
use ipnetwork::IpNetwork;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One row of `ips.csv`: a (sending IP, rule) pair with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRow {
    pub ip: String,
    pub subnet: String,
    pub customer_id: String,
    pub vps_id: String,
    pub in_inventory: bool,
    pub platform: String,
    pub rule_id: String,
    pub class: Class,
    pub code: String,
    pub events: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub delist_route: String,
    pub ip_source: IpSource,
    pub sample_reply: String,
    pub permanence: String,
    pub receiver_rule_id: String,
    pub snds: snds::SndsCols,
    /// `seen` (evidence in the logs; with `--state`: `new`, `ongoing` or `resolved`) or
    /// `blocked_not_seen` (SNDS lists it, no bounce yet).
    pub status: &'static str,
    /// Days from the first event (ever, with `--state`) to the last, counting both.
    pub days_blocked: u64,
}

impl IpRow {
    /// A block reply from Microsoft's consumer side (what SNDS covers).
    pub fn is_outlook_block(&self) -> bool {
        self.class.is_block()
            && self
                .platform
                .split(';')
                .any(|p| p == "outlook.com" || p == "microsoft")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// One receiver (or DNSBL) blocks several customers here, or says it blocks part of the network.
    Neighbourhood,
    /// Isolated blocked IPs: no receiver blocks more than one customer here.
    SingleIp,
    /// Several blocked IPs, all of one customer.
    SingleCustomer,
    /// Activity but no blocks.
    Clear,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Neighbourhood => "neighbourhood",
            Verdict::SingleIp => "single_ip",
            Verdict::SingleCustomer => "single_customer",
            Verdict::Clear => "clear",
        }
    }
}

/// One row of `subnets.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetRow {
    pub subnet: String,
    pub inventory_ips: u64,
    pub active_ips: u64,
    pub blocked_ips: u64,
    pub customers: u64,
    pub blocked_customers: u64,
    pub platforms: String,
    pub verdict: Verdict,
    pub throttled_ips: u64,
    pub network_wording: bool,
    pub rule_ids: String,
    /// The most customers any single receiver (or DNSBL) blocks in this subnet.
    pub shared_blocker_customers: u64,
    /// Addresses of this subnet that SNDS lists as blocked.
    pub snds_blocked_ips: u64,
    /// IPs SNDS rated RED on any day.
    pub snds_red_ips: u64,
    /// IPs with RED, a high complaint rate or trap hits inside a blocked subnet (`;`-separated).
    pub suspect_ips: String,
}

#[derive(Default)]
struct BlockColumns<'a> {
    subnet: Vec<&'a str>,
    ip: Vec<&'a str>,
    customer: Vec<&'a str>,
    platform: Vec<&'a str>,
    rule_id: Vec<&'a str>,
    blocker: Vec<&'a str>,
    blocked: Vec<bool>,
    throttled: Vec<bool>,
    network: Vec<bool>,
}

/// One row of `unclassified.csv`: a normalised reply no rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclassifiedRow {
    pub events: u64,
    pub ips: u64,
    pub platform: String,
    pub code: String,
    pub reply: String,
}

/// One address for the per-subnet heatmaps: an inventory address or an address seen sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub ip: String,
    pub subnet: String,
    pub customer_id: String,
    pub vps_id: String,
    pub in_inventory: bool,
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
    /// The most serious class seen for this IP (blocks first), if any reply was classified.
    pub worst: Option<Class>,
    /// Rule ids seen for this IP, `;`-separated.
    pub rules: String,
    pub snds_filter: String,
    pub snds_blocked: bool,
}

/// Severity order for `Host::worst` (lower is worse).
fn severity(class: Class) -> u8 {
    match class {
        Class::NetworkBlock => 0,
        Class::IpBlock => 1,
        Class::Dnsbl => 2,
        Class::SndsBlock => 3,
        Class::Throttle => 4,
        Class::Auth => 5,
        Class::Content => 6,
        Class::ReceiverError => 7,
        Class::Unclassified => 8,
        Class::NotIp => 9,
    }
}

fn hosts(partial: &Partial, ips: &[IpRow], inv: &Inventory, v4: u8, v6: u8) -> Vec<Host> {
    let mut table: BTreeMap<String, Host> = BTreeMap::new();
    let blank = |ip: IpAddr, customer: String, vps: String, in_inventory: bool| Host {
        ip: ip.to_string(),
        subnet: subnet_of(ip, v4, v6),
        customer_id: customer,
        vps_id: vps,
        in_inventory,
        sent: 0,
        deferred: 0,
        bounced: 0,
        worst: None,
        rules: String::new(),
        snds_filter: String::new(),
        snds_blocked: false,
    };
    for e in &inv.entries {
        let vps = &inv.vpses[e.vps];
        let customer = inv.customers[vps.customer].id.clone();
        let small = match e.network {
            IpNetwork::V4(n) => n.prefix() >= 24,
            IpNetwork::V6(n) => n.prefix() == 128,
        };
        if small {
            // Only the addresses this entry holds: a more specific row is another owner's.
            for ip in e.owned.iter().flat_map(|n| n.iter()).take(256) {
                table
                    .entry(ip.to_string())
                    .or_insert_with(|| blank(ip, customer.clone(), vps.id.clone(), true));
            }
        }
    }
    // Sorted, so an address seen from several VPS directories gets the same owner every run.
    let mut activity: Vec<_> = partial
        .activity
        .iter()
        .filter_map(|(k, a)| Some((k.ip?, observed_index(inv, k.observed_vps), a)))
        .collect();
    activity.sort_by_key(|(ip, vps, _)| (*ip, *vps));
    for (ip, observed_vps, a) in activity {
        let owner = owner_of(inv, Some(ip), observed_vps);
        let h = table.entry(ip.to_string()).or_insert_with(|| {
            blank(
                ip,
                owner
                    .customer
                    .map_or_else(String::new, |c| inv.customers[c].id.clone()),
                owner
                    .vps
                    .map_or_else(String::new, |v| inv.vpses[v].id.clone()),
                owner.in_inventory,
            )
        });
        h.sent += a.sent;
        h.deferred += a.deferred;
        h.bounced += a.bounced;
    }
    for r in ips.iter().filter(|r| !r.ip.is_empty()) {
        let Ok(ip) = r.ip.parse::<IpAddr>() else {
            continue;
        };
        let h = table
            .entry(r.ip.clone())
            .or_insert_with(|| blank(ip, r.customer_id.clone(), r.vps_id.clone(), r.in_inventory));
        if h.worst.is_none_or(|w| severity(r.class) < severity(w)) {
            h.worst = Some(r.class);
        }
        if !h.rules.split(';').any(|x| x == r.rule_id) {
            if !h.rules.is_empty() {
                h.rules.push(';');
            }
            h.rules.push_str(&r.rule_id);
        }
        if !r.snds.filter.is_empty() {
            h.snds_filter.clone_from(&r.snds.filter);
        }
        h.snds_blocked |= r.snds.blocked == "yes";
    }
    let mut out: Vec<Host> = table.into_values().collect();
    out.sort_by_key(|h| ip_sort_key(h.ip.parse().ok()));
    out
}

/// Rows kept in unclassified.csv (most frequent first).
pub const UNCLASSIFIED_ROWS: usize = 500;

/// Everything the reports need, in report order.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// Rows attributed to a customer (or to no one for lack of an owner), in ips.csv order.
    pub ips: Vec<IpRow>,
    /// Rows of addresses quoted in another customer's logs (`reply_other_customer`): written to
    /// summary/ips.csv only, never to a customer's files, the delisting pack or a verdict, until
    /// support confirms them. Kept apart so that no report can take them in by accident.
    pub unconfirmed: Vec<IpRow>,
    pub subnets: Vec<SubnetRow>,
    pub unclassified: Vec<UnclassifiedRow>,
    /// Every inventory address and every address seen sending, for heatmaps.
    pub hosts: Vec<Host>,
    /// Whether SNDS data was part of the run.
    pub snds_given: bool,
    pub snds_unknown: Vec<snds::UnknownRow>,
    pub snds_status: Vec<crate::model::snds::SndsStatus>,
    /// The SNDS files read (empty exports included) and rows left out by the window.
    pub snds_notes: snds::Notes,
    pub stats: Stats,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    /// (customer_id, customer_name) for every inventory customer, sorted by id.
    pub customers: Vec<(String, String)>,
    /// Which log lines the reports cover.
    pub window: ReportWindow,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WindowKind {
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
pub struct ReportWindow {
    pub kind: WindowKind,
    /// First and last day (days since 1970-01-01 in `tz`); None: open.
    pub since: Option<i32>,
    pub until: Option<i32>,
    /// The zone the days are in.
    pub tz: String,
}

impl ReportWindow {
    /// One sentence for the top of a report.
    pub fn describe(&self) -> String {
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
    pub fn ips_in_v4_range(&self, first: std::net::Ipv4Addr, last: std::net::Ipv4Addr) -> &[IpRow] {
        let below = |limit: std::net::Ipv4Addr| {
            move |r: &IpRow| r.ip.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a < limit)
        };
        let start = self.ips.partition_point(below(first));
        let end = match last.to_bits().checked_add(1) {
            Some(after) => self
                .ips
                .partition_point(below(std::net::Ipv4Addr::from_bits(after))),
            None => self
                .ips
                .partition_point(|r| r.ip.parse::<std::net::Ipv4Addr>().is_ok()),
        };
        &self.ips[start..end.max(start)]
    }

    /// Row indexes per customer, in ips.csv order (one pass instead of one per customer).
    pub fn rows_by_customer(&self) -> std::collections::HashMap<&str, Vec<&IpRow>> {
        let mut map: std::collections::HashMap<&str, Vec<&IpRow>> =
            std::collections::HashMap::new();
        for r in &self.ips {
            map.entry(r.customer_id.as_str()).or_default().push(r);
        }
        map
    }

    pub fn subnet(&self, subnet: &str) -> Option<&SubnetRow> {
        self.subnets
            .binary_search_by(|s| s.subnet.as_str().cmp(subnet))
            .ok()
            .map(|i| &self.subnets[i])
    }

    pub fn verdict_of(&self, subnet: &str) -> Option<Verdict> {
        self.subnets
            .binary_search_by(|s| s.subnet.as_str().cmp(subnet))
            .ok()
            .map(|i| self.subnets[i].verdict)
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

/// Sort key putting IPv4 before IPv6, numerically; unknown IPs last.
/// ips.csv order: IP (numerically, IPv4 first, unknown last), rule, customer, VPS.
pub fn sort_ip_rows(ips: &mut [IpRow]) {
    ips.sort_by_cached_key(ip_row_order);
}

/// The ips.csv order of a row (see `sort_ip_rows`).
pub(crate) fn ip_row_order(r: &IpRow) -> (String, String, String, String) {
    (
        ip_sort_key(r.ip.parse().ok()),
        r.rule_id.clone(),
        r.customer_id.clone(),
        r.vps_id.clone(),
    )
}

pub(crate) fn ip_sort_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(a)) => format!("4{:08x}", u32::from(a)),
        Some(IpAddr::V6(a)) => format!("6{:032x}", u128::from(a)),
        None => "~".into(),
    }
}

fn subnet_sort_key(subnet: &str) -> String {
    let ip = subnet.split('/').next().and_then(|s| s.parse().ok());
    ip_sort_key(ip)
}

/// How much of a recipient address reports show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecipientDetail {
    /// `*@example.com`.
    #[default]
    Domain,
    Full,
}

pub fn aggregate(
    partial: Partial,
    inv: &Inventory,
    rules: &RuleSet,
    sndsdata: Option<&Snds>,
    v4_prefix: u8,
    v6_prefix: u8,
    recipients: RecipientDetail,
) -> Result<Aggregates> {
    let (mut ips, mut unconfirmed): (Vec<IpRow>, Vec<IpRow>) =
        ip_rows(&partial, inv, rules, v4_prefix, v6_prefix)?
            .into_iter()
            .partition(|r| r.ip_source != IpSource::ReplyOtherCustomer);
    if recipients == RecipientDetail::Domain {
        for r in ips.iter_mut().chain(unconfirmed.iter_mut()) {
            if let std::borrow::Cow::Owned(redacted) = classify::redact_addresses(&r.sample_reply) {
                r.sample_reply = redacted;
            }
        }
    }
    if let Some(data) = sndsdata {
        snds::annotate_ips(&mut ips, data, inv, v4_prefix, v6_prefix);
    }
    let mut subnets = subnet_rows(&partial, &ips, inv, v4_prefix, v6_prefix)?;
    if let Some(data) = sndsdata {
        snds::annotate_subnets(&mut subnets, data, v4_prefix, v6_prefix);
    }
    let snds_unknown = sndsdata
        .map(|d| snds::unknown_ips(d, inv))
        .unwrap_or_default();
    let mut hosts = hosts(&partial, &ips, inv, v4_prefix, v6_prefix);
    if let Some(data) = sndsdata {
        let summaries = snds::summarise(data);
        for h in hosts.iter_mut() {
            if let Ok(ip) = h.ip.parse::<IpAddr>() {
                if let Some(s) = summaries.get(&ip) {
                    h.snds_filter = s.filter_text();
                }
                h.snds_blocked |= data.status_of(ip).is_some_and(|st| st.blocked);
            }
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
            reply: match recipients {
                RecipientDetail::Full => k.reply.clone(),
                RecipientDetail::Domain => classify::redact_addresses(&k.reply).into_owned(),
            },
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
        snds_unknown,
        snds_status,
        snds_notes: sndsdata.map(snds::Notes::new).unwrap_or_default(),
        first_time,
        last_time,
        stats,
        customers,
        window: ReportWindow::default(),
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
pub const RUN_PROBLEM_FILE: &str = "(all log files)";

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
    owner_of(inv, k.ip, observed_index(inv, k.observed_vps))
}

fn ip_rows(
    partial: &Partial,
    inv: &Inventory,
    rules: &RuleSet,
    v4: u8,
    v6: u8,
) -> Result<Vec<IpRow>> {
    let n = partial.events.len();
    let mut ip = Vec::with_capacity(n);
    let mut ip_sort = Vec::with_capacity(n);
    let mut subnet = Vec::with_capacity(n);
    let mut customer = Vec::with_capacity(n);
    let mut vps = Vec::with_capacity(n);
    let mut in_inv = Vec::with_capacity(n);
    let mut platform = Vec::with_capacity(n);
    let mut rule_id = Vec::with_capacity(n);
    let mut rule_idx = Vec::with_capacity(n);
    let mut code = Vec::with_capacity(n);
    let mut rrid = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut events = Vec::with_capacity(n);
    let mut first = Vec::with_capacity(n);
    let mut last = Vec::with_capacity(n);
    let mut sample_time = Vec::with_capacity(n);
    let mut sample = Vec::with_capacity(n);
    for (k, a) in &partial.events {
        let owner = row_owner(inv, k);
        ip.push(k.ip.map_or_else(String::new, |i| i.to_string()));
        ip_sort.push(ip_sort_key(k.ip));
        subnet.push(k.ip.map_or_else(String::new, |i| subnet_of(i, v4, v6)));
        customer.push(owner.customer.map_or("", |c| inv.customers[c].id.as_str()));
        vps.push(owner.vps.map_or("", |v| inv.vpses[v].id.as_str()));
        in_inv.push(owner.in_inventory);
        platform.push(k.platform);
        rule_id.push(rules.rule(k.rule).id.as_str());
        rule_idx.push(u32::from(k.rule));
        code.push(&*k.code);
        rrid.push(k.receiver_rule_id.as_deref().unwrap_or(""));
        source.push(u32::from(k.ip_source.rank()));
        events.push(a.events);
        first.push(a.first);
        last.push(a.last);
        sample_time.push(a.sample_time);
        sample.push(a.sample.as_str());
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("ip".into(), ip),
        Column::new("ip_sort".into(), ip_sort),
        Column::new("subnet".into(), subnet),
        Column::new("customer_id".into(), customer),
        Column::new("vps_id".into(), vps),
        Column::new("in_inventory".into(), in_inv),
        Column::new("platform".into(), platform),
        Column::new("rule_id".into(), rule_id),
        Column::new("rule_idx".into(), rule_idx),
        Column::new("code".into(), code),
        Column::new("receiver_rule_id".into(), rrid),
        Column::new("ip_source".into(), source),
        Column::new("events".into(), events),
        Column::new("first".into(), first),
        Column::new("last".into(), last),
        Column::new("sample_time".into(), sample_time),
        Column::new("sample".into(), sample),
    ])
    .map_err(polars_err)?;

    let joined = |name: &str| {
        col(name)
            .filter(col(name).neq(lit("")))
            .unique()
            .sort(SortOptions::default())
            .str()
            .join(";", true)
    };
    let out = df
        .lazy()
        .group_by([col("ip"), col("rule_id"), col("customer_id"), col("vps_id")])
        .agg([
            col("ip_sort").first(),
            col("subnet").first(),
            col("in_inventory").first(),
            col("rule_idx").first(),
            joined("platform").alias("platform"),
            joined("code").alias("code"),
            joined("receiver_rule_id").alias("receiver_rule_id"),
            col("ip_source").min(),
            col("events").sum(),
            col("first").min(),
            col("last").max(),
            col("sample")
                .sort_by(
                    [col("sample_time"), col("sample")],
                    SortMultipleOptions::default(),
                )
                .last(),
        ])
        .sort_by_exprs(
            [
                col("ip_sort"),
                col("rule_id"),
                col("customer_id"),
                col("vps_id"),
            ],
            SortMultipleOptions::default(),
        )
        .collect()
        .map_err(polars_err)?;

    let s = |name: &str| strings(&out, name);
    let (ips, subnets, customers, vpses) =
        (s("ip")?, s("subnet")?, s("customer_id")?, s("vps_id")?);
    let (platforms, codes, rrids, samples) = (
        s("platform")?,
        s("code")?,
        s("receiver_rule_id")?,
        s("sample")?,
    );
    let rule_ids = s("rule_id")?;
    let in_inventory = bools(&out, "in_inventory")?;
    let (rule_idxs, sources) = (u32s(&out, "rule_idx")?, u32s(&out, "ip_source")?);
    let (firsts, lasts) = (i64s(&out, "first")?, i64s(&out, "last")?);
    let event_counts = u64s(&out, "events")?;

    let mut rows = Vec::with_capacity(out.height());
    for i in 0..out.height() {
        let rule = rules.rule(rule_idxs[i] as crate::model::RuleIdx);
        rows.push(IpRow {
            ip: ips[i].clone(),
            subnet: subnets[i].clone(),
            customer_id: customers[i].clone(),
            vps_id: vpses[i].clone(),
            in_inventory: in_inventory[i],
            platform: platforms[i].clone(),
            rule_id: rule_ids[i].clone(),
            class: rule.class,
            code: codes[i].clone(),
            events: event_counts[i],
            first_seen: firsts[i],
            last_seen: lasts[i],
            delist_route: rule.delist_route.clone(),
            ip_source: IpSource::from_rank(sources[i] as u8),
            sample_reply: samples[i].clone(),
            permanence: permanence_of_codes(rule, &codes[i]),
            receiver_rule_id: rrids[i].clone(),
            snds: snds::SndsCols::default(),
            status: "seen",
            days_blocked: crate::model::day::days(firsts[i], lasts[i]),
        });
    }
    Ok(rows)
}

fn permanence_of_codes(rule: &classify::rules::Rule, codes: &str) -> String {
    let set: BTreeSet<&str> = codes
        .split(';')
        .map(|c| classify::permanence_of(rule, c))
        .collect();
    set.into_iter().collect::<Vec<_>>().join(";")
}

fn subnet_rows(
    partial: &Partial,
    ips: &[IpRow],
    inv: &Inventory,
    v4: u8,
    v6: u8,
) -> Result<Vec<SubnetRow>> {
    // Activity per subnet (polars): which IPs and customers sent anything at all.
    let mut a_subnet = Vec::new();
    let mut a_ip = Vec::new();
    let mut a_customer = Vec::new();
    for k in partial.activity.keys() {
        let Some(ip) = k.ip else { continue };
        let owner = owner_of(inv, Some(ip), observed_index(inv, k.observed_vps));
        a_subnet.push(subnet_of(ip, v4, v6));
        a_ip.push(ip.to_string());
        a_customer.push(owner.customer.map_or("", |c| inv.customers[c].id.as_str()));
    }
    let activity = DataFrame::new_infer_height(vec![
        Column::new("subnet".into(), a_subnet),
        Column::new("ip".into(), a_ip),
        Column::new("customer_id".into(), a_customer),
    ])
    .map_err(polars_err)?
    .lazy()
    .group_by([col("subnet")])
    .agg([
        col("ip").n_unique().alias("active_ips"),
        col("customer_id")
            .filter(col("customer_id").neq(lit("")))
            .unique()
            .sort(SortOptions::default())
            .str()
            .join(";", true)
            .alias("customers"),
    ])
    .collect()
    .map_err(polars_err)?;

    // Blocks and throttling per subnet (polars) from the ips rows, one row per receiver platform.
    // The "blocker" is who refuses the mail: the receiver platform, or the DNSBL rule for
    // list-based blocks (the same Spamhaus listing shows up at many receivers).
    let mut b = BlockColumns::default();
    for r in ips.iter().filter(|r| !r.ip.is_empty()) {
        for platform in r.platform.split(';') {
            b.subnet.push(r.subnet.as_str());
            b.ip.push(r.ip.as_str());
            b.customer.push(r.customer_id.as_str());
            b.platform.push(platform);
            b.rule_id.push(r.rule_id.as_str());
            b.blocker.push(if r.class == Class::Dnsbl {
                r.rule_id.as_str()
            } else {
                platform
            });
            b.blocked.push(r.class.is_block());
            b.throttled.push(r.class == Class::Throttle);
            b.network.push(r.class == Class::NetworkBlock);
        }
    }
    let blocks = DataFrame::new_infer_height(vec![
        Column::new("subnet".into(), b.subnet),
        Column::new("ip".into(), b.ip),
        Column::new("customer_id".into(), b.customer),
        Column::new("platform".into(), b.platform),
        Column::new("rule_id".into(), b.rule_id),
        Column::new("blocker".into(), b.blocker),
        Column::new("blocked".into(), b.blocked),
        Column::new("throttled".into(), b.throttled),
        Column::new("network".into(), b.network),
    ])
    .map_err(polars_err)?;
    // Most customers blocked by any one blocker, per subnet.
    let shared = blocks
        .clone()
        .lazy()
        .filter(col("blocked").and(col("customer_id").neq(lit(""))))
        .group_by([col("subnet"), col("blocker")])
        .agg([col("customer_id").n_unique().alias("customers")])
        .group_by([col("subnet")])
        .agg([col("customers").max().alias("shared_blocker_customers")])
        .collect()
        .map_err(polars_err)?;
    let blocked_join = |name: &str| {
        col(name)
            .filter(col("blocked"))
            .unique()
            .sort(SortOptions::default())
            .str()
            .join(";", true)
    };
    let blocks = blocks
        .lazy()
        .group_by([col("subnet")])
        .agg([
            col("ip")
                .filter(col("blocked"))
                .n_unique()
                .alias("blocked_ips"),
            col("customer_id")
                .filter(col("blocked").and(col("customer_id").neq(lit(""))))
                .n_unique()
                .alias("blocked_customers"),
            col("ip")
                .filter(col("throttled"))
                .n_unique()
                .alias("throttled_ips"),
            col("network").any(true).alias("network"),
            blocked_join("platform").alias("platforms"),
            blocked_join("rule_id").alias("rule_ids"),
        ])
        .collect()
        .map_err(polars_err)?;

    // Combine with the inventory side in plain Rust.
    let mut table: BTreeMap<String, SubnetRow> = BTreeMap::new();
    let mut customer_sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let empty_row = |subnet: &str| SubnetRow {
        subnet: subnet.to_string(),
        inventory_ips: 0,
        active_ips: 0,
        blocked_ips: 0,
        customers: 0,
        blocked_customers: 0,
        platforms: String::new(),
        verdict: Verdict::Clear,
        throttled_ips: 0,
        network_wording: false,
        rule_ids: String::new(),
        shared_blocker_customers: 0,
        snds_blocked_ips: 0,
        snds_red_ips: 0,
        suspect_ips: String::new(),
    };
    {
        let subnets = strings(&activity, "subnet")?;
        let active = u32s(&activity, "active_ips")?;
        let customers = strings(&activity, "customers")?;
        for i in 0..subnets.len() {
            let row = table
                .entry(subnets[i].clone())
                .or_insert_with(|| empty_row(&subnets[i]));
            row.active_ips = u64::from(active[i]);
            customer_sets.entry(subnets[i].clone()).or_default().extend(
                customers[i]
                    .split(';')
                    .filter(|c| !c.is_empty())
                    .map(String::from),
            );
        }
    }
    {
        let subnets = strings(&blocks, "subnet")?;
        let blocked = u32s(&blocks, "blocked_ips")?;
        let blocked_customers = u32s(&blocks, "blocked_customers")?;
        let throttled = u32s(&blocks, "throttled_ips")?;
        let platforms = strings(&blocks, "platforms")?;
        let rule_ids = strings(&blocks, "rule_ids")?;
        let network = bools(&blocks, "network")?;
        for i in 0..subnets.len() {
            let row = table
                .entry(subnets[i].clone())
                .or_insert_with(|| empty_row(&subnets[i]));
            row.blocked_ips = u64::from(blocked[i]);
            row.blocked_customers = u64::from(blocked_customers[i]);
            row.throttled_ips = u64::from(throttled[i]);
            row.platforms = platforms[i].clone();
            row.rule_ids = rule_ids[i].clone();
            row.network_wording = network[i];
        }
    }
    {
        let subnets = strings(&shared, "subnet")?;
        let counts = u32s(&shared, "shared_blocker_customers")?;
        for (subnet, count) in subnets.iter().zip(counts) {
            if let Some(row) = table.get_mut(subnet) {
                row.shared_blocker_customers = u64::from(count);
            }
        }
    }
    // Inventory side: addresses held in each subnet, and by which customers.
    for entry in &inv.entries {
        let customer = &inv.customers[inv.vpses[entry.vps].customer].id;
        // IPv4 by the addresses each entry holds (overlapping rows count once); IPv6 prefixes
        // count as one entry each.
        let held = match entry.network {
            IpNetwork::V4(_) => &entry.owned[..],
            IpNetwork::V6(_) => std::slice::from_ref(&entry.network),
        };
        for (subnet, count) in held.iter().flat_map(|n| inventory_share(*n, v4, v6)) {
            if let Some(row) = table.get_mut(&subnet) {
                row.inventory_ips += count;
                customer_sets
                    .entry(subnet)
                    .or_default()
                    .insert(customer.clone());
            }
        }
    }
    let mut rows: Vec<SubnetRow> = table
        .into_values()
        .map(|mut row| {
            row.customers = customer_sets.get(&row.subnet).map_or(0, |s| s.len() as u64);
            row.verdict = if row.blocked_ips == 0 {
                Verdict::Clear
            } else if row.network_wording || row.shared_blocker_customers >= 2 {
                Verdict::Neighbourhood
            } else if row.blocked_ips > 1 && row.blocked_customers == 1 {
                Verdict::SingleCustomer
            } else {
                Verdict::SingleIp
            };
            row
        })
        .collect();
    // BTreeMap order is textual; `verdict_of` relies on it, so keep it and sort views elsewhere.
    rows.sort_by(|a, b| a.subnet.cmp(&b.subnet));
    Ok(rows)
}

/// The subnets an inventory entry falls into, with how many of its addresses each holds
/// (IPv6 prefixes count as one entry each: their address counts are meaningless).
fn inventory_share(network: IpNetwork, v4: u8, v6: u8) -> Vec<(String, u64)> {
    match network {
        IpNetwork::V4(n) => {
            if n.prefix() >= v4 {
                vec![(
                    subnet_of(IpAddr::V4(n.network()), v4, v6),
                    1u64 << (32 - u32::from(n.prefix())),
                )]
            } else {
                // A block larger than a neighbourhood: every subnet in it holds a full share.
                let count = 1u64 << (u32::from(v4) - u32::from(n.prefix()));
                let step = 1u32 << (32 - u32::from(v4));
                (0..count.min(65_536))
                    .map(|i| {
                        let addr = u32::from(n.network()).wrapping_add(i as u32 * step);
                        (subnet_of(IpAddr::V4(addr.into()), v4, v6), u64::from(step))
                    })
                    .collect()
            }
        }
        IpNetwork::V6(n) => {
            if n.prefix() >= v6 {
                vec![(subnet_of(IpAddr::V6(n.network()), v4, v6), 1)]
            } else {
                Vec::new()
            }
        }
    }
}

/// Subnets sorted for display: numerically.
pub fn display_order(subnets: &[SubnetRow]) -> Vec<&SubnetRow> {
    let mut v: Vec<&SubnetRow> = subnets.iter().collect();
    v.sort_by_key(|s| subnet_sort_key(&s.subnet));
    v
}
