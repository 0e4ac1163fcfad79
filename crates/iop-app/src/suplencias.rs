//! Acting officials (issue 15, "suplencias"): the Administrador gives a user one of the agency's
//! roles for whole days, in place of someone who holds it, under a designating memorandum. While
//! it lasts the session lookup adds the role ([`crate::auth::session_user`]), the domain judges
//! the user with it as with any role — the four-eyes rule still sees the person, so an author
//! cannot approve their own note through a suplencia — and each hand-over made with it names
//! whom the actor replaced (history, audit, documents: «a.i.»).

use crate::AppState;
use crate::dto::SuplenciaIn;
use crate::error::{AppError, AppResult};
use crate::service::require_admin;
use iop_domain::calendar::{LA_PAZ, parse_date};
use iop_domain::{Name, Role, UserId};
use iop_store::{AuditBy, SuplenciaRec, UserRec};

/// Gives `user` the role of a suplencia in force (unless they hold it already), noting whom they
/// replace in it. The session lookup and the notices' recipients both go through here.
pub fn take_on(user: &mut UserRec, s: SuplenciaRec) {
    if !user.roles.has(s.role) {
        user.roles = user.roles.with(s.role);
        user.acting.push(iop_store::Acting {
            role: s.role,
            replaces: s.replaces,
            replaces_name: s.replaces_name,
        });
    }
}

/// Records a suplencia (Administrador).
pub async fn create(st: &AppState, actor: &UserRec, input: &SuplenciaIn) -> AppResult<SuplenciaRec> {
    require_admin(actor)?;
    let user_id = UserId::parse(&input.usuario_id).map_err(|i| AppError::invalid("usuario_id", i))?;
    let replaces_id = UserId::parse(&input.en_lugar_de_id).map_err(|i| AppError::invalid("en_lugar_de_id", i))?;
    let role = Role::parse(&input.rol).map_err(|i| AppError::invalid("rol", i))?;
    if !matches!(role, Role::JefeUpat | Role::ResponsableAdas | Role::LiderAdas) {
        return Err(AppError::of("suplencia_invalida.rol", &[]).field("rol"));
    }
    if user_id == replaces_id {
        return Err(AppError::of("suplencia_invalida.misma-persona", &[]).field("en_lugar_de_id"));
    }
    let user = st
        .store
        .get_user(user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::of("referencia_inexistente.usuario", &[]).field("usuario_id"))?;
    let replaced = st
        .store
        .get_user(replaces_id)
        .await?
        .ok_or_else(|| AppError::of("referencia_inexistente.usuario", &[]).field("en_lugar_de_id"))?;
    if !replaced.roles.has(role) {
        return Err(AppError::of("suplencia_invalida.sin-rol", &[]).field("en_lugar_de_id"));
    }
    let day = |name: &str, v: &str| parse_date(v).ok_or_else(|| AppError::of("fecha_invalida", iop_i18n::args![campo = &name]).field(name));
    let (first, last) = (day("desde", &input.desde)?, day("hasta", &input.hasta)?);
    if last < first {
        return Err(AppError::of("suplencia_invalida.periodo", &[]).field("hasta"));
    }
    let until = last
        .next_day()
        .ok_or_else(|| AppError::of("suplencia_invalida.periodo", &[]).field("hasta"))?;
    let memorandum = Name::parse(&input.memorandum).map_err(|i| AppError::invalid("memorandum", i))?;
    let rec = SuplenciaRec {
        id: uuid_like(),
        user: user.id,
        user_name: user.nombre.as_str().to_owned(),
        role,
        replaces: replaced.id,
        replaces_name: replaced.nombre.as_str().to_owned(),
        from: first.midnight().assume_offset(LA_PAZ),
        until: until.midnight().assume_offset(LA_PAZ),
        memorandum,
        created_by: actor.id,
        created_at: st.now(),
    };
    st.store.create_suplencia(&rec, &AuditBy::user(actor)).await?;
    Ok(rec)
}

/// Every suplencia recorded (Administrador and the agency's reviewers).
pub async fn list(st: &AppState, actor: &UserRec) -> AppResult<Vec<SuplenciaRec>> {
    if !actor.actor().reviews() {
        return Err(AppError::of("rol_requerido.lista-de-usuarios", &[]));
    }
    Ok(st.store.list_suplencias().await?)
}

/// A fresh identifier (the users' kind: time-ordered, random).
fn uuid_like() -> String {
    UserId::generate().to_string()
}
