//! Small helpers shared by the subcommands: errors, program lookup, TCP and HTTP probes, URL parsing.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// An error with the given message.
pub fn fail<T>(msg: impl Into<String>) -> Result<T> {
    Err(msg.into().into())
}

/// The full path of `name` if it is an executable on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

/// Like [`on_path`], but also looks in the sbin directories, which a normal user's `PATH` on Debian
/// lacks (`nats-server` lives in /usr/sbin).
pub fn find_program(name: &str) -> Option<PathBuf> {
    on_path(name).or_else(|| {
        ["/usr/local/sbin", "/usr/sbin", "/sbin"].iter().map(|dir| Path::new(dir).join(name)).find(|p| is_executable(p))
    })
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// How we may run commands that need root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    Root,
    /// Passwordless `sudo -n` works.
    Sudo,
    None,
}

/// Whether we are root, can use passwordless sudo, or neither (computed once).
pub fn privilege() -> Privilege {
    static PRIVILEGE: OnceLock<Privilege> = OnceLock::new();
    *PRIVILEGE.get_or_init(|| {
        let is_root = Command::new("id")
            .arg("-u")
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        if is_root {
            return Privilege::Root;
        }
        let sudo_ok = on_path("sudo").is_some()
            && Command::new("sudo")
                .args(["-n", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
        if sudo_ok { Privilege::Sudo } else { Privilege::None }
    })
}

/// A command for `program args...`, prefixed with `sudo -n` when we are not root but may use sudo.
/// Environment variables in `envs` are passed through `env` so that sudo's env_reset keeps them.
pub fn privileged_command<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S], envs: &[(&str, &str)]) -> Command {
    let mut cmd = if privilege() == Privilege::Sudo {
        let mut cmd = Command::new("sudo");
        cmd.args(["-n", "env"]);
        for (k, v) in envs {
            cmd.arg(format!("{k}={v}"));
        }
        cmd.arg(program.as_ref());
        cmd
    } else {
        let mut cmd = Command::new(program.as_ref());
        cmd.envs(envs.iter().copied());
        cmd
    };
    cmd.args(args);
    cmd
}

/// The command a user should type to do `cmd` as root.
pub fn as_root_hint(cmd: &str) -> String {
    if privilege() == Privilege::Root { cmd.to_string() } else { format!("sudo {cmd}") }
}

/// Whether packages can be installed with apt-get (apt-get exists and we are root or may use sudo).
pub fn apt_usable() -> bool {
    on_path("apt-get").is_some() && privilege() != Privilege::None
}

/// `apt-get install -y <pkg>`, retried once after `apt-get update` if it fails.
pub fn apt_install(pkg: &str) -> Result<()> {
    let hint = as_root_hint(&format!("apt-get install -y {pkg}"));
    if on_path("apt-get").is_none() {
        return fail(format!(
            "{pkg} is needed but not installed, and apt-get is not available; install {pkg} with your package manager"
        ));
    }
    if privilege() == Privilege::None {
        return fail(format!(
            "{pkg} is needed but not installed, and installing it needs root (passwordless sudo is not available); run:\n    {hint}\nand try again"
        ));
    }
    let envs = [("DEBIAN_FRONTEND", "noninteractive")];
    let install = || privileged_command("apt-get", &["install", "-y", pkg], &envs).stdin(Stdio::null()).status();
    println!("{pkg}: installing: {hint}");
    if install()?.success() {
        return Ok(());
    }
    println!("{pkg}: apt-get install failed; running apt-get update and retrying");
    let update = privileged_command("apt-get", &["update"], &envs).stdin(Stdio::null()).status()?;
    if !update.success() {
        return fail(format!("apt-get update failed ({update}); install {pkg} by hand:\n    {hint}"));
    }
    let status = install()?;
    if !status.success() {
        return fail(format!("apt-get install -y {pkg} failed ({status}); install it by hand:\n    {hint}"));
    }
    Ok(())
}

/// A TCP connection to `host:port` (any of its addresses), or `None` if none answers within `timeout`.
pub fn tcp_connect(host: &str, port: u16, timeout: Duration) -> Option<TcpStream> {
    let addrs = (host, port).to_socket_addrs().ok()?;
    addrs.into_iter().find_map(|addr| TcpStream::connect_timeout(&addr, timeout).ok())
}

pub fn port_open(host: &str, port: u16) -> bool {
    tcp_connect(host, port, Duration::from_millis(500)).is_some()
}

/// Polls until `host:port` accepts connections or `total` has passed.
pub fn wait_for_port(host: &str, port: u16, total: Duration) -> bool {
    let start = Instant::now();
    loop {
        if port_open(host, port) {
            return true;
        }
        if start.elapsed() >= total {
            return false;
        }
        thread::sleep(Duration::from_millis(250));
    }
}

/// Reads the first line a server sends on `stream` (at most 64 KiB, waiting at most `timeout`).
pub fn read_first_line(stream: TcpStream, timeout: Duration) -> Result<String> {
    stream.set_read_timeout(Some(timeout))?;
    let mut line = String::new();
    BufReader::new(stream.take(64 * 1024)).read_line(&mut line)?;
    Ok(line.trim_end().to_string())
}

/// `GET <path>` on `host:port` by hand; true if the answer's status is 200.
pub fn http_get_ok(host: &str, port: u16, path: &str) -> bool {
    let Some(mut stream) = tcp_connect(host, port, Duration::from_secs(1)) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(3));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    match read_first_line(stream, Duration::from_secs(3)) {
        Ok(line) => status_line_is_ok(&line),
        Err(_) => false,
    }
}

/// Whether an HTTP status line (`HTTP/1.1 200 OK`) says 200.
pub fn status_line_is_ok(line: &str) -> bool {
    let mut parts = line.split_whitespace();
    matches!(parts.next(), Some(v) if v.starts_with("HTTP/")) && parts.next() == Some("200")
}

/// Host and port out of a URL such as `postgres://user:pw@10.0.0.1:6543/db` or `nats://h:4222`
/// (or a bare `host:port`); `default_port` when it names none. For a NATS server list
/// (`nats://a:4222,nats://b:4222`) the first server is taken. `None` when there is no host.
pub fn parse_host_port(url: &str, default_port: u16) -> Option<(String, u16)> {
    let first = url.trim().split(',').next()?.trim();
    let rest = first.split_once("://").map_or(first, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => p.parse().ok()?,
    };
    Some((host.to_string(), port))
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Whether a NATS `INFO {...}` line says JetStream is enabled (`"jetstream":true`).
pub fn info_has_jetstream(line: &str) -> bool {
    let Some(json) = line.trim_start().strip_prefix("INFO") else {
        return false;
    };
    let key = "\"jetstream\"";
    let mut rest = json;
    while let Some(at) = rest.find(key) {
        rest = &rest[at + key.len()..];
        if let Some(value) = rest.trim_start().strip_prefix(':')
            && value.trim_start().starts_with("true")
        {
            return true;
        }
    }
    false
}

/// `url` with database `db` appended, unless it already names one (`postgres://h:5432` →
/// `postgres://h:5432/postgres`; query parameters are kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let base = base.trim_end_matches('/');
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    if base[authority_start..].contains('/') { url.to_string() } else { format!("{base}/{db}{query}") }
}

/// `1.2s`, or `3m07s` from a minute on.
pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// The process exit code that mirrors a child's exit status (128 + signal when it was killed).
pub fn exit_code(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        ExitCode::from(u8::try_from(code).unwrap_or(1))
    } else if let Some(signal) = status.signal() {
        ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
    } else {
        ExitCode::FAILURE
    }
}

/// The last `n` lines of a file (for showing a log after a failure).
pub fn tail(path: &Path, n: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(host: &str, port: u16) -> Option<(String, u16)> {
        Some((host.to_string(), port))
    }

    #[test]
    fn parses_host_and_port() {
        assert_eq!(parse_host_port("postgres://postgres:pw@10.0.0.1:6543", 5432), hp("10.0.0.1", 6543));
        assert_eq!(parse_host_port("postgres://postgres@127.0.0.1:5432", 5432), hp("127.0.0.1", 5432));
        assert_eq!(
            parse_host_port("postgres://db.internal/partnerline?sslmode=disable", 5432),
            hp("db.internal", 5432)
        );
        assert_eq!(parse_host_port("postgres://u:p%40ss@localhost:5433/", 5432), hp("localhost", 5433));
        assert_eq!(parse_host_port("nats://127.0.0.1:4222", 4222), hp("127.0.0.1", 4222));
        assert_eq!(parse_host_port("nats://nats.local", 4222), hp("nats.local", 4222));
        assert_eq!(parse_host_port("nats://a:4223, nats://b:4224", 4222), hp("a", 4223));
        assert_eq!(parse_host_port("[::1]:4222", 1), hp("::1", 4222));
        assert_eq!(parse_host_port("postgres://[::1]", 5432), hp("::1", 5432));
        assert_eq!(parse_host_port("127.0.0.1:4222", 1), hp("127.0.0.1", 4222));
        assert_eq!(parse_host_port("postgres://h:", 5432), hp("h", 5432));
    }

    #[test]
    fn rejects_urls_without_a_usable_host() {
        assert_eq!(parse_host_port("postgres://", 5432), None);
        assert_eq!(parse_host_port("postgres:///db?host=/run/postgresql", 5432), None);
        assert_eq!(parse_host_port("postgres://h:notaport", 5432), None);
        assert_eq!(parse_host_port("postgres://h:99999", 5432), None);
    }

    #[test]
    fn detects_jetstream() {
        let on = r#"INFO {"server_id":"X","version":"2.9.10","headers":true,"jetstream":true,"client_id":5}"#;
        let off = r#"INFO {"server_id":"X","version":"2.9.10","headers":true,"client_id":5}"#;
        let disabled = r#"INFO {"server_id":"X","jetstream":false}"#;
        let spaced = r#"INFO { "jetstream" : true }"#;
        assert!(info_has_jetstream(on));
        assert!(info_has_jetstream(spaced));
        assert!(!info_has_jetstream(off));
        assert!(!info_has_jetstream(disabled));
        assert!(!info_has_jetstream(r#"-ERR "jetstream":true"#));
        assert!(!info_has_jetstream(""));
    }

    #[test]
    fn recognises_loopback_hosts() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("10.0.0.1"));
        assert!(!is_loopback("db.internal"));
    }

    #[test]
    fn appends_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/", "postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(
            with_database("postgres://h:5432?sslmode=disable", "postgres"),
            "postgres://h:5432/postgres?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:5432/other", "postgres"), "postgres://h:5432/other");
    }

    #[test]
    fn reads_http_status_lines() {
        assert!(status_line_is_ok("HTTP/1.1 200 OK"));
        assert!(status_line_is_ok("HTTP/1.1 200"));
        assert!(!status_line_is_ok("HTTP/1.1 503 Service Unavailable"));
        assert!(!status_line_is_ok("HTTP/1.1 2000 X"));
        assert!(!status_line_is_ok(""));
    }

    #[test]
    fn formats_durations() {
        assert_eq!(fmt_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(fmt_duration(Duration::from_secs(187)), "3m07s");
    }
}
