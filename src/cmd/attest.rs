//! `blockscope attest`: an IP-ownership attestation for Microsoft's delisting teams.

use crate::aggregate::Aggregates;
use crate::attribute::cidr::parse_target;
use crate::attribute::cidr::{form_list, merge};
use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::{csv_io, csv_writer, iso};
use ipnetwork::IpNetwork;
use std::collections::BTreeSet;
use std::io::Write;

/// What to attest and how: `attest`'s own flags (the shared ones are in `Config`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Only this customer's addresses.
    pub(crate) customer: Option<String>,
    /// Only addresses inside this CIDR.
    pub(crate) range: Option<String>,
    /// Name customers (by default only their ids appear).
    pub(crate) names: bool,
    /// The provider's name for the statement.
    pub(crate) provider: Option<String>,
    pub(crate) format: Format,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Format {
    #[default]
    Text,
    Csv,
}

/// One inventory entry in scope, with the evidence the logs hold for it.
struct Line {
    network: IpNetwork,
    customer_id: String,
    customer_name: String,
    vps_id: String,
    blocked_ips: BTreeSet<String>,
    block_events: u64,
    throttle_events: u64,
}

pub(crate) fn run(config: &Config, args: &Request, w: &mut dyn Write) -> Result<()> {
    let inventory = Inventory::load(&config.inventory)?;
    let scope = match &args.range {
        Some(r) => Some(parse_target(r)?),
        None => None,
    };
    if let Some(c) = &args.customer {
        if !inventory.customers.iter().any(|k| &k.id == c) {
            return Err(Error::Config(format!(
                "--customer {c}: no such customer_id in the inventory"
            )));
        }
    }
    let aggregates = if config.has_logs() {
        let rules = crate::pipeline::load_rules(config)?;
        Some(crate::pipeline::analyse(config, &inventory, &rules)?)
    } else {
        None
    };
    let mut lines = Vec::new();
    for e in &inventory.entries {
        let vps = &inventory.vpses[e.vps];
        let customer = &inventory.customers[vps.customer];
        if args.customer.as_ref().is_some_and(|c| c != &customer.id) {
            continue;
        }
        // Only the addresses the entry really holds: a more specific row of another customer
        // inside a wider block is that customer's, and is counted there once.
        for &network in &e.owned {
            if scope.is_some_and(|s| !crate::model::networks_overlap(s, network)) {
                continue;
            }
            let mut line = Line {
                network,
                customer_id: customer.id.clone(),
                customer_name: customer.name.clone(),
                vps_id: vps.id.clone(),
                blocked_ips: BTreeSet::new(),
                block_events: 0,
                throttle_events: 0,
            };
            if let Some(agg) = &aggregates {
                add_evidence(&mut line, agg);
            }
            lines.push(line);
        }
    }
    lines.sort_by_key(|l| {
        (
            l.network.is_ipv6(),
            ip_key(l.network.network()),
            l.network.prefix(),
        )
    });
    if lines.is_empty() {
        return Err(Error::Config(
            "nothing to attest: no inventory address matches --customer/--range".into(),
        ));
    }
    match args.format {
        Format::Text => text(w, args, &lines, aggregates.as_ref()),
        Format::Csv => csv(w, args, &lines),
    }
    .map_err(super::stdout_error)
}

/// The blocks and throttling the logs hold for the addresses of `line`.
fn add_evidence(line: &mut Line, agg: &Aggregates) {
    let network = line.network;
    for r in &agg.ips {
        let Some(ip) = r.ip.filter(|ip| network.contains(*ip)) else {
            continue;
        };
        if r.class.is_block() {
            line.blocked_ips.insert(ip.to_string());
            line.block_events += r.events;
        } else if r.class == crate::classify::rules::Class::Throttle {
            line.throttle_events += r.events;
        }
    }
}

fn ip_key(ip: std::net::IpAddr) -> u128 {
    match ip {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    }
}

fn who(args: &Request, l: &Line) -> String {
    if args.names {
        format!("{} ({})", l.customer_name, l.customer_id)
    } else {
        l.customer_id.clone()
    }
}

fn text(
    w: &mut dyn Write,
    args: &Request,
    lines: &[Line],
    agg: Option<&Aggregates>,
) -> std::io::Result<()> {
    let provider = args.provider.as_deref().unwrap_or("We");
    let ranges = merge(lines.iter().map(|l| l.network));
    writeln!(w, "IP address ownership attestation\n")?;
    writeln!(
        w,
        "{provider} {} the hosting provider and network operator for the following outbound IP addresses and ranges, which are assigned to our customers' virtual servers:\n",
        if args.provider.is_some() { "is" } else { "are" }
    )?;
    writeln!(w, "  {}\n", form_list(&ranges))?;
    let customers: BTreeSet<&str> = lines.iter().map(|l| l.customer_id.as_str()).collect();
    let vpses: BTreeSet<&str> = lines.iter().map(|l| l.vps_id.as_str()).collect();
    writeln!(
        w,
        "They are used by {} customer(s) on {} virtual server(s):\n",
        customers.len(),
        vpses.len()
    )?;
    let width = lines
        .iter()
        .map(|l| l.network.to_string().len())
        .max()
        .unwrap_or(0);
    for l in lines {
        writeln!(
            w,
            "  {:<width$}  customer {}  server {}",
            l.network.to_string(),
            who(args, l),
            l.vps_id
        )?;
    }
    writeln!(w)?;
    if let Some(agg) = agg {
        match (agg.first_time, agg.last_time) {
            (Some(a), Some(b)) => writeln!(
                w,
                "Evidence window (our mail logs): {} to {} (UTC).",
                iso(a),
                iso(b)
            )?,
            _ => writeln!(w, "Our mail logs hold no deliveries for these addresses.")?,
        }
        let blocked: BTreeSet<&str> = lines
            .iter()
            .flat_map(|l| l.blocked_ips.iter().map(String::as_str))
            .collect();
        let events: u64 = lines.iter().map(|l| l.block_events).sum();
        let throttled: u64 = lines.iter().map(|l| l.throttle_events).sum();
        writeln!(
            w,
            "In that window {} address(es) were refused by receivers ({} rejection(s)); {} deferral(s) were throttling.\n",
            blocked.len(),
            events,
            throttled
        )?;
    }
    writeln!(w, "We confirm that we control these addresses, that abuse reports reach us, and that we act on them.")?;
    Ok(())
}

fn csv(w: &mut dyn Write, args: &Request, lines: &[Line]) -> std::io::Result<()> {
    // Customer names are typed by people: the same spreadsheet-safe writer as every report.
    let mut out = csv_writer(w);
    let mut header = vec!["network", "customer_id"];
    if args.names {
        header.push("customer_name");
    }
    header.extend(["vps_id", "blocked_ips", "block_events", "throttle_events"]);
    out.write_record(&header).map_err(csv_io)?;
    for l in lines {
        let mut rec = vec![l.network.to_string(), l.customer_id.clone()];
        if args.names {
            rec.push(l.customer_name.clone());
        }
        rec.extend([
            l.vps_id.clone(),
            l.blocked_ips.iter().cloned().collect::<Vec<_>>().join(";"),
            l.block_events.to_string(),
            l.throttle_events.to_string(),
        ]);
        out.write_record(&rec).map_err(csv_io)?;
    }
    out.flush()
}

impl From<&crate::cli::AttestArgs> for Request {
    /// `attest`'s own flags (the shared ones go through `Config::build`).
    fn from(args: &crate::cli::AttestArgs) -> Request {
        Request {
            customer: args.customer.clone(),
            range: args.range.clone(),
            names: args.names,
            provider: args.provider.clone(),
            format: match args.format {
                crate::cli::AttestFormat::Text => Format::Text,
                crate::cli::AttestFormat::Csv => Format::Csv,
            },
        }
    }
}
