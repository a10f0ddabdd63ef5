//! The provider's inventory: which customer and VPS hold which addresses and prefixes.

use super::cidr::span_to_networks;
use super::hostname::{self, HostIndex, HostMatch};
use crate::error::InventoryError;
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;

#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub(crate) id: String,
    pub(crate) name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Vps {
    pub(crate) id: String,
    /// Index into `Inventory::customers`.
    pub(crate) customer: usize,
    /// Every address or prefix of this VPS, in file order.
    pub(crate) networks: Vec<IpNetwork>,
    /// Its syslog HOSTNAME (optional `hostname` column; lowercase, no trailing dot).
    pub(crate) hostname: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) network: IpNetwork,
    pub(crate) vps: usize,
    /// The addresses of `network` this entry really holds: all of it minus the more specific
    /// entries inside it (longest prefix wins), as minimal CIDRs; empty when those cover it all.
    /// Counting, listing and attesting go by these, so an address is never counted twice nor
    /// listed for the customer of the wider block.
    pub(crate) owned: Vec<IpNetwork>,
}

/// Validated inventory with longest-prefix lookup.
#[derive(Debug, Default)]
pub struct Inventory {
    pub(crate) customers: Vec<Customer>,
    pub(crate) vpses: Vec<Vps>,
    pub(crate) entries: Vec<Entry>,
    customer_by_id: HashMap<String, usize>,
    vps_by_id: HashMap<String, usize>,
    /// (prefix length, masked address) -> entry; one map per prefix length, longest first.
    by_prefix_v4: Vec<(u8, HashMap<u32, usize>)>,
    by_prefix_v6: Vec<(u8, HashMap<u128, usize>)>,
    hosts: HostIndex,
    /// `absent()`: no inventory at all (a log host's `ingest` without `--inventory`).
    absent: bool,
}

const REQUIRED: [&str; 4] = ["customer_id", "customer_name", "vps_id", "ip"];
/// Optional: the VPS's syslog HOSTNAME, for central syslog (`attribute::hostname`).
const HOSTNAME: &str = "hostname";

/// Ids become file names (`customers/<id>.csv`), so they are restricted to a safe alphabet.
pub(crate) fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is empty".into());
    }
    if id.len() > 128 {
        return Err("is longer than 128 characters".into());
    }
    if id.starts_with('.') || id.starts_with('-') {
        return Err("starts with '.' or '-'".into());
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "contains {c:?}; only letters, digits, '.', '_' and '-' are allowed"
        ));
    }
    Ok(())
}

impl Inventory {
    pub(crate) fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let file = std::fs::File::open(path).map_err(|source| InventoryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_reader(path, file)
    }

    pub fn from_reader<R: std::io::Read>(
        path: &Path,
        reader: R,
    ) -> Result<Inventory, InventoryError> {
        let p = || path.to_path_buf();
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(reader);
        let headers = rdr
            .headers()
            .map_err(|e| InventoryError::Csv {
                path: p(),
                detail: e.to_string(),
            })?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == name)
        };
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|n| col(n).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(InventoryError::Header {
                path: p(),
                missing: missing.join(","),
            });
        }
        let [c_id, c_name, c_vps, c_ip] = REQUIRED.map(|n| col(n).expect("checked above"));
        let c_host = col(HOSTNAME);

        let mut inv = Inventory::default();
        // network -> (line, vps index) of its first row, to name both lines on a conflict.
        let mut seen_network: HashMap<IpNetwork, (u64, usize)> = HashMap::new();
        let mut vps_line: HashMap<usize, u64> = HashMap::new();
        let mut customer_line: HashMap<usize, u64> = HashMap::new();
        let mut hostnames = HostnameRows::default();

        for record in rdr.records() {
            let record = record.map_err(|e| match e.position() {
                Some(pos) => InventoryError::Row {
                    path: p(),
                    line: pos.line(),
                    problem: e.to_string(),
                    fix: "every row needs exactly the header's columns".into(),
                },
                None => InventoryError::Csv {
                    path: p(),
                    detail: e.to_string(),
                },
            })?;
            let line = record.position().map_or(0, |pos| pos.line());
            let row_err = |problem: String, fix: &str| InventoryError::Row {
                path: p(),
                line,
                problem,
                fix: fix.to_string(),
            };
            let customer_id = &record[c_id];
            let customer_name = &record[c_name];
            let vps_id = &record[c_vps];
            let ip_text = &record[c_ip];
            validate_id(customer_id).map_err(|why| {
                row_err(
                    format!("customer_id {customer_id:?} {why}"),
                    "use a short id such as c1001",
                )
            })?;
            validate_id(vps_id).map_err(|why| {
                row_err(
                    format!("vps_id {vps_id:?} {why}"),
                    "use the VPS's directory name",
                )
            })?;
            let network =
                parse_network(ip_text).map_err(|(problem, fix)| row_err(problem, &fix))?;

            let customer = match inv.customer_by_id.get(customer_id) {
                Some(&c) => {
                    if inv.customers[c].name != customer_name {
                        return Err(row_err(
                            format!(
                                "customer {customer_id} is named {customer_name:?} here but {:?} on line {}",
                                inv.customers[c].name, customer_line[&c]
                            ),
                            "use one name per customer_id",
                        ));
                    }
                    c
                }
                None => {
                    let c = inv.customers.len();
                    inv.customers.push(Customer {
                        id: customer_id.to_string(),
                        name: customer_name.to_string(),
                    });
                    inv.customer_by_id.insert(customer_id.to_string(), c);
                    customer_line.insert(c, line);
                    c
                }
            };
            let vps = match inv.vps_by_id.get(vps_id) {
                Some(&v) => {
                    if inv.vpses[v].customer != customer {
                        return Err(row_err(
                            format!(
                                "VPS {vps_id} is listed under customer {customer_id} here but under {} on line {}",
                                inv.customers[inv.vpses[v].customer].id, vps_line[&v]
                            ),
                            "a VPS belongs to exactly one customer; correct the customer_id of one of the rows",
                        ));
                    }
                    v
                }
                None => {
                    let v = inv.vpses.len();
                    inv.vpses.push(Vps {
                        id: vps_id.to_string(),
                        customer,
                        networks: Vec::new(),
                        hostname: None,
                    });
                    inv.vps_by_id.insert(vps_id.to_string(), v);
                    vps_line.insert(v, line);
                    v
                }
            };
            if let Some(cell) = c_host.map(|c| &record[c]).filter(|c| !c.is_empty()) {
                hostnames
                    .add(&mut inv, vps, cell, line)
                    .map_err(|(problem, fix)| row_err(problem, fix))?;
            }
            if let Some(&(first_line, first_vps)) = seen_network.get(&network) {
                if first_vps == vps {
                    continue; // the same row twice: harmless
                }
                let other = &inv.vpses[first_vps];
                return Err(row_err(
                    format!(
                        "{network} is assigned to VPS {vps_id} (customer {customer_id}) here but to VPS {} (customer {}) on line {first_line}",
                        other.id, inv.customers[other.customer].id
                    ),
                    "an address belongs to one VPS; remove the stale row",
                ));
            }
            seen_network.insert(network, (line, vps));
            inv.vpses[vps].networks.push(network);
            inv.entries.push(Entry {
                network,
                vps,
                owned: Vec::new(),
            });
        }
        if inv.entries.is_empty() {
            return Err(InventoryError::Empty { path: p() });
        }
        hostnames
            .check_against_vps_ids(&inv)
            .map_err(|(line, problem, fix)| InventoryError::Row {
                path: p(),
                line,
                problem,
                fix: fix.into(),
            })?;
        inv.build_index();
        Ok(inv)
    }

    /// Each entry's `owned` part. Inventory CIDRs are nested or disjoint, so in (family, start,
    /// widest first) order an entry's more specific entries follow it directly: a sweep over
    /// them leaves the gaps it owns. (By (start, end) a `/24` sorted before the `/16` starting at
    /// the same address: the `/24` owned nothing and its customer's addresses went to the `/16`'s.)
    fn carve_owned(&mut self) {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| {
            let (v6, first, last, prefix) = span(&self.entries[i].network);
            (v6, first, std::cmp::Reverse(last), prefix)
        });
        for (k, &i) in order.iter().enumerate() {
            let (v6, first, last, _) = span(&self.entries[i].network);
            let mut next = Some(first);
            let mut owned = Vec::new();
            for &j in &order[k + 1..] {
                let (v6_j, first_j, last_j, _) = span(&self.entries[j].network);
                if v6_j != v6 || first_j > last {
                    break;
                }
                if let Some(from) = next.filter(|&from| from < first_j) {
                    owned.extend(span_to_networks(from, first_j - 1, v6));
                }
                // Past this more specific entry (None once the end of the space or of `i` is passed).
                next = next
                    .and_then(|from| {
                        if from > last_j {
                            Some(from)
                        } else {
                            last_j.checked_add(1)
                        }
                    })
                    .filter(|&from| from <= last);
            }
            if let Some(from) = next {
                owned.extend(span_to_networks(from, last, v6));
            }
            self.entries[i].owned = owned;
        }
    }

    fn build_index(&mut self) {
        self.carve_owned();
        let mut v4: BTreeMap<u8, HashMap<u32, usize>> = BTreeMap::new();
        let mut v6: BTreeMap<u8, HashMap<u128, usize>> = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            match e.network {
                IpNetwork::V4(n) => {
                    v4.entry(n.prefix())
                        .or_default()
                        .insert(u32::from(n.network()), i);
                }
                IpNetwork::V6(n) => {
                    v6.entry(n.prefix())
                        .or_default()
                        .insert(u128::from(n.network()), i);
                }
            }
        }
        self.by_prefix_v4 = v4.into_iter().rev().collect();
        self.by_prefix_v6 = v6.into_iter().rev().collect();
        self.hosts = HostIndex::build(
            self.vpses
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((i, v.hostname.as_deref()?))),
        );
    }

    /// Whether the inventory has a `hostname` column with at least one name: then log
    /// directories that are not a vps_id are read as central syslog (`ingest::central`).
    /// No inventory: `ingest` routes every file by its directory as logged, and `report`
    /// resolves the directories with its inventory (`attribute::resolve`).
    pub(crate) fn absent() -> Inventory {
        Inventory {
            absent: true,
            ..Inventory::default()
        }
    }

    pub(crate) fn is_absent(&self) -> bool {
        self.absent
    }

    pub(crate) fn has_hostnames(&self) -> bool {
        !self.hosts.is_empty()
    }

    /// The VPS a syslog HOSTNAME (or a per-host directory name) belongs to.
    pub(crate) fn vps_by_hostname(&self, host: &str) -> HostMatch {
        self.hosts.lookup(host)
    }

    /// Longest-prefix match: the inventory entry holding `ip`. An IPv4-mapped IPv6 address
    /// (`::ffff:198.51.100.7`, from a dual-stack socket) is the IPv4 address it maps.
    pub(crate) fn lookup(&self, ip: IpAddr) -> Option<&Entry> {
        let idx = match ip.to_canonical() {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.by_prefix_v4
                    .iter()
                    .find_map(|(len, map)| map.get(&(a & mask32(*len))).copied())
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.by_prefix_v6
                    .iter()
                    .find_map(|(len, map)| map.get(&(a & mask128(*len))).copied())
            }
        }?;
        self.entries.get(idx)
    }

    pub(crate) fn vps_index(&self, vps_id: &str) -> Option<usize> {
        self.vps_by_id.get(vps_id).copied()
    }

    /// The VPS's only single-address entry of the given family, if it has exactly one.
    pub(crate) fn only_address(&self, vps: usize, v6: bool) -> Option<IpAddr> {
        let mut found = None;
        for n in &self.vpses[vps].networks {
            if n.is_ipv6() != v6 {
                continue;
            }
            if n.prefix() != if v6 { 128 } else { 32 } || found.is_some() {
                return None; // a prefix, or a second address: cannot tell which one sent
            }
            found = Some(n.ip());
        }
        found
    }

    /// The VPS's only single address of any family (used when the connection family is unknown).
    pub(crate) fn only_address_any(&self, vps: usize) -> Option<IpAddr> {
        match self.vpses[vps].networks.as_slice() {
            [n] if n.prefix() == if n.is_ipv6() { 128 } else { 32 } => Some(n.ip()),
            _ => None,
        }
    }
}

/// The `hostname` cells seen so far, to name the first line of a conflict.
#[derive(Default)]
struct HostnameRows {
    /// hostname -> (line, vps) of its first row.
    first: HashMap<String, (u64, usize)>,
}

type RowProblem = (String, &'static str);

impl HostnameRows {
    /// One non-empty cell of VPS `vps` on `line`: the same name on every row of a VPS, no name
    /// on two VPSes.
    fn add(
        &mut self,
        inv: &mut Inventory,
        vps: usize,
        cell: &str,
        line: u64,
    ) -> Result<(), RowProblem> {
        let name = hostname::normalise(cell);
        hostname::validate(&name).map_err(|why| {
            (
                format!("hostname {cell:?} {why}"),
                "give the HOSTNAME the VPS's syslog lines carry (vps1 or vps1.example.net), or leave the cell empty",
            )
        })?;
        let v = &inv.vpses[vps];
        if let Some(own) = &v.hostname {
            if *own != name {
                let first_line = self.first[own].0;
                return Err((
                    format!("VPS {} has hostname {name:?} here but {own:?} on line {first_line}", v.id),
                    "a VPS has one syslog hostname: write the same on all its rows (or leave the cell empty on the others)",
                ));
            }
            return Ok(());
        }
        if let Some(&(first_line, other)) = self.first.get(&name) {
            return Err((
                format!(
                    "hostname {name:?} is given to VPS {} here but to VPS {} on line {first_line}",
                    v.id, inv.vpses[other].id
                ),
                "two VPSes cannot share a syslog hostname (their lines could not be told apart); correct one of the rows",
            ));
        }
        self.first.insert(name.clone(), (line, vps));
        inv.vpses[vps].hostname = Some(name);
        Ok(())
    }

    /// A hostname that is another VPS's vps_id would make a log directory of that name mean two
    /// VPSes.
    fn check_against_vps_ids(&self, inv: &Inventory) -> Result<(), (u64, String, &'static str)> {
        let mut clashes: Vec<(u64, String, &'static str)> = inv
            .vpses
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let (line, owner) = *self.first.get(&v.id.to_ascii_lowercase())?;
                (owner != i).then(|| {
                    (
                        line,
                        format!(
                            "hostname {:?} of VPS {} is the vps_id of VPS {}; a log directory named {} would mean both",
                            v.id.to_ascii_lowercase(),
                            inv.vpses[owner].id,
                            v.id,
                            v.id
                        ),
                        "rename the hostname or the vps_id so that no VPS's hostname is another VPS's vps_id",
                    )
                })
            })
            .collect();
        clashes.sort();
        clashes.into_iter().next().map_or(Ok(()), Err)
    }
}

fn parse_network(text: &str) -> Result<IpNetwork, (String, String)> {
    if text.is_empty() {
        return Err((
            "ip is empty".into(),
            "give an address (192.0.2.7) or a CIDR (192.0.2.0/28)".into(),
        ));
    }
    let network: IpNetwork = text.parse().map_err(|_| {
        (
            format!("ip {text:?} is not an IP address or CIDR"),
            "give an address (192.0.2.7, 2001:db8::7) or a CIDR (192.0.2.0/28, 2001:db8:1::/64)"
                .to_string(),
        )
    })?;
    let network = unmapped(network);
    if network.ip() != network.network() {
        let canonical = IpNetwork::new(network.network(), network.prefix())
            .map_or_else(|_| text.to_string(), |n| n.to_string());
        return Err((
            format!("{text} has host bits set"),
            format!("write the network address, e.g. {canonical}"),
        ));
    }
    Ok(network)
}

/// `::ffff:198.51.100.0/120` is `198.51.100.0/24`: lookups unmap addresses, so rows must too.
pub(crate) fn unmapped(network: IpNetwork) -> IpNetwork {
    match network {
        IpNetwork::V6(n) if n.prefix() >= 96 => match n.ip().to_ipv4_mapped() {
            Some(v4) => IpNetwork::new(IpAddr::V4(v4), n.prefix() - 96).unwrap_or(network),
            None => network,
        },
        _ => network,
    }
}

/// (family is IPv6, first address, last address, prefix) of a network, as integers.
fn span(network: &IpNetwork) -> (bool, u128, u128, u8) {
    let (first, last) = match network {
        IpNetwork::V4(n) => (
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        IpNetwork::V6(n) => {
            let first = u128::from(n.network());
            (first, first | !mask128(n.prefix()))
        }
    };
    (network.is_ipv6(), first, last, network.prefix())
}

pub(crate) fn mask32(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

pub(crate) fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Inventory, InventoryError> {
        Inventory::from_reader(Path::new("inv.csv"), text.as_bytes())
    }

    #[test]
    fn longest_prefix_wins() {
        let inv = load(
            "customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.0/24\nc2,Two,v2,198.51.100.7\nc2,Two,v2,2001:db8:1::/64\n",
        )
        .unwrap();
        let e = inv.lookup("198.51.100.7".parse().unwrap()).unwrap();
        assert_eq!(inv.vpses[e.vps].id, "v2");
        let e = inv.lookup("198.51.100.8".parse().unwrap()).unwrap();
        assert_eq!(inv.vpses[e.vps].id, "v1");
        let e = inv.lookup("2001:db8:1::25".parse().unwrap()).unwrap();
        assert_eq!(inv.vpses[e.vps].id, "v2");
        assert!(inv.lookup("203.0.113.1".parse().unwrap()).is_none());
        let mapped = inv.lookup("::ffff:198.51.100.7".parse().unwrap()).unwrap();
        assert_eq!(
            inv.vpses[mapped.vps].id, "v2",
            "IPv4-mapped is looked up as IPv4"
        );
        assert_eq!(
            inv.only_address(1, false),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(inv.only_address(1, true), None);
    }

    #[test]
    fn a_more_specific_range_starting_where_its_parent_starts_keeps_its_addresses() {
        // Listed either way round: the /24 is B's, the rest of the /16 is A's.
        for text in [
            "customer_id,customer_name,vps_id,ip\ncA,A,va,10.70.0.0/16\ncB,B,vb,10.70.0.0/24\n",
            "customer_id,customer_name,vps_id,ip\ncB,B,vb,10.70.0.0/24\ncA,A,va,10.70.0.0/16\n",
        ] {
            let inv = load(text).unwrap();
            let owned_by = |vps: &str| -> Vec<String> {
                let e = inv
                    .entries
                    .iter()
                    .find(|e| inv.vpses[e.vps].id == vps)
                    .unwrap();
                e.owned.iter().map(|n| n.to_string()).collect()
            };
            assert_eq!(owned_by("vb"), ["10.70.0.0/24"], "{text}");
            assert_eq!(
                owned_by("va").first().map(String::as_str),
                Some("10.70.1.0/24")
            );
            assert!(!owned_by("va").iter().any(|n| n == "10.70.0.0/16"));
            let e = inv.lookup("10.70.0.9".parse().unwrap()).unwrap();
            assert_eq!(inv.vpses[e.vps].id, "vb");
        }
        // The same at the very start of the IPv6 space (`::/64` once became `::/0`).
        let inv =
            load("customer_id,customer_name,vps_id,ip\ncA,A,va,::/48\ncB,B,vb,::/64\n").unwrap();
        let owned: Vec<String> = inv.entries[1].owned.iter().map(|n| n.to_string()).collect();
        assert_eq!(owned, ["::/64"]);
    }

    #[test]
    fn nested_cidrs_own_only_what_no_more_specific_entry_holds() {
        let inv = load(
            "customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.0/24\nc2,Two,v2,198.51.100.7\nc2,Two,v2,198.51.100.128/25\nc3,Three,v3,198.51.100.130\nc1,One,v1,2001:db8::/64\nc1,One,v1,203.0.113.9\n",
        )
        .unwrap();
        let owned = |i: usize| -> Vec<String> {
            inv.entries[i].owned.iter().map(|n| n.to_string()).collect()
        };
        assert_eq!(
            owned(0),
            [
                "198.51.100.0/30",
                "198.51.100.4/31",
                "198.51.100.6/32",
                "198.51.100.8/29",
                "198.51.100.16/28",
                "198.51.100.32/27",
                "198.51.100.64/26"
            ]
        );
        assert_eq!(owned(1), ["198.51.100.7/32"]);
        assert_eq!(
            owned(2),
            [
                "198.51.100.128/31",
                "198.51.100.131/32",
                "198.51.100.132/30",
                "198.51.100.136/29",
                "198.51.100.144/28",
                "198.51.100.160/27",
                "198.51.100.192/26"
            ]
        );
        assert_eq!(owned(3), ["198.51.100.130/32"]);
        assert_eq!(owned(4), ["2001:db8::/64"]);
        assert_eq!(owned(5), ["203.0.113.9/32"]);
        let total: u128 = inv
            .entries
            .iter()
            .flat_map(|e| &e.owned)
            .filter(|n| n.is_ipv4())
            .map(|n| 1u128 << (32 - n.prefix()))
            .sum();
        assert_eq!(
            total,
            256 + 1,
            "every address of the /24 once, plus 203.0.113.9"
        );
    }

    #[test]
    fn hostname_column() {
        let header = "customer_id,customer_name,vps_id,ip,hostname\n";
        let inv = load(&format!(
            "{header}c1,One,v1,198.51.100.7,VPS1.example.net.\nc1,One,v1,2001:db8::7,\nc2,Two,v2,198.51.100.8,v2\nc2,Two,v3,198.51.100.9,\n"
        ))
        .unwrap();
        assert!(inv.has_hostnames());
        assert_eq!(inv.vpses[0].hostname.as_deref(), Some("vps1.example.net"));
        assert_eq!(inv.vps_by_hostname("vps1"), HostMatch::Vps(0));
        assert_eq!(inv.vps_by_hostname("V2"), HostMatch::Vps(1));
        assert_eq!(inv.vpses[2].hostname, None);
        assert!(
            !load("customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.7\n")
                .unwrap()
                .has_hostnames()
        );
        let err = |text: &str| load(&format!("{header}{text}")).unwrap_err().to_string();
        let e = err("c1,One,v1,198.51.100.7,a\nc1,One,v1,198.51.100.8,b\n");
        assert!(
            e.starts_with("inv.csv:3:")
                && e.contains("\"a\" on line 2")
                && e.contains("one syslog hostname"),
            "{e}"
        );
        let e = err("c1,One,v1,198.51.100.7,a\nc2,Two,v2,198.51.100.8,A\n");
        assert!(
            e.starts_with("inv.csv:3:")
                && e.contains("VPS v1 on line 2")
                && e.contains("cannot share"),
            "{e}"
        );
        let e = err("c1,One,v1,198.51.100.7,v2\nc2,Two,v2,198.51.100.8,\n");
        assert!(
            e.starts_with("inv.csv:2:") && e.contains("vps_id of VPS v2"),
            "{e}"
        );
        let e = err("c1,One,v1,198.51.100.7,web 1\n");
        assert!(
            e.starts_with("inv.csv:2:") && e.contains("hostname \"web 1\""),
            "{e}"
        );
    }
}
