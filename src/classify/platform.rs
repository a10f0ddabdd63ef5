//! Receiver platform from the receiving MX host name.
//!
//! The platform is decided by the MX the MTA talked to (`relay=` / `host X[ip]`), never by the
//! bracketed front-end trailer in the reply: consumer Outlook.com replies carry EOP-style trailers too.

/// Every receiver platform name, with what people call it (customer notices). The MX table
/// below, the built-in rules' `receiver`s and stored files use these names (tests check it).
pub(crate) const PLATFORMS: &[(&str, &str)] = &[
    (
        "outlook.com",
        "Outlook.com (Hotmail, Outlook.com, Live, MSN mailboxes)",
    ),
    ("office365", "Microsoft 365 (business mailboxes)"),
    ("microsoft", "Microsoft"),
    ("office365-submission", "office365-submission"),
    ("outlook.com-submission", "outlook.com-submission"),
    ("gmail", "Gmail"),
    ("gmail-submission", "gmail-submission"),
    ("yahoo", "Yahoo and AOL"),
    ("yahoo-submission", "yahoo-submission"),
    ("icloud", "Apple iCloud"),
    ("gmx-webde-ionos", "GMX, web.de and IONOS"),
    ("t-online", "T-Online"),
    ("comcast", "comcast"),
    ("cox", "cox"),
    ("spectrum", "spectrum"),
    ("earthlink", "earthlink"),
    ("att", "att"),
    ("orange", "orange"),
    ("free", "free"),
    ("laposte", "laposte"),
    ("sfr", "sfr"),
    ("yandex", "yandex"),
    ("mail.ru", "mail.ru"),
    ("seznam", "seznam"),
    ("bluewin", "bluewin"),
    ("mimecast", "mimecast"),
    ("proofpoint", "proofpoint"),
    ("cisco-ironport", "cisco-ironport"),
    ("barracuda", "barracuda"),
    ("hornetsecurity", "hornetsecurity"),
    // No MX matched, or none was logged.
    ("other", "other mail servers"),
    ("unknown", "other mail servers"),
];

/// What people call a platform (its name when it has no other).
pub(crate) fn label(platform: &str) -> &str {
    PLATFORMS
        .iter()
        .find(|(name, _)| *name == platform)
        .map_or(platform, |(_, label)| label)
}

/// (host-name suffix, platform): a host matches its suffix or is the suffix without its dot.
/// First match wins, so more specific suffixes come first.
pub(crate) const MX_PLATFORMS: &[(&str, &str)] = &[
    // Submission smarthosts: the VPS relays through the customer's mailbox provider.
    (".smtp.office365.com", "office365-submission"),
    (".smtp-mail.outlook.com", "outlook.com-submission"),
    (".smtp.gmail.com", "gmail-submission"),
    (".smtp.mail.yahoo.com", "yahoo-submission"),
    (".olc.protection.outlook.com", "outlook.com"),
    (".hotmail.com", "outlook.com"),
    (".mail.protection.outlook.com", "office365"),
    (".mail.eo.outlook.com", "office365"),
    (".mx.microsoft", "office365"),
    (".outlook.com", "microsoft"),
    (".google.com", "gmail"),
    (".googlemail.com", "gmail"),
    (".yahoodns.net", "yahoo"),
    (".yahoo.com", "yahoo"),
    (".aol.com", "yahoo"),
    (".icloud.com", "icloud"),
    (".me.com", "icloud"),
    (".apple.com", "icloud"),
    (".gmx.net", "gmx-webde-ionos"),
    (".gmx.com", "gmx-webde-ionos"),
    (".web.de", "gmx-webde-ionos"),
    (".kundenserver.de", "gmx-webde-ionos"),
    (".ionos.com", "gmx-webde-ionos"),
    (".ionos.de", "gmx-webde-ionos"),
    (".1and1.com", "gmx-webde-ionos"),
    (".1and1.co.uk", "gmx-webde-ionos"),
    (".mail.com", "gmx-webde-ionos"),
    (".perfora.net", "gmx-webde-ionos"),
    (".comcast.net", "comcast"),
    (".cox.net", "cox"),
    (".charter.net", "spectrum"),
    (".earthlink.net", "earthlink"),
    (".att.net", "att"),
    (".prodigy.net", "att"),
    // Cox's residential MX is run by Cloudmark's cloudfilter.net.
    (".cxr.mx.a.cloudfilter.net", "cox"),
    (".orange.fr", "orange"),
    (".wanadoo.fr", "orange"),
    (".free.fr", "free"),
    (".laposte.net", "laposte"),
    (".sfr.fr", "sfr"),
    (".yandex.net", "yandex"),
    (".yandex.ru", "yandex"),
    (".mail.ru", "mail.ru"),
    (".seznam.cz", "seznam"),
    (".bluewin.ch", "bluewin"),
    (".mimecast.com", "mimecast"),
    (".mimecast.co.za", "mimecast"),
    (".pphosted.com", "proofpoint"),
    (".ppe-hosted.com", "proofpoint"),
    (".iphmx.com", "cisco-ironport"),
    (".barracudanetworks.com", "barracuda"),
    (".cudaops.com", "barracuda"),
    (".hornetsecurity.com", "hornetsecurity"),
    (".t-online.de", "t-online"),
];

/// Platform name for a receiving MX host, `other` when unknown.
pub(crate) fn platform_of_mx(host: &str) -> &'static str {
    let host = host.trim_end_matches('.');
    // Sendmail shortens long names in the middle: `contoso-com.mail.p...ction.outlook.com`.
    if let Some((head, tail)) = host.split_once("...") {
        if ends_with_ignore_case(tail, "outlook.com") {
            let head = head.to_ascii_lowercase();
            if head.contains(".olc") {
                return "outlook.com";
            }
            if head.contains(".mail") {
                return "office365";
            }
        }
    }
    for (suffix, platform) in MX_PLATFORMS {
        if ends_with_ignore_case(host, suffix) || host.eq_ignore_ascii_case(&suffix[1..]) {
            return platform;
        }
    }
    "other"
}

/// The static name of a platform read back from a stored file (`other` for names no longer known).
pub(crate) fn intern(name: &str) -> &'static str {
    PLATFORMS
        .iter()
        .map(|(p, _)| *p)
        .find(|p| *p == name)
        .unwrap_or("other")
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.is_char_boundary(s.len() - suffix.len())
        && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_list_of_platform_names() {
        let names: std::collections::BTreeSet<&str> = PLATFORMS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), PLATFORMS.len(), "a name listed twice");
        let mx: std::collections::BTreeSet<&str> = MX_PLATFORMS
            .iter()
            .map(|(_, p)| *p)
            .chain(["other", "unknown"])
            .collect();
        assert_eq!(
            mx, names,
            "the MX table and PLATFORMS name the same platforms"
        );
        for rule in crate::classify::RuleSet::builtin().rules() {
            assert!(
                rule.receiver == "any" || names.contains(rule.receiver.as_str()),
                "rule {}: receiver {:?} is not a platform of PLATFORMS (or any)",
                rule.id,
                rule.receiver
            );
        }
    }

    #[test]
    fn platforms_come_from_the_mx() {
        assert_eq!(
            platform_of_mx("hotmail-com.olc.protection.outlook.com"),
            "outlook.com"
        );
        assert_eq!(
            platform_of_mx("eur.olc.protection.outlook.com"),
            "outlook.com"
        );
        assert_eq!(
            platform_of_mx("contoso-com.mail.protection.outlook.com"),
            "office365"
        );
        assert_eq!(platform_of_mx("GMAIL-SMTP-IN.L.GOOGLE.COM"), "gmail");
        assert_eq!(platform_of_mx("mta5.am0.yahoodns.net"), "yahoo");
        assert_eq!(platform_of_mx("mx.example.net"), "other");
        assert_eq!(platform_of_mx("smtp.office365.com"), "office365-submission");
        assert_eq!(platform_of_mx("mx00.1and1.co.uk"), "gmx-webde-ionos");
        assert_eq!(platform_of_mx("mx.yandex.net"), "yandex");
        assert_eq!(platform_of_mx("mxbw.bluewin.ch"), "bluewin");
        assert_eq!(platform_of_mx("gmail.com"), "other");
        assert_eq!(
            platform_of_mx("contoso-com.mail.p...ction.outlook.com."),
            "office365"
        );
        assert_eq!(
            platform_of_mx("fabrikam-com.mail....ction.outlook.com."),
            "office365"
        );
    }
}
