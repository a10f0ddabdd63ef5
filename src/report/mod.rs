//! Reports: one module per output, written into a staging directory and swapped into place so a
//! failed run never leaves a half-written report set where a good one was.

pub(crate) mod cases;
pub(crate) mod cells;
pub(crate) mod customers;
pub(crate) mod delist;
pub(crate) mod dnsbl;
pub(crate) mod html;
pub(crate) mod input_problems;
pub(crate) mod ips;
pub(crate) mod metrics;
pub(crate) mod notice;
pub(crate) mod run_summary;
pub(crate) mod snds_unknown;
pub(crate) mod subnets;
pub(crate) mod summary_md;
pub(crate) mod templates;
pub(crate) mod text;
pub(crate) mod unclassified;
pub(crate) mod view;

use crate::aggregate::Aggregates;
use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Marker file identifying a directory as a blockscope report set (so we never replace anything else).
pub(crate) const MARKER: &str = ".blockscope";

/// Settings that shape the reports (not the analysis).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportOptions {
    /// Who files the delisting requests, written into each of them.
    pub(crate) provider: crate::model::Provider,
    /// Previous report sets kept in `<out>.archive/` (0: none).
    pub(crate) keep: usize,
    /// The texts for people: built in, or the provider's `--templates`.
    pub(crate) templates: templates::Templates,
    /// Workers writing the report files (`--threads`).
    pub(crate) threads: usize,
}

/// Write every report into `out`, atomically replacing a previous report set.
pub(crate) fn write_report_set(
    out: &Path,
    agg: &Aggregates,
    options: &ReportOptions,
) -> Result<()> {
    let io = |source: std::io::Error| Error::Output {
        path: out.to_path_buf(),
        source,
    };
    if out.exists() && !is_replaceable(out).map_err(io)? {
        return Err(Error::OutNotOurs {
            path: out.to_path_buf(),
        });
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io)?;
    let owner = out.file_name().unwrap_or(out.as_os_str());
    remove_stale_staging(&parent, owner);
    let staging = tempfile::Builder::new()
        .prefix(&staging_prefix(owner))
        .tempdir_in(&parent)
        .map_err(io)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    pool.install(|| write_into(staging.path(), agg, options))
        .map_err(io)?;
    let staged = staging.keep();
    // Never swap in a set that is not whole, whoever touched the staging directory meanwhile.
    if !staged.join(MARKER).is_file() || !staged.join("summary").is_dir() {
        let _ = fs::remove_dir_all(&staged);
        return Err(io(std::io::Error::other(
            "the staging directory was changed by another process before the swap",
        )));
    }
    if !out.exists() {
        return fs::rename(&staged, out).map_err(|e| {
            let _ = fs::remove_dir_all(&staged);
            io(e)
        });
    }
    // Swap the new set in with one atomic exchange: `out` never stops being a complete set.
    if let Err(e) = exchange(&staged, out) {
        let _ = fs::remove_dir_all(&staged);
        return Err(io(e));
    }
    // `staged` now holds the previous set: archive it or delete it.
    if options.keep > 0 {
        archive(&staged, out, options.keep).map_err(io)
    } else {
        fs::remove_dir_all(&staged).map_err(io)
    }
}

/// Staging directories are named `.blockscope-staging.<out name>.<random>`: the owner is the
/// report directory whose lock (`<out name>.lock`) guards it.
const STAGING: &str = ".blockscope-staging.";

fn staging_prefix(owner: &std::ffi::OsStr) -> std::ffi::OsString {
    let mut prefix = std::ffi::OsString::from(STAGING);
    prefix.push(owner);
    prefix.push(".");
    prefix
}

/// Whether `name` is a staging directory of the report directory `owner`. The random tail has
/// no `.`, so `<out>.v2`'s staging is never taken for `<out>`'s.
pub(crate) fn is_staging_of(name: &std::ffi::OsStr, owner: &std::ffi::OsStr) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let prefix = staging_prefix(owner);
    name.as_bytes()
        .strip_prefix(prefix.as_bytes())
        .is_some_and(|tail| !tail.is_empty() && tail.iter().all(u8::is_ascii_alphanumeric))
}

/// A run killed mid-write (kill -9, power loss) leaves its staging directory behind. Only this
/// report directory's own are removed: the caller holds its lock, so they are stale. Another
/// `--out`'s staging in the same directory may belong to a live run (removing it once made that
/// run swap in a set without `summary/`) and is left to that directory's next run; taking its
/// lock to check would make that next run fail with "locked". Staging directories of versions
/// before this rule (`.blockscope-staging-XXXXXX`) name no owner and are left alone too.
fn remove_stale_staging(parent: &Path, owner: &std::ffi::OsStr) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if is_staging_of(&e.file_name(), owner) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Atomically exchange two directories (Linux renameat2 RENAME_EXCHANGE).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both paths are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `<out>.<suffix>` beside the report directory (`reports.lock`, `reports.archive`).
pub(crate) fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out
        .file_name()
        .map_or_else(|| std::ffi::OsString::from("out"), |n| n.to_os_string());
    name.push(".");
    name.push(suffix);
    out.with_file_name(name)
}

/// Move the previous set to `<out>.archive/<n>` (n counts up) and keep the newest `keep` there.
fn archive(previous: &Path, out: &Path, keep: usize) -> std::io::Result<()> {
    let dir = sibling(out, "archive");
    fs::create_dir_all(&dir)?;
    let mut sets: Vec<u64> = fs::read_dir(&dir)?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    sets.sort_unstable();
    let next = sets.last().map_or(1, |n| n + 1);
    fs::rename(previous, dir.join(format!("{next:06}")))?;
    sets.push(next);
    for old in &sets[..sets.len().saturating_sub(keep)] {
        fs::remove_dir_all(dir.join(format!("{old:06}")))?;
    }
    Ok(())
}

fn is_replaceable(out: &Path) -> std::io::Result<bool> {
    Ok(out.join(MARKER).is_file() || fs::read_dir(out)?.next().is_none())
}

/// One report file: its path below the report directory and what writes it.
type Job<'a> = (
    &'static str,
    Box<dyn Fn(&mut dyn Write) -> std::io::Result<()> + Sync + 'a>,
);

fn write_into(dir: &Path, agg: &Aggregates, options: &ReportOptions) -> std::io::Result<()> {
    use rayon::prelude::*;
    fs::create_dir_all(dir.join("summary"))?;
    fs::create_dir_all(dir.join("customers"))?;
    fs::create_dir_all(dir.join("delist"))?;
    let provider = &options.provider;
    // The longest first, so the workers finish together. Each file is written by one worker
    // from the same data: the bytes do not depend on the thread count.
    let mut jobs: Vec<Job> = vec![
        ("summary/summary.html", Box::new(|w| html::write(w, agg))),
        ("summary/ips.csv", Box::new(|w| ips::write(w, agg))),
        (
            "summary/summary.md",
            Box::new(|w| summary_md::write(w, agg)),
        ),
        (
            "delist/outlook-com.txt",
            Box::new(|w| delist::write_outlook(w, agg, provider)),
        ),
        (
            "delist/office365.csv",
            Box::new(|w| delist::write_office365(w, agg, provider.email.as_deref())),
        ),
        (
            "delist/delist-microsoft-5.7.511.txt",
            Box::new(|w| delist::write_5_7_511(w, agg, provider)),
        ),
        (
            "delist/dnsbl-lookups.csv",
            Box::new(|w| delist::write_dnsbl(w, agg)),
        ),
        ("summary/subnets.csv", Box::new(|w| subnets::write(w, agg))),
        (
            "summary/unclassified.csv",
            Box::new(|w| unclassified::write(w, agg)),
        ),
        (
            "summary/input-problems.csv",
            Box::new(|w| input_problems::write(w, agg)),
        ),
    ];
    if agg.dnsbl.is_some() {
        jobs.push(("summary/dnsbl.csv", Box::new(|w| dnsbl::write(w, agg))));
    }
    if let Some(report) = &agg.cases {
        jobs.push((
            "summary/cases.csv",
            Box::new(|w| cases::write_csv(w, report)),
        ));
    }
    if agg.snds_given {
        jobs.push((
            "summary/snds-unknown-ips.csv",
            Box::new(|w| snds_unknown::write(w, agg)),
        ));
    }
    let by_customer = agg.rows_by_customer();
    let notices =
        notice::NoticeContext::new(agg, &options.templates, options.provider.name.as_deref());
    let customer = |(customer_id, name): &(String, String)| -> std::io::Result<()> {
        let rows = by_customer
            .get(customer_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let path = dir.join("customers").join(format!("{customer_id}.csv"));
        write_file(&path, |w| customers::write(w, agg, rows))?;
        let path = dir.join("customers").join(format!("{customer_id}.md"));
        let text = notices
            .render(customer_id, name, rows)
            .map_err(std::io::Error::other)?;
        write_file(&path, |w| w.write_all(text.as_bytes()))
    };
    let (summaries, customers) = rayon::join(
        || {
            jobs.par_iter()
                .with_max_len(1)
                .try_for_each(|(path, body)| write_file(&dir.join(path), body))
        },
        || agg.customers.par_iter().try_for_each(customer),
    );
    summaries?;
    customers?;
    write_file(&dir.join(MARKER), |w| {
        writeln!(w, "This directory is a blockscope report set; blockscope replaces it as a whole on every run.")
    })?;
    // One flush of the file system instead of an fsync per file (thousands of customers).
    sync_filesystem(dir)
}

/// Make everything written below `dir` durable before the set is swapped in.
fn sync_filesystem(dir: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let handle = fs::File::open(dir)?;
    // SAFETY: the descriptor is open for the duration of the call.
    if unsafe { libc::syncfs(handle.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn write_file(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = fs::File::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    body(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())?;
    Ok(())
}

/// Report times: ISO 8601 UTC.
pub(crate) fn iso(micros: i64) -> String {
    crate::model::day::format_utc(micros)
}

/// Every CSV report is written through this: cells are neutralised for spreadsheets.
pub(crate) fn csv_writer(w: &mut dyn Write) -> SafeCsv<'_> {
    SafeCsv(csv::WriterBuilder::new().from_writer(w))
}

/// A CSV writer whose cells cannot act as spreadsheet formulas (OWASP CSV injection) or carry
/// control characters: replies and SNDS comments are written by outsiders.
pub(crate) struct SafeCsv<'a>(csv::Writer<&'a mut dyn Write>);

impl SafeCsv<'_> {
    pub(crate) fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            record
                .into_iter()
                .map(|cell| neutralise(cell.as_ref()).into_owned()),
        )
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A cell safe to open in a spreadsheet: a leading `= + - @ TAB CR` gets a `'` in front (the
/// OWASP advice), control characters become visible `\xNN` escapes, and bidi controls become
/// U+FFFD as in the HTML report (they would show a reply in another order than written).
pub(crate) fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let control = cell
        .chars()
        .any(|c| c.is_control() || text::is_bidi_control(c));
    if !formula && !control {
        return std::borrow::Cow::Borrowed(cell);
    }
    let mut out = String::with_capacity(cell.len() + 4);
    if formula {
        out.push('\'');
    }
    for c in cell.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if text::is_bidi_control(c) {
            out.push('\u{FFFD}');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub(crate) fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn a_staging_directory_belongs_to_exactly_one_out() {
        let mine = OsStr::new("reports");
        assert!(is_staging_of(
            OsStr::new(".blockscope-staging.reports.Ab12Cd"),
            mine
        ));
        for other in [
            ".blockscope-staging.reports.v2.Ab12Cd", // `reports.v2`'s
            ".blockscope-staging.reports-x.Ab12Cd",
            ".blockscope-staging.report.Ab12Cd",
            ".blockscope-staging.reports.",
            ".blockscope-staging-Ab12Cd", // an older version's: owner unknown
            "reports",
        ] {
            assert!(!is_staging_of(OsStr::new(other), mine), "{other}");
        }
    }

    #[test]
    fn cleanup_removes_only_the_own_stale_staging() {
        let parent = tempfile::tempdir().unwrap();
        let names = [
            ".blockscope-staging.out.Ab12Cd",
            ".blockscope-staging.out.v2.Ab12Cd",
            ".blockscope-staging.other.Xy34Zw",
            ".blockscope-staging-Qr56St",
        ];
        for n in names {
            fs::create_dir_all(parent.path().join(n).join("summary")).unwrap();
        }
        remove_stale_staging(parent.path(), OsStr::new("out"));
        let left: Vec<bool> = names
            .iter()
            .map(|n| parent.path().join(n).exists())
            .collect();
        assert_eq!(left, [false, true, true, true]);
    }
}
