//! Where an earlier run stopped reading a log file (known by its head), kept in the state so the
//! next run reads only what was appended. Matching files to cursors is `ingest::fingerprint`.

use serde::{Deserialize, Serialize};

/// Where a file's reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileCursor {
    /// xxh3 of the first `head_len` bytes, hex.
    pub(crate) head_hash: String,
    pub(crate) head_len: u32,
    /// Decompressed bytes read (always up to the end of a complete line).
    pub(crate) consumed: u64,
    /// Lines read, so line numbers in input-problems.csv stay those of the whole file.
    pub(crate) lines: u64,
    /// For a compressed file read to its end: its size on disk, so an unchanged `.gz` is
    /// recognised without decompressing it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) compressed_len: Option<u64>,
    /// The name it had when last read (for people reading the state file).
    pub(crate) name: String,
    /// Latest calendar day with a delivery line in it (drives expiry of cursors of vanished files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_day: Option<i32>,
    /// The earlier cursor (head length, hash) this one supersedes, within a run only.
    #[serde(skip)]
    pub(crate) replaces: Option<(u32, String)>,
}
