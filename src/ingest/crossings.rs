//! The addresses replies in one file quote, with their lines, collected while it is read (a
//! split file's ranges shifted to whole-file line numbers), then handed to the partial for
//! `attribute::resolve` to tell crossings of customers (see `attribute::crossings`).

use crate::model::{Partial, QuotedLines, VpsName};
use std::collections::HashMap;
use std::net::IpAddr;

/// The VPS whose log holds a reply and the address the reply quotes, as logged.
pub(crate) type Quoted = (VpsName, IpAddr);

/// One file's quoted addresses with their lines; as many as the file's event cells, at most.
#[derive(Debug, Default)]
pub(crate) struct Crossings {
    quoted: HashMap<Quoted, QuotedLines>,
}

impl Crossings {
    pub(crate) fn add(&mut self, q: Quoted, line_no: u64) {
        self.add_lines(
            q,
            QuotedLines {
                lines: 1,
                first_line: line_no,
            },
        );
    }

    fn add_lines(&mut self, q: Quoted, lines: QuotedLines) {
        self.quoted
            .entry(q)
            .and_modify(|l| l.add(lines))
            .or_insert(lines);
    }

    /// Add a later byte range's quotes, its line numbers shifted by the lines before it.
    pub(crate) fn merge_shifted(&mut self, other: Crossings, line_offset: u64) {
        for (q, mut lines) in other.quoted {
            lines.first_line += line_offset;
            self.add_lines(q, lines);
        }
    }

    /// Hand the quotes to `partial`, under the file's name.
    pub(crate) fn into_partial(self, file: &str, partial: &mut Partial) {
        let quoted = self
            .quoted
            .into_iter()
            .map(|((vps, ip), lines)| ((file.into(), vps, ip), lines))
            .collect();
        crate::model::quoted::merge(&mut partial.quoted, quoted);
    }
}
