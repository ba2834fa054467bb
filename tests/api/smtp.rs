//! A small SMTP receiver for the email tests (RFC 5321 as lettre speaks it: EHLO/HELO, MAIL FROM,
//! RCPT TO, DATA, RSET, NOOP, QUIT) on 127.0.0.1, keeping every message it is given.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as received: the envelope and the DATA (dot-unstuffed).
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The path and query of the first link to `path` in the message (`/reset?token=...`).
    pub fn link(&self, path: &str) -> String {
        let body = self.body();
        let start = body
            .find(&format!("{path}?token="))
            .unwrap_or_else(|| panic!("no {path} link in {}", self.data));
        body[start..]
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl Received {
    /// The body after the header, quoted-printable or base64 decoded when the message says so.
    pub fn body(&self) -> String {
        let (head, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        if head.contains("Content-Transfer-Encoding: base64") {
            use base64::Engine;
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap_or_default();
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        if !head.contains("Content-Transfer-Encoding: quoted-printable") {
            return body.to_string();
        }
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match (bytes[i], bytes.get(i + 1..i + 3)) {
                (b'=', Some(hex)) if hex.iter().all(u8::is_ascii_hexdigit) => {
                    let s = std::str::from_utf8(hex).unwrap_or("00");
                    out.push(u8::from_str_radix(s, 16).unwrap_or(b'?'));
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The receiver: its port and what it got.
#[derive(Clone)]
pub struct Inbox {
    pub port: u16,
    mails: Arc<Mutex<Vec<Received>>>,
}

impl Inbox {
    pub async fn start() -> Inbox {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&mails);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, Arc::clone(&keep)));
            }
        });
        Inbox { port, mails }
    }

    /// Every message so far.
    pub fn all(&self) -> Vec<Received> {
        self.mails.lock().expect("inbox").clone()
    }

    /// Messages to `address` so far.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (up to 10 s) until `n` messages to `address` have arrived; returns the last.
    pub async fn wait_for(&self, address: &str, n: usize) -> Received {
        for _ in 0..200 {
            let got = self.to(address);
            if got.len() >= n {
                return got[n - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail #{n} to {address}; inbox: {:?}", self.all());
    }

    /// Gives mail that is on its way time to arrive, then counts what `address` got.
    pub async fn settled_count(&self, address: &str) -> usize {
        tokio::time::sleep(Duration::from_millis(700)).await;
        self.to(address).len()
    }
}

fn addr(arg: &str) -> String {
    let a = arg.split_once(':').map(|(_, v)| v).unwrap_or(arg).trim();
    let a = a.split_whitespace().next().unwrap_or_default();
    a.trim_start_matches('<').trim_end_matches('>').to_string()
}

async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let (mut from, mut to) = (String::new(), Vec::new());
    if write.write_all(b"220 test ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let cmd = line.trim_end().to_string();
        let verb = cmd
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
            "HELO" => b"250 test\r\n",
            "MAIL" => {
                from = addr(&cmd);
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(addr(&cmd));
                b"250 OK\r\n"
            }
            "DATA" => {
                if write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.is_err() {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                mails.lock().expect("inbox").push(Received {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 OK queued\r\n"
            }
            "RSET" => {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
