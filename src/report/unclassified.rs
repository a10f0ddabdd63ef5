//! `summary/unclassified.csv`: the most frequent replies no rule matched, with addresses, IPs,
//! timestamps and ids masked so equal replies group together — material for new rules.

use super::{csv_io, csv_writer};
use crate::aggregate::Aggregates;
use std::io::Write;

pub(crate) const HEADER: [&str; 5] = ["events", "ips", "platform", "code", "reply"];

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(HEADER).map_err(csv_io)?;
    for u in &agg.unclassified {
        csv.write_record([
            u.events.to_string(),
            u.ips.to_string(),
            u.platform.clone(),
            u.code.clone(),
            u.reply.clone(),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}
