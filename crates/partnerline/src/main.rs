//! `partnerline serve | migrate | seed`: see `--help`.

use clap::{Parser, Subcommand, ValueEnum};
use platform::{Clock, Config, Runtime};
use tokio_util::sync::CancellationToken;

/// mimalloc: every event is decoded, folded and encoded again in small allocations
/// (docs/decisions/2026-12-01-mimalloc.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "partnerline", version, about = "Partnerline: partner sales, attribution and commissions")]
struct Cli {
    /// A development run: the built-in signing key and IP-hash salt, development-only endpoints.
    /// Anyone can forge this installation's tokens; never use it where others can reach it.
    /// (Also `PARTNERLINE_DEV=true`.)
    #[arg(long, global = true)]
    dev: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve services in this process, each on its own port.
    Serve {
        /// `all`, or a comma-separated list of services (identity,customers,gateway).
        #[arg(long, default_value = "all")]
        target: String,
        /// `manual` freezes time until `POST /api/v1/_test/clock` moves it (for black-box tests).
        #[arg(long, value_enum, default_value_t = ClockMode::System)]
        clock: ClockMode,
    },
    /// Apply database migrations, then exit (a Kubernetes Job runs this before an upgrade).
    Migrate {
        #[arg(long, default_value = "all")]
        target: String,
    },
    /// Create data.
    Seed {
        /// The demo program with its admin and partners; safe to run twice.
        #[arg(long, required = true)]
        demo: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ClockMode {
    System,
    Manual,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg = Config::load_as(cli.dev)?;
    let _telemetry = platform::telemetry::init("partnerline", &cfg.telemetry)?;
    cfg.warn_if_dev();
    let shutdown = CancellationToken::new();
    match cli.command {
        Command::Serve { target, clock } => {
            let targets = partnerline::parse_targets(&target)?;
            let clock = match clock {
                ClockMode::System => Clock::system(),
                // Anyone could move time (and mature every hold) through `/api/v1/_test/clock`.
                ClockMode::Manual if !cfg.dev => anyhow::bail!("--clock manual is for development runs only (--dev)"),
                ClockMode::Manual => Clock::manual(chrono_now()),
            };
            platform::shutdown::cancel_on_signal(shutdown.clone());
            let listeners = partnerline::bind(&cfg, &targets).await?;
            let admin = tokio::net::TcpListener::bind(cfg.admin.listen)
                .await
                .map_err(|e| anyhow::anyhow!("admin: cannot listen on {}: {e}", cfg.admin.listen))?;
            let rt = Runtime::new(cfg, clock, shutdown.clone());
            let (metrics, health, clock) = (rt.metrics.clone(), rt.health.clone(), rt.clock.clone());
            let admin = tokio::spawn(platform::admin::serve(admin, metrics, health, shutdown.clone(), clock));
            tracing::info!(targets = ?targets, "serving");
            let served = partnerline::serve(rt, listeners).await;
            shutdown.cancel();
            admin.await??;
            served
        }
        Command::Migrate { target } => {
            let targets = partnerline::parse_targets(&target)?;
            let rt = Runtime::new(cfg, Clock::system(), shutdown);
            partnerline::migrate(&rt, &targets).await
        }
        Command::Seed { demo: _ } => {
            let rt = Runtime::new(cfg, Clock::system(), shutdown);
            let created = partnerline::seed_demo(&rt).await?;
            if created.is_empty() {
                println!("demo data already present; nothing to do");
            }
            for c in created {
                println!("created {c}");
            }
            Ok(())
        }
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    // The one place the real time is read: the manual clock's starting point.
    std::time::SystemTime::now().into()
}
