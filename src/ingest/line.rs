//! What a log line is, whatever MTA wrote it. Parsers never fail: every line becomes an `Event`.

use std::borrow::Cow;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Deferred,
    Bounced,
}

/// One outbound delivery attempt, or a non-final receiver reply for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery<'a> {
    pub outcome: Outcome,
    /// Instance label that may embed the sending IP (Postfix syslog_name `postfix-198.51.100.7`).
    pub instance: &'a str,
    /// Receiving MX host name.
    pub receiver_host: Option<&'a str>,
    /// Receiving MX address. Never the sender's.
    pub receiver_ip: Option<IpAddr>,
    /// The local address the MTA itself logged (Exim `I=[ip]`, OpenSMTPD `source="ip"`).
    pub sending_ip: Option<IpAddr>,
    pub dsn: Option<&'a str>,
    /// The receiver's reply when `has_receiver_reply`, else the MTA's own failure text.
    pub reply: Cow<'a, str>,
    pub has_receiver_reply: bool,
    pub recipient: Option<&'a str>,
}

impl<'a> Delivery<'a> {
    pub(crate) fn new(outcome: Outcome) -> Delivery<'a> {
        Delivery {
            outcome,
            instance: "",
            receiver_host: None,
            receiver_ip: None,
            sending_ip: None,
            dsn: None,
            reply: Cow::Borrowed(""),
            has_receiver_reply: false,
            recipient: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    NoTimestamp,
    DeliveryWithoutStatus,
    UnknownStatus,
    TimestampStyleChanged,
    TooLong,
    /// A recipient address that does not end where RFC 5321 quoting says (unterminated quote or
    /// bracket): the MTA's fields cannot be told from the stranger's text, so none is guessed.
    MalformedRecipient,
}

impl SkipReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SkipReason::NoTimestamp => "no recognisable timestamp",
            SkipReason::DeliveryWithoutStatus => "delivery line without status=",
            SkipReason::UnknownStatus => "delivery line with an unknown status= word",
            SkipReason::TimestampStyleChanged => {
                "timestamp style differs from the rest of the file"
            }
            SkipReason::TooLong => "line longer than 1 MiB",
            SkipReason::MalformedRecipient => {
                "delivery line with a malformed recipient address (unterminated quote or bracket)"
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    Delivery(Delivery<'a>),
    /// A message given up after the queue lifetime (Postfix `status=expired`, Exim retry timeout).
    Expired,
    /// A deferral re-using an earlier verdict, not a new attempt (Postfix `postfix/error`, Exim
    /// "retry time not reached").
    Suspended,
    /// Local delivery or hand-off (content filter, LMTP socket, mailbox): not outbound.
    Local,
    Noise,
    Skipped(SkipReason),
}
