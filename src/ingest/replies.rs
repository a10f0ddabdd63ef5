//! A per-worker cache of what a receiver's reply says: every retry of a blocked queue repeats its
//! reply, and the same replies come back in the next file a worker reads, so each distinct reply
//! is classified (and its code, receiver rule id and quoted addresses found) once per worker
//! thread, not once per line or per file.
//!
//! Sound by construction: the key is the exact reply text (with the rule set's identity), and
//! every cached value is a pure function of that text (and of the status code, kept in the
//! entry beside the rule it gave). Nothing that differs between two lines is cached: the
//! receiver's own address, which the quoted-address choice must skip, is applied per line to the
//! cached candidates. Results therefore never depend on which worker read which file first
//! (`properties::reports_do_not_depend_on_the_thread_count`), and lookups allocate nothing.

use crate::classify::{self, RuleSet};
use crate::model::RuleIdx;
use std::cell::RefCell;
use std::net::IpAddr;
use std::ops::Range;

/// Distinct replies kept per worker (about 1 KiB each with their facts: ~1 MiB per worker).
const MAX_ENTRIES: usize = 1024;
/// Long replies neither repeat nor fit: 1024 cached 1 MiB replies would be 1 GiB.
const MAX_CACHED_REPLY: usize = 4096;
/// Status codes one reply is classified with (its own, or the MTA's dsn when it has none).
const MAX_CODES: usize = 4;

/// What a reply says, each part found when first asked for.
#[derive(Default)]
pub(crate) struct Facts {
    /// `classify::matching_text` of the reply (what rules and address finders read), made once.
    matching: Option<Box<str>>,
    /// `reply_code`'s match, as a byte range of the reply.
    code: Option<Option<Range<usize>>>,
    rule_id: Option<Option<Box<str>>>,
    /// Addresses quoted as the client, earliest first (`sending_ip::quoted_candidates`).
    quoted: Option<Box<[IpAddr]>>,
    /// The rule for (reply, status code).
    rules: Vec<(Box<str>, RuleIdx)>,
    /// `normalise_reply`, for unclassified replies.
    normalised: Option<String>,
}

/// One reply with its facts, cached or (past the bounds) not.
pub(crate) struct Reply<'a> {
    set: &'a RuleSet,
    text: &'a str,
    facts: &'a mut Facts,
}

impl Reply<'_> {
    /// The reply's status code (`classify::reply_code`).
    pub(crate) fn code(&mut self) -> Option<&str> {
        let text = self.text;
        let range = self.facts.code.get_or_insert_with(|| {
            classify::reply_code(text).map(|c| {
                let start = c.as_ptr() as usize - text.as_ptr() as usize;
                start..start + c.len()
            })
        });
        range.clone().map(|r| &self.text[r])
    }

    /// The receiver's own rule id (`classify::receiver_rule_id`).
    pub(crate) fn receiver_rule_id(&mut self) -> Option<Box<str>> {
        let text = self.text;
        self.facts
            .rule_id
            .get_or_insert_with(|| classify::receiver_rule_id(text).map(String::into_boxed_str))
            .clone()
    }

    /// The address the receiver quotes as the client, never `receiver` (`ip_from_reply`).
    pub(crate) fn quoted_ip(&mut self, receiver: Option<IpAddr>) -> Option<IpAddr> {
        if self.facts.quoted.is_none() {
            let found = crate::attribute::sending_ip::quoted_candidates_in(self.matching());
            self.facts.quoted = Some(found.into_boxed_slice());
        }
        let quoted = self.facts.quoted.as_deref().unwrap_or_default();
        crate::attribute::sending_ip::first_not_receiver(quoted, receiver)
    }

    /// The rule for this reply with this status code (`RuleSet::classify`).
    pub(crate) fn rule(&mut self, code: &str) -> RuleIdx {
        if let Some((_, rule)) = self.facts.rules.iter().find(|(c, _)| &**c == code) {
            return *rule;
        }
        let set = self.set;
        let rule = set.classify_matching_text(self.matching(), code);
        if self.facts.rules.len() < MAX_CODES {
            self.facts.rules.push((code.into(), rule));
        }
        rule
    }

    /// `classify::matching_text` of the reply.
    fn matching(&mut self) -> &str {
        let text = self.text;
        self.facts
            .matching
            .get_or_insert_with(|| classify::matching_text(text).into())
    }

    /// The index meaning "no rule applies".
    pub(crate) fn unclassified_idx(&self) -> RuleIdx {
        self.set.unclassified_idx()
    }

    /// `normalise_reply` of the reply.
    pub(crate) fn normalised(&mut self) -> String {
        let text = self.text;
        self.facts
            .normalised
            .get_or_insert_with(|| classify::normalise_reply(text))
            .clone()
    }
}

#[derive(Default)]
struct WorkerCache {
    /// `RuleSet::id` of the rules the entries were classified with.
    rules: u64,
    entries: foldhash::HashMap<Box<str>, Facts>,
}

thread_local! {
    static WORKER: RefCell<WorkerCache> = RefCell::new(WorkerCache::default());
}

/// Run `f` on `reply` with this worker's cached facts about it.
pub(crate) fn with_reply<R>(set: &RuleSet, reply: &str, f: impl FnOnce(&mut Reply) -> R) -> R {
    WORKER.with(|cell| {
        let Ok(mut cache) = cell.try_borrow_mut() else {
            return uncached(set, reply, f);
        };
        let cache = &mut *cache;
        if cache.rules != set.id() {
            cache.entries.clear();
            cache.rules = set.id();
        }
        if !cache.entries.contains_key(reply) {
            if reply.len() > MAX_CACHED_REPLY || cache.entries.len() >= MAX_ENTRIES {
                return uncached(set, reply, f);
            }
            cache.entries.insert(reply.into(), Facts::default());
        }
        let facts = cache.entries.get_mut(reply).expect("just looked up");
        f(&mut Reply {
            set,
            text: reply,
            facts,
        })
    })
}

fn uncached<R>(set: &RuleSet, reply: &str, f: impl FnOnce(&mut Reply) -> R) -> R {
    f(&mut Reply {
        set,
        text: reply,
        facts: &mut Facts::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::sending_ip::ip_from_reply;

    /// Every rule's example and every published reply (tests/fixtures/real-replies).
    fn replies() -> Vec<String> {
        let mut out: Vec<String> = RuleSet::builtin()
            .rules()
            .iter()
            .map(|r| r.example.clone())
            .collect();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-replies");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let value: toml::Value =
                toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for item in value["reply"].as_array().unwrap() {
                out.push(item["text"].as_str().unwrap().to_string());
            }
        }
        assert!(out.len() > 200, "{} replies", out.len());
        out
    }

    /// The reply with its ids, host numbers and addresses varied: every digit shifted, every
    /// hex letter swapped, another address quoted.
    fn variants(reply: &str) -> Vec<String> {
        let shifted: String = reply
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from(b'0' + (c as u8 - b'0' + 3) % 10),
                _ => c,
            })
            .collect();
        let hex: String = reply
            .chars()
            .map(|c| match c {
                'A'..='F' => char::from(b'F' - (c as u8 - b'A')),
                _ => c,
            })
            .collect();
        vec![
            reply.to_string(),
            shifted,
            hex,
            reply.replace("192.0.2.", "198.51.100."),
            format!(
                "{reply} [AM6PR0{}MB1234.eurprd04.prod.outlook.com]",
                reply.len() % 10
            ),
        ]
    }

    #[test]
    fn cached_and_uncached_replies_classify_alike() {
        let set = RuleSet::builtin();
        let receivers: [Option<IpAddr>; 3] = [
            None,
            Some("104.47.40.33".parse().unwrap()),
            Some("192.0.2.1".parse().unwrap()),
        ];
        let mut texts: Vec<String> = replies().iter().flat_map(|r| variants(r)).collect();
        // Twice, the second time in reverse: every lookup of the second pass is a hit.
        let reversed: Vec<String> = texts.iter().rev().cloned().collect();
        texts.extend(reversed);
        for text in &texts {
            let own = classify::reply_code(text);
            for code in [own.unwrap_or(""), "5.7.1", ""] {
                let got = with_reply(set, text, |r| {
                    (
                        r.code().map(str::to_string),
                        r.rule(code),
                        r.receiver_rule_id(),
                        receivers.map(|ip| r.quoted_ip(ip)),
                        r.normalised(),
                    )
                });
                let want = (
                    own.map(str::to_string),
                    set.classify(text, code),
                    classify::receiver_rule_id(text).map(String::into_boxed_str),
                    receivers.map(|ip| ip_from_reply(text, ip)),
                    classify::normalise_reply(text),
                );
                assert_eq!(got, want, "{text} / {code}");
            }
        }
    }

    #[test]
    fn another_rule_set_does_not_reuse_the_cache() {
        let text = "550 5.7.1 listed at example";
        let builtin = RuleSet::builtin();
        let first = with_reply(builtin, text, |r| r.rule("5.7.1"));
        assert_eq!(first, builtin.classify(text, "5.7.1"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(
            &path,
            "[[rule]]\nid = \"x-listed\"\nreceiver = \"any\"\npattern = 'listed at example'\nclass = \"dnsbl\"\npermanence = \"permanent\"\ndelist_route = \"\"\nexample = '550 5.7.1 listed at example'\n",
        )
        .unwrap();
        let other = RuleSet::with_file(&path).unwrap();
        let rule = with_reply(&other, text, |r| r.rule("5.7.1"));
        assert_eq!(other.rule(rule).id, "x-listed");
        assert_eq!(with_reply(builtin, text, |r| r.rule("5.7.1")), first);
    }
}
