//! Microsoft SNDS data as aggregation and the reports consume it: daily IP data, blocked ranges
//! and why they are blocked. The parsers that read the exports live in `ingest::snds`.

use chrono::NaiveDate;
use ipnetwork::Ipv4Network;
use std::net::{IpAddr, Ipv4Addr};

/// SNDS's filter result: the share of the IP's mail judged spam that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Filter {
    /// Under 10 %.
    Green,
    /// 10–90 %.
    Yellow,
    /// Over 90 %.
    Red,
}

impl Filter {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Filter::Green => "GREEN",
            Filter::Yellow => "YELLOW",
            Filter::Red => "RED",
        }
    }
}

/// One IP on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SndsDay {
    pub(crate) ip: IpAddr,
    /// From the file name, else the activity end.
    pub(crate) day: NaiveDate,
    pub(crate) filter: Filter,
    /// None when the cell is empty.
    pub(crate) complaint_rate: Option<ComplaintRate>,
    pub(crate) trap_hits: u64,
    pub(crate) file: String,
    pub(crate) line: u64,
}

/// One IP-status row: an inclusive range, converted to the minimal CIDR set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SndsStatus {
    pub(crate) first: Ipv4Addr,
    pub(crate) last: Ipv4Addr,
    pub(crate) networks: Vec<Ipv4Network>,
    pub(crate) blocked: bool,
    pub(crate) reason: Reason,
    /// The day of the snapshot, when the file name gives one.
    pub(crate) day: Option<NaiveDate>,
    pub(crate) file: String,
    pub(crate) line: u64,
}

/// One file read: which export, which day, how many rows (0: an empty export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExportFile {
    pub(crate) file: String,
    pub(crate) kind: ExportKind,
    pub(crate) day: Option<NaiveDate>,
    pub(crate) rows: u64,
}

impl ExportFile {
    /// The sentence for the run summary and summary.md about an empty export.
    pub(crate) fn empty_note(&self) -> String {
        let on = self
            .day
            .map_or_else(String::new, |d| format!(" on {}", d.format("%Y-%m-%d")));
        match self.kind {
            ExportKind::IpStatus => format!("SNDS: no blocked ranges{on} ({} is empty)", self.file),
            ExportKind::IpData => format!(
                "SNDS: no SNDS data{on} ({} is empty: no IP sent 100 or more messages to Outlook.com, or SNDS had no data yet)",
                self.file
            ),
            ExportKind::Unknown => format!(
                "SNDS: {} is empty: no SNDS data and no blocked ranges{on}",
                self.file
            ),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Snds {
    pub(crate) days: Vec<SndsDay>,
    pub(crate) status: Vec<SndsStatus>,
    /// Files read, for the run summary.
    pub(crate) files: u64,
    /// Every file read, in name order.
    pub(crate) exports: Vec<ExportFile>,
    /// Rows left out because they lie outside the report window (set by aggregation).
    pub(crate) outside_window: u64,
    /// IP-status rows left out because a newer dated snapshot replaces them.
    pub(crate) superseded: u64,
}

/// Complaint rates whose lower bound is at or above this (thousandths of a percent: 0.3 %) mark
/// an IP as a suspect.
pub(crate) const SUSPECT_COMPLAINT_RATE: u32 = 300;

impl Snds {
    /// The blocking status row covering `ip`, if any (a blocked row wins over a "No" row).
    pub(crate) fn status_of(&self, ip: IpAddr) -> Option<&SndsStatus> {
        let IpAddr::V4(v4) = ip else { return None };
        let mut found: Option<&SndsStatus> = None;
        for s in &self.status {
            if s.first <= v4 && v4 <= s.last && (found.is_none() || s.blocked) {
                found = Some(s);
            }
        }
        found
    }
}

/// A complaint rate as a range of percentages, in thousandths of a percent (`2.3%` = 2300) so
/// the type stays `Eq` and exact for SNDS's one or two decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComplaintRate {
    /// As SNDS wrote it.
    pub(crate) text: String,
    /// Lower bound (`< 0.1%`: 0); the suspect threshold compares this.
    pub(crate) low: u32,
    /// Upper bound (`> 4%`: 100 %).
    pub(crate) high: u32,
}

/// Thousandths of a percent in one percent.
pub(crate) const MILLI: u32 = 1000;

/// Which export a file is, as far as its name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExportKind {
    /// `data.aspx`: one row per IP per day.
    IpData,
    /// `ipStatus.aspx`: blocked ranges.
    IpStatus,
    /// The name does not say (`export (3).csv`).
    Unknown,
}

/// The family of an SNDS block reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ReasonKind {
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
pub(crate) struct Reason {
    pub(crate) kind: ReasonKind,
    pub(crate) text: String,
}

/// Outlook.com sender support form (the one place for Microsoft's own SNDS blocks).
pub(crate) const OUTLOOK_FORM: &str =
    "https://support.microsoft.com/supportrequestform/8ad563e3-288e-2a61-8122-3ba03d6b8d75";
/// Spamhaus's lookup, which leads to the removal request for SBL and XBL listings.
pub(crate) const SPAMHAUS_LOOKUP: &str = "https://check.spamhaus.org/";
/// Symantec (Broadcom) IP Reputation Investigation: look up the IP, then "investigate"
/// (Broadcom knowledge article 177234, "Request removal of an IP address from Symantec's
/// IP-based block lists").
pub(crate) const SYMANTEC_LOOKUP: &str = "https://ipremoval.sms.symantec.com/lookup";

impl ReasonKind {
    /// What a customer's notice says about a list Microsoft relays: it is lifted where it is
    /// kept, and what the listing means for the customer's server.
    pub(crate) fn customer_note(self) -> Option<&'static str> {
        match self {
            ReasonKind::Spamhaus => Some("Microsoft blocks it because Spamhaus lists it (SBL/XBL). We ask Spamhaus to remove it; an XBL listing usually means malware or an open proxy on your server, so please check it."),
            ReasonKind::SymantecBrightmail => Some("Microsoft blocks it because Symantec rates it as a spam source. We ask Symantec to review it; please check your server for unwanted mail."),
            _ => None,
        }
    }

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
}
