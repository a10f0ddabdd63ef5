//! A DNS server on 127.0.0.1 (UDP) with scripted answers per query name, for `dnsbl`'s tests
//! and benchmark: no packet leaves the machine. It parses the one question by hand (RFC 1035
//! section 4.1), records every name asked, and answers A records, NXDOMAIN, SERVFAIL, or
//! nothing at all (a zone that never answers). It stops when dropped, and by itself after
//! five minutes.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the server answers to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// NOERROR with these A records.
    A(Vec<Ipv4Addr>),
    /// NXDOMAIN: not listed.
    NxDomain,
    /// SERVFAIL.
    ServFail,
    /// No answer ever (a zone whose servers do not answer): the client times out.
    Silent,
}

pub(crate) fn a(codes: &[&str]) -> Answer {
    Answer::A(codes.iter().map(|c| c.parse().unwrap()).collect())
}

type Script = dyn Fn(&str) -> Answer + Send + Sync;

pub(crate) struct DnsServer {
    pub(crate) addr: SocketAddr,
    /// Every name asked (lowercase, no trailing dot), in arrival order.
    names: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DnsServer {
    /// `script(name)` answers a query for `name` (lowercase, without the trailing dot).
    pub(crate) fn start(script: impl Fn(&str) -> Answer + Send + Sync + 'static) -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let names = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let (n, s) = (names.clone(), stop.clone());
        let thread = std::thread::spawn(move || serve(&socket, &*script, &n, &s));
        DnsServer {
            addr,
            names,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.names.lock().unwrap().clone()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(socket: &UdpSocket, script: &Script, names: &Mutex<Vec<String>>, stop: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut buf = [0u8; 1500];
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let Ok((len, from)) = socket.recv_from(&mut buf) else {
            continue; // the read timeout: look at `stop` again
        };
        let Some((name, question_end)) = question(&buf[..len]) else {
            continue;
        };
        names.lock().unwrap().push(name.clone());
        if let Some(reply) = reply(&buf[..len], question_end, &script(&name)) {
            let _ = socket.send_to(&reply, from);
        }
    }
}

/// The question's name (lowercase, dotted) and where the question ends (after QTYPE, QCLASS).
fn question(packet: &[u8]) -> Option<(String, usize)> {
    if packet.len() < 12 || u16::from_be_bytes([packet[4], packet[5]]) != 1 {
        return None;
    }
    let mut labels = Vec::new();
    let mut at = 12;
    loop {
        let len = *packet.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None; // a compression pointer has no place in a question we parse
        }
        labels.push(String::from_utf8_lossy(packet.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let end = at + 4;
    (end <= packet.len()).then(|| (labels.join("."), end))
}

/// The response to `query` (its header and question copied), or None for `Silent`.
fn reply(query: &[u8], question_end: usize, answer: &Answer) -> Option<Vec<u8>> {
    let (rcode, records): (u8, &[Ipv4Addr]) = match answer {
        Answer::Silent => return None,
        Answer::A(records) => (0, records),
        Answer::NxDomain => (3, &[]),
        Answer::ServFail => (2, &[]),
    };
    let mut out = Vec::with_capacity(question_end + records.len() * 16);
    out.extend_from_slice(&query[0..2]); // id
    out.push(0x80 | (query[2] & 0x01)); // QR, opcode 0, RD as asked
    out.push(0x80 | rcode); // RA
    out.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    out.extend_from_slice(&(records.len() as u16).to_be_bytes()); // ANCOUNT
    out.extend_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
    out.extend_from_slice(&query[12..question_end]);
    for r in records {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        out.extend_from_slice(&r.octets());
    }
    Some(out)
}
