//! Where a cell's sending IP came from (its provenance), best first. A plain value carried by
//! event cells and report rows; the rules that choose it live in `attribute::sending_ip`.

/// Provenance of a sending IP, best first (the order is used to pick the best one per row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum IpSource {
    /// Logged by the MTA as its own interface (Exim `I=`, OpenSMTPD `source=`).
    MtaInterface,
    /// Quoted by the receiver in its reply.
    Reply,
    /// Part of the syslog name (`postfix-198.51.100.7/smtp`).
    SyslogName,
    /// The VPS's only inventory address of the connection's family.
    InventorySingle,
    /// Could not be determined.
    Unknown,
    /// Not from a log line: Microsoft SNDS lists the address.
    Snds,
    /// Quoted by the receiver in a reply logged by another VPS of the customer that holds the
    /// address: attributed to the holder, the observing VPS is noted by this value.
    ReplySiblingVps,
    /// Quoted by the receiver in a reply logged by a VPS of *another* customer: a customer can
    /// write anything into its own log, so the address is attributed to no one (provider-wide
    /// only) until support confirms it. Ranked last: such rows never merge with attributed ones.
    ReplyOtherCustomer,
    /// Not from a log line: a DNS block list answered that the address is listed.
    DnsblLookup,
}

impl IpSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            IpSource::MtaInterface => "mta_interface",
            IpSource::Reply => "reply",
            IpSource::SyslogName => "syslog_name",
            IpSource::InventorySingle => "inventory_single",
            IpSource::Unknown => "unknown",
            IpSource::Snds => "snds",
            IpSource::ReplySiblingVps => "reply_sibling_vps",
            IpSource::ReplyOtherCustomer => "reply_other_customer",
            IpSource::DnsblLookup => "dnsbl_lookup",
        }
    }

    /// The inverse of `as_str` (unknown text: `Unknown`).
    pub(crate) fn parse(text: &str) -> IpSource {
        [
            IpSource::MtaInterface,
            IpSource::Reply,
            IpSource::SyslogName,
            IpSource::InventorySingle,
            IpSource::Snds,
            IpSource::ReplySiblingVps,
            IpSource::ReplyOtherCustomer,
            IpSource::DnsblLookup,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .unwrap_or(IpSource::Unknown)
    }

    pub(crate) fn rank(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_rank(rank: u8) -> IpSource {
        match rank {
            0 => IpSource::MtaInterface,
            1 => IpSource::Reply,
            2 => IpSource::SyslogName,
            3 => IpSource::InventorySingle,
            5 => IpSource::Snds,
            6 => IpSource::ReplySiblingVps,
            7 => IpSource::ReplyOtherCustomer,
            8 => IpSource::DnsblLookup,
            _ => IpSource::Unknown,
        }
    }
}
