//! `summary/ips.csv`: one row per (sending IP, rule) across the fleet.

use super::cells::{list, opt, yes_no};
use super::{csv_io, csv_writer, iso};
use crate::aggregate::{Aggregates, IpRow};
use std::io::Write;

/// Contract columns (issue #3); later columns are appended after them.
pub(crate) const HEADER: [&str; 15] = [
    "ip",
    "subnet",
    "customer_id",
    "vps_id",
    "in_inventory",
    "platform",
    "rule_id",
    "class",
    "code",
    "events",
    "first_seen",
    "last_seen",
    "delist_route",
    "ip_source",
    "sample_reply",
];

/// Columns added after the contract ones.
pub(crate) const EXTRA: [&str; 10] = [
    "permanence",
    "receiver_rule_id",
    "snds_filter",
    "snds_complaint_rate",
    "snds_trap_hits",
    "snds_blocked",
    "snds_reason",
    "snds_days",
    "status",
    "days_blocked",
];

pub(crate) fn fields(r: &IpRow) -> [String; 15] {
    [
        opt(r.ip),
        opt(r.subnet),
        r.customer_id.clone(),
        r.vps_id.clone(),
        r.in_inventory.to_string(),
        list(&r.platforms),
        r.rule_id.clone(),
        r.class.as_str().to_string(),
        list(&r.codes),
        r.events.to_string(),
        iso(r.first_seen),
        iso(r.last_seen),
        r.delist_route.clone(),
        r.ip_source.as_str().to_string(),
        r.sample_reply.clone(),
    ]
}

pub(crate) fn extra_fields(r: &IpRow) -> [String; 10] {
    [
        list(&r.permanence),
        list(&r.receiver_rule_ids),
        opt(r.snds.filter.map(|f| f.as_str())),
        r.snds.complaint_rate.clone().unwrap_or_default(),
        opt(r.snds.trap_hits),
        yes_no(r.snds.blocked).to_string(),
        r.snds.reason.clone(),
        opt(r.snds.days),
        r.status.as_str().to_string(),
        r.days_blocked.to_string(),
    ]
}

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(HEADER.iter().chain(EXTRA.iter()))
        .map_err(csv_io)?;
    for r in rows_in_order(agg) {
        csv.write_record(fields(r).iter().chain(extra_fields(r).iter()))
            .map_err(csv_io)?;
    }
    csv.flush()
}

/// The attributed rows and the unconfirmed ones (`reply_other_customer`), which only this
/// provider-wide file shows, in one order.
fn rows_in_order(agg: &Aggregates) -> Vec<&IpRow> {
    let mut rows: Vec<&IpRow> = agg.ips.iter().chain(&agg.unconfirmed).collect();
    if !agg.unconfirmed.is_empty() {
        // Stable: rows equal in this order keep the order the aggregation gave them.
        rows.sort_by(|a, b| {
            crate::aggregate::ip_row_order(a).cmp(&crate::aggregate::ip_row_order(b))
        });
    }
    rows
}
