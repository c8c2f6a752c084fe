//! The infrastructure check shared by `up`, `test` and `infra`: PostgreSQL and NATS (with
//! JetStream) must be reachable; on this machine they are started, or installed with apt, when
//! they are missing. Also the optional mold linker.

use std::env;
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{
    Privilege, Result, apt_install, apt_usable, as_root_hint, fail, find_program, info_has_jetstream, is_loopback,
    on_path, parse_host_port, port_open, privilege, privileged_command, read_first_line, tail, tcp_connect,
    wait_for_port, with_database,
};

pub const DATABASE_URL_VAR: &str = "PARTNERLINE_DATABASE__URL";
pub const NATS_URL_VAR: &str = "PARTNERLINE_NATS__URL";

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432";
/// The password `up` gives the `postgres` role on a cluster it installed or started itself whose
/// pg_hba.conf wants passwords on TCP (Debian's default).
const PASSWORD_PG_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432";
const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// What the check decided: environment variables for the child processes.
#[derive(Debug, Default)]
pub struct Infra {
    pub env: Vec<(String, String)>,
}

/// Makes sure PostgreSQL and NATS with JetStream are up, printing one line for each.
pub fn check(target_dir: &Path) -> Result<Infra> {
    let mut infra = Infra::default();
    if let Some(url) = check_postgres()? {
        infra.env.push((DATABASE_URL_VAR.to_string(), url));
    }
    check_nats(target_dir)?;
    Ok(infra)
}

/// Installs mold when it is missing and apt can be used; otherwise prints a note. Never fails.
pub fn ensure_mold() {
    if let Some(path) = on_path("mold") {
        println!("mold: found ({})", path.display());
        return;
    }
    if !apt_usable() {
        println!(
            "mold: not installed; linking with the default linker (for faster builds: {})",
            as_root_hint("apt-get install -y mold")
        );
        return;
    }
    match apt_install("mold") {
        Ok(()) if on_path("mold").is_some() => println!("mold: installed (links faster)"),
        Ok(()) => println!("mold: installed, but not on PATH; linking with the default linker"),
        Err(e) => println!("mold: could not install ({e}); linking with the default linker"),
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// Returns the database URL the children should use when it differs from what they would use anyway.
fn check_postgres() -> Result<Option<String>> {
    let user_url = env::var(DATABASE_URL_VAR).ok().filter(|u| !u.trim().is_empty());
    let (host, port) = match &user_url {
        Some(url) => match parse_host_port(url, 5432) {
            Some(hp) => hp,
            None => {
                println!("postgres: using {DATABASE_URL_VAR} as given (no host:port in it to check)");
                return Ok(None);
            }
        },
        None => ("127.0.0.1".to_string(), 5432),
    };
    let from = if user_url.is_some() { format!(" (from {DATABASE_URL_VAR})") } else { String::new() };

    let mut started_by_us = None;
    if !port_open(&host, port) {
        if !is_loopback(&host) {
            return fail(format!(
                "PostgreSQL at {host}:{port}{from} is not reachable; start it or point {DATABASE_URL_VAR} at a running server"
            ));
        }
        started_by_us = Some(start_local_postgres(&host, port)?);
    }
    let how = match &started_by_us {
        Some(what) => format!("{what}, listening on {host}:{port}"),
        None => format!("found at {host}:{port}{from}"),
    };

    let Some(psql) = find_program("psql") else {
        println!("postgres: {how} (psql not installed, login not checked)");
        return Ok(None);
    };
    let wait = if started_by_us.is_some() { Duration::from_secs(15) } else { Duration::from_secs(2) };
    let url = user_url.clone().unwrap_or_else(|| DEFAULT_PG_URL.to_string());
    match psql_login(&psql, &url, wait)? {
        Login::Ok => {
            println!("postgres: {how} (login ok)");
            Ok(None)
        }
        Login::Failed(msg) => {
            fail(format!("PostgreSQL at {host}:{port}{from} accepts connections, but logging in failed:\n    {msg}"))
        }
        Login::AuthFailed(msg) => {
            if user_url.is_some() {
                return fail(format!(
                    "PostgreSQL at {host}:{port} rejected the credentials in {DATABASE_URL_VAR}:\n    {msg}\nfix the user/password in {DATABASE_URL_VAR}"
                ));
            }
            // An earlier `cargo xtask up` may already have given the role its password.
            if psql_login(&psql, PASSWORD_PG_URL, Duration::ZERO)? == Login::Ok {
                println!(
                    "postgres: {how} (login ok as postgres with password 'postgres', set by an earlier xtask run)"
                );
                return Ok(Some(PASSWORD_PG_URL.to_string()));
            }
            if started_by_us.is_some() && privilege() == Privilege::Root {
                set_postgres_password()?;
                match psql_login(&psql, PASSWORD_PG_URL, Duration::from_secs(5))? {
                    Login::Ok => {
                        println!(
                            "postgres: {how} (gave role postgres the password 'postgres'; children use {PASSWORD_PG_URL})"
                        );
                        return Ok(Some(PASSWORD_PG_URL.to_string()));
                    }
                    Login::AuthFailed(m) | Login::Failed(m) => {
                        return fail(format!(
                            "set the password of role postgres, but still cannot log in over TCP:\n    {m}"
                        ));
                    }
                }
            }
            fail(format!(
                "PostgreSQL at {host}:{port} requires a password for user postgres over TCP:\n    {msg}\n\
                 either point {DATABASE_URL_VAR} at it with a password, e.g.\n    \
                 export {DATABASE_URL_VAR}=postgres://postgres:<password>@{host}:{port}\n\
                 or give the role the password 'postgres' (xtask then uses it automatically):\n    \
                 {}",
                as_root_hint("su postgres -c \"psql -c \\\"ALTER USER postgres PASSWORD 'postgres'\\\"\"")
            ))
        }
    }
}

/// Starts (installing first if needed) Debian's PostgreSQL; returns what was done.
fn start_local_postgres(host: &str, port: u16) -> Result<String> {
    let mut installed = false;
    if pg_versions().is_empty() {
        println!("postgres: nothing listens on {host}:{port} and PostgreSQL is not installed");
        apt_install("postgresql")?;
        installed = true;
        // The package's maintainer scripts may have started the new cluster already.
        if wait_for_port(host, port, Duration::from_secs(5)) {
            return Ok("installed postgresql with apt".to_string());
        }
    }
    let Some(version) = pg_versions().into_iter().next() else {
        return fail(format!(
            "PostgreSQL is installed but has no cluster under /etc/postgresql; create and start one:\n    {}",
            as_root_hint("pg_createcluster <version> main --start")
        ));
    };
    let args = ["--skip-systemctl-redirect", version.as_str(), "main", "start"];
    let shown = as_root_hint(&format!("pg_ctlcluster {}", args.join(" ")));
    let Some(pg_ctlcluster) = find_program("pg_ctlcluster") else {
        return fail(format!(
            "PostgreSQL {version} is installed but pg_ctlcluster is missing; start the server yourself"
        ));
    };
    println!("postgres: starting cluster {version}/main");
    let output = privileged_command(&pg_ctlcluster, &args, &[]).stdin(Stdio::null()).output()?;
    if !wait_for_port(host, port, Duration::from_secs(20)) {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return fail(format!(
            "started PostgreSQL cluster {version}/main ({}), but nothing listens on {host}:{port} after 20s{}\n\
             start it yourself and check its port with pg_lsclusters:\n    {shown}",
            output.status,
            if said.is_empty() { String::new() } else { format!(":\n    {said}") },
        ));
    }
    Ok(if installed {
        format!("installed postgresql with apt and started cluster {version}/main")
    } else {
        format!("started cluster {version}/main")
    })
}

/// Installed server versions (directories under /etc/postgresql with a `main` cluster), newest first.
fn pg_versions() -> Vec<String> {
    let Ok(entries) = fs::read_dir("/etc/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("main").is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    versions
        .sort_by_key(|v| std::cmp::Reverse(v.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>()));
    versions
}

#[derive(Debug, PartialEq, Eq)]
enum Login {
    Ok,
    AuthFailed(String),
    Failed(String),
}

/// `psql <url>/postgres -c "select 1"`, never prompting for a password; retried for up to
/// `wait` while the server is still starting.
fn psql_login(psql: &Path, url: &str, wait: Duration) -> Result<Login> {
    let url = with_database(url, "postgres");
    let start = Instant::now();
    loop {
        let output = Command::new(psql)
            .args(["-X", "-w", "-q", "-t", "-A"])
            .arg(&url)
            .args(["-c", "select 1"])
            .env("PGCONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .output()?;
        if output.status.success() {
            return Ok(Login::Ok);
        }
        let msg = String::from_utf8_lossy(&output.stderr).trim().to_string();
        let lower = msg.to_lowercase();
        if lower.contains("authentication failed") || lower.contains("no password supplied") {
            return Ok(Login::AuthFailed(msg));
        }
        let transient = lower.contains("starting up") || lower.contains("connection refused");
        if !transient || start.elapsed() >= wait {
            return Ok(Login::Failed(msg));
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// Gives role postgres the password 'postgres' (as the postgres OS user over the local socket).
fn set_postgres_password() -> Result<()> {
    println!("postgres: passwordless TCP login refused; giving role postgres the password 'postgres'");
    let output = Command::new("su")
        .args(["postgres", "-c", "psql -X -q -c \"ALTER USER postgres PASSWORD 'postgres'\""])
        .current_dir("/")
        .stdin(Stdio::null())
        .output()?;
    if !output.status.success() {
        return fail(format!(
            "could not set the password of role postgres ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// NATS

fn check_nats(target_dir: &Path) -> Result<()> {
    let user_url = env::var(NATS_URL_VAR).ok().filter(|u| !u.trim().is_empty());
    let url = user_url.as_deref().unwrap_or(DEFAULT_NATS_URL);
    let Some((host, port)) = parse_host_port(url, 4222) else {
        println!("nats: using {NATS_URL_VAR} as given (no host:port in it to check)");
        return Ok(());
    };
    let from = if user_url.is_some() { format!(" (from {NATS_URL_VAR})") } else { String::new() };

    if let Some(stream) = tcp_connect(&host, port, Duration::from_secs(1)) {
        require_jetstream(stream, &host, port)?;
        println!("nats: found at {host}:{port}{from} (JetStream enabled)");
        return Ok(());
    }
    if !is_loopback(&host) {
        return fail(format!(
            "NATS at {host}:{port}{from} is not reachable; start it (with -js) or point {NATS_URL_VAR} at a running server"
        ));
    }

    let server = match find_program("nats-server") {
        Some(path) => path,
        None => {
            println!("nats: nothing listens on {host}:{port} and nats-server is not installed");
            apt_install("nats-server")?;
            match find_program("nats-server") {
                Some(path) => path,
                None => {
                    return fail("installed nats-server, but cannot find the nats-server program");
                }
            }
        }
    };
    // A freshly installed package may run a service of its own.
    if let Some(stream) = tcp_connect(&host, port, Duration::from_secs(1)) {
        require_jetstream(stream, &host, port)?;
        println!("nats: found at {host}:{port} after installing nats-server (JetStream enabled)");
        return Ok(());
    }

    let (log, store) = start_nats_server(&server, port, target_dir)?;
    println!(
        "nats: started local nats-server on 127.0.0.1:{port} with JetStream (log: {}, data: {})",
        log.display(),
        store.display()
    );
    Ok(())
}

/// Starts `nats-server -js` detached (it keeps running after xtask exits); returns its log and
/// store directory.
fn start_nats_server(server: &Path, port: u16, target_dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = target_dir.join("xtask");
    let store = dir.join("nats");
    fs::create_dir_all(&store).map_err(|e| format!("cannot create {}: {e}", store.display()))?;
    let log_path = dir.join("nats.log");
    let log = File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let port_arg = port.to_string();
    let args = ["-a", "127.0.0.1", "-p", port_arg.as_str(), "-js", "-sd"];
    let mut cmd = match on_path("setsid") {
        // Own session: neither Ctrl-C in this terminal nor closing it stops the server.
        Some(setsid) => {
            let mut cmd = Command::new(setsid);
            cmd.arg(server);
            cmd
        }
        None => {
            let mut cmd = Command::new(server);
            cmd.process_group(0);
            cmd
        }
    };
    cmd.args(args).arg(&store).stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    println!("nats: starting {} {} {}", server.display(), args.join(" "), store.display());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start nats-server: {e}"))?;

    let start = Instant::now();
    loop {
        if let Some(stream) = tcp_connect("127.0.0.1", port, Duration::from_millis(500)) {
            require_jetstream(stream, "127.0.0.1", port)?;
            // Not waited for on purpose: the server outlives xtask.
            drop(child);
            return Ok((log_path, store));
        }
        if let Some(status) = child.try_wait()? {
            return fail(format!(
                "nats-server exited at once ({status}); the end of {}:\n{}",
                log_path.display(),
                tail(&log_path, 15)
            ));
        }
        if start.elapsed() >= Duration::from_secs(10) {
            return fail(format!(
                "started nats-server (pid {}), but 127.0.0.1:{port} does not answer after 10s; see {}",
                child.id(),
                log_path.display()
            ));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Reads the server's `INFO` line and insists that JetStream is enabled.
fn require_jetstream(stream: std::net::TcpStream, host: &str, port: u16) -> Result<()> {
    let line = read_first_line(stream, Duration::from_secs(3))
        .map_err(|e| format!("NATS at {host}:{port} accepted a connection but sent nothing ({e})"))?;
    if !line.starts_with("INFO") {
        return fail(format!(
            "{host}:{port} does not look like a NATS server (it said {:?})",
            line.chars().take(80).collect::<String>()
        ));
    }
    if !info_has_jetstream(&line) {
        return fail(format!("NATS at {host}:{port} runs without JetStream; start it with -js (e.g. nats-server -js)"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The browser of the page tests

/// axe-core's version line the page tests run (npm, into a cache of ours).
const AXE_CORE: &str = "axe-core@4";

/// Chromium and chromedriver (Debian's, with apt), CJK fonts for the Chinese pages'
/// screenshots (best effort) and axe-core (npm) for the page tests; their paths go to the tests
/// in the environment. Fails, saying what to install, when a required one cannot be had.
pub fn check_browser(infra: &mut Infra) -> Result<()> {
    for (program, package) in [("chromium", "chromium"), ("chromedriver", "chromium-driver")] {
        if find_program(program).is_none() {
            apt_install(package)?;
        }
        let path = find_program(program)
            .ok_or_else(|| format!("{program} is still missing after installing {package}; install it yourself"))?;
        println!("{program}: found ({})", path.display());
        let var = if program == "chromium" { "PARTNERLINE_CHROMIUM" } else { "PARTNERLINE_CHROMEDRIVER" };
        infra.env.push((var.to_string(), path.display().to_string()));
    }
    if !Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists() && apt_usable() {
        // Without them Chinese text is drawn as boxes in the screenshots; the tests pass either way.
        if let Err(e) = apt_install("fonts-noto-cjk") {
            println!("fonts-noto-cjk: not installed ({e}); Chinese screenshots will show boxes");
        }
    }
    let home = env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let dir = home.join(".cache/partnerline/axe");
    let axe = dir.join("node_modules/axe-core/axe.min.js");
    if !axe.exists() {
        let npm = on_path("npm").ok_or_else(|| {
            format!(
                "npm is needed to install {AXE_CORE} for the page tests; {}",
                as_root_hint("apt-get install -y npm")
            )
        })?;
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let status = Command::new(npm)
            .args(["install", "--prefix"])
            .arg(&dir)
            .args([AXE_CORE, "--no-audit", "--no-fund", "--silent"])
            .status()
            .map_err(|e| format!("cannot run npm: {e}"))?;
        if !status.success() || !axe.exists() {
            return fail(format!(
                "npm install {AXE_CORE} failed ({status}); run `npm install --prefix {} {AXE_CORE}`",
                dir.display()
            ));
        }
    }
    println!("axe-core: found ({})", axe.display());
    infra.env.push(("PARTNERLINE_AXE_JS".to_string(), axe.display().to_string()));
    Ok(())
}
