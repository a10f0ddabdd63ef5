//! Central syslog: one log host receiving every VPS's syslog (rsyslog, syslog-ng, journald
//! remote).
//!
//! Where a file's lines belong is decided by its directory (`route_of`, by the rule in
//! `attribute::route_dirs`):
//!
//! - `logs/<vps_id>/…` — that VPS's own logs, exactly as without central syslog;
//! - `logs/<hostname>/…` or `logs/<dir>/<hostname>/…` (rsyslog's `/var/log/remote/%HOSTNAME%/`
//!   tree, copied as it is) — the VPS with that inventory `hostname`;
//! - any other directory, when the inventory has a `hostname` column — a central file: each
//!   line goes to the VPS its syslog HOSTNAME names (`attribute::hostname` for the matching
//!   rules). Mail lines of hosts the inventory does not name are skipped and counted per host;
//! - any other directory without a `hostname` column — attributed by IP only, as before;
//! - without an inventory (`ingest` on a log host) — the directory as logged (`dir_key`), routed
//!   by `attribute::resolve` with the report's inventory by the same rule; a central file cannot
//!   be (its hosts' lines are routed, each with its own clock, while reading), and is refused.
//!
//! In a central file every host keeps its own clock (`FileClock`: timestamp style, year wraps,
//! newest line), so hosts logging RFC 3164 and RFC 3339 can share a file, and each host's
//! partial aggregate is resolved with its own clock before the file's partials are merged.

use super::delivery::Observed;
use super::line::Event;
use super::{FileClock, LogFile, Mode};
use crate::attribute::hostname::HostMatch;
use crate::attribute::inventory::Inventory;
use crate::attribute::{route_dirs, DirRoute, HOST_DIR_DEPTH};
use crate::model::{Partial, Stats};
use std::collections::{BTreeMap, HashMap};

/// How the lines of one log file find their VPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// A VPS's own directory, by vps_id or by hostname.
    Vps(u32),
    /// A directory the inventory does not name, and no `hostname` column: by IP only.
    UnknownDir,
    /// A central file: line by line, by syslog HOSTNAME.
    Central,
    /// No inventory (`Inventory::absent`): the directory, as logged, for `report` to resolve.
    AsLogged,
}

pub(crate) fn route_of(inventory: &Inventory, file: &LogFile) -> Route {
    if inventory.is_absent() {
        return Route::AsLogged;
    }
    match route_dirs(inventory, &dirs_of(file)) {
        DirRoute::Vps(v) => Route::Vps(v as u32),
        DirRoute::Unknown => Route::UnknownDir,
        DirRoute::Central => Route::Central,
    }
}

/// The directories of a file that route it (`attribute::route_dirs`).
fn dirs_of(file: &LogFile) -> Vec<&str> {
    let mut dirs: Vec<&str> = file.name.split('/').collect();
    dirs.pop(); // the file name
    dirs.truncate(HOST_DIR_DEPTH);
    dirs
}

/// A file's directories as one name (`a` or `a/b`; a vps_id has no `/`): what its cells carry
/// as the observed VPS when read without the inventory.
pub(crate) fn dir_key(file: &LogFile) -> String {
    dirs_of(file).join("/")
}

/// Count a file whose directory the inventory does not name, or (without an inventory) every
/// file by its directory, for `attribute::resolve`.
pub(crate) fn count_dir(inventory: &Inventory, file: &LogFile, stats: &mut Stats) {
    let dirs = match route_of(inventory, file) {
        Route::UnknownDir => &mut stats.unknown_vps_dirs,
        Route::AsLogged => {
            *stats.dirs_as_logged.entry(dir_key(file)).or_default() += 1;
            return;
        }
        Route::Vps(_) | Route::Central => return,
    };
    *dirs.entry(file.vps_dir.clone()).or_default() += 1;
}

/// Distinct logged host names remembered per file (lookup cache, unknown-host counts); past it
/// lookups are repeated and further unknown names only counted.
const MAX_NAMES: usize = 10_000;
/// Unknown hosts named per file in input-problems.csv; the rest are summed in one row.
const HOSTS_LISTED: usize = 20;
/// Longest host name kept for a report (a hostile line may carry a huge one).
const MAX_NAME_CHARS: usize = 255;

pub(crate) const SKIP_UNKNOWN: &str = "mail line from a syslog host not in the inventory";
pub(crate) const SKIP_AMBIGUOUS: &str =
    "mail line from a syslog host matching several inventory hostnames";
pub(crate) const SKIP_NO_HOST: &str = "mail line without a syslog host in a central log";

/// One known host of a central file: its VPS, clock and events.
pub(crate) struct HostSlot {
    pub(crate) observed: Observed,
    pub(crate) clock: FileClock,
    pub(crate) partial: Partial,
}

#[derive(Debug, Clone, Copy)]
enum Lookup {
    Slot(usize),
    Unknown(Why),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    NotInInventory,
    Ambiguous,
    NoHost,
}

impl Why {
    fn skip_reason(self) -> &'static str {
        match self {
            Why::NotInInventory => SKIP_UNKNOWN,
            Why::Ambiguous => SKIP_AMBIGUOUS,
            Why::NoHost => SKIP_NO_HOST,
        }
    }

    fn explain(self) -> &'static str {
        match self {
            Why::NotInInventory => "not in the inventory's hostname column; add the VPS's hostname there (a host that is not a customer VPS can be ignored)",
            Why::Ambiguous => "its first label matches several inventory hostnames; write this exact name in the inventory's hostname column",
            Why::NoHost => "the line has no syslog HOSTNAME to route it by; move the VPS's own logs to logs/<vps_id>/",
        }
    }
}

/// The per-host state of one central file.
pub(crate) struct Hosts {
    /// Host name as logged -> where its lines go.
    cache: HashMap<Box<str>, Lookup>,
    pub(crate) slots: Vec<HostSlot>,
    pub(crate) unknown: UnknownHosts,
    /// Set for a byte range of a split file: clocks are absolute only.
    pub(crate) ranged: bool,
    /// A range met a year-less line: the file must be read whole (see `chunks`).
    pub(crate) needs_whole_file: bool,
}

/// Where one line of a central file goes.
pub(crate) enum Target<'a> {
    Host(&'a mut HostSlot),
    /// Not routed; already counted when it was a mail line.
    Skipped,
}

impl Hosts {
    pub(crate) fn new() -> Hosts {
        Hosts {
            cache: HashMap::default(),
            slots: Vec::new(),
            unknown: UnknownHosts::default(),
            ranged: false,
            needs_whole_file: false,
        }
    }

    /// The slot of `host`, or None after counting a mail line (`event`) of a host the inventory
    /// does not name.
    pub(crate) fn target<'a>(
        &'a mut self,
        inventory: &Inventory,
        host: Option<&str>,
        event: &Event,
        line_no: u64,
        template: &FileClock,
        stats: &mut Stats,
    ) -> Target<'a> {
        let name = host.unwrap_or("");
        let lookup = match self.cache.get(name) {
            Some(&l) => l,
            None => self.resolve(inventory, name, template),
        };
        match lookup {
            Lookup::Slot(i) => Target::Host(&mut self.slots[i]),
            Lookup::Unknown(why) => {
                if matches!(
                    event,
                    Event::Delivery(_) | Event::Expired | Event::Suspended
                ) {
                    stats.skip(why.skip_reason());
                    self.unknown.add(name, why, line_no);
                } else {
                    stats.noise_lines += 1;
                }
                Target::Skipped
            }
        }
    }

    fn resolve(&mut self, inventory: &Inventory, name: &str, template: &FileClock) -> Lookup {
        let lookup = match (name, inventory.vps_by_hostname(name)) {
            ("", _) => Lookup::Unknown(Why::NoHost),
            (_, HostMatch::Vps(vps)) => {
                let mut clock = FileClock::new(template.tz);
                if self.ranged {
                    clock.mode = Some(Mode::Absolute);
                }
                self.slots.push(HostSlot {
                    observed: Observed::of(inventory, Some(vps as u32)),
                    clock,
                    partial: Partial::default(),
                });
                Lookup::Slot(self.slots.len() - 1)
            }
            (_, HostMatch::Unknown) => Lookup::Unknown(Why::NotInInventory),
            (_, HostMatch::Ambiguous) => Lookup::Unknown(Why::Ambiguous),
        };
        // A known host always gets its cache entry (its slot must be found again); unknown
        // names only while the cache is small.
        if matches!(lookup, Lookup::Slot(_)) || self.cache.len() < MAX_NAMES {
            self.cache.insert(name.into(), lookup);
        }
        lookup
    }

    /// Every host's events resolved with its own clock (year-less styles dated from the file's
    /// anchor) and merged into `partial`.
    pub(crate) fn merge_into(self, file: &LogFile, mut partial: Partial) -> Partial {
        for mut slot in self.slots {
            slot.clock
                .resolve_partial(&file.name, file.anchor, &mut slot.partial);
            partial = partial.merge(slot.partial);
        }
        partial
    }
}

/// The clocks of one file for `evidence` (`blockscope explain`): the file's own, or one per host
/// of a central file, so its lines are dated and attributed as the nightly run does.
pub(crate) struct Clocks {
    route: Route,
    /// Index 0 is the file's clock; then one per host of a central file.
    pub(crate) clocks: Vec<FileClock>,
    hosts: HashMap<Box<str>, Option<(u32, usize)>>,
}

impl Clocks {
    pub(crate) fn new(inventory: &Inventory, file: &LogFile, tz: Option<chrono_tz::Tz>) -> Clocks {
        Clocks {
            route: route_of(inventory, file),
            clocks: vec![FileClock::new(tz)],
            hosts: HashMap::default(),
        }
    }

    /// The VPS a line was logged by and the index of its clock; None for a central file's line
    /// from a host the inventory does not name (the nightly run skips those too).
    pub(crate) fn locate(
        &mut self,
        inventory: &Inventory,
        host: Option<&str>,
    ) -> Option<(Option<u32>, usize)> {
        match self.route {
            Route::Vps(v) => Some((Some(v), 0)),
            Route::UnknownDir | Route::AsLogged => Some((None, 0)),
            Route::Central => {
                let name = host.unwrap_or("");
                if let Some(&known) = self.hosts.get(name) {
                    return known.map(|(v, k)| (Some(v), k));
                }
                let known = match inventory.vps_by_hostname(name) {
                    HostMatch::Vps(v) if !name.is_empty() => {
                        self.clocks.push(FileClock::new(self.clocks[0].tz));
                        Some((v as u32, self.clocks.len() - 1))
                    }
                    _ => None,
                };
                if known.is_some() || self.hosts.len() < MAX_NAMES {
                    self.hosts.insert(name.into(), known);
                }
                known.map(|(v, k)| (Some(v), k))
            }
        }
    }

    /// Date year-less times once the file is read, each with the clock it was stamped by.
    pub(crate) fn resolve<'a>(
        &self,
        anchor: Option<i64>,
        times: impl Iterator<Item = (&'a mut i64, usize)>,
    ) {
        let resolvers: Vec<_> = self.clocks.iter().map(|c| c.resolver(anchor)).collect();
        for (time, k) in times {
            if let Some(resolve) = &resolvers[k] {
                *time = resolve(*time);
            }
        }
    }
}

/// Mail lines of hosts the inventory does not name, per host (lowercase), bounded.
#[derive(Debug, Default)]
pub(crate) struct UnknownHosts {
    hosts: BTreeMap<(Why, String), Seen>,
    /// Lines of names past `MAX_NAMES`.
    untracked_lines: u64,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    lines: u64,
    first_line: u64,
}

impl UnknownHosts {
    fn add(&mut self, name: &str, why: Why, line_no: u64) {
        self.add_seen(
            (why, name.to_ascii_lowercase()),
            Seen {
                lines: 1,
                first_line: line_no,
            },
        );
    }

    fn add_seen(&mut self, (why, mut name): (Why, String), seen: Seen) {
        if name.len() > MAX_NAME_CHARS {
            let mut cut = MAX_NAME_CHARS;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name.truncate(cut);
        }
        let key = (why, name);
        let full = self.hosts.len() >= MAX_NAMES;
        match self.hosts.get_mut(&key) {
            Some(s) => {
                s.lines += seen.lines;
                s.first_line = s.first_line.min(seen.first_line);
            }
            None if !full => {
                self.hosts.insert(key, seen);
            }
            None => self.untracked_lines += seen.lines,
        }
    }

    /// Add a later byte range's counts, its line numbers shifted by the lines before it.
    pub(crate) fn merge_shifted(&mut self, other: UnknownHosts, line_offset: u64) {
        for (key, mut seen) in other.hosts {
            seen.first_line += line_offset;
            self.add_seen(key, seen);
        }
        self.untracked_lines += other.untracked_lines;
    }

    /// One input problem per host (the most lines first, at most `HOSTS_LISTED`), then one for
    /// the rest.
    pub(crate) fn report(self, file: &str, stats: &mut Stats) {
        let mut hosts: Vec<((Why, String), Seen)> = self.hosts.into_iter().collect();
        hosts.sort_by(|(ka, a), (kb, b)| b.lines.cmp(&a.lines).then_with(|| ka.cmp(kb)));
        let rest = hosts.split_off(hosts.len().min(HOSTS_LISTED));
        for ((why, name), seen) in hosts {
            let who = if why == Why::NoHost {
                "with no syslog host".to_string()
            } else {
                format!("from syslog host {name:?}")
            };
            stats.problem(
                file,
                None,
                format!(
                    "{} mail line(s) {who} skipped (first on line {}): {}",
                    seen.lines,
                    seen.first_line,
                    why.explain()
                ),
            );
        }
        let more_lines = rest.iter().map(|(_, s)| s.lines).sum::<u64>() + self.untracked_lines;
        if more_lines > 0 {
            stats.problem(
                file,
                None,
                format!(
                    "{more_lines} more mail line(s) skipped from {}{} further syslog host(s) not in the inventory",
                    if self.untracked_lines > 0 { "at least " } else { "" },
                    rest.len().max(1)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn inventory() -> Inventory {
        Inventory::from_reader(
            Path::new("inv.csv"),
            "customer_id,customer_name,vps_id,ip,hostname\nc1,One,v1,198.51.100.7,vps1\nc2,Two,v2,198.51.100.8,vps2.example.net\nc3,Three,v3,198.51.100.9,\n"
                .as_bytes(),
        )
        .unwrap()
    }

    fn file(name: &str) -> LogFile {
        LogFile {
            path: PathBuf::from(name),
            name: name.into(),
            vps_dir: name.split('/').next().unwrap().into(),
            size: 0,
            anchor: None,
        }
    }

    #[test]
    fn directories_route_by_vps_id_then_hostname_two_levels_deep() {
        let inv = inventory();
        assert_eq!(route_of(&inv, &file("v3/mail.log")), Route::Vps(2));
        assert_eq!(route_of(&inv, &file("VPS1/mail.log")), Route::Vps(0));
        assert_eq!(route_of(&inv, &file("remote/vps2/mail.log")), Route::Vps(1));
        assert_eq!(
            route_of(&inv, &file("remote/vps2.example.net/postfix.log")),
            Route::Vps(1)
        );
        assert_eq!(route_of(&inv, &file("a/b/vps1/mail.log")), Route::Central);
        assert_eq!(route_of(&inv, &file("central/mail.log")), Route::Central);
        let bare = Inventory::from_reader(
            Path::new("inv.csv"),
            "customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.7\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(
            route_of(&bare, &file("central/mail.log")),
            Route::UnknownDir
        );
    }

    #[test]
    fn unknown_hosts_are_listed_most_lines_first_then_summed() {
        let mut u = UnknownHosts::default();
        for i in 0..25u64 {
            for _ in 0..=i {
                u.add(&format!("Host{i:02}"), Why::NotInInventory, 100 + i);
            }
        }
        let mut later = UnknownHosts::default();
        later.add("host24", Why::NotInInventory, 3);
        u.merge_shifted(later, 1000);
        let mut stats = Stats::default();
        u.report("central/mail.log", &mut stats);
        assert_eq!(stats.problems.len(), HOSTS_LISTED + 1);
        assert_eq!(
            stats.problems[0].reason,
            "26 mail line(s) from syslog host \"host24\" skipped (first on line 124): not in the inventory's hostname column; add the VPS's hostname there (a host that is not a customer VPS can be ignored)"
        );
        // hosts 00..04 (1+2+3+4+5 lines) are past the listed ones.
        assert_eq!(
            stats.problems[HOSTS_LISTED].reason,
            "15 more mail line(s) skipped from 5 further syslog host(s) not in the inventory"
        );
    }
}
