//! `partnerline-identity`: the identity service alone, for its own container.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = platform::Config::load()?;
    let _telemetry = platform::telemetry::init(identity::SERVICE, &cfg.telemetry)?;
    cfg.warn_if_dev();
    let shutdown = tokio_util::sync::CancellationToken::new();
    platform::shutdown::cancel_on_signal(shutdown.clone());
    let listener = tokio::net::TcpListener::bind(cfg.endpoint(identity::SERVICE)?.listen).await?;
    let admin = tokio::net::TcpListener::bind(cfg.admin.listen).await?;
    let rt = platform::Runtime::new(cfg, platform::Clock::system(), shutdown.clone());
    let admin = tokio::spawn(platform::admin::serve(admin, rt.metrics.clone(), rt.health.clone(), shutdown));
    identity::run(rt, listener).await?;
    admin.await??;
    Ok(())
}
