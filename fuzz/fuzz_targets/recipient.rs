//! libFuzzer target for the recipient parser (`blockscope::ingest::recipient`), which every MTA
//! parser runs before it reads a field: a value inside a quoted local part is never a field.
//!
//!     cargo +nightly fuzz run recipient corpus/recipient -- -max_total_time=600
//!
//! Invariants checked on arbitrary bytes (lossily decoded, as the log reader does):
//! - the parser never panics, in any context;
//! - the address and the returned rest lie in the input: the address is a prefix of it and the
//!   rest a suffix that starts at or after the address's end;
//! - a quoted local part round-trips: any text, quoted as RFC 5321 requires, parses back to
//!   itself, with the domain and the text after the `>` intact.
#![no_main]

use blockscope::ingest::recipient::{
    address, bracketed, quote_local, Address, Context, Domain, LocalPart,
};
use libfuzzer_sys::fuzz_target;

/// `address` and `rest` are slices of `input`, in that order.
fn check_slices(input: &str, a: &Address<'_>, rest: &str) {
    let base = input.as_ptr() as usize;
    let text_at = a.text.as_ptr() as usize;
    let rest_at = rest.as_ptr() as usize;
    assert_eq!(text_at, base, "the address starts the input");
    assert!(a.text.len() <= input.len());
    assert!(input.ends_with(rest), "rest is a suffix");
    assert_eq!(
        rest_at + rest.len(),
        base + input.len(),
        "rest ends the input"
    );
    assert!(
        rest_at >= text_at + a.text.len(),
        "rest follows the address"
    );
}

fn round_trip(local: &str, tail: &str) {
    let quoted = quote_local(local);
    let line = format!("{quoted}@example.com>{tail}");
    let (a, rest) = bracketed(&line).expect("a quoted local part always parses");
    assert_eq!(a.local.unescaped(), local);
    assert!(matches!(a.local, LocalPart::Quoted(_)));
    assert_eq!(a.domain, Domain::Name("example.com"));
    assert_eq!(rest, tail);
    // Exim's bare form: the address ends at the space before its fields.
    let bare = format!("{quoted}@example.com R=x{tail}");
    let (a, rest) = address(&bare, Context::Bare).expect("bare quoted address");
    assert_eq!(a.local.unescaped(), local);
    assert!(rest.starts_with(" R=x"));
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for context in [Context::Angle, Context::Bare, Context::ListItem] {
        if let Ok((a, rest)) = address(&text, context) {
            check_slices(&text, &a, rest);
            let _ = a.local.unescaped();
        }
    }
    // Split the input in two: a local part of any text, and what the line holds after it.
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(text.len());
    let cut = (0..=cut)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let (local, tail) = text.split_at(cut);
    round_trip(local, tail);
});
