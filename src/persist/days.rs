//! The state's per-day store: what earlier runs read, one gzip'd JSON file per calendar day, so a report
//! window (`--days 7`) never needs logs that were already read (or have since been rotated away).
//!
//! Stored with stable names (rule id, vps_id, IP text), never the run's indexes: the inventory and
//! the rule file may change between runs. Owners are looked up again at every run, so an
//! inventory change applies to stored days too; a rule change does not reclassify stored events
//! (`--full` re-reads the logs that are still there).

use super::cells::{
    from_stored, to_stored, StoredActivity, StoredCells, StoredEvent, StoredUnclassified,
};
use crate::classify::RuleSet;
use crate::model::day::date_of_day;
use crate::model::Partial;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufReader, Write as _};
use std::path::{Path, PathBuf};

pub(crate) const DIR: &str = "days";
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

/// The stored name of a day's file for a given state generation.
pub(crate) fn file_name(day: i32, generation: u64) -> String {
    format!("{DIR}/{}.g{generation}.json.gz", date_of_day(day))
}

/// Write one day of `partial` (days other than `day` are ignored) to `dir/name`.
pub(crate) fn write_day(
    dir: &Path,
    name: &str,
    day: i32,
    partial: &Partial,
    rules: &RuleSet,
) -> std::io::Result<()> {
    let cells = to_stored(partial, rules, Some(day));
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
pub(crate) struct LoadProblem {
    pub(crate) path: PathBuf,
    pub(crate) reason: String,
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
pub(crate) fn check_days(dir: &Path, days: &BTreeMap<String, String>) -> crate::error::Result<()> {
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
pub(crate) fn read_day(
    dir: &Path,
    name: &str,
    day: i32,
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
    let (day_partial, unknown_rules) = from_stored(cells, rules);
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
