//! One heatmap per affected IPv4 subnet: a 16×16 grid per /24, and the addresses that need action.

use super::*;
use crate::report::cells::blocker_name;
use crate::report::view::blocker_advice;

/// What one address of a heatmap shows, most serious first.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum State {
    Blocked,
    SndsOnly,
    /// Listed by a DNS block list (looked up), not bouncing yet.
    Listed,
    Throttled,
    Sent,
    Silent,
    NotOurs,
    /// In the /24 drawn but outside the subnet (prefixes longer than /24).
    Outside,
}

impl State {
    const LEGEND: [State; 7] = [
        State::Blocked,
        State::SndsOnly,
        State::Listed,
        State::Throttled,
        State::Sent,
        State::Silent,
        State::NotOurs,
    ];

    pub(super) fn class(self) -> &'static str {
        match self {
            State::Blocked => "blocked",
            State::SndsOnly => "snds",
            State::Listed => "listed",
            State::Throttled => "throttled",
            State::Sent => "sent",
            State::Silent => "silent",
            State::NotOurs => "notours",
            State::Outside => "outside",
        }
    }

    fn label(self) -> &'static str {
        match self {
            State::Blocked => "blocked",
            State::SndsOnly => "SNDS-blocked, not bouncing yet",
            State::Listed => "on a DNS block list, not bouncing yet",
            State::Throttled => "throttled",
            State::Sent => "sending, no block",
            State::Silent => "ours, no activity",
            State::NotOurs => "not in the inventory",
            State::Outside => "outside the subnet",
        }
    }

    pub(super) fn short(self) -> &'static str {
        match self {
            State::SndsOnly => "SNDS only",
            State::Listed => "listed",
            State::Sent => "sending",
            State::Silent => "silent",
            State::NotOurs => "not ours",
            _ => self.label(),
        }
    }

    fn of(host: Option<&Host>) -> State {
        let Some(h) = host else {
            return State::NotOurs;
        };
        match h.worst {
            Some(c) if c.is_block() => State::Blocked,
            Some(Class::SndsBlock) => State::SndsOnly,
            _ if h.dnsbl_listed => State::Listed,
            Some(Class::Throttle) => State::Throttled,
            _ if !h.in_inventory => State::NotOurs,
            _ if h.sent + h.deferred + h.bounced > 0 => State::Sent,
            _ => State::Silent,
        }
    }
}

/// IPv4 subnets worth a heatmap: blocked in the logs or in SNDS. Neighbourhoods first.
pub(super) fn affected(agg: &Aggregates) -> Vec<(&SubnetRow, Ipv4Network)> {
    let mut out: Vec<_> = display_order(&agg.subnets)
        .into_iter()
        .filter(|s| s.verdict != Verdict::Clear || s.snds_blocked_ips > 0)
        .filter_map(|s| match s.subnet {
            IpNetwork::V4(n) => Some((s, n)),
            IpNetwork::V6(_) => None,
        })
        .collect();
    out.sort_by_key(|(s, _)| s.verdict); // stable: numeric order within a verdict
    out
}

/// Heatmap cards drawn before they are written: enough to keep every worker busy.
const CARDS_PER_BATCH: usize = 32;

pub(super) fn heatmaps(w: &mut dyn Write, ctx: &Ctx) -> io::Result<()> {
    section(w, "heatmaps", "Subnet heatmaps")?;
    let subnets = affected(ctx.agg);
    if subnets.is_empty() {
        none(w)?;
        return writeln!(w, "</section>");
    }
    writeln!(w, "<p class=\"muted\">One square per address, .0 top left to .255 bottom right; hover a square for its owner, counts, rules and SNDS data. Blocked IPv4 subnets only; clear subnets and IPv6 are left out.</p>")?;
    legend(w, ctx.agg.dnsbl.is_some())?;
    // Hundreds of cards of 256 squares each (~60 KB): drawn in parallel, a batch at a time so
    // the page is never held in memory whole, and written in order.
    use rayon::prelude::*;
    for batch in subnets.chunks(CARDS_PER_BATCH) {
        let cards: Vec<Vec<u8>> = batch
            .par_iter()
            .map(|&(s, net)| {
                let mut card = Vec::new();
                heatmap_card(&mut card, ctx, s, net).map(|()| card)
            })
            .collect::<io::Result<_>>()?;
        for card in cards {
            w.write_all(&card)?;
        }
    }
    writeln!(w, "</section>")
}

/// The colours' key; "listed" only when the run looked addresses up in DNS block lists.
pub(super) fn legend(w: &mut dyn Write, lookups: bool) -> io::Result<()> {
    write!(w, "<div class=\"legend\">")?;
    for st in State::LEGEND
        .into_iter()
        .filter(|s| lookups || *s != State::Listed)
    {
        write!(
            w,
            "<span><i class=\"sw {}\"></i>{}</span>",
            st.class(),
            st.label()
        )?;
    }
    writeln!(
        w,
        "<span><i class=\"sw sent red\"></i>thick outline: SNDS filter RED</span></div>"
    )
}

/// The /24 blocks to draw for a subnet: its own /24, or each /24 with addresses of ours.
pub(super) fn blocks_of(ctx: &Ctx, s: &SubnetRow, net: Ipv4Network) -> Vec<u32> {
    if net.prefix() >= 24 {
        return vec![u32::from(net.network()) & !0xff];
    }
    let set: BTreeSet<u32> = ctx
        .hosts_in(s.subnet)
        .filter_map(|h| match h.ip {
            IpAddr::V4(ip) => Some(u32::from(ip) & !0xff),
            IpAddr::V6(_) => None,
        })
        .collect();
    set.into_iter().collect()
}

pub(super) fn heatmap_card(
    w: &mut dyn Write,
    ctx: &Ctx,
    s: &SubnetRow,
    net: Ipv4Network,
) -> io::Result<()> {
    let v = s.verdict;
    writeln!(
        w,
        "<article class=\"hm v-{}\" data-subnet=\"{}\">",
        v.as_str(),
        escape(&s.subnet.to_string())
    )?;
    write!(
        w,
        "<div class=\"hm-head\"><h3>{}</h3>{}",
        escape(&s.subnet.to_string()),
        badge(v, false)
    )?;
    if s.snds_blocked_ips > 0 {
        write!(
            w,
            "<span class=\"badge b-snds\">SNDS blocks {}</span>",
            plural(s.snds_blocked_ips as usize, "address", "addresses")
        )?;
    }
    writeln!(w, "</div>")?;
    let why = match v {
        Verdict::Neighbourhood => format!(
            "Blocked as a range by {}: ask for the range as its advice below says, and find the cause. {} of the {} customers here bounce.",
            join(s.blockers.iter().filter(|b| b.says_range()).map(|b| blocker_name(&b.id)), ", "),
            s.blocked_customers,
            s.customers
        ),
        Verdict::SeveralListed => format!(
            "{} of the {} customers here are blocked, each listing on its own: not a range block; each address is lifted at its own receiver or list.",
            s.blocked_customers, s.customers
        ),
        Verdict::SingleCustomer => {
            "Several blocked IPs, all of one customer: talk to that customer, delist per IP.".into()
        }
        Verdict::SingleIp => "Isolated blocks among clean neighbours: delist per IP.".into(),
        Verdict::Clear => "No block in the logs, but SNDS lists addresses here as blocked.".into(),
    };
    writeln!(
        w,
        "<p class=\"why\">{why}</p><p class=\"facts\">{} blocked · {} throttled · {} active · {} in the inventory · rules: {}</p>",
        plural(s.blocked_ips as usize, "IP", "IPs"),
        s.throttled_ips,
        s.active_ips,
        s.inventory_ips,
        or_dash(&join(&s.rule_ids, ", "))
    )?;
    blockers(w, ctx, s)?;
    super::cases::on_card(w, ctx, s.subnet)?;
    if !s.suspect_ips.is_empty() {
        writeln!(
            w,
            "<p class=\"facts\">Likely cause (SNDS RED, complaints or trap hits): <b>{}</b></p>",
            escape(&join(&s.suspect_ips, ", "))
        )?;
    }
    super::trend::chart(w, ctx, Some(s.subnet))?;
    for base in blocks_of(ctx, s, net) {
        writeln!(w, "<div class=\"hm-body\">")?;
        grid(w, ctx, s, net, base)?;
        notable(w, ctx, s, base)?;
        writeln!(w, "</div>")?;
    }
    writeln!(w, "</article>")
}

/// Who blocks the subnet as what, each with the action that receiver or list accepts.
fn blockers(w: &mut dyn Write, ctx: &Ctx, s: &SubnetRow) -> io::Result<()> {
    if s.blockers.is_empty() {
        return Ok(());
    }
    writeln!(w, "<ul class=\"blockers\">")?;
    for b in &s.blockers {
        writeln!(
            w,
            "<li><b>{}</b>: {}</li>",
            escape(&blocked_by(b)),
            escape(&blocker_advice(ctx.agg, b))
        )?;
    }
    writeln!(w, "</ul>")
}

pub(super) const CELL: u32 = 26;
pub(super) const GAP: u32 = 3;
pub(super) const LEFT: u32 = 38;
pub(super) const TOP: u32 = 18;

/// The 16×16 SVG grid of one /24 starting at `base`.
pub(super) fn grid(
    w: &mut dyn Write,
    ctx: &Ctx,
    s: &SubnetRow,
    net: Ipv4Network,
    base: u32,
) -> io::Result<()> {
    let pitch = CELL + GAP;
    let (width, height) = (LEFT + 16 * pitch, TOP + 16 * pitch);
    let first = Ipv4Addr::from(base);
    writeln!(
        w,
        "<svg class=\"grid\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Addresses of {first}/24\">"
    )?;
    for col in 0..16 {
        let x = LEFT + col * pitch + CELL / 2;
        write!(w, "<text class=\"lbl\" x=\"{x}\" y=\"12\">+{col}</text>")?;
    }
    writeln!(w)?;
    // The SNDS blocked ranges reaching into this /24, found once for its 256 squares.
    let last = Ipv4Addr::from(base | 0xff);
    let snds: Vec<&SndsStatus> = ctx
        .agg
        .snds_status
        .iter()
        .filter(|r| r.blocked && r.first <= last && first <= r.last)
        .collect();
    for n in 0..256u32 {
        let (row, col) = (n / 16, n % 16);
        let (x, y) = (LEFT + col * pitch, TOP + row * pitch);
        if col == 0 {
            write!(
                w,
                "<text class=\"lbl row\" x=\"{}\" y=\"{}\">.{n}</text>",
                LEFT - 6,
                y + CELL / 2 + 4
            )?;
        }
        let ip = Ipv4Addr::from(base + n);
        let host = ctx.hosts.get(&IpAddr::V4(ip)).copied();
        let state = if net.contains(ip) {
            State::of(host)
        } else {
            State::Outside
        };
        let red = host.is_some_and(|h| h.snds_filter == Some(Filter::Red));
        write!(
            w,
            "<rect class=\"cell {}{}\" data-ip=\"{ip}\" x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\" rx=\"3\"><title>",
            state.class(),
            if red { " red" } else { "" },
        )?;
        tooltip(w, ctx, s, ip, host, state, &snds)?;
        w.write_all(b"</title></rect>")?;
        // The last octet on our own addresses, so a printout still says which square is which.
        if host.is_some_and(|h| h.in_inventory)
            || matches!(state, State::Blocked | State::Throttled | State::Listed)
        {
            write!(
                w,
                "<text class=\"oct {}\" x=\"{}\" y=\"{}\">{n}</text>",
                state.class(),
                x + CELL / 2,
                y + CELL / 2 + 4
            )?;
        }
        writeln!(w)?;
    }
    writeln!(w, "</svg>")
}

/// Hover text of one square, escaped, lines joined with a character reference. Written
/// straight out: a page has 256 squares per /24 and hundreds of /24s.
pub(super) fn tooltip(
    w: &mut dyn Write,
    ctx: &Ctx,
    s: &SubnetRow,
    ip: Ipv4Addr,
    host: Option<&Host>,
    state: State,
    snds: &[&SndsStatus],
) -> io::Result<()> {
    const NEXT_LINE: &[u8] = b"&#10;";
    write!(w, "{ip} — {}", state.label())?;
    if let Some(h) = host {
        if let Some(c) = h.worst {
            write!(w, " ({})", c.as_str())?;
        }
        let (customer, vps) = ctx.owner(h);
        w.write_all(NEXT_LINE)?;
        write!(
            w,
            "customer {} · VPS {}",
            escape(&ctx.customer_label(&customer)),
            or_dash(&vps)
        )?;
        w.write_all(NEXT_LINE)?;
        write!(
            w,
            "sent {} · deferred {} · bounced {}",
            h.sent, h.deferred, h.bounced
        )?;
        w.write_all(NEXT_LINE)?;
        write!(w, "rules: {}", or_dash(&join(&h.rules, ", ")))?;
        w.write_all(NEXT_LINE)?;
        write!(w, "SNDS filter: {}", or_dash(filter_text(h.snds_filter)))?;
    } else if state == State::Outside {
        w.write_all(NEXT_LINE)?;
        write!(w, "not part of {}", escape(&s.subnet.to_string()))?;
    }
    if let Some(r) = snds.iter().find(|r| r.first <= ip && ip <= r.last) {
        w.write_all(NEXT_LINE)?;
        write!(w, "SNDS: blocked ({})", or_dash(&r.reason.text))?;
    }
    for l in ctx.listings_of(IpAddr::V4(ip)) {
        w.write_all(NEXT_LINE)?;
        write!(
            w,
            "{}: {} ({})",
            escape(&l.zone),
            l.code,
            escape(&format!("{}: {}", l.list, l.meaning))
        )?;
    }
    Ok(())
}

/// Beside the grid, the addresses that need action: readable without hovering and on paper.
pub(super) fn notable(w: &mut dyn Write, ctx: &Ctx, s: &SubnetRow, base: u32) -> io::Result<()> {
    let hosts: Vec<(&Host, State)> = ctx
        .hosts_in(s.subnet)
        .filter(|h| matches!(h.ip, IpAddr::V4(ip) if u32::from(ip) & !0xff == base))
        .map(|h| (h, State::of(Some(h))))
        .filter(|(h, st)| {
            matches!(st, State::Blocked | State::SndsOnly | State::Throttled)
                || h.snds_filter == Some(Filter::Red)
        })
        .collect();
    writeln!(w, "<div class=\"notable\">")?;
    if hosts.is_empty() {
        writeln!(
            w,
            "<p class=\"none\">No blocked, throttled or RED address in this /24.</p>"
        )?;
    } else {
        let owners: Vec<(String, String)> = hosts.iter().map(|(h, _)| ctx.owner(h)).collect();
        let rows: Vec<Vec<Cell>> = hosts
            .iter()
            .zip(&owners)
            .map(|((h, st), (customer, vps))| {
                vec![
                    Cell::Ip(Some(h.ip)),
                    Cell::Customer(customer),
                    Cell::List(Cow::from(vps)),
                    Cell::State(*st),
                    Cell::List(Cow::from(list(
                        ctx.serious.get(&h.ip).into_iter().flatten(),
                    ))),
                    Cell::Text(Cow::from(filter_text(h.snds_filter))),
                ]
            })
            .collect();
        table(
            w,
            ctx,
            &[
                "IP",
                "Customer",
                "VPS",
                "State",
                "Block/throttle rules",
                "SNDS",
            ],
            &rows,
        )?;
    }
    writeln!(w, "</div>")
}
