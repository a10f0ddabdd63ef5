//! Why SNDS lists a range as blocked, and where that listing is lifted.
//!
//! The reason strings SNDS's IP-status export is known to carry (AbuseIO/collector-snds,
//! `config/Snds.php`, and AbuseIO/AbuseIO, `lib/collectors/snds.php`, map exactly these four):
//! `Blocked due to user complaints or other evidence of spamming`, `E-mail address harvesting`,
//! `SpamHaus SBL/XBL` and `Symantec Brightmail`. Two of them are Microsoft relaying a third-party
//! list: delisting there lifts the SNDS block, and the Outlook.com form cannot.
//! Other wordings are matched by the list they name and always keep their text.

use crate::model::snds::{Reason, ReasonKind};

impl Reason {
    pub(crate) fn new(text: &str) -> Reason {
        let lower = text.to_ascii_lowercase();
        let kind = if lower.contains("spamhaus") || lower.contains("sbl") || lower.contains("xbl") {
            ReasonKind::Spamhaus
        } else if lower.contains("brightmail") || lower.contains("symantec") {
            ReasonKind::SymantecBrightmail
        } else if lower.contains("harvest") {
            ReasonKind::Harvesting
        } else if lower.contains("complaint") || lower.contains("evidence of spamming") {
            ReasonKind::UserComplaints
        } else {
            ReasonKind::Other
        };
        Reason {
            kind,
            text: text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_reasons_and_their_routes() {
        for (text, kind, route) in [
            (
                "Blocked due to user complaints or other evidence of spamming",
                ReasonKind::UserComplaints,
                "support.microsoft.com",
            ),
            (
                "E-mail address harvesting",
                ReasonKind::Harvesting,
                "support.microsoft.com",
            ),
            (
                "SpamHaus SBL/XBL",
                ReasonKind::Spamhaus,
                "check.spamhaus.org",
            ),
            (
                "Blocked due to listing on Spamhaus",
                ReasonKind::Spamhaus,
                "check.spamhaus.org",
            ),
            (
                "Symantec Brightmail",
                ReasonKind::SymantecBrightmail,
                "ipremoval.sms.symantec.com",
            ),
            ("Something new", ReasonKind::Other, "support.microsoft.com"),
        ] {
            let r = Reason::new(text);
            assert_eq!((r.kind, r.text.as_str()), (kind, text));
            assert!(kind.delist_route().contains(route), "{text}");
            assert_eq!(kind.is_microsoft(), route == "support.microsoft.com");
        }
    }
}
