//! Untrusted text (replies, host names, file names, SNDS comments) on its way to a reader:
//! characters that change how the rest of the text is shown are never passed through.

use std::borrow::Cow;

/// Bidirectional formatting characters: embeddings and overrides (U+202A–U+202E), isolates
/// (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C). They make a reply or a name read in
/// a different order than it is written ("Trojan Source"), in a browser, a spreadsheet or a
/// terminal alike.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Text safe to print on a terminal: escape sequences (CSI `ESC [`, OSC `ESC ]` up to BEL or
/// ST, 8-bit CSI/OSC, any other `ESC x`) are removed whole, other C0/C1 controls are removed, a
/// tab becomes a space, and bidi controls become U+FFFD as in the HTML report. A log line
/// written by a customer can otherwise retitle the support engineer's terminal, hide text,
/// or plant an OSC 8 link.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c if is_bidi_control(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: a CSI or string sequence, else intermediate bytes and one final character
/// (`ESC c`, `ESC ( B`).
fn skip_escape(chars: &mut Chars) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        Some(' '..='/') => {
            while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes up to a final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars) {
    while let Some(&c) = chars.peek() {
        chars.next();
        if ('\u{40}'..='\u{7e}').contains(&c) || !(' '..='\u{7e}').contains(&c) {
            return;
        }
    }
}

/// OSC, DCS, SOS, PM, APC: everything up to BEL, ST (`ESC \`) or the 8-bit ST.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_removes_escape_sequences_and_controls_whole() {
        for (hostile, shown) in [
            ("a\u{1b}[31mred\u{1b}[0m b", "ared b"),
            (
                "\u{1b}]8;;http://evil.example/\u{7}click\u{1b}]8;;\u{1b}\\",
                "click",
            ),
            ("\u{1b}]0;new title\u{1b}\\x", "x"),
            ("\u{9b}2Jclear\u{9d}0;t\u{9c}!", "clear!"),
            ("bell\u{7} nul\u{0} del\u{7f} c1\u{85}", "bell nul del c1"),
            ("tab\there", "tab here"),
            ("\u{1b}c\u{1b}(Bx", "x"),
            ("abc\u{202E}def\u{2066}", "abc\u{FFFD}def\u{FFFD}"),
            ("plain text", "plain text"),
            ("unterminated \u{1b}]8;;http://x", "unterminated "),
        ] {
            assert_eq!(printable(hostile), shown, "{hostile:?}");
        }
    }

    #[test]
    fn bidi_controls_are_the_overrides_isolates_and_marks() {
        for c in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}',
        ] {
            assert!(is_bidi_control(c), "{c:?}");
        }
        for c in ['a', '\u{200B}', '\u{2070}', '\u{05D0}'] {
            assert!(!is_bidi_control(c), "{c:?}");
        }
    }
}
