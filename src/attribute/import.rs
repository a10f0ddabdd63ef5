//! `inventory import`: the inventory (`customer_id,customer_name,vps_id,ip`) from what a hosting
//! provider already keeps, matched by column *name* (users reorder and add columns):
//!
//! - NetBox's IP-address list exported as CSV ("Export → All data", or "Current View" with the
//!   Parent column shown). Headers are the table's verbose names (netbox `ipam/tables/ip.py`,
//!   `IPAddressTable`): `IP Address` is the address with its interface's prefix length
//!   (`198.51.100.7/24`: one address, never the range), `Tenant` the tenant's name, `Parent` the
//!   virtual machine (`Device/VM` before NetBox 3.6). The delimiter is a user setting (4.4+).
//!   The bulk-import form's own header (`address,tenant,virtual_machine`) is read too.
//! - WHMCS's "Services" report exported as CSV (`modules/reports/services.php`): `User ID`,
//!   `Client Name`, `Domain Name` (the VPS's host name), `Dedicated IP`, `Assigned IPs` (one per
//!   line), `Status`.
//!
//! Rows that name no VM or customer, or a service that has ended, are counted and left out; a
//! row that cannot become an inventory row (no address, a name that cannot be a file name) is a
//! problem with its line number.

use crate::attribute::inventory::validate_id;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Where the rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Netbox,
    Whmcs,
}

/// One inventory row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Row {
    pub(crate) customer_id: String,
    pub(crate) customer_name: String,
    pub(crate) vps_id: String,
    pub(crate) ip: IpAddr,
}

/// What an import made of a file.
#[derive(Debug, Default)]
pub(crate) struct Import {
    pub(crate) rows: Vec<Row>,
    /// Rows left out on purpose, by reason ("no VM (Parent is empty)": 12).
    pub(crate) left_out: BTreeMap<&'static str, u64>,
    /// Rows that should have been imported and could not: `line N: why`.
    pub(crate) problems: Vec<String>,
}

/// The columns a source needs, each by its accepted header names.
struct Columns {
    ip: &'static [&'static str],
    extra_ips: &'static [&'static str],
    customer_id: &'static [&'static str],
    customer_name: &'static [&'static str],
    vps: &'static [&'static str],
    status: &'static [&'static str],
    /// Statuses whose rows are left out (compared case-insensitively).
    ended: &'static [&'static str],
}

const NETBOX: Columns = Columns {
    ip: &["IP Address", "address"],
    extra_ips: &[],
    customer_id: &["Tenant", "tenant"],
    customer_name: &["Tenant", "tenant"],
    vps: &["Parent", "Device/VM", "virtual_machine"],
    status: &["Status", "status"],
    ended: &[],
};

const WHMCS: Columns = Columns {
    ip: &["Dedicated IP"],
    extra_ips: &["Assigned IPs"],
    customer_id: &["User ID"],
    customer_name: &["Client Name"],
    vps: &["Domain Name"],
    status: &["Status"],
    ended: &["Terminated", "Cancelled", "Fraud"],
};

/// Convert `text` (the file's contents). Errors name the missing column.
pub(crate) fn import(source: Source, text: &str) -> Result<Import, String> {
    let columns = match source {
        Source::Netbox => &NETBOX,
        Source::Whmcs => &WHMCS,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .clone();
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h == *n))
    };
    let need = |names: &[&str]| {
        find(names).ok_or_else(|| {
            format!(
                "no {} column; the header row is: {}",
                names.join(" or "),
                headers.iter().collect::<Vec<_>>().join(",")
            )
        })
    };
    let at = At {
        ip: need(columns.ip)?,
        extra_ips: find(columns.extra_ips),
        customer_id: need(columns.customer_id)?,
        customer_name: need(columns.customer_name)?,
        vps: need(columns.vps)?,
        status: find(columns.status),
    };
    let mut out = Import::default();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        match record {
            Ok(record) => at.convert(&record, columns, line, &mut out),
            Err(e) => out.problems.push(format!("line {line}: {e}")),
        }
    }
    out.rows.sort();
    out.rows.dedup();
    Ok(out)
}

/// Column positions in this file.
struct At {
    ip: usize,
    extra_ips: Option<usize>,
    customer_id: usize,
    customer_name: usize,
    vps: usize,
    status: Option<usize>,
}

impl At {
    fn convert(
        &self,
        record: &csv::StringRecord,
        columns: &Columns,
        line: usize,
        out: &mut Import,
    ) {
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let mut leave_out = |why| *out.left_out.entry(why).or_default() += 1;
        if let Some(status) = self.status.map(cell) {
            if columns.ended.iter().any(|e| e.eq_ignore_ascii_case(status)) {
                return leave_out("the service has ended (Terminated, Cancelled, Fraud)");
            }
        }
        if cell(self.vps).is_empty() {
            return leave_out("assigned to no VM or service");
        }
        if cell(self.customer_id).is_empty() {
            return leave_out("no customer (tenant or client)");
        }
        let mut cells = vec![cell(self.ip)];
        if let Some(extra) = self.extra_ips {
            cells.extend(cell(extra).split(|c: char| c.is_whitespace() || c == ',' || c == ';'));
        }
        let ips: Vec<&str> = cells.into_iter().filter(|c| !c.is_empty()).collect();
        if ips.is_empty() {
            return leave_out("no address");
        }
        match self.rows(record, &ips) {
            Ok(rows) => out.rows.extend(rows),
            Err(why) => out.problems.push(format!("line {line}: {why}")),
        }
    }

    fn rows(&self, record: &csv::StringRecord, ips: &[&str]) -> Result<Vec<Row>, String> {
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let customer_id = as_id(cell(self.customer_id));
        validate_id(&customer_id).map_err(|e| format!("customer id {customer_id:?} {e}"))?;
        let vps_id = as_id(vps_name(cell(self.vps)));
        validate_id(&vps_id).map_err(|e| format!("VPS {vps_id:?} {e}"))?;
        let customer_name = cell(self.customer_name).to_string();
        ips.iter()
            .map(|text| {
                // NetBox writes an interface address with its network's prefix length.
                let bare = text.split('/').next().unwrap_or(text);
                let ip: IpAddr = bare
                    .parse()
                    .map_err(|_| format!("{text:?} is not an IP address"))?;
                Ok(Row {
                    customer_id: customer_id.clone(),
                    customer_name: customer_name.clone(),
                    vps_id: vps_id.clone(),
                    ip: ip.to_canonical(),
                })
            })
            .collect()
    }
}

/// NetBox names a device `name (asset tag)` in Parent; the VPS is the name.
fn vps_name(parent: &str) -> &str {
    match parent.rsplit_once(" (") {
        Some((name, tag)) if tag.ends_with(')') && !name.is_empty() => name,
        _ => parent,
    }
}

/// A name as an inventory id (ids become file names): kept when it already is one, else
/// lower-cased with every run of other characters made one `-` (`Acme GmbH` -> `acme-gmbh`).
fn as_id(name: &str) -> String {
    if validate_id(name).is_ok() {
        return name.to_string();
    }
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

/// NetBox 4.4+ lets each user pick comma, semicolon, pipe or tab: the one the header row uses.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    [b',', b';', b'|', b'\t']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .filter(|d| header.as_bytes().contains(d))
        .unwrap_or(b',')
}

/// The inventory CSV, one row per address.
pub(crate) fn write(rows: &[Row], w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(["customer_id", "customer_name", "vps_id", "ip"])?;
    for r in rows {
        csv.write_record([
            r.customer_id.as_str(),
            &r.customer_name,
            &r.vps_id,
            &r.ip.to_string(),
        ])?;
    }
    csv.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_ids_only_when_they_are_not_ids_already() {
        assert_eq!(as_id("c1010"), "c1010");
        assert_eq!(as_id("Acme GmbH"), "acme-gmbh");
        assert_eq!(as_id("Müller & Söhne KG"), "m-ller-s-hne-kg");
        assert_eq!(vps_name("web-01 (AT-4411)"), "web-01");
        assert_eq!(vps_name("vm-acme-01"), "vm-acme-01");
    }

    #[test]
    fn the_delimiter_is_the_one_the_header_uses() {
        assert_eq!(delimiter("IP Address;VRF;Status;Tenant;Parent\n"), b';');
        assert_eq!(delimiter("IP Address\tVRF\tTenant\n"), b'\t');
        assert_eq!(delimiter("IP Address,VRF,Tenant\n"), b',');
    }
}
