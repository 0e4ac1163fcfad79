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
    /// Who heads it, as the documents name them (the Nota Interna is addressed to UPAT's head,
    /// through ADAS's).
    pub responsable: Option<UnitHeadOut>,
}

impl UnitOut {
    pub fn of(u: &iop_store::UnitRec) -> Self {
        Self {
            id: u.id.to_string(),
            sigla: u.sigla.to_string(),
            nombre: u.nombre.to_string(),
            agencia: u.agency,
            responsable: u.head.as_ref().map(|h| UnitHeadOut {
                nombre: h.name.to_string(),
                cargo: h.title.to_string(),
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitHeadOut {
    pub nombre: String,
    pub cargo: String,
}

/// The head of a unit: name and title, as the documents write them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitHeadIn {
    /// e.g. `Lic. Ana Pérez Quispe`.
    pub nombre: String,
    /// e.g. `Jefa de la Unidad de Producción y Actualización Tecnológica`.
    pub cargo: String,
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
    /// Deprecated from (RFC 3339): its answers carry `Deprecation`.
    pub obsoleto_desde: Option<String>,
    /// Retired at (RFC 3339): its answers carry `Sunset`.
    pub retiro: Option<String>,
}

/// Marks a service version deprecated: from `desde` (`AAAA-MM-DD`), retired at `retiro`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeprecationIn {
    pub desde: String,
    pub retiro: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PublicationIn {
    pub codigo: String,
    pub version: i64,
    pub nombre: String,
    pub descripcion: Option<String>,
}

/// A consuming system not yet in the catalog, proposed by the request; the Líder registers it at
/// step 4.
#[derive(Debug, Deserialize, Serialize, ToSchema, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ProposedSystemIn {
    pub nombre: String,
    /// What the system is for (herramienta de gobierno electrónico o solución tecnológica).
    pub proposito: String,
}

/// Step 4: the system a request proposed, registered in the catalog.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterSystemIn {
    /// The consuming entity the system belongs to.
    pub entidad_id: String,
    /// Its code in the catalog.
    pub codigo: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestIn {
    /// `consumo`, `publicacion` or `consumo_publicacion`.
    pub tipo: String,
    /// Consumption: the beneficiary system (herramienta de gobierno electrónico o solución tecnológica).
    pub sistema_id: Option<String>,
    /// Consumption by a system not yet in the catalog (instead of `sistema_id`).
    #[serde(default)]
    pub sistema_propuesto: Option<ProposedSystemIn>,
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
    /// SHA-256 of the note's canonical content (request, number, revision, body,
    /// recommendations): what approvals (steps 6 and 7) and the receipt (step 8) send back.
    pub sha256: String,
    pub autor_id: Option<String>,
    pub aprobada_adas_por: Option<String>,
    pub aprobada_upat_por: Option<String>,
}

/// The management report (heads of UPAT and ADAS): see `iop_app::report` for how each figure is
/// computed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    /// When it was computed, RFC 3339.
    pub generado: String,
    pub por_estado: Vec<ReportStateOut>,
    pub pasos: Vec<ReportStepOut>,
    pub personas: Vec<ReportPersonOut>,
    pub meses: Vec<ReportMonthOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportStateOut {
    pub estado: String,
    pub tipo: String,
    pub solicitudes: usize,
}

/// One step: its stays (the time a request spent in it), ended and open.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportStepOut {
    pub estado: String,
    /// `Nd` working days or `Nh` hours.
    pub plazo: String,
    pub terminadas: usize,
    pub abiertas: usize,
    /// Working days of the ended stays, by nearest rank.
    pub mediana_dias_habiles: Option<u32>,
    pub p90_dias_habiles: Option<u32>,
    /// Stays past the deadline (ended late, or open past it), and their share of all stays.
    pub vencidas: usize,
    pub tasa_vencidas: f64,
}

/// One person: the stays they ended by acting, and how many of those late.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPersonOut {
    pub usuario_id: String,
    pub nombre: String,
    pub terminadas: usize,
    pub vencidas: usize,
    pub tasa_vencidas: f64,
}

/// One month (La Paz): requests presented, closed after presenting, and received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportMonthOut {
    /// `AAAA-MM`.
    pub mes: String,
    pub presentadas: usize,
    pub cerradas: usize,
    pub recibidas: usize,
}

impl ReportOut {
    pub fn of(r: &crate::report::Report, at: time::OffsetDateTime) -> Self {
        Self {
            generado: crate::service::rfc3339(at),
            por_estado: r
                .by_state
                .iter()
                .map(|(s, k, n)| ReportStateOut {
                    estado: s.as_str().to_owned(),
                    tipo: k.as_str().to_owned(),
                    solicitudes: *n,
                })
                .collect(),
            pasos: r
                .steps
                .iter()
                .map(|s| ReportStepOut {
                    estado: s.state.as_str().to_owned(),
                    plazo: match s.deadline {
                        iop_domain::Deadline::WorkingDays(n) => format!("{n}d"),
                        iop_domain::Deadline::Hours(n) => format!("{n}h"),
                    },
                    terminadas: s.ended,
                    abiertas: s.open,
                    mediana_dias_habiles: s.median_days,
                    p90_dias_habiles: s.p90_days,
                    vencidas: s.overdue,
                    tasa_vencidas: s.overdue_rate(),
                })
                .collect(),
            personas: r
                .people
                .iter()
                .map(|p| ReportPersonOut {
                    usuario_id: p.user.to_string(),
                    nombre: p.name.clone(),
                    terminadas: p.ended,
                    vencidas: p.overdue,
                    tasa_vencidas: p.overdue_rate(),
                })
                .collect(),
            meses: r
                .months
                .iter()
                .map(|m| ReportMonthOut {
                    mes: m.month.clone(),
                    presentadas: m.presented,
                    cerradas: m.closed,
                    recibidas: m.received,
                })
                .collect(),
        }
    }

    /// The report as CSV (RFC 4180, comma-separated, a header row): one row per figure,
    /// `seccion,clave,tipo,valor`, so that a spreadsheet can pivot it.
    pub fn csv(&self) -> String {
        let q = |s: &str| {
            // A text a spreadsheet would read as a formula is written as text.
            let s = if s.starts_with(['=', '+', '-', '@']) {
                format!("'{s}")
            } else {
                s.to_owned()
            };
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s
            }
        };
        let mut out = String::from("seccion,clave,medida,valor\r\n");
        let mut row = |a: &str, b: &str, c: &str, v: String| {
            out.push_str(&format!("{},{},{},{}\r\n", q(a), q(b), q(c), q(&v)));
        };
        let opt = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        for s in &self.por_estado {
            row("por_estado", &s.estado, &s.tipo, s.solicitudes.to_string());
        }
        for s in &self.pasos {
            row("pasos", &s.estado, "plazo", s.plazo.clone());
            row("pasos", &s.estado, "terminadas", s.terminadas.to_string());
            row("pasos", &s.estado, "abiertas", s.abiertas.to_string());
            row("pasos", &s.estado, "mediana_dias_habiles", opt(s.mediana_dias_habiles));
            row("pasos", &s.estado, "p90_dias_habiles", opt(s.p90_dias_habiles));
            row("pasos", &s.estado, "vencidas", s.vencidas.to_string());
            row("pasos", &s.estado, "tasa_vencidas", format!("{:.4}", s.tasa_vencidas));
        }
        for p in &self.personas {
            row("personas", &p.nombre, "terminadas", p.terminadas.to_string());
            row("personas", &p.nombre, "vencidas", p.vencidas.to_string());
            row("personas", &p.nombre, "tasa_vencidas", format!("{:.4}", p.tasa_vencidas));
        }
        for m in &self.meses {
            row("meses", &m.mes, "presentadas", m.presentadas.to_string());
            row("meses", &m.mes, "cerradas", m.cerradas.to_string());
            row("meses", &m.mes, "recibidas", m.recibidas.to_string());
        }
        out
    }
}

/// A grant with an end: ended already, or ending soon.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndingOut {
    pub habilitacion_id: String,
    /// The request whose step 4 granted it (its renewal starts there).
    pub solicitud: String,
    pub sistema: String,
    /// `codigo vN`.
    pub servicio: String,
    /// The last day in force, `AAAA-MM-DD`.
    pub hasta: String,
    /// Ended already: the gateway refuses it with `habilitacion_vencida`.
    pub vencida: bool,
}

impl EndingOut {
    pub fn of(g: &iop_store::EndingGrant, ended: bool) -> Self {
        Self {
            habilitacion_id: g.grant.id.to_string(),
            solicitud: g.request_code.as_str().to_owned(),
            sistema: g.system_code.clone(),
            servicio: format!("{} v{}", g.service_code, g.service_version),
            hasta: g.grant.spec.valid_until.map(iop_domain::calendar::fmt_date).unwrap_or_default(),
            vencida: ended,
        }
    }
}

/// One's address for notices and the kinds one receives (`turno`: a request waits for you;
/// `observacion`: your unit's request was returned or rejected; `accesos`: your unit's accesses
/// are ready).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticePrefs {
    pub correo: Option<String>,
    pub avisos: Vec<String>,
}

/// A notice as the delivery log shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: String,
    /// `correo`.
    pub canal: String,
    pub destinatario: String,
    pub tipo: String,
    pub asunto: String,
    pub solicitud: Option<String>,
    /// RFC 3339.
    pub creado: String,
    pub intentos: i64,
    /// RFC 3339, once delivered.
    pub enviado: Option<String>,
    pub ultimo_error: Option<String>,
}

impl NoticeOut {
    pub fn of(n: &iop_store::NoticeRec) -> Self {
        use crate::service::rfc3339;
        Self {
            id: n.id.clone(),
            canal: n.channel.clone(),
            destinatario: n.recipient.clone(),
            tipo: n.kind.clone(),
            asunto: n.subject.clone(),
            solicitud: n.request_code.clone(),
            creado: rfc3339(n.created_at),
            intentos: n.attempts,
            enviado: n.sent_at.map(rfc3339),
            ultimo_error: n.last_error.clone(),
        }
    }
}

/// One number of the CITE register.
#[derive(Debug, Serialize, ToSchema)]
pub struct CiteOut {
    pub cite: String,
    /// The request was rejected or withdrawn after its note was numbered: the number is annulled
    /// (and never given again).
    pub anulado: bool,
    /// The request's tracking code.
    pub solicitud: String,
    pub solicitud_id: String,
    /// `consumo`, `publicacion` or both.
    pub tipo: String,
    /// The requesting unit's sigla.
    pub unidad: String,
    pub estado: String,
    /// When the number was given (the note's first submission), RFC 3339.
    pub fecha: String,
    /// Who submitted the note then.
    pub autor: Option<String>,
}

impl CiteOut {
    pub fn of(c: &iop_store::CiteRec) -> Self {
        Self {
            cite: c.number.as_str().to_owned(),
            anulado: c.state.annuls_cite(),
            solicitud: c.code.as_str().to_owned(),
            solicitud_id: c.request.to_string(),
            tipo: c.kind.as_str().to_owned(),
            unidad: c.unit.clone(),
            estado: c.state.as_str().to_owned(),
            fecha: crate::service::rfc3339(c.given_at),
            autor: c.author_name.clone(),
        }
    }
}

/// The CITE register of a year: every number given, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct CiteRegisterOut {
    pub gestion: i32,
    pub cites: Vec<CiteOut>,
}

/// A copy of the approved note signed outside the platform, as filed: what its signature says of
/// the signer (read from the file; not validated against the certification authority).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedNoteOut {
    /// Its place among the request's filings; the highest is the definitive one.
    pub n: i64,
    /// The note version it is a copy of.
    pub revision: i64,
    pub sha256: String,
    pub bytes: i64,
    /// The signer certificate's subject (RFC 4514).
    pub firmante: String,
    pub emisor: String,
    /// The certificate's serial number (hex).
    pub serie: String,
    /// RFC 3339.
    pub vigente_desde: String,
    /// RFC 3339.
    pub vigente_hasta: String,
    /// Whether the signed digest is the digest of the bytes the signature covers.
    pub resumen_coincide: bool,
    /// Whether the signature covers the whole file (nothing appended after signing).
    pub cubre_todo: bool,
    pub archivada_por: String,
    /// RFC 3339.
    pub fecha: String,
}

impl SignedNoteOut {
    pub fn of(s: &iop_store::SignedNoteRec) -> Self {
        use crate::service::rfc3339;
        Self {
            n: s.n,
            revision: s.revision,
            sha256: s.sha256.clone(),
            bytes: s.size,
            firmante: s.subject.clone(),
            emisor: s.issuer.clone(),
            serie: s.serial.clone(),
            vigente_desde: rfc3339(s.not_before),
            vigente_hasta: rfc3339(s.not_after),
            resumen_coincide: s.digest_matches,
            cubre_todo: s.covers_whole_file,
            archivada_por: s.filed_by_name.clone(),
            fecha: rfc3339(s.filed_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantOut {
    pub id: String,
    pub sistema_id: String,
    pub servicio_id: String,
    pub desde: String,
    pub hasta: Option<String>,
    pub operaciones: Option<Vec<String>>,
    pub limite_por_segundo: Option<f64>,
    pub rafaga: Option<u32>,
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
    /// The actor acted in this person's place (a suplencia: the role shown is held «a.i.»).
    pub en_suplencia_de: Option<String>,
}

/// A suplencia to record: `usuario_id` holds `rol` in place of `en_lugar_de_id` from `desde`
/// through `hasta` (whole days, La Paz), designated by `memorandum`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuplenciaIn {
    pub usuario_id: String,
    /// `jefe_upat`, `responsable_adas` or `lider_adas`.
    pub rol: String,
    pub en_lugar_de_id: String,
    /// `AAAA-MM-DD`, the first day.
    pub desde: String,
    /// `AAAA-MM-DD`, the last day (included).
    pub hasta: String,
    /// The designating memorandum's number, e.g. `MEM/AGETIC/DGE/0042/2026`.
    pub memorandum: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuplenciaOut {
    pub id: String,
    pub usuario_id: String,
    pub usuario: String,
    pub rol: String,
    pub en_lugar_de_id: String,
    pub en_lugar_de: String,
    /// RFC 3339: from (included) and until (excluded).
    pub desde: String,
    pub hasta: String,
    pub memorandum: String,
}

impl SuplenciaOut {
    pub fn of(s: &iop_store::SuplenciaRec) -> Self {
        use crate::service::rfc3339;
        Self {
            id: s.id.clone(),
            usuario_id: s.user.to_string(),
            usuario: s.user_name.clone(),
            rol: s.role.as_str().to_owned(),
            en_lugar_de_id: s.replaces.to_string(),
            en_lugar_de: s.replaces_name.clone(),
            desde: rfc3339(s.from),
            hasta: rfc3339(s.until),
            memorandum: s.memorandum.to_string(),
        }
    }
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
    /// A system not yet in the catalog, until step 4 registers it (then `sistema_id` names it).
    pub sistema_propuesto: Option<ProposedSystemIn>,
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
    /// Only in the answer to the transition that issued them: the secrets, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credenciales_emitidas: Option<Vec<IssuedCredentialOut>>,
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
    /// Operation ids of the service's description; all operations if omitted.
    pub operaciones: Option<Vec<String>>,
    /// Calls per second allowed (sustained); no limit if omitted.
    pub limite_por_segundo: Option<f64>,
    /// Calls allowed at once above the sustained rate (default: one second's worth).
    pub rafaga: Option<u32>,
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
    /// Credentials to issue to the beneficiary system with this step: `apikey`, `jwt_hs256`.
    /// Their secrets come back once, in `credenciales_emitidas`.
    #[serde(default)]
    pub emitir_credenciales: Vec<String>,
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
    /// `aprobar_nota_adas`, `aprobar_nota_upat`, `recibir`: the `nota.sha256` of the Nota Interna
    /// as the user read it. Refused (409 `nota_cambiada`) if the note changed since.
    pub nota_sha256: Option<String>,
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
    /// Working days it has waited (America/La_Paz, weekends and configured holidays excluded).
    pub espera_dias_habiles: u32,
    /// When it becomes overdue (RFC 3339), if the state has a deadline.
    pub vence: Option<String>,
    pub vencida: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub estado: String,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct CredentialOut {
    pub id: String,
    /// `apikey`, `jwt_hs256`, `jwt_rs256` or `jwt_es256`.
    pub tipo: String,
    pub sistema_id: String,
    /// A recognisable, non-secret prefix (API key) or the `iss` value (JWT).
    pub pista: String,
    pub solicitud_id: Option<String>,
    pub creada: String,
    /// Set by a rotation: when this credential stops working.
    pub vence: Option<String>,
    pub revocada: Option<String>,
    pub reemplazada_por: Option<String>,
    /// JWT: whether tokens must carry `exp`.
    pub jwt_exige_exp: Option<bool>,
    /// JWT: how far ahead `exp` may lie, in seconds (none: no bound).
    pub jwt_vigencia_max_s: Option<i64>,
    /// For the sandbox only: never reaches a real service.
    pub solo_sandbox: bool,
}

/// A newly issued credential with its secret. Shown once; the platform keeps only a keyed hash
/// (API key) or an encrypted copy (JWT secret).
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct IssuedCredentialOut {
    pub credencial: CredentialOut,
    /// API key: send it in the `apikey` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clave: Option<String>,
    /// JWT: the `iss` claim to put in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// JWT: the HS256 secret to sign them with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secreto: Option<String>,
    /// Issued at step 4 (or rotated for a request): the secret is not in this answer; a Solicitante
    /// of the requesting unit retrieves it once (`POST /api/v1/solicitudes/{id}/accesos/retirar`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pendiente_de_retiro: bool,
}

/// One delivery of step 4's accesses, without secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    pub sistema_id: String,
    /// `pendiente_de_retiro`, `retirada` or `vencida`.
    pub estado: String,
    /// The credentials it carries: id, kind and recognisable prefix.
    pub credenciales: Vec<DeliveredCredentialOut>,
    pub emitida: String,
    /// When its sealed secrets are erased if nobody retrieved them.
    pub vence: String,
    pub retirada_por: Option<String>,
    pub retirada: Option<String>,
    pub vencida: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveredCredentialOut {
    pub id: String,
    pub tipo: String,
    pub prefijo: String,
}

/// What a Solicitante of the requesting unit retrieves, once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetrievedOut {
    pub credenciales: Vec<IssuedCredentialOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialIn {
    /// `apikey` or `jwt_hs256` (issued, secret returned once), or `jwt_rs256` / `jwt_es256`
    /// (registered from `clave_publica`; nothing secret involved).
    pub tipo: String,
    /// For `jwt_rs256` (RSA, 2048 bits or more) and `jwt_es256` (EC P-256): the consumer's public
    /// key, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub clave_publica: Option<String>,
    /// JWT only: tokens without `exp` are refused (default true; false only for clients that
    /// cannot send it).
    pub jwt_exige_exp: Option<bool>,
    /// JWT only: how far ahead `exp` may lie, in seconds (default 86400; 0 for no bound).
    pub jwt_vigencia_max_s: Option<u32>,
    /// For the sandbox only (`/fake/…`, fictitious examples of any published service), so that
    /// an integrator can try services before the system asks for them through PR05: no grant is
    /// needed, and the credential never reaches a real service (403 `credencial_solo_sandbox`).
    #[serde(default)]
    pub solo_sandbox: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateIn {
    /// Hours the old credential keeps working beside the new one (0 to 720; default 24).
    pub solapamiento_horas: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamAuthIn {
    /// `ninguna`, `cabecera`, `basica`, `bearer` or `certificado_cliente` (https upstreams).
    pub tipo: String,
    /// Header name (`cabecera`) or user (`basica`).
    pub nombre: Option<String>,
    /// Header value, password, token, or the client certificate's private key (PEM). Stored
    /// encrypted; never returned.
    pub valor: Option<String>,
    /// `certificado_cliente`: the client certificate chain (PEM).
    pub certificado: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorIn {
    /// `/<sigla>/<código>/v<N>/`, optionally followed by more segments; default exactly that
    /// (for a service that has a connector: the base path in force, which never changes by omission).
    pub ruta_base: Option<String>,
    /// Upstream base URLs (`http://host:puerto/prefijo`), tried in turn.
    pub origenes: Vec<String>,
    pub tiempo_conexion_ms: Option<u32>,
    pub tiempo_espera_ms: Option<u32>,
    pub autenticacion: Option<UpstreamAuthIn>,
    pub max_cuerpo_bytes: Option<u32>,
    /// Query parameters that carry personal identifiers (kept as keyed hashes in call records).
    #[serde(default)]
    pub pii_query: Vec<String>,
    /// https upstreams: the CA certificates to trust (PEM); the system's CAs if omitted.
    pub ca_pem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorOut {
    pub servicio_id: String,
    pub version: i64,
    pub ruta_base: String,
    pub origenes: Vec<String>,
    pub tiempo_conexion_ms: i64,
    pub tiempo_espera_ms: i64,
    pub autenticacion: String,
    pub autenticacion_nombre: Option<String>,
    pub autenticacion_con_valor: bool,
    pub max_cuerpo_bytes: i64,
    pub pii_query: Vec<String>,
    /// Whether the connector trusts its own CAs for https upstreams (else the system's).
    pub ca_propia: bool,
    pub creado: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DescriptionIn {
    /// The service's description as JSON or YAML text: OpenAPI 3.0, 3.1 or Swagger 2.0 (converted
    /// to OpenAPI 3 on import; the original is kept). Up to 24 MiB.
    #[serde(default)]
    pub documento: Option<String>,
    /// Instead of `documento`, a description of several files: a zip, tar or tar.gz archive,
    /// base64-encoded. Every `$ref` between its files is resolved inside it; nothing is fetched.
    #[serde(default)]
    pub archivo: Option<String>,
    /// The archive's main document (path inside it). Optional when the archive has one
    /// `openapi.*`/`swagger.*` file or a single JSON/YAML file.
    #[serde(default)]
    pub entrada: Option<String>,
}

/// A description as imported: its format, what it declares and what was not imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct DescriptionOut {
    /// `openapi-3.0`, `openapi-3.1` or `swagger-2.0`.
    pub formato: String,
    /// SHA-256 of what was uploaded.
    pub sha256: String,
    pub operaciones: Vec<OperationOut>,
    /// The import report: every element not imported, and every warning, with its location.
    pub informe: Vec<ReportItemOut>,
}

/// One item of an import report (or the reason of a refusal).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportItemOut {
    /// Stable code (e.g. `webhooks-no-importados`).
    pub codigo: String,
    /// `aviso` (imported without this) or `rechazo`.
    pub nivel: String,
    /// A JSON pointer (`#/paths/~1a/get`), `archivo#/puntero` or `archivo:línea:columna`.
    pub ubicacion: String,
    /// In the client's language (`Accept-Language`).
    pub mensaje: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationOut {
    pub id: String,
    pub metodo: String,
    pub ruta: String,
    pub resumen: Option<String>,
    pub pii: Vec<String>,
    pub con_ejemplo: bool,
    /// The sandbox's answer: its status and media type, and whether it is generated from the
    /// schema (the description has no example).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxOut {
    pub estado: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tipo: Option<String>,
    pub generado: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProbeOut {
    pub ok: bool,
    pub origen: String,
    pub estado_http: Option<u16>,
    pub latencia_ms: u64,
    pub error: Option<String>,
    /// The path prefix of the description's first server (`servers`/`basePath`) this origin
    /// does not end in: calls would reach the publisher without it. Add it to the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefijo_faltante: Option<String>,
    /// The server that declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servidor: Option<String>,
}

/// One audit record: where it sits in its chain and what it says.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordOut {
    /// `llamadas`, `procedimiento` or `administracion`.
    pub cadena: String,
    pub nodo: String,
    pub seq: i64,
    /// RFC 3339.
    pub fecha: String,
    /// SHA-256 of the record's exact bytes (hex).
    pub hash: String,
    /// The record as chained (its `prev` names the previous record's hash).
    #[schema(value_type = Object)]
    pub registro: serde_json::Value,
    /// The PR05 request it concerns, if any.
    pub solicitud: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageOut {
    pub registros: Vec<AuditRecordOut>,
    /// Cursor of the next page (absent on the last page).
    pub siguiente: Option<String>,
}

/// A call and the legal basis that let it through.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegalChainOut {
    pub llamada: AuditRecordOut,
    /// The grant that allowed the call (absent for refused calls).
    pub habilitacion: Option<GrantOut>,
    /// The PR05 request behind the grant: supporting document, Nota Interna, history.
    pub solicitud: Option<RequestOut>,
}

/// The last connection probe of a staged connector.
#[derive(Debug, Serialize, ToSchema)]
pub struct StagedProbeOut {
    pub ok: bool,
    pub fecha: String,
    pub resultados: Vec<ProbeOut>,
}

/// What step 4 of a publication has prepared for one service.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageOut {
    pub codigo: String,
    pub version: u16,
    /// The catalog id the service has, or will get when `habilitar` commits.
    pub servicio_id: String,
    /// The staged connector (its `version` is 0 until committed); never its secret.
    pub conector: Option<ConnectorOut>,
    pub descripcion_sha256: Option<String>,
    /// The staged description's format (`openapi-3.0`, `openapi-3.1`, `swagger-2.0`).
    pub descripcion_formato: Option<String>,
    /// The staged description's import report.
    pub informe: Vec<ReportItemOut>,
    pub operaciones: Vec<OperationOut>,
    /// The last probe of the staged connector (cleared when the connector changes).
    pub prueba: Option<StagedProbeOut>,
    /// When `habilitar` committed it; absent while staged only.
    pub aplicada: Option<String>,
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPageOut {
    pub resultados: Vec<RequestOut>,
    /// Cursor of the next page (`cursor=`); absent on the last page.
    pub siguiente: Option<String>,
}

/// A page of the bandeja.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPageOut {
    pub resultados: Vec<InboxItem>,
    /// Cursor of the next page (`cursor=`); absent on the last page.
    pub siguiente: Option<String>,
}
