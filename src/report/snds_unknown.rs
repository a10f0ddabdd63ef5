//! `summary/snds-unknown-ips.csv`: what SNDS reports that the inventory does not hold.

use super::{csv_io, csv_writer};
use crate::aggregate::Aggregates;
use std::io::Write;

pub(crate) const HEADER: [&str; 6] = [
    "ip",
    "source",
    "snds_days",
    "snds_filter",
    "snds_blocked",
    "snds_reason",
];

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(HEADER).map_err(csv_io)?;
    for u in &agg.snds_unknown {
        csv.write_record([
            u.ip.as_str(),
            u.source,
            &u.days.to_string(),
            &u.filter,
            super::cells::yes_no(Some(u.blocked)),
            &u.reason,
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}
