//! `snds fetch`: Microsoft SNDS's automated-access exports, downloaded into the directory that
//! `run --snds` reads. Per run: the IP data (`data.aspx?key=K&date=MMDDYY`) of each of the last
//! N complete Pacific-time days that the directory does not hold yet, then the IP status
//! (`ipStatus.aspx?key=K`, a snapshot of now), named by today's date.
//!
//! What reaches the directory is only ever a whole export: a body is read completely, checked
//! (`answer`: rows, or empty), written to a temp file in a sub-directory `run` does not read,
//! and renamed over its name. A refused key (HTTP 4xx, a page where the CSV should be) stops
//! the run before anything else is asked; a server that does not answer is retried (`client`)
//! and named at the end. The key goes into the request URL only (`key::Key`).

mod answer;
mod client;
mod days;
mod key;

pub(crate) use key::Key;

use crate::config::FetchConfig;
use crate::error::FetchError;
use answer::Shape;
use client::{Client, Failure, Request};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Temp files are written here, inside `--out`, and renamed into it: `run --snds` reads every
/// file of the directory but no sub-directory, so a temp file a killed fetch left never reads
/// as an export.
const TMP_DIR: &str = ".snds-fetch.tmp";

/// What a fetch did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) dir: PathBuf,
    /// IP-data days written, and how many of them were empty.
    pub(crate) fetched: u32,
    pub(crate) empty: u32,
    /// Days whose IP data was already there.
    pub(crate) present: u32,
    /// `Some(empty)` when the IP status was written.
    pub(crate) status: Option<bool>,
    /// The exports SNDS did not give, each with why.
    pub(crate) failed: Vec<String>,
    pub(crate) retries: u32,
}

impl Outcome {
    /// `snds fetch: 3 day(s) fetched (1 empty), 2 already present; IP status fetched (/srv/snds)`.
    pub(crate) fn summary(&self) -> String {
        let failed_days =
            (self.failed.len() as u32).saturating_sub(u32::from(self.status.is_none()));
        let failed = if failed_days > 0 {
            format!(", {failed_days} failed")
        } else {
            String::new()
        };
        let status = match self.status {
            Some(false) => "fetched",
            Some(true) => "fetched (empty: nothing blocked)",
            None => "failed",
        };
        let retries = match self.retries {
            0 => String::new(),
            n => format!("; {n} request(s) retried"),
        };
        format!(
            "snds fetch: {} day(s) fetched ({} empty), {} already present{failed}; IP status {status}{retries} ({})",
            self.fetched,
            self.empty,
            self.present,
            self.dir.display()
        )
    }
}

/// Fetch what `config` asks for. `Err` only for a refused key or a directory that cannot be
/// written; exports SNDS did not give are listed in `Outcome::failed`.
pub(crate) fn fetch(config: &FetchConfig, key: &Key) -> Result<Outcome, FetchError> {
    let dir = &config.out;
    let tmp = prepare(dir)?;
    let today = days::today();
    let present = days::present(dir);
    let mut client = Client::new(key, &config.base_url);
    let mut outcome = Outcome {
        dir: dir.clone(),
        ..Outcome::default()
    };
    let refused = |request: &Request, answer: String| FetchError::BadKey {
        export: format!("{} ({})", request.shown(), request.label),
        answer,
        key_file: config.key_file.clone(),
    };
    for day in days::wanted(today, config.days) {
        if present.contains(&day) {
            outcome.present += 1;
            continue;
        }
        let request = Request::data(day);
        match client.get(&request) {
            Ok(body) => {
                let empty = store(dir, &tmp, &days::data_file(day), &body)?;
                outcome.fetched += 1;
                outcome.empty += u32::from(empty);
            }
            Err(Failure::Refused(answer)) => return Err(refused(&request, answer)),
            Err(Failure::GaveUp(why)) => outcome.failed.push(gave_up(&request, &why)),
        }
    }
    let request = Request::status();
    match client.get(&request) {
        Ok(body) => outcome.status = Some(store(dir, &tmp, &days::status_file(today), &body)?),
        Err(Failure::Refused(answer)) => return Err(refused(&request, answer)),
        Err(Failure::GaveUp(why)) => outcome.failed.push(gave_up(&request, &why)),
    }
    outcome.retries = client.retries;
    Ok(outcome)
}

fn gave_up(request: &Request, why: &str) -> String {
    format!("{} ({}): {why}", request.label, request.shown())
}

/// `dir` and its temp sub-directory, created if missing; temp files older than a minute (a
/// fetch killed between writing and renaming; a live one renames within milliseconds) removed.
fn prepare(dir: &Path) -> Result<PathBuf, FetchError> {
    let tmp = dir.join(TMP_DIR);
    std::fs::create_dir_all(&tmp).map_err(|error| FetchError::Write {
        dir: dir.to_path_buf(),
        file: TMP_DIR.to_string(),
        error,
    })?;
    let stale = |e: &std::fs::DirEntry| {
        e.metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(60))
    };
    for entry in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
        if stale(&entry) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(tmp)
}

/// Write `body` as `dir/name`, atomically; whether it was empty.
fn store(dir: &Path, tmp: &Path, name: &str, body: &[u8]) -> Result<bool, FetchError> {
    crate::fsio::write_atomically_public_via(&dir.join(name), tmp, |w| w.write_all(body)).map_err(
        |error| FetchError::Write {
            dir: dir.to_path_buf(),
            file: name.to_string(),
            error,
        },
    )?;
    Ok(answer::shape(body) == Shape::Empty)
}
