//! CloudEvents 1.0 over NATS (the binary content mode): event attributes travel as `ce-*`
//! headers, the protobuf payload as the message body, and `Nats-Msg-Id` = `ce-id` so JetStream
//! drops a re-published duplicate.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const SPEC_VERSION: &str = "1.0";
pub const CONTENT_TYPE: &str = "application/protobuf";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEvent {
    pub id: String,
    /// `/partnerline/<context>`
    pub source: String,
    /// `partnerline.<context>.<aggregate>.<event>.v1`
    pub ce_type: String,
    /// The aggregate's id.
    pub subject: String,
    pub time: DateTime<Utc>,
    /// Extension attribute `tenantid`.
    pub tenant: Option<Uuid>,
    pub traceparent: Option<String>,
}

impl CloudEvent {
    pub fn type_name(context: &str, aggregate: &str, event: &str) -> String {
        format!("partnerline.{context}.{aggregate}.{event}.v1")
    }

    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("ce-specversion", SPEC_VERSION.to_string()),
            ("ce-id", self.id.clone()),
            ("ce-source", self.source.clone()),
            ("ce-type", self.ce_type.clone()),
            ("ce-subject", self.subject.clone()),
            ("ce-time", self.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ("content-type", CONTENT_TYPE.to_string()),
            ("Nats-Msg-Id", self.id.clone()),
        ];
        if let Some(t) = self.tenant {
            h.push(("ce-tenantid", t.to_string()));
        }
        if let Some(tp) = &self.traceparent {
            h.push(("traceparent", tp.clone()));
        }
        h
    }

    pub fn to_headers(&self) -> async_nats::HeaderMap {
        let mut map = async_nats::HeaderMap::new();
        for (k, v) in self.to_pairs() {
            map.insert(k, v.as_str());
        }
        map
    }

    pub fn from_headers(h: &async_nats::HeaderMap) -> Result<CloudEvent, String> {
        let get = |k: &str| h.get(k).map(|v| v.as_str().to_string());
        let need = |k: &str| get(k).ok_or_else(|| format!("missing header {k}"));
        if need("ce-specversion")? != SPEC_VERSION {
            return Err("unsupported ce-specversion".into());
        }
        let time = need("ce-time")?;
        Ok(CloudEvent {
            id: need("ce-id")?,
            source: need("ce-source")?,
            ce_type: need("ce-type")?,
            subject: get("ce-subject").unwrap_or_default(),
            time: DateTime::parse_from_rfc3339(&time).map_err(|e| format!("bad ce-time: {e}"))?.with_timezone(&Utc),
            tenant: get("ce-tenantid").and_then(|t| t.parse().ok()),
            traceparent: get("traceparent"),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn headers_round_trip_and_dedupe_on_the_event_id() {
        let ev = CloudEvent {
            id: Uuid::now_v7().to_string(),
            source: "/partnerline/identity".into(),
            ce_type: CloudEvent::type_name("identity", "partner", "approved"),
            subject: "p1".into(),
            time: "2026-05-01T10:00:00.123456Z".parse().unwrap(),
            tenant: Some(Uuid::now_v7()),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        };
        let h = ev.to_headers();
        assert_eq!(h.get("Nats-Msg-Id").unwrap().as_str(), ev.id);
        assert_eq!(ev.ce_type, "partnerline.identity.partner.approved.v1");
        assert_eq!(CloudEvent::from_headers(&h).unwrap(), ev);
    }

    #[test]
    fn a_message_without_cloudevents_headers_is_rejected() {
        assert!(CloudEvent::from_headers(&async_nats::HeaderMap::new()).is_err());
    }
}
