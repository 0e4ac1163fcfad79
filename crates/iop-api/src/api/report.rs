//! The management report (heads of UPAT and ADAS, and the Administrador): JSON and CSV.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Auth;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use iop_app::AppState;
use iop_app::dto::ReportOut;

/// The management report now: requests per state and kind; per step, the stays ended and open,
/// their median and p90 in working days (nearest rank) and how many went past the deadline; per
/// person, the stays they ended and how many late; per month, requests presented, closed and
/// received.
#[utoipa::path(get, path = "/api/v1/informe", tag = "solicitudes", security(("token" = [])),
    responses((status = 200, body = ReportOut), (status = 403, body = ErrorBody)))]
pub async fn report(State(st): State<AppState>, Auth(u): Auth) -> ApiResult<Json<ReportOut>> {
    let r = iop_app::report::report(&st, &u).await?;
    Ok(Json(ReportOut::of(&r, st.now())))
}

/// The same report as CSV (`seccion,clave,medida,valor`, one row per figure).
#[utoipa::path(get, path = "/api/v1/informe.csv", tag = "solicitudes", security(("token" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
pub async fn report_csv(State(st): State<AppState>, Auth(u): Auth) -> ApiResult<Response> {
    let r = iop_app::report::report(&st, &u).await?;
    let csv = ReportOut::of(&r, st.now()).csv();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"informe-de-gestion.csv\""),
        ],
        csv,
    )
        .into_response())
}
