//! Trend charts: blocked IPs and rejections per calendar day, for the provider near the top and
//! on each subnet's card, so a support engineer sees whether a block is new, growing or fading.
//!
//! One inline SVG of two panels sharing the day axis: blocked IPs as bars (the heatmap's red),
//! rejections as a line on its own scale. Every day of the range is drawn, a day without blocks
//! as zero; each day's group carries its numbers (`data-*`, and a `<title>` on hover), and a
//! sentence beside the chart says the same, so it reads without the picture too.

use super::{escape, section, Ctx};
use crate::aggregate::DayCounts;
use crate::model::day::{date_of_day, day_of_date};
use ipnetwork::IpNetwork;
use std::collections::BTreeMap;
use std::io::{self, Write};

const WIDTH: f64 = 640.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 36.0;
/// Top and height of the blocked-IPs panel (bars).
const BARS: (f64, f64) = (18.0, 70.0);
/// Top and height of the rejections panel (line).
const LINE: (f64, f64) = (122.0, 46.0);
const HEIGHT: f64 = 194.0;
/// Room one date label needs along the axis.
const LABEL: f64 = 76.0;

/// The provider's chart, all subnets together, as a section of its own.
pub(super) fn provider(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "trend", "Blocks per day")?;
    let tz = &ctx.agg.window.tz;
    let zone = if tz.is_empty() {
        String::new()
    } else {
        format!(" ({})", escape(tz))
    };
    writeln!(
        w,
        "<p class=\"muted\">All subnets together, per calendar day{zone} over the history kept: blocked IPs (IP and network blocks, DNSBL listings) and the rejections they caused. Each subnet's card below has its own chart.</p>"
    )?;
    chart(w, ctx, None)?;
    writeln!(w, "</section>")
}

/// The chart of one subnet (`Some`) or of the provider (`None`).
pub(super) fn chart(w: &mut dyn Write, ctx: &Ctx, subnet: Option<IpNetwork>) -> io::Result<()> {
    let series = ctx.agg.trend.series(subnet);
    let scope = match subnet {
        Some(net) => format!("data-subnet=\"{}\"", escape(&net.to_string())),
        None => "data-scope=\"provider\"".into(),
    };
    if series.is_empty() {
        return writeln!(
            w,
            "<p class=\"none trend-none\" {scope}>No day with log lines: no trend to draw.</p>"
        );
    }
    let marks = case_marks(ctx, subnet, &series);
    let text = format!("{}{}", describe(&series), marks_text(&marks));
    writeln!(w, "<figure class=\"trend\" {scope}>")?;
    svg(w, &series, &text, &marks)?;
    writeln!(
        w,
        "<figcaption>{}{}</figcaption>\n</figure>",
        caption(&series),
        escape(&marks_text(&marks))
    )
}

/// Days the delisting cases of this subnet (or of the provider) were submitted or answered,
/// within the chart's days: day -> what happened.
fn case_marks(
    ctx: &Ctx,
    subnet: Option<IpNetwork>,
    series: &[(i32, DayCounts)],
) -> BTreeMap<i32, Vec<String>> {
    let mut marks: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let Some(report) = &ctx.agg.cases else {
        return marks;
    };
    let (first, last) = (series[0].0, series[series.len() - 1].0);
    for row in &report.rows {
        let c = &row.case;
        if subnet.is_some_and(|net| !c.overlaps(net)) {
            continue;
        }
        let mut add = |date: chrono::NaiveDate, what: String| {
            let day = day_of_date(date);
            if (first..=last).contains(&day) {
                marks
                    .entry(day)
                    .or_default()
                    .push(format!("{} {what}", c.id));
            }
        };
        if c.submitted {
            add(c.opened, format!("submitted to {}", c.receiver));
        }
        for a in &c.answers {
            add(a.date, a.result.label().to_string());
        }
    }
    marks
}

/// The marks in words: " Delisting cases: 2026-11-17 C2 submitted to outlook.com; ...".
fn marks_text(marks: &BTreeMap<i32, Vec<String>>) -> String {
    if marks.is_empty() {
        return String::new();
    }
    let days: Vec<String> = marks
        .iter()
        .map(|(day, what)| format!("{} {}", date_of_day(*day), what.join(", ")))
        .collect();
    format!(" Delisting cases (marked): {}.", days.join("; "))
}

/// The chart's picture; `text` (plain) is its accessible name.
fn svg(
    w: &mut dyn Write,
    series: &[(i32, DayCounts)],
    text: &str,
    marks: &BTreeMap<i32, Vec<String>>,
) -> io::Result<()> {
    let n = series.len();
    let pitch = (WIDTH - LEFT - RIGHT) / n as f64;
    let bar = (pitch * 0.7).clamp(1.0, 28.0);
    let centre = |i: usize| LEFT + pitch * (i as f64 + 0.5);
    let peak_ips = series.iter().map(|(_, c)| c.blocked_ips).max().unwrap_or(0);
    let peak_rej = series.iter().map(|(_, c)| c.rejections).max().unwrap_or(0);
    let y = |(top, height): (f64, f64), v: u64, peak: u64| {
        top + height - height * v as f64 / peak.max(1) as f64
    };
    writeln!(
        w,
        "<svg class=\"trend\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{0}\"><title>{0}</title>",
        escape(text)
    )?;
    // Each panel: its name, its scale (0 and the peak) and a baseline.
    for ((top, height), name, peak) in [
        (BARS, "blocked IPs", peak_ips),
        (LINE, "rejections", peak_rej),
    ] {
        let base = top + height;
        let right = WIDTH - RIGHT;
        write!(
            w,
            "<text class=\"hd\" x=\"{LEFT}\" y=\"{}\">{name} per day</text>",
            top - 6.0
        )?;
        write!(
            w,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{top}\" x2=\"{right}\" y2=\"{top}\"/><line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\"/>"
        )?;
        writeln!(
            w,
            "<text class=\"lbl y\" x=\"{}\" y=\"{}\">{peak}</text><text class=\"lbl y\" x=\"{}\" y=\"{}\">0</text>",
            LEFT - 5.0,
            top + 4.0,
            LEFT - 5.0,
            base + 4.0
        )?;
    }
    let points: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{:.1},{:.1}",
                centre(i),
                y(LINE, series[i].1.rejections, peak_rej)
            )
        })
        .collect();
    writeln!(
        w,
        "<polyline class=\"rej\" points=\"{}\"/>",
        points.join(" ")
    )?;
    // Dates: as many as fit without touching, the first always.
    let every = ((LABEL / pitch).ceil() as usize).max(1);
    let base = BARS.0 + BARS.1;
    for (i, (day, c)) in series.iter().enumerate() {
        let date = date_of_day(*day).to_string();
        let x = centre(i);
        write!(
            w,
            "<g class=\"day\" data-date=\"{date}\" data-blocked-ips=\"{}\" data-rejections=\"{}\"><title>{date}: {} blocked IP(s), {} rejection(s)</title>",
            c.blocked_ips, c.rejections, c.blocked_ips, c.rejections
        )?;
        write!(
            w,
            "<rect class=\"hit\" x=\"{:.1}\" y=\"0\" width=\"{pitch:.1}\" height=\"{HEIGHT}\"/>",
            x - pitch / 2.0
        )?;
        if c.blocked_ips > 0 {
            let top = y(BARS, c.blocked_ips, peak_ips);
            write!(
                w,
                "<rect class=\"bar\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"/>",
                x - bar / 2.0,
                base - top
            )?;
        } else {
            // Zero is drawn: a day without blocks is not a day without data.
            write!(
                w,
                "<rect class=\"zero\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"2\"/>",
                x - bar / 2.0,
                base - 2.0
            )?;
        }
        write!(
            w,
            "<circle class=\"pt\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.5\"/>",
            y(LINE, c.rejections, peak_rej)
        )?;
        let axis = LINE.0 + LINE.1;
        write!(
            w,
            "<line class=\"tick\" x1=\"{x:.1}\" y1=\"{axis}\" x2=\"{x:.1}\" y2=\"{}\"/>",
            axis + 4.0
        )?;
        if i % every == 0 {
            write!(
                w,
                "<text class=\"lbl x\" x=\"{x:.1}\" y=\"{}\">{date}</text>",
                axis + 17.0
            )?;
        }
        writeln!(w, "</g>")?;
    }
    // Delisting case days: a dashed line through both panels and a flag above it.
    for (i, (day, _)) in series.iter().enumerate() {
        let Some(what) = marks.get(day) else { continue };
        let x = centre(i);
        let date = date_of_day(*day);
        writeln!(
            w,
            "<g class=\"case-mark\" data-date=\"{date}\"><title>{date}: {}</title><line class=\"mark\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\"/><path class=\"flag\" d=\"M{x:.1},{} l7,3.5 l-7,3.5 z\"/></g>",
            escape(&what.join("; ")),
            BARS.0 - 8.0,
            LINE.0 + LINE.1,
            BARS.0 - 8.0
        )?;
    }
    writeln!(w, "</svg>")
}

/// What the blocked-IP series does: the word the caption leads with.
fn shape(values: &[u64]) -> String {
    let peak = values.iter().copied().max().unwrap_or(0);
    let Some(start) = values.iter().position(|&v| v > 0) else {
        return "no blocks".into();
    };
    let last = values[values.len() - 1];
    if values.len() == 1 {
        "one day of data".into()
    } else if last == 0 {
        "fading: none on the last day".into()
    } else if start > 0 && start * 2 >= values.len() {
        "new".into()
    } else if 4 * last < 3 * peak {
        "fading".into()
    } else if last > values[start] {
        "growing".into()
    } else {
        "steady".into()
    }
}

/// The numbers in words (plain text): first, last and peak day of each series.
fn numbers(series: &[(i32, DayCounts)]) -> String {
    let ips: Vec<u64> = series.iter().map(|(_, c)| c.blocked_ips).collect();
    let rej: Vec<u64> = series.iter().map(|(_, c)| c.rejections).collect();
    let (first, last) = (series[0].0, series[series.len() - 1].0);
    let first_date = date_of_day(first);
    if first == last {
        return format!(
            "Blocked IPs on {first_date}, the only day with data: {}. Rejections: {}",
            ips[0], rej[0]
        );
    }
    let peak = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
    // The latest day of the peak: "peak on the last day" is what growing looks like.
    let peak_day = series
        .iter()
        .rev()
        .find(|(_, c)| c.blocked_ips == peak(&ips))
        .map_or(last, |(d, _)| *d);
    format!(
        "Blocked IPs per day, {first_date} to {}: {} → {} (peak {} on {}). Rejections per day: {} → {} (peak {}), {} in all",
        date_of_day(last),
        ips[0],
        ips[ips.len() - 1],
        peak(&ips),
        date_of_day(peak_day),
        rej[0],
        rej[rej.len() - 1],
        peak(&rej),
        rej.iter().sum::<u64>()
    )
}

fn shape_of(series: &[(i32, DayCounts)]) -> String {
    let ips: Vec<u64> = series.iter().map(|(_, c)| c.blocked_ips).collect();
    shape(&ips)
}

/// The chart in words, for its title and accessible name.
fn describe(series: &[(i32, DayCounts)]) -> String {
    let shape = shape_of(series);
    let mut chars = shape.chars();
    let capital: String = chars
        .next()
        .into_iter()
        .flat_map(char::to_uppercase)
        .collect();
    format!("{capital}{}. {}.", chars.as_str(), numbers(series))
}

/// The caption beside the chart: the shape in bold, then the numbers.
fn caption(series: &[(i32, DayCounts)]) -> String {
    format!(
        "<b class=\"shape\">{}</b><br>{}.",
        escape(&shape_of(series)),
        escape(&numbers(series))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_read_as_support_would_say_them() {
        assert_eq!(shape(&[0, 0, 0]), "no blocks");
        assert_eq!(shape(&[4]), "one day of data");
        assert_eq!(shape(&[0, 0, 0, 2, 5]), "new");
        assert_eq!(shape(&[1, 2, 4, 6]), "growing");
        assert_eq!(shape(&[6, 5, 2, 1]), "fading");
        assert_eq!(shape(&[3, 3, 0]), "fading: none on the last day");
        assert_eq!(shape(&[3, 4, 3]), "steady");
    }
}
