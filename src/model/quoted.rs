//! Addresses the receivers' replies quote, per file and logging VPS, with how many lines quote
//! each and the first: whether one belongs to another customer (a crossing, listed in
//! input-problems.csv) is the inventory's to say, in `attribute::resolve`.

use super::VpsName;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The file, the VPS whose log holds the replies, and the address they quote.
pub(crate) type QuotedKey = (Box<str>, VpsName, IpAddr);

/// Lines quoting one address, and the first of them (a line number of the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuotedLines {
    pub(crate) lines: u64,
    pub(crate) first_line: u64,
}

impl QuotedLines {
    pub(crate) fn add(&mut self, other: QuotedLines) {
        self.lines += other.lines;
        self.first_line = self.first_line.min(other.first_line);
    }
}

/// Quoted addresses of a partial; as many per file as its event cells, at most.
pub(crate) type Quoted = BTreeMap<QuotedKey, QuotedLines>;

/// Add `from` into `into`.
pub(crate) fn merge(into: &mut Quoted, from: Quoted) {
    for (key, lines) in from {
        into.entry(key)
            .and_modify(|l| l.add(lines))
            .or_insert(lines);
    }
}
