//! The text of typed row values as the reports write them: the only place sets and options
//! become `;`-joined cells and empty strings.

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
