use super::*;

const EXIM_NEW: &[&str] = &[
        "2026-11-02 11:00:05.123 +0100 [4242] 1wrx8k-00000000Xy0-ABCD <= shop@customer.example H=localhost (web1) [127.0.0.1] P=esmtp S=1842",
        "2026-11-02 11:00:06.200 +0100 [4243] 1wrx8k-00000000Xy0-ABCD ** someone@hotmail.com R=dnslookup T=remote_smtp H=hotmail-com.olc.protection.outlook.com [104.47.66.33] I=[198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes : SMTP error from remote mail server after MAIL FROM:<shop@customer.example> SIZE=1842: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "2026-11-02 11:00:07.000 +0100 [4244] 1wrx8k-00000000Xz0-ABCD == d@hotmail.com R=dnslookup T=remote_smtp defer (-45) H=hotmail-com.olc.protection.outlook.com [104.47.66.33] I=[198.51.100.7]: SMTP error from remote mail server after MAIL FROM:<shop@customer.example> SIZE=1842: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775)",
        r"2026-11-02 11:00:08.000 +0100 [4245] 1wrx8k-00000000Y00-ABCD ** f@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [142.250.102.27] I=[198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes : SMTP error from remote mail server after end of data: 550-5.7.1 [198.51.100.7      1] Our system has detected an unusual rate of\n550-5.7.1 unsolicited mail originating from your IP address. To protect our\n550-5.7.1 users from spam, mail sent from your IP address has been blocked.\n550 5.7.1 Bulk Email Senders Guidelines. s25si6573124wmj.54 - gsmtp",
        "2026-11-02 11:00:09.000 +0100 [4246] 1wrx8k-00000000Y10-ABCD => g@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [142.250.102.27] I=[198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK  1700000000 x-gsmtp\"",
        "2026-11-02 11:00:10.000 +0100 [4247] 1wrx8k-00000000Y20-ABCD == h@example.org R=dnslookup T=remote_smtp defer (-54): retry time not reached for any host for 'example.org'",
        "2026-11-02 11:00:11.000 +0100 [4248] 1wrx8k-00000000Y30-ABCD ** i@example.org: retry timeout exceeded",
        "2026-11-02 11:00:12.000 +0100 [4249] 1wrx8k-00000000Y40-ABCD => web <web@web1> R=local_user T=mail_spool",
    ];

#[test]
fn exim_mainlog_with_interface_ms_zone_pid_and_long_ids() {
    let fleet = Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\nc1,A,vps-a,198.51.100.70\n"
    ));
    fleet.log("vps-a/exim4/mainlog", EXIM_NEW, NOV_23_2026);
    let out = fleet.run(1);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 sent, 1 deferred, 2 bounced (0 non-final replies); 1 expired; 1 suspended retries; 1 local"), "{stderr}");
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(r["ip_source"], "mta_interface");
    assert_eq!(r["first_seen"], "2026-11-02T10:00:06Z", "+0100 applied");
    assert_eq!(r["platform"], "outlook.com");
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-rate-limited")["code"],
        "4.7.650"
    );
    let gmail = row(&ips, "198.51.100.7", "gmail-unsolicited-blocked");
    assert!(
        gmail["sample_reply"].contains("rate of\\n550-5.7.1 unsolicited"),
        "kept as Exim logged it (literal \\n): {}",
        gmail["sample_reply"]
    );
    let subnets = fleet.csv("summary/subnets.csv");
    assert_eq!(subnets[0]["active_ips"], "1");
}

#[test]
fn exim_before_4_85_and_via_syslog() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\n"));
    fleet.log(
            "vps-a/exim4/mainlog",
            &[
                "2026-11-02 10:00:00 1jmFYj-00039V-QX == a@contoso.com R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<a@contoso.com>: host contoso-com.mail.protection.outlook.com [52.101.40.2]: 451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS843)",
                "2026-11-02 10:00:01 1jmFYj-00039V-QX == b@null.example R=dnslookup T=remote_smtp defer (110): Connection timed out",
            ],
            NOV_23_2026,
        );
    fleet.log(
            "vps-a/syslog/mail.log",
            &["Nov  2 10:00:05 web1 exim[3751]: 2026-11-02 10:00:05 1jmFYk-00039V-QY ** x@contoso.com R=dnslookup T=remote_smtp H=contoso-com.mail.protection.outlook.com [52.101.40.2] : SMTP error from remote mail server after RCPT TO:<x@contoso.com>: 550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)"],
            NOV_23_2026,
        );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let busy = row(&ips, "198.51.100.7", "ms-server-busy");
    assert_eq!(
        (busy["platform"].as_str(), busy["ip_source"].as_str()),
        ("office365", "reply")
    );
    assert_eq!(
        row(&ips, "198.51.100.7", "network-failure")["ip_source"],
        "inventory_single"
    );
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-o365-banned-ip")["first_seen"],
        "2026-11-02T10:00:05Z"
    );
}

#[test]
fn opensmtpd_and_sendmail() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\nc1,A,vps-a,198.51.100.70\nc2,B,vps-b,198.51.100.8\n"));
    fleet.log(
            "vps-a/mail.log",
            &[
                "Nov  2 10:00:00 web1 smtpd[2211]: smtp-in: New session 08d856b172f69c5c from host localhost [local]",
                r#"Nov  2 10:00:01 web1 smtpd[2211]: 4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea from=<shop@customer.example> to=<buyer@contoso.com> rcpt=<-> source="198.51.100.7" relay="52.101.40.2 (contoso-com.mail.protection.outlook.com)" delay=0s result="PermFail" stat="550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)""#,
                r#"Nov  2 10:00:02 web1 smtpd[2211]: 4b3a6c195c1f6011 mta delivery evpid=8f26ea98359eccef from=<shop@customer.example> to=<f@gmail.com> rcpt=<-> source="198.51.100.70" relay="142.250.102.27 (gmail-smtp-in.l.google.com)" delay=1s result="Ok" stat="250 2.0.0 OK 1700000000 x-gsmtp""#,
            ],
            NOV_23_2026,
        );
    fleet.log(
            "vps-b/maillog",
            &[
                "Nov  2 10:00:03 web2 sm-mta[6555]: n3KFZnc6006553: to=<e@example.cz>, ctladdr=<www-data@web2> (33/33), delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120314, relay=mx.example.cz. [192.0.2.77], dsn=5.7.1, stat=Service unavailable; Client host [198.51.100.8] blocked using zen.spamhaus.org",
                "Nov  2 10:00:04 web2 sm-mta[6556]: n3KFZnc6006554: to=<d@hotmail.com>, delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120314, relay=hotmail-com.olc.protection.outlook.com. [104.47.66.33], dsn=4.7.650, stat=Deferred: 451 4.7.650 The mail server [198.51.100.8] has been temporarily rate limited due to IP reputation. (S775)",
                "Nov  2 10:00:05 web2 sm-mta[6557]: n3KFZnc6006555: to=root, delay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent",
            ],
            NOV_23_2026,
        );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let banned = row(&ips, "198.51.100.7", "ms-o365-banned-ip");
    assert_eq!(
        (banned["ip_source"].as_str(), banned["platform"].as_str()),
        ("mta_interface", "office365")
    );
    let sh = row(&ips, "198.51.100.8", "dnsbl-spamhaus");
    assert_eq!(
        (sh["customer_id"].as_str(), sh["code"].as_str()),
        ("c2", "5.7.1")
    );
    assert_eq!(
        row(&ips, "198.51.100.8", "ms-outlook-rate-limited")["code"],
        "4.7.650"
    );
    let subnets = fleet.csv("summary/subnets.csv");
    assert_eq!(
        subnets[0]["active_ips"], "3",
        ".70 sent clean via OpenSMTPD"
    );
}

#[test]
fn postfix_from_journalctl_and_rfc5424() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let body = S3140_RFC3164.split_once("web1 ").unwrap().1;
    fleet.log(
            "vps-a/journal.txt",
            &[
                "-- Journal begins at Mon 2026-11-02 00:00:01 CET, ends at Mon 2026-11-02 12:00:00 CET. --",
                &format!("2026-11-02T11:00:01+0100 web1 {body}"),
                "-- Boot 3f2a9c0d1e --",
            ],
            NOV_23_2026,
        );
    fleet.log(
        "vps-b/journal-precise.txt",
        &[&format!(
            "Nov 02 10:00:02.655028 web2 {}",
            body.replace("198.51.100.7", "198.51.100.8")
        )],
        NOV_23_2026,
    );
    let (prog, msg) = body.split_once("[19793]: ").unwrap();
    fleet.log(
        "vps-c/syslog-5424.log",
        &[&format!(
            "<22>1 2026-11-02T10:00:03.000001Z web3 {prog} 19793 - - {}",
            msg.replace("198.51.100.7", "198.51.100.9")
        )],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let rule = "ms-outlook-network-blocklist";
    assert_eq!(
        row(&ips, "198.51.100.7", rule)["first_seen"],
        "2026-11-02T10:00:01Z"
    );
    assert_eq!(
        row(&ips, "198.51.100.8", rule)["first_seen"],
        "2026-11-02T10:00:02Z"
    );
    assert_eq!(
        row(&ips, "198.51.100.9", rule)["first_seen"],
        "2026-11-02T10:00:03Z"
    );
    assert!(fleet.csv("summary/input-problems.csv").is_empty());
}

#[test]
fn exim_rejectlog_continuation_lines_are_noise() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\n"));
    fleet.log(
            "vps-a/exim4/rejectlog",
            &[
                "1999-03-02 09:44:33 10HmaY-000000005vi-0000 F=<userx@test1> rejected by non-SMTP ACL: don't like sender userx@test1",
                "Envelope-from: <userx@test1>",
                "P Received: from CALLER by myhost.test.ex with local (Exim x.yz)",
                "\t(envelope-from <userx@test1>)",
            ],
            NOV_23_2026,
        );
    let out = fleet.run(1);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 noise lines"));
}

#[test]
fn a_mixed_directory_is_sniffed_per_file() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\n"));
    fleet
        .log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026)
        .log("vps-a/exim4/mainlog", &EXIM_NEW[1..2], NOV_23_2026)
        .log(
            "vps-a/notes.txt",
            &["remember to renew the certificate", "call the customer"],
            NOV_23_2026,
        );
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["events"],
        "2"
    );
    let problems = fleet.csv("summary/input-problems.csv");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["file"], "vps-a/notes.txt");
}
