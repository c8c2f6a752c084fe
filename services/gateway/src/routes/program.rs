//! The merchant's program: settings and recruitment plan (P1, P2, P3 and every switch of
//! PRODUCT.md), and the public join information.

use axum::Json;
use axum::extract::{Path, State};
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use crate::auth::Caller;
use crate::dto::{JoinPage, JoinQuery, Program, UpdateProgram};
use crate::openapi::ProblemDoc;
use crate::problem::{ApiJson, ApiQuery, upstream};
use crate::state::AppState;

/// The caller's program with all its settings.
#[utoipa::path(get, path = "/api/v1/program", tag = "program", security(("bearer" = [])),
    responses((status = 200, body = Program), (status = 401, body = ProblemDoc)))]
pub async fn get_program(State(s): State<AppState>, caller: Caller) -> Result<Json<Program>, AppError> {
    let p = s.identity().get_program(caller.request(pb::Empty {})).await.map_err(upstream)?.into_inner();
    Ok(Json(p.into()))
}

/// Change settings (merchant admin). Invalid values are refused (422, naming each field) and
/// change nothing; values adjusted on save are reported in `notices`.
#[utoipa::path(patch, path = "/api/v1/program", tag = "program", security(("bearer" = [])), request_body = UpdateProgram,
    responses((status = 200, body = Program), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn update_program(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<UpdateProgram>,
) -> Result<Json<Program>, AppError> {
    let p = s.identity().update_program(caller.request(b.into())).await.map_err(upstream)?.into_inner();
    Ok(Json(p.into()))
}

/// Public: a program's recruitment plan and whether it takes applications (P1, P2).
#[utoipa::path(get, path = "/api/v1/programs/{slug}/join", tag = "applications", params(("slug" = String, Path), JoinQuery),
    responses((status = 200, body = JoinPage), (status = 404, body = ProblemDoc)))]
pub async fn join_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<JoinQuery>,
) -> Result<Json<JoinPage>, AppError> {
    let req = pb::GetJoinPageRequest { program: slug, invite: q.invite, tenant_id: None };
    let page = s.identity().get_join_page(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Json(page.into()))
}
