//! A TCP relay between the program and the emulator. It is not an AWS stand-in (the
//! emulator answers every request): it can hold every chunk a client sends for a moment,
//! so a test can kill the program between two calls, and it can keep a copy of the bytes
//! the program sent, so a test can read the requests exactly as AWS would receive them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Everything clients sent through a recording relay.
pub type Recording = Arc<Mutex<Vec<u8>>>;

/// Starts the relay in the background; returns its URL.
pub async fn start(upstream: &str, delay: Duration) -> String {
    start_recording(upstream, delay, None).await
}

/// Like `start`, keeping a copy of every byte sent upstream in `record`.
pub async fn start_recording(upstream: &str, delay: Duration, record: Option<Recording>) -> String {
    start_with(upstream, delay, Duration::ZERO, record).await
}

/// Holds requests for `up` and responses for `down`: a client killed between the two has
/// had its request carried out and never saw the answer.
pub async fn start_both_ways(upstream: &str, up: Duration, down: Duration) -> String {
    start_with(upstream, up, down, None).await
}

async fn start_with(
    upstream: &str,
    delay: Duration,
    down: Duration,
    record: Option<Recording>,
) -> String {
    let target = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let target = target.clone();
            let record = record.clone();
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(&target).await {
                    relay(client, server, delay, down, record).await;
                }
            });
        }
    });
    url
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    delay: Duration,
    down: Duration,
    record: Option<Recording>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(record) = &record
                && let Ok(mut bytes) = record.lock()
            {
                bytes.extend_from_slice(&buf[..n]);
            }
            tokio::time::sleep(delay).await;
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let downstream = async move {
        if down.is_zero() {
            let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
            return;
        }
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            tokio::time::sleep(down).await;
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(upstream, downstream);
}
