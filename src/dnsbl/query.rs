//! Query names (RFC 5782 section 2: IPv4 as reversed octets, IPv6 as reversed nibbles) and the
//! Spamhaus DQS key that goes into them. Names are absolute (a trailing dot): no search domain
//! is ever appended.

use super::zones::Zone;
use crate::error::DnsblError;
use std::fmt::Write;
use std::net::IpAddr;
use std::path::Path;

/// A Spamhaus Data Query Service key: the first non-empty line of `--dqs-key-file`. It goes
/// into query names and nowhere else: `Debug` shows `DqsKey(…)`, and nothing prints it.
#[derive(Clone)]
pub(crate) struct DqsKey {
    value: String,
    /// Said on stderr when others may read the key file.
    pub(crate) warning: Option<String>,
}

impl std::fmt::Debug for DqsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DqsKey(…)")
    }
}

impl DqsKey {
    pub(crate) fn read(path: &Path) -> Result<DqsKey, DnsblError> {
        let (value, warning) = crate::fsio::read_secret_line(path, "--dqs-key-file", "DQS key")
            .map_err(|e| match e {
                crate::fsio::SecretError::Unreadable(error) => DnsblError::KeyFileUnreadable {
                    path: path.to_path_buf(),
                    error,
                },
                crate::fsio::SecretError::Empty => DnsblError::KeyFileEmpty {
                    path: path.to_path_buf(),
                },
            })?;
        // The key is one DNS label: anything else would change which name is asked.
        let bad = value.chars().find(|c| !c.is_ascii_alphanumeric()).map(|c| {
            if c.is_whitespace() {
                "a space: put the key alone on the line".to_string()
            } else {
                format!("{c:?}")
            }
        });
        if let Some(what) =
            bad.or_else(|| (value.len() > 63).then(|| "more than 63 characters".into()))
        {
            return Err(DnsblError::KeyMalformed {
                path: path.to_path_buf(),
                what,
            });
        }
        Ok(DqsKey {
            value: value.to_ascii_lowercase(),
            warning,
        })
    }

    #[cfg(test)]
    pub(crate) fn for_test(value: &str) -> DqsKey {
        DqsKey {
            value: value.to_string(),
            warning: None,
        }
    }
}

/// `7.100.51.198.zen.spamhaus.org.`; with a DQS key `7.100.51.198.KEY.zen.dq.spamhaus.net.`.
/// None for an IPv6 address and a zone that takes IPv4 only.
pub(crate) fn name(ip: IpAddr, zone: &Zone, key: Option<&DqsKey>) -> Option<String> {
    let mut name = match ip.to_canonical() {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            format!("{d}.{c}.{b}.{a}.")
        }
        IpAddr::V6(a) if zone.ipv6 => {
            let mut out = String::with_capacity(64);
            for byte in a.octets().iter().rev() {
                let _ = write!(out, "{:x}.{:x}.", byte & 0x0f, byte >> 4);
            }
            out
        }
        IpAddr::V6(_) => return None,
    };
    match (key, &zone.dqs) {
        (Some(key), Some(dqs)) => {
            name.push_str(&key.value);
            name.push('.');
            name.push_str(dqs);
        }
        _ => name.push_str(&zone.name),
    }
    name.push('.');
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::super::zones::zone;
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn ipv4_reversed_octets_and_dqs() {
        let zen = zone("zen.spamhaus.org").unwrap();
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            name(ip, &zen, None).unwrap(),
            "7.100.51.198.zen.spamhaus.org."
        );
        let key = DqsKey::for_test("abcdefghij0123456789abcdef");
        assert_eq!(
            name(ip, &zen, Some(&key)).unwrap(),
            "7.100.51.198.abcdefghij0123456789abcdef.zen.dq.spamhaus.net."
        );
        // A zone without a DQS form ignores the key.
        let spamcop = zone("bl.spamcop.net").unwrap();
        assert_eq!(
            name(ip, &spamcop, Some(&key)).unwrap(),
            "7.100.51.198.bl.spamcop.net."
        );
        // An IPv4-mapped IPv6 address is asked as the IPv4 address.
        let mapped: IpAddr = "::ffff:198.51.100.7".parse().unwrap();
        assert_eq!(
            name(mapped, &spamcop, None).unwrap(),
            "7.100.51.198.bl.spamcop.net."
        );
        assert_eq!(format!("{key:?}"), "DqsKey(…)");
    }

    #[test]
    fn ipv6_reversed_nibbles_only_where_the_zone_takes_them() {
        // Spamhaus's own example (DQS query format page).
        let ip: IpAddr = "2001:db8:7ca6:22::45".parse().unwrap();
        let zen = zone("zen.spamhaus.org").unwrap();
        assert_eq!(
            name(ip, &zen, None).unwrap(),
            "5.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.2.0.0.6.a.c.7.8.b.d.0.1.0.0.2.zen.spamhaus.org."
        );
        assert_eq!(name(ip, &zone("bl.spamcop.net").unwrap(), None), None);
    }

    #[test]
    fn key_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dqs.key");
        std::fs::write(&path, "\n  AbCdef0123456789abcdefabcd \n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = DqsKey::read(&path).unwrap();
        assert_eq!(key.value, "abcdef0123456789abcdefabcd");
        assert!(key.warning.is_none());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(DqsKey::read(&path)
            .unwrap()
            .warning
            .unwrap()
            .contains("chmod 600"));
        for (text, what) in [
            ("key.with.dots", "'.'"),
            ("a key", "a space"),
            ("", "no key"),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = DqsKey::read(&path).unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
            assert!(!text.is_empty() || e.contains("--dqs-key-file"), "{e}");
        }
    }
}
