//! The zone table (`zones.toml`, compiled in) and what a zone's answer means: listings with
//! their list, meaning and scope; a refusal of our resolver; or an answer that is no listing at
//! all (outside 127.0.0.0/8: a wildcarding zone).

use crate::model::dnsbl::ListingScope;
use std::net::Ipv4Addr;
use std::sync::LazyLock;

const BUILTIN: &str = include_str!("zones.toml");

/// One return code of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Code {
    pub(crate) code: Ipv4Addr,
    pub(crate) list: String,
    pub(crate) meaning: String,
    pub(crate) scope: ListingScope,
}

/// A zone as blockscope asks and decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    /// The public zone name, lowercase, no trailing dot (`zen.spamhaus.org`).
    pub(crate) name: String,
    pub(crate) family: String,
    /// The list's return-code documentation.
    pub(crate) page: String,
    /// Answers IPv6 queries (reversed nibbles).
    pub(crate) ipv6: bool,
    /// The Spamhaus DQS zone asked instead when a DQS key is given.
    pub(crate) dqs: Option<String>,
    /// Codes that mean "your query was refused" (first, last address of each range).
    refused: Vec<(u32, u32)>,
    /// The documented refusal codes and their meaning.
    pub(crate) refusals: Vec<(Ipv4Addr, String)>,
    pub(crate) codes: Vec<Code>,
    /// False for a zone the table does not hold: any 127.0.0.0/8 answer is a listing.
    pub(crate) known: bool,
}

/// What one answer (the A records of one query) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// One code per distinct A record (sorted).
    Listed(Vec<Code>),
    /// The list refused our query (the first refusal code).
    Refused(Ipv4Addr),
    /// An address outside 127.0.0.0/8: not a DNSBL answer (a wildcard, a parked zone).
    NotDnsbl(Ipv4Addr),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    zone: Vec<ZoneFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneFile {
    zone: String,
    family: String,
    page: String,
    ipv6: bool,
    dqs: Option<String>,
    #[serde(default)]
    refused: Vec<String>,
    #[serde(default)]
    refusal: Vec<RefusalFile>,
    code: Vec<CodeFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RefusalFile {
    code: Ipv4Addr,
    meaning: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeFile {
    code: Ipv4Addr,
    list: String,
    meaning: String,
    scope: String,
}

static TABLE: LazyLock<Vec<Zone>> =
    LazyLock::new(|| parse(BUILTIN).expect("the built-in zones.toml is valid (checked by tests)"));

/// The zones compiled into the binary, in table order.
pub(crate) fn table() -> &'static [Zone] {
    &TABLE
}

fn parse(text: &str) -> Result<Vec<Zone>, String> {
    let file: TableFile = toml::from_str(text).map_err(|e| e.to_string())?;
    file.zone.into_iter().map(zone_of).collect()
}

fn zone_of(z: ZoneFile) -> Result<Zone, String> {
    let codes = z
        .code
        .into_iter()
        .map(|c| {
            let scope =
                ListingScope::parse(&c.scope).ok_or(format!("{}: scope {:?}", z.zone, c.scope))?;
            if c.code.octets()[0] != 127 {
                return Err(format!("{}: code {} is not in 127.0.0.0/8", z.zone, c.code));
            }
            Ok(Code {
                code: c.code,
                list: c.list,
                meaning: c.meaning,
                scope,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let refused = z
        .refused
        .iter()
        .map(|cidr| {
            let net: ipnetwork::Ipv4Network = cidr
                .parse()
                .map_err(|e| format!("{}: {cidr}: {e}", z.zone))?;
            Ok((u32::from(net.network()), u32::from(net.broadcast())))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Zone {
        name: z.zone,
        family: z.family,
        page: z.page,
        ipv6: z.ipv6,
        dqs: z.dqs,
        refused,
        refusals: z.refusal.into_iter().map(|r| (r.code, r.meaning)).collect(),
        codes,
        known: true,
    })
}

/// The zone to ask for a configured name: the table's entry (also under its DQS name,
/// `zen.dq.spamhaus.net`), or a generic one for a zone the table does not hold. `None` when
/// the name is not a DNS name.
pub(crate) fn zone(name: &str) -> Option<Zone> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if !is_zone_name(&name) {
        return None;
    }
    let known = table()
        .iter()
        .find(|z| z.name == name || z.dqs.as_deref() == Some(name.as_str()));
    Some(match known {
        Some(z) => z.clone(),
        None => Zone {
            family: name.clone(),
            page: format!("the documentation of {name}"),
            ipv6: false,
            dqs: None,
            refused: Vec::new(),
            refusals: Vec::new(),
            codes: Vec::new(),
            known: false,
            name,
        },
    })
}

/// At least two labels of letters, digits and `-` (and `_`, which some list names use).
fn is_zone_name(name: &str) -> bool {
    name.len() <= 200
        && name.split('.').count() >= 2
        && name.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

impl Zone {
    fn is_refusal(&self, a: Ipv4Addr) -> bool {
        let a = u32::from(a);
        self.refused.iter().any(|(lo, hi)| (*lo..=*hi).contains(&a))
    }

    /// The meaning of a refusal code, when the list documents it.
    pub(crate) fn refusal_meaning(&self, code: Ipv4Addr) -> Option<&str> {
        self.refusals
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, m)| m.as_str())
    }

    /// What the A records of one answer say. A refusal wins over anything else in the answer,
    /// and one address outside 127.0.0.0/8 makes the whole answer untrustworthy.
    pub(crate) fn decode(&self, answers: &[Ipv4Addr]) -> Decoded {
        if let Some(r) = answers.iter().find(|a| self.is_refusal(**a)) {
            return Decoded::Refused(*r);
        }
        if let Some(a) = answers.iter().find(|a| a.octets()[0] != 127) {
            return Decoded::NotDnsbl(*a);
        }
        let mut codes: Vec<Ipv4Addr> = answers.to_vec();
        codes.sort();
        codes.dedup();
        Decoded::Listed(codes.into_iter().map(|c| self.code(c)).collect())
    }

    /// A listing code: the table's, or an unknown one named with the list's page.
    fn code(&self, code: Ipv4Addr) -> Code {
        if let Some(known) = self.codes.iter().find(|c| c.code == code) {
            return known.clone();
        }
        let meaning = if self.known {
            format!("unknown code {code} (see {})", self.page)
        } else {
            format!(
                "listed ({code}); {} is not in blockscope's zone table, so the code is not decoded",
                self.name
            )
        };
        Code {
            code,
            list: self.family.clone(),
            meaning,
            scope: ListingScope::Address,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn the_table_parses_with_documented_pages_and_127_codes() {
        let t = table();
        assert!(t.len() >= 7);
        for z in t {
            assert!(z.page.starts_with("http"), "{}", z.name);
            assert!(!z.codes.is_empty(), "{}", z.name);
            assert!(zone(&z.name).is_some_and(|found| found == *z));
        }
        let names: Vec<&str> = t.iter().map(|z| z.name.as_str()).collect();
        for want in [
            "zen.spamhaus.org",
            "b.barracudacentral.org",
            "bl.spamcop.net",
            "dnsbl-1.uceprotect.net",
            "dnsbl-2.uceprotect.net",
            "dnsbl-3.uceprotect.net",
            "psbl.surriel.com",
        ] {
            assert!(names.contains(&want), "{want} missing");
        }
    }

    #[test]
    fn zen_codes_decode_per_spamhaus() {
        let zen = zone("ZEN.spamhaus.org.").unwrap();
        assert!(zen.ipv6 && zen.dqs.as_deref() == Some("zen.dq.spamhaus.net"));
        let Decoded::Listed(codes) = zen.decode(&[a("127.0.0.10"), a("127.0.0.2"), a("127.0.0.2")])
        else {
            panic!()
        };
        let got: Vec<(&str, ListingScope)> =
            codes.iter().map(|c| (c.list.as_str(), c.scope)).collect();
        assert_eq!(
            got,
            [
                ("Spamhaus SBL", ListingScope::Address),
                ("Spamhaus PBL", ListingScope::Policy)
            ]
        );
        for (code, list, scope) in [
            ("127.0.0.3", "Spamhaus SBL CSS", ListingScope::Address),
            ("127.0.0.4", "Spamhaus XBL", ListingScope::Address),
            ("127.0.0.9", "Spamhaus SBL DROP", ListingScope::Range),
            ("127.0.0.11", "Spamhaus PBL", ListingScope::Policy),
            ("127.0.0.30", "Spamhaus SBL BCL", ListingScope::Address),
        ] {
            let Decoded::Listed(c) = zen.decode(&[a(code)]) else {
                panic!("{code}")
            };
            assert_eq!((c[0].list.as_str(), c[0].scope), (list, scope), "{code}");
        }
    }

    #[test]
    fn refusals_wildcards_and_unknown_codes() {
        let zen = zone("zen.spamhaus.org").unwrap();
        for code in ["127.255.255.252", "127.255.255.254", "127.255.255.255"] {
            assert_eq!(
                zen.decode(&[a("127.0.0.2"), a(code)]),
                Decoded::Refused(a(code))
            );
            assert!(zen.refusal_meaning(a(code)).is_some(), "{code}");
        }
        // Another code of Spamhaus's error range (an invalid DQS key) is refused too.
        assert_eq!(
            zen.decode(&[a("127.255.255.250")]),
            Decoded::Refused(a("127.255.255.250"))
        );
        assert_eq!(
            zen.decode(&[a("127.0.0.2"), a("198.51.100.1")]),
            Decoded::NotDnsbl(a("198.51.100.1"))
        );
        let Decoded::Listed(c) = zen.decode(&[a("127.0.0.99")]) else {
            panic!()
        };
        assert_eq!(c[0].scope, ListingScope::Address);
        assert!(c[0]
            .meaning
            .starts_with("unknown code 127.0.0.99 (see https://docs.spamhaus.com"));
        // UCEPROTECT answers 127.0.0.2 at every level; the zone says what is listed.
        let scopes: Vec<ListingScope> = ["dnsbl-1", "dnsbl-2", "dnsbl-3"]
            .iter()
            .map(|l| {
                match zone(&format!("{l}.uceprotect.net"))
                    .unwrap()
                    .decode(&[a("127.0.0.2")])
                {
                    Decoded::Listed(c) => c[0].scope,
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(
            scopes,
            [
                ListingScope::Address,
                ListingScope::Range,
                ListingScope::Asn
            ]
        );
        // A 127.255.255.254 from a list that documents no refusal is an unknown listing code.
        let spamcop = zone("bl.spamcop.net").unwrap();
        assert!(matches!(
            spamcop.decode(&[a("127.255.255.254")]),
            Decoded::Listed(_)
        ));
    }

    #[test]
    fn unknown_and_invalid_zone_names() {
        let z = zone("dnsbl.provider.example").unwrap();
        assert!(!z.known && !z.ipv6);
        let Decoded::Listed(c) = z.decode(&[a("127.0.0.2")]) else {
            panic!()
        };
        assert!(c[0].meaning.contains("not in blockscope's zone table"));
        assert_eq!(
            zone("zen.dq.spamhaus.net").unwrap().name,
            "zen.spamhaus.org"
        );
        for bad in [
            "",
            "localhost",
            "zen..spamhaus.org",
            "-x.example",
            "a b.example",
            "x.example/24",
        ] {
            assert!(zone(bad).is_none(), "{bad}");
        }
    }
}
