//! The text of typed row values as the reports write them: the only place sets and options
//! become `;`-joined cells and empty strings.

use crate::aggregate::{Blocker, BlockerId};
use std::fmt::Display;

/// Items joined with `sep` (`;` in CSV cells, `, ` in prose).
pub(crate) fn join<T: Display>(items: impl IntoIterator<Item = T>, sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&item.to_string());
    }
    out
}

/// A `;`-joined CSV cell.
pub(crate) fn list<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    join(items, ";")
}

/// A value, or the empty string for none.
pub(crate) fn opt<T: Display>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

/// `yes` / `no`, empty for unknown.
pub(crate) fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

/// Who blocks, as the reports name it: the receiver platform, the list's rule id, or the SNDS
/// range.
pub(crate) fn blocker_name(id: &BlockerId) -> String {
    match id {
        BlockerId::Receiver(p) if p.is_empty() => "unknown receiver".into(),
        BlockerId::Receiver(p) => p.clone(),
        BlockerId::List(rule_id) => rule_id.clone(),
        BlockerId::Snds(first, last) if first == last => format!("snds[{first}]"),
        BlockerId::Snds(first, last) => format!("snds[{first}-{last}]"),
    }
}

/// `who:class(N IPs, M customers)`: one item of subnets.csv's `blocked_by`.
pub(crate) fn blocked_by(b: &Blocker) -> String {
    format!(
        "{}:{}({}, {})",
        blocker_name(&b.id),
        b.class.as_str(),
        count(b.ips.len(), "IP", "IPs"),
        count(b.customers.len(), "customer", "customers")
    )
}

/// Where a row stands against the previous runs, in words: `new`, `ongoing for 3 days (since
/// 2026-11-20)`, `resolved on 2026-11-23` (`resolved_on`: the last day of the evidence); empty
/// without a state.
pub(crate) fn state_text(r: &crate::aggregate::IpRow, resolved_on: Option<&str>) -> String {
    use crate::aggregate::Status;
    match r.status {
        Status::New => "new".into(),
        Status::Ongoing => format!(
            "ongoing for {} (since {})",
            count(r.days_blocked as usize, "day", "days"),
            crate::model::day::format_utc_date(r.since)
        ),
        Status::Resolved => match resolved_on {
            Some(day) => format!("resolved on {day}"),
            None => "resolved".into(),
        },
        Status::BlockedNotSeen if r.ip_source == crate::model::ip_source::IpSource::DnsblLookup => {
            "DNS block list only, not bouncing yet".into()
        }
        Status::BlockedNotSeen => "SNDS only, not bouncing yet".into(),
        Status::Seen => String::new(),
    }
}

/// `1 IP`, `2 IPs`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
