//! The Partnerline developer workflow: `cargo xtask up | test | bench`.
//!
//! Standard library only, so it builds in seconds on a fresh machine. Both `up` and `test` first
//! make sure PostgreSQL and NATS (with JetStream) are running, starting or installing them on this
//! machine when they are missing (see `infra.rs`).

mod infra;
mod mail;
mod util;

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use util::{Result, exit_code, fail, fmt_duration, http_get_ok, port_open};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  up [--no-seed] [--clock manual]
          make sure PostgreSQL and NATS run (starting or installing them here if needed),
          build partnerline, migrate, seed the demo data and serve everything on
          http://127.0.0.1:8080 until Ctrl-C
  test [-- <cargo test args>]
          the same infrastructure check, then the Helm chart check (deploy/chart-check),
          cargo fmt --check, cargo clippy -D warnings and cargo test --workspace (extra
          arguments go to cargo test)
  bench [scenario...]
          build optimised and run the benchmarks (customers, orders-import, clicks,
          pipeline, replicas, reports), each beside its
          baseline; figures also go to target/bench/<scenario>.json
  image [--keep]
          build the release binary, package it with deploy/Dockerfile (podman), run one
          container per service against this machine's PostgreSQL and NATS, sign in and
          place an order through the containerised gateway (deploy/image.sh)
  help    show this text

environment:
  PARTNERLINE_DATABASE__URL   PostgreSQL server URL (default postgres://postgres@127.0.0.1:5432)
  PARTNERLINE_NATS__URL       NATS URL (default nats://127.0.0.1:4222)
  CARGO_TARGET_DIR            where cargo builds (default <workspace>/target)
";

const GATEWAY: (&str, u16) = ("127.0.0.1", 8080);
const ADMIN: (&str, u16) = ("127.0.0.1", 9090);

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let Some(command) = args.first() else {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let rest = &args[1..];
    match command.as_str() {
        "up" => up(&Ctx::new()?, rest),
        "test" => test(&Ctx::new()?, rest),
        "bench" => bench(&Ctx::new()?, rest),
        "image" => image(&Ctx::new()?, rest),
        // Hidden: just the infrastructure check `up` and `test` start with.
        "infra" => {
            let ctx = Ctx::new()?;
            let infra = infra::check(&ctx.target_dir)?;
            for (key, value) in &infra.env {
                println!("children get {key}={value}");
            }
            Ok(ExitCode::SUCCESS)
        }
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprint!("{USAGE}");
            eprintln!("xtask: unknown command `{other}`");
            Ok(ExitCode::from(2))
        }
    }
}

/// Where things are.
struct Ctx {
    root: PathBuf,
    target_dir: PathBuf,
    /// Set when the user gave a target directory: made absolute, since children run in `root`.
    target_dir_env: Option<PathBuf>,
    cargo: OsString,
}

impl Ctx {
    fn new() -> Result<Ctx> {
        let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = match manifest_dir.parent() {
            Some(root) => root.to_path_buf(),
            None => return fail("cannot find the workspace root"),
        };
        let cwd = env::current_dir()?;
        let user_target = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
            .iter()
            .filter_map(env::var_os)
            .find(|dir| !dir.is_empty())
            .map(|dir| cwd.join(dir));
        Ok(Ctx {
            target_dir: user_target.clone().unwrap_or_else(|| root.join("target")),
            target_dir_env: user_target,
            root,
            cargo: env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
        })
    }

    /// `cargo <args>` in the workspace root, with the environment the infrastructure check chose.
    fn cargo(&self, infra: &infra::Infra, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.args(args).current_dir(&self.root);
        if let Some(dir) = &self.target_dir_env {
            cmd.env("CARGO_TARGET_DIR", dir);
        }
        cmd.envs(infra.env.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

// ---------------------------------------------------------------------------------------------
// up

fn up(ctx: &Ctx, args: &[String]) -> Result<ExitCode> {
    let mut seed = true;
    let mut clock: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--no-seed" => seed = false,
            "--clock" => match it.next() {
                Some(value) => clock = Some(value.clone()),
                None => return fail("--clock needs a value, e.g. --clock manual"),
            },
            other => match other.strip_prefix("--clock=") {
                Some(value) => clock = Some(value.to_string()),
                None => {
                    return fail(format!("up: unknown option `{other}` (see cargo xtask help)"));
                }
            },
        }
    }

    let infra = infra::check(&ctx.target_dir)?;
    infra::ensure_mold();

    step("cargo build -p partnerline");
    let status = ctx
        .cargo(&infra, &strings(&["build", "-p", "partnerline"]))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return fail(format!("cargo build -p partnerline failed ({status})"));
    }
    let bin = ctx.target_dir.join("debug").join("partnerline");
    if !bin.is_file() {
        return fail(format!("cargo built partnerline, but {} does not exist", bin.display()));
    }

    run_partnerline(ctx, &infra, &bin, &["migrate", "--target", "all"])?;
    if seed {
        run_partnerline(ctx, &infra, &bin, &["seed", "--demo"])?;
    }

    for (host, port) in [GATEWAY, ADMIN] {
        if port_open(host, port) {
            return fail(format!(
                "{host}:{port} is already in use (is another `cargo xtask up` running?); stop it first"
            ));
        }
    }
    let mut serve_args = strings(&["serve", "--target", "all"]);
    if let Some(clock) = clock {
        serve_args.extend(["--clock".to_string(), clock]);
    }
    // N4: the demo's emails go to a local SMTP server that writes them to target/mail, unless
    // one is configured.
    let mut mail_env = Vec::new();
    let mailbox = ctx.root.join("target").join("mail");
    let sink = if env::var_os("PARTNERLINE_NOTIFICATIONS__SMTP__HOST").is_none() {
        let port = mail::start(&mailbox).map_err(|e| format!("cannot start the mail sink: {e}"))?;
        mail_env.extend([
            ("PARTNERLINE_NOTIFICATIONS__SMTP__HOST", "127.0.0.1".to_string()),
            ("PARTNERLINE_NOTIFICATIONS__SMTP__PORT", port.to_string()),
            ("PARTNERLINE_NOTIFICATIONS__SMTP__TLS", "none".to_string()),
        ]);
        Some(port)
    } else {
        None
    };
    step(&format!("partnerline {}", serve_args.join(" ")));
    let mut child = partnerline(ctx, &infra, &bin)
        .envs(mail_env)
        .args(&serve_args)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    wait_until_healthy(&mut child)?;
    banner();
    match sink {
        Some(port) => println!(" Emails     {} (a local SMTP server on 127.0.0.1:{port})\n", mailbox.display()),
        None => println!(" Emails     to the SMTP server of PARTNERLINE_NOTIFICATIONS__SMTP__HOST\n"),
    }

    // Ctrl-C reaches the server as well (same process group); it shuts down by itself.
    let status = child.wait()?;
    if !status.success() {
        eprintln!("xtask: partnerline serve exited with {status}");
    }
    Ok(exit_code(status))
}

fn partnerline(ctx: &Ctx, infra: &infra::Infra, bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(&ctx.root);
    // `up` is a development run: the built-in signing key and IP-hash salt (never in production).
    cmd.env("PARTNERLINE_DEV", "true");
    cmd.envs(infra.env.iter().map(|(k, v)| (k, v)));
    cmd
}

fn run_partnerline(ctx: &Ctx, infra: &infra::Infra, bin: &Path, args: &[&str]) -> Result<()> {
    let shown = format!("partnerline {}", args.join(" "));
    step(&shown);
    let status = partnerline(ctx, infra, bin)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !status.success() {
        return fail(format!("{shown} failed ({status})"));
    }
    Ok(())
}

/// Waits up to 120s for `GET /healthz` to answer 200; stops the server if it never does.
fn wait_until_healthy(child: &mut Child) -> Result<()> {
    let (host, port) = GATEWAY;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return fail(format!("partnerline serve exited before it became healthy ({status})"));
        }
        if http_get_ok(host, port, "/healthz") {
            println!("partnerline: healthy after {}", fmt_duration(start.elapsed()));
            return Ok(());
        }
        if start.elapsed() >= Duration::from_secs(120) {
            stop(child);
            return fail(format!(
                "http://{host}:{port}/healthz did not answer 200 within 120s; stopped partnerline serve"
            ));
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// SIGTERM (by way of kill(1)), then SIGKILL if the child is still there after 10s.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn banner() {
    println!(
        "
================================================================================
 Partnerline is up (Ctrl-C stops it)

   Gateway    http://127.0.0.1:8080
   API docs   http://127.0.0.1:8080/api/docs
   OpenAPI    http://127.0.0.1:8080/api/v1/openapi.json
   Metrics    http://127.0.0.1:9090/metrics

 Demo logins
   platform admin                 root@partnerline.test  / demo-root
   merchant admin (program demo)  admin@demo.test        / demo-admin
   sales rep (program demo)       sam@demo.test          / demo-rep
   partners                       ana@demo.test, bo@demo.test,
                                  cy@demo.test (Ana's sub-partner) / demo-partner

 Try
   curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' -d '{{\"email\":\"admin@demo.test\",\"password\":\"demo-admin\"}}'
================================================================================
"
    );
}

// ---------------------------------------------------------------------------------------------
// test

fn test(ctx: &Ctx, extra: &[String]) -> Result<ExitCode> {
    let total = Instant::now();
    let mut infra = infra::check(&ctx.target_dir)?;
    infra::check_browser(&mut infra)?;

    // The Helm chart: rendered, linted and validated against Kubernetes' schemas (a few seconds;
    // the script installs its Python tools into a cache it owns, or says what to install).
    step("[chart] bash deploy/chart-check/run.sh");
    let started = Instant::now();
    let chart = ctx.root.join("deploy/chart-check/run.sh");
    let status = Command::new("bash").arg(&chart).status().map_err(|e| format!("cannot run bash: {e}"))?;
    if !status.success() {
        return fail(format!("step `chart` (bash {}) failed ({status})", chart.display()));
    }
    println!("==> [chart] ok in {}", fmt_duration(started.elapsed()));

    let mut cargo_test = strings(&["test", "--workspace"]);
    cargo_test.extend(extra.iter().cloned());
    let steps = [
        ("fmt", strings(&["fmt", "--all", "--", "--check"])),
        ("clippy", strings(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])),
        ("test", cargo_test),
    ];
    for (name, args) in &steps {
        step(&format!("[{name}] cargo {}", args.join(" ")));
        let started = Instant::now();
        let status = ctx.cargo(&infra, args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
        let took = fmt_duration(started.elapsed());
        if !status.success() {
            return fail(format!("step `{name}` (cargo {}) failed ({status}) after {took}", args.join(" ")));
        }
        println!("==> [{name}] ok in {took}");
    }
    println!("==> all steps passed in {}", fmt_duration(total.elapsed()));
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// bench

/// Builds the benchmarks optimised and runs the named scenarios (all when none is named). Each
/// prints its figures beside its baseline and writes them to `target/bench/<scenario>.json`.
fn bench(ctx: &Ctx, scenarios: &[String]) -> Result<ExitCode> {
    let infra = infra::check(&ctx.target_dir)?;
    // The `replicas` scenario runs commissions as processes of the release binary.
    let build = strings(&["build", "--release", "-p", "partnerline"]);
    step(&format!("cargo {}", build.join(" ")));
    if !ctx.cargo(&infra, &build).status().map_err(|e| format!("cannot run cargo: {e}"))?.success() {
        return fail("cannot build the release binary");
    }
    let mut args = strings(&["bench", "-p", "partnerline-e2e", "--bench", "bench", "--"]);
    args.extend(scenarios.iter().cloned());
    step(&format!("cargo {}", args.join(" ")));
    let status = ctx.cargo(&infra, &args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return fail(format!("the benchmarks failed ({status})"));
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// image

/// Builds the release binary and hands it to `deploy/image.sh`, which packages it with the
/// Dockerfile's `prebuilt` target and runs the containers (see deploy/README.md).
fn image(ctx: &Ctx, extra: &[String]) -> Result<ExitCode> {
    let infra = infra::check(&ctx.target_dir)?;
    let build = strings(&["build", "--release", "-p", "partnerline"]);
    step(&format!("cargo {}", build.join(" ")));
    if !ctx.cargo(&infra, &build).status().map_err(|e| format!("cannot run cargo: {e}"))?.success() {
        return fail("cannot build the release binary");
    }
    let binary = ctx.target_dir.join("release/partnerline");
    step(&format!("bash deploy/image.sh --binary {}", binary.display()));
    let status = Command::new("bash")
        .arg(ctx.root.join("deploy/image.sh"))
        .arg("--binary")
        .arg(&binary)
        .args(extra)
        .current_dir(&ctx.root)
        .status()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !status.success() {
        return fail(format!("deploy/image.sh failed ({status})"));
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------

fn step(what: &str) {
    println!("==> {what}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}
