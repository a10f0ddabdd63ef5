//! The stored cells: one field list for what the state's day files and the Parquet partials
//! keep of a `model::Partial`, with stable names (rule id, vps_id, IP text) instead of the run's
//! indexes, since the rule file may change between runs. VPS names are kept as they are, even
//! when the inventory no longer lists them: owners are looked up again at every run.

use crate::classify::{platform, RuleSet};
use crate::model::{
    name, Activity, ActivityKey, EventAgg, EventKey, IpSource, Partial, Pending, UnclassifiedAgg,
    UnclassifiedKey, VpsName,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One event cell with stable names (also the row shape of Parquet partials).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct StoredEvent {
    pub(crate) ip: Option<String>,
    pub(crate) rule: String,
    pub(crate) vps: Option<String>,
    pub(crate) ip_source: String,
    pub(crate) platform: String,
    pub(crate) code: String,
    pub(crate) receiver_rule_id: Option<String>,
    pub(crate) events: u64,
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) sample_time: i64,
    pub(crate) sample: String,
    /// `pending_text`; absent once decided (always in the state's day files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct StoredActivity {
    pub(crate) ip: Option<String>,
    pub(crate) vps: Option<String>,
    pub(crate) sent: u64,
    pub(crate) deferred: u64,
    pub(crate) bounced: u64,
    /// `pending_text`; absent once decided (always in the state's day files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct StoredUnclassified {
    pub(crate) reply: String,
    pub(crate) platform: String,
    pub(crate) code: String,
    pub(crate) events: u64,
    pub(crate) ips: Vec<Option<String>>,
    /// Replies without an address, per (VPS, `pending_text` family), waiting for the VPS's only
    /// address (`UnclassifiedAgg::pending`); empty once decided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) stand_ins: Vec<(String, String)>,
}

/// A `Pending` as stored: None when decided, else `quoted` (an address the reply quotes) or
/// the connection's family of an address-less cell, `v4`, `v6` or `any`.
pub(crate) fn pending_text(p: Pending) -> Option<String> {
    let Pending::AsLogged { quoted, v6 } = p else {
        return None;
    };
    Some(family_text(v6, quoted).to_string())
}

fn family_text(v6: Option<bool>, quoted: bool) -> &'static str {
    match (quoted, v6) {
        (true, _) => "quoted",
        (false, Some(false)) => "v4",
        (false, Some(true)) => "v6",
        (false, None) => "any",
    }
}

/// `pending_text` read back; None for text no version writes.
pub(crate) fn parse_pending(text: Option<&str>) -> Option<Pending> {
    let (quoted, v6) = match text {
        None => return Some(Pending::Decided),
        Some("quoted") => (true, None),
        Some("v4") => (false, Some(false)),
        Some("v6") => (false, Some(true)),
        Some("any") => (false, None),
        Some(_) => return None,
    };
    Some(Pending::AsLogged { quoted, v6 })
}

/// A partial's cells with stable names, each with its day.
#[derive(Debug, Default)]
pub(crate) struct StoredCells {
    pub(crate) events: Vec<(i32, StoredEvent)>,
    pub(crate) activity: Vec<(i32, StoredActivity)>,
    pub(crate) unclassified: Vec<(i32, StoredUnclassified)>,
    pub(crate) times: Vec<(i32, (i64, i64))>,
}

/// Name every cell of `partial` (only `day` when given), sorted.
pub(crate) fn to_stored(partial: &Partial, rules: &RuleSet, day: Option<i32>) -> StoredCells {
    let wanted = |d: i32| day.is_none_or(|w| w == d);
    let vps_name = |v: Option<VpsName>| v.map(str::to_string);
    let ip_text = |ip: Option<std::net::IpAddr>| ip.map(|i| i.to_string());
    let mut events: Vec<(i32, StoredEvent)> = partial
        .events
        .iter()
        .filter(|(k, _)| wanted(k.day))
        .map(|(k, a)| {
            let e = StoredEvent {
                ip: ip_text(k.ip),
                rule: rules.rule(k.rule).id.clone(),
                vps: vps_name(k.observed_vps),
                ip_source: k.ip_source.as_str().to_string(),
                platform: k.platform.to_string(),
                code: k.code.to_string(),
                receiver_rule_id: k.receiver_rule_id.as_deref().map(str::to_string),
                events: a.events,
                first: a.first,
                last: a.last,
                sample_time: a.sample_time,
                sample: a.sample.clone(),
                pending: pending_text(k.pending),
            };
            (k.day, e)
        })
        .collect();
    events.sort();
    let mut activity: Vec<(i32, StoredActivity)> = partial
        .activity
        .iter()
        .filter(|(k, _)| wanted(k.day))
        .map(|(k, a)| {
            let row = StoredActivity {
                ip: ip_text(k.ip),
                vps: vps_name(k.observed_vps),
                sent: a.sent,
                deferred: a.deferred,
                bounced: a.bounced,
                pending: pending_text(k.pending),
            };
            (k.day, row)
        })
        .collect();
    activity.sort();
    let mut unclassified: Vec<(i32, StoredUnclassified)> = partial
        .unclassified
        .iter()
        .filter(|(k, _)| wanted(k.day))
        .map(|(k, u)| {
            let mut ips: Vec<Option<String>> = u.ips.iter().map(|ip| ip_text(*ip)).collect();
            ips.sort();
            let mut stand_ins: Vec<(String, String)> = u
                .pending
                .iter()
                .map(|(vps, v6)| (vps.to_string(), family_text(*v6, false).to_string()))
                .collect();
            stand_ins.sort();
            let row = StoredUnclassified {
                reply: k.reply.clone(),
                platform: k.platform.to_string(),
                code: k.code.to_string(),
                events: u.events,
                ips,
                stand_ins,
            };
            (k.day, row)
        })
        .collect();
    unclassified.sort();
    let times = partial
        .times
        .iter()
        .filter(|(d, _)| wanted(**d))
        .map(|(d, t)| (*d, *t))
        .collect();
    StoredCells {
        events,
        activity,
        unclassified,
        times,
    }
}

/// Named cells back into a partial for this run's rules (VPS names are looked up in the
/// inventory at aggregate time). Events of rules no longer in the catalogue count as
/// unclassified; they are returned by rule id with their counts.
pub(crate) fn from_stored(cells: StoredCells, rules: &RuleSet) -> (Partial, BTreeMap<String, u64>) {
    let vps_name_of = |v: &Option<String>| v.as_deref().map(name::intern);
    let parse_ip = |ip: &Option<String>| ip.as_deref().and_then(|i| i.parse().ok());
    // Readers check the text first (`parse_pending`); anything else is taken as decided.
    let pending_of = |p: &Option<String>| parse_pending(p.as_deref()).unwrap_or_default();
    let mut unknown_rules: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Partial::default();
    for (day, e) in cells.events {
        let rule = match rules.index_of(&e.rule) {
            Some(r) => r,
            None => {
                *unknown_rules.entry(e.rule.clone()).or_default() += e.events;
                rules.unclassified_idx()
            }
        };
        let key = EventKey {
            day,
            observed_vps: vps_name_of(&e.vps),
            ip: parse_ip(&e.ip),
            ip_source: IpSource::parse(&e.ip_source),
            rule,
            platform: platform::intern(&e.platform),
            code: e.code.into(),
            receiver_rule_id: e.receiver_rule_id.map(String::into_boxed_str),
            pending: pending_of(&e.pending),
        };
        let agg = EventAgg {
            events: e.events,
            first: e.first,
            last: e.last,
            sample_time: e.sample_time,
            sample: e.sample,
        };
        match out.events.get_mut(&key) {
            Some(a) => a.merge(agg),
            None => {
                out.events.insert(key, agg);
            }
        }
    }
    for (day, a) in cells.activity {
        let key = ActivityKey {
            day,
            observed_vps: vps_name_of(&a.vps),
            ip: parse_ip(&a.ip),
            pending: pending_of(&a.pending),
        };
        out.activity.entry(key).or_default().add(Activity {
            sent: a.sent,
            deferred: a.deferred,
            bounced: a.bounced,
        });
    }
    for (day, u) in cells.unclassified {
        let key = UnclassifiedKey {
            day,
            reply: u.reply,
            platform: platform::intern(&u.platform),
            code: u.code.into(),
        };
        out.unclassified
            .entry(key)
            .or_default()
            .add(UnclassifiedAgg {
                events: u.events,
                ips: u.ips.iter().map(parse_ip).collect(),
                pending: u
                    .stand_ins
                    .iter()
                    .filter_map(|(vps, family)| match parse_pending(Some(family)) {
                        Some(Pending::AsLogged { v6, .. }) => Some((name::intern(vps), v6)),
                        _ => None,
                    })
                    .collect(),
            });
    }
    for (day, (a, b)) in cells.times {
        let t = out.times.entry(day).or_insert((a, b));
        t.0 = t.0.min(a);
        t.1 = t.1.max(b);
    }
    (out, unknown_rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(vps: Option<&str>) -> StoredEvent {
        StoredEvent {
            ip: Some("198.51.100.7".into()),
            rule: RuleSet::builtin().rules()[0].id.clone(),
            vps: vps.map(str::to_string),
            ip_source: "reply".into(),
            platform: "office365".into(),
            code: "5.7.606".into(),
            receiver_rule_id: None,
            events: 3,
            first: 1,
            last: 2,
            sample_time: 2,
            sample: "550 5.7.606 Access denied".into(),
            pending: None,
        }
    }

    /// A VPS name is stored as it was read, whatever the inventory says (it may list the VPS
    /// again tomorrow); owners are looked up when cells are aggregated.
    #[test]
    fn cells_round_trip_with_their_vps_names() {
        let rules = RuleSet::builtin();
        let cells = StoredCells {
            events: vec![(5, event(Some("vps-gone"))), (5, event(None))],
            activity: vec![(
                5,
                StoredActivity {
                    ip: None,
                    vps: Some("vps-gone".into()),
                    sent: 1,
                    deferred: 0,
                    bounced: 0,
                    pending: Some("v4".into()),
                },
            )],
            unclassified: Vec::new(),
            times: vec![(5, (1, 2))],
        };
        let (partial, unknown_rules) = from_stored(cells, rules);
        assert!(unknown_rules.is_empty());
        let again = to_stored(&partial, rules, None);
        let vpses: Vec<Option<&str>> = again.events.iter().map(|(_, e)| e.vps.as_deref()).collect();
        assert_eq!(vpses, [None, Some("vps-gone")]);
        assert_eq!(again.activity[0].1.vps.as_deref(), Some("vps-gone"));
        // An address-less cell as logged keeps what it waits for.
        assert_eq!(again.activity[0].1.pending.as_deref(), Some("v4"));
        assert_eq!(again.events[1].1, event(Some("vps-gone")));
    }
}
