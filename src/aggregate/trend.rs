//! Blocks per calendar day, per subnet: what the trend charts of summary.html draw, so a support
//! engineer sees whether a block is new, growing or fading.
//!
//! Computed from a per-day partial (before `Partial::collapse_days`); with a state, the days it
//! keeps come from state.json (`pipeline::history`), so the chart spans the stored history and
//! not only tonight's lines.

use crate::classify::RuleSet;
use crate::model::{IpSource, Partial};
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One day's blocks in one subnet (or, summed, for the provider).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DayCounts {
    /// Distinct addresses with at least one event of a blocking class that day.
    pub(crate) blocked_ips: u64,
    /// Events of blocking classes that day.
    pub(crate) rejections: u64,
}

impl DayCounts {
    fn add(&mut self, other: DayCounts) {
        self.blocked_ips += other.blocked_ips;
        self.rejections += other.rejections;
    }
}

/// Per day (days since 1970-01-01 in the provider's zone) the subnets with blocks that day. Every
/// day with data has an entry, an empty one when nothing was blocked: the range the charts span
/// is the days with data, not only the days with blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Trend {
    pub(crate) days: BTreeMap<i32, BTreeMap<IpNetwork, DayCounts>>,
}

impl Trend {
    /// The blocks of a per-day partial, on every day it has lines for. Quotes of another
    /// customer's address are no one's evidence (as for the rows) and are left out.
    pub(crate) fn of(partial: &Partial, rules: &RuleSet, v4_prefix: u8, v6_prefix: u8) -> Trend {
        let mut ips: BTreeMap<(i32, IpNetwork), BTreeSet<IpAddr>> = BTreeMap::new();
        let mut days: BTreeMap<i32, BTreeMap<IpNetwork, DayCounts>> = partial
            .days()
            .into_iter()
            .map(|d| (d, BTreeMap::new()))
            .collect();
        for (k, v) in &partial.events {
            if k.ip_source == IpSource::ReplyOtherCustomer || !rules.rule(k.rule).class.is_block() {
                continue;
            }
            let Some(ip) = k.ip else { continue };
            let subnet = crate::attribute::subnet(ip, v4_prefix, v6_prefix);
            let day = days.entry(k.day).or_default();
            day.entry(subnet).or_default().rejections += v.events;
            ips.entry((k.day, subnet)).or_default().insert(ip);
        }
        for ((day, subnet), set) in ips {
            if let Some(c) = days.get_mut(&day).and_then(|d| d.get_mut(&subnet)) {
                c.blocked_ips = set.len() as u64;
            }
        }
        Trend { days }
    }

    /// The first and last day with data.
    pub(crate) fn range(&self) -> Option<(i32, i32)> {
        let first = *self.days.keys().next()?;
        let last = *self.days.keys().next_back()?;
        Some((first, last))
    }

    /// Every day of the range, days without a block as zero: one subnet's, or (None) the
    /// provider's, the sum over every subnet.
    pub(crate) fn series(&self, subnet: Option<IpNetwork>) -> Vec<(i32, DayCounts)> {
        let Some((first, last)) = self.range() else {
            return Vec::new();
        };
        (first..=last)
            .map(|day| {
                let mut c = DayCounts::default();
                if let Some(nets) = self.days.get(&day) {
                    match subnet {
                        Some(s) => c = nets.get(&s).copied().unwrap_or_default(),
                        None => nets.values().for_each(|n| c.add(*n)),
                    }
                }
                (day, c)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    #[test]
    fn series_spans_every_day_and_sums_the_provider() {
        let mut t = Trend::default();
        let c = |b, r| DayCounts {
            blocked_ips: b,
            rejections: r,
        };
        t.days.insert(
            10,
            [
                (net("198.51.100.0/24"), c(2, 5)),
                (net("203.0.113.0/24"), c(1, 1)),
            ]
            .into(),
        );
        t.days.insert(13, BTreeMap::new());
        let provider = t.series(None);
        assert_eq!(
            provider,
            vec![(10, c(3, 6)), (11, c(0, 0)), (12, c(0, 0)), (13, c(0, 0))]
        );
        let one = t.series(Some(net("203.0.113.0/24")));
        assert_eq!(one[0], (10, c(1, 1)));
        assert_eq!(one.len(), 4);
        assert!(Trend::default().series(None).is_empty());
    }
}
