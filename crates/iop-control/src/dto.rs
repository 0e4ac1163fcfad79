//! Wire formats of the API (JSON), with their OpenAPI schemas. Inputs refuse unknown fields; they
//! are parsed into domain values by the handlers, field by field.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub usuario: String,
    pub contrasena: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When the token expires (RFC 3339).
    pub expira: String,
    pub usuario: UserOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub usuario: String,
    pub nombre: String,
    pub unidad_id: Option<String>,
    /// Roles: `solicitante`, `jefe_upat`, `responsable_adas`, `lider_adas`, `administrador`.
    pub roles: Vec<String>,
    pub activo: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub usuario: String,
    pub nombre: String,
    pub unidad_id: Option<String>,
    pub roles: Vec<String>,
    /// If omitted, a random password is generated and returned once.
    pub contrasena: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserCreatedOut {
    pub usuario: UserOut,
    /// The generated password, present only when none was given. Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrasena_generada: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub nombre: Option<String>,
    pub unidad_id: Option<String>,
    pub roles: Option<Vec<String>>,
    /// `false` disables the account and revokes its sessions.
    pub activo: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// If omitted, a random password is generated and returned once.
    pub contrasena: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrasena_generada: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitIn {
    pub sigla: String,
    pub nombre: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    pub id: String,
    pub sigla: String,
    pub nombre: String,
    /// DGE, UPAT and ADAS are the agency's own; the rest are requesting units.
    pub agencia: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityIn {
    pub sigla: String,
    pub nombre: String,
    /// `publicadora`, `consumidora` or `publicadora_consumidora`.
    pub tipo: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntityOut {
    pub id: String,
    pub sigla: String,
    pub nombre: String,
    pub tipo: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemIn {
    pub entidad_id: String,
    pub codigo: String,
    pub nombre: String,
    pub descripcion: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemOut {
    pub id: String,
    pub entidad_id: String,
    pub codigo: String,
    pub nombre: String,
    pub descripcion: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceIn {
    pub entidad_id: String,
    pub codigo: String,
    pub version: i64,
    pub nombre: String,
    pub descripcion: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOut {
    pub id: String,
    pub entidad_id: String,
    pub codigo: String,
    pub version: u16,
    pub nombre: String,
    pub descripcion: Option<String>,
    /// `registrado` or `publicado`.
    pub estado: String,
    /// The request whose step 4 published it.
    pub solicitud_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PublicationIn {
    pub codigo: String,
    pub version: i64,
    pub nombre: String,
    pub descripcion: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestIn {
    /// `consumo`, `publicacion` or `consumo_publicacion`.
    pub tipo: String,
    /// Consumption: the beneficiary system (herramienta de gobierno electrónico o solución tecnológica).
    pub sistema_id: Option<String>,
    /// Publication: the publishing entity.
    pub entidad_publicadora_id: Option<String>,
    pub justificacion: String,
    /// Consumption: the catalog services asked for.
    #[serde(default)]
    pub servicios: Vec<String>,
    /// Publication: the services to publish, described.
    #[serde(default)]
    pub servicios_publicacion: Vec<PublicationIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    /// `NI`, `NTA` or `IL`.
    pub tipo: String,
    pub sha256: String,
    pub nombre_archivo: String,
    pub bytes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    /// CITE number, e.g. `AGETIC/NI/UPAT-ADAS/0001/2026`.
    pub numero: String,
    pub cuerpo: String,
    pub recomendaciones: Option<String>,
    pub revision: i64,
    pub autor_id: Option<String>,
    pub aprobada_adas_por: Option<String>,
    pub aprobada_upat_por: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantOut {
    pub id: String,
    pub sistema_id: String,
    pub servicio_id: String,
    pub desde: String,
    pub hasta: Option<String>,
    pub revocada: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub n: i64,
    /// RFC 3339.
    pub fecha: String,
    pub actor_id: String,
    pub actor_usuario: String,
    pub actor_nombre: String,
    pub rol: String,
    pub accion: String,
    /// The PR05 activity (1–8), if the action is one.
    pub paso: Option<u8>,
    pub estado_anterior: String,
    pub estado_nuevo: String,
    /// Whom it went to: `jefe_upat`, `responsable_adas`, `lider_adas:<id>`, `unidad:<id>`, `nadie`.
    pub destinatario: String,
    pub comentario: Option<String>,
    /// JSON summary of the step's effects (step 4: grants and publications).
    pub detalle: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOut {
    pub id: String,
    /// Tracking code, e.g. `IOP-2026-000042`.
    pub codigo: String,
    pub tipo: String,
    pub estado: String,
    pub estado_descripcion: String,
    pub unidad_id: String,
    pub creada_por: String,
    pub sistema_id: Option<String>,
    pub entidad_publicadora_id: Option<String>,
    pub justificacion: String,
    pub servicios: Vec<String>,
    pub servicios_publicacion: Vec<PublicationIn>,
    pub documento: Option<DocumentOut>,
    pub lider_id: Option<String>,
    /// Whom the request is waiting for.
    pub espera_a: String,
    pub nota: Option<NoteOut>,
    pub habilitaciones: Vec<GrantOut>,
    pub estado_desde: String,
    pub creada: String,
    pub actualizada: String,
    /// Optimistic-concurrency version; send it back in a transition to refuse acting on a stale view.
    pub version: i64,
    /// Present on single-request reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub historial: Option<Vec<HistoryOut>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantIn {
    pub sistema_id: String,
    pub servicio_id: String,
    /// `AAAA-MM-DD`; today if omitted.
    pub desde: Option<String>,
    /// `AAAA-MM-DD`; open-ended if omitted.
    pub hasta: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishIn {
    pub codigo: String,
    pub version: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnablementIn {
    #[serde(default)]
    pub accesos: Vec<GrantIn>,
    #[serde(default)]
    pub publicar: Vec<PublishIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// Activities done (step 5).
    pub cuerpo: String,
    pub recomendaciones: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// `presentar`, `derivar`, `asignar`, `reasignar`, `habilitar`, `ajustar_habilitacion`,
    /// `elaborar_nota`, `aprobar_nota_adas`, `aprobar_nota_upat`, `recibir`, `observar`,
    /// `subsanar`, `rechazar`, `desistir`.
    pub accion: String,
    /// Required for `observar`, `rechazar` and `desistir` (the reason).
    pub comentario: Option<String>,
    /// `asignar` / `reasignar`: the Líder de equipo de ADAS.
    pub lider_id: Option<String>,
    /// `observar` at step 7: `responsable_adas` or `lider_adas`.
    pub devolver_a: Option<String>,
    /// `habilitar` / `ajustar_habilitacion`: what step 4 enables.
    pub habilitacion: Option<EnablementIn>,
    /// `elaborar_nota`: the Nota Interna.
    pub nota: Option<NoteIn>,
    /// If given, the action is refused (409) unless the request is still at this version.
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    pub solicitud: RequestOut,
    /// The role under which it waits for you.
    pub rol: String,
    /// Since when it waits (RFC 3339).
    pub esperando_desde: String,
    pub espera_segundos: i64,
    /// When it becomes overdue (RFC 3339), if the state has a deadline.
    pub vence: Option<String>,
    pub vencida: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub estado: String,
}
