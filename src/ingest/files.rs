//! Discovery: the fleet's log files under `LOGS/<vps_dir>/`, each with the latest time its last
//! line can have (mtime, capped by newer rotations), for the year of year-less stamps.

use crate::model::Stats;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One log file of one VPS.
#[derive(Debug, Clone)]
pub(crate) struct LogFile {
    pub(crate) path: PathBuf,
    /// Path relative to the logs directory, `/`-separated, for messages and reports.
    pub(crate) name: String,
    /// The VPS directory it sits in (the vps_id).
    pub(crate) vps_dir: String,
    pub(crate) size: u64,
    /// Latest possible time of its last line (Unix micros): mtime, capped by newer rotations.
    pub(crate) anchor: Option<i64>,
}

/// Walk `logs`: every regular file below a VPS directory is a log.
pub(crate) fn discover(logs: &Path, stats: &mut Stats) -> Vec<LogFile> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(logs)
        .min_depth(1)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let name = e
                    .path()
                    .map_or_else(|| logs.display().to_string(), |p| relative_name(logs, p));
                stats.problem(&name, None, describe_walk_error(&e));
                continue;
            }
        };
        let name = relative_name(logs, entry.path());
        let file_type = entry.file_type();
        if file_type.is_dir() {
            if entry.depth() > 1 && looks_like_log_name(&entry.file_name().to_string_lossy()) {
                stats.problem(
                    &name,
                    None,
                    "a directory named like a log file; its contents are read as logs",
                );
            }
            continue;
        }
        if !file_type.is_file() {
            stats.problem(
                &name,
                None,
                "not a regular file (socket, fifo or device); skipped",
            );
            continue;
        }
        if entry.depth() == 1 {
            stats.problem(
                &name,
                None,
                "file directly in the logs directory; move it into logs/<vps_id>/ so it can be attributed",
            );
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                stats.problem(&name, None, format!("cannot stat: {e}"));
                continue;
            }
        };
        let anchor = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as i64);
        let vps_dir = name.split('/').next().unwrap_or_default().to_string();
        files.push(LogFile {
            path: entry.path().to_path_buf(),
            name,
            vps_dir,
            size: meta.len(),
            anchor,
        });
    }
    cap_anchors_by_rotation(&mut files);
    files
}

fn looks_like_log_name(name: &str) -> bool {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let stem = stem.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    stem.ends_with(".log") || matches!(stem, "maillog" | "mainlog")
}

fn describe_walk_error(e: &walkdir::Error) -> String {
    if e.loop_ancestor().is_some() {
        return "symbolic link loop; skipped".into();
    }
    match e.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            "permission denied; skipped".into()
        }
        Some(io) => format!("{io}; skipped"),
        None => format!("{e}; skipped"),
    }
}

fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `mail.log` (0), `mail.log.1` (1), `mail.log.2.gz` (2), `mail.log-20261115.gz` (dated):
/// (series, position) with position ascending from newest to oldest.
fn rotation_key(name: &str) -> (String, i64) {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    if let Some((base, n)) = stem.rsplit_once('.') {
        if let Ok(n) = n.parse::<i64>() {
            if n < 1000 {
                return (base.to_string(), n);
            }
        }
    }
    if let Some((base, date)) = stem.rsplit_once('-') {
        if date.len() >= 8 && date.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(d) = date.parse::<i64>() {
                return (base.to_string(), -d);
            }
        }
    }
    (stem.to_string(), i64::MIN)
}

/// An older rotation ended before a newer one was last written: cap each anchor by the newer's.
fn cap_anchors_by_rotation(files: &mut [LogFile]) {
    let mut series: BTreeMap<String, Vec<(i64, usize)>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let (base, pos) = rotation_key(&f.name);
        series.entry(base).or_default().push((pos, i));
    }
    for members in series.values_mut() {
        members.sort();
        let mut cap: Option<i64> = None;
        for &(_, i) in members.iter() {
            let anchor = match (files[i].anchor, cap) {
                (Some(a), Some(c)) => Some(a.min(c)),
                (a, c) => a.or(c),
            };
            files[i].anchor = anchor;
            cap = anchor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_order() {
        assert_eq!(rotation_key("v/mail.log"), ("v/mail.log".into(), i64::MIN));
        assert_eq!(rotation_key("v/mail.log.1"), ("v/mail.log".into(), 1));
        assert_eq!(rotation_key("v/mail.log.2.gz"), ("v/mail.log".into(), 2));
        assert_eq!(
            rotation_key("v/mail.log-20261115.gz"),
            ("v/mail.log".into(), -20261115)
        );
    }
}
