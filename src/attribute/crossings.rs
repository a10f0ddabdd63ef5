//! Replies in one VPS's log that quote an address of another customer's VPS. A customer can
//! write anything into its own log, so such an address is attributed to neither customer
//! (`ip_source` `reply_other_customer`, provider-wide only) and each one is listed in
//! input-problems.csv, naming both VPSes, for support to confirm (docs/security.md).

use super::inventory::Inventory;
use super::{observed_index, tenancy, Tenancy};
use crate::model::{Quoted, QuotedLines, Stats, VpsName};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Distinct crossings remembered per file (the smallest in key order); the rest only counted,
/// so a file quoting every address of the fleet cannot grow the report.
const MAX_TRACKED: usize = 1_000;
/// Crossings listed per file (most lines first), then one row for the rest.
const LISTED: usize = 20;

/// The VPS whose log holds the reply, the VPS whose address it quotes, and the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Crossing {
    observed: u32,
    holder: u32,
    ip: IpAddr,
}

impl Crossing {
    /// The crossing a quoted address makes, if it is held by another customer's VPS.
    fn of(inv: &Inventory, vps: VpsName, ip: IpAddr) -> Option<Crossing> {
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

/// List each file's crossings among `quoted` as input problems.
pub(crate) fn report(inv: &Inventory, quoted: Quoted, stats: &mut Stats) {
    let mut files: BTreeMap<Box<str>, Tracked> = BTreeMap::new();
    for ((file, vps, ip), seen) in quoted {
        if let Some(c) = Crossing::of(inv, vps, ip) {
            files.entry(file).or_default().add(c, seen);
        }
    }
    for (file, tracked) in files {
        tracked.report(&file, inv, stats);
    }
}

/// The crossings of one file, bounded.
#[derive(Debug, Default)]
struct Tracked {
    seen: BTreeMap<Crossing, QuotedLines>,
    /// Lines of crossings past `MAX_TRACKED`.
    untracked_lines: u64,
}

impl Tracked {
    /// Keeping the smallest crossings (not the first met) makes what is kept independent of the
    /// order crossings are added in.
    fn add(&mut self, c: Crossing, seen: QuotedLines) {
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

    /// One input problem per crossing (the most lines first, at most `LISTED`), then one for
    /// the rest. input-problems.csv is provider-only, so it may name both VPSes and the address.
    fn report(self, file: &str, inv: &Inventory, stats: &mut Stats) {
        let mut all: Vec<(Crossing, QuotedLines)> = self.seen.into_iter().collect();
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

fn describe(inv: &Inventory, c: Crossing, seen: QuotedLines) -> String {
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
