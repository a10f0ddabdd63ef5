//! The neutral data model at the bottom of the pipeline: the typed cells one input file yields
//! (event, activity and unclassified cells with their stats), the per-file `Partial` that holds
//! and merges them, and the small value types they carry (day numbers, IP provenance, rule
//! index, file cursors, SNDS data). `ingest` produces these, `persist` stores them, `aggregate`
//! consumes them; this module imports nothing else from the crate.

pub(crate) mod case;
pub(crate) mod cells;
pub(crate) mod cursor;
pub(crate) mod day;
pub(crate) mod dnsbl;
pub(crate) mod ip_source;
pub(crate) mod name;
pub(crate) mod partial;
pub(crate) mod provider;
pub(crate) mod quoted;
pub(crate) mod set;
pub mod snds;
pub(crate) mod stats;

pub(crate) use cells::{
    unclassified_text, Activity, ActivityKey, EventAgg, EventKey, Pending, UnclassifiedAgg,
    UnclassifiedKey, UNCLASSIFIED_PER_FILE, UNCLASSIFIED_PER_RUN,
};
pub(crate) use cursor::FileCursor;
pub(crate) use ip_source::IpSource;
pub(crate) use name::VpsName;
pub(crate) use partial::Partial;
pub(crate) use provider::Provider;
pub(crate) use quoted::{Quoted, QuotedLines};
pub(crate) use stats::{Problem, Stats};

/// Whether two networks share an address (CIDR blocks either nest or are disjoint).
pub(crate) fn networks_overlap(a: ipnetwork::IpNetwork, b: ipnetwork::IpNetwork) -> bool {
    a.contains(b.network()) || b.contains(a.network())
}

/// Index into a `classify::RuleSet`; `RuleSet::unclassified_idx()` stands for "unclassified".
pub(crate) type RuleIdx = u16;

/// How much of a recipient address reports show (`--recipients`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecipientDetail {
    /// `*@example.com`.
    #[default]
    Domain,
    Full,
}
