//! The per-day store: what earlier runs read, one gzip'd JSON file per calendar day, so a report
//! window (`--days 7`) never needs logs that were already read (or have since been rotated away).
//!
//! Stored with stable names (rule id, vps_id, IP text), never the run's indexes: the inventory and
//! the rule file may change between runs. Owners are looked up again at every run, so an
//! inventory change applies to stored days too; a rule change does not reclassify stored events
//! (`--full` re-reads the logs that are still there).

use crate::attribute::inventory::Inventory;
use crate::classify::{platform, RuleSet};
use crate::model::day::date_of_day;
use crate::model::IpSource;
use crate::model::{
    Activity, ActivityKey, EventAgg, EventKey, Partial, UnclassifiedAgg, UnclassifiedKey,
};
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

/// One event cell with stable names (also the row shape of Parquet partials).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoredEvent {
    pub ip: Option<String>,
    pub rule: String,
    pub vps: Option<String>,
    pub ip_source: String,
    pub platform: String,
    pub code: String,
    pub receiver_rule_id: Option<String>,
    pub events: u64,
    pub first: i64,
    pub last: i64,
    pub sample_time: i64,
    pub sample: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoredActivity {
    pub ip: Option<String>,
    pub vps: Option<String>,
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoredUnclassified {
    pub reply: String,
    pub platform: String,
    pub code: String,
    pub events: u64,
    pub ips: Vec<Option<String>>,
}

/// A partial's cells with stable names, each with its day.
#[derive(Debug, Default)]
pub struct StoredCells {
    pub events: Vec<(i32, StoredEvent)>,
    pub activity: Vec<(i32, StoredActivity)>,
    pub unclassified: Vec<(i32, StoredUnclassified)>,
    pub times: Vec<(i32, (i64, i64))>,
}

/// Name every cell of `partial` (only `day` when given), sorted.
pub fn to_stored(
    partial: &Partial,
    inv: &Inventory,
    rules: &RuleSet,
    day: Option<i32>,
) -> StoredCells {
    let wanted = |d: i32| day.is_none_or(|w| w == d);
    let vps_name = |v: Option<u32>| v.map(|v| inv.vpses[v as usize].id.clone());
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
            let row = StoredUnclassified {
                reply: k.reply.clone(),
                platform: k.platform.to_string(),
                code: k.code.to_string(),
                events: u.events,
                ips,
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

/// Named cells back into a partial for this run's inventory and rules. Events of rules no longer
/// in the catalogue count as unclassified; they are returned by rule id with their counts.
pub fn from_stored(
    cells: StoredCells,
    inv: &Inventory,
    rules: &RuleSet,
) -> (Partial, BTreeMap<String, u64>) {
    let vps_index = |v: &Option<String>| {
        v.as_deref()
            .and_then(|v| inv.vps_index(v))
            .map(|v| v as u32)
    };
    let parse_ip = |ip: &Option<String>| ip.as_deref().and_then(|i| i.parse().ok());
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
            observed_vps: vps_index(&a.vps),
            ip: parse_ip(&a.ip),
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
            });
    }
    for (day, (a, b)) in cells.times {
        let t = out.times.entry(day).or_insert((a, b));
        t.0 = t.0.min(a);
        t.1 = t.1.max(b);
    }
    (out, unknown_rules)
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
    let cells = to_stored(partial, inv, rules, Some(day));
    let events: Vec<StoredEvent> = cells.events.into_iter().map(|(_, e)| e).collect();
    let activity: Vec<StoredActivity> = cells.activity.into_iter().map(|(_, a)| a).collect();
    let unclassified: Vec<StoredUnclassified> =
        cells.unclassified.into_iter().map(|(_, u)| u).collect();
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
    crate::fsio::write_atomically(&path, |w| {
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

/// Read and parse one day file (any problem as text, for the error naming the file).
fn load_day_file(path: &Path) -> Result<DayFile, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let gz = flate2::read::GzDecoder::new(BufReader::new(f));
    let file: DayFile = serde_json::from_reader(BufReader::new(gz)).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!(
            "day file version {} is not {VERSION}",
            file.version
        ));
    }
    Ok(file)
}

fn unreadable(dir: &Path, name: &str, day: i32, problem: String) -> crate::error::Error {
    crate::error::Error::StateDay {
        path: dir.join(name),
        date: date_of_day(day).to_string(),
        problem,
    }
}

/// Check that every day file the state names can be read (for `check-config`).
pub fn check_days(dir: &Path, days: &BTreeMap<String, String>) -> crate::error::Result<()> {
    for (date, name) in days {
        load_day_file(&dir.join(name)).map_err(|problem| crate::error::Error::StateDay {
            path: dir.join(name),
            date: date.clone(),
            problem,
        })?;
    }
    Ok(())
}

/// Read one stored day into `into` (as day `day`). A day file that cannot be read stops the
/// run: the day would otherwise be reported, and stored again, with only tonight's lines.
pub fn read_day(
    dir: &Path,
    name: &str,
    day: i32,
    inv: &Inventory,
    rules: &RuleSet,
    into: &mut Partial,
    problems: &mut Vec<LoadProblem>,
) -> crate::error::Result<()> {
    let path = dir.join(name);
    let file = load_day_file(&path).map_err(|p| unreadable(dir, name, day, p))?;
    let cells = StoredCells {
        events: file.events.into_iter().map(|e| (day, e)).collect(),
        activity: file.activity.into_iter().map(|a| (day, a)).collect(),
        unclassified: file.unclassified.into_iter().map(|u| (day, u)).collect(),
        times: if file.first != 0 || file.last != 0 {
            vec![(day, (file.first, file.last))]
        } else {
            Vec::new()
        },
    };
    let (day_partial, unknown_rules) = from_stored(cells, inv, rules);
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
    Ok(())
}
