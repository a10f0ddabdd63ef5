//! Error types and the process exit codes they map to.
//!
//! A leaf: it imports nothing from the crate, so every module can use it.
//!
//! Exit codes are a contract with cron wrappers and are documented in README.md.

use std::path::PathBuf;
use thiserror::Error;

/// Exit code: the run completed and every input was read.
pub(crate) const EXIT_OK: i32 = 0;
/// Exit code: the run failed (I/O error writing reports, internal error). Previous reports are untouched.
pub(crate) const EXIT_FAILURE: i32 = 1;
/// Exit code: bad command line, configuration or inventory. Nothing was written.
pub(crate) const EXIT_BAD_INPUT: i32 = 2;
/// Exit code: reports were written, but some input files or lines could not be read (see the run summary).
pub(crate) const EXIT_INPUT_PROBLEMS: i32 = 3;
/// Exit code: another run holds the lock for this report directory; nothing was done.
pub(crate) const EXIT_LOCKED: i32 = 4;

/// A problem in the inventory CSV, always naming the file and line.
#[derive(Debug, Error)]
pub enum InventoryError {
    #[error("cannot read inventory {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Csv { path: PathBuf, detail: String },
    #[error("{path}:1: header must contain the columns customer_id,customer_name,vps_id,ip (missing: {missing}); fix the first line of the file")]
    Header { path: PathBuf, missing: String },
    #[error("{path}:{line}: {problem}; {fix}")]
    Row {
        path: PathBuf,
        line: u64,
        problem: String,
        fix: String,
    },
    #[error(
        "{path}: no inventory rows; add at least one line customer_id,customer_name,vps_id,ip"
    )]
    Empty { path: PathBuf },
}

/// A problem in a rule file, always naming the file and line.
#[derive(Debug, Error)]
#[error("{file}:{line}: {problem}")]
pub struct RuleError {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) problem: String,
}

/// What the fix for a file that is not an export says.
const KEY_FIX: &str = "check the SNDS automated-access key (SNDS > Automated Data Access: the key in the data.aspx/ipStatus.aspx links; it changes when access is reset) and that the fetch saves the response body only when it is HTTP 200 (`blockscope snds fetch` does), then fetch the file again or remove it";

/// An SNDS export that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SndsError {
    /// A malformed row.
    #[error("{file}:{line}: {problem}; fix the row or pass --lenient to skip malformed rows")]
    Row {
        file: String,
        line: u64,
        problem: String,
    },
    /// The whole file is not an SNDS export (an HTML page or HTTP error body saved in its place).
    #[error("{file}: {what} saved in place of the SNDS CSV export (it starts with {start:?}); {KEY_FIX}")]
    NotAnExport {
        file: String,
        what: &'static str,
        start: String,
    },
    /// The directory or a file cannot be read.
    #[error("{file}: cannot read: {reason}")]
    Unreadable { file: String, reason: String },
}

impl SndsError {
    pub(crate) fn file(&self) -> &str {
        match self {
            SndsError::Row { file, .. }
            | SndsError::NotAnExport { file, .. }
            | SndsError::Unreadable { file, .. } => file,
        }
    }

    /// The line of a malformed row; None for a problem with the whole file.
    pub(crate) fn line(&self) -> Option<u64> {
        match self {
            SndsError::Row { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The problem without the file name, for input-problems.csv.
    pub(crate) fn problem(&self) -> String {
        match self {
            SndsError::Row { problem, .. } => problem.clone(),
            SndsError::NotAnExport { what, start, .. } => {
                format!("{what} saved in place of the SNDS CSV export (it starts with {start:?}); {KEY_FIX}")
            }
            SndsError::Unreadable { reason, .. } => format!("cannot read: {reason}"),
        }
    }

    /// The reason counted on stderr when `--lenient` skips it.
    pub(crate) fn skip_reason(&self) -> &'static str {
        match self {
            SndsError::Row { .. } => "SNDS row malformed (skipped with --lenient)",
            _ => "SNDS file not an export (skipped with --lenient)",
        }
    }
}

/// A bad option, on the command line or in the `--config` file, always naming the flag (or the
/// config key and file) and the fix. `config::Config::build` is the only place these arise.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("--config {path}: cannot read: {error}")]
    ReadFile {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{name}:{line}: {message}")]
    FileSyntax {
        name: String,
        line: usize,
        message: String,
    },
    #[error("{name}: {message}")]
    TextSyntax { name: String, message: String },
    #[error("{flag} {value}: must be between {min} and {max} ({hint})")]
    FlagOutOfRange {
        flag: String,
        value: u64,
        min: u64,
        max: u64,
        hint: &'static str,
    },
    #[error("{key} = {value} in --config {config}: must be between {min} and {max} ({hint})")]
    FileOutOfRange {
        key: &'static str,
        value: i64,
        config: PathBuf,
        min: u64,
        max: u64,
        hint: &'static str,
    },
    #[error("--{name} {what} is required (on the command line or as `{name} = ...` in --config)")]
    RequiredFlagOrKey {
        name: &'static str,
        what: &'static str,
    },
    #[error("--{name} {what} is required")]
    RequiredFlag {
        name: &'static str,
        what: &'static str,
    },
    #[error("--{flag} {text:?}: not a date; use YYYY-MM-DD (a day in the --tz zone)")]
    NotADate { flag: &'static str, text: String },
    #[error("--tz {name:?}: not a time zone name; use an IANA name such as Europe/Berlin or UTC")]
    NotAZone { name: String },
    #[error("--delist-contact {text:?}: not a mail address; give the provider's own mailbox as local@domain, e.g. abuse@provider.example")]
    NotAMailbox { text: String },
    #[error("[provider] {key} = {value:?} in --config: {problem}")]
    Provider {
        key: &'static str,
        value: String,
        problem: &'static str,
    },
    #[error("--config gives the provider's mailbox twice (delist_contact = {top:?} and [provider] email = {table:?}): keep [provider] email only")]
    ProviderEmailTwice { top: String, table: String },
    #[error("{file}: {problem}")]
    InventoryImport { file: PathBuf, problem: String },
    #[error("check-config: nothing to check; give --config FILE, or any of --logs, --inventory, --rules, --snds, --state, --templates, --out")]
    NothingToCheck,
    #[error("--logs {logs}: cannot read it ({error})")]
    UnreadableLogs {
        logs: PathBuf,
        error: std::io::Error,
    },
    #[error("--logs {logs}: no VPS directories; a run would read nothing. Collect each VPS's logs into {logs}/<vps_id>/ (docs/operations.md, \"Collecting the logs\")")]
    EmptyLogs { logs: PathBuf },
    #[error("--logs {logs}: log files lie in it directly ({files}); a run cannot tell whose they are. Move each VPS's files into {logs}/<vps_id>/")]
    FlatLogs { logs: PathBuf, files: String },
    #[error("--snds {snds}: no files; a run would have no SNDS data. Put the exports there (`blockscope snds fetch`), or drop --snds / snds")]
    EmptySnds { snds: PathBuf },
    #[error("--mail-to / mail_to {value:?}: {problem}")]
    MailTo {
        value: String,
        problem: &'static str,
    },
    #[error("recipient_detail = {value:?} in --config: use \"domain\" or \"full\"")]
    RecipientDetail { value: String },
    #[error("--logs {logs}: not a directory; point it at the directory that holds one sub-directory per VPS")]
    LogsNotADirectory { logs: PathBuf },
    #[error("--inventory {inventory}: no such file; give the inventory CSV (customer_id,customer_name,vps_id,ip)")]
    NoInventory { inventory: PathBuf },
    #[error("--out {out}: exists and is not a directory")]
    OutNotADirectory { out: PathBuf },
    #[error(
        "--snds {snds}: not a directory; point it at the directory holding the SNDS CSV exports"
    )]
    SndsNotADirectory { snds: PathBuf },
    #[error("--out {out}: a symlink whose target cannot be resolved ({error}); create the directory it points to or point --out at a directory")]
    DanglingOut { out: PathBuf, error: std::io::Error },
    #[error("--out {out}: cannot resolve the directory it would be written in")]
    UnresolvableOut { out: PathBuf },
    #[error("--out {out} is inside --logs {logs}: the next run would read the reports as logs; put the reports outside the log tree")]
    OutInsideLogs { out: PathBuf, logs: PathBuf },
    #[error("--logs {logs} is inside --out {out}: every run replaces --out as a whole; put the reports in a directory of their own")]
    LogsInsideOut { logs: PathBuf, out: PathBuf },
    #[error("--state {state} is inside --out or --logs: keep it in a directory of its own (e.g. /var/lib/blockscope/state)")]
    StateInsideOutOrLogs { state: PathBuf },
    #[error("--days and --since both set the window's first day; give one of them")]
    DaysAndSince,
    #[error("--since {since} is after --until {until}; swap them")]
    SinceAfterUntil { since: String, until: String },
    #[error(
        "--out DIR is required: the directory the SNDS exports go to (or `snds = DIR` in --config)"
    )]
    SndsOutRequired,
    #[error("--base-url {url:?}: {problem}")]
    BaseUrl { url: String, problem: &'static str },
    #[error("--zones / dnsbl {zone:?}: not a DNS zone name; give zones such as zen.spamhaus.org,bl.spamcop.net (`blockscope dnsbl --list-zones` shows the ones blockscope decodes)")]
    DnsblZone { zone: String },
    #[error("--zones ZONE[,ZONE...] is required (or `dnsbl = [\"zen.spamhaus.org\", ...]` in --config); `blockscope dnsbl --list-zones` shows the ones blockscope decodes")]
    DnsblZonesRequired,
    #[error("--resolver IP[:PORT] is required (or `resolver = \"IP\"` in --config): the provider's own recursive resolver, e.g. 127.0.0.1 for a local unbound. blockscope does not fall back to /etc/resolv.conf: Spamhaus refuses public resolvers (8.8.8.8, 1.1.1.1) and shared provider resolvers, and a refusal must not depend on which resolver the host happens to have")]
    ResolverRequired,
    #[error("--resolver / resolver {text:?}: not an IP address with an optional port; give e.g. 127.0.0.1, 192.0.2.53:5353 or [2001:db8::53]:53 (an address, not a host name: the resolver cannot be looked up through itself)")]
    ResolverAddress { text: String },
    #[error("--zones {zone}: the Spamhaus DQS zone needs the key; give --dqs-key-file FILE (or `dnsbl_dqs_key_file` in --config), or the public zone {public}")]
    DqsKeyRequired { zone: String, public: String },
}

/// Where an SNDS automated-access key is found.
const KEY_PAGE: &str = "SNDS > Automated Data Access, https://sendersupport.olc.protection.outlook.com/snds/auto.aspx: the key= part of its data.aspx/ipStatus.aspx links; it changes when access is reset";

/// `snds fetch` could not get or keep an export. No message holds the key: exports are named
/// with it cut out (`data.aspx?key=…&date=112226`), and server texts have it replaced.
#[derive(Debug, Error)]
pub enum FetchError {
    #[error("--key-file {path}: cannot read: {error}; put the SNDS automated-access key on its first line ({KEY_PAGE})")]
    KeyFileUnreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("--key-file {path}: no key in it; put the SNDS automated-access key on its first line ({KEY_PAGE})")]
    KeyFileEmpty { path: PathBuf },
    #[error("--key-file {path}: the key holds {what}; an SNDS automated-access key has only letters, digits and '-' ({KEY_PAGE})")]
    KeyMalformed { path: PathBuf, what: String },
    #[error("{export}: SNDS refused the key ({answer}); check the SNDS automated-access key in --key-file {key_file} ({KEY_PAGE}). Nothing was written over the exports already fetched")]
    BadKey {
        export: String,
        answer: String,
        key_file: PathBuf,
    },
    #[error("{} export(s) not fetched: {} (the exports fetched are kept; the next fetch asks for the missing ones again)", .0.len(), .0.join("; "))]
    GaveUp(Vec<String>),
    #[error("{dir}: cannot write the SNDS export {file}: {error}")]
    Write {
        dir: PathBuf,
        file: String,
        error: std::io::Error,
    },
}

impl FetchError {
    /// A problem with the key is the configuration's (2); SNDS not answering, or a disk that
    /// cannot be written, is a failure of this run (1).
    fn exit_code(&self) -> i32 {
        match self {
            FetchError::KeyFileUnreadable { .. }
            | FetchError::KeyFileEmpty { .. }
            | FetchError::KeyMalformed { .. }
            | FetchError::BadKey { .. } => EXIT_BAD_INPUT,
            FetchError::GaveUp(_) | FetchError::Write { .. } => EXIT_FAILURE,
        }
    }
}

/// Where a Spamhaus DQS key is found.
const DQS_KEY_PAGE: &str = "your Spamhaus Data Query Service account: the key is the label before .zen.dq.spamhaus.net in the zone names it gives";

/// `dnsbl`: the DQS key, or a resolver that never answered. No message holds the key.
#[derive(Debug, Error)]
pub enum DnsblError {
    #[error("--dqs-key-file {path}: cannot read: {error}; put the Spamhaus DQS key on its first line ({DQS_KEY_PAGE})")]
    KeyFileUnreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("--dqs-key-file {path}: no key in it; put the Spamhaus DQS key on its first line ({DQS_KEY_PAGE})")]
    KeyFileEmpty { path: PathBuf },
    #[error("--dqs-key-file {path}: the key holds {what}; a DQS key is letters and digits only ({DQS_KEY_PAGE})")]
    KeyMalformed { path: PathBuf, what: String },
    #[error("the resolver {resolver} answered none of {queries} queries (timeouts or refused connections); check that --resolver names the provider's recursive resolver, that it listens on that port and lets this host query it")]
    Unreachable { resolver: String, queries: u64 },
    #[error("cannot start the DNS lookups: {0}")]
    Runtime(String),
}

impl DnsblError {
    /// A bad key file is the configuration's (2); a resolver that does not answer, this run's (1).
    fn exit_code(&self) -> i32 {
        match self {
            DnsblError::KeyFileUnreadable { .. }
            | DnsblError::KeyFileEmpty { .. }
            | DnsblError::KeyMalformed { .. } => EXIT_BAD_INPUT,
            DnsblError::Unreachable { .. } | DnsblError::Runtime(_) => EXIT_FAILURE,
        }
    }
}

/// Why the morning mail was not sent. The report set it would carry is complete either way.
#[derive(Debug, Error)]
pub enum MailError {
    #[error("{path}: no report set to mail ({error}); run `blockscope run` first, or point --out at its report directory")]
    NoReport {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("no sendmail to hand the mail to (looked on PATH, /usr/sbin/sendmail, /usr/lib/sendmail); install a local MTA (postfix, exim4, msmtp-mta) or drop --mail-to / mail_to")]
    NoSendmail,
    #[error("{sendmail} -t -i could not be run: {error}")]
    Spawn {
        sendmail: PathBuf,
        error: std::io::Error,
    },
    #[error("{sendmail} -t -i refused the mail to {to} ({status}){stderr}; the reports are written, only the mail is missing")]
    Refused {
        sendmail: PathBuf,
        to: String,
        status: String,
        stderr: String,
    },
}

/// `blockscope case`: a case that cannot be found, opened twice or answered after it closed,
/// a reply mail that cannot be matched.
#[derive(Debug, Error)]
pub enum CaseError {
    #[error("{range} already has open case {case} (ticket {ticket}): record the receiver's answer with `blockscope case answer {case} --result ...`, or close it with `--result closed` first")]
    AlreadyOpen {
        range: String,
        case: String,
        ticket: String,
    },
    #[error("no case {key:?} ({known}); `blockscope case list --all` shows every case")]
    Unknown { key: String, known: String },
    #[error("{case} was closed on {date}: {next}")]
    Closed {
        case: String,
        date: chrono::NaiveDate,
        next: String,
    },
    #[error("cannot read {path}: {source}")]
    ReadMail {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a mail (no header); save the receiver's answer from the mail client as .eml (\"Save as\", or \"Show original\" and download)")]
    NotAMail { path: PathBuf },
    #[error("{path}: matches no open case (ticket {ticket}; addresses {addresses}); open one with `blockscope case open RANGE --receiver outlook.com --ticket ...`, or name the case with --case")]
    NoMatch {
        path: PathBuf,
        ticket: String,
        addresses: String,
    },
    #[error("{path}: matches several open cases ({cases}); name the one it answers with --case")]
    Ambiguous { path: PathBuf, cases: String },
    #[error("{path}: no result found in the mail for {case} (mitigated, not qualified, ...); read it and record the result with `blockscope case answer {case} --result ...`")]
    NoResult { path: PathBuf, case: String },
}

impl From<SndsError> for Error {
    fn from(e: SndsError) -> Error {
        Error::Snds(e)
    }
}

/// Everything that can stop a command. `main` prints the chain and maps it to an exit code.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Options(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// `snds fetch`: the key, SNDS's answer, or the directory the exports go to (the message
    /// is the whole story: not a `source`, which would print it twice).
    #[error("snds fetch: {0}")]
    Fetch(FetchError),
    /// `dnsbl`: the DQS key, or the resolver.
    #[error("dnsbl: {0}")]
    Dnsbl(DnsblError),
    /// The message names the file (and line) and its own fix. Not a `source`: the text is the
    /// whole message, and a cause line would print it a second time.
    #[error("SNDS export {0}")]
    Snds(SndsError),
    #[error("cannot write reports to {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Case(#[from] CaseError),
    /// The morning mail could not be handed to the local MTA (the reports are written).
    #[error(transparent)]
    Mail(#[from] MailError),
    /// A file that is not a report (a man page, a completion script).
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} exists and does not look like a blockscope report directory (no .blockscope marker); refusing to replace it. Point --out at an empty or new directory")]
    OutNotOurs { path: PathBuf },
    #[error("another blockscope run is writing {path} (lock {lock} is held); try again when it has finished")]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("aggregation failed: {0}")]
    Aggregate(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    /// A stored day the run needs cannot be read: going on would report (and store) that day
    /// without its earlier events.
    #[error("{path}: the state's stored day {date} cannot be read ({problem}); run once with --full to rebuild the stored days from the logs still on disk (keeps new/ongoing), or with --rebuild-state to start the state afresh")]
    StateDay {
        path: PathBuf,
        date: String,
        problem: String,
    },
}

impl Error {
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Error::Inventory(_)
            | Error::Config(_)
            | Error::Options(_)
            | Error::Rules(_)
            | Error::Snds(_)
            | Error::OutNotOurs { .. }
            | Error::Case(_)
            | Error::StateDay { .. } => EXIT_BAD_INPUT,
            Error::Locked { .. } => EXIT_LOCKED,
            Error::Fetch(e) => e.exit_code(),
            Error::Dnsbl(e) => e.exit_code(),
            Error::Output { .. }
            | Error::Write { .. }
            | Error::Mail(_)
            | Error::Aggregate(_)
            | Error::Threads(_) => EXIT_FAILURE,
        }
    }
}

impl From<DnsblError> for Error {
    fn from(e: DnsblError) -> Error {
        Error::Dnsbl(e)
    }
}

impl From<FetchError> for Error {
    fn from(e: FetchError) -> Error {
        Error::Fetch(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
