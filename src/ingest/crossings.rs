//! Replies in one VPS's log that quote an address of another customer's VPS. A customer can
//! write anything into its own log, so such an address is attributed to neither customer
//! (`ip_source` `reply_other_customer`, provider-wide only) and each one is listed in
//! input-problems.csv, naming both VPSes, for support to confirm (docs/security.md).

use crate::attribute::inventory::Inventory;
use crate::attribute::{tenancy, Tenancy};
use crate::model::IpSource;
use crate::model::Stats;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Distinct crossings remembered per file (the smallest in key order); the rest only counted,
/// so a file quoting every address of the fleet cannot grow memory.
const MAX_TRACKED: usize = 1_000;
/// Crossings listed per file (most lines first), then one row for the rest.
const LISTED: usize = 20;

/// The VPS whose log holds the reply, the VPS whose address it quotes, and the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Crossing {
    observed: u32,
    holder: u32,
    ip: IpAddr,
}

impl Crossing {
    /// The crossing a delivery's sending IP makes, if its provenance says it crosses customers.
    pub(crate) fn of(
        inv: &Inventory,
        observed_vps: Option<u32>,
        ip: Option<IpAddr>,
        source: IpSource,
    ) -> Option<Crossing> {
        if source != IpSource::ReplyOtherCustomer {
            return None;
        }
        let (observed, ip) = (observed_vps?, ip?);
        match tenancy(inv, ip, Some(observed as usize)) {
            Tenancy::OtherCustomer { holder } => Some(Crossing {
                observed,
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

/// One file's crossings with their line counts.
#[derive(Debug, Default)]
pub(crate) struct Crossings {
    seen: BTreeMap<Crossing, Seen>,
    /// Lines of crossings past `MAX_TRACKED`.
    untracked_lines: u64,
}

impl Crossings {
    pub(crate) fn add(&mut self, c: Crossing, line_no: u64) {
        self.add_seen(
            c,
            Seen {
                lines: 1,
                first_line: line_no,
            },
        );
    }

    /// Keeping the smallest crossings (not the first met) makes a split file's ranges, merged,
    /// remember exactly what one reader would: a crossing once pushed out stays out.
    fn add_seen(&mut self, c: Crossing, seen: Seen) {
        let s = self.seen.entry(c).or_insert(Seen {
            lines: 0,
            first_line: seen.first_line,
        });
        s.lines += seen.lines;
        s.first_line = s.first_line.min(seen.first_line);
        if self.seen.len() > MAX_TRACKED {
            if let Some((_, dropped)) = self.seen.pop_last() {
                self.untracked_lines += dropped.lines;
            }
        }
    }

    /// Add a later byte range's crossings, its line numbers shifted by the lines before it.
    pub(crate) fn merge_shifted(&mut self, other: Crossings, line_offset: u64) {
        for (c, mut seen) in other.seen {
            seen.first_line += line_offset;
            self.add_seen(c, seen);
        }
        self.untracked_lines += other.untracked_lines;
    }

    /// One input problem per crossing (the most lines first, at most `LISTED`), then one for
    /// the rest. input-problems.csv is provider-only, so it may name both VPSes and the address.
    pub(crate) fn report(self, file: &str, inv: &Inventory, stats: &mut Stats) {
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
