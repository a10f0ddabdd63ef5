//! One blocking HTTPS client (ureq with rustls) and the retries: a request that fails in a way
//! that may pass (see `answer`) is tried `ATTEMPTS` times, waiting `BACKOFF`, then twice that,
//! and so on (a server's `Retry-After` is honoured up to 30 times `BACKOFF`).

use super::answer::{self, Shape, StatusClass};
use super::key::Key;
use std::time::Duration;

/// Tries per export.
pub(crate) const ATTEMPTS: u32 = 4;
/// The first wait before trying again; `BLOCKSCOPE_FETCH_RETRY_MS` overrides it (tests).
const BACKOFF: Duration = Duration::from_secs(2);
/// Connect, and wait for the answer's head and its body; `BLOCKSCOPE_FETCH_TIMEOUT_MS`
/// overrides all three (tests). SNDS builds an export on request: its head may take a while.
const CONNECT: Duration = Duration::from_secs(15);
const RESPONSE: Duration = Duration::from_secs(60);
const BODY: Duration = Duration::from_secs(120);
/// The largest export read (a big provider's day is a few MB).
const BODY_LIMIT: u64 = 256 << 20;

/// One export to ask for.
pub(crate) struct Request {
    /// `IP data for 2026-11-22`, `IP status`.
    pub(crate) label: String,
    /// `data.aspx?date=112226` without the key, for building the URL and for messages.
    endpoint: &'static str,
    query: String,
}

impl Request {
    pub(crate) fn data(day: chrono::NaiveDate) -> Request {
        Request {
            label: format!("IP data for {}", day.format("%Y-%m-%d")),
            endpoint: "data.aspx",
            query: format!("&date={}", super::days::mmddyy(day)),
        }
    }

    pub(crate) fn status() -> Request {
        Request {
            label: "IP status".to_string(),
            endpoint: "ipStatus.aspx",
            query: String::new(),
        }
    }

    /// How messages name it: `data.aspx?key=…&date=112226`.
    pub(crate) fn shown(&self) -> String {
        format!("{}?key=…{}", self.endpoint, self.query)
    }
}

/// Why an export could not be had.
#[derive(Debug)]
pub(crate) enum Failure {
    /// SNDS refused the key: what it answered (`HTTP 403 Forbidden`, a page).
    Refused(String),
    /// Still failing after the tries, or failing in a way another try cannot fix.
    GaveUp(String),
}

/// What one try gave.
enum Try {
    Body(Vec<u8>),
    Refused(String),
    Retry(String, Option<Duration>),
    Fatal(String),
}

pub(crate) struct Client<'k> {
    agent: ureq::Agent,
    key: &'k Key,
    base_url: String,
    backoff: Duration,
    /// Requests tried again, for the summary.
    pub(crate) retries: u32,
}

fn env_ms(name: &str) -> Option<Duration> {
    std::env::var(name)
        .ok()?
        .parse()
        .ok()
        .map(Duration::from_millis)
}

impl<'k> Client<'k> {
    pub(crate) fn new(key: &'k Key, base_url: &str) -> Client<'k> {
        let timeout = env_ms("BLOCKSCOPE_FETCH_TIMEOUT_MS");
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout.unwrap_or(CONNECT)))
            .timeout_recv_response(Some(timeout.unwrap_or(RESPONSE)))
            .timeout_recv_body(Some(timeout.unwrap_or(BODY)))
            .user_agent(concat!("blockscope/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            key,
            base_url: base_url.to_string(),
            backoff: env_ms("BLOCKSCOPE_FETCH_RETRY_MS").unwrap_or(BACKOFF),
            retries: 0,
        }
    }

    /// The export's body, after up to `ATTEMPTS` tries.
    pub(crate) fn get(&mut self, request: &Request) -> Result<Vec<u8>, Failure> {
        let url = format!(
            "{}{}?key={}{}",
            self.base_url,
            request.endpoint,
            self.key.as_str(),
            request.query
        );
        let mut wait = self.backoff;
        let mut attempt = 1;
        loop {
            let (reason, after) = match self.try_once(&url) {
                Try::Body(body) => return Ok(body),
                Try::Refused(answer) => return Err(Failure::Refused(answer)),
                Try::Fatal(reason) => return Err(Failure::GaveUp(reason)),
                Try::Retry(reason, after) => (reason, after),
            };
            if attempt == ATTEMPTS {
                return Err(Failure::GaveUp(format!("{reason} ({ATTEMPTS} attempts)")));
            }
            let asked = after.map_or(Duration::ZERO, |a| a.min(self.backoff * 30));
            std::thread::sleep(wait.max(asked));
            wait *= 2;
            attempt += 1;
            self.retries += 1;
        }
    }

    fn try_once(&self, url: &str) -> Try {
        let failed = |e: ureq::Error| {
            let reason = self.key.redact(&e.to_string());
            if answer::worth_retrying(&e) {
                Try::Retry(reason, None)
            } else {
                Try::Fatal(reason)
            }
        };
        let mut response = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let status = response.status();
        let answer = format!(
            "HTTP {}{}",
            status.as_u16(),
            status
                .canonical_reason()
                .map_or(String::new(), |r| format!(" {r}"))
        );
        match answer::status_class(status.as_u16()) {
            StatusClass::Refused => return Try::Refused(answer),
            StatusClass::Retry => {
                let after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok());
                return Try::Retry(answer, answer::retry_after(after));
            }
            StatusClass::Body => {}
        }
        let body = match response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
        {
            Ok(body) => body,
            Err(e) => return failed(e),
        };
        match answer::shape(&body) {
            Shape::Page { what, start } => Try::Refused(format!(
                "{answer} with {what} in place of the CSV, starting {:?}",
                self.key.redact(&start)
            )),
            Shape::Empty | Shape::Csv => Try::Body(body),
        }
    }
}
