//! I1: the tenant's event feed. Merchant admins, or API keys with `events:read`; only the
//! caller's tenant, ever (its id is in every subject the consumers filter on).

use std::pin::Pin;

use partnerline_proto::notifications::v1 as pb;
use partnerline_proto::notifications::v1::event_feed_server::EventFeed;
use platform::AppError;
use platform::auth::{Principal, Verifier};
use platform::grpc::{Grant, Reply, authed};
use tonic::{Request, Response, Status};

use crate::feed::{Cursor, Feed, Reading};
use crate::webhooks;

const SCOPE: &str = "events:read";

#[derive(Clone)]
pub struct FeedService {
    pub feed: Feed,
    pub verifier: Verifier,
}

fn reading(p: &Principal, m: &pb::FeedRequest) -> Result<(Reading, Cursor), AppError> {
    let tenant = p.require_admin_or_scope(SCOPE)?;
    let types = webhooks::filters("types", &m.types)?;
    Ok((Reading { tenant, types }, Cursor::parse(m.cursor.as_deref())?))
}

type Events = Pin<Box<dyn futures::Stream<Item = Result<pb::FeedEvent, Status>> + Send>>;

#[tonic::async_trait]
impl EventFeed for FeedService {
    type FollowStream = Events;

    async fn follow(&self, req: Request<pb::FeedRequest>) -> Result<Response<Events>, Status> {
        let checked = self.verifier.principal(&req).and_then(|p| {
            Grant::Scope(SCOPE).check(&p)?;
            reading(&p, req.get_ref())
        });
        let (r, from) = checked.map_err(AppError::into_status)?;
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let feed = self.feed.clone();
        tokio::spawn(async move {
            let end = tx.clone();
            if let Err(e) = feed.follow(r, from, tx).await {
                tracing::warn!(error = format!("{e:#}"), "an event feed ended");
                let _ = end.send(Err(Status::unavailable("the event feed broke off; resume from the last id"))).await;
            }
        });
        let events: Events = Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx));
        Ok(Response::new(events))
    }

    async fn page(&self, req: Request<pb::FeedRequest>) -> Reply<pb::FeedPage> {
        authed(&self.verifier, req, Grant::Scope(SCOPE), |p: Principal, m| async move {
            let (r, from) = reading(&p, &m)?;
            let limit = platform::paging::page_size(m.limit) as usize;
            self.feed.page(r, from, limit).await.map_err(AppError::internal)
        })
        .await
    }
}
