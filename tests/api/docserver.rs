//! A tiny HTTP/1.1 server on 127.0.0.1 for the documents a client names (Client ID Metadata
//! Documents, `jwks_uri`): fixed answers by path, one request per connection, and a count of the
//! requests it served.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One answer: status line code, extra headers, body.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(body: &serde_json::Value) -> Answer {
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

pub struct DocServer {
    pub base: String,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<AtomicUsize>,
}

impl DocServer {
    pub async fn start() -> DocServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (a, h) = (answers.clone(), hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (a, h) = (a.clone(), h.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut read = 0;
                    while read < buf.len() {
                        let Ok(n) = sock.read(&mut buf[read..]).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        read += n;
                        if buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let head = String::from_utf8_lossy(&buf[..read]).to_string();
                    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                    h.fetch_add(1, Ordering::SeqCst);
                    let answer = a.lock().unwrap().get(&path).cloned().unwrap_or(Answer {
                        status: 404,
                        headers: vec![],
                        body: b"not found".to_vec(),
                    });
                    let mut out = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", answer.status);
                    for (k, v) in &answer.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str(&format!("Content-Length: {}\r\n\r\n", answer.body.len()));
                    let _ = sock.write_all(out.as_bytes()).await;
                    let _ = sock.write_all(&answer.body).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        DocServer { base, answers, hits }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set(&self, path: &str, answer: Answer) {
        self.answers.lock().unwrap().insert(path.to_string(), answer);
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
