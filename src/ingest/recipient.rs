//! Envelope addresses as MTAs log them, read before any field of the line.
//!
//! Recipient addresses are typed by strangers (web forms, mailing-list sign-ups). RFC 5321 lets a
//! quoted local part hold almost anything — `"x>, status=bounced (host mx[192.0.2.1] said: 550
//! …)"@example.com` is a valid address, and Postfix, Exim and Sendmail log it as sent. A parser
//! that looks for `status=`, `relay=`, `I=[` or `said:` anywhere in the line reads the stranger's
//! text as the MTA's fields. So every MTA parser consumes the address here first and reads its
//! fields only from the `rest` this module returns: a value inside a quoted field is never a field.
//!
//! Nothing allocates; the common case (a dot-atom address) is one `memchr3` and one `memchr2`.

use memchr::{memchr, memchr2, memchr3, memmem};
use std::borrow::Cow;

/// What may end an address, by how the MTA wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Inside `<…>` (Postfix, Sendmail and OpenSMTPD `to=<…>`, Exim's ` <original>`): only the
    /// closing `>` ends it, so an unquoted address is taken whole, whatever MTA wrote it.
    Angle,
    /// Exim's bare address after `** `/`=> `/`-> `/`== `: a space or `:` ends it
    /// (`** bob@null.corp: retry timeout exceeded`).
    Bare,
    /// One element of Sendmail's `to=a@b,<c@d>, ctladdr=…` list: a `,` or a space ends it.
    ListItem,
}

impl Context {
    /// Does this byte end an unquoted local part or domain?
    fn stops_at(self, b: u8) -> bool {
        match self {
            Context::Angle => b == b'>',
            Context::Bare => matches!(b, b' ' | b'\t' | b':'),
            Context::ListItem => matches!(b, b',' | b' ' | b'\t'),
        }
    }
}

/// The part before the `@`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalPart<'a> {
    /// The text between the quotes, escapes as logged (`a\"b`): see `unescaped`.
    Quoted(&'a str),
    /// A dot-atom, or what MTAs log unquoted (`MAILER-DAEMON`, `|/usr/bin/procmail`, the empty
    /// null sender of `<>`).
    Plain(&'a str),
}

impl<'a> LocalPart<'a> {
    /// A quoted local part with its `\x` escapes resolved; a plain one as it is.
    pub fn unescaped(self) -> Cow<'a, str> {
        match self {
            LocalPart::Plain(s) => Cow::Borrowed(s),
            LocalPart::Quoted(s) if !s.contains('\\') => Cow::Borrowed(s),
            LocalPart::Quoted(s) => {
                let mut out = String::with_capacity(s.len());
                let mut escaped = false;
                for c in s.chars() {
                    if escaped || c != '\\' {
                        out.push(c);
                        escaped = false;
                    } else {
                        escaped = true;
                    }
                }
                Cow::Owned(out)
            }
        }
    }
}

/// The part after the `@`, if any (`root`, `www-data` and `<>` have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain<'a> {
    None,
    Name(&'a str),
    /// `[192.0.2.1]`, `[IPv6:2001:db8::1]`: the text between the brackets.
    Literal(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address<'a> {
    /// The address as logged, without angle brackets.
    pub text: &'a str,
    pub local: LocalPart<'a>,
    pub domain: Domain<'a>,
}

/// Why an address could not be read. The line's fields cannot be told from the stranger's text
/// then, so the caller skips the line with a counted reason instead of guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// `"…` without its closing quote (or ending in a lone `\`).
    UnterminatedQuote,
    /// `@[…` without its `]`.
    UnterminatedLiteral,
    /// `<…` without its `>`.
    UnterminatedAngle,
    /// Text no MTA writes after a quoted part or in a domain (`"a"b@c`, `a"b`, `@ex"ample`).
    Malformed,
}

/// Read one address at the start of `input`; return it and the text after it (in `Angle`, after
/// the closing `>`). `rest` is always a suffix of `input`.
pub fn address(input: &str, context: Context) -> Result<(Address<'_>, &str), Problem> {
    let bytes = input.as_bytes();
    let (local, at) = local_part(input, context)?;
    let (domain, end) = match bytes.get(at) {
        Some(b'@') => domain(input, at + 1, context)?,
        _ => (Domain::None, at),
    };
    let address = Address {
        text: &input[..end],
        local,
        domain,
    };
    match (context, bytes.get(end)) {
        (Context::Angle, Some(b'>')) => Ok((address, &input[end + 1..])),
        (Context::Angle, None) => Err(Problem::UnterminatedAngle),
        (_, None) => Ok((address, &input[end..])),
        (_, Some(&b)) if context.stops_at(b) => Ok((address, &input[end..])),
        _ => Err(Problem::Malformed),
    }
}

/// `addr>` after a `to=<` the caller has stripped: the address and the text after the `>`.
pub fn bracketed(after_open: &str) -> Result<(Address<'_>, &str), Problem> {
    address(after_open, Context::Angle)
}

/// The local part and the index where it ends (at `@`, a stop byte or the end).
fn local_part(input: &str, context: Context) -> Result<(LocalPart<'_>, usize), Problem> {
    let bytes = input.as_bytes();
    if bytes.first() == Some(&b'"') {
        let len = quoted_string_len(bytes).ok_or(Problem::UnterminatedQuote)?;
        return Ok((LocalPart::Quoted(&input[1..len - 1]), len));
    }
    // The common case: in `<…>` three bytes can end a plain local part.
    let end = match context {
        Context::Angle => memchr3(b'@', b'>', b'"', bytes).unwrap_or(bytes.len()),
        _ => bytes
            .iter()
            .position(|&b| b == b'@' || b == b'"' || context.stops_at(b))
            .unwrap_or(bytes.len()),
    };
    // A quote inside an unquoted local part could hide a `>`: no MTA writes one, so never guess.
    if bytes.get(end) == Some(&b'"') {
        return Err(Problem::Malformed);
    }
    Ok((LocalPart::Plain(&input[..end]), end))
}

/// The domain starting at `from` (just after the `@`) and the index where it ends.
fn domain(input: &str, from: usize, context: Context) -> Result<(Domain<'_>, usize), Problem> {
    let bytes = input.as_bytes();
    if bytes.get(from) == Some(&b'[') {
        return literal(input, from);
    }
    let end = match context {
        Context::Angle => memchr2(b'>', b'"', &bytes[from..]),
        _ => bytes[from..]
            .iter()
            .position(|&b| b == b'"' || context.stops_at(b)),
    }
    .map_or(bytes.len(), |i| i + from);
    if bytes.get(end) == Some(&b'"') {
        return Err(Problem::Malformed);
    }
    Ok((Domain::Name(&input[from..end]), end))
}

/// `[…]` starting at `from`. An address literal holds no quote, bracket or byte that ends the
/// address, so one of those before the `]` is malformed, not a longer literal.
fn literal(input: &str, from: usize) -> Result<(Domain<'_>, usize), Problem> {
    let bytes = input.as_bytes();
    let inner = from + 1;
    let close = bytes[inner..]
        .iter()
        .position(|&b| matches!(b, b']' | b'[' | b'"' | b'>' | b'<' | b' ' | b'\t' | b','))
        .ok_or(Problem::UnterminatedLiteral)?
        + inner;
    if bytes[close] != b']' {
        return Err(Problem::Malformed);
    }
    Ok((Domain::Literal(&input[inner..close]), close + 1))
}

/// The length of the quoted string at the start of `bytes` (`"…"`, both quotes included), or
/// None when it is not terminated. `\x` escapes any byte (RFC 5321 quoted-pairSMTP).
fn quoted_string_len(bytes: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        i += memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        // A backslash: skip it and the byte it escapes (a UTF-8 lead byte's continuation bytes
        // are never `"` or `\`, so byte steps stay on character boundaries where it matters).
        i += 2;
    }
}

/// `s` as a quoted local part, the way Postfix and Exim write one (`"a\"b"`).
pub fn quote_local(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The byte spans of quoted local parts followed by `@` (`"…"@`) in free text, in order.
///
/// Every `"` may open one: from an opening quote the string runs to the next unescaped quote, and
/// when no `@` follows, that closing quote is tried as the next opening. One pass over the text;
/// an unterminated string ends the search (every later opening would be unterminated too).
struct QuotedAddresses<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Iterator for QuotedAddresses<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        loop {
            let open = self.pos + memchr(b'"', self.text.get(self.pos..)?)?;
            let Some(len) = quoted_string_len(&self.text[open..]) else {
                self.pos = self.text.len();
                return None;
            };
            let end = open + len;
            if self.text.get(end) == Some(&b'@') {
                self.pos = end;
                return Some((open, end));
            }
            self.pos = end - 1;
        }
    }
}

fn quoted_addresses(text: &str) -> QuotedAddresses<'_> {
    QuotedAddresses {
        text: text.as_bytes(),
        pos: 0,
    }
}

/// The first match of `find` in `text` that is not inside a quoted local part (`"…"@`): where a
/// field may start in text that can echo an address (Sendmail's `reply=` before `stat=`).
pub(crate) fn find_outside_quoted(
    text: &str,
    find: impl Fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let mut spans = quoted_addresses(text).peekable();
    let mut from = 0;
    loop {
        let at = from + find(&text.as_bytes()[from..])?;
        while spans.next_if(|&(_, end)| end <= at).is_some() {}
        match spans.peek() {
            Some(&(start, end)) if start < at => from = end,
            _ => return Some(at),
        }
    }
}

/// A reply with every quoted local part replaced by `*` (`<"…"@example.net>` -> `<*@example.net>`).
///
/// Receivers echo the recipient (`550 5.1.1 <"client host [192.0.2.1] blocked using
/// zen.spamhaus.org"@example.net>: User unknown`): a stranger's words must not be matched as the
/// receiver's. `known` is the delivery's own quoted local part as logged (quotes included): its
/// echoes are cut wherever they stand, also when other quotes around them would mislead the scan.
/// Borrowed, without allocating, when the reply holds no `"` (nearly always).
pub(crate) fn mask_quoted_addresses<'a>(reply: &'a str, known: Option<&str>) -> Cow<'a, str> {
    if memchr(b'"', reply.as_bytes()).is_none() {
        return Cow::Borrowed(reply);
    }
    let once = known.and_then(|k| {
        let spans = memmem::find_iter(reply.as_bytes(), k.as_bytes()).map(|at| (at, at + k.len()));
        replace_spans(reply, spans)
    });
    match once {
        None => {
            replace_spans(reply, quoted_addresses(reply)).map_or(Cow::Borrowed(reply), Cow::Owned)
        }
        Some(s) => Cow::Owned(replace_spans(&s, quoted_addresses(&s)).unwrap_or(s)),
    }
}

/// `text` with each (ordered) span replaced by `*`; None when there is no span. Overlapping spans
/// (a known string found twice in `""""`) are merged.
fn replace_spans(text: &str, spans: impl Iterator<Item = (usize, usize)>) -> Option<String> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    for (start, end) in spans {
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        if start >= copied {
            out.push_str(&text[copied..start]);
            out.push('*');
        }
        copied = copied.max(end);
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// The quoted local part of an address as logged (quotes included), for `mask_quoted_addresses`.
pub(crate) fn quoted_local_as_logged<'a>(address: &Address<'a>) -> Option<&'a str> {
    match address.local {
        LocalPart::Quoted(inner) => {
            // `inner` lies inside `text` between the two quotes.
            let start = inner.as_ptr() as usize - address.text.as_ptr() as usize;
            Some(&address.text[start - 1..start + inner.len() + 1])
        }
        LocalPart::Plain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn angle(s: &str) -> (Address<'_>, &str) {
        bracketed(s).unwrap_or_else(|p| panic!("{s}: {p:?}"))
    }

    #[test]
    fn dot_atom_and_domain() {
        let (a, rest) = angle("someone@hotmail.com>, relay=x");
        assert_eq!(a.text, "someone@hotmail.com");
        assert_eq!(a.local, LocalPart::Plain("someone"));
        assert_eq!(a.domain, Domain::Name("hotmail.com"));
        assert_eq!(rest, ", relay=x");
    }

    #[test]
    fn null_sender_local_user_and_literal() {
        assert_eq!(angle(">, x").0.text, "");
        assert_eq!(angle("root>").0.domain, Domain::None);
        let (a, rest) = angle("u@[IPv6:2001:db8::1]>, relay=y");
        assert_eq!(a.domain, Domain::Literal("IPv6:2001:db8::1"));
        assert_eq!(rest, ", relay=y");
        let (a, _) = angle("u@[192.0.2.1]>");
        assert_eq!(a.domain, Domain::Literal("192.0.2.1"));
    }

    #[test]
    fn quoted_local_part_holds_anything() {
        let line = r#""x>, status=bounced (host mx[192.0.2.1] said: 550 \"no\" \\ I=[192.0.2.2] H=y"@example.com>, relay=mx.example.com[192.0.2.3]:25, status=sent (250 ok)"#;
        let (a, rest) = angle(line);
        assert_eq!(
            a.local.unescaped(),
            r#"x>, status=bounced (host mx[192.0.2.1] said: 550 "no" \ I=[192.0.2.2] H=y"#
        );
        assert_eq!(a.domain, Domain::Name("example.com"));
        assert_eq!(
            rest,
            ", relay=mx.example.com[192.0.2.3]:25, status=sent (250 ok)"
        );
        assert!(a.text.starts_with('"') && a.text.ends_with("@example.com"));
    }

    #[test]
    fn quoting_round_trips() {
        for s in [
            "",
            "a b",
            r#"a"b"#,
            r"a\b",
            r#"\""#,
            "x>, status=sent",
            "ü ✉ \u{7f}",
        ] {
            let quoted = format!("{}@d.example>tail", quote_local(s));
            let (a, rest) = angle(&quoted);
            assert_eq!(a.local.unescaped(), s);
            assert_eq!(rest, "tail");
        }
    }

    #[test]
    fn problems_are_named_never_guessed() {
        assert_eq!(bracketed(r#""abc@d>"#), Err(Problem::UnterminatedQuote));
        assert_eq!(bracketed(r#""abc\"#), Err(Problem::UnterminatedQuote));
        assert_eq!(bracketed("u@[192.0.2.1"), Err(Problem::UnterminatedLiteral));
        assert_eq!(bracketed("u@example.com"), Err(Problem::UnterminatedAngle));
        assert_eq!(bracketed(r#""a"b@c>"#), Err(Problem::Malformed));
        assert_eq!(bracketed(r#"a"b>"@c>"#), Err(Problem::Malformed));
        assert_eq!(bracketed(r#"a@ex"ample>"#), Err(Problem::Malformed));
        assert_eq!(
            bracketed("u@[192.0.2.1>, status=sent]>"),
            Err(Problem::Malformed)
        );
        assert_eq!(
            address(r#""a b"x@c R=y"#, Context::Bare),
            Err(Problem::Malformed)
        );
    }

    #[test]
    fn exim_bare_addresses() {
        let (a, rest) = address("bob@null.corp: retry timeout exceeded", Context::Bare).unwrap();
        assert_eq!(
            (a.text, rest),
            ("bob@null.corp", ": retry timeout exceeded")
        );
        let (a, rest) = address(
            r#""x I=[192.0.2.5] H=y"@example.com R=dnslookup"#,
            Context::Bare,
        )
        .unwrap();
        assert_eq!(a.local, LocalPart::Quoted("x I=[192.0.2.5] H=y"));
        assert_eq!(rest, " R=dnslookup");
        let (a, rest) = address(
            "www-data <www-data@vps1.example.org> R=local_user",
            Context::Bare,
        )
        .unwrap();
        assert_eq!(
            (a.text, rest),
            ("www-data", " <www-data@vps1.example.org> R=local_user")
        );
        let (a, rest) = address(":blackhole: <x@y>", Context::Bare).unwrap();
        assert_eq!((a.text, rest), ("", ":blackhole: <x@y>"));
        assert_eq!(address("a@b", Context::Bare).unwrap().1, "");
    }

    #[test]
    fn sendmail_list_items() {
        let (a, rest) = address("user1@hotmail.com, ctladdr=www-data", Context::ListItem).unwrap();
        assert_eq!((a.text, rest), ("user1@hotmail.com", ", ctladdr=www-data"));
        let (a, rest) = address(r#""|/usr/bin/procmail -a x",b@c"#, Context::ListItem).unwrap();
        assert_eq!(a.local.unescaped(), "|/usr/bin/procmail -a x");
        assert_eq!(rest, ",b@c");
    }

    #[test]
    fn fields_inside_quoted_addresses_are_not_found() {
        let find = |h: &[u8]| memmem::find(h, b", stat=");
        let text = r#"550 5.1.1 <"a, stat=Sent"@d>... User unknown, stat=User unknown"#;
        let at = find_outside_quoted(text, find).unwrap();
        assert_eq!(&text[at..], ", stat=User unknown");
        assert_eq!(find_outside_quoted("x, stat=y", find), Some(1));
        assert_eq!(find_outside_quoted(r#"<"a, stat=b"@c>"#, find), None);
        // Quotes that open no address do not hide anything.
        let text = r#"say "hi", stat=ok"#;
        assert_eq!(find_outside_quoted(text, find), Some(8));
    }

    #[test]
    fn echoed_quoted_recipients_are_masked() {
        let reply = r#"550 5.1.1 <"client host [192.0.2.20] blocked using zen.spamhaus.org"@example.net>: Recipient address rejected"#;
        assert_eq!(
            mask_quoted_addresses(reply, None),
            "550 5.1.1 <*@example.net>: Recipient address rejected"
        );
        let plain = "550 5.1.1 <nobody@example.net>: User unknown";
        assert!(matches!(
            mask_quoted_addresses(plain, None),
            Cow::Borrowed(_)
        ));
        // A receiver's own quote before the echo cannot shift the scan past the known recipient.
        let known = r#""@ blocked using zen.spamhaus.org""#;
        let reply = format!(r#"550 "Mailbox <{known}@example.net>: User unknown"#);
        let masked = mask_quoted_addresses(&reply, Some(known));
        assert!(!masked.contains("spamhaus"), "{masked}");
        assert_eq!(
            mask_quoted_addresses(r#"say "hi" now"#, None),
            r#"say "hi" now"#
        );
    }

    #[test]
    fn the_quoted_local_part_as_logged() {
        let (a, _) = angle(r#""a\"b"@c>"#);
        assert_eq!(quoted_local_as_logged(&a), Some(r#""a\"b""#));
        assert_eq!(quoted_local_as_logged(&angle("a@c>").0), None);
    }
}
