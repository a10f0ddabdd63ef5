//! Persistence of the event cells: the state's per-day files (`days`) and the Parquet partials
//! a log host writes for a central report (`partials`), both through one field list (`cells`).
//! Sits on `model`, and names rules through `classify` (a rule index is valid for one run
//! only); `state` and the commands use it.

pub(crate) mod cells;
pub(crate) mod days;
pub(crate) mod partials;
