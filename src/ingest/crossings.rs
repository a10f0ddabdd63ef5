//! Replies in one VPS's log that quote an address of another customer's VPS. A customer can
//! write anything into its own log, so such an address is attributed to neither customer
//! (`ip_source` `reply_other_customer`, provider-wide only) and each one is listed in
//! input-problems.csv, naming both VPSes, for support to confirm (docs/security.md).

use crate::attribute::inventory::Inventory;
use crate::attribute::{observed_index, tenancy, Tenancy};
use crate::model::{Stats, VpsName};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Distinct crossings remembered per file (the smallest in key order); the rest only counted,
/// so a file quoting every address of the fleet cannot grow memory.
const MAX_TRACKED: usize = 1_000;
/// Crossings listed per file (most lines first), then one row for the rest.
const LISTED: usize = 20;

/// The VPS whose log holds a reply and the address the reply quotes, as logged: whether it
/// crosses customers is the inventory's to say (`report`). As many as the file's event cells.
pub(crate) type Quoted = (VpsName, IpAddr);

/// The VPS whose log holds the reply, the VPS whose address it quotes, and the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Crossing {
    observed: u32,
    holder: u32,
    ip: IpAddr,
}

impl Crossing {
    /// The crossing a quoted address makes, if it is held by another customer's VPS.
    fn of(inv: &Inventory, (vps, ip): Quoted) -> Option<Crossing> {
        let observed = observed_index(inv, Some(vps))?;
        match tenancy(inv, ip, Some(observed)) {
            Tenancy::OtherCustomer { holder } => Some(Crossing {
                observed: observed as u32,
                holder: holder as u32,
                ip,
            }),
            Tenancy::Own | Tenancy::Sibling { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    lines: u64,
    first_line: u64,
}

impl Seen {
    fn add(&mut self, other: Seen) {
        self.lines += other.lines;
        self.first_line = self.first_line.min(other.first_line);
    }
}

/// One file's quoted addresses with their line counts.
#[derive(Debug, Default)]
pub(crate) struct Crossings {
    quoted: HashMap<Quoted, Seen>,
}

impl Crossings {
    pub(crate) fn add(&mut self, q: Quoted, line_no: u64) {
        let seen = Seen {
            lines: 1,
            first_line: line_no,
        };
        self.quoted
            .entry(q)
            .and_modify(|s| s.add(seen))
            .or_insert(seen);
    }

    /// Add a later byte range's quotes, its line numbers shifted by the lines before it.
    pub(crate) fn merge_shifted(&mut self, other: Crossings, line_offset: u64) {
        for (q, mut seen) in other.quoted {
            seen.first_line += line_offset;
            self.quoted
                .entry(q)
                .and_modify(|s| s.add(seen))
                .or_insert(seen);
        }
    }

    /// One input problem per crossing (the most lines first, at most `LISTED`), then one for
    /// the rest. input-problems.csv is provider-only, so it may name both VPSes and the address.
    pub(crate) fn report(self, file: &str, inv: &Inventory, stats: &mut Stats) {
        let mut tracked = Tracked::default();
        for (q, seen) in self.quoted {
            if let Some(c) = Crossing::of(inv, q) {
                tracked.add(c, seen);
            }
        }
        tracked.report(file, inv, stats);
    }
}

/// The crossings of one file, bounded.
#[derive(Debug, Default)]
struct Tracked {
    seen: BTreeMap<Crossing, Seen>,
    /// Lines of crossings past `MAX_TRACKED`.
    untracked_lines: u64,
}

impl Tracked {
    /// Keeping the smallest crossings (not the first met) makes what is kept independent of the
    /// order crossings are added in: a crossing once pushed out stays out.
    fn add(&mut self, c: Crossing, seen: Seen) {
        self.seen
            .entry(c)
            .and_modify(|s| s.add(seen))
            .or_insert(seen);
        if self.seen.len() > MAX_TRACKED {
            if let Some((_, dropped)) = self.seen.pop_last() {
                self.untracked_lines += dropped.lines;
            }
        }
    }

    fn report(self, file: &str, inv: &Inventory, stats: &mut Stats) {
        let mut all: Vec<(Crossing, Seen)> = self.seen.into_iter().collect();
        all.sort_by(|(ka, a), (kb, b)| b.lines.cmp(&a.lines).then_with(|| ka.cmp(kb)));
        let rest = all.split_off(all.len().min(LISTED));
        for (c, seen) in all {
            stats.problem(file, None, describe(inv, c, seen));
        }
        let more = rest.iter().map(|(_, s)| s.lines).sum::<u64>() + self.untracked_lines;
        if more > 0 {
            stats.problem(
                file,
                None,
                format!("{more} more repl(ies) quoting addresses of other customers' VPSes: attributed to no customer, as above"),
            );
        }
    }
}

fn describe(inv: &Inventory, c: Crossing, seen: Seen) -> String {
    let vps = |i: u32| &inv.vpses[i as usize];
    let customer = |i: u32| &inv.customers[vps(i).customer].id;
    format!(
        "{} repl(ies) in the log of VPS {} (customer {}) quote {}, an address of VPS {} of another customer ({}) (first on line {}): attributed to neither customer and no neighbourhood verdict until support confirms it (summary/ips.csv, ip_source reply_other_customer)",
        seen.lines,
        vps(c.observed).id,
        customer(c.observed),
        c.ip,
        vps(c.holder).id,
        customer(c.holder),
        seen.first_line,
    )
}
