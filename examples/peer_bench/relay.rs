//! The counting relay between a tool and the emulator: it passes every byte on unchanged
//! and notes each request's operation, when it was sent and when its answer began, so
//! both sides of a comparison have their calls counted the same way. With a latency model
//! (`latency.rs`) it holds each answer back by what the call would cost on AWS.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::latency::LatencyModel;

/// One AWS request seen by the relay.
#[derive(Clone, Debug)]
pub struct Call {
    pub op: String,
    pub sent: Instant,
    /// The first byte of its answer.
    pub answered: Option<Instant>,
}

#[derive(Clone, Default)]
pub struct Tally {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Tally {
    pub fn take(&self) -> Vec<Call> {
        self.calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }
}

/// Operations by count, and the longest chain of calls each of which was sent only after
/// the one before it was answered: the calls on the critical path. A tool that sends
/// everything in sequence has a chain as long as its calls.
pub fn summarize(calls: &[Call]) -> (BTreeMap<String, u64>, usize) {
    let mut ops = BTreeMap::new();
    for c in calls {
        *ops.entry(c.op.clone()).or_default() += 1;
    }
    let mut sorted: Vec<&Call> = calls.iter().collect();
    sorted.sort_by_key(|c| c.sent);
    let mut chain = vec![1usize; sorted.len()];
    for j in 0..sorted.len() {
        for i in 0..j {
            if let Some(done) = sorted[i].answered
                && sorted[j].sent >= done
            {
                chain[j] = chain[j].max(chain[i] + 1);
            }
        }
    }
    (ops, chain.into_iter().max().unwrap_or(0))
}

/// A relay to `upstream` on a free loopback port: its URL. `service` names the requests
/// that carry no AWS signature (the Prefect API's).
pub async fn start_relay(
    upstream: &str,
    tally: Tally,
    model: LatencyModel,
    service: &'static str,
) -> String {
    // host:port to connect to; the path (the Prefect API's `/api`) stays in the URL.
    let rest = upstream.trim_start_matches("http://").trim_end_matches('/');
    let (target, path) = match rest.find('/') {
        Some(i) => (rest[..i].to_owned(), rest[i..].to_owned()),
        None => (rest.to_owned(), String::new()),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}{path}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (target, tally) = (target.clone(), tally.clone());
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(&target).await {
                    relay(client, server, tally, model, service).await;
                }
            });
        }
    });
    url
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// `service:Operation` of one request: the operation from `X-Amz-Target` (JSON protocols)
/// or the `Action` parameter (query protocols), the service from the signature's scope. A
/// request without a signature is named by its method and path, ids left out:
/// `prefect:POST work_pools/…/workers/filter`.
fn operation(head: &str, body: &[u8], unsigned: &str) -> String {
    if !header(head, "authorization").is_some_and(|a| a.contains("Credential=")) {
        let mut words = head.lines().next().unwrap_or_default().split_whitespace();
        let method = words.next().unwrap_or("?");
        let path = words.next().unwrap_or("/").split('?').next().unwrap_or("/");
        let segments: Vec<&str> = path
            .trim_start_matches("/api/")
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let named: Vec<&str> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // The collection and the verb at the end are kept; names and ids between.
                if i == 0 || i + 1 == segments.len() && segments.len() > 2 {
                    *s
                } else {
                    "…"
                }
            })
            .collect();
        return format!("{unsigned}:{method} {}", named.join("/"));
    }
    let service = header(head, "authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    let op = header(head, "x-amz-target")
        .and_then(|t| t.rsplit('.').next().map(str::to_owned))
        .or_else(|| {
            let query = head.lines().next()?.split_whitespace().nth(1)?.to_owned();
            let body = String::from_utf8_lossy(body).into_owned();
            [body, query].iter().find_map(|text| {
                text.split(['&', '?'])
                    .find_map(|p| p.strip_prefix("Action=").map(str::to_owned))
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{service}:{op}")
}

/// Complete requests at the front of `buf`, removed from it: (head, body).
fn requests(buf: &mut Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let body_start = end + 4;
        let body_end = if let Some(n) =
            header(&head, "content-length").and_then(|v| v.parse::<usize>().ok())
        {
            body_start + n
        } else if header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            match buf[body_start..].windows(5).position(|w| w == b"0\r\n\r\n") {
                Some(p) => body_start + p + 5,
                None => break,
            }
        } else {
            body_start
        };
        if buf.len() < body_end {
            break;
        }
        let body = buf[body_start..body_end].to_vec();
        buf.drain(..body_end);
        out.push((head, body));
    }
    out
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    tally: Tally,
    model: LatencyModel,
    unsigned: &'static str,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Requests of this connection still waiting for their answer's first byte (HTTP/1.1
    // without pipelining: at most one, in practice).
    let waiting: Arc<Mutex<Vec<usize>>> = Arc::default();
    let up = {
        let (tally, waiting) = (tally.clone(), waiting.clone());
        async move {
            let mut buf = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = match client_read.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                let complete = requests(&mut buf);
                if server_write.write_all(&chunk[..n]).await.is_err() {
                    break;
                }
                let now = Instant::now();
                for (head, body) in complete {
                    if let (Ok(mut calls), Ok(mut waiting)) = (tally.calls.lock(), waiting.lock()) {
                        calls.push(Call {
                            op: operation(&head, &body, unsigned),
                            sent: now,
                            answered: None,
                        });
                        waiting.push(calls.len() - 1);
                    }
                }
            }
        }
    };
    let down = async move {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // The answer's first byte: held back by what the call costs on AWS, then the
            // call counts as answered (when its tool sees it).
            let delay = match (tally.calls.lock(), waiting.lock()) {
                (Ok(calls), Ok(waiting)) => waiting
                    .iter()
                    .filter_map(|i| calls.get(*i))
                    .map(|c| model.delay(&c.op))
                    .max()
                    .unwrap_or_default(),
                _ => std::time::Duration::ZERO,
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let now = Instant::now();
            if let (Ok(mut calls), Ok(mut waiting)) = (tally.calls.lock(), waiting.lock()) {
                for i in waiting.drain(..) {
                    if let Some(c) = calls.get_mut(i) {
                        c.answered = Some(now);
                    }
                }
            }
            if client_write.write_all(&chunk[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(up, down);
}
