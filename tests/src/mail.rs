//! A real SMTP server on 127.0.0.1 for the tests (N4): the few commands a client sends (EHLO,
//! MAIL, RCPT, DATA, QUIT), each message kept as received. It can be taken down and brought
//! back on the same port, as a mail server that goes away for a while.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The whole message (headers and body), dot-unstuffed, lines ending in CRLF.
    pub data: String,
}

impl Received {
    /// The message parsed (headers decoded, parts split).
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes()).expect("the sink received a message it can parse")
    }

    pub fn header(&self, name: &str) -> String {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name).unwrap_or_default()
    }

    /// The decoded body of the first part of `mime` (`text/plain`, `text/html`).
    pub fn part(&self, mime: &str) -> String {
        fn find(m: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if m.subparts.is_empty() {
                return (m.ctype.mimetype == mime).then(|| m.get_body().unwrap_or_default());
            }
            m.subparts.iter().find_map(|p| find(p, mime))
        }
        find(&self.parsed(), mime).unwrap_or_default()
    }
}

pub struct MailSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl MailSink {
    pub async fn start() -> MailSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = MailSink { port, received: Arc::default(), server: Mutex::new(None) };
        sink.serve(listener);
        sink
    }

    fn serve(&self, listener: TcpListener) {
        let received = self.received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, received.clone()));
            }
        });
        *self.server.lock().unwrap() = Some(task);
    }

    /// Takes the server down: connections are refused until [`MailSink::resume`].
    pub fn stop(&self) {
        if let Some(t) = self.server.lock().unwrap().take() {
            t.abort();
        }
    }

    /// Brings the server back on its port.
    pub async fn resume(&self) {
        for _ in 0..100 {
            if let Ok(l) = TcpListener::bind(("127.0.0.1", self.port)).await {
                self.serve(l);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the mail sink cannot listen on {} again", self.port);
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until a message to `to` has arrived, and returns the last such.
    pub async fn wait_for(&self, to: &str) -> Received {
        self.wait_for_text(to, "").await
    }

    /// Waits until a message to `to` whose plain text holds `text` has arrived.
    pub async fn wait_for_text(&self, to: &str, text: &str) -> Received {
        for _ in 0..300 {
            let found = self
                .messages()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t == to) && m.part("text/plain").contains(text));
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no email to {to}; the sink has {:?}", self.messages().iter().map(|m| &m.to).collect::<Vec<_>>());
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address inside `<...>` of a MAIL FROM / RCPT TO line.
fn address(line: &str) -> String {
    line.split_once('<').and_then(|(_, r)| r.split_once('>')).map(|(a, _)| a.to_string()).unwrap_or_default()
}

async fn session(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 partnerline-test-sink ESMTP\r\n").await;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 partnerline-test-sink\r\n",
            "MAIL" => {
                from = address(&line);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(address(&line));
                b"250 OK\r\n"
            }
            "DATA" => {
                let _ = write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                received.lock().unwrap().push(Received { from: from.clone(), to: to.clone(), data });
                b"250 OK: queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            }
            _ => b"250 OK\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}
