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
    // I2: webhooks and the event feed carry an event's fields as JSON, named as in the .proto.
    builder = builder.message_attribute(".partnerline.events.v1", "#[derive(serde::Serialize)]");
    std::fs::write(out.join("events_json.rs"), events_json(&fds))?;
    // Two APIs have a `Notice`; one schema name each in the OpenAPI document.
    builder = builder.message_attribute(".partnerline.identity.v1.Notice", "#[schema(as = ProgramNotice)]");
    builder.compile_fds(fds)?;
    Ok(())
}

/// `to_json(message, payload)`: one arm per event message, so the webhooks and the event feed
/// turn any event into JSON without a list of their own.
fn events_json(fds: &prost_types::FileDescriptorSet) -> String {
    let mut arms = String::new();
    for file in fds.file.iter().filter(|f| f.package() == "partnerline.events.v1") {
        for m in &file.message_type {
            let name = m.name();
            arms.push_str(&format!("        \"{name}\" => j::<{name}>(payload),\n"));
        }
    }
    format!(
        "/// The fields of a `partnerline.events.v1.<message>` payload as JSON; `None`: no such message.\n\
         pub fn to_json(message: &str, payload: &[u8]) -> Option<Result<serde_json::Value, prost::DecodeError>> {{\n\
         \x20   fn j<M: prost::Message + Default + serde::Serialize>(p: &[u8]) -> Result<serde_json::Value, prost::DecodeError> {{\n\
         \x20       let m = M::decode(p)?;\n\
         \x20       Ok(serde_json::to_value(&m).unwrap_or_default())\n\
         \x20   }}\n\
         \x20   Some(match message {{\n{arms}        _ => return None,\n    }})\n}}\n"
    )
}
