//! First-start content: the agency's units always; with `--demo`, a clearly fictitious world.

use crate::AppState;
use crate::dto::{EnablementIn, GrantIn, NoteIn, PublicationIn, RequestIn, TransitionIn, UserIn};
use crate::error::{AppError, AppResult};
use crate::service;
use iop_domain::*;
use iop_store::*;

/// The agency's units PR05 names. Created on first start.
pub const AGENCY_UNITS: &[(&str, &str)] = &[
    ("DGE", "Dirección General Ejecutiva"),
    ("UPAT", "Unidad de Producción y Actualización Tecnológica"),
    ("ADAS", "Área de Devops y Automatización de Software"),
];

fn parse<T>(r: Result<T, Invalid>) -> AppResult<T> {
    r.map_err(|i| AppError::invalid("semilla", i))
}

/// Creates the agency's units if missing.
pub async fn ensure_agency_units(st: &AppState) -> AppResult<()> {
    for (sigla, nombre) in AGENCY_UNITS {
        let sigla = parse(Sigla::parse(sigla))?;
        if st.store.unit_by_sigla(&sigla).await?.is_none() {
            st.store
                .create_unit(
                    &UnitRec {
                        id: UnitId::generate(),
                        sigla,
                        nombre: parse(Name::parse(nombre))?,
                        agency: true,
                        head: None,
                        created_at: st.now(),
                    },
                    &AuditBy::system("inicio"),
                )
                .await?;
        }
    }
    Ok(())
}

/// On a store without users: creates one Administrador with a random password, returned once.
pub async fn bootstrap_admin(st: &AppState) -> AppResult<Option<(String, String)>> {
    if st.store.count_users().await? > 0 {
        return Ok(None);
    }
    let upat = st.store.unit_by_sigla(&parse(Sigla::parse("UPAT"))?).await?;
    let (u, pw) = service::create_user(
        st,
        UserIn {
            usuario: "admin".into(),
            nombre: "Administrador de la plataforma".into(),
            unidad_id: upat.map(|u| u.id.to_string()),
            roles: vec!["administrador".into()],
            contrasena: None,
        },
        &AuditBy::system("inicio"),
    )
    .await?;
    Ok(pw.map(|p| (u.login.to_string(), p)))
}

/// A demo account: login, role label, password.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: String,
    pub role: String,
    pub password: String,
}

/// The demo password of every demo account. Fictitious and printed at start: demo mode only.
pub const DEMO_PASSWORD: &str = "demo-iop-2026";

/// What the demo's consuming system received at step 4 (fictitious; demo mode prints it).
#[derive(Debug, Clone)]
pub struct DemoAccess {
    pub api_key: String,
    pub jwt_iss: String,
    pub jwt_secret: String,
    pub base_path: String,
}

/// The demo's description of the person-registry service: a lookup by identity card (a personal
/// identifier) and a `contrastación` (does this data match the registry?), with fictitious examples.
pub const DEMO_OPENAPI: &str = r##"openapi: 3.0.3
info:
  title: Registro de Identidad Personal (ficticio) — contrastación
  version: "2"
paths:
  /personas/{ci}:
    get:
      operationId: consultar-persona
      summary: Datos básicos de una persona por su cédula de identidad
      parameters:
        - {name: ci, in: path, required: true, x-pii: true, schema: {type: string}}
      responses:
        "200":
          description: Persona encontrada
          content:
            application/json:
              example: {ci: "1234567", nombres: "JUANA (FICTICIA)", primer_apellido: "PÉREZ", fecha_nacimiento: "1990-01-01"}
  /contrastacion:
    post:
      operationId: contrastar
      summary: Contrasta datos de una persona con el registro
      responses:
        "200":
          description: Resultado de la contrastación
          content:
            application/json:
              example: {coincide: true, campos: {nombres: true, fecha_nacimiento: true}}
"##;

/// Seeds the demo world if the store has no users yet. Returns the accounts (empty if it was
/// already seeded) and, when an upstream is given, the demo consumer's credentials.
/// Where the demo's fictitious person registry lives on the gateway.
pub const DEMO_BASE_PATH: &str = "/segip/persona/v2/";

pub async fn seed_demo(st: &AppState, upstream: Option<&str>) -> AppResult<(Vec<DemoAccount>, Option<DemoAccess>)> {
    if st.store.count_users().await? > 0 {
        return Ok((Vec::new(), None));
    }
    ensure_agency_units(st).await?;
    // Every change the demo seeds is audited as the platform's own.
    let demo = AuditBy::system("demo");
    let unit = |s: &'static str| async move {
        st.store
            .unit_by_sigla(&parse(Sigla::parse(s))?)
            .await?
            .ok_or_else(AppError::internal)
    };
    let dge = unit("DGE").await?;
    let upat = unit("UPAT").await?;
    let adas = unit("ADAS").await?;
    let now = st.now();
    let mk_unit = |sigla: &str, nombre: &str| -> AppResult<UnitRec> {
        Ok(UnitRec {
            id: UnitId::generate(),
            sigla: parse(Sigla::parse(sigla))?,
            nombre: parse(Name::parse(nombre))?,
            agency: false,
            head: None,
            created_at: now,
        })
    };
    let ugd = mk_unit("UGE-DEMO", "Unidad de Gobierno Electrónico (demo)")?;
    let ase = mk_unit("ASE-DEMO", "Área de Servicios Digitales (demo)")?;
    st.store.create_unit(&ugd, &demo).await?;
    st.store.create_unit(&ase, &demo).await?;
    // The heads the demo's notes are addressed to (A) and go through (VÍA).
    for (u, name, title) in [
        (
            &upat,
            "Jorge Jefe de UPAT (demo)",
            "Jefe de la Unidad de Producción y Actualización Tecnológica",
        ),
        (
            &adas,
            "Rosa Responsable de ADAS (demo)",
            "Responsable del Área de Devops y Automatización de Software",
        ),
    ] {
        let head = UnitHead {
            name: parse(Name::parse(name))?,
            title: parse(Name::parse(title))?,
        };
        st.store.set_unit_head(u.id, &head, &demo, now).await?;
    }

    let people: &[(&str, &str, &[&str], Option<UnitId>)] = &[
        ("admin", "Ana Admin (demo)", &["administrador"], Some(upat.id)),
        ("solicitante", "Sergio Solicitante (demo)", &["solicitante"], Some(ugd.id)),
        ("solicitante2", "Silvia Solicitante (demo)", &["solicitante"], Some(ase.id)),
        ("dge", "Diana Directora (demo)", &["solicitante"], Some(dge.id)),
        ("jefe", "Jorge Jefe de UPAT (demo)", &["jefe_upat"], Some(upat.id)),
        (
            "responsable",
            "Rosa Responsable de ADAS (demo)",
            &["responsable_adas"],
            Some(adas.id),
        ),
        ("lider", "Luis Líder de equipo (demo)", &["lider_adas"], Some(adas.id)),
        ("lider2", "Lucía Líder de equipo (demo)", &["lider_adas"], Some(adas.id)),
    ];
    let mut accounts = Vec::new();
    let mut users = std::collections::HashMap::new();
    for (login, nombre, roles, unit) in people {
        let (u, _) = service::create_user(
            st,
            UserIn {
                usuario: (*login).into(),
                nombre: (*nombre).into(),
                unidad_id: unit.map(|x| x.to_string()),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                contrasena: Some(DEMO_PASSWORD.into()),
            },
            &demo,
        )
        .await?;
        accounts.push(DemoAccount {
            login: (*login).into(),
            role: roles.join(","),
            password: DEMO_PASSWORD.into(),
        });
        users.insert(*login, u);
    }

    let entity = |sigla: &str, nombre: &str, kind: EntityKind| -> AppResult<EntityRec> {
        Ok(EntityRec {
            id: EntityId::generate(),
            sigla: parse(Sigla::parse(sigla))?,
            nombre: parse(Name::parse(nombre))?,
            kind,
            created_at: now,
        })
    };
    let segip = entity("SEGIP", "Registro de Identidad Personal (ficticio, demo)", EntityKind::Publicadora)?;
    let sin = entity("SIN", "Servicio de Impuestos (ficticio, demo)", EntityKind::Ambas)?;
    let seprec = entity("SEPREC", "Registro de Comercio (ficticio, demo)", EntityKind::Publicadora)?;
    let mun = entity("GAM-DEMO", "Gobierno Autónomo Municipal de Ejemplo (demo)", EntityKind::Consumidora)?;
    for e in [&segip, &sin, &seprec, &mun] {
        st.store.create_entity(e, &demo).await?;
    }
    let system = |e: &EntityRec, code: &str, nombre: &str| -> AppResult<SystemRec> {
        Ok(SystemRec {
            id: SystemId::generate(),
            entity: e.id,
            code: parse(Code::parse(code))?,
            nombre: parse(Name::parse(nombre))?,
            descripcion: None,
            created_at: now,
        })
    };
    let tramites = system(&mun, "tramites-en-linea", "Trámites en línea municipales (demo)")?;
    let facturacion = system(&sin, "facturacion-demo", "Sistema de facturación (demo)")?;
    st.store.create_system(&tramites, &demo).await?;
    st.store.create_system(&facturacion, &demo).await?;
    let service = |e: &EntityRec, code: &str, v: i64, nombre: &str| -> AppResult<ServiceRec> {
        Ok(ServiceRec {
            id: ServiceId::generate(),
            entity: e.id,
            code: parse(Code::parse(code))?,
            version: parse(ServiceVersion::new(v))?,
            nombre: parse(Name::parse(nombre))?,
            descripcion: None,
            state: ServiceState::Publicado,
            request: None,
            created_at: now,
            deprecated_at: None,
            sunset_at: None,
        })
    };
    let persona = service(&segip, "persona", 2, "Contrastación de datos de persona")?;
    let nit = service(&sin, "nit-consulta", 1, "Consulta de NIT")?;
    let matricula = service(&seprec, "matricula-consulta", 1, "Consulta de matrícula de comercio")?;
    for s in [&persona, &nit, &matricula] {
        st.store.create_service(s, &demo).await?;
    }

    let u = |k: &str| users.get(k).cloned().ok_or_else(AppError::internal);
    let (sol, sol2, jefe, resp, lider) = (u("solicitante")?, u("solicitante2")?, u("jefe")?, u("responsable")?, u("lider")?);
    let pdf = demo_pdf();
    let act = |accion: &str| TransitionIn {
        accion: accion.into(),
        comentario: None,
        lider_id: None,
        devolver_a: None,
        habilitacion: None,
        nota: None,
        nota_sha256: None,
        version: None,
    };
    let consumption = |services: Vec<String>, why: &str| RequestIn {
        tipo: "consumo".into(),
        sistema_id: Some(tramites.id.to_string()),
        sistema_propuesto: None,
        entidad_publicadora_id: None,
        justificacion: why.into(),
        servicios: services,
        servicios_publicacion: vec![],
    };

    // 1. Presented: waits for the Jefe de UPAT.
    let r1 = service::create_request(
        st,
        &sol,
        consumption(
            vec![persona.id.to_string()],
            "Verificar la identidad de quienes inician trámites en línea (demo).",
        ),
    )
    .await?;
    let id1 = r1.id.to_string();
    service::attach_document(st, &sol, &id1, "NI", "nota-interna-demo.pdf", &pdf).await?;
    service::transition(st, &sol, &id1, act("presentar")).await?;

    // 2. Assigned to the leader: waits for step 4.
    let r2 = service::create_request(
        st,
        &sol,
        consumption(
            vec![nit.id.to_string(), matricula.id.to_string()],
            "Validar NIT y matrícula de comercio en licencias de funcionamiento (demo).",
        ),
    )
    .await?;
    let id2 = r2.id.to_string();
    service::attach_document(st, &sol, &id2, "NTA", "norma-tecnica-demo.pdf", &pdf).await?;
    service::transition(st, &sol, &id2, act("presentar")).await?;
    service::transition(st, &jefe, &id2, act("derivar")).await?;
    service::transition(
        st,
        &resp,
        &id2,
        TransitionIn {
            lider_id: Some(lider.id.to_string()),
            ..act("asignar")
        },
    )
    .await?;

    // 3. Enabled and noted: waits for the Responsable de ADAS to approve the Nota Interna.
    let r3 = service::create_request(
        st,
        &sol,
        consumption(
            vec![persona.id.to_string()],
            "Contrastar datos de beneficiarios de un programa social (demo).",
        ),
    )
    .await?;
    let id3 = r3.id.to_string();
    service::attach_document(st, &sol, &id3, "IL", "informe-legal-demo.pdf", &pdf).await?;
    service::transition(st, &sol, &id3, act("presentar")).await?;
    service::transition(st, &jefe, &id3, act("derivar")).await?;
    service::transition(
        st,
        &resp,
        &id3,
        TransitionIn {
            lider_id: Some(lider.id.to_string()),
            ..act("asignar")
        },
    )
    .await?;
    let grant = EnablementIn {
        accesos: vec![GrantIn {
            sistema_id: tramites.id.to_string(),
            servicio_id: persona.id.to_string(),
            desde: None,
            hasta: None,
            operaciones: None,
            limite_por_segundo: None,
            rafaga: None,
        }],
        publicar: vec![],
        emitir_credenciales: vec![],
    };
    let mut access = None;
    let mut grant = grant;
    // The demo's registry is published and routable (PR05 step 4 grants nothing else).
    {
        let up = upstream.unwrap_or("http://127.0.0.1:9/");
        let imported = crate::openapi_import::import(crate::openapi_import::Upload::Text(DEMO_OPENAPI.to_owned()))?;
        let description = DescriptionRec {
            document: imported.document,
            document_gz: None,
            sha256: crate::secrets::sha256_hex(DEMO_OPENAPI.as_bytes()),
            format: imported.format.code().to_owned(),
            original: None,
            report: crate::openapi_import::report::to_json(&imported.report),
            servers: imported.servers,
        };
        st.store
            .set_description(persona.id, &description, imported.operations, now, &demo)
            .await?;
        for (service, sigla, base) in [
            (&persona, "SEGIP", Some(DEMO_BASE_PATH)),
            (&nit, "SIN", None),
            (&matricula, "SEPREC", None),
        ] {
            let base = base
                .map(str::to_owned)
                .unwrap_or_else(|| BasePath::default_for(sigla, &service.code, service.version).into_string());
            st.store
                .put_connector(
                    ConnectorRec {
                        service: service.id,
                        version: 0,
                        base_path: base,
                        upstreams: vec![up.to_owned()],
                        connect_timeout_ms: 1_000,
                        timeout_ms: 5_000,
                        auth: UpstreamAuth::None,
                        max_body_bytes: 1 << 20,
                        pii_query: vec![],
                        ca_pem: None,
                        created_by: lider.id,
                        created_at: now,
                        probe_ok: None,
                    },
                    &demo,
                )
                .await?;
        }
    }
    if upstream.is_some() && st.gateway.is_some() {
        grant.emitir_credenciales = vec!["apikey".into(), "jwt_hs256".into()];
        if let Some(a) = grant.accesos.first_mut() {
            a.limite_por_segundo = Some(50.0);
            a.rafaga = Some(100);
        }
    }
    let (_, issued) = service::transition_issuing(
        st,
        &lider,
        &id3,
        TransitionIn {
            habilitacion: Some(grant),
            ..act("habilitar")
        },
    )
    .await?;
    if !issued.is_empty() {
        // The demo's requester retrieves the accesses, as a Solicitante of the unit would.
        let got = crate::accesses::retrieve(st, &sol, &id3).await?.credenciales;
        let key = got.iter().find_map(|c| c.clave.clone()).unwrap_or_default();
        let jwt = got.iter().find(|c| c.secreto.is_some());
        access = Some(DemoAccess {
            api_key: key,
            jwt_iss: jwt.and_then(|j| j.iss.clone()).unwrap_or_default(),
            jwt_secret: jwt.and_then(|j| j.secreto.clone()).unwrap_or_default(),
            base_path: DEMO_BASE_PATH.into(),
        });
    }
    let note = NoteIn {
        cuerpo: "Se habilitó el consumo del servicio de contrastación de datos de persona para el sistema de trámites en línea; se enviaron las credenciales y la documentación (demo).".into(),
        recomendaciones: Some("Rotar las credenciales cada seis meses.".into()),
    };
    service::transition(
        st,
        &lider,
        &id3,
        TransitionIn {
            nota: Some(note),
            ..act("elaborar_nota")
        },
    )
    .await?;

    // 4. A publication request observed by the Jefe de UPAT: waits for the requesting unit.
    let r4 = service::create_request(
        st,
        &sol2,
        RequestIn {
            tipo: "publicacion".into(),
            sistema_id: None,
            sistema_propuesto: None,
            entidad_publicadora_id: Some(seprec.id.to_string()),
            justificacion: "Publicar la consulta de representantes legales de empresas (demo).".into(),
            servicios: vec![],
            servicios_publicacion: vec![PublicationIn {
                codigo: "representante-legal".into(),
                version: 1,
                nombre: "Consulta de representante legal".into(),
                descripcion: Some("Devuelve el representante legal vigente de una empresa (datos ficticios).".into()),
            }],
        },
    )
    .await?;
    let id4 = r4.id.to_string();
    service::attach_document(st, &sol2, &id4, "NTA", "nta-publicacion-demo.pdf", &pdf).await?;
    service::transition(st, &sol2, &id4, act("presentar")).await?;
    service::transition(
        st,
        &jefe,
        &id4,
        TransitionIn {
            comentario: Some("Adjunte la NTA firmada por la MAE de la entidad publicadora.".into()),
            ..act("observar")
        },
    )
    .await?;

    // 5. A draft, private to its author.
    service::create_request(
        st,
        &sol,
        consumption(vec![nit.id.to_string()], "Borrador: consultar el NIT de proveedores (demo)."),
    )
    .await?;

    Ok((accounts, access))
}

/// A small valid PDF, used as the demo's supporting documents.
pub fn demo_pdf() -> Vec<u8> {
    let text = "(Documento de respaldo ficticio - demo iop) Tj";
    let content = format!("BT /F1 14 Tf 72 720 Td {text} ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    out
}
