//! One delivery line recorded: its sending IP (and where that came from), receiver platform,
//! status code and rule, folded into the file's event, activity and unclassified cells.

use super::crossings;
use super::line::{Delivery, Outcome};
use super::replies::{self as cache, Reply};
use crate::attribute::inventory::Inventory;
use crate::attribute::resolve::decide;
use crate::attribute::sending_ip::{ip_from_reply, ip_from_syslog_name};
use crate::classify::{self, platform::platform_of_mx, RuleSet};
use crate::model::{
    name, unclassified_text, Activity, ActivityKey, EventKey, IpSource, Partial, Pending,
    UnclassifiedKey, VpsName,
};
use std::net::IpAddr;

/// The sending IP as the log gives it, without the inventory: the address and where it came
/// from (`Reply` for one the receiver quoted, `Unknown` with none), and the connection's family
/// when no address is given (`attribute::resolve::decide` makes the rest of the decision).
pub(crate) fn logged_ip(d: &Delivery) -> (Option<IpAddr>, IpSource, Option<bool>) {
    logged_ip_by(d, |d| ip_from_reply(&d.reply, d.receiver_ip))
}

/// `logged_ip`, with the address the reply quotes found by `quoted` (cached per reply in a run).
fn logged_ip_by(
    d: &Delivery,
    quoted: impl FnOnce(&Delivery) -> Option<IpAddr>,
) -> (Option<IpAddr>, IpSource, Option<bool>) {
    // A NATed VPS logs its private interface; receivers see (and quote) the public address.
    // A dual-stack socket logs IPv4 as `::ffff:a.b.c.d`: that is the IPv4 address.
    let interface = d.sending_ip.map(|ip| ip.to_canonical());
    if let Some(ip) = interface.filter(|ip| !is_internal(*ip)) {
        return (Some(ip), IpSource::MtaInterface, None);
    }
    if d.has_receiver_reply && d.outcome != Outcome::Sent {
        if let Some(ip) = quoted(d) {
            return (Some(ip), IpSource::Reply, None);
        }
    }
    if let Some(ip) = ip_from_syslog_name(d.instance) {
        return (Some(ip), IpSource::SyslogName, None);
    }
    let v6 = d.receiver_ip.map(|r| r.to_canonical().is_ipv6());
    (None, IpSource::Unknown, v6)
}

/// What the inventory still has to decide about a logged IP (see `model::Pending`).
fn pending_of((ip, source, v6): (Option<IpAddr>, IpSource, Option<bool>)) -> Pending {
    let quoted = source == IpSource::Reply;
    if quoted || ip.is_none() {
        Pending::AsLogged { quoted, v6 }
    } else {
        Pending::Decided
    }
}

/// The sending IP and its provenance, decided with the inventory (`blockscope classify`).
pub(crate) fn sending_ip(
    d: &Delivery,
    observed_vps: Option<u32>,
    inv: &Inventory,
) -> (Option<IpAddr>, IpSource) {
    decide(inv, logged_ip(d), observed_vps.map(|v| v as usize))
}

/// The reply's status code (`5.7.606`, `554`) when the receiver answered, else the MTA's dsn.
pub(crate) fn status_code<'a>(d: &'a Delivery) -> &'a str {
    d.has_receiver_reply
        .then(|| classify::reply_code(&d.reply))
        .flatten()
        .or(d.dsn)
        .unwrap_or("")
}

/// What the pipeline makes of one delivery: everything a report row is built from.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryFacts {
    pub(crate) ip: Option<IpAddr>,
    pub(crate) ip_source: IpSource,
    pub(crate) platform: &'static str,
    pub(crate) code: String,
    pub(crate) rule: crate::model::RuleIdx,
    pub(crate) receiver_rule_id: Option<Box<str>>,
}

/// The facts of one delivery, as `run` records them (`blockscope classify` prints them).
pub(crate) fn delivery_facts(
    d: &Delivery,
    observed_vps: Option<u32>,
    inv: &Inventory,
    rules: &RuleSet,
) -> DeliveryFacts {
    let (ip, ip_source) = sending_ip(d, observed_vps, inv);
    let code = status_code(d);
    let rule = if d.outcome == Outcome::Sent {
        rules.unclassified_idx()
    } else {
        rules.classify(&d.reply, code)
    };
    DeliveryFacts {
        ip,
        ip_source,
        platform: d.receiver_host.map_or("unknown", platform_of_mx),
        code: code.to_string(),
        rule,
        receiver_rule_id: receiver_rule_id(d),
    }
}

/// The receiver's own rule id, from its reply only (never from the MTA's own words).
fn receiver_rule_id(d: &Delivery) -> Option<Box<str>> {
    if d.has_receiver_reply {
        classify::receiver_rule_id(&d.reply).map(String::into_boxed_str)
    } else {
        None
    }
}

/// Addresses no receiver ever sees as the client: loopback, private, link-local, CGNAT, ULA
/// (IPv4-mapped ones too).
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The VPS a line was logged by: its interned vps_id, which the cells carry (the inventory's
/// decisions about it wait for `attribute::resolve`).
#[derive(Clone, Copy)]
pub(crate) struct Observed {
    pub(crate) name: Option<VpsName>,
}

impl Observed {
    /// Interns the name: call once per file or host, not per line.
    /// The directory's name, as logged, for `attribute::resolve` to look up.
    pub(crate) fn as_logged(dir: &str) -> Observed {
        Observed {
            name: Some(name::intern(dir)),
        }
    }

    pub(crate) fn of(inv: &Inventory, index: Option<u32>) -> Observed {
        Observed {
            name: index.map(|v| name::intern(&inv.vpses[v as usize].id)),
        }
    }
}

/// When a line was logged: its time and calendar day.
#[derive(Clone, Copy)]
pub(crate) struct At {
    pub(crate) time: i64,
    pub(crate) day: i32,
}

/// Record one delivery as logged (`attribute::resolve` decides the rest); returns the VPS and
/// the address its reply quotes, for the crossings listed as input problems.
pub(crate) fn record_delivery(
    d: &Delivery,
    at: At,
    observed: Observed,
    rules: &RuleSet,
    p: &mut Partial,
) -> Option<crossings::Quoted> {
    if d.outcome == Outcome::Sent {
        // A sent line's reply (`250 2.0.0 Ok: queued as ...`) is never looked at: not cached.
        let mut no_reply = None;
        return record(d, at, observed, &mut no_reply, p);
    }
    cache::with_reply(rules, &d.reply, |reply| {
        record(d, at, observed, &mut Some(reply), p)
    })
}

fn record(
    d: &Delivery,
    at: At,
    observed: Observed,
    reply_facts: &mut Option<&mut Reply>,
    p: &mut Partial,
) -> Option<crossings::Quoted> {
    p.record_time(at.day, at.time);
    let logged = logged_ip_by(d, |d| {
        let facts = reply_facts
            .as_mut()
            .expect("a reply is looked at only when not sent");
        facts.quoted_ip(d.receiver_ip)
    });
    let (ip, ip_source, v6) = logged;
    let pending = pending_of(logged);
    let quoted = observed
        .name
        .zip(ip)
        .filter(|_| ip_source == IpSource::Reply);
    let activity_key = ActivityKey {
        day: at.day,
        observed_vps: observed.name,
        ip,
        pending,
    };
    // A file naming millions of sending IPs is hostile: count, do not grow without bound.
    if p.activity.len() >= MAX_KEYS_PER_FILE && !p.activity.contains_key(&activity_key) {
        p.stats.skip(TOO_MANY_KEYS);
        return None;
    }
    let activity: &mut Activity = p.activity.entry(activity_key).or_default();
    match d.outcome {
        Outcome::Sent => {
            activity.sent += 1;
            p.stats.sent += 1;
            return None;
        }
        Outcome::Deferred => {
            activity.deferred += 1;
            p.stats.deferred += 1;
        }
        Outcome::Bounced => {
            activity.bounced += 1;
            p.stats.bounced += 1;
        }
    }
    if d.recipient.is_none() {
        p.stats.non_final_replies += 1;
    }
    let reply: &str = &d.reply;
    let facts = reply_facts
        .as_mut()
        .expect("sent lines returned above: a reply is looked at");
    let platform = d.receiver_host.map_or("unknown", platform_of_mx);
    // `status_code`, with the reply's code found once per distinct reply.
    let code = d
        .has_receiver_reply
        .then(|| facts.code())
        .flatten()
        .or(d.dsn)
        .unwrap_or("");
    let code: Box<str> = code.into();
    let rule = facts.rule(&code);
    if rule == facts.unclassified_idx() {
        let key = UnclassifiedKey {
            day: at.day,
            reply: unclassified_text(facts.normalised()),
            platform,
            code: code.clone(),
        };
        p.record_unclassified(key, ip, observed.name.map(|vps| (vps, v6)));
    }
    let receiver_rule_id = if d.has_receiver_reply {
        facts.receiver_rule_id()
    } else {
        None
    };
    let key = EventKey {
        day: at.day,
        observed_vps: observed.name,
        ip,
        ip_source,
        rule,
        platform,
        code,
        receiver_rule_id,
        pending,
    };
    if p.events.len() >= MAX_KEYS_PER_FILE && !p.events.contains_key(&key) {
        p.stats.skip(TOO_MANY_KEYS);
        return None;
    }
    p.record_event(key, at.time, reply);
    quoted
}

/// Cap a finished file's unclassified groups at the per-file limit (merging a central file's
/// hosts or a split file's ranges may have used the run's) and list what was dropped.
pub(crate) fn close_unclassified(file: &str, partial: &mut Partial) {
    use crate::model::UNCLASSIFIED_PER_FILE;
    let dropped = partial.cap_unclassified(UNCLASSIFIED_PER_FILE)
        + std::mem::take(&mut partial.stats.unclassified_dropped_in_run);
    partial.stats.unclassified_dropped_in_files += dropped;
    let n = partial.stats.unclassified_dropped_in_files;
    if n > 0 {
        partial.stats.problem(
            file,
            None,
            format!("{n} unclassified repl(ies) counted but not kept for unclassified.csv: the file has more than {UNCLASSIFIED_PER_FILE} distinct unclassified reply texts (per receiver, code and day)"),
        );
    }
}

/// Distinct (sending IP, rule, receiver, day) cells one file may add; a VPS has a handful of IPs.
pub(crate) const MAX_KEYS_PER_FILE: usize = 100_000;
pub(crate) const TOO_MANY_KEYS: &str = "too many distinct sending IPs in one file";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_interfaces_are_not_what_receivers_see() {
        for ip in [
            "127.0.0.1",
            "10.0.0.5",
            "172.16.3.4",
            "192.168.1.2",
            "100.64.0.9",
            "169.254.1.1",
            "::1",
            "fd00::5",
            "fe80::1",
            "::ffff:10.0.0.5",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "198.51.100.7",
            "203.0.113.9",
            "192.0.2.1",
            "2001:db8::7",
            "8.8.8.8",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
