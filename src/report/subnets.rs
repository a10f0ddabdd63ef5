//! `summary/subnets.csv`: one row per neighbourhood (/24, /64) with any delivery activity.

use super::cells::{blocked_by, list};
use super::{csv_io, csv_writer};
use crate::aggregate::{display_order, Aggregates};
use std::io::Write;

pub(crate) const HEADER: [&str; 8] = [
    "subnet",
    "inventory_ips",
    "active_ips",
    "blocked_ips",
    "customers",
    "blocked_customers",
    "platforms",
    "verdict",
];
pub(crate) const EXTRA: [&str; 6] = [
    "throttled_ips",
    "rule_ids",
    "snds_blocked_ips",
    "snds_red_ips",
    "suspect_ips",
    "blocked_by",
];

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(HEADER.iter().chain(EXTRA.iter()))
        .map_err(csv_io)?;
    for s in display_order(&agg.subnets) {
        csv.write_record([
            s.subnet.to_string(),
            s.inventory_ips.to_string(),
            s.active_ips.to_string(),
            s.blocked_ips.to_string(),
            s.customers.to_string(),
            s.blocked_customers.to_string(),
            list(&s.platforms),
            s.verdict.as_str().to_string(),
            s.throttled_ips.to_string(),
            list(&s.rule_ids),
            s.snds_blocked_ips.to_string(),
            s.snds_red_ips.to_string(),
            list(&s.suspect_ips),
            list(s.blockers.iter().map(blocked_by)),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}
