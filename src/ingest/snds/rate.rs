//! SNDS complaint rates. SNDS writes a string, not a number: an exact share (`2.3%`), or a band
//! (`< 0.1%`, `> 4%`, `1% - < 2%`, `0.3-0.5%`). Each is read as a range; the text is kept for the
//! reports exactly as SNDS wrote it.

use crate::model::snds::{ComplaintRate, MILLI};

impl ComplaintRate {
    /// Read a complaint-rate cell; `Err` names what is wrong. An empty cell is not a rate.
    pub(crate) fn parse(text: &str) -> Result<ComplaintRate, String> {
        let bad = || {
            format!(
                "complaint rate {text:?} is not a percentage or band SNDS writes (`2.3%`, `< 0.1%`, `> 4%`, `1% - < 2%`, `0.3-0.5%`)"
            )
        };
        let t = text.trim();
        let (low, high) = if let Some((a, b)) = split_range(t) {
            let (a, b) = (
                percent(strip_cmp(a)).ok_or_else(bad)?,
                percent(strip_cmp(b)).ok_or_else(bad)?,
            );
            if a > b {
                return Err(bad());
            }
            (a, b)
        } else if let Some(rest) = t.strip_prefix("<=").or_else(|| t.strip_prefix('<')) {
            (0, percent(rest).ok_or_else(bad)?)
        } else if let Some(rest) = t.strip_prefix(">=").or_else(|| t.strip_prefix('>')) {
            (percent(rest).ok_or_else(bad)?, 100 * MILLI)
        } else {
            let v = percent(t).ok_or_else(bad)?;
            (v, v)
        };
        if high > 100 * MILLI {
            return Err(bad());
        }
        Ok(ComplaintRate {
            text: t.to_string(),
            low,
            high,
        })
    }
}

/// `1% - < 2%` or `0.3-0.5%`: the two sides of a band (a leading `-` is not a separator).
fn split_range(t: &str) -> Option<(&str, &str)> {
    let at = t.get(1..)?.find('-')? + 1;
    Some((&t[..at], &t[at + 1..]))
}

fn strip_cmp(s: &str) -> &str {
    s.trim().trim_start_matches(['<', '>', '=']).trim()
}

/// `2.3%`, `2.3 %`, `2.3` -> 2300 (thousandths of a percent); at most three decimals.
fn percent(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || frac.len() > 3
        || whole.len() > 3
    {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: u32 = format!("{frac:0<3}").parse().ok()?;
    Some(whole * MILLI + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(t: &str) -> (u32, u32) {
        let r = ComplaintRate::parse(t).unwrap();
        assert_eq!(r.text, t.trim());
        (r.low, r.high)
    }

    #[test]
    fn bands_are_ranges_never_zero() {
        assert_eq!(range("< 0.1%"), (0, 100));
        assert_eq!(range("> 4%"), (4000, 100_000));
        assert_eq!(range("1% - < 2%"), (1000, 2000));
        assert_eq!(range("0.3-0.5%"), (300, 500));
        assert_eq!(range("2.3%"), (2300, 2300));
        assert_eq!(range(" 0.25 % "), (250, 250));
        assert_eq!(range(">= 10%"), (10_000, 100_000));
        assert_eq!(range(".5%"), (500, 500));
    }

    #[test]
    fn garbage_is_an_error_not_zero() {
        for t in [
            "high", "%", "1%-", "5% - 2%", "1.2345%", "-1%", "200%", "1e3%",
        ] {
            assert!(ComplaintRate::parse(t).is_err(), "{t}");
        }
    }
}
