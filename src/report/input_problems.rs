//! `summary/input-problems.csv`: every file and line that could not be read as is (`file,line,reason`).

use super::{csv_io, csv_writer};
use crate::aggregate::Aggregates;
use std::io::Write;

pub(crate) const HEADER: [&str; 3] = ["file", "line", "reason"];

pub(crate) fn write(w: &mut dyn Write, agg: &Aggregates) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(HEADER).map_err(csv_io)?;
    for p in &agg.stats.problems {
        csv.write_record([
            p.file.as_str(),
            &p.line.map_or_else(String::new, |l| l.to_string()),
            p.reason.as_str(),
        ])
        .map_err(csv_io)?;
    }
    csv.flush()
}
