//! The rule catalogue. This table is the single source of truth for classification,
//! `blockscope rules` and the generated `docs/rules.md`. Adding a rule is a data change here.
//!
//! Rules are tried in order; the first whose pattern matches the receiver's reply wins, so
//! specific receiver rules come before generic DNSBL and not-an-IP-problem rules.

/// What a reply means for the sending IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// The receiver blocks this IP.
    IpBlock,
    /// The receiver blocks a range the IP is in ("part of their network").
    NetworkBlock,
    /// Rate limiting / reputation throttling: mail gets through slowly.
    Throttle,
    /// A public DNS block list lists the IP; delisting is with the list, not the receiver.
    Dnsbl,
    /// The receiver's own DNSBL lookups are broken; the IP is not listed.
    ReceiverError,
    /// Not about the sending IP (unknown user, mailbox full, network failure...).
    NotIp,
    /// No rule matched.
    Unclassified,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::IpBlock => "ip_block",
            Class::NetworkBlock => "network_block",
            Class::Throttle => "throttle",
            Class::Dnsbl => "dnsbl",
            Class::ReceiverError => "receiver_error",
            Class::NotIp => "not_ip",
            Class::Unclassified => "unclassified",
        }
    }

    /// Classes that mean "the receiver refuses mail from this IP".
    pub fn is_block(self) -> bool {
        matches!(self, Class::IpBlock | Class::NetworkBlock | Class::Dnsbl)
    }
}

/// Whether retrying can succeed. Decided by the text where the receiver says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permanence {
    Permanent,
    Temporary,
    /// Follow the reply code: 4xx temporary, 5xx permanent.
    FromReplyCode,
}

impl Permanence {
    pub fn as_str(self) -> &'static str {
        match self {
            Permanence::Permanent => "permanent",
            Permanence::Temporary => "temporary",
            Permanence::FromReplyCode => "by reply code",
        }
    }
}

#[derive(Debug)]
pub struct Rule {
    /// Stable identifier; appears in every report. Never rename one.
    pub id: &'static str,
    /// The receiver whose reply this is (`any` for generic rules).
    pub receiver: &'static str,
    /// Case-insensitive regex over the receiver's reply text (or the failure reason when there is no reply).
    pub pattern: &'static str,
    pub class: Class,
    pub permanence: Permanence,
    /// What support should do; empty when there is nothing to delist.
    pub delist_route: &'static str,
    /// A real reply this rule must classify (checked by a test).
    pub example: &'static str,
}

const OUTLOOK_FORM: &str = "Outlook.com sender support form https://support.microsoft.com/supportrequestform/8ad563e3-288e-2a61-8122-3ba03d6b8d75 (list the outbound IPs/ranges separated by '; ', paste the NDR, quote the rule ID such as S3140); register the range in SNDS/JMRP";
const SPAMHAUS: &str = "Spamhaus, not the receiver: look the IP up at https://check.spamhaus.org/ and follow the removal steps for the list named (SBL/XBL/CSS/PBL)";

pub const RULES: &[Rule] = &[
    Rule {
        id: "ms-o365-banned-ip",
        receiver: "office365",
        pattern: r"5\.7\.(60[6-9]|6[1-3][0-9]|64[0-9])\b.{0,60}banned sending IP",
        class: Class::IpBlock,
        permanence: Permanence::Permanent,
        delist_route: "Office 365 self-service delist portal https://sender.office.com (one IP and one recipient address per request; up to 24 h to take effect)",
        example: "550 5.7.606 Access denied, banned sending IP [185.234.72.45]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)",
    },
    Rule {
        id: "ms-o365-banned-sender-5.7.511",
        receiver: "office365",
        pattern: r"5\.7\.51 ?1\b.{0,60}banned sender",
        class: Class::IpBlock,
        permanence: Permanence::Permanent,
        delist_route: "Email delist@microsoft.com with the full NDR and the IP (the sender.office.com portal cannot lift 5.7.511); Microsoft answers within 48 h",
        example: "550 5.7.511 Access denied, banned sender[74.208.4.197]. To request removal from this list please forward this message to delist@messaging.microsoft.com. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653. AS(508) [SN1NAM04FT013.eop-NAM04.prod.protection.outlook.com]",
    },
    Rule {
        id: "ms-o365-blocklist-1",
        receiver: "office365",
        pattern: r"blocked using Blocklist 1",
        class: Class::IpBlock,
        permanence: Permanence::Permanent,
        delist_route: "Forward the NDR to delist@microsoft.com, or delist at https://sender.office.com",
        example: "550 5.7.1 Service unavailable; Client host [192.0.2.44] blocked using Blocklist 1; To request removal from this list please forward this message to delist@messaging.microsoft.com",
    },
    Rule {
        id: "ms-outlook-spamhaus-ou-001",
        receiver: "outlook.com",
        pattern: r"\bOU-001\b",
        class: Class::Dnsbl,
        permanence: Permanence::Permanent,
        delist_route: SPAMHAUS,
        example: "550 OU-001 (COL004-MC3F2) Unfortunately, messages from 199.79.62.103 weren't sent. Please contact your Internet service provider since part of their network is on our block list. You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    },
    Rule {
        id: "ms-outlook-network-blocklist",
        receiver: "outlook.com",
        pattern: r"part of their network is on our block list",
        class: Class::NetworkBlock,
        permanence: Permanence::Permanent,
        delist_route: OUTLOOK_FORM,
        example: "550 5.7.1 Unfortunately, messages from [82.98.171.203] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [Name=Protocol Filter Agent][AGT=PFA][MxId=11BC54339C3FD8FF] [BN3PEPF0000B077.namprd04.prod.outlook.com 2025-11-25T08:06:40.951Z 08DE2A19D02BF789]",
    },
    Rule {
        id: "ms-outlook-rate-limited",
        receiver: "outlook.com",
        pattern: r"4\.7\.65[01]\b.{0,80}rate limited due to IP reputation",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "Not delistable: lower the sending rate and concurrency towards Outlook.com and check SNDS; if it persists for days, open an Outlook.com sender support ticket",
        example: "451 4.7.650 The mail server [158.36.161.6] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BCD825A78A8D0B] [AMS0EPF000001A7.eurprd05.prod.outlook.com 2026-02-25T11:12:39.245Z 08DE6C12E206EF5D]",
    },
    Rule {
        id: "ms-max-connections",
        receiver: "outlook.com",
        pattern: r"4\.7\.652\b",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "Not delistable: lower the number of concurrent connections to Outlook.com",
        example: "451 4.7.652 The mail server [192.0.2.251] has exceeded the maximum number of connections. (S3115) [Name=Protocol Filter Agent][AGT=PFA]",
    },
    Rule {
        id: "ms-access-denied-try-later",
        receiver: "office365",
        pattern: r"4\.7\.(550|8[5-9][0-9])\b.{0,40}access denied, please try again later",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "Not delistable: Microsoft restricts the IP while it evaluates suspicious activity and lifts it by itself",
        example: "451 4.7.550 Access denied, please try again later",
    },
    Rule {
        id: "ms-server-busy",
        receiver: "office365",
        pattern: r"4\.7\.(5[0-9][0-9]|6[0-9][0-9])\b.{0,60}(server busy|try again later)",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "Not delistable: Microsoft lifts it as the IP builds sending history over a few days; keep volume steady",
        example: "451 4.7.500 Server busy. Please try again later from [2.56.250.16]. (S77714) [DB1PEPF000509EF.eurprd03.prod.outlook.com 2025-09-06T02:41:15.886Z 08DDE524AD2CBD69]",
    },
    Rule {
        id: "dnsbl-receiver-resolver-error",
        receiver: "any",
        pattern: r"spamhaus.{0,200}(open resolver|returnc/|127\.255\.255\.)|(open resolver|127\.255\.255\.).{0,200}spamhaus",
        class: Class::ReceiverError,
        permanence: Permanence::FromReplyCode,
        delist_route: "",
        example: "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; Error: open resolver; https://check.spamhaus.org/returnc/pub/46.38.225.230/",
    },
    Rule {
        id: "gmail-unsolicited-rate-limited",
        receiver: "gmail",
        pattern: r"^4[0-9][0-9][ -].*unsolicited mail\s+(4[0-9][0-9][- ][0-9.]+\s+)?originating from your IP",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "No delisting at Google: reduce the volume, check Google Postmaster Tools and stop the customer's unsolicited mail",
        example: "421-4.7.0 [216.194.173.80 15] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. To protect our 421-4.7.0 users from spam, mail sent from your IP address has been temporarily 421-4.7.0 rate limited. Please visit 421-4.7.0 https://support.google.com/mail/?p=UnsolicitedRateLimitError to 421 4.7.0 review our Bulk Email Senders Guidelines. p4si3522070uam.9 - gsmtp",
    },
    Rule {
        id: "gmail-unsolicited-blocked",
        receiver: "gmail",
        pattern: r"^5[0-9][0-9][ -].*unsolicited mail\s+(5[0-9][0-9][- ][0-9.]+\s+)?originating from your IP",
        class: Class::IpBlock,
        permanence: Permanence::Permanent,
        delist_route: "No delisting at Google: stop the unsolicited mail, then check Google Postmaster Tools; the block lifts as reputation recovers",
        example: "550-5.7.1 [31.14.138.158 1] Our system has detected an unusual rate of 550-5.7.1 unsolicited mail originating from your IP address. To protect our 550-5.7.1 users from spam, mail sent from your IP address has been blocked. 550-5.7.1 Please visit 550-5.7.1 https://support.google.com/mail/?p=UnsolicitedIPError to review our 550 5.7.1 Bulk Email Senders Guidelines. s25si6573124wmj.54 - gsmtp",
    },
    Rule {
        id: "gmail-low-ip-reputation-deferred",
        receiver: "gmail",
        pattern: r"^4[0-9][0-9][ -].*very low\s+(4[0-9][0-9][- ][0-9.]+\s+)?reputation of the sending IP",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "No delisting at Google: improve the IP's reputation (Google Postmaster Tools)",
        example: "421-4.7.0 [14.200.59.18 15] Our system has detected that this message is 421-4.7.0 suspicious due to the very low reputation of the sending IP address. 421-4.7.0 To protect our users from spam, mail sent from your IP address has 421-4.7.0 been temporarily rate limited. Please visit 421 4.7.0 https://support.google.com/mail/answer/188131 for more information. c185si2211020itg.117 - gsmtp",
    },
    Rule {
        id: "gmail-low-ip-reputation-blocked",
        receiver: "gmail",
        pattern: r"^5[0-9][0-9][ -].*very low\s+(5[0-9][0-9][- ][0-9.]+\s+)?reputation of the sending IP",
        class: Class::IpBlock,
        permanence: Permanence::Permanent,
        delist_route: "No delisting at Google: improve the IP's reputation (Google Postmaster Tools)",
        example: "550-5.7.1 [82.165.159.36 18] Our system has detected that this message is likely suspicious due to the very low reputation of the sending IP address. To best protect our users from spam, the message has been blocked. Please visit https://support.google.com/mail/answer/188131 for more information. m11si3549232wrf.145 - gsmtp",
    },
    Rule {
        id: "yahoo-permanently-deferred",
        receiver: "yahoo",
        pattern: r"\[(TS03|TSS09|TSS11)\]|will be permanently deferred",
        class: Class::IpBlock,
        permanence: Permanence::Permanent,
        delist_route: "Yahoo Sender Support Request (https://senders.yahooinc.com/contact); retrying will not succeed",
        example: "421 4.7.1 [TS03] All messages from 37.59.121.209 will be permanently deferred; Retrying will NOT succeed. See https://help.yahoo.com/kb/postmaster/SLN3436.html",
    },
    Rule {
        id: "yahoo-deferred-complaints",
        receiver: "yahoo",
        pattern: r"\[(TSS04|TS01|TS02)\]",
        class: Class::Throttle,
        permanence: Permanence::Temporary,
        delist_route: "Slow down towards Yahoo/AOL; if it persists, file a Yahoo Sender Support Request (https://senders.yahooinc.com/contact)",
        example: "421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.verizonmedia.com/error-codes",
    },
    Rule {
        id: "dnsbl-spamhaus",
        receiver: "any",
        pattern: r"spamhaus",
        class: Class::Dnsbl,
        permanence: Permanence::FromReplyCode,
        delist_route: SPAMHAUS,
        example: "550 5.7.1 Service unavailable, Client host [50.31.49.41] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/50.31.49.41 (AS3130). [VE1EUR01FT062.eop-EUR01.prod.protection.outlook.com]",
    },
    Rule {
        id: "dnsbl-barracuda",
        receiver: "any",
        pattern: r"barracuda",
        class: Class::Dnsbl,
        permanence: Permanence::FromReplyCode,
        delist_route: "Barracuda BRBL removal request https://www.barracudacentral.org/rbl/removal-request",
        example: "454 4.7.1 Service unavailable; Client host [31.192.230.246] blocked using b.barracudacentral.org",
    },
    Rule {
        id: "dnsbl-spamcop",
        receiver: "any",
        pattern: r"spamcop",
        class: Class::Dnsbl,
        permanence: Permanence::FromReplyCode,
        delist_route: "SpamCop listings expire about 24 h after the last report: stop the spam; details at https://www.spamcop.net/bl.shtml",
        example: "554 5.7.1 Service unavailable; Client host [167.89.94.22] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?167.89.94.22",
    },
    Rule {
        id: "dnsbl-other",
        receiver: "any",
        pattern: r"blocked using [a-z0-9.-]+\.[a-z]{2,}|listed (at|in|on|by) [a-z0-9.-]+\.[a-z]{2,}",
        class: Class::Dnsbl,
        permanence: Permanence::FromReplyCode,
        delist_route: "Look the IP up at the block list named in the reply and follow its removal procedure",
        example: "554 5.7.1 Service unavailable; Client host [199.79.62.128] blocked using dnsbl.sorbs.net; Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?199.79.62.128",
    },
    Rule {
        id: "recipient-rejected-5.4.1",
        receiver: "any",
        pattern: r"(^|[\s-])5\.4\.1\b|recipient address rejected: access denied",
        class: Class::NotIp,
        permanence: Permanence::Permanent,
        delist_route: "",
        example: "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A5F.eurprd04.prod.outlook.com 2026-11-02T10:00:01.000Z 08DE1A2B3C4D5E6F]",
    },
    Rule {
        id: "recipient-unknown",
        receiver: "any",
        pattern: r"(^|[\s-])5\.1\.(1|0|10)\b|user unknown|unknown user|does not exist|no such (user|mailbox)|mailbox unavailable|recipientnotfound|recipient not found|(doesn't|does not) have an? [a-z0-9.-]+ account",
        class: Class::NotIp,
        permanence: Permanence::Permanent,
        delist_route: "",
        example: "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
    },
    Rule {
        id: "mailbox-full",
        receiver: "any",
        pattern: r"(^|[\s-])[45]\.2\.2\b|mailbox (is )?full|over quota|quota exceeded|insufficient storage",
        class: Class::NotIp,
        permanence: Permanence::FromReplyCode,
        delist_route: "",
        example: "552 5.2.2 Mailbox full",
    },
    Rule {
        id: "greylisted",
        receiver: "any",
        pattern: r"greylist|graylist",
        class: Class::NotIp,
        permanence: Permanence::Temporary,
        delist_route: "",
        example: "450 4.7.1 <user@example.com>: Recipient address rejected: Greylisted for 5 minutes",
    },
    Rule {
        id: "network-failure",
        receiver: "any",
        pattern: r"connection timed out|connection refused|no route to host|network is unreachable|lost connection with|conversation with .{1,300} timed out",
        class: Class::NotIp,
        permanence: Permanence::Temporary,
        delist_route: "",
        example: "connect to mx.example.org[192.0.2.250]:25: Connection timed out",
    },
    Rule {
        id: "dns-failure",
        receiver: "any",
        pattern: r"host or domain name not found|name service error|does not accept mail \(nullmx\)",
        class: Class::NotIp,
        permanence: Permanence::FromReplyCode,
        delist_route: "",
        example: "Host or domain name not found. Name service error for name=example.invalid type=MX: Host not found",
    },
];

/// The pseudo-rule for replies no rule matched.
pub const UNCLASSIFIED: Rule = Rule {
    id: "unclassified",
    receiver: "any",
    pattern: "",
    class: Class::Unclassified,
    permanence: Permanence::FromReplyCode,
    delist_route: "",
    example: "",
};
