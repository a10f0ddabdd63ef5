//! The per-day store: what earlier runs read, one gzip'd JSON file per calendar day, so a report
//! window (`--days 7`) never needs logs that were already read (or have since been rotated away).
//!
//! Stored with stable names (rule id, vps_id, IP text), never the run's indexes: the inventory and
//! the rule file may change between runs. Owners are looked up again at every run, so an
//! inventory change applies to stored days too; a rule change does not reclassify stored events
//! (`--full` re-reads the logs that are still there).

use crate::aggregate::partial::{
    Activity, ActivityKey, EventAgg, EventKey, Partial, UnclassifiedAgg, UnclassifiedKey,
};
use crate::attribute::inventory::Inventory;
use crate::attribute::sending_ip::IpSource;
use crate::classify::{platform, RuleSet};
use crate::ingest::timestamp::date_of_day;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufReader, Write as _};
use std::path::{Path, PathBuf};

pub const DIR: &str = "days";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct DayFile {
    version: u32,
    date: String,
    first: i64,
    last: i64,
    events: Vec<StoredEvent>,
    activity: Vec<StoredActivity>,
    unclassified: Vec<StoredUnclassified>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct StoredEvent {
    ip: Option<String>,
    rule: String,
    vps: Option<String>,
    ip_source: String,
    platform: String,
    code: String,
    receiver_rule_id: Option<String>,
    events: u64,
    first: i64,
    last: i64,
    sample_time: i64,
    sample: String,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct StoredActivity {
    ip: Option<String>,
    vps: Option<String>,
    sent: u64,
    deferred: u64,
    bounced: u64,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct StoredUnclassified {
    reply: String,
    platform: String,
    code: String,
    events: u64,
    ips: Vec<Option<String>>,
}

/// The stored name of a day's file for a given state generation.
pub fn file_name(day: i32, generation: u64) -> String {
    format!("{DIR}/{}.g{generation}.json.gz", date_of_day(day))
}

/// Write one day of `partial` (days other than `day` are ignored) to `dir/name`.
pub fn write_day(
    dir: &Path,
    name: &str,
    day: i32,
    partial: &Partial,
    inv: &Inventory,
    rules: &RuleSet,
) -> std::io::Result<()> {
    let vps_name = |v: Option<u32>| v.map(|v| inv.vpses[v as usize].id.clone());
    let ip_text = |ip: Option<std::net::IpAddr>| ip.map(|i| i.to_string());
    let mut events: Vec<StoredEvent> = partial
        .events
        .iter()
        .filter(|(k, _)| k.day == day)
        .map(|(k, a)| StoredEvent {
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
        })
        .collect();
    events.sort();
    let mut activity: Vec<StoredActivity> = partial
        .activity
        .iter()
        .filter(|(k, _)| k.day == day)
        .map(|(k, a)| StoredActivity {
            ip: ip_text(k.ip),
            vps: vps_name(k.observed_vps),
            sent: a.sent,
            deferred: a.deferred,
            bounced: a.bounced,
        })
        .collect();
    activity.sort();
    let mut unclassified: Vec<StoredUnclassified> = partial
        .unclassified
        .iter()
        .filter(|(k, _)| k.day == day)
        .map(|(k, u)| {
            let mut ips: Vec<Option<String>> = u.ips.iter().map(|ip| ip_text(*ip)).collect();
            ips.sort();
            StoredUnclassified {
                reply: k.reply.clone(),
                platform: k.platform.to_string(),
                code: k.code.to_string(),
                events: u.events,
                ips,
            }
        })
        .collect();
    unclassified.sort();
    let (first, last) = partial.times.get(&day).copied().unwrap_or((0, 0));
    let file = DayFile {
        version: VERSION,
        date: date_of_day(day).to_string(),
        first,
        last,
        events,
        activity,
        unclassified,
    };
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    crate::report::write_atomically(&path, |w| {
        let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
        serde_json::to_writer(&mut gz, &file).map_err(std::io::Error::other)?;
        gz.write_all(b"\n")?;
        gz.finish()?;
        Ok(())
    })
}

/// Why a stored day could not be used as it is.
#[derive(Debug)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub reason: String,
}

/// Read one stored day into `into` (as day `day`).
pub fn read_day(
    dir: &Path,
    name: &str,
    day: i32,
    inv: &Inventory,
    rules: &RuleSet,
    into: &mut Partial,
    problems: &mut Vec<LoadProblem>,
) {
    let path = dir.join(name);
    let parsed = std::fs::File::open(&path)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            let gz = flate2::read::GzDecoder::new(BufReader::new(f));
            serde_json::from_reader::<_, DayFile>(BufReader::new(gz)).map_err(|e| e.to_string())
        });
    let file = match parsed {
        Ok(f) if f.version == VERSION => f,
        Ok(f) => {
            problems.push(LoadProblem {
                path,
                reason: format!("day file version {} is not {VERSION}", f.version),
            });
            return;
        }
        Err(e) => {
            problems.push(LoadProblem { path, reason: e });
            return;
        }
    };
    let vps_index = |v: &Option<String>| {
        v.as_deref()
            .and_then(|v| inv.vps_index(v))
            .map(|v| v as u32)
    };
    let parse_ip = |ip: &Option<String>| ip.as_deref().and_then(|i| i.parse().ok());
    let mut unknown_rules: BTreeMap<String, u64> = BTreeMap::new();
    let mut day_partial = Partial::default();
    for e in file.events {
        let rule = match rules.index_of(&e.rule) {
            Some(r) => r,
            None => {
                *unknown_rules.entry(e.rule.clone()).or_default() += e.events;
                rules.unclassified_idx()
            }
        };
        let key = EventKey {
            day,
            observed_vps: vps_index(&e.vps),
            ip: parse_ip(&e.ip),
            ip_source: IpSource::parse(&e.ip_source),
            rule,
            platform: platform::intern(&e.platform),
            code: e.code.into(),
            receiver_rule_id: e.receiver_rule_id.map(String::into_boxed_str),
        };
        let agg = EventAgg {
            events: e.events,
            first: e.first,
            last: e.last,
            sample_time: e.sample_time,
            sample: e.sample,
        };
        match day_partial.events.get_mut(&key) {
            Some(a) => a.merge(agg),
            None => {
                day_partial.events.insert(key, agg);
            }
        }
    }
    for a in file.activity {
        let key = ActivityKey {
            day,
            observed_vps: vps_index(&a.vps),
            ip: parse_ip(&a.ip),
        };
        day_partial.activity.entry(key).or_default().add(Activity {
            sent: a.sent,
            deferred: a.deferred,
            bounced: a.bounced,
        });
    }
    for u in file.unclassified {
        let key = UnclassifiedKey {
            day,
            reply: u.reply,
            platform: platform::intern(&u.platform),
            code: u.code.into(),
        };
        day_partial
            .unclassified
            .entry(key)
            .or_default()
            .add(UnclassifiedAgg {
                events: u.events,
                ips: u.ips.iter().map(parse_ip).collect(),
            });
    }
    if file.first != 0 || file.last != 0 {
        day_partial.times.insert(day, (file.first, file.last));
    }
    for (rule, events) in unknown_rules {
        problems.push(LoadProblem {
            path: path.clone(),
            reason: format!(
                "{events} stored event(s) of rule {rule}, which is no longer in the catalogue, count as unclassified; run with --full to reclassify the logs still on disk"
            ),
        });
    }
    let taken = std::mem::take(into);
    *into = taken.merge(day_partial);
}
