//! Grants that end (issue 15, grant lifecycle): the ones that ended and the ones ending within a
//! number of working days, for ADAS and the Administrador (all) and for a requesting unit (its
//! own). An ended grant is refused at the gateway as `habilitacion_vencida`; its renewal is a new
//! request through PR05 ([`crate::service::renew`]).

use crate::AppState;
use crate::error::{AppError, AppResult};
use iop_domain::calendar::LA_PAZ;
use iop_domain::{Deadline, Role};
use iop_store::{EndingGrant, UserRec};

/// Working days ahead the list looks by default.
pub const DEFAULT_DAYS: u32 = 10;

/// The grants that ended and those whose last day falls within `days` working days from today,
/// by last day; each with whether it ended already.
pub async fn list(st: &AppState, user: &UserRec, days: Option<&str>) -> AppResult<Vec<(EndingGrant, bool)>> {
    let actor = user.actor();
    let own_unit = match (actor.reviews(), actor.unit.filter(|_| actor.roles.has(Role::Solicitante))) {
        (true, _) => None,
        (false, Some(unit)) => Some(unit),
        (false, None) => return Err(AppError::of("rol_requerido.vencimientos", &[])),
    };
    let days = match days.map(str::trim).filter(|d| !d.is_empty()) {
        None => DEFAULT_DAYS,
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= 365)
            .ok_or_else(|| AppError::of("dias_invalidos", &[]).field("dias"))?,
    };
    let now = st.now();
    let today = now.to_offset(LA_PAZ).date();
    let through = st.config.calendar.due(now, Deadline::WorkingDays(days)).to_offset(LA_PAZ).date();
    Ok(st
        .store
        .grants_ending(through)
        .await?
        .into_iter()
        .filter(|g| own_unit.is_none_or(|u| g.unit == u))
        .map(|g| {
            let ended = g.grant.spec.valid_until.is_some_and(|last| last < today);
            (g, ended)
        })
        .collect())
}
