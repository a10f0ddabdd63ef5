//! The neutral data model at the bottom of the pipeline: the typed cells one input file yields
//! (event, activity and unclassified cells with their stats), the per-file `Partial` that holds
//! and merges them, and the small value types they carry (day numbers, IP provenance, rule
//! index, file cursors, SNDS data). `ingest` produces these, `persist` stores them, `aggregate`
//! consumes them; this module imports nothing else from the crate.

pub mod cells;
pub mod cursor;
pub mod day;
pub mod ip_source;
pub mod name;
pub mod partial;
pub mod quoted;
pub mod snds;
pub mod stats;

pub use cells::{
    unclassified_text, Activity, ActivityKey, EventAgg, EventKey, Pending, UnclassifiedAgg,
    UnclassifiedKey, UNCLASSIFIED_PER_FILE, UNCLASSIFIED_PER_RUN, UNCLASSIFIED_TEXT_BYTES,
};
pub use cursor::FileCursor;
pub use ip_source::IpSource;
pub use name::VpsName;
pub use partial::Partial;
pub use quoted::{Quoted, QuotedKey, QuotedLines};
pub use stats::{Problem, Stats};

/// Index into a `classify::RuleSet`; `RuleSet::unclassified_idx()` stands for "unclassified".
pub type RuleIdx = u16;
