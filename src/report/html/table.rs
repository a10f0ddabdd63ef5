//! Tables and small pieces of markup the sections share.

use super::*;

/// A table cell; every variant escapes its text.
pub(super) enum Cell<'a> {
    Text(Cow<'a, str>),
    Mono(Cow<'a, str>),
    /// Sorted by address, not by text.
    Ip(Option<IpAddr>),
    /// Sorted by its network address.
    Net(IpNetwork),
    Num(u64),
    Time(i64),
    Verdict(Option<Verdict>),
    /// Receiver text: long, wraps anywhere.
    Reply(&'a str),
    /// Customer id, with the name underneath.
    Customer(&'a str),
    /// A `;`-separated list (rule ids), shown wrapping after each item.
    List(Cow<'a, str>),
    /// A heatmap state, with its colour.
    State(State),
}

pub(super) fn cell(ctx: &Ctx, c: &Cell) -> String {
    match c {
        Cell::Text(s) => format!("<td>{}</td>", or_dash(s)),
        Cell::Mono(s) => format!("<td class=\"mono\">{}</td>", or_dash(s)),
        Cell::Ip(ip) => format!(
            "<td class=\"mono\" data-sort=\"{}\">{}</td>",
            sort_key(*ip),
            or_dash(&opt(*ip))
        ),
        Cell::Net(net) => format!(
            "<td class=\"mono\" data-sort=\"{}\">{}</td>",
            sort_key(Some(net.network())),
            or_dash(&net.to_string())
        ),
        Cell::Num(n) => format!("<td class=\"n\">{n}</td>"),
        // Allowed to break after the date in narrow tables.
        Cell::Time(t) => format!(
            "<td class=\"mono time\">{}</td>",
            iso(*t).replacen('T', "<wbr>T", 1)
        ),
        Cell::Verdict(v) => match v {
            Some(v) => format!("<td data-sort=\"{}\">{}</td>", v.as_str(), badge(*v, true)),
            None => "<td>—</td>".into(),
        },
        Cell::Reply(s) => format!("<td class=\"reply\">{}</td>", or_dash(s)),
        Cell::Customer(id) => match ctx.names.get(id) {
            Some(name) if !name.is_empty() => format!(
                "<td data-sort=\"{0}\">{0}<span class=\"sub\">{1}</span></td>",
                escape(id),
                escape(name)
            ),
            _ => format!("<td>{}</td>", or_dash(id)),
        },
        Cell::List(s) => format!(
            "<td class=\"mono list\">{}</td>",
            or_dash(&s.replace(';', "; "))
        ),
        Cell::State(st) => format!(
            "<td data-sort=\"{}\"><span class=\"chip\"><i class=\"sw {}\"></i>{}</span></td>",
            *st as u8,
            st.class(),
            st.short()
        ),
    }
}

/// A sortable table; numeric columns (judged by the first row) are right-aligned.
pub(super) fn table(
    w: &mut dyn Write,
    ctx: &Ctx,
    heads: &[&str],
    rows: &[Vec<Cell>],
) -> io::Result<()> {
    write!(
        w,
        "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
    )?;
    for (i, h) in heads.iter().enumerate() {
        let numeric = rows
            .first()
            .is_some_and(|r| matches!(r.get(i), Some(Cell::Num(_))));
        let class = if numeric { " class=\"n\"" } else { "" };
        write!(w, "<th{class}>{}</th>", escape(h))?;
    }
    writeln!(w, "</tr></thead><tbody>")?;
    for r in rows {
        write!(w, "<tr>")?;
        for c in r {
            w.write_all(cell(ctx, c).as_bytes())?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(w, "</tbody></table></div>")
}

/// The verdict as a coloured badge; `short` inside tables.
pub(super) fn badge(v: Verdict, short: bool) -> String {
    let label = match v {
        Verdict::Neighbourhood if short => "neighbourhood",
        Verdict::Neighbourhood => "neighbourhood block",
        Verdict::SeveralListed if short => "several listed",
        Verdict::SeveralListed => "several separate listings",
        Verdict::SingleIp => "single IP",
        Verdict::SingleCustomer => "single customer",
        Verdict::Clear => "clear in the logs",
    };
    format!("<span class=\"badge b-{}\">{label}</span>", v.as_str())
}

pub(super) fn none(w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "<p class=\"none\">None.</p>")
}

pub(super) fn section(w: &mut dyn Write, id: &str, title: &str) -> io::Result<()> {
    writeln!(w, "<section id=\"{id}\"><h2>{}</h2>", escape(title))
}
