//! Who files the delisting requests: the provider's identity from the `[provider]` table of the
//! `--config` file (and `--delist-contact`), written into every request of the delisting pack.

/// The provider as the receivers' forms ask for it. Every value is checked by `Config::build`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Provider {
    /// Company name (the form's "Contact name" takes a person or a company).
    pub(crate) name: Option<String>,
    /// The person who answers the receiver's questions.
    pub(crate) contact: Option<String>,
    /// The provider's own mailbox (abuse or postmaster desk): replies and confirmations go here.
    pub(crate) email: Option<String>,
    /// Domains the provider's mail is sent from ("What domain are you sending from?").
    pub(crate) sender_domains: Vec<String>,
}

impl Provider {
    /// The `[provider]` keys not given, in the order the config file lists them.
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.name.is_none() {
            out.push("name");
        }
        if self.contact.is_none() {
            out.push("contact");
        }
        if self.email.is_none() {
            out.push("email");
        }
        if self.sender_domains.is_empty() {
            out.push("sender_domains");
        }
        out
    }

    /// The one sentence a pack without the full identity carries (once per file, and in the run
    /// summary); None when nothing is missing.
    pub(crate) fn incomplete_note(&self) -> Option<String> {
        let missing = self.missing();
        if missing.is_empty() {
            return None;
        }
        Some(format!(
            "INCOMPLETE: the provider's {} are not configured, so the requests below lack them. Add a [provider] table to the --config file (name = \"Example Hosting GmbH\", contact = \"Jane Doe\", email = \"abuse@provider.example\", sender_domains = [\"provider.example\"]); --delist-contact gives the email.",
            missing.join(", ")
        ))
    }
}
