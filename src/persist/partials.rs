//! Parquet partials: one host's parsed, classified, per-day aggregates, to be merged anywhere
//! (`blockscope report`, or the Spark job in scripts/spark). Schema: docs/partials.md.
//!
//! One long table: every row has a `kind` and uses the columns that kind needs (the rest null),
//! so one file carries cells, input counters and problems, and a reader needs no side files.

use super::cells::{self, StoredActivity, StoredCells, StoredEvent, StoredUnclassified};
use crate::classify::RuleSet;
use crate::error::{Error, Result};
use crate::model::day::{date_of_day, day_of_date};
use crate::model::{Partial, Problem, Quoted, QuotedLines, Stats};
use polars::prelude::*;
// polars-io directly, not polars' `parquet` feature: that one links a network stack (Cargo.toml).
use polars_io::prelude::{ParquetReader, ParquetWriter, SerReader};
use std::collections::BTreeMap;
use std::path::Path;

/// Bumped when a column changes meaning or disappears (new columns may be added). 2: cells as
/// logged (`pending`, `stand_in` and `quoted` rows), decided by `report` with its inventory.
pub(crate) const SCHEMA_VERSION: u64 = 2;

/// The columns, in file order: (name, type).
pub(crate) const COLUMNS: &[(&str, &str)] = &[
    ("kind", "string"),
    ("host_id", "string"),
    ("day", "string"),
    ("vps_id", "string"),
    ("ip", "string"),
    ("ip_source", "string"),
    ("rule_id", "string"),
    ("platform", "string"),
    ("code", "string"),
    ("receiver_rule_id", "string"),
    ("events", "u64"),
    ("first", "i64"),
    ("last", "i64"),
    ("sample_time", "i64"),
    ("sample", "string"),
    ("sent", "u64"),
    ("deferred", "u64"),
    ("bounced", "u64"),
    ("reply", "string"),
    ("ips", "string"),
    ("name", "string"),
    ("value", "u64"),
    ("line", "u64"),
    ("reason", "string"),
    ("pending", "string"),
];

#[derive(Default)]
struct Rows {
    s: BTreeMap<&'static str, Vec<Option<String>>>,
    u: BTreeMap<&'static str, Vec<Option<u64>>>,
    i: BTreeMap<&'static str, Vec<Option<i64>>>,
    n: usize,
}

impl Rows {
    fn push(
        &mut self,
        strings: &[(&'static str, Option<String>)],
        unsigned: &[(&'static str, u64)],
        signed: &[(&'static str, i64)],
    ) {
        for (name, ty) in COLUMNS {
            match *ty {
                "string" => {
                    let v = strings
                        .iter()
                        .find(|(n, _)| n == name)
                        .and_then(|(_, v)| v.clone());
                    self.s.entry(name).or_default().push(v);
                }
                "u64" => {
                    let v = unsigned.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                    self.u.entry(name).or_default().push(v);
                }
                _ => {
                    let v = signed.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                    self.i.entry(name).or_default().push(v);
                }
            }
        }
        self.n += 1;
    }

    fn frame(mut self) -> PolarsResult<DataFrame> {
        let columns: Vec<Column> = COLUMNS
            .iter()
            .map(|(name, ty)| match *ty {
                "string" => Column::new((*name).into(), self.s.remove(name).unwrap_or_default()),
                "u64" => Column::new((*name).into(), self.u.remove(name).unwrap_or_default()),
                _ => Column::new((*name).into(), self.i.remove(name).unwrap_or_default()),
            })
            .collect();
        DataFrame::new_infer_height(columns)
    }
}

fn counters(s: &mut Stats) -> [(&'static str, &mut u64); 18] {
    [
        ("files", &mut s.files),
        ("bytes", &mut s.bytes),
        ("lines", &mut s.lines),
        ("noise_lines", &mut s.noise_lines),
        ("sent", &mut s.sent),
        ("deferred", &mut s.deferred),
        ("bounced", &mut s.bounced),
        ("non_final_replies", &mut s.non_final_replies),
        ("expired", &mut s.expired),
        ("suspended", &mut s.suspended),
        ("local_handoffs", &mut s.local_handoffs),
        ("files_unchanged", &mut s.files_unchanged),
        ("files_resumed", &mut s.files_resumed),
        ("held_back_lines", &mut s.held_back_lines),
        ("split_files", &mut s.split_files),
        ("split_ranges", &mut s.split_ranges),
        (
            "unclassified_dropped_in_files",
            &mut s.unclassified_dropped_in_files,
        ),
        (
            "unclassified_dropped_in_run",
            &mut s.unclassified_dropped_in_run,
        ),
    ]
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// Write `partial` as a Parquet partial (atomically).
pub(crate) fn write(path: &Path, partial: &Partial, rules: &RuleSet, host_id: &str) -> Result<u64> {
    let cells = cells::to_stored(partial, rules, None);
    let host = some(host_id);
    let mut rows = Rows::default();
    let base = |kind: &str| vec![("kind", some(kind)), ("host_id", host.clone())];
    rows.push(
        &[base("meta"), vec![("name", some("schema_version"))]].concat(),
        &[("value", SCHEMA_VERSION)],
        &[],
    );
    for (day, e) in cells.events {
        let mut s = base("event");
        s.extend([
            ("day", some(&date_of_day(day).to_string())),
            ("vps_id", e.vps),
            ("ip", e.ip),
            ("ip_source", some(&e.ip_source)),
            ("rule_id", some(&e.rule)),
            ("platform", some(&e.platform)),
            ("code", some(&e.code)),
            ("receiver_rule_id", e.receiver_rule_id),
            ("sample", some(&e.sample)),
            ("pending", e.pending),
        ]);
        rows.push(
            &s,
            &[("events", e.events)],
            &[
                ("first", e.first),
                ("last", e.last),
                ("sample_time", e.sample_time),
            ],
        );
    }
    for (day, a) in cells.activity {
        let mut s = base("activity");
        s.extend([
            ("day", some(&date_of_day(day).to_string())),
            ("vps_id", a.vps),
            ("ip", a.ip),
            ("pending", a.pending),
        ]);
        rows.push(
            &s,
            &[
                ("sent", a.sent),
                ("deferred", a.deferred),
                ("bounced", a.bounced),
            ],
            &[],
        );
    }
    for (day, u) in cells.unclassified {
        let ips: Vec<String> = u
            .ips
            .iter()
            .map(|ip| ip.clone().unwrap_or_default())
            .collect();
        let group = [
            ("day", some(&date_of_day(day).to_string())),
            ("platform", some(&u.platform)),
            ("code", some(&u.code)),
            ("reply", some(&u.reply)),
        ];
        let mut s = base("unclassified");
        s.extend(group.clone());
        s.push(("ips", Some(ips.join(";"))));
        rows.push(&s, &[("events", u.events)], &[]);
        for (vps, family) in u.stand_ins {
            let mut s = base("stand_in");
            s.extend(group.clone());
            s.extend([("vps_id", Some(vps)), ("pending", Some(family))]);
            rows.push(&s, &[], &[]);
        }
    }
    for ((file, vps, ip), seen) in &partial.quoted {
        let mut s = base("quoted");
        s.extend([
            ("name", some(file)),
            ("vps_id", some(vps)),
            ("ip", Some(ip.to_string())),
        ]);
        rows.push(&s, &[("value", seen.lines), ("line", seen.first_line)], &[]);
    }
    for (day, (first, last)) in cells.times {
        let mut s = base("time");
        s.push(("day", some(&date_of_day(day).to_string())));
        rows.push(&s, &[], &[("first", first), ("last", last)]);
    }
    let mut stats = partial.stats.clone();
    for (name, value) in counters(&mut stats) {
        let mut s = base("stat");
        s.push(("name", some(name)));
        rows.push(&s, &[("value", *value)], &[]);
    }
    for (kind, map) in [("skip", &stats.skipped), ("repair", &stats.repaired)] {
        for (reason, n) in map {
            let mut s = base(kind);
            s.push(("name", some(reason)));
            rows.push(&s, &[("value", *n)], &[]);
        }
    }
    for (kind, dirs) in [
        ("unknown_dir", &stats.unknown_vps_dirs),
        ("dir_as_logged", &stats.dirs_as_logged),
    ] {
        for (dir, n) in dirs {
            let mut s = base(kind);
            s.push(("name", some(dir)));
            rows.push(&s, &[("value", *n)], &[]);
        }
    }
    for p in &stats.problems {
        let mut s = base("problem");
        s.extend([("name", some(&p.file)), ("reason", some(&p.reason))]);
        let line: Vec<(&str, u64)> = p.line.map(|l| ("line", l)).into_iter().collect();
        rows.push(&s, &line, &[]);
    }
    let mut df = rows.frame().map_err(|e| Error::Aggregate(e.to_string()))?;
    let mut written = 0;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Output {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    crate::fsio::write_atomically(path, |w| {
        written = ParquetWriter::new(w)
            .finish(&mut df)
            .map_err(std::io::Error::other)?;
        Ok(())
    })
    .map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(written)
}

/// A reason skip and repair counters keep as `&'static str` (a handful per run).
fn intern(text: &str) -> &'static str {
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.get(text) {
        return s;
    }
    let s: &'static str = Box::leak(text.to_string().into_boxed_str());
    seen.insert(s);
    s
}

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!(
        "{}: not a blockscope partial ({what}); write partials with `blockscope ingest`",
        path.display()
    ))
}

/// The partial's `schema_version` row must name this version: an older partial was decided
/// with the log host's inventory, or lacks what `report` now decides.
fn check_version(
    path: &Path,
    kind: &[Option<String>],
    name: &[Option<String>],
    value: &[Option<u64>],
) -> Result<()> {
    let version = (0..kind.len())
        .find(|&r| {
            kind[r].as_deref() == Some("meta") && name[r].as_deref() == Some("schema_version")
        })
        .and_then(|r| value[r]);
    match version {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(v) => Err(Error::Config(format!(
            "{}: partial of schema version {v}, this blockscope reads version {SCHEMA_VERSION}; re-run blockscope ingest on the log host with this version",
            path.display()
        ))),
        None => Err(bad(path, "no schema_version row")),
    }
}

/// Read a partial back for this run's inventory and rules.
pub(crate) fn read(path: &Path, rules: &RuleSet) -> Result<Partial> {
    let file = std::fs::File::open(path).map_err(|e| bad(path, e))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| bad(path, e))?;
    let s = |name: &str| -> Result<Vec<Option<String>>> {
        let col = df.column(name).map_err(|e| bad(path, e))?;
        let ca = col.str().map_err(|e| bad(path, e))?;
        Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
    };
    let u = |name: &str| -> Result<Vec<Option<u64>>> {
        let col = df.column(name).map_err(|e| bad(path, e))?;
        Ok(col.u64().map_err(|e| bad(path, e))?.iter().collect())
    };
    let i = |name: &str| -> Result<Vec<Option<i64>>> {
        let col = df.column(name).map_err(|e| bad(path, e))?;
        Ok(col.i64().map_err(|e| bad(path, e))?.iter().collect())
    };
    let (kind, name, value) = (s("kind")?, s("name")?, u("value")?);
    check_version(path, &kind, &name, &value)?;
    let (day, vps, ip, ip_source, rule, platform, code, rrid) = (
        s("day")?,
        s("vps_id")?,
        s("ip")?,
        s("ip_source")?,
        s("rule_id")?,
        s("platform")?,
        s("code")?,
        s("receiver_rule_id")?,
    );
    let (sample, reply, ips, reason, pending) = (
        s("sample")?,
        s("reply")?,
        s("ips")?,
        s("reason")?,
        s("pending")?,
    );
    let (events, sent, deferred, bounced, line) = (
        u("events")?,
        u("sent")?,
        u("deferred")?,
        u("bounced")?,
        u("line")?,
    );
    // What a cell as logged waits for: checked here, so a row no version writes is an error.
    let pending_at = |r: usize| -> Result<Option<String>> {
        match cells::parse_pending(pending[r].as_deref()) {
            Some(_) => Ok(pending[r].clone()),
            None => Err(bad(
                path,
                format!("row {}: pending {:?}", r + 1, pending[r]),
            )),
        }
    };
    let (first, last, sample_time) = (i("first")?, i("last")?, i("sample_time")?);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let day_of = |r: usize| -> Result<i32> {
        let d = day[r].as_deref().unwrap_or_default();
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(day_of_date)
            .map_err(|_| bad(path, format!("row {}: day {d:?} is not YYYY-MM-DD", r + 1)))
    };
    let stand_in_family = |r: usize| -> Result<String> {
        match pending_at(r)? {
            Some(family) if family != "quoted" => Ok(family),
            _ => Err(bad(
                path,
                format!("row {}: stand_in without a family", r + 1),
            )),
        }
    };
    let mut cells = StoredCells::default();
    let mut stats = Stats::default();
    let mut stand_ins: Vec<(i32, StoredUnclassified)> = Vec::new();
    let mut quoted = Quoted::new();
    for r in 0..df.height() {
        match kind[r].as_deref().unwrap_or_default() {
            "event" => cells.events.push((
                day_of(r)?,
                StoredEvent {
                    ip: ip[r].clone(),
                    rule: text(&rule[r]),
                    vps: vps[r].clone(),
                    ip_source: text(&ip_source[r]),
                    platform: text(&platform[r]),
                    code: text(&code[r]),
                    receiver_rule_id: rrid[r].clone(),
                    events: events[r].unwrap_or(0),
                    first: first[r].unwrap_or(0),
                    last: last[r].unwrap_or(0),
                    sample_time: sample_time[r].unwrap_or(0),
                    sample: text(&sample[r]),
                    pending: pending_at(r)?,
                },
            )),
            "activity" => cells.activity.push((
                day_of(r)?,
                StoredActivity {
                    ip: ip[r].clone(),
                    vps: vps[r].clone(),
                    sent: sent[r].unwrap_or(0),
                    deferred: deferred[r].unwrap_or(0),
                    bounced: bounced[r].unwrap_or(0),
                    pending: pending_at(r)?,
                },
            )),
            "unclassified" => cells.unclassified.push((
                day_of(r)?,
                StoredUnclassified {
                    reply: text(&reply[r]),
                    platform: text(&platform[r]),
                    code: text(&code[r]),
                    events: events[r].unwrap_or(0),
                    // Never empty (every cell has at least one event); "" is "no IP".
                    ips: text(&ips[r])
                        .split(';')
                        .map(|s| (!s.is_empty()).then(|| s.to_string()))
                        .collect(),
                    stand_ins: Vec::new(),
                },
            )),
            // Added to its group's cell: no events of its own, one address-less VPS.
            "stand_in" => stand_ins.push((
                day_of(r)?,
                StoredUnclassified {
                    reply: text(&reply[r]),
                    platform: text(&platform[r]),
                    code: text(&code[r]),
                    events: 0,
                    ips: Vec::new(),
                    stand_ins: vec![(text(&vps[r]), stand_in_family(r)?)],
                },
            )),
            "quoted" => {
                let address = ip[r].as_deref().and_then(|i| i.parse().ok());
                let (Some(address), Some(v)) = (address, vps[r].as_deref()) else {
                    return Err(bad(
                        path,
                        format!("row {}: quoted row without ip or vps_id", r + 1),
                    ));
                };
                let key = (
                    text(&name[r]).into_boxed_str(),
                    crate::model::name::intern(v),
                    address,
                );
                let lines = QuotedLines {
                    lines: value[r].unwrap_or(0),
                    first_line: line[r].unwrap_or(0),
                };
                crate::model::quoted::merge(&mut quoted, Quoted::from([(key, lines)]));
            }
            "time" => cells
                .times
                .push((day_of(r)?, (first[r].unwrap_or(0), last[r].unwrap_or(0)))),
            "stat" => {
                let n = text(&name[r]);
                if let Some((_, slot)) = counters(&mut stats).into_iter().find(|(k, _)| *k == n) {
                    *slot += value[r].unwrap_or(0);
                }
            }
            "skip" => {
                *stats.skipped.entry(intern(&text(&name[r]))).or_default() += value[r].unwrap_or(0)
            }
            "repair" => {
                *stats.repaired.entry(intern(&text(&name[r]))).or_default() += value[r].unwrap_or(0)
            }
            "unknown_dir" => {
                *stats.unknown_vps_dirs.entry(text(&name[r])).or_default() += value[r].unwrap_or(0)
            }
            "dir_as_logged" => {
                *stats.dirs_as_logged.entry(text(&name[r])).or_default() += value[r].unwrap_or(0)
            }
            "problem" => stats.problems.push(Problem {
                file: text(&name[r]),
                line: line[r],
                reason: text(&reason[r]),
            }),
            _ => {}
        }
    }
    cells.unclassified.extend(stand_ins);
    let (mut partial, unknown_rules) = cells::from_stored(cells, rules);
    partial.quoted = quoted;
    for (rule, n) in unknown_rules {
        stats.problem(
            &path.display().to_string(),
            None,
            format!("{n} event(s) of rule {rule}, which this catalogue lacks, count as unclassified; ingest again with the same --rules"),
        );
    }
    partial.stats = stats;
    Ok(partial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{name, ActivityKey, EventKey, IpSource, Pending, UnclassifiedKey};

    /// Cells as logged survive the round trip, so `report` decides exactly what `run` would.
    #[test]
    fn cells_as_logged_round_trip() {
        let rules = RuleSet::builtin();
        let vps = Some(name::intern("web1"));
        let ip: Option<std::net::IpAddr> = "198.51.100.8".parse().ok();
        let logged = |quoted, v6| Pending::AsLogged { quoted, v6 };
        let mut p = Partial::default();
        for (ip, ip_source, pending) in [
            (ip, IpSource::Reply, logged(true, None)),
            (None, IpSource::Unknown, logged(false, Some(true))),
            (None, IpSource::Unknown, logged(false, None)),
            (ip, IpSource::MtaInterface, Pending::Decided),
        ] {
            let key = EventKey {
                day: 20_000,
                observed_vps: vps,
                ip,
                ip_source,
                rule: rules.unclassified_idx(),
                platform: "gmail",
                code: "4.3.5".into(),
                receiver_rule_id: None,
                pending,
            };
            p.record_event(key, 1_000, "451 4.3.5 try later");
            let key = ActivityKey {
                day: 20_000,
                observed_vps: vps,
                ip,
                pending,
            };
            p.activity.entry(key).or_default().deferred += 1;
        }
        let group = UnclassifiedKey {
            day: 20_000,
            reply: "451 try later".into(),
            platform: "gmail",
            code: "4.3.5".into(),
        };
        p.record_unclassified(group.clone(), None, vps.map(|v| (v, Some(false))));
        p.record_unclassified(group, ip, None);
        let quoted = QuotedLines {
            lines: 3,
            first_line: 7,
        };
        p.quoted.insert(
            (
                "web1/mail.log".into(),
                "web1",
                "203.0.113.25".parse().unwrap(),
            ),
            quoted,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        write(&path, &p, rules, "host").unwrap();
        let back = read(&path, rules).unwrap();
        assert_eq!(back.events, p.events);
        assert_eq!(back.activity, p.activity);
        assert_eq!(back.unclassified, p.unclassified);
        assert_eq!(back.quoted, p.quoted);
    }
}
