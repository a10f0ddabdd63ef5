//! The "Delisting cases" section: each request to a receiver, its life, whether the range is
//! still blocked and what support does next.

use super::*;
use crate::report::cases::{blocked_now, life, next_step};

pub(super) fn cases(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    let Some(report) = ctx.agg.cases.as_ref().filter(|r| !r.rows.is_empty()) else {
        return Ok(());
    };
    section(w, "cases", "Delisting cases")?;
    writeln!(w, "<p class=\"muted\">Requests to lift a block, followed night by night (<code>cases.csv</code>; <code>blockscope case list</code>). The trend charts mark the days each was submitted and answered.</p>")?;
    let line = escape(&crate::report::cases::waiting_line(report));
    // The count is bold in Markdown (`**2**`); here the same.
    let line = match line.strip_prefix("**").and_then(|l| l.split_once("**")) {
        Some((n, rest)) => format!("<b>{n}</b>{rest}"),
        None => line,
    };
    writeln!(w, "<p class=\"advice\">{line}</p>")?;
    let rows: Vec<Vec<Cell>> = report
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Mono(r.case.id.as_str().into()),
                Cell::Mono(r.case.range_text().into()),
                Cell::Text(r.case.receiver.as_str().into()),
                Cell::Mono(r.case.ticket.as_deref().unwrap_or("").into()),
                Cell::Text(life(&r.case).into()),
                Cell::Text(blocked_now(r).into()),
                Cell::Text(next_step(r, report.quiet_nights).into()),
            ]
        })
        .collect();
    table(w, ctx, &crate::report::cases::SUMMARY_COLUMNS, &rows)?;
    writeln!(w, "</section>")
}

/// The cases of one subnet on its heatmap card: what was asked, and what support does next.
pub(super) fn on_card(w: &mut dyn Write, ctx: &Ctx, subnet: IpNetwork) -> io::Result<()> {
    let Some(report) = &ctx.agg.cases else {
        return Ok(());
    };
    for r in report.rows.iter().filter(|r| r.case.overlaps(subnet)) {
        let ticket = r
            .case
            .ticket
            .as_deref()
            .map_or_else(String::new, |t| format!(", ticket {t}"));
        writeln!(
            w,
            "<p class=\"facts\">Delisting case <b>{}</b> ({}{}): {}. Next step: {}</p>",
            escape(&r.case.id),
            escape(&r.case.receiver),
            escape(&ticket),
            escape(&life(&r.case)),
            escape(&next_step(r, report.quiet_nights))
        )?;
    }
    Ok(())
}
