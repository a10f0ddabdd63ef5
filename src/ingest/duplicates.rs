//! The same content twice in one run is read once.
//!
//! Collection leaves the same log under two names: `mail.log.1` beside the `mail.log.1.gz`
//! logrotate was writing, a hard link, a symbolic link to a file or to a whole VPS directory, a
//! copy, a stale copy that stops where the original went on. Read twice, every bounce in it would
//! count twice. Files are grouped by the hash of their first 4 KiB, decompressed (the head
//! fingerprint `--state` identifies files by); within a group they are compared in full. One is
//! read, the others are listed in input-problems.csv naming it.
//!
//! The choice depends only on the files, never on the thread count: a path without symbolic
//! links wins (the real location), then the file that goes on further, then the first by name.

use super::fingerprint::HEAD_BYTES;
use super::{reader, LogFile};
use crate::model::Stats;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// How two files' decompressed contents relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Equal,
    /// The first file is the start of the second (a copy taken before the second grew).
    FirstIsPrefix,
    SecondIsPrefix,
    Different,
}

/// What identifies a file before its content is compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Identity {
    /// (device, inode): a hard link or a symbolic link is the same file.
    inode: (u64, u64),
    /// (length, xxh3) of the first `HEAD_BYTES` decompressed bytes.
    head: (usize, u64),
    /// Plain (not gzip): its size on disk is its content's length.
    plain_len: Option<u64>,
}

/// A file skipped because `kept` holds the same content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Duplicate {
    pub(crate) skipped: usize,
    pub(crate) kept: usize,
    relation: DuplicateKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DuplicateKind {
    /// The same file through another name (hard or symbolic link).
    Linked,
    Copy,
    /// The skipped file is the start of the kept one.
    StaleCopy,
}

/// The files of `files` to read (in their order) and the duplicates left out, listed in `stats`.
pub(crate) fn drop_duplicates<'a>(files: &'a [LogFile], stats: &mut Stats) -> Vec<&'a LogFile> {
    let duplicates = find(files);
    for d in &duplicates {
        stats.problem(&files[d.skipped].name, None, reason(d, files));
    }
    let skipped: std::collections::BTreeSet<usize> = duplicates.iter().map(|d| d.skipped).collect();
    files
        .iter()
        .enumerate()
        .filter(|(i, _)| !skipped.contains(i))
        .map(|(_, f)| f)
        .collect()
}

fn reason(d: &Duplicate, files: &[LogFile]) -> String {
    let kept = &files[d.kept].name;
    match d.relation {
        DuplicateKind::Linked => format!(
            "same content as {kept}; the same file through a hard or symbolic link, read once from {kept}"
        ),
        DuplicateKind::Copy => {
            format!("same content as {kept}; a copy, read once from {kept}")
        }
        DuplicateKind::StaleCopy => format!(
            "same content as the start of {kept}; an older copy of it, read once from {kept}"
        ),
    }
}

/// Every duplicate among `files`, by file index.
pub(crate) fn find(files: &[LogFile]) -> Vec<Duplicate> {
    let identities: Vec<Option<Identity>> = files.par_iter().map(identity).collect();
    let mut groups: BTreeMap<&(usize, u64), Vec<usize>> = BTreeMap::new();
    for (i, id) in identities.iter().enumerate() {
        if let Some(id) = id {
            groups.entry(&id.head).or_default().push(i);
        }
    }
    let mut out: Vec<Duplicate> = groups
        .into_values()
        .filter(|g| g.len() > 1)
        .collect::<Vec<_>>()
        .par_iter()
        .flat_map_iter(|group| resolve_group(group, files, &identities))
        .collect();
    out.sort_by_key(|d| d.skipped);
    out
}

fn identity(file: &LogFile) -> Option<Identity> {
    let head = reader::peek_head(&file.path, HEAD_BYTES).ok()?;
    if head.bytes.is_empty() {
        return None; // empty files are listed as such, never as copies of each other
    }
    Some(Identity {
        inode: head.file_id,
        head: (head.bytes.len(), xxhash_rust::xxh3::xxh3_64(&head.bytes)),
        plain_len: (!head.compressed).then_some(head.disk_len),
    })
}

/// Whether a symbolic link lies on the way from the logs directory to the file.
fn reached_through_link(file: &LogFile) -> bool {
    let depth = file.name.split('/').count();
    let Some(root) = file.path.ancestors().nth(depth) else {
        return false;
    };
    match (
        std::fs::canonicalize(root),
        std::fs::canonicalize(&file.path),
    ) {
        (Ok(root), Ok(real)) => real != root.join(&file.name),
        _ => false,
    }
}

/// Within files sharing a head: compare each with the files kept so far.
fn resolve_group(group: &[usize], files: &[LogFile], ids: &[Option<Identity>]) -> Vec<Duplicate> {
    let id = |i: usize| ids[i].as_ref().expect("grouped files have an identity");
    // Resolving links costs two canonicalisations: only for files that share a head.
    let mut order: Vec<(bool, usize)> = group
        .iter()
        .map(|&i| (reached_through_link(&files[i]), i))
        .collect();
    order.sort_by(|a, b| (a.0, &files[a.1].name).cmp(&(b.0, &files[b.1].name)));
    let mut kept: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut contents = Contents {
        files,
        plain_len: &|i| id(i).plain_len,
        hashes: BTreeMap::new(),
        tails: BTreeMap::new(),
    };
    for &(_, candidate) in &order {
        match place(candidate, &mut kept, &mut contents, &|i| id(i).inode) {
            Some(d) => out.push(d),
            None => kept.push(candidate),
        }
    }
    name_the_file_read(out)
}

/// A duplicate of a file that later turned out to be a stale copy itself names the file read.
fn name_the_file_read(mut found: Vec<Duplicate>) -> Vec<Duplicate> {
    let by_skipped: BTreeMap<usize, (usize, DuplicateKind)> = found
        .iter()
        .map(|d| (d.skipped, (d.kept, d.relation)))
        .collect();
    for d in &mut found {
        while let Some(&(kept, relation)) = by_skipped.get(&d.kept) {
            d.kept = kept;
            if relation == DuplicateKind::StaleCopy {
                d.relation = DuplicateKind::StaleCopy;
            }
        }
    }
    found
}

/// The duplicate `candidate` makes with one of `kept`, if any. When a kept file turns out to be
/// the start of the candidate, the candidate takes its place and the kept one is the duplicate.
fn place(
    candidate: usize,
    kept: &mut [usize],
    contents: &mut Contents,
    inode: &dyn Fn(usize) -> (u64, u64),
) -> Option<Duplicate> {
    let files = contents.files;
    for k in kept.iter_mut() {
        let duplicate = |skipped, kept, relation| Duplicate {
            skipped,
            kept,
            relation,
        };
        if inode(*k) == inode(candidate) {
            return Some(duplicate(candidate, *k, DuplicateKind::Linked));
        }
        let same_vps = files[*k].vps_dir == files[candidate].vps_dir;
        // Across directories only equal contents matter: files that cannot be equal (other
        // length or other hash) are not opened again for each pair (a group of n files that
        // share a head but differ later cost n² full comparisons).
        if !same_vps && !contents.may_be_equal(*k, candidate) {
            continue;
        }
        match compare(&files[*k].path, &files[candidate].path) {
            Relation::Equal => return Some(duplicate(candidate, *k, DuplicateKind::Copy)),
            // A stale copy only within one VPS directory: across directories only an exact copy
            // is one, so no customer's log can make another's be skipped by extending it.
            Relation::SecondIsPrefix if same_vps => {
                return Some(duplicate(candidate, *k, DuplicateKind::StaleCopy))
            }
            Relation::FirstIsPrefix if same_vps => {
                let shorter = std::mem::replace(k, candidate);
                return Some(duplicate(shorter, candidate, DuplicateKind::StaleCopy));
            }
            _ => {}
        }
    }
    None
}

/// The files of one group, with each file's full-content hash computed when first needed.
struct Contents<'a> {
    files: &'a [LogFile],
    plain_len: &'a dyn Fn(usize) -> Option<u64>,
    /// (length, xxh3) of the decompressed content; None when unreadable.
    hashes: BTreeMap<usize, Option<(u64, u64)>>,
    /// xxh3 of a plain file's last 4 KiB; None when unreadable.
    tails: BTreeMap<usize, Option<u64>>,
}

impl Contents<'_> {
    /// False only when the two contents surely differ (`compare` decides the rest).
    fn may_be_equal(&mut self, a: usize, b: usize) -> bool {
        if let (Some(la), Some(lb)) = ((self.plain_len)(a), (self.plain_len)(b)) {
            if la != lb {
                return false;
            }
            // Equal lengths: different last 4 KiB (one small read) are different contents.
            let (ta, tb) = (self.tail(a), self.tail(b));
            if ta.is_some() && tb.is_some() && ta != tb {
                return false;
            }
        }
        let (ha, hb) = (self.hash(a), self.hash(b));
        // Unreadable: `compare` says Different too, but let it decide.
        ha.is_none() || hb.is_none() || ha == hb
    }

    fn tail(&mut self, i: usize) -> Option<u64> {
        let files = self.files;
        *self
            .tails
            .entry(i)
            .or_insert_with(|| tail_hash(&files[i].path))
    }

    fn hash(&mut self, i: usize) -> Option<(u64, u64)> {
        let files = self.files;
        *self
            .hashes
            .entry(i)
            .or_insert_with(|| content_hash(&files[i].path))
    }
}

/// xxh3 of a plain file's last 4 KiB (the whole of a shorter file).
fn tail_hash(path: &Path) -> Option<u64> {
    use std::io::{Read as _, Seek as _};
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(std::io::SeekFrom::Start(len.saturating_sub(4096)))
        .ok()?;
    let mut tail = Vec::with_capacity(4096);
    file.take(4096).read_to_end(&mut tail).ok()?;
    Some(xxhash_rust::xxh3::xxh3_64(&tail))
}

/// Length and xxh3 of a log's decompressed content.
fn content_hash(path: &Path) -> Option<(u64, u64)> {
    let mut input = reader::open_log(path).ok()?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut len = 0u64;
    loop {
        let chunk = input.fill_buf().ok()?;
        if chunk.is_empty() {
            return Some((len, hasher.digest()));
        }
        hasher.update(chunk);
        len += chunk.len() as u64;
        let n = chunk.len();
        input.consume(n);
    }
}

/// Compare two logs' decompressed contents; unreadable counts as different (each file's own
/// reading reports it).
fn compare(a: &Path, b: &Path) -> Relation {
    let (Ok(mut a), Ok(mut b)) = (reader::open_log(a), reader::open_log(b)) else {
        return Relation::Different;
    };
    loop {
        let (Ok(ca), Ok(cb)) = (a.fill_buf(), b.fill_buf()) else {
            return Relation::Different;
        };
        match (ca.is_empty(), cb.is_empty()) {
            (true, true) => return Relation::Equal,
            (true, false) => return Relation::FirstIsPrefix,
            (false, true) => return Relation::SecondIsPrefix,
            (false, false) => {}
        }
        let n = ca.len().min(cb.len());
        if ca[..n] != cb[..n] {
            return Relation::Different;
        }
        a.consume(n);
        b.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn log_file(root: &Path, name: &str) -> LogFile {
        LogFile {
            path: root.join(name),
            name: name.into(),
            vps_dir: name.split('/').next().unwrap().into(),
            size: 0,
            anchor: None,
        }
    }

    #[test]
    fn copies_links_and_stale_copies_are_found_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::create_dir_all(root.join("b")).unwrap();
        // 10,000 bytes: past the 4 KiB head, so halves and edits late in the file share it.
        let long: String = (0..500)
            .map(|i| format!("line {i:04} of a log\n"))
            .collect();
        fs::write(root.join("a/mail.log"), &long).unwrap();
        fs::write(root.join("a/mail.log.copy"), &long).unwrap();
        fs::write(root.join("a/early"), &long[..long.len() / 2]).unwrap();
        fs::write(root.join("a/other"), long.replace("0450", "xxxx")).unwrap();
        fs::write(root.join("a/early.copy"), &long[..long.len() / 2]).unwrap();
        fs::hard_link(root.join("a/mail.log"), root.join("b/link")).unwrap();
        // In another VPS directory a longer file is not the original of a shorter one.
        fs::write(root.join("b/longer"), format!("{long}one more\n")).unwrap();
        fs::write(root.join("b/empty"), "").unwrap();
        fs::write(root.join("a/empty"), "").unwrap();
        let names = [
            "a/early",
            "a/early.copy",
            "a/empty",
            "a/mail.log",
            "a/mail.log.copy",
            "a/other",
            "b/empty",
            "b/link",
            "b/longer",
        ];
        let files: Vec<LogFile> = names.iter().map(|n| log_file(root, n)).collect();
        let found: Vec<(&str, &str, DuplicateKind)> = find(&files)
            .iter()
            .map(|d| (names[d.skipped], names[d.kept], d.relation))
            .collect();
        assert_eq!(
            found,
            [
                ("a/early", "a/mail.log", DuplicateKind::StaleCopy),
                ("a/early.copy", "a/mail.log", DuplicateKind::StaleCopy),
                ("a/mail.log.copy", "a/mail.log", DuplicateKind::Copy),
                ("b/link", "a/mail.log", DuplicateKind::Linked),
            ]
        );
    }

    #[test]
    fn across_directories_only_equal_contents_are_copies() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["a", "b", "c", "d"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        let long: String = (0..500)
            .map(|i| format!("line {i:04} of a log\n"))
            .collect();
        fs::write(root.join("a/mail.log"), &long).unwrap();
        // Same length, same head; differs in the middle (same tail) or at the end.
        fs::write(root.join("b/mail.log"), long.replace("0250", "xxxx")).unwrap();
        fs::write(root.join("c/mail.log"), long.replace("0499", "xxxx")).unwrap();
        fs::write(root.join("d/mail.log"), &long).unwrap();
        let names = ["a/mail.log", "b/mail.log", "c/mail.log", "d/mail.log"];
        let files: Vec<LogFile> = names.iter().map(|n| log_file(root, n)).collect();
        let found: Vec<(&str, &str, DuplicateKind)> = find(&files)
            .iter()
            .map(|d| (names[d.skipped], names[d.kept], d.relation))
            .collect();
        assert_eq!(found, [("d/mail.log", "a/mail.log", DuplicateKind::Copy)]);
    }
}
