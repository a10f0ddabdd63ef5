//! `snds fetch` against a loopback HTTP server that answers as SNDS does: CSV exports (the
//! sample data's recorded-shape files), empty bodies, sign-in pages and error statuses, servers
//! that fail for a while or for good. The key must reach the server and nothing else.

use super::*;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

const KEY: &str = "0d1c2b3a-4e5f-6789-abcd-ef0123456789";
/// "Today" in Pacific time for every test: the days asked for are the 22nd to the 24th.
const TODAY: &str = "2026-11-25";
const DATA_22: &str = include_str!("../../sample-data/snds/snds-data-2026-11-19.csv");
const DATA_24: &str = include_str!("../../sample-data/snds/snds-data-2026-11-20.csv");
const STATUS: &str = include_str!("../../sample-data/snds/snds-ipstatus.csv");
const SIGN_IN: &str = "<!DOCTYPE html>\r\n<html><head><title>Smart Network Data Services</title></head><body>Sign in</body></html>\r\n";

/// What the server answers to one request.
#[derive(Clone)]
enum Reply {
    /// 200 with this body (empty: SNDS's "nothing that day").
    Body(String),
    /// This status with a short text body.
    Status(u16),
    /// Read the request, then say nothing for 1.5 s.
    Stall,
}

fn body(text: &str) -> Reply {
    Reply::Body(text.to_string())
}

type Answer = dyn Fn(&str, usize) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server (`Connection: close`, `Content-Length`) that records each
/// request's target. It stops when dropped, and by itself after a minute.
struct Server {
    base: String,
    targets: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// `answer(target, n)` answers the n-th (from 0) request for `target` (path and query).
    fn start(answer: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}/snds/", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let answer: Arc<Answer> = Arc::new(answer);
        let (t, s) = (targets.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut served = 0;
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline && served < 200 {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let (t, answer) = (t.clone(), answer.clone());
                        std::thread::spawn(move || serve(stream, &t, &*answer));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            base,
            targets,
            stop,
            thread: Some(thread),
        }
    }

    /// Every request's target, in order of arrival.
    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }

    /// What was asked for, without the key: `date=112426` for IP data, `ipStatus`.
    fn asked(&self) -> Vec<String> {
        self.targets()
            .iter()
            .map(|t| match t.split_once("&date=") {
                Some((_, date)) => format!("date={date}"),
                None if t.contains("ipStatus.aspx") => "ipStatus".to_string(),
                None => t.clone(),
            })
            .collect()
    }

    fn count(&self, asked: &str) -> usize {
        self.asked().iter().filter(|a| *a == asked).count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, targets: &Mutex<Vec<String>>, answer: &Answer) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let n = {
        let mut t = targets.lock().unwrap();
        let n = t.iter().filter(|x| **x == target).count();
        t.push(target.clone());
        n
    };
    let (status, body) = match answer(&target, n) {
        Reply::Body(b) => (200, b),
        Reply::Status(s) => (s, format!("{s} error\r\n")),
        Reply::Stall => {
            std::thread::sleep(Duration::from_millis(1500));
            return;
        }
    };
    let response = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// The SNDS answers of a healthy night: rows on the 22nd and 24th, nothing on the 23rd.
fn healthy(target: &str, _n: usize) -> Reply {
    if target.contains("ipStatus.aspx") {
        body(STATUS)
    } else if target.ends_with("date=112226") {
        body(DATA_22)
    } else if target.ends_with("date=112426") {
        body(DATA_24)
    } else {
        body("")
    }
}

/// A key file (mode 600) and the SNDS directory `snds/`, in a temp dir.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let setup = Setup { dir };
        setup.key_file(&format!("{KEY}\n"), 0o600);
        setup
    }

    fn key_file(&self, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path("snds.key");
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn snds(&self, name: &str) -> PathBuf {
        self.path("snds").join(name)
    }

    /// Put an export in the SNDS directory before the fetch.
    fn put(&self, name: &str, text: &str) {
        fs::create_dir_all(self.path("snds")).unwrap();
        fs::write(self.snds(name), text).unwrap();
    }

    /// `snds fetch --key-file --out snds/ --base-url SERVER EXTRA`, today being `TODAY`, with
    /// 1 ms between retries.
    fn fetch(&self, server: &Server, extra: &[&str]) -> Output {
        self.fetch_from(&server.base, extra)
    }

    fn fetch_from(&self, base: &str, extra: &[&str]) -> Output {
        self.command(base, extra).output().unwrap()
    }

    fn command(&self, base: &str, extra: &[&str]) -> Command {
        let mut cmd = blockscope();
        cmd.args(["snds", "fetch", "--key-file"])
            .arg(self.path("snds.key"))
            .arg("--base-url")
            .arg(base);
        if !extra.contains(&"--config") && !extra.contains(&"--out") {
            cmd.arg("--out").arg(self.path("snds"));
        }
        for proxy in [
            "ALL_PROXY",
            "all_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
        ] {
            cmd.env_remove(proxy);
        }
        cmd.env("BLOCKSCOPE_SNDS_TODAY", TODAY)
            .env("BLOCKSCOPE_FETCH_RETRY_MS", "1")
            .env("BLOCKSCOPE_FETCH_TIMEOUT_MS", "5000")
            .args(extra);
        cmd
    }

    /// The files in the SNDS directory (its temp sub-directory apart), by name.
    fn files(&self) -> BTreeMap<String, String> {
        let Ok(entries) = fs::read_dir(self.path("snds")) else {
            return BTreeMap::new();
        };
        entries
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect()
    }

    /// The temp sub-directory holds nothing once a fetch has ended.
    fn no_temp_files(&self) {
        let tmp = self.snds(".snds-fetch.tmp");
        let left: Vec<_> = fs::read_dir(&tmp)
            .map(|d| d.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.is_empty(),
            "temp files left in {}: {left:?}",
            tmp.display()
        );
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The key is in no message and no file name below `dir`.
fn key_kept_secret(out: &Output, dir: &Path) {
    let (o, e) = (String::from_utf8_lossy(&out.stdout), stderr(out));
    assert!(
        !o.contains(KEY) && !e.contains(KEY),
        "the key was printed:\n{o}\n{e}"
    );
    for path in walk(dir) {
        let name = path.to_string_lossy().into_owned();
        assert!(!name.contains(KEY), "the key is in a file name: {name}");
    }
}

fn names(files: &BTreeMap<String, String>) -> Vec<&str> {
    files.keys().map(String::as_str).collect()
}

#[test]
fn each_missing_day_and_the_ip_status_are_saved_under_names_run_reads() {
    let setup = Setup::new();
    let server = Server::start(healthy);
    let out = setup.fetch(&server, &[]);
    ok(&out);
    assert_eq!(
        server.asked(),
        ["date=112226", "date=112326", "date=112426", "ipStatus"],
        "the last three complete Pacific days, oldest first, then the IP status"
    );
    assert!(
        server
            .targets()
            .iter()
            .all(|t| t.starts_with("/snds/") && t.contains(&format!(".aspx?key={KEY}"))),
        "{:?}",
        server.targets()
    );
    let files = setup.files();
    assert_eq!(
        names(&files),
        [
            "ipStatus-2026-11-25.csv",
            "snds-data-2026-11-22.csv",
            "snds-data-2026-11-23.csv",
            "snds-data-2026-11-24.csv"
        ]
    );
    assert_eq!(files["snds-data-2026-11-22.csv"], DATA_22);
    assert_eq!(
        files["snds-data-2026-11-23.csv"], "",
        "an empty day is an empty file"
    );
    assert_eq!(files["snds-data-2026-11-24.csv"], DATA_24);
    assert_eq!(files["ipStatus-2026-11-25.csv"], STATUS);
    let err = stderr(&out);
    assert!(
        err.contains(
            "snds fetch: 3 day(s) fetched (1 empty), 0 already present; IP status fetched ("
        ),
        "{err}"
    );
    setup.no_temp_files();
    key_kept_secret(&out, setup.dir.path());
    // -q: nothing on stderr.
    let quiet = setup.fetch(&server, &["-q"]);
    ok(&quiet);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn run_and_check_config_read_what_fetch_wrote() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[S3140_RFC3164, SENT_GMAIL], NOV_23_2026);
    let data = "198.51.100.7,11/24/2026 8:00 AM,11/25/2026 7:00 AM,14129,14129,13025,GREEN,< 0.1%,,,,,,\r\n\
198.51.100.20,11/24/2026 8:00 AM,11/25/2026 7:00 AM,47386,47386,47384,RED,4.7%,11/24/2026 8:07 AM,11/24/2026 12:03 PM,41,mail.vps20.example,bounce@vps20.example,\r\n";
    let status = "198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\r\n";
    let server = Server::start(move |target, _| {
        if target.contains("ipStatus.aspx") {
            body(status)
        } else if target.ends_with("date=112426") {
            body(data)
        } else {
            body("")
        }
    });
    let setup = Setup {
        dir: tempfile::tempdir().unwrap(),
    };
    setup.key_file(KEY, 0o600);
    let snds = fleet.path("snds");
    let out = setup.fetch(&server, &["--out", snds.to_str().unwrap()]);
    ok(&out);
    let check = fleet.check_config(&["--snds", snds.to_str().unwrap()]);
    ok(&check);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("(4 file(s): 1 IP data, 1 IP status, 2 empty)")
            && stdout
                .contains("SNDS: no SNDS data on 2026-11-22 (snds-data-2026-11-22.csv is empty"),
        "{stdout}"
    );
    let run = fleet.run_args(&["--threads", "1", "--snds", snds.to_str().unwrap()]);
    ok(&run);
    let ips = fleet.csv("summary/ips.csv");
    let seen = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (
            seen["snds_blocked"].as_str(),
            seen["snds_filter"].as_str(),
            seen["snds_days"].as_str()
        ),
        ("yes", "GREEN", "1"),
        "the IP data of the 24th and the IP status of the 25th are read"
    );
    assert_eq!(
        row(&ips, "198.51.100.20", "snds-blocked")["snds_trap_hits"],
        "41"
    );
}

#[test]
fn days_already_there_are_not_asked_again_but_an_empty_day_is() {
    let setup = Setup::new();
    let kept = "198.51.100.7,11/23/2026 8:00 AM,11/24/2026 7:00 AM,1,1,1,GREEN,< 0.1%,,,,,,\r\n";
    setup.put("snds-data-2026-11-23.csv", kept);
    // An earlier script's name for the 22nd: the same day, so not asked for either.
    setup.put("data_112226.csv", DATA_22);
    // SNDS answers "nothing" until it has published a day: an empty day is asked again.
    setup.put("snds-data-2026-11-24.csv", "");
    let server = Server::start(healthy);
    let out = setup.fetch(&server, &[]);
    ok(&out);
    assert_eq!(server.asked(), ["date=112426", "ipStatus"]);
    let files = setup.files();
    assert_eq!(files["snds-data-2026-11-23.csv"], kept);
    assert_eq!(files["data_112226.csv"], DATA_22);
    assert!(!files.contains_key("snds-data-2026-11-22.csv"));
    assert_eq!(
        files["snds-data-2026-11-24.csv"], DATA_24,
        "the empty day got its rows"
    );
    assert!(
        stderr(&out).contains("snds fetch: 1 day(s) fetched (0 empty), 2 already present;"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_key_stops_with_exit_2_and_writes_nothing() {
    for (reply, answer) in [
        (
            body(SIGN_IN),
            "HTTP 200 OK with an HTML page in place of the CSV",
        ),
        (
            body("The key is invalid.\r\n"),
            "HTTP 200 OK with a text that is not an SNDS CSV export",
        ),
        (Reply::Status(401), "HTTP 401 Unauthorized"),
        (Reply::Status(403), "HTTP 403 Forbidden"),
        (Reply::Status(404), "HTTP 404 Not Found"),
    ] {
        let setup = Setup::new();
        let server = Server::start(move |_, _| reply.clone());
        let out = setup.fetch(&server, &[]);
        assert_eq!(out.status.code(), Some(2), "{answer}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("blockscope: error: snds fetch: data.aspx?key=…&date=112226 (IP data for 2026-11-22): SNDS refused the key (")
                && err.contains(answer)
                && err.contains(&format!("check the SNDS automated-access key in --key-file {}", setup.path("snds.key").display()))
                && err.contains("https://sendersupport.olc.protection.outlook.com/snds/auto.aspx"),
            "{err}"
        );
        assert_eq!(
            server.asked(),
            ["date=112226"],
            "{answer}: no retry, nothing more asked"
        );
        assert!(setup.files().is_empty(), "{answer}: {:?}", setup.files());
        key_kept_secret(&out, setup.dir.path());
    }
}

#[test]
fn a_refused_key_never_replaces_a_good_file() {
    for reply in [body(SIGN_IN), Reply::Status(403)] {
        let setup = Setup::new();
        for day in ["22", "23", "24"] {
            setup.put(&format!("snds-data-2026-11-{day}.csv"), DATA_24);
        }
        setup.put("ipStatus-2026-11-25.csv", STATUS);
        let server = Server::start(move |_, _| reply.clone());
        let out = setup.fetch(&server, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(server.asked(), ["ipStatus"]);
        assert_eq!(setup.files()["ipStatus-2026-11-25.csv"], STATUS);
        setup.no_temp_files();
    }
}

#[test]
fn a_failure_that_passes_is_retried() {
    let setup = Setup::new();
    let server = Server::start(|target, n| match n {
        0 if target.ends_with("date=112426") => Reply::Status(503),
        0 | 1 if target.contains("ipStatus.aspx") => Reply::Status(429),
        _ => healthy(target, n),
    });
    let out = setup.fetch(&server, &[]);
    ok(&out);
    assert_eq!(server.count("date=112426"), 2);
    assert_eq!(server.count("ipStatus"), 3);
    assert_eq!(server.count("date=112226"), 1);
    assert_eq!(setup.files()["snds-data-2026-11-24.csv"], DATA_24);
    assert_eq!(setup.files()["ipStatus-2026-11-25.csv"], STATUS);
    assert!(
        stderr(&out).contains("3 day(s) fetched (1 empty), 0 already present; IP status fetched; 3 request(s) retried"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_server_that_keeps_failing_is_named_with_exit_1_and_the_rest_is_kept() {
    let setup = Setup::new();
    let server = Server::start(|target, n| {
        if target.ends_with("date=112426") {
            Reply::Status(503)
        } else {
            healthy(target, n)
        }
    });
    let out = setup.fetch(&server, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        server.count("date=112426"),
        4,
        "four attempts, then given up"
    );
    let files = setup.files();
    assert_eq!(
        names(&files),
        [
            "ipStatus-2026-11-25.csv",
            "snds-data-2026-11-22.csv",
            "snds-data-2026-11-23.csv"
        ],
        "no file for the day SNDS did not give"
    );
    let err = stderr(&out);
    assert!(
        err.contains("snds fetch: 2 day(s) fetched (1 empty), 0 already present, 1 failed; IP status fetched; 3 request(s) retried")
            && err.contains("blockscope: error: snds fetch: 1 export(s) not fetched: IP data for 2026-11-24 (data.aspx?key=…&date=112426): HTTP 503 Service Unavailable (4 attempts)"),
        "{err}"
    );
    setup.no_temp_files();
    key_kept_secret(&out, setup.dir.path());
}

#[test]
fn no_connection_and_timeouts_are_retried_then_named() {
    // A port nobody listens on.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/snds/", l.local_addr().unwrap())
    };
    let setup = Setup::new();
    let out = setup.fetch_from(&closed, &["--days", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "2 export(s) not fetched: IP data for 2026-11-24 (data.aspx?key=…&date=112426): "
        ) && err.contains("; IP status (ipStatus.aspx?key=…): ")
            && err.contains("(4 attempts)"),
        "{err}"
    );
    assert!(setup.files().is_empty());
    key_kept_secret(&out, setup.dir.path());
    // A server that takes the request and never answers.
    let server = Server::start(|_, _| Reply::Stall);
    let setup = Setup::new();
    let started = Instant::now();
    let out = setup
        .command(&server.base, &["--days", "1"])
        .env("BLOCKSCOPE_FETCH_TIMEOUT_MS", "200")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(server.count("date=112426"), 4);
    assert!(stderr(&out).contains("timeout"), "{}", stderr(&out));
    key_kept_secret(&out, setup.dir.path());
}

#[test]
fn key_file_problems_stop_before_any_request() {
    let server = Server::start(healthy);
    for (text, want) in [
        (
            "\n  \n",
            "no key in it; put the SNDS automated-access key on its first line",
        ),
        ("0d1c2b3a 4e5f\n", "the key holds a space"),
        ("0d1c2b3a%4e5f\n", "the key holds '%'"),
    ] {
        let setup = Setup::new();
        setup.key_file(text, 0o600);
        let out = setup.fetch(&server, &[]);
        assert_eq!(out.status.code(), Some(2), "{text:?}");
        let err = stderr(&out);
        assert!(err.contains(want) && err.contains("auto.aspx"), "{err}");
    }
    let setup = Setup::new();
    fs::remove_file(setup.path("snds.key")).unwrap();
    let out = setup.fetch(&server, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("snds.key: cannot read"),
        "{}",
        stderr(&out)
    );
    assert!(server.targets().is_empty(), "{:?}", server.targets());
    // Readable by others: said, like ssh does, and fetched all the same.
    let setup = Setup::new();
    setup.key_file(KEY, 0o644);
    let out = setup.fetch(&server, &[]);
    ok(&out);
    assert!(
        stderr(&out).contains("blockscope: warning: --key-file ")
            && stderr(&out).contains("readable by other users (mode 0644); `chmod 600"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn days_out_dir_and_base_url_are_checked() {
    let server = Server::start(healthy);
    let setup = Setup::new();
    for days in ["0", "91"] {
        let out = setup.fetch(&server, &["--days", days]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(&format!("--days {days}: must be between 1 and 90 (")),
            "{}",
            stderr(&out)
        );
    }
    let out = setup.fetch_from("http://snds.example/snds/", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("clear text"), "{}", stderr(&out));
    assert!(server.targets().is_empty());
    // Without --out: the config file's `snds` directory (relative to the file), or an error.
    fs::write(setup.path("blockscope.toml"), "snds = \"from-config\"\n").unwrap();
    let config = setup.path("blockscope.toml");
    let out = setup.fetch(
        &server,
        &["--days", "1", "--config", config.to_str().unwrap()],
    );
    ok(&out);
    assert!(setup.path("from-config/snds-data-2026-11-24.csv").is_file());
    assert!(setup.path("from-config/ipStatus-2026-11-25.csv").is_file());
    let out = blockscope()
        .args(["snds", "fetch", "--key-file"])
        .arg(setup.path("snds.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--out DIR is required"),
        "{}",
        stderr(&out)
    );
}
