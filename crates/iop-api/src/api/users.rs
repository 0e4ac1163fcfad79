use crate::api::catalog::PageQuery;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth, path_id};
use crate::page::{Paged, paginate};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use iop_app::AppState;
use iop_app::auth::{hash_password, new_password};
use iop_app::dto::*;
use iop_app::service::{create_user as create_user_svc, require_admin, user_out};
use iop_domain::*;
use iop_store::{AuditBy, UnitRec};

fn unit_out(u: &UnitRec) -> UnitOut {
    UnitOut::of(u)
}

/// Units: the agency's (DGE, UPAT, ADAS) and the requesting ones.
#[utoipa::path(get, path = "/api/v1/unidades", tag = "administracion", security(("token" = [])), params(PageQuery),
    responses((status = 200, body = Paged<UnitOut>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_units(State(st): State<AppState>, Auth(_u): Auth, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult<Json<Paged<UnitOut>>> {
    let all = st.store.list_units().await?.iter().map(unit_out).collect();
    Ok(Json(paginate(all, |u: &UnitOut| u.id.clone(), q.limite, q.cursor.as_deref())?))
}

/// Adds a requesting unit (Administrador).
#[utoipa::path(post, path = "/api/v1/unidades", tag = "administracion", security(("token" = [])), request_body = UnitIn,
    responses((status = 201, body = UnitOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(input): ApiJson<UnitIn>,
) -> ApiResult<(StatusCode, Json<UnitOut>)> {
    require_admin(&u)?;
    let unit = UnitRec {
        id: UnitId::generate(),
        sigla: Sigla::parse(&input.sigla).map_err(|i| ApiError::invalid("sigla", i))?,
        nombre: Name::parse(&input.nombre).map_err(|i| ApiError::invalid("nombre", i))?,
        agency: false,
        head: None,
        created_at: st.now(),
    };
    st.store.create_unit(&unit, &AuditBy::user(&u)).await?;
    Ok((StatusCode::CREATED, Json(unit_out(&unit))))
}

/// Names the head of a unit (Administrador): the Nota Interna is addressed ("A") to UPAT's head
/// and goes through ("VÍA") ADAS's, with their names and titles.
#[utoipa::path(put, path = "/api/v1/unidades/{id}/responsable", tag = "administracion", security(("token" = [])),
    params(("id" = String, Path, description = "The unit's id")), request_body = UnitHeadIn,
    responses((status = 200, body = UnitOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_unit_head(
    State(st): State<AppState>,
    Auth(u): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UnitHeadIn>,
) -> ApiResult<Json<UnitOut>> {
    let unit = iop_app::service::set_unit_head(&st, &u, &id, &input).await?;
    Ok(Json(UnitOut::of(&unit)))
}

/// Suplencias: who holds which of the agency's roles in whose place, when, and by which memorandum
/// (Administrador and the agency's reviewers).
#[utoipa::path(get, path = "/api/v1/suplencias", tag = "administracion", security(("token" = [])),
    responses((status = 200, body = Vec<SuplenciaOut>), (status = 403, body = ErrorBody)))]
pub async fn list_suplencias(State(st): State<AppState>, Auth(u): Auth) -> ApiResult<Json<Vec<SuplenciaOut>>> {
    let all = iop_app::suplencias::list(&st, &u).await?;
    Ok(Json(all.iter().map(SuplenciaOut::of).collect()))
}

/// Records a suplencia (Administrador): the user holds the role in the other's place, whole days
/// in La Paz from `desde` through `hasta`; their hand-overs in it say «a.i.» and whom they replaced.
#[utoipa::path(post, path = "/api/v1/suplencias", tag = "administracion", security(("token" = [])), request_body = SuplenciaIn,
    responses((status = 201, body = SuplenciaOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_suplencia(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(input): ApiJson<SuplenciaIn>,
) -> ApiResult<(StatusCode, Json<SuplenciaOut>)> {
    let s = iop_app::suplencias::create(&st, &u, &input).await?;
    Ok((StatusCode::CREATED, Json(SuplenciaOut::of(&s))))
}

/// Users. The Administrador sees everyone; the agency's reviewers (Jefe de UPAT, Responsable and
/// Líderes de ADAS, who pick and hand over to each other) see the agency's staff; a requester sees
/// no list (403).
#[utoipa::path(get, path = "/api/v1/usuarios", tag = "administracion", security(("token" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<UserOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_users(State(st): State<AppState>, Auth(u): Auth, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult<Json<Paged<UserOut>>> {
    const STAFF: [Role; 3] = [Role::JefeUpat, Role::ResponsableAdas, Role::LiderAdas];
    let all = u.roles.has(Role::Administrador);
    if !all && !STAFF.iter().any(|r| u.roles.has(*r)) {
        return Err(ApiError::of("rol_requerido.lista-de-usuarios", &[]));
    }
    let users = st.store.list_users().await?;
    let shown = users
        .iter()
        .filter(|x| all || STAFF.iter().any(|r| x.roles.has(*r)))
        .map(user_out)
        .collect();
    Ok(Json(paginate(shown, |u: &UserOut| u.id.clone(), q.limite, q.cursor.as_deref())?))
}

/// Creates a user (Administrador). Without `contrasena`, one is generated and returned once.
#[utoipa::path(post, path = "/api/v1/usuarios", tag = "administracion", security(("token" = [])), request_body = UserIn,
    responses((status = 201, body = UserCreatedOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    Auth(u): Auth,
    ApiJson(input): ApiJson<UserIn>,
) -> ApiResult<(StatusCode, Json<UserCreatedOut>)> {
    require_admin(&u)?;
    let (user, generated) = create_user_svc(&st, input, &AuditBy::user(&u)).await?;
    tracing::info!(admin = %u.login, usuario = %user.login, "usuario creado");
    Ok((
        StatusCode::CREATED,
        Json(UserCreatedOut {
            usuario: user_out(&user),
            contrasena_generada: generated,
        }),
    ))
}

/// Changes a user's name, unit, roles or active flag (Administrador). Disabling revokes sessions.
#[utoipa::path(patch, path = "/api/v1/usuarios/{id}", tag = "administracion", security(("token" = [])), request_body = UserPatch,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = UserOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_user(
    State(st): State<AppState>,
    Auth(admin): Auth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<UserPatch>,
) -> ApiResult<Json<UserOut>> {
    require_admin(&admin)?;
    let id = path_id(&id, UserId::parse)?;
    let mut user = st
        .store
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::of("no_encontrado.usuario", &[]))?;
    if let Some(n) = p.nombre {
        user.nombre = Name::parse(&n).map_err(|i| ApiError::invalid("nombre", i))?;
    }
    if let Some(r) = p.roles {
        user.roles = RoleSet::parse_list(&r).map_err(|i| ApiError::invalid("roles", i))?;
    }
    if let Some(u) = p.unidad_id {
        let unit = UnitId::parse(&u).map_err(|i| ApiError::invalid("unidad_id", i))?;
        if st.store.get_unit(unit).await?.is_none() {
            return Err(ApiError::of("referencia_inexistente.unidad", &[]).field("unidad_id"));
        }
        user.unit = Some(unit);
    }
    if let Some(a) = p.activo {
        if !a && user.id == admin.id {
            return Err(ApiError::of("auto_deshabilitar", &[]));
        }
        user.active = a;
    }
    if user.roles.has(Role::Solicitante) && user.unit.is_none() {
        return Err(ApiError::of("unidad_requerida.al-modificar", &[]).field("unidad_id"));
    }
    st.store.update_user(&user, st.now(), &AuditBy::user(&admin)).await?;
    tracing::info!(admin = %admin.login, usuario = %user.login, activo = user.active, "usuario modificado");
    Ok(Json(user_out(&user)))
}

/// Resets a user's password (Administrador) and revokes their sessions. Without `contrasena`, one
/// is generated and returned once.
#[utoipa::path(post, path = "/api/v1/usuarios/{id}/contrasena", tag = "administracion", security(("token" = [])), request_body = PasswordIn,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = PasswordOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(st): State<AppState>,
    Auth(admin): Auth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PasswordIn>,
) -> ApiResult<Json<PasswordOut>> {
    require_admin(&admin)?;
    let id = path_id(&id, UserId::parse)?;
    if st.store.get_user(id).await?.is_none() {
        return Err(ApiError::of("no_encontrado.usuario", &[]));
    }
    let (pw, generated) = match p.contrasena {
        Some(c) => (Password::parse(&c).map_err(|i| ApiError::invalid("contrasena", i))?, None),
        None => {
            let g = new_password();
            (Password::parse(&g).map_err(|i| ApiError::invalid("contrasena", i))?, Some(g))
        }
    };
    let hash = hash_password(pw.expose().to_owned()).await?;
    st.store.set_password(id, &hash, st.now(), &AuditBy::user(&admin)).await?;
    tracing::info!(admin = %admin.login, usuario = %id, "contraseña restablecida");
    Ok(Json(PasswordOut {
        contrasena_generada: generated,
    }))
}
