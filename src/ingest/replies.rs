//! A per-file cache of classified replies: every retry of a blocked queue repeats its reply, so
//! whoever reads one file (ingest) classifies each distinct (reply, code) once.

use super::RuleSet;
use crate::model::RuleIdx;

/// Classified (reply, code) pairs of one file.
pub(crate) type ReplyCache = foldhash::HashMap<(String, String), RuleIdx>;

/// The rule set with a per-file cache of classified replies.
pub(crate) struct CachedRules<'a> {
    pub(crate) set: &'a RuleSet,
    pub(crate) cache: &'a mut ReplyCache,
}

impl CachedRules<'_> {
    pub(crate) fn classify(&mut self, reply: &str, code: &str) -> crate::model::RuleIdx {
        // Bounded: a file of all-distinct replies must not grow the cache without limit.
        const MAX: usize = 4096;
        const MAX_CACHED_REPLY: usize = 4096;
        let key = (reply.to_string(), code.to_string());
        if let Some(&rule) = self.cache.get(&key) {
            return rule;
        }
        let rule = self.set.classify(reply, code);
        // Long replies neither repeat nor fit: 4096 cached 1 MiB replies would be 4 GiB.
        if self.cache.len() < MAX && reply.len() <= MAX_CACHED_REPLY {
            self.cache.insert(key, rule);
        }
        rule
    }
}
