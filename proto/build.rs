//! Compiles the .proto files with protox (pure Rust), so no system `protoc` is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "partnerline/identity/v1/identity.proto",
        "partnerline/events/v1/identity.proto",
        "partnerline/customers/v1/customers.proto",
        "partnerline/events/v1/customers.proto",
        "partnerline/orders/v1/orders.proto",
        "partnerline/events/v1/orders.proto",
        "partnerline/attribution/v1/attribution.proto",
        "partnerline/events/v1/attribution.proto",
        "partnerline/commissions/v1/commissions.proto",
        "partnerline/events/v1/commissions.proto",
        "partnerline/notifications/v1/notifications.proto",
        "partnerline/events/v1/notifications.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["."])?;
    // The descriptors, for the event catalog's AsyncAPI document (the fields of each message).
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    // Every API's messages are its REST bodies too: JSON (absent fields take their defaults,
    // unknown ones are refused) with an OpenAPI schema, so the gateway needs no copy of each.
    // Identity's ProgramSettings also travel in its events; attribution and commissions keep the
    // last ones as JSON and read them back strictly (a field they do not know is an error).
    let mut builder = tonic_prost_build::configure().build_client(true).build_server(true);
    for package in ["identity", "customers", "orders", "attribution", "commissions", "notifications"] {
        builder = builder.message_attribute(
            format!(".partnerline.{package}.v1"),
            "#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)] #[serde(default, deny_unknown_fields)]",
        );
    }
    // Two APIs have a `Notice`; one schema name each in the OpenAPI document.
    builder = builder.message_attribute(".partnerline.identity.v1.Notice", "#[schema(as = ProgramNotice)]");
    builder.compile_fds(fds)?;
    Ok(())
}
