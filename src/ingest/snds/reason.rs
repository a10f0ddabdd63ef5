//! Why SNDS lists a range as blocked, and where that listing is lifted.
//!
//! The reason strings SNDS's IP-status export is known to carry (AbuseIO/collector-snds,
//! `config/Snds.php`, and AbuseIO/AbuseIO, `lib/collectors/snds.php`, map exactly these four):
//! `Blocked due to user complaints or other evidence of spamming`, `E-mail address harvesting`,
//! `SpamHaus SBL/XBL` and `Symantec Brightmail`. Two of them are Microsoft relaying a third-party
//! list: delisting there lifts the SNDS block, and the Outlook.com form cannot.
//! Other wordings are matched by the list they name and always keep their text.

/// The family of an SNDS block reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonKind {
    /// "Blocked due to user complaints or other evidence of spamming": Microsoft's own verdict.
    UserComplaints,
    /// "E-mail address harvesting": Microsoft saw dictionary/harvesting traffic.
    Harvesting,
    /// "SpamHaus SBL/XBL" (or any wording naming Spamhaus): the range is on Spamhaus's lists.
    Spamhaus,
    /// "Symantec Brightmail": on Symantec's (now Broadcom's) IP reputation list.
    SymantecBrightmail,
    /// A wording not seen before (or empty).
    #[default]
    Other,
}

/// A block reason: the family, and the text exactly as SNDS wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reason {
    pub kind: ReasonKind,
    pub text: String,
}

/// Outlook.com sender support form (the one place for Microsoft's own SNDS blocks).
pub const OUTLOOK_FORM: &str =
    "https://support.microsoft.com/supportrequestform/8ad563e3-288e-2a61-8122-3ba03d6b8d75";
/// Spamhaus's lookup, which leads to the removal request for SBL and XBL listings.
pub const SPAMHAUS_LOOKUP: &str = "https://check.spamhaus.org/";
/// Symantec (Broadcom) IP Reputation Investigation: look up the IP, then "investigate"
/// (Broadcom knowledge article 177234, "Request removal of an IP address from Symantec's
/// IP-based block lists").
pub const SYMANTEC_LOOKUP: &str = "https://ipremoval.sms.symantec.com/lookup";

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

impl ReasonKind {
    /// Microsoft's own verdict (lifted through the Outlook.com form), not a relayed list.
    pub(crate) fn is_microsoft(self) -> bool {
        matches!(
            self,
            ReasonKind::UserComplaints | ReasonKind::Harvesting | ReasonKind::Other
        )
    }

    /// A short name for reports.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ReasonKind::UserComplaints => "user complaints",
            ReasonKind::Harvesting => "e-mail address harvesting",
            ReasonKind::Spamhaus => "Spamhaus SBL/XBL",
            ReasonKind::SymantecBrightmail => "Symantec Brightmail",
            ReasonKind::Other => "other reason",
        }
    }

    /// What support should do about a range SNDS blocks for this reason.
    pub(crate) fn delist_route(self) -> String {
        match self {
            // Unchanged wording: reports written before reasons were told apart say this.
            ReasonKind::UserComplaints => format!(
                "Outlook.com sender support form {OUTLOOK_FORM}: SNDS lists this IP as blocked; request mitigation for the outbound IPs/ranges (separated by '; ') before the customer's mail starts bouncing"
            ),
            ReasonKind::Harvesting => format!(
                "Outlook.com sender support form ({OUTLOOK_FORM}): SNDS blocks this IP for e-mail address harvesting (directory-harvest or dictionary traffic towards Outlook.com); stop it on the customer's server first, then request mitigation for the outbound IPs/ranges (separated by '; ')"
            ),
            ReasonKind::Spamhaus => format!(
                "Spamhaus lookup and removal request ({SPAMHAUS_LOOKUP}): SNDS blocks this IP because Spamhaus lists it (SBL/XBL); look it up there, fix the cause (XBL: an infected host or open proxy on the customer's server) and request removal from Spamhaus. Outlook.com lifts its block when Spamhaus delists; the Outlook.com form cannot"
            ),
            ReasonKind::SymantecBrightmail => format!(
                "Symantec (Broadcom) IP Reputation Investigation ({SYMANTEC_LOOKUP}): SNDS blocks this IP because Symantec Brightmail rates it negative; look the IP up and click \"investigate\" (IPv4, one IP per request, about 24 h). Outlook.com lifts its block when Symantec does; the Outlook.com form cannot"
            ),
            ReasonKind::Other => format!(
                "SNDS gives a reason blockscope does not know (see snds_reason): if it names a block list, delist there; otherwise use the Outlook.com sender support form ({OUTLOOK_FORM}) and quote the reason"
            ),
        }
    }

    /// The page to look one IP up on, for the lists Microsoft relays.
    pub(crate) fn lookup_url(self, ip: &str) -> Option<String> {
        match self {
            ReasonKind::Spamhaus => Some(format!("https://check.spamhaus.org/results/?query={ip}")),
            ReasonKind::SymantecBrightmail => Some(SYMANTEC_LOOKUP.to_string()),
            _ => None,
        }
    }

    /// What a customer's notice says about a list Microsoft relays: it is lifted where it is
    /// kept, and what the listing means for the customer's server.
    pub(crate) fn customer_note(self) -> Option<&'static str> {
        match self {
            ReasonKind::Spamhaus => Some("Microsoft blocks it because Spamhaus lists it (SBL/XBL). We ask Spamhaus to remove it; an XBL listing usually means malware or an open proxy on your server, so please check it."),
            ReasonKind::SymantecBrightmail => Some("Microsoft blocks it because Symantec rates it as a spam source. We ask Symantec to review it; please check your server for unwanted mail."),
            _ => None,
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
