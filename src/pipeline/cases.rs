//! The run's side of the delisting cases: load them with the state (a corrupt file stops the
//! run before any work), join them with the night's rows, save them after the reports.

use crate::aggregate::cases::{join, Night};
use crate::aggregate::Aggregates;
use crate::config::Config;
use crate::error::Result;
use crate::model::case::Cases;

/// The cases in `--state` (None without a state).
pub(crate) fn load(config: &Config) -> Result<Option<Cases>> {
    config
        .state
        .as_deref()
        .map(crate::state::cases::load)
        .transpose()
}

/// Join the cases with the night; returns them to save when the night may move them on (a
/// nightly window with log lines), None when the run only reports.
pub(crate) fn follow(
    config: &Config,
    cases: Option<Cases>,
    agg: &mut Aggregates,
    conclude: bool,
) -> Option<Cases> {
    let mut cases = cases?;
    let end = agg
        .last_time
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
    let night = Night {
        end,
        conclude,
        quiet_nights: config.case_quiet_nights,
    };
    agg.cases = Some(join(&mut cases, agg, night));
    conclude.then_some(cases)
}
