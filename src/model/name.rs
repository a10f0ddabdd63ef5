//! Interned names cells carry: the VPS a line was logged by. A key stays small, and the name
//! means the same to every run, host and inventory (an inventory index would not). Names come
//! from the inventory at ingest and from stored cells read back, so their number is bounded
//! by the fleet, not by the lines read.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// A VPS by its inventory vps_id, interned.
pub(crate) type VpsName = &'static str;

/// The one static copy of `name` (leaked once per distinct name).
pub(crate) fn intern(name: &str) -> &'static str {
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.get(name) {
        return s;
    }
    let s: &'static str = Box::leak(name.to_string().into_boxed_str());
    seen.insert(s);
    s
}
