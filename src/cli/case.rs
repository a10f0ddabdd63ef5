//! `blockscope case`'s subcommands and flags (a file of their own: `cli.rs` stays under the size
//! limit).

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(crate) enum CaseCommand {
    /// Record a delisting request as submitted: the outbound IPs or ranges, the receiver, the ticket.
    ///
    /// RANGE is what the form was given: one address or CIDR range, or a `;`-separated list
    /// (quote it for the shell). A range with an open case at the same receiver is refused
    /// (record the answer on that case instead); a recurrence the nightly run opened is
    /// marked submitted.
    #[command(after_help = "Examples:
  blockscope case open 198.51.100.0/24 --receiver outlook.com --state /var/lib/blockscope/state
  blockscope case open '198.51.100.0/28; 203.0.113.10' --receiver outlook.com \\
      --ticket SRX1234567890ID --date 2026-11-30 --note 'c1006 stopped its list mail' --config /etc/blockscope/blockscope.toml
  blockscope case open 203.0.113.10 --receiver office365 --note 'sender.office.com, confirmation mail to abuse@'")]
    Open(CaseOpenArgs),
    /// Record what the receiver answered on a case (by its id or its ticket).
    ///
    /// `closed` closes the case; the nightly run closes a case by itself after
    /// `case_quiet_nights` nights without a block, and opens a recurrence when a closed
    /// case's range is blocked again.
    #[command(after_help = "Examples:
  blockscope case answer C3 --result not-qualified --state /var/lib/blockscope/state
  blockscope case answer SRX1234567890ID --result mitigated --date 2026-12-02 --config /etc/blockscope/blockscope.toml
  blockscope case answer C3 --result ownership-requested --note 'asks for the RIPE assignment'")]
    Answer(CaseAnswerArgs),
    /// Read the receiver's reply mail (.eml) and record its result on the case it answers.
    ///
    /// The case is found by the ticket in the subject (SRX...ID), else by the addresses or
    /// ranges the mail names; a mail that matches no open case, or several, is named and
    /// nothing is recorded (exit 2). The same mail imported twice is recorded once.
    #[command(after_help = "Examples:
  blockscope case import 'RE Reported deliverability problem to Outlook.com SRX1234567890ID.eml' \\
      --state /var/lib/blockscope/state
  blockscope case import ~/Mail/microsoft/*.eml --config /etc/blockscope/blockscope.toml
  blockscope case import answer.eml --case C3   (a mail without ticket or address)")]
    Import(CaseImportArgs),
    /// Print the cases: open ones (with --all, closed ones too) and the last nightly run's verdict.
    #[command(after_help = "Examples:
  blockscope case list --state /var/lib/blockscope/state
  blockscope case list --all --format csv --config /etc/blockscope/blockscope.toml")]
    List(CaseListArgs),
}

/// Where the cases are: the state directory, or the config file naming it.
#[derive(Debug, Args)]
pub(crate) struct CaseStateArgs {
    /// The state directory the nightly run uses (cases.json lives there).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,
    /// The nightly run's config file: its `state` is used.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

impl CaseStateArgs {
    pub(crate) fn options(&self) -> crate::config::CaseOptions {
        crate::config::CaseOptions {
            state: self.state.clone(),
            config: self.config.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct CaseOpenArgs {
    /// The outbound IPs or ranges as submitted: `198.51.100.0/24` or `'198.51.100.0/28; 203.0.113.10'`.
    #[arg(value_name = "RANGE")]
    pub(crate) range: String,
    /// Who the request went to: outlook.com (the sender support form), office365
    /// (sender.office.com, delist@microsoft.com), or another receiver platform (`blockscope rules`).
    #[arg(long, value_name = "RECEIVER")]
    pub(crate) receiver: String,
    /// The receiver's ticket number, e.g. SRX1234567890ID (or later, from its answer).
    #[arg(long, value_name = "ID")]
    pub(crate) ticket: Option<String>,
    /// The day it was submitted, YYYY-MM-DD [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub(crate) date: Option<String>,
    /// A note for the next person on the case (at most 500 characters).
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    #[command(flatten)]
    pub(crate) state: CaseStateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CaseAnswerArgs {
    /// The case id (C3) or its ticket (SRX1234567890ID).
    #[arg(value_name = "CASE|TICKET")]
    pub(crate) case: String,
    /// What the receiver said.
    #[arg(long, value_enum)]
    pub(crate) result: CaseResultArg,
    /// The day of the answer, YYYY-MM-DD [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub(crate) date: Option<String>,
    /// A note (at most 500 characters).
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    /// The ticket number, when the answer brought one the case does not have yet.
    #[arg(long, value_name = "ID")]
    pub(crate) ticket: Option<String>,
    #[command(flatten)]
    pub(crate) state: CaseStateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CaseImportArgs {
    /// The reply mails, as saved from the mail client (.eml, RFC 5322).
    #[arg(value_name = "FILE.eml", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Attach to this case (id or ticket) whatever the mail names.
    #[arg(long = "case", value_name = "CASE|TICKET")]
    pub(crate) case: Option<String>,
    #[command(flatten)]
    pub(crate) state: CaseStateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CaseListArgs {
    /// Closed cases too.
    #[arg(long)]
    pub(crate) all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CaseListFormat::Text)]
    pub(crate) format: CaseListFormat,
    #[command(flatten)]
    pub(crate) state: CaseStateArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CaseListFormat {
    Text,
    Csv,
}

/// `--result`'s values: the receiver's answers (model::case::CaseResult).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CaseResultArg {
    Mitigated,
    ConditionallyMitigated,
    NotQualified,
    Escalated,
    NothingFound,
    OwnershipRequested,
    Closed,
}

impl From<CaseResultArg> for crate::model::case::CaseResult {
    fn from(a: CaseResultArg) -> Self {
        use crate::model::case::CaseResult as R;
        match a {
            CaseResultArg::Mitigated => R::Mitigated,
            CaseResultArg::ConditionallyMitigated => R::ConditionallyMitigated,
            CaseResultArg::NotQualified => R::NotQualified,
            CaseResultArg::Escalated => R::Escalated,
            CaseResultArg::NothingFound => R::NothingFound,
            CaseResultArg::OwnershipRequested => R::OwnershipRequested,
            CaseResultArg::Closed => R::Closed,
        }
    }
}
