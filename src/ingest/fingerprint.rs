//! Incremental ingest: a log file is known by its content, not its name.
//!
//! logrotate renames `mail.log` to `mail.log.1`, then compresses it to `mail.log.2.gz`; a name says
//! nothing about what was read. A file is identified by a hash of its first bytes (decompressed),
//! and a cursor remembers how far it was read. A renamed or compressed file with a known head is
//! read only past the cursor, an appended one from where the last run stopped.

use crate::model::FileCursor;
use std::collections::HashMap;

/// How many leading (decompressed) bytes identify a file: several log lines, each stamped with
/// a time and a host name, so two different files never share them.
pub(crate) const HEAD_BYTES: usize = 4096;

pub(crate) fn head_hash(head: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(head))
}

/// The cursors of earlier runs, looked up by a file's head.
#[derive(Debug, Default)]
pub(crate) struct KnownFiles {
    by_head: HashMap<(u32, String), FileCursor>,
    /// Distinct head lengths, longest first (most are `HEAD_BYTES`; short files have their own).
    lengths: Vec<u32>,
}

impl KnownFiles {
    pub(crate) fn new(cursors: impl IntoIterator<Item = FileCursor>) -> KnownFiles {
        let mut by_head: HashMap<(u32, String), FileCursor> = HashMap::new();
        for c in cursors {
            let key = (c.head_len, c.head_hash.clone());
            // Two cursors for one head (a copy of a file): the one read further wins.
            match by_head.get(&key) {
                Some(old) if old.consumed >= c.consumed => {}
                _ => {
                    by_head.insert(key, c);
                }
            }
        }
        let mut lengths: Vec<u32> = by_head.keys().map(|k| k.0).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        KnownFiles { by_head, lengths }
    }

    /// The cursor of the file whose head this file starts with (the longest such head).
    pub(crate) fn lookup(&self, head: &[u8]) -> Option<&FileCursor> {
        self.lengths
            .iter()
            .filter(|&&len| len as usize <= head.len() && len > 0)
            .find_map(|&len| self.by_head.get(&(len, head_hash(&head[..len as usize]))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(head: &[u8], consumed: u64) -> FileCursor {
        FileCursor {
            head_hash: head_hash(head),
            head_len: head.len() as u32,
            consumed,
            lines: 1,
            compressed_len: None,
            name: "v/mail.log".into(),
            last_day: None,
            replaces: None,
        }
    }

    #[test]
    fn a_grown_file_is_found_by_its_old_head() {
        let known = KnownFiles::new([cursor(b"line one\n", 9)]);
        assert_eq!(known.lookup(b"line one\nline two\n").unwrap().consumed, 9);
        assert!(known.lookup(b"line uno\nline two\n").is_none());
        assert!(known.lookup(b"line").is_none());
    }

    #[test]
    fn the_longest_matching_head_wins() {
        let known = KnownFiles::new([cursor(b"a\n", 2), cursor(b"a\nb\n", 4)]);
        assert_eq!(known.lookup(b"a\nb\nc\n").unwrap().consumed, 4);
        assert_eq!(known.lookup(b"a\nc\n").unwrap().consumed, 2);
    }
}
