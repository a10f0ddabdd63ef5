//! Syslog HOSTNAMEs of the inventory's VPSes (the optional `hostname` column): which VPS a
//! central-syslog line or a per-host directory (`/var/log/remote/<hostname>/`) belongs to.
//!
//! Matching is case-insensitive and ignores a trailing dot. A name the inventory does not hold
//! exactly is matched by its first label only when that is unambiguous: a fully qualified
//! `vps1.example.net` in the log finds an inventory `vps1`, and a bare `vps1` finds an inventory
//! `vps1.example.net`, when exactly one inventory hostname starts with the label `vps1` and one
//! of the two names is bare. Two fully qualified names never match by label (`vps1.a.example`
//! is not `vps1.b.example`), an address literal never does, and when several inventory names
//! share the label the line is counted as ambiguous — never guessed.

use std::collections::HashMap;

/// What a syslog HOSTNAME names in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostMatch {
    /// Index into `Inventory::vpses`.
    Vps(usize),
    /// No inventory hostname is this name or (unambiguously) shares its first label.
    Unknown,
    /// Several inventory hostnames share its first label.
    Ambiguous,
}

/// Hostname lookups: exact names and first labels.
#[derive(Debug, Default)]
pub(crate) struct HostIndex {
    exact: HashMap<String, usize>,
    /// First label -> every VPS whose hostname starts with it.
    by_label: HashMap<String, Vec<usize>>,
    /// The bare (dot-less) form of each indexed name, by VPS: true when the inventory name is bare.
    bare: HashMap<usize, bool>,
}

/// The canonical form of a hostname: lowercase, no trailing dot.
pub(crate) fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// An inventory `hostname` cell (already normalised): letters, digits, `-`, `_`, dot-separated
/// labels. Err is the problem, for the inventory error.
pub(crate) fn validate(name: &str) -> Result<(), String> {
    if name.len() > 253 {
        return Err("is longer than 253 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "contains {c:?}; a syslog hostname has only letters, digits, '-', '_' and '.'"
        ));
    }
    if name.split('.').any(str::is_empty) {
        return Err("has an empty label (leading or doubled '.')".into());
    }
    Ok(())
}

fn first_label(name: &str) -> &str {
    name.split_once('.').map_or(name, |(label, _)| label)
}

fn is_address(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok()
}

impl HostIndex {
    /// Index `names` (normalised, one per VPS that has one); names are unique (checked on load).
    pub(crate) fn build<'a>(names: impl Iterator<Item = (usize, &'a str)>) -> HostIndex {
        let mut index = HostIndex::default();
        for (vps, name) in names {
            index.exact.insert(name.to_string(), vps);
            if !is_address(name) {
                index
                    .by_label
                    .entry(first_label(name).to_string())
                    .or_default()
                    .push(vps);
                index.bare.insert(vps, !name.contains('.'));
            }
        }
        index
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// The VPS a syslog HOSTNAME (as logged, any case) names.
    pub(crate) fn lookup(&self, logged: &str) -> HostMatch {
        let name = logged.strip_suffix('.').unwrap_or(logged);
        let lowered;
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = name.to_ascii_lowercase();
            lowered.as_str()
        } else {
            name
        };
        if let Some(&vps) = self.exact.get(name) {
            return HostMatch::Vps(vps);
        }
        if name.is_empty() || is_address(name) {
            return HostMatch::Unknown;
        }
        let logged_bare = !name.contains('.');
        match self.by_label.get(first_label(name)).map(Vec::as_slice) {
            None => HostMatch::Unknown,
            Some(&[vps]) if logged_bare != self.bare[&vps] => HostMatch::Vps(vps),
            Some(&[_]) => HostMatch::Unknown,
            Some(_) => HostMatch::Ambiguous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(names: &[&str]) -> HostIndex {
        HostIndex::build(names.iter().enumerate().map(|(i, n)| (i, *n)))
    }

    #[test]
    fn exact_case_insensitive_and_trailing_dot() {
        let ix = index(&["vps1", "web2.example.net", "198.51.100.7"]);
        assert_eq!(ix.lookup("VPS1"), HostMatch::Vps(0));
        assert_eq!(ix.lookup("Web2.Example.NET."), HostMatch::Vps(1));
        assert_eq!(ix.lookup("198.51.100.7"), HostMatch::Vps(2));
        assert_eq!(ix.lookup("198.51.100.8"), HostMatch::Unknown);
        assert_eq!(ix.lookup(""), HostMatch::Unknown);
    }

    #[test]
    fn first_label_only_when_unambiguous_and_one_side_is_bare() {
        let ix = index(&["vps1", "web2.example.net"]);
        // FQDN in the log, bare name in the inventory, and the reverse.
        assert_eq!(ix.lookup("vps1.example.org"), HostMatch::Vps(0));
        assert_eq!(ix.lookup("web2"), HostMatch::Vps(1));
        // Two different FQDNs are two hosts.
        assert_eq!(ix.lookup("web2.other.example"), HostMatch::Unknown);
        assert_eq!(ix.lookup("vps10"), HostMatch::Unknown);
        // Several inventory names with the label: never guessed.
        let ix = index(&["vps1.a.example", "vps1.b.example"]);
        assert_eq!(ix.lookup("vps1"), HostMatch::Ambiguous);
        assert_eq!(ix.lookup("vps1.a.example"), HostMatch::Vps(0));
        let ix = index(&["vps1", "vps1.b.example"]);
        assert_eq!(ix.lookup("vps1.c.example"), HostMatch::Ambiguous);
        assert_eq!(ix.lookup("vps1"), HostMatch::Vps(0));
    }

    #[test]
    fn cells_are_validated() {
        assert!(validate("vps1.example.net").is_ok());
        assert!(validate("mail_relay-2").is_ok());
        assert!(validate("vps 1").unwrap_err().contains("' '"));
        assert!(validate("vps1..example").is_err());
        assert!(validate(".vps1").is_err());
    }
}
