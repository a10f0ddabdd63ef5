//! Joining Microsoft's SNDS view of our IPs with the log evidence.

use super::{IpRow, Status, SubnetRow};
use crate::attribute::inventory::Inventory;
use crate::attribute::subnet;
use crate::classify::rules::Class;
use crate::model::set::SortedSet;
use crate::model::snds::{
    ComplaintRate, ExportFile, ExportKind, Filter, ReasonKind, Snds, SUSPECT_COMPLAINT_RATE,
};
use crate::model::IpSource;
use chrono::NaiveDate;
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// The rule id of rows and blockers that come from SNDS's blocked list, not from a reply.
pub(crate) const SNDS_RULE_ID: &str = "snds-blocked";

/// SNDS columns of an ips.csv row (None when no SNDS data was given or the IP is absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SndsCols {
    /// GREEN/YELLOW/RED on the latest day with data.
    pub(crate) filter: Option<Filter>,
    /// The latest day's complaint rate as SNDS writes it (`< 0.1%`).
    pub(crate) complaint_rate: Option<String>,
    pub(crate) trap_hits: Option<u64>,
    /// None when no SNDS data was given (or the row has no address).
    pub(crate) blocked: Option<bool>,
    pub(crate) reason: String,
    /// Days with IP data; None when no SNDS data was given (or the row has no address).
    pub(crate) days: Option<u64>,
    /// The family of `reason` (which list blocks, and so where to delist); None when not blocked.
    pub(crate) reason_kind: Option<ReasonKind>,
}

/// What SNDS says about one IP over the whole window.
#[derive(Debug, Clone, Default)]
pub(crate) struct IpSummary {
    pub(crate) latest_day: Option<NaiveDate>,
    /// The latest day's filter and complaint rate.
    pub(crate) filter: Option<Filter>,
    pub(crate) complaint_rate: Option<ComplaintRate>,
    pub(crate) trap_hits: u64,
    pub(crate) days: BTreeSet<NaiveDate>,
    pub(crate) ever_red: bool,
    /// The highest lower bound of any day's complaint rate (thousandths of a percent): a band
    /// such as `> 4%` counts as 4 %, never as 0.
    pub(crate) max_complaint_low: u32,
}

impl IpSummary {
    /// RED, a high complaint rate or trap hits: the likely cause of a neighbourhood block.
    pub(crate) fn is_suspect(&self) -> bool {
        self.ever_red || self.trap_hits > 0 || self.max_complaint_low >= SUSPECT_COMPLAINT_RATE
    }

    /// The latest filter as SNDS writes it (empty without data).
    pub(crate) fn filter_text(&self) -> String {
        self.filter
            .map_or_else(String::new, |f| f.as_str().to_string())
    }
}

pub(crate) fn summarise(snds: &Snds) -> BTreeMap<IpAddr, IpSummary> {
    let mut out: BTreeMap<IpAddr, IpSummary> = BTreeMap::new();
    for d in &snds.days {
        let s = out.entry(d.ip).or_default();
        if s.latest_day.is_none_or(|l| d.day >= l) {
            s.latest_day = Some(d.day);
            s.filter = Some(d.filter);
            s.complaint_rate.clone_from(&d.complaint_rate);
        }
        s.trap_hits += d.trap_hits;
        s.days.insert(d.day);
        s.ever_red |= d.filter == Filter::Red;
        if let Some(rate) = &d.complaint_rate {
            s.max_complaint_low = s.max_complaint_low.max(rate.low);
        }
    }
    out
}

/// Why SNDS makes an IP a likely cause (`IpSummary::is_suspect`), for the reports to say it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cause {
    /// RED on some day of the window.
    pub(crate) red: bool,
    /// The highest complaint rate of the window as SNDS wrote it, when at the suspect threshold.
    pub(crate) complaint_rate: Option<String>,
    pub(crate) trap_hits: u64,
}

/// The likely causes among the IPs SNDS reports, by address.
pub(crate) fn causes(snds: &Snds) -> BTreeMap<IpAddr, Cause> {
    let mut out: BTreeMap<IpAddr, Cause> = summarise(snds)
        .into_iter()
        .filter(|(_, s)| s.is_suspect())
        .map(|(ip, s)| {
            let cause = Cause {
                red: s.ever_red,
                complaint_rate: None,
                trap_hits: s.trap_hits,
            };
            (ip, cause)
        })
        .collect();
    let mut worst: BTreeMap<IpAddr, &ComplaintRate> = BTreeMap::new();
    for d in &snds.days {
        if let Some(rate) = d.complaint_rate.as_ref() {
            let w = worst.entry(d.ip).or_insert(rate);
            if rate.low > w.low {
                *w = rate;
            }
        }
    }
    for (ip, cause) in out.iter_mut() {
        cause.complaint_rate = worst
            .get(ip)
            .filter(|r| r.low >= SUSPECT_COMPLAINT_RATE)
            .map(|r| r.text.clone());
    }
    out
}

/// What the run summary and summary.md say about the SNDS files themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// Every file read (empty ones included), in name order.
    pub(crate) exports: Vec<ExportFile>,
    /// Rows outside the report window, not counted.
    pub(crate) outside_window: u64,
    /// IP-status rows replaced by a newer dated snapshot.
    pub(crate) superseded: u64,
}

impl Notes {
    pub(crate) fn new(snds: &Snds) -> Notes {
        Notes {
            exports: snds.exports.clone(),
            outside_window: snds.outside_window,
            superseded: snds.superseded,
        }
    }

    /// One sentence per empty export: "SNDS: no blocked ranges on <date>" and the like.
    pub(crate) fn empty(&self) -> Vec<String> {
        self.exports
            .iter()
            .filter(|e| e.rows == 0)
            .map(ExportFile::empty_note)
            .collect()
    }

    /// `N files (D IP data, S IP status, E empty)`.
    pub(crate) fn files(&self) -> String {
        let count = |k: ExportKind| {
            self.exports
                .iter()
                .filter(|e| e.kind == k && e.rows > 0)
                .count()
        };
        format!(
            "{} file(s): {} IP data, {} IP status, {} empty",
            self.exports.len(),
            count(ExportKind::IpData),
            count(ExportKind::IpStatus),
            self.exports.iter().filter(|e| e.rows == 0).count()
        )
    }
}

/// Keep the SNDS rows of the report window, as log events are kept: IP-data days from `since`
/// to `until` (inclusive; None: open). IP status is a snapshot, not a sum: a dated snapshot
/// (the day from its file name) counts when it lies in the window, and only the newest one does
/// (an empty newest snapshot means nothing is blocked any more); undated files always count.
pub(crate) fn select_window(snds: &mut Snds, since: Option<NaiveDate>, until: Option<NaiveDate>) {
    let inside = |d: NaiveDate| since.is_none_or(|s| d >= s) && until.is_none_or(|u| d <= u);
    let before = snds.days.len() + snds.status.len();
    snds.days.retain(|d| inside(d.day));
    snds.status.retain(|s| s.day.is_none_or(inside));
    snds.outside_window += (before - snds.days.len() - snds.status.len()) as u64;
    snds.exports
        .retain(|e| e.rows > 0 || e.day.is_none_or(inside));
    let newest = snds
        .status
        .iter()
        .filter_map(|s| s.day)
        .chain(
            snds.exports
                .iter()
                .filter(|e| e.rows == 0 && e.kind == ExportKind::IpStatus)
                .filter_map(|e| e.day),
        )
        .max();
    if let Some(newest) = newest {
        let before = snds.status.len();
        snds.status.retain(|s| s.day.is_none_or(|d| d == newest));
        snds.superseded += (before - snds.status.len()) as u64;
    }
}

pub(crate) fn cols_for(
    ip: Option<IpAddr>,
    summaries: &BTreeMap<IpAddr, IpSummary>,
    snds: &Snds,
) -> SndsCols {
    let Some(addr) = ip else {
        return SndsCols::default();
    };
    let mut cols = SndsCols::default();
    if let Some(s) = summaries.get(&addr) {
        cols.filter = s.filter;
        cols.complaint_rate = s.complaint_rate.as_ref().map(|r| r.text.clone());
        cols.trap_hits = Some(s.trap_hits);
        cols.days = Some(s.days.len() as u64);
    } else {
        cols.days = Some(0);
    }
    match snds.status_of(addr) {
        Some(st) if st.blocked => {
            cols.blocked = Some(true);
            cols.reason.clone_from(&st.reason.text);
            cols.reason_kind = Some(st.reason.kind);
        }
        _ => cols.blocked = Some(false),
    }
    cols
}

/// Add SNDS columns to every row, and a `snds_block` / `blocked_not_seen` row for each inventory
/// address SNDS lists as blocked that has no Outlook.com block in the logs.
pub(crate) fn annotate_ips(ips: &mut Vec<IpRow>, snds: &Snds, inv: &Inventory, v4: u8, v6: u8) {
    let summaries = summarise(snds);
    for row in ips.iter_mut() {
        row.snds = cols_for(row.ip, &summaries, snds);
    }
    let felt: BTreeSet<IpAddr> = ips
        .iter()
        .filter(|r| r.is_outlook_block())
        .filter_map(|r| r.ip)
        .collect();
    let mut quiet = Vec::new();
    for entry in &inv.entries {
        let IpNetwork::V4(net) = entry.network else {
            continue;
        };
        if net.prefix() < 24 {
            continue; // a large block: SNDS rows would be noise, subnets.csv counts it instead
        }
        // Only the addresses this entry holds: a more specific row is another owner's.
        for ip in entry.owned.iter().flat_map(|n| n.iter()) {
            let Some(status) = snds.status_of(ip).filter(|s| s.blocked) else {
                continue;
            };
            if felt.contains(&ip) {
                continue;
            }
            let vps = &inv.vpses[entry.vps];
            quiet.push(IpRow {
                ip: Some(ip),
                subnet: Some(subnet(ip, v4, v6)),
                customer_id: inv.customers[vps.customer].id.clone(),
                vps_id: vps.id.clone(),
                in_inventory: true,
                platforms: SortedSet::from(["outlook.com".to_string()]),
                rule_id: SNDS_RULE_ID.into(),
                class: Class::SndsBlock,
                codes: SortedSet::default(),
                events: 0,
                first_seen: i64::MIN,
                last_seen: i64::MIN,
                delist_route: status.reason.kind.delist_route(),
                ip_source: IpSource::Snds,
                sample_reply: status.reason.text.clone(),
                permanence: SortedSet::from(["permanent"]),
                receiver_rule_ids: SortedSet::default(),
                snds: cols_for(Some(ip), &summaries, snds),
                status: Status::BlockedNotSeen,
                days_blocked: 0,
                since: i64::MIN,
                temporary_events: 0,
            });
        }
    }
    ips.extend(quiet);
    super::sort_ip_rows(ips);
}

/// `snds_blocked_ips`, `snds_red_ips` and `suspect_ips` per subnet.
pub(crate) fn annotate_subnets(subnets: &mut [SubnetRow], snds: &Snds, v4: u8, v6: u8) {
    let summaries = summarise(snds);
    for row in subnets.iter_mut() {
        let IpNetwork::V4(net) = row.subnet else {
            continue;
        };
        let (lo, hi) = (u32::from(net.network()), u32::from(net.broadcast()));
        row.snds_blocked_ips = snds
            .status
            .iter()
            .filter(|s| s.blocked)
            .map(|s| {
                let (a, b) = (u32::from(s.first).max(lo), u32::from(s.last).min(hi));
                if a <= b {
                    u64::from(b - a) + 1
                } else {
                    0
                }
            })
            .sum();
        let inside = summaries
            .iter()
            .filter(|(ip, _)| subnet(**ip, v4, v6) == row.subnet);
        let (mut red, mut suspects) = (0u64, BTreeSet::new());
        for (ip, s) in inside {
            red += u64::from(s.ever_red);
            if s.is_suspect() {
                suspects.insert(*ip);
            }
        }
        row.snds_red_ips = red;
        // Suspects matter where something is blocked: by the logs or by SNDS.
        if row.blocked_ips > 0 || row.snds_blocked_ips > 0 {
            row.suspect_ips = suspects;
        }
    }
}

/// IPs (and blocked ranges) SNDS knows that the inventory does not: stale inventory, or SNDS
/// access to ranges the provider no longer owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownRow {
    pub(crate) ip: String,
    pub(crate) source: &'static str,
    pub(crate) days: u64,
    pub(crate) filter: String,
    pub(crate) blocked: bool,
    pub(crate) reason: String,
}

pub(crate) fn unknown_ips(snds: &Snds, inv: &Inventory) -> Vec<UnknownRow> {
    let mut rows = Vec::new();
    for (ip, s) in summarise(snds) {
        if inv.lookup(ip).is_some() {
            continue;
        }
        let (blocked, reason) = match snds.status_of(ip) {
            Some(st) if st.blocked => (true, st.reason.text.clone()),
            _ => (false, String::new()),
        };
        rows.push(UnknownRow {
            ip: ip.to_string(),
            source: "ip data",
            days: s.days.len() as u64,
            filter: s.filter_text(),
            blocked,
            reason,
        });
    }
    for st in snds.status.iter().filter(|s| s.blocked) {
        for net in &st.networks {
            let overlaps = inv.entries.iter().any(|e| match e.network {
                IpNetwork::V4(n) => n.contains(net.network()) || net.contains(n.network()),
                IpNetwork::V6(_) => false,
            });
            if !overlaps {
                rows.push(UnknownRow {
                    ip: net.to_string(),
                    source: "ip status",
                    days: 0,
                    filter: String::new(),
                    blocked: true,
                    reason: st.reason.text.clone(),
                });
            }
        }
    }
    rows
}
