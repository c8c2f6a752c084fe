//! A1: what a person wants to be told, topic by topic, in the app and by email.

use partnerline_proto::notifications::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use platform::error::FieldError;

use super::NotificationsService;
use crate::domain::{self, Recipient, Topic};
use crate::store;

/// The inbox whose preferences the caller reads and sets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PreferenceInbox {
    pub tenant: uuid::Uuid,
    pub inbox: Recipient,
}

impl platform::grpc::FromCaller for PreferenceInbox {
    fn from_caller(p: platform::auth::Principal, _token: &str) -> Result<PreferenceInbox, AppError> {
        Ok(PreferenceInbox { tenant: p.tenant()?, inbox: domain::preference_inbox(&p)? })
    }
}

fn answer(topics: &[Topic], set: &[(String, bool, bool)]) -> pb::Preferences {
    let items = topics
        .iter()
        .map(|t| {
            let (in_app, email) =
                set.iter().find(|(name, _, _)| name == t.name).map_or((true, true), |(_, a, e)| (*a, *e));
            pb::Preference {
                topic: t.name.to_string(),
                in_app: in_app && t.in_app,
                email: email && t.email,
                has_in_app: t.in_app,
                has_email: t.email,
            }
        })
        .collect();
    pb::Preferences { items }
}

impl NotificationsService {
    pub(super) async fn get_preferences_impl(&self, i: PreferenceInbox) -> Result<pb::Preferences, AppError> {
        let mut tx = TenantTx::begin(&self.pool, i.tenant).await?;
        let set = store::preferences(&mut tx, &i.inbox.key()).await?;
        tx.commit().await?;
        Ok(answer(domain::topics(i.inbox), &set))
    }

    /// Sets the topics named; a topic of another inbox, twice, or an email where the topic has
    /// none is refused, naming the item, and nothing changes.
    pub(super) async fn update_preferences_impl(
        &self,
        i: PreferenceInbox,
        m: pb::Preferences,
    ) -> Result<pb::Preferences, AppError> {
        let topics = domain::topics(i.inbox);
        let mut errors = Vec::new();
        let mut seen = Vec::new();
        for (n, p) in m.items.iter().enumerate() {
            let field = |f: &str| format!("items[{n}].{f}");
            match topics.iter().find(|t| t.name == p.topic.trim()) {
                None => errors.push(FieldError {
                    field: field("topic"),
                    message: format!("must be one of {}", topics.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")),
                }),
                Some(_) if seen.contains(&p.topic.trim()) => {
                    errors.push(FieldError { field: field("topic"), message: "is named twice".into() })
                }
                Some(t) => {
                    seen.push(p.topic.trim());
                    if p.email && !t.email {
                        errors.push(FieldError { field: field("email"), message: "this topic sends no email".into() });
                    }
                    if p.in_app && !t.in_app {
                        errors
                            .push(FieldError { field: field("in_app"), message: "this topic is an email only".into() });
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let mut tx = TenantTx::begin(&self.pool, i.tenant).await?;
        for p in &m.items {
            store::put_preference(&mut tx, &i.inbox.key(), p.topic.trim(), p.in_app, p.email).await?;
        }
        let set = store::preferences(&mut tx, &i.inbox.key()).await?;
        tx.commit().await?;
        Ok(answer(topics, &set))
    }
}
