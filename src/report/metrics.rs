//! `--metrics FILE`: Prometheus textfile-collector metrics (the only place with wall-clock values
//! besides stderr).

use crate::aggregate::{Aggregates, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

fn label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', r#"\""#)
        .replace('\n', r"\n")
}

pub(crate) fn write(
    w: &mut dyn Write,
    agg: &Aggregates,
    elapsed: Duration,
    now_unix: u64,
) -> std::io::Result<()> {
    let s = &agg.stats;
    let gauge = |w: &mut dyn Write, name: &str, help: &str| {
        writeln!(w, "# HELP {name} {help}\n# TYPE {name} gauge")
    };
    gauge(
        w,
        "blockscope_last_success_timestamp_seconds",
        "Unix time the last successful run finished.",
    )?;
    writeln!(w, "blockscope_last_success_timestamp_seconds {now_unix}")?;
    gauge(
        w,
        "blockscope_run_duration_seconds",
        "Wall-clock duration of the last run.",
    )?;
    writeln!(
        w,
        "blockscope_run_duration_seconds {:.3}",
        elapsed.as_secs_f64()
    )?;
    gauge(w, "blockscope_input_bytes", "Bytes of log read.")?;
    writeln!(w, "blockscope_input_bytes {}", s.bytes)?;
    gauge(w, "blockscope_input_lines", "Log lines read.")?;
    writeln!(w, "blockscope_input_lines {}", s.lines)?;
    gauge(w, "blockscope_deliveries", "Delivery attempts by outcome.")?;
    for (outcome, n) in [
        ("sent", s.sent),
        ("deferred", s.deferred),
        ("bounced", s.bounced),
    ] {
        writeln!(w, "blockscope_deliveries{{outcome=\"{outcome}\"}} {n}")?;
    }
    gauge(w, "blockscope_skipped_lines", "Lines skipped, by reason.")?;
    for (reason, n) in &s.skipped {
        writeln!(
            w,
            "blockscope_skipped_lines{{reason=\"{}\"}} {n}",
            label(reason)
        )?;
    }
    gauge(
        w,
        "blockscope_input_problems",
        "Rows in input-problems.csv.",
    )?;
    writeln!(w, "blockscope_input_problems {}", s.problems.len())?;
    // Tonight's blocks only: a row resolved since the last run is history (as in the summaries).
    let current = agg
        .ips
        .iter()
        .filter(|r| r.class.is_block() && r.is_current());
    let mut blocked: BTreeMap<&str, BTreeSet<std::net::IpAddr>> = BTreeMap::new();
    let mut distinct = BTreeSet::new();
    for r in current {
        let Some(ip) = r.ip else { continue };
        distinct.insert(ip);
        for p in &r.platforms {
            blocked.entry(p.as_str()).or_default().insert(ip);
        }
    }
    gauge(
        w,
        "blockscope_blocked_ips_total",
        "Distinct sending IPs with a block reply (the summary's blocked IPs).",
    )?;
    writeln!(w, "blockscope_blocked_ips_total {}", distinct.len())?;
    gauge(
        w,
        "blockscope_blocked_ips",
        "Sending IPs with a block reply, by receiver platform; an IP blocked at two platforms counts under each, so the labels sum to more than blockscope_blocked_ips_total.",
    )?;
    for (platform, ips) in &blocked {
        writeln!(
            w,
            "blockscope_blocked_ips{{platform=\"{}\"}} {}",
            label(platform),
            ips.len()
        )?;
    }
    gauge(
        w,
        "blockscope_subnets",
        "Subnets with delivery activity, by verdict.",
    )?;
    for v in Verdict::ALL {
        let n = agg.subnets.iter().filter(|s| s.verdict == v).count();
        writeln!(w, "blockscope_subnets{{verdict=\"{}\"}} {n}", v.as_str())?;
    }
    if let Some(report) = &agg.cases {
        gauge(
            w,
            "blockscope_delisting_cases",
            "Delisting cases in the night's reports (open ones and those closed in the last 14 days; blockscope case), by next action.",
        )?;
        let mut by_action: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for row in &report.rows {
            *by_action.entry(row.action.code()).or_default() += 1;
        }
        for (action, n) in by_action {
            writeln!(
                w,
                "blockscope_delisting_cases{{next_action=\"{action}\"}} {n}"
            )?;
        }
    }
    Ok(())
}
