//! `inventory import` (issue 20's own-fleet path): the inventory from a NetBox IP-address export
//! or a WHMCS Services report, columns found by name, checked by the inventory loader.

use super::*;

/// NetBox 4.5 "Export → All data" of the IP Addresses list (header: `IPAddressTable`'s verbose
/// names in their default order, netbox `ipam/tables/ip.py`), with columns a user added moved.
const NETBOX_ALL_DATA: &str = "IP Address,VRF,Status,Role,Tenant,Assigned,DNS name,Description,ID,Tenant Group,NAT (Inside),NAT (Outside),Comments,Contacts,Tags,Created,Last updated,Owner Group,Owner,Interface,Parent
198.51.100.1/24,,Active,Anycast,,,gw1.provider.example,Gateway,2,,,,,,,2026-03-02T09:14:11.203118+00:00,2026-03-02T09:14:11.203134+00:00,,,,
198.51.100.7/24,,Active,,Acme Shop GmbH,41,,,101,Hosting,,,,,mail,2026-03-02T09:20:45.008212+00:00,2026-10-11T16:02:37.519024+00:00,,,eth0,vm-acme-01
198.51.100.8/24,,Active,,Acme Shop GmbH,42,,,102,Hosting,,,,,,2026-03-02T09:20:45.114570+00:00,2026-10-11T16:02:37.611930+00:00,,,eth0,vm-acme-02
2001:db8::7/64,,Active,,Acme Shop GmbH,41,,,103,Hosting,,,,,,2026-03-02T09:20:45.008212+00:00,2026-10-11T16:02:37.519024+00:00,,,eth0,vm-acme-01
198.51.100.9/24,,Active,,Beta Verlag,77,,,104,Hosting,,,,,,2026-04-01T10:00:00.000000+00:00,2026-04-01T10:00:00.000000+00:00,,,eno1,db-beta-01 (AT-4411)
198.51.100.10/24,,Reserved,,Beta Verlag,,,,105,Hosting,,,,,,2026-04-01T10:00:00.000000+00:00,2026-04-01T10:00:00.000000+00:00,,,,
";

fn import(format: &str, file: &Path, extra: &[&str]) -> Output {
    blockscope()
        .args(["inventory", "import", "--format", format])
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_netbox_export_becomes_an_inventory_run_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("netbox_IP addresses.csv");
    fs::write(&export, NETBOX_ALL_DATA).unwrap();
    let out = import("netbox", &export, &[]);
    ok(&out);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "customer_id,customer_name,vps_id,ip
acme-shop-gmbh,Acme Shop GmbH,vm-acme-01,198.51.100.7
acme-shop-gmbh,Acme Shop GmbH,vm-acme-01,2001:db8::7
acme-shop-gmbh,Acme Shop GmbH,vm-acme-02,198.51.100.8
beta-verlag,Beta Verlag,db-beta-01,198.51.100.9
"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4 address(es) of 3 VPS(es)"), "{stderr}");
    assert!(
        stderr.contains("left out 2 row(s): assigned to no VM or service"),
        "{stderr}"
    );
    // Written with --out, it is an inventory check-config (and so run) accepts.
    let inventory = dir.path().join("inventory.csv");
    ok(&import(
        "netbox",
        &export,
        &["--out", inventory.to_str().unwrap()],
    ));
    let check = blockscope()
        .args(["check-config", "--inventory"])
        .arg(&inventory)
        .output()
        .unwrap();
    ok(&check);
    assert!(String::from_utf8_lossy(&check.stdout).contains("2 customers, 3 VPSes"));
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&inventory).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the nightly unit's user reads it");
}

#[test]
fn netbox_semicolons_and_the_import_form_header_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.csv");
    fs::write(&export, NETBOX_ALL_DATA.replace(',', ";")).unwrap();
    let out = import("netbox", &export, &[]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("beta-verlag,Beta Verlag,db-beta-01,198.51.100.9"));
    // The bulk-import form's field names (netbox ipam/forms/bulk_import.py).
    fs::write(&export, "address,status,tenant,virtual_machine,interface\n192.0.2.5/24,active,c42,vps-c42-01,eth0\n").unwrap();
    let out = import("netbox", &export, &[]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("c42,c42,vps-c42-01,192.0.2.5\n"));
}

#[test]
fn a_whmcs_services_report_gives_every_assigned_ip_and_leaves_ended_services_out() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("services.csv");
    fs::write(
        &export,
        "ID,User ID,Client Name,Domain Name,Dedicated IP,Assigned IPs,Status
2216,1002,Kestrel Logistics,vps-c1002-02,203.0.113.80,\"2001:db8:10:6::10\r\n2001:db8:10:6::11\",Suspended
2231,1019,Ashwell Tutoring,vps-c1019-01,198.51.100.99,,Terminated
",
    )
    .unwrap();
    let out = import("whmcs", &export, &[]);
    ok(&out);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "customer_id,customer_name,vps_id,ip
1002,Kestrel Logistics,vps-c1002-02,203.0.113.80
1002,Kestrel Logistics,vps-c1002-02,2001:db8:10:6::10
1002,Kestrel Logistics,vps-c1002-02,2001:db8:10:6::11
"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("left out 1 row(s): the service has ended")
    );
}

#[test]
fn a_row_that_cannot_be_converted_writes_nothing_and_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("netbox.csv");
    let inventory = dir.path().join("inventory.csv");
    fs::write(
        &inventory,
        "customer_id,customer_name,vps_id,ip\nc1,A,vps-a,192.0.2.1\n",
    )
    .unwrap();
    let bad = NETBOX_ALL_DATA.replace("198.51.100.8/24", "198.51.100.300/24");
    fs::write(&export, bad).unwrap();
    let out = import("netbox", &export, &["--out", inventory.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 4: \"198.51.100.300/24\" is not an IP address"),
        "{stderr}"
    );
    assert!(stderr.contains("no inventory was written"), "{stderr}");
    assert!(
        fs::read_to_string(&inventory).unwrap().contains("vps-a"),
        "the old inventory stays"
    );
    // The wrong format: its columns are named.
    let out = import("whmcs", &export, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no Dedicated IP column; the header row is: IP Address,VRF"));
}
