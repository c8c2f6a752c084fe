//! The AsyncAPI 3.0 document of the events (I1, X9), made from the one list of event types
//! (`partnerline_proto::catalog`) and the compiled `.proto` files (each payload's fields). It is
//! `docs/asyncapi.yaml`, kept equal to this by a test, and `GET /api/v1/asyncapi.yaml`.

use std::fmt::Write;

use partnerline_proto::catalog::{CONTEXTS, EVENTS, EventType};
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value, json};

const EVENTS_PACKAGE: &str = "partnerline.events.v1";

/// The messages of the events package, by name.
fn messages() -> Vec<DescriptorProto> {
    // The descriptors are compiled into the binary by the proto crate's build script.
    let set = FileDescriptorSet::decode(partnerline_proto::DESCRIPTOR).unwrap_or_default();
    set.file.into_iter().filter(|f| f.package() == EVENTS_PACKAGE).flat_map(|f| f.message_type).collect()
}

/// A message as `.proto` source: what a payload holds, field by field.
fn proto_text(m: &DescriptorProto) -> String {
    let mut out = format!("message {} {{\n", m.name());
    for f in &m.field {
        let ty = match f.r#type() {
            Type::Message | Type::Enum => f.type_name().trim_start_matches('.').to_string(),
            Type::String => "string".into(),
            Type::Bool => "bool".into(),
            Type::Uint32 => "uint32".into(),
            Type::Uint64 => "uint64".into(),
            Type::Int32 => "int32".into(),
            Type::Int64 => "int64".into(),
            Type::Bytes => "bytes".into(),
            Type::Double => "double".into(),
            other => format!("{other:?}").to_lowercase(),
        };
        let label = match (f.label(), f.proto3_optional()) {
            (Label::Repeated, _) => "repeated ",
            (_, true) => "optional ",
            _ => "",
        };
        let _ = writeln!(out, "  {label}{ty} {} = {};", f.name(), f.number());
    }
    out.push('}');
    out
}

fn key(e: &EventType) -> String {
    format!("{}.{}.{}", e.context, e.aggregate, e.event)
}

/// The document, as YAML.
pub fn document() -> String {
    let known = messages();
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut components = Map::new();
    for ctx in CONTEXTS {
        for e in EVENTS.iter().filter(|e| e.context == ctx) {
            let k = key(e);
            let schema = known.iter().find(|m| m.name() == e.message).map(proto_text).unwrap_or_default();
            channels.insert(
                k.clone(),
                json!({
                    "address": format!("{}.{{tenant_id}}.{}.{}", e.context, e.aggregate, e.event),
                    "description": e.summary,
                    "parameters": { "tenant_id": { "description": "The program (tenant) the event is of." } },
                    "messages": { e.message: { "$ref": format!("#/components/messages/{k}") } },
                }),
            );
            operations.insert(
                format!("receive.{k}"),
                json!({
                    "action": "receive",
                    "channel": { "$ref": format!("#/channels/{k}") },
                    "summary": e.summary,
                }),
            );
            components.insert(
                k.clone(),
                json!({
                    "name": e.message,
                    "title": e.ce_type(),
                    "summary": e.summary,
                    "contentType": "application/protobuf",
                    "headers": { "$ref": "#/components/schemas/CloudEventsHeaders" },
                    "payload": {
                        "schemaFormat": "application/vnd.google.protobuf;version=3",
                        "schema": schema,
                    },
                }),
            );
        }
    }
    let header = |d: &str| json!({ "type": "string", "description": d });
    let doc = json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Partnerline events",
            "version": "1",
            "description": "Every state change of every service, published on NATS JetStream from a transactional outbox: subject <context>.<tenant_id>.<aggregate>.<event> in stream <CONTEXT> (with an installation prefix p: p.<context>... in P_<CONTEXT>). Payloads are protobuf (proto/partnerline/events/v1); headers follow the CloudEvents NATS binding. Delivery is at least once: deduplicate by ce-id. docs/events.md and docs/integrators.md say more.",
        },
        "defaultContentType": "application/protobuf",
        "servers": {
            "nats": { "host": "nats:4222", "protocol": "nats", "description": "The installation's NATS with JetStream." },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": components,
            "schemas": {
                "CloudEventsHeaders": {
                    "type": "object",
                    "properties": {
                        "ce-specversion": header("1.0"),
                        "ce-id": header("The event id (UUIDv7); also Nats-Msg-Id."),
                        "ce-type": header("partnerline.<context>.<aggregate>.<event>.v1"),
                        "ce-source": header("/partnerline/<context>"),
                        "ce-subject": header("The aggregate id."),
                        "ce-time": header("RFC 3339, from the service's clock."),
                        "ce-tenantid": header("The tenant."),
                        "traceparent": header("W3C trace context of the request that caused it."),
                    },
                },
            },
        },
    });
    let mut out = String::from(
        "# Generated from partnerline_proto::catalog and the .proto files; do not edit by hand\n# (PARTNERLINE_WRITE_DOCS=1 cargo test -p partnerline-gateway asyncapi writes it).\n",
    );
    yaml(&doc, 0, &mut out);
    out
}

/// YAML of a JSON value: block mappings and sequences, every string double-quoted (so no key or
/// value is read as anything but text).
fn yaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let scalar = |v: &Value| match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    };
    let nested =
        |v: &Value| matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty());
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                let k = serde_json::to_string(k).unwrap_or_default();
                if nested(val) {
                    let _ = writeln!(out, "{pad}{k}:");
                    yaml(val, indent + 2, out);
                } else {
                    let _ = writeln!(out, "{pad}{k}: {}", scalar(val));
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                if nested(item) {
                    let _ = writeln!(out, "{pad}-");
                    yaml(item, indent + 2, out);
                } else {
                    let _ = writeln!(out, "{pad}- {}", scalar(item));
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// X9, I1: the checked-in document is the one the code makes (regenerate it with
    /// `PARTNERLINE_WRITE_DOCS=1`).
    #[test]
    fn x9_i1_docs_asyncapi_yaml_is_the_catalogs_document() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/asyncapi.yaml");
        let made = document();
        if std::env::var("PARTNERLINE_WRITE_DOCS").is_ok() {
            std::fs::write(path, &made).unwrap();
        }
        let kept = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            kept == made,
            "docs/asyncapi.yaml is not what the catalog makes: run PARTNERLINE_WRITE_DOCS=1 cargo test -p partnerline-gateway asyncapi"
        );
    }

    #[test]
    fn x9_every_event_type_names_a_message_of_the_events_package_once() {
        let known: Vec<String> = messages().iter().map(|m| m.name().to_string()).collect();
        for e in EVENTS {
            assert!(known.contains(&e.message.to_string()), "{}: no message {}", key(e), e.message);
            assert!(CONTEXTS.contains(&e.context), "{}", key(e));
            assert_eq!(EVENTS.iter().filter(|o| key(o) == key(e)).count(), 1, "{} twice", key(e));
        }
        let doc = document();
        assert!(doc.contains("\"orders.order.placed\":") && doc.contains("string tenant_id = 1;"), "{doc}");
    }
}
