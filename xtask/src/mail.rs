//! A local SMTP server for `cargo xtask up`, so the demo's emails (N4) can be read: each
//! message it takes is written to `target/mail/<n>.eml`. Plain SMTP on 127.0.0.1 only: the few
//! commands a client sends (EHLO, MAIL, RCPT, DATA, QUIT).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// Listens on the first free port from 2525 and writes what it takes into `dir`; returns the port.
pub fn start(dir: &Path) -> std::io::Result<u16> {
    fs::create_dir_all(dir)?;
    let listener = (2525..2545)
        .find_map(|p| TcpListener::bind(("127.0.0.1", p)).ok())
        .ok_or_else(|| std::io::Error::other("no free port in 2525..2545 for the mail sink"))?;
    let port = listener.local_addr()?.port();
    let dir = dir.to_path_buf();
    let count = Arc::new(AtomicUsize::new(fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0)));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (dir, count) = (dir.clone(), count.clone());
            thread::spawn(move || {
                let _ = session(stream, &dir, &count);
            });
        }
    });
    Ok(port)
}

fn session(stream: TcpStream, dir: &Path, count: &AtomicUsize) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 partnerline-xtask-sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                let path: PathBuf = dir.join(format!("{n:04}.eml"));
                fs::write(&path, data)?;
                println!("mail: {}", path.display());
                out.write_all(b"250 OK: queued\r\n")?;
            }
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"250 OK\r\n")?,
        }
    }
}
