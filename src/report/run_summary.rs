//! The short run summary printed on stderr. Wall-clock figures live here, never in report files.

use super::text::printable;
use crate::aggregate::{Aggregates, Verdict};
use std::io::Write;
use std::time::Duration;

/// Wall-clock time per stage of a run (stderr and metrics only).
pub(crate) type Stages = [(&'static str, Duration)];

/// `delist_incomplete`: the delisting pack's note that the provider's identity is missing.
pub(crate) fn print(
    w: &mut dyn Write,
    agg: &Aggregates,
    elapsed: Duration,
    threads: usize,
    stages: &Stages,
    delist_incomplete: Option<&str>,
) -> std::io::Result<()> {
    print_text(w, agg, elapsed, threads, stages)?;
    if let Some(note) = delist_incomplete {
        writeln!(w, "  delisting pack: {note}")?;
    }
    Ok(())
}

fn print_text(
    w: &mut dyn Write,
    agg: &Aggregates,
    elapsed: Duration,
    threads: usize,
    stages: &Stages,
) -> std::io::Result<()> {
    let s = &agg.stats;
    let secs = elapsed.as_secs_f64().max(1e-9);
    writeln!(
        w,
        "blockscope: {} files, {:.1} MB, {} lines in {:.2}s ({:.1} MB/s, {} thread{})",
        s.files,
        s.bytes as f64 / 1e6,
        s.lines,
        secs,
        s.bytes as f64 / 1e6 / secs,
        threads,
        if threads == 1 { "" } else { "s" }
    )?;
    let times: Vec<String> = stages
        .iter()
        .map(|(name, d)| format!("{name} {:.2}s", d.as_secs_f64()))
        .collect();
    if !times.is_empty() {
        writeln!(w, "  stages: {}", times.join(", "))?;
    }
    writeln!(w, "  report window: {}", agg.window.describe())?;
    if agg.window.kind == crate::aggregate::WindowKind::SinceLastRun && agg.first_time.is_none() {
        writeln!(
            w,
            "  no new delivery lines since the last run: nothing is marked resolved (is log collection working?)"
        )?;
    }
    if s.files_unchanged + s.files_resumed + s.held_back_lines > 0 {
        writeln!(
            w,
            "  incremental: {} file(s) unchanged since the last run, {} read from where it stopped, {} unterminated last line(s) left for the next run",
            s.files_unchanged, s.files_resumed, s.held_back_lines
        )?;
    }
    if s.split_files > 0 {
        writeln!(
            w,
            "  split: {} huge file(s) read in {} ranges by all workers",
            s.split_files, s.split_ranges
        )?;
    }
    writeln!(
        w,
        "  deliveries: {} sent, {} deferred, {} bounced ({} non-final replies); {} expired; {} suspended retries; {} local hand-offs; {} noise lines",
        s.sent, s.deferred, s.bounced, s.non_final_replies, s.expired, s.suspended, s.local_handoffs, s.noise_lines
    )?;
    let blocked = blocked_ips(agg);
    let with = |v: Verdict| agg.subnets.iter().filter(|s| s.verdict == v).count();
    writeln!(
        w,
        "  verdicts: {} blocked IPs, {} neighbourhood subnet(s), {} with several separate listings",
        blocked.len(),
        with(Verdict::Neighbourhood),
        with(Verdict::SeveralListed)
    )?;
    if agg.snds_given {
        write_snds(w, &agg.snds_notes)?;
    }
    if !s.skipped.is_empty() {
        writeln!(w, "  skipped lines: {}", s.skipped_total())?;
        for (reason, n) in &s.skipped {
            writeln!(w, "    {n:>8}  {reason}")?;
        }
    }
    for (reason, n) in &s.repaired {
        writeln!(w, "  repaired lines: {n:>8}  {reason}")?;
    }
    if s.unclassified_dropped() > 0 {
        writeln!(w, "  {}", unclassified_cap_note(s))?;
    }
    if !s.problems.is_empty() {
        writeln!(
            w,
            "  input problems: {} (listed in summary/input-problems.csv)",
            s.problems.len()
        )?;
        for p in s.problems.iter().filter(|p| p.line.is_none()).take(20) {
            // File names and reasons quote log text: never raw escape sequences on a terminal.
            writeln!(w, "    {}: {}", printable(&p.file), printable(&p.reason))?;
        }
    }
    Ok(())
}

/// Unclassified replies counted but not stored (too many distinct texts), in one sentence.
pub(crate) fn unclassified_cap_note(s: &crate::model::Stats) -> String {
    use crate::model::{UNCLASSIFIED_PER_FILE, UNCLASSIFIED_PER_RUN};
    format!(
        "unclassified replies not kept for unclassified.csv: {} ({} past {} distinct texts in a file, {} past {} in the run); counted in the totals, listed in input-problems.csv",
        s.unclassified_dropped(),
        s.unclassified_dropped_in_files,
        UNCLASSIFIED_PER_FILE,
        s.unclassified_dropped_in_run,
        UNCLASSIFIED_PER_RUN
    )
}

/// The SNDS files read: empty exports ("no blocked ranges on <date>") and rows the window left out.
fn write_snds(w: &mut dyn Write, notes: &crate::aggregate::snds::Notes) -> std::io::Result<()> {
    writeln!(w, "  snds: {}", notes.files())?;
    for note in notes.empty() {
        writeln!(w, "    {}", printable(&note))?;
    }
    if notes.outside_window > 0 {
        writeln!(
            w,
            "    {} SNDS row(s) outside the report window, not counted",
            notes.outside_window
        )?;
    }
    if notes.superseded > 0 {
        writeln!(
            w,
            "    {} IP-status row(s) replaced by a newer dated snapshot",
            notes.superseded
        )?;
    }
    Ok(())
}

/// The run summary as one JSON line (`--log-format json`), for log shippers.
pub(crate) fn print_json(
    w: &mut dyn Write,
    agg: &Aggregates,
    elapsed: Duration,
    threads: usize,
    stages: &Stages,
    delist_incomplete: Option<&str>,
) -> std::io::Result<()> {
    let s = &agg.stats;
    let blocked = blocked_ips(agg);
    let line = serde_json::json!({
        "event": "run_finished",
        "files": s.files,
        "files_unchanged": s.files_unchanged,
        "files_resumed": s.files_resumed,
        "held_back_lines": s.held_back_lines,
        "window": agg.window.describe(),
        "bytes": s.bytes,
        "lines": s.lines,
        "seconds": elapsed.as_secs_f64(),
        "stage_seconds": stages
            .iter()
            .map(|(n, d)| (n.to_string(), serde_json::json!(d.as_secs_f64())))
            .collect::<serde_json::Map<_, _>>(),
        "threads": threads,
        "sent": s.sent,
        "deferred": s.deferred,
        "bounced": s.bounced,
        "expired": s.expired,
        "skipped": s.skipped,
        "repaired": s.repaired,
        "input_problems": s.problems.len(),
        "unclassified_dropped": s.unclassified_dropped(),
        "blocked_ips": blocked.len(),
        "neighbourhood_subnets": agg.subnets.iter().filter(|s| s.verdict == Verdict::Neighbourhood).count(),
        "several_listed_subnets": agg.subnets.iter().filter(|s| s.verdict == Verdict::SeveralListed).count(),
    });
    let mut line = line;
    if agg.snds_given {
        line["snds_files"] = serde_json::json!(agg.snds_notes.exports.len());
        line["snds_empty"] = serde_json::json!(agg.snds_notes.empty());
        line["snds_outside_window"] = serde_json::json!(agg.snds_notes.outside_window);
    }
    if let Some(note) = delist_incomplete {
        line["delist_pack_incomplete"] = serde_json::json!(note);
    }
    writeln!(w, "{line}")
}

/// Tonight's blocked addresses, as the text and JSON summaries count them: a row without an
/// address counts once, a row resolved since the last run not at all (as in summary.md).
fn blocked_ips(agg: &Aggregates) -> std::collections::BTreeSet<Option<std::net::IpAddr>> {
    agg.ips
        .iter()
        .filter(|r| r.class.is_block() && r.is_current())
        .map(|r| r.ip)
        .collect()
}
