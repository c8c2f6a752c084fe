//! Prints one program's Partnerline events from JetStream as JSON lines, each once
//! (`docs/integrators.md`).

use clap::Parser;

#[derive(Parser)]
#[command(about = "Prints one program's Partnerline events from JetStream, each once")]
struct Args {
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// The program (tenant) id whose events to read.
    #[arg(long, env = "PARTNERLINE_TENANT")]
    tenant: uuid::Uuid,
    /// The installation's subject prefix (`[nats] prefix`), if it has one.
    #[arg(long, default_value = "")]
    prefix: String,
    /// Names the durable consumers, `<durable>-<context>`: the same name resumes where it stopped.
    #[arg(long, default_value = "integrator")]
    durable: String,
    /// Stop after this many events; 0: run until stopped.
    #[arg(long, default_value_t = 0)]
    limit: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let options = tenant_consumer::Options { nats: a.nats, tenant: a.tenant, prefix: a.prefix, durable: a.durable };
    let mut printed = 0u64;
    tenant_consumer::run(&options, |event| {
        println!("{event}");
        printed += 1;
        a.limit == 0 || printed < a.limit
    })
    .await
}
