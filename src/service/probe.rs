//! The probes of `readyWhen` and `healthCheck`, run on pm's runtime: a TCP connection that is
//! accepted, or an HTTP GET that answers 2xx. Nothing runs between probes (a timer, no
//! polling), and a probe ends the moment its future is dropped (the service got ready, or is
//! gone).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::start::checks::{HealthCheck, ProbeTarget};

/// How long one readiness probe may take at most (a probe that takes longer is retried).
const READY_PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The most of an HTTP answer read: its status line is all a probe needs.
const STATUS_LINE_MAX: usize = 1024;

/// One probe of `target` within `timeout`; the error says what failed.
pub(crate) async fn check(target: &ProbeTarget, timeout: Duration) -> Result<(), String> {
    let probe = async {
        match target {
            ProbeTarget::Tcp { host, port } => connect(host, *port).await.map(drop),
            ProbeTarget::Http { host, port, path } => get(host, *port, path).await,
        }
    };
    match tokio::time::timeout(timeout, probe).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// Probes every `every` until one succeeds.
pub(crate) async fn until_ready(target: &ProbeTarget, every: Duration) {
    let timeout = READY_PROBE_TIMEOUT.min(every.max(Duration::from_millis(250)));
    loop {
        if check(target, timeout).await.is_ok() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

/// Probes every `check.every` (the first one after that time too) and resolves once
/// `check.failures` probes in a row failed, with what the last one said.
pub(crate) async fn until_unhealthy(check_: &HealthCheck) -> String {
    let mut failed = 0;
    loop {
        tokio::time::sleep(check_.every).await;
        match check(&check_.target, check_.timeout).await {
            Ok(()) => failed = 0,
            Err(why) => {
                failed += 1;
                if failed >= check_.failures {
                    return format!("{}: {why}", check_.target.describe());
                }
            }
        }
    }
}

/// The addresses `host` names: an IP as is, `localhost` as the loopback addresses, else what
/// the resolver says (on the runtime's blocking pool).
async fn addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), port),
        ]);
    }
    tokio::net::lookup_host((host, port))
        .await
        .map(|a| a.collect())
        .map_err(|e| format!("cannot resolve {host}: {e}"))
}

async fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    let mut last = format!("no address for {host}");
    for addr in addresses(host, port).await? {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

async fn get(host: &str, port: u16, path: &str) -> Result<(), String> {
    let mut stream = connect(host, port).await?;
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: elife-pm\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < STATUS_LINE_MAX {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    match status(&head) {
        Some(code) if (200..300).contains(&code) => Ok(()),
        Some(code) => Err(format!("answered {code}")),
        None => Err("answered something that is not HTTP".into()),
    }
}

/// The status code of an HTTP answer's first line (`HTTP/1.1 204 No Content`).
fn status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn status_lines() {
        assert_eq!(status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(status(b"HTTP/1.0 503 Busy\r\nx"), Some(503));
        assert_eq!(status(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status(b""), None);
    }

    /// A server on a free port that answers each connection with `answer` (or accepts and
    /// says nothing, with `None`).
    async fn server(answer: Option<&'static str>) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut s, _)) = l.accept().await {
                match answer {
                    Some(a) => {
                        let mut buf = [0u8; 1024];
                        let _ = s.read(&mut buf).await;
                        let _ = s.write_all(a.as_bytes()).await;
                    }
                    None => held.push(s),
                }
            }
        });
        port
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[tokio::test]
    async fn tcp_and_http_probes_succeed_and_fail_with_reasons() {
        let second = Duration::from_secs(1);
        let ok = server(Some("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).await;
        let busy = server(Some("HTTP/1.1 503 Service Unavailable\r\n\r\n")).await;
        let mute = server(None).await;
        let closed = free_port();
        let tcp = |port| ProbeTarget::Tcp {
            host: "127.0.0.1".into(),
            port,
        };
        let http = |port| ProbeTarget::Http {
            host: "localhost".into(),
            port,
            path: "/health".into(),
        };
        assert_eq!(check(&tcp(ok), second).await, Ok(()));
        assert!(check(&tcp(closed), second).await.is_err());
        assert_eq!(check(&http(ok), second).await, Ok(()));
        assert_eq!(check(&http(busy), second).await, Err("answered 503".into()));
        let e = check(&http(mute), Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(e.contains("within 200 ms"), "{e}");
        assert!(check(&http(closed), second).await.is_err());
    }

    #[tokio::test]
    async fn health_fails_only_after_that_many_failures_in_a_row() {
        let hc = HealthCheck {
            target: ProbeTarget::Tcp {
                host: "127.0.0.1".into(),
                port: free_port(),
            },
            every: Duration::from_millis(10),
            timeout: Duration::from_millis(100),
            failures: 3,
        };
        let started = tokio::time::Instant::now();
        let why = until_unhealthy(&hc).await;
        assert!(
            started.elapsed() >= Duration::from_millis(30),
            "three probes, 10 ms apart"
        );
        assert!(why.starts_with("tcp 127.0.0.1:"), "{why}");
    }
}
