//! What an SNDS answer is. HTTP 2xx with CSV rows (or a header) is an export, and so is an empty
//! body: SNDS's "no IP of yours sent enough mail that day" / "nothing blocked". HTTP 401, 403,
//! 404 and the other 4xx, and a 200 whose body is a page where the CSV should be (the sign-in
//! page a bad or expired key gets), are a refused key: asking again cannot help. 5xx, 429, 408,
//! no connection and timeouts are worth another try.

use std::net::IpAddr;
use std::time::Duration;

/// The shape of a body (or of a file already saved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Nothing but white space: no rows that day.
    Empty,
    /// The first line is an SNDS row (it starts with an IP address) or a header row.
    Csv,
    /// Anything else: an HTML page, an error text. `start` is its first line, cut short.
    Page { what: &'static str, start: String },
}

/// Looks only at the first line, as `ingest::snds` does: free text further down (a HELO, a
/// JMRP comment) never makes an export a page.
pub(crate) fn shape(body: &[u8]) -> Shape {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let Some(first) = text.lines().next().map(str::trim) else {
        return Shape::Empty;
    };
    let cells: Vec<&str> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let is_header = cells.len() >= 3 && cells[0].to_ascii_lowercase().contains("ip");
    if cells[0].parse::<IpAddr>().is_ok() || is_header {
        return Shape::Csv;
    }
    let what = if first.starts_with('<') {
        "an HTML page"
    } else {
        "a text that is not an SNDS CSV export"
    };
    Shape::Page {
        what,
        start: first.chars().take(60).collect(),
    }
}

/// What an HTTP status means for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusClass {
    /// 2xx: read the body.
    Body,
    /// 4xx other than 408 and 429: the key (or the URL) is wrong.
    Refused,
    /// 5xx, 429, 408, and anything unexpected (an unfollowed redirect): try again.
    Retry,
}

pub(crate) fn status_class(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Body,
        408 | 429 => StatusClass::Retry,
        400..=499 => StatusClass::Refused,
        _ => StatusClass::Retry,
    }
}

/// A `Retry-After` header in seconds (the HTTP-date form is not worth a parser here).
pub(crate) fn retry_after(header: Option<&str>) -> Option<Duration> {
    header?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Whether a failure of the request itself (no HTTP status) may pass: no connection, a reset,
/// a timeout, a name that did not resolve. A TLS failure (a certificate SNDS does not have), a
/// body over the size limit or a malformed URL would fail again the same way.
pub(crate) fn worth_retrying(e: &ureq::Error) -> bool {
    !matches!(
        e,
        ureq::Error::BadUri(_)
            | ureq::Error::BodyExceedsLimit(_)
            | ureq::Error::Tls(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::Pem(_)
            | ureq::Error::TooManyRedirects
            | ureq::Error::RequireHttpsOnly(_)
            | ureq::Error::InvalidProxyUrl
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_empty_bodies_and_pages() {
        let row =
            b"198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,GREEN,< 0.1%,,,,,,\r\n";
        assert_eq!(shape(row), Shape::Csv);
        assert_eq!(
            shape(b"\xef\xbb\xbfIP Address,Activity Start,Activity End\r\n"),
            Shape::Csv
        );
        assert_eq!(
            shape(b"203.0.113.1,203.0.113.9,Yes,Blocked\r\n"),
            Shape::Csv
        );
        assert_eq!(shape(b""), Shape::Empty);
        assert_eq!(shape(b" \r\n\r\n"), Shape::Empty);
        for (body, what) in [
            (
                &b"<!DOCTYPE html>\r\n<html><body>Sign in</body></html>"[..],
                "an HTML page",
            ),
            (b"  <html><head>", "an HTML page"),
            (
                b"The key is invalid.\r\n",
                "a text that is not an SNDS CSV export",
            ),
        ] {
            match shape(body) {
                Shape::Page { what: w, start } => {
                    assert_eq!(w, what);
                    assert!(!start.is_empty() && start.len() <= 60);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn statuses_and_retry_after() {
        for (status, class) in [
            (200, StatusClass::Body),
            (204, StatusClass::Body),
            (401, StatusClass::Refused),
            (403, StatusClass::Refused),
            (404, StatusClass::Refused),
            (400, StatusClass::Refused),
            (408, StatusClass::Retry),
            (429, StatusClass::Retry),
            (500, StatusClass::Retry),
            (503, StatusClass::Retry),
            (302, StatusClass::Retry),
        ] {
            assert_eq!(status_class(status), class, "{status}");
        }
        assert_eq!(retry_after(Some(" 5 ")), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2026 07:28:00 GMT")), None);
        assert_eq!(retry_after(None), None);
        assert!(worth_retrying(&ureq::Error::ConnectionFailed));
        assert!(worth_retrying(&ureq::Error::Timeout(
            ureq::Timeout::RecvResponse
        )));
        assert!(!worth_retrying(&ureq::Error::BodyExceedsLimit(1)));
    }
}
