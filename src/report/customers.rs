//! `customers/<customer_id>.csv`: that customer's rows of ips.csv plus the verdict on their subnet.
//! Nothing about any other customer: neighbours appear only as counts in subnets.csv.

use super::ips::{extra_fields, fields, EXTRA, HEADER};
use super::{csv_io, csv_writer};
use crate::aggregate::{Aggregates, IpRow};
use std::io::Write;

/// `rows`: the customer's rows of ips.csv, in order.
pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates, rows: &[&IpRow]) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    let header = HEADER
        .iter()
        .copied()
        .chain(["subnet_verdict"])
        .chain(EXTRA.iter().copied());
    csv.write_record(header).map_err(csv_io)?;
    for r in rows {
        let verdict = agg
            .verdict_of(r.subnet)
            .map_or("", |v| v.as_str())
            .to_string();
        let record = fields(r)
            .into_iter()
            .chain([verdict])
            .chain(extra_fields(r));
        csv.write_record(record).map_err(csv_io)?;
    }
    csv.flush()
}
