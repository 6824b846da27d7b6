//! A misbehaving HTTP/1.1 server on loopback, written on raw tokio sockets
//! because a well-behaved mock cannot misbehave enough: it answers with any
//! bytes, streams bodies of any size while counting what it wrote, closes
//! without answering, or never answers. Every request it reads is recorded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with one request.
pub enum Answer {
    /// A complete response: status, extra header lines, body.
    Reply(u16, Vec<(String, String)>, Vec<u8>),
    /// A response head with `Content-Length: declared` (chunked when
    /// `None`), then up to `total` body bytes, written until the peer stops
    /// reading.
    Stream {
        status: u16,
        declared: Option<u64>,
        total: u64,
    },
    /// Close the connection without a word.
    Close,
    /// Never answer (the connection stays open until the test ends).
    Stall,
}

impl Answer {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Answer::Reply(
            status,
            vec![("content-type".into(), "application/json".into())],
            body.to_string().into_bytes(),
        )
    }

    pub fn text(status: u16, content_type: &str, body: &str) -> Self {
        Answer::Reply(
            status,
            vec![("content-type".into(), content_type.into())],
            body.as_bytes().to_vec(),
        )
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Answer::Reply(
            status,
            vec![("location".into(), location.into())],
            Vec::new(),
        )
    }
}

type Respond = dyn Fn(&Received) -> Answer + Send + Sync;

/// A running hostile server.
pub struct Hostile {
    pub url: String,
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    /// Body bytes written by `Answer::Stream` answers.
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    pub async fn start(respond: impl Fn(&Received) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::new(AtomicU64::new(0));
        let respond: Arc<Respond> = Arc::new(respond);
        let (r, w) = (received.clone(), written.clone());
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(serve(stream, respond.clone(), r.clone(), w.clone()));
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            received,
            written,
            task,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.received.lock().expect("lock").len()
    }

    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

/// Serves one connection: requests one after another (keep-alive) until an
/// answer closes it.
async fn serve(
    mut stream: TcpStream,
    respond: Arc<Respond>,
    received: Arc<Mutex<Vec<Received>>>,
    written: Arc<AtomicU64>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let answer = respond(&request);
        received.lock().expect("lock").push(request);
        match answer {
            Answer::Reply(status, headers, body) => {
                let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                if stream.write_all(head.as_bytes()).await.is_err()
                    || stream.write_all(&body).await.is_err()
                {
                    return;
                }
            }
            Answer::Stream {
                status,
                declared,
                total,
            } => {
                let length = match declared {
                    Some(n) => format!("content-length: {n}\r\n"),
                    None => "transfer-encoding: chunked\r\n".to_owned(),
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{length}\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'7'; 64 * 1024];
                let mut sent = 0u64;
                while sent < total {
                    let ok = match declared {
                        Some(_) => stream.write_all(&chunk).await.is_ok(),
                        None => {
                            let framed = [
                                format!("{:x}\r\n", chunk.len()).into_bytes(),
                                chunk.clone(),
                                b"\r\n".to_vec(),
                            ]
                            .concat();
                            stream.write_all(&framed).await.is_ok()
                        }
                    };
                    if !ok {
                        break;
                    }
                    sent += chunk.len() as u64;
                    written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
                return;
            }
            Answer::Close => return,
            Answer::Stall => {
                // Hold the connection open, reading nothing more.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Reads one request (head, then a `Content-Length` body) from `stream`.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Received> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Some(Received {
        method,
        path,
        headers,
        body,
    })
}
