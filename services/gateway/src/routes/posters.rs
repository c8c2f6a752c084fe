//! L1: posters — the merchant's design, a partner's posters (each with a link valid 30 days) and
//! their PNG images.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use partnerline_proto::attribution::v1 as pb;
use platform::AppError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, ResourceId, upstream};
use crate::state::AppState;

/// L1: the poster design every new poster copies.
#[utoipa::path(get, path = "/api/v1/poster-design", tag = "attribution", security(("bearer" = [])),
    responses((status = 200, body = pb::PosterDesign)))]
pub async fn get_design(State(s): State<AppState>, caller: Caller) -> Result<Json<pb::PosterDesign>, AppError> {
    let d = s.attribution().get_poster_design(caller.request(pb::PosterDesignRequest {})).await.map_err(upstream)?;
    Ok(Json(d.into_inner()))
}

/// L1: merchant admins set the poster design (posters already issued keep theirs).
#[utoipa::path(put, path = "/api/v1/poster-design", tag = "attribution", security(("bearer" = [])),
    request_body = pb::PosterDesign,
    responses((status = 200, body = pb::PosterDesign), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn put_design(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<pb::PosterDesign>,
) -> Result<Json<pb::PosterDesign>, AppError> {
    Ok(Json(s.attribution().put_poster_design(caller.request(b)).await.map_err(upstream)?.into_inner()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CreatePoster {
    /// Where the poster's link leads (http or https); the shop's home when absent.
    pub target_url: String,
    /// Merchants: the partner the poster is for.
    pub partner_id: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Poster {
    #[serde(flatten)]
    pub poster: pb::Poster,
    /// The PNG to print: `GET` it while the poster is valid.
    pub image: String,
    /// The poster link's address, `/r/{code}`.
    pub path: String,
}

impl From<pb::Poster> for Poster {
    fn from(p: pb::Poster) -> Self {
        Poster { image: format!("/api/v1/posters/{}/image.png", p.id), path: format!("/r/{}", p.code), poster: p }
    }
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PosterList {
    /// Newest first; `expired` posters no longer attribute: issue a new one.
    pub items: Vec<Poster>,
}

/// L1: issues a poster with a link of its own, valid for 30 days.
#[utoipa::path(post, path = "/api/v1/posters", tag = "attribution", security(("bearer" = [])),
    request_body = CreatePoster,
    responses((status = 201, body = Poster), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreatePoster>,
) -> Result<(StatusCode, [(http::HeaderName, String); 1], Json<Poster>), AppError> {
    let req = pb::CreatePosterRequest { target_url: b.target_url, partner_id: b.partner_id, public_url: String::new() };
    let p: Poster = s.attribution().create_poster(caller.request(req)).await.map_err(upstream)?.into_inner().into();
    Ok((StatusCode::CREATED, [(http::header::LOCATION, p.image.clone())], Json(p)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PosterQuery {
    /// Merchants: one partner's posters.
    pub partner_id: Option<String>,
}

/// L1: the caller's posters (a merchant: every partner's, or one's), with which have expired.
#[utoipa::path(get, path = "/api/v1/posters", tag = "attribution", security(("bearer" = [])), params(PosterQuery),
    responses((status = 200, body = PosterList)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PosterQuery>,
) -> Result<Json<PosterList>, AppError> {
    let req = pb::ListPostersRequest { partner_id: q.partner_id };
    let l = s.attribution().list_posters(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(Json(PosterList { items: l.items.into_iter().map(Into::into).collect() }))
}

/// L1: the poster as a PNG; 409 `poster_expired` after its 30 days.
#[utoipa::path(get, path = "/api/v1/posters/{id}/image.png", tag = "attribution", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ProblemDoc),
        (status = 409, body = ProblemDoc)))]
pub async fn image(
    State(s): State<AppState>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Response, AppError> {
    let req = pb::PosterImageRequest { id, public_url: s.redirect.public_url.clone() };
    let img = s.attribution().get_poster_image(caller.request(req)).await.map_err(upstream)?.into_inner();
    Ok(super::links::image(img))
}
