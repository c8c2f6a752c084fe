//! The attribution gRPC service: decode, authorize, call the service layer and store, encode.
//! Each resource has its own file (links and clicks, claims and overrides, posters); this one
//! wires them to the generated trait.

mod claims;
mod links;
mod posters;
mod privacy;

use partnerline_proto::attribution::v1 as pb;
use partnerline_proto::attribution::v1::attribution_server::Attribution;
use platform::grpc::{Grant, Reply, authed, reply};
use tonic::Request;

use crate::service::AttributionService;

#[tonic::async_trait]
impl Attribution for AttributionService {
    async fn create_link(&self, req: Request<pb::CreateLinkRequest>) -> Reply<pb::Link> {
        authed(&self.verifier, req, Grant::Scope("links:write"), |p, m| self.create_link_impl(p, m)).await
    }
    async fn list_links(&self, req: Request<pb::ListLinksRequest>) -> Reply<pb::LinkList> {
        authed(&self.verifier, req, Grant::Scope("links:read"), |p, m| self.list_links_impl(p, m)).await
    }
    async fn resolve_link(&self, req: Request<pb::ResolveLinkRequest>) -> Reply<pb::ResolvedLink> {
        reply(self.resolve_impl(req.into_inner()).await)
    }
    async fn record_clicks(&self, req: Request<pb::RecordClicksRequest>) -> Reply<pb::RecordClicksResult> {
        reply(self.record_impl(req.into_inner()).await)
    }
    async fn get_link_qr(&self, req: Request<pb::LinkQrRequest>) -> Reply<pb::LinkQr> {
        authed(&self.verifier, req, Grant::Scope("links:read"), |p, m| self.qr_impl(p, m)).await
    }
    async fn get_partner_clicks(&self, req: Request<pb::PartnerClicksRequest>) -> Reply<pb::PartnerClicks> {
        authed(&self.verifier, req, Grant::Scope("links:read"), |p, m| self.clicks_impl(p, m)).await
    }
    async fn get_order_attribution(&self, req: Request<pb::OrderRef>) -> Reply<pb::OrderAttribution> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |p, m| self.order_attribution_impl(p, m)).await
    }
    async fn override_attribution(&self, req: Request<pb::OverrideRequest>) -> Reply<pb::OrderAttribution> {
        authed(&self.verifier, req, Grant::People, |p, m| self.override_impl(p, m)).await
    }
    async fn file_claim(&self, req: Request<pb::FileClaimRequest>) -> Reply<pb::Claim> {
        authed(&self.verifier, req, Grant::People, |p, m| self.file_claim_impl(p, m)).await
    }
    async fn list_claims(&self, req: Request<pb::ListClaimsRequest>) -> Reply<pb::ClaimList> {
        authed(&self.verifier, req, Grant::Scope("orders:read"), |p, m| self.list_claims_impl(p, m)).await
    }
    async fn decide_claim(&self, req: Request<pb::DecideClaimRequest>) -> Reply<pb::Claim> {
        authed(&self.verifier, req, Grant::People, |p, m| self.decide_claim_impl(p, m)).await
    }
    async fn get_poster_design(&self, req: Request<pb::PosterDesignRequest>) -> Reply<pb::PosterDesign> {
        authed(&self.verifier, req, Grant::Scope("links:read"), |p, _| self.poster_design_impl(p)).await
    }
    async fn put_poster_design(&self, req: Request<pb::PosterDesign>) -> Reply<pb::PosterDesign> {
        authed(&self.verifier, req, Grant::People, |p, m| self.put_poster_design_impl(p, m)).await
    }
    async fn create_poster(&self, req: Request<pb::CreatePosterRequest>) -> Reply<pb::Poster> {
        authed(&self.verifier, req, Grant::Scope("links:write"), |p, m| self.create_poster_impl(p, m)).await
    }
    async fn list_posters(&self, req: Request<pb::ListPostersRequest>) -> Reply<pb::PosterList> {
        authed(&self.verifier, req, Grant::Scope("links:read"), |p, m| self.list_posters_impl(p, m)).await
    }
    async fn get_poster_image(&self, req: Request<pb::PosterImageRequest>) -> Reply<pb::LinkQr> {
        authed(&self.verifier, req, Grant::Scope("links:read"), |p, m| self.poster_image_impl(p, m)).await
    }
    async fn export_customer(&self, req: Request<pb::CustomerExportRequest>) -> Reply<pb::CustomerExport> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |p, m| self.export_customer_impl(p, m)).await
    }
    async fn get_customer_binding(&self, req: Request<pb::CustomerBindingRequest>) -> Reply<pb::CustomerBinding> {
        authed(&self.verifier, req, Grant::Scope("customers:read"), |(p, token), m| self.binding_impl(p, token, m))
            .await
    }
}
