//! `summary/dnsbl.csv`: every listing the night's DNS block-list lookups found, with the owner
//! the inventory gives the address (provider-wide: customers see their own rows in their CSV).

use super::{csv_io, csv_writer};
use crate::aggregate::Aggregates;
use std::io::Write;

/// Issue 21's columns first (`checked_at` is the day of the lookups), then the owner and scope.
pub(crate) const HEADER: [&str; 10] = [
    "ip",
    "zone",
    "list",
    "code",
    "meaning",
    "checked_at",
    "customer_id",
    "vps_id",
    "subnet",
    "scope",
];

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(HEADER).map_err(csv_io)?;
    let Some(result) = &agg.dnsbl else {
        return csv.flush();
    };
    let checked = crate::model::day::date_of_day(result.checked_day).to_string();
    // The owner as the ips.csv rows say it (the inventory's decision, made in aggregation).
    let rows: std::collections::BTreeMap<_, _> =
        agg.ips.iter().filter_map(|r| Some((r.ip?, r))).collect();
    for l in &result.listings {
        let row = rows.get(&l.ip);
        let (customer, vps, subnet) =
            row.map_or((String::new(), String::new(), String::new()), |r| {
                (
                    r.customer_id.clone(),
                    r.vps_id.clone(),
                    r.subnet.map(|s| s.to_string()).unwrap_or_default(),
                )
            });
        csv.write_record([
            l.ip.to_string().as_str(),
            &super::neutralise(&l.zone),
            &super::neutralise(&l.list),
            &l.code.to_string(),
            &super::neutralise(&l.meaning),
            &checked,
            &customer,
            &vps,
            &subnet,
            l.scope.as_str(),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}
