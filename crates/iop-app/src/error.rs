//! The use cases' errors. Every error has a kind (what went wrong, which the REST API maps to an
//! HTTP status), a stable machine code and a message in Spanish and English. No HTTP here: the
//! listeners render them (`iop-api` as `{"codigo", "mensaje", "campo"?, "detalle"?}`).

use iop_domain::{Invalid, Refusal};
use iop_store::StoreError;

/// What went wrong, as a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Malformed input (syntax, a bad identifier in a path).
    BadRequest,
    /// No valid session.
    Unauthenticated,
    /// The actor may not do this (role, unit, assignment, four-eyes).
    Forbidden,
    NotFound,
    /// In conflict with the current state.
    Conflict,
    /// Was here and is not any more (a delivery already retrieved or expired).
    Gone,
    TooLarge,
    UnsupportedMediaType,
    /// Well-formed input that breaks a rule.
    Invalid,
    TooManyRequests,
    /// A dependency is missing for now (the gateway, system randomness).
    Unavailable,
    Internal,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::BadRequest,
        Kind::Unauthenticated,
        Kind::Forbidden,
        Kind::NotFound,
        Kind::Conflict,
        Kind::Gone,
        Kind::TooLarge,
        Kind::UnsupportedMediaType,
        Kind::Invalid,
        Kind::TooManyRequests,
        Kind::Unavailable,
        Kind::Internal,
    ];

    /// The kind an HTTP status carries (`Internal` for any other).
    pub fn from_http_status(status: u16) -> Kind {
        Kind::ALL.into_iter().find(|k| k.http_status() == status).unwrap_or(Kind::Internal)
    }

    /// The HTTP status that carries this kind.
    pub fn http_status(self) -> u16 {
        match self {
            Kind::BadRequest => 400,
            Kind::Unauthenticated => 401,
            Kind::Forbidden => 403,
            Kind::NotFound => 404,
            Kind::Conflict => 409,
            Kind::Gone => 410,
            Kind::TooLarge => 413,
            Kind::UnsupportedMediaType => 415,
            Kind::Invalid => 422,
            Kind::TooManyRequests => 429,
            Kind::Unavailable => 503,
            Kind::Internal => 500,
        }
    }
}

/// An error of a use case. Boxed, so that `Result<T, AppError>` stays small.
#[derive(Debug, Clone)]
pub struct AppError(Box<AppErrorData>);

#[derive(Debug, Clone)]
pub struct AppErrorData {
    pub kind: Kind,
    pub code: &'static str,
    pub es: String,
    pub en: String,
    pub field: Option<String>,
    pub detail: Option<String>,
    /// Seconds after which a retry may succeed (throttling).
    pub retry_after: Option<u64>,
    /// A finer code under `code` (a description's refusal: `clave-repetida`, `ref-ciclica`, …).
    pub reason: Option<&'static str>,
    /// Where in the input (a JSON pointer, or `file:line:column`).
    pub location: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl std::ops::Deref for AppError {
    type Target = AppErrorData;
    fn deref(&self) -> &AppErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for AppError {
    fn deref_mut(&mut self) -> &mut AppErrorData {
        &mut self.0
    }
}

/// Whether an error may name the input field at fault (`campo` in the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Campo {
    /// The code is about an input value: the answer names the field when one is at fault.
    Puede,
    /// The code is about the request as a whole or the server: it never names a field.
    No,
}

/// What the table says of a code: its kind (and so its HTTP status) and its field rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub kind: Kind,
    pub campo: Campo,
}

impl Spec {
    const fn new(kind: Kind, campo: Campo) -> Spec {
        Spec { kind, campo }
    }
}

iop_i18n::code_table! {
    /// Every error code of the control plane, defined once: its kind (so its HTTP status) and
    /// whether it may name a field. Its texts are `iop-i18n`'s `errores.ftl` message of the same
    /// name (with variants as attributes); a test checks both directions.
    pub enum Code: Spec {
        AccesoRepetido = ("acceso_repetido", Spec::new(Kind::Invalid, Campo::Puede)),
        AccesosVencidos = ("accesos_vencidos", Spec::new(Kind::Gone, Campo::No)),
        AccesosYaRetirados = ("accesos_ya_retirados", Spec::new(Kind::Gone, Campo::No)),
        AccionInvalida = ("accion_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        ArchivoMuyGrande = ("archivo_muy_grande", Spec::new(Kind::TooLarge, Campo::Puede)),
        AutoDeshabilitar = ("auto_deshabilitar", Spec::new(Kind::Conflict, Campo::Puede)),
        BorradorAjeno = ("borrador_ajeno", Spec::new(Kind::Forbidden, Campo::No)),
        CadenaInvalida = ("cadena_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        CampoDesconocido = ("campo_desconocido", Spec::new(Kind::Invalid, Campo::Puede)),
        CampoRequerido = ("campo_requerido", Spec::new(Kind::Invalid, Campo::Puede)),
        CampoSobrante = ("campo_sobrante", Spec::new(Kind::Invalid, Campo::Puede)),
        CifradoNoDisponible = ("cifrado_no_disponible", Spec::new(Kind::Unavailable, Campo::No)),
        ClavePublicaInvalida = ("clave_publica_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        CodigoInvalido = ("codigo_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        CodigoSeguimientoInvalido = ("codigo_seguimiento_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        ComentarioRequerido = ("comentario_requerido", Spec::new(Kind::Invalid, Campo::Puede)),
        ConectorCambiado = ("conector_cambiado", Spec::new(Kind::Conflict, Campo::Puede)),
        ConectorInvalido = ("conector_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        ConectorNoPreparado = ("conector_no_preparado", Spec::new(Kind::Conflict, Campo::Puede)),
        ConflictoConcurrente = ("conflicto_concurrente", Spec::new(Kind::Conflict, Campo::Puede)),
        ContrasenaDebil = ("contrasena_debil", Spec::new(Kind::Invalid, Campo::Puede)),
        CredencialNoEmitible = ("credencial_no_emitible", Spec::new(Kind::Invalid, Campo::Puede)),
        CredencialNoVigente = ("credencial_no_vigente", Spec::new(Kind::Conflict, Campo::Puede)),
        CredencialesInvalidas = ("credenciales_invalidas", Spec::new(Kind::Unauthenticated, Campo::No)),
        CuatroOjos = ("cuatro_ojos", Spec::new(Kind::Forbidden, Campo::No)),
        CuerpoMuyGrande = ("cuerpo_muy_grande", Spec::new(Kind::TooLarge, Campo::Puede)),
        CursorInvalido = ("cursor_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        DatosInvalidos = ("datos_invalidos", Spec::new(Kind::Invalid, Campo::Puede)),
        DemasiadasComprobaciones = ("demasiadas_comprobaciones", Spec::new(Kind::TooManyRequests, Campo::No)),
        DemasiadosIntentos = ("demasiados_intentos", Spec::new(Kind::TooManyRequests, Campo::No)),
        DescripcionInvalida = ("descripcion_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        DescripcionMuyGrande = ("descripcion_muy_grande", Spec::new(Kind::TooLarge, Campo::Puede)),
        /// The importer is busy past its time limit (or gave up on a document that takes too long).
        ImportadorOcupado = ("importador_ocupado", Spec::new(Kind::Invalid, Campo::Puede)),
        DestinoInvalido = ("destino_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        DocumentoRequerido = ("documento_requerido", Spec::new(Kind::Invalid, Campo::Puede)),
        Duplicado = ("duplicado", Spec::new(Kind::Conflict, Campo::Puede)),
        EntidadNoConsumidora = ("entidad_no_consumidora", Spec::new(Kind::Invalid, Campo::Puede)),
        EntidadNoPublicadora = ("entidad_no_publicadora", Spec::new(Kind::Invalid, Campo::Puede)),
        ErrorInterno = ("error_interno", Spec::new(Kind::Internal, Campo::No)),
        EstadoIncompatible = ("estado_incompatible", Spec::new(Kind::Conflict, Campo::Puede)),
        EstadoInvalido = ("estado_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        FechaInvalida = ("fecha_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        FueraDeSolicitud = ("fuera_de_solicitud", Spec::new(Kind::Invalid, Campo::Puede)),
        HabilitacionVacia = ("habilitacion_vacia", Spec::new(Kind::Invalid, Campo::Puede)),
        IdInvalido = ("id_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        IdentificadorInvalido = ("identificador_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        JsonInvalido = ("json_invalido", Spec::new(Kind::BadRequest, Campo::Puede)),
        LiderInvalido = ("lider_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        LimiteInvalido = ("limite_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        MismoLider = ("mismo_lider", Spec::new(Kind::Invalid, Campo::Puede)),
        MultipartInvalido = ("multipart_invalido", Spec::new(Kind::BadRequest, Campo::Puede)),
        NoAsignado = ("no_asignado", Spec::new(Kind::Forbidden, Campo::No)),
        NoAutenticado = ("no_autenticado", Spec::new(Kind::Unauthenticated, Campo::No)),
        NoEditable = ("no_editable", Spec::new(Kind::Conflict, Campo::Puede)),
        HashInvalido = ("hash_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        NoEncontrado = ("no_encontrado", Spec::new(Kind::NotFound, Campo::No)),
        NoEsPdf = ("no_es_pdf", Spec::new(Kind::UnsupportedMediaType, Campo::Puede)),
        NoEsPublicacion = ("no_es_publicacion", Spec::new(Kind::Conflict, Campo::Puede)),
        NoListo = ("no_listo", Spec::new(Kind::Unavailable, Campo::No)),
        NombreInvalido = ("nombre_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        NotaCambiada = ("nota_cambiada", Spec::new(Kind::Conflict, Campo::Puede)),
        NotaSinAprobar = ("nota_sin_aprobar", Spec::new(Kind::Conflict, Campo::No)),
        FirmaNoPermitida = ("firma_no_permitida", Spec::new(Kind::Forbidden, Campo::No)),
        FormatoCiteInvalido = ("formato_cite_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        GestionInvalida = ("gestion_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        SuplenciaInvalida = ("suplencia_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        DiasInvalidos = ("dias_invalidos", Spec::new(Kind::Invalid, Campo::Puede)),
        CorreoInvalido = ("correo_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        AvisoInvalido = ("aviso_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        RenovacionNoAplicable = ("renovacion_no_aplicable", Spec::new(Kind::Conflict, Campo::No)),
        PdfSinFirma = ("pdf_sin_firma", Spec::new(Kind::Invalid, Campo::Puede)),
        OperacionInexistente = ("operacion_inexistente", Spec::new(Kind::Invalid, Campo::Puede)),
        OtraUnidad = ("otra_unidad", Spec::new(Kind::Forbidden, Campo::No)),
        ParametrosInvalidos = ("parametros_invalidos", Spec::new(Kind::BadRequest, Campo::Puede)),
        PasarelaNoConfigurada = ("pasarela_no_configurada", Spec::new(Kind::Unavailable, Campo::No)),
        PeticionInvalida = ("peticion_invalida", Spec::new(Kind::BadRequest, Campo::Puede)),
        PlazoInvalido = ("plazo_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        PoliticaJwtInvalida = ("politica_jwt_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        PruebaDeConexionPendiente = ("prueba_de_conexion_pendiente", Spec::new(Kind::Conflict, Campo::Puede)),
        PublicacionIncompleta = ("publicacion_incompleta", Spec::new(Kind::Conflict, Campo::Puede)),
        ReferenciaInexistente = ("referencia_inexistente", Spec::new(Kind::Invalid, Campo::Puede)),
        RetiroNoAutorizado = ("retiro_no_autorizado", Spec::new(Kind::Forbidden, Campo::No)),
        RolInvalido = ("rol_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        RolRequerido = ("rol_requerido", Spec::new(Kind::Forbidden, Campo::No)),
        RolesVacios = ("roles_vacios", Spec::new(Kind::Invalid, Campo::Puede)),
        RotacionNoAplicable = ("rotacion_no_aplicable", Spec::new(Kind::Conflict, Campo::Puede)),
        RutaBaseInvalida = ("ruta_base_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        RutaBaseOcupada = ("ruta_base_ocupada", Spec::new(Kind::Conflict, Campo::Puede)),
        RutaInexistente = ("ruta_inexistente", Spec::new(Kind::NotFound, Campo::No)),
        ServicioNoPublicado = ("servicio_no_publicado", Spec::new(Kind::Conflict, Campo::Puede)),
        ServicioRepetido = ("servicio_repetido", Spec::new(Kind::Invalid, Campo::Puede)),
        ServicioYaPublicado = ("servicio_ya_publicado", Spec::new(Kind::Conflict, Campo::Puede)),
        SiglaInvalida = ("sigla_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        SinAcceso = ("sin_acceso", Spec::new(Kind::Forbidden, Campo::No)),
        SinSistemaPropuesto = ("sin_sistema_propuesto", Spec::new(Kind::Conflict, Campo::No)),
        SolapamientoInvalido = ("solapamiento_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        TextoInvalido = ("texto_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        TipoContenido = ("tipo_contenido", Spec::new(Kind::UnsupportedMediaType, Campo::Puede)),
        TipoCredencialInvalido = ("tipo_credencial_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        TipoDocumentoInvalido = ("tipo_documento_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        TipoEntidadInvalido = ("tipo_entidad_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        TipoSolicitudInvalido = ("tipo_solicitud_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        UnidadRequerida = ("unidad_requerida", Spec::new(Kind::Invalid, Campo::Puede)),
        UsuarioExistente = ("usuario_existente", Spec::new(Kind::Conflict, Campo::Puede)),
        UsuarioInvalido = ("usuario_invalido", Spec::new(Kind::Invalid, Campo::Puede)),
        VersionInvalida = ("version_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
        VigenciaInvalida = ("vigencia_invalida", Spec::new(Kind::Invalid, Campo::Puede)),
    }
}

impl AppError {
    /// The error whose text is `key` (`code` or `code.variant`) in the error catalog; its kind
    /// comes from the code's entry in [`Code`].
    pub fn of(key: &'static str, args: &[(&str, iop_i18n::Arg)]) -> Self {
        let (es, en) = iop_i18n::errors().both(key, args);
        Self::from_parts(iop_domain::code_of(key), es, en)
    }

    /// An error from a code and texts already rendered (a domain refusal's), with the code's kind.
    pub fn from_parts(code: &'static str, es: String, en: String) -> Self {
        let kind = match Code::from_code(code) {
            Some(c) => c.spec().kind,
            None => {
                debug_assert!(false, "código de error fuera de la tabla: {code}");
                tracing::error!(code, "código de error fuera de la tabla");
                Kind::Internal
            }
        };
        Self(Box::new(AppErrorData {
            kind,
            code,
            es,
            en,
            field: None,
            detail: None,
            retry_after: None,
            reason: None,
            location: None,
        }))
    }

    /// Names the input field at fault (only codes whose entry allows it).
    pub fn field(mut self, f: impl Into<String>) -> Self {
        debug_assert!(
            Code::from_code(self.code).is_some_and(|c| c.spec().campo == Campo::Puede),
            "el código {} no nombra campos",
            self.code
        );
        self.field = Some(f.into());
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
    /// A domain refusal of the value of `field`.
    pub fn invalid(field: &str, i: Invalid) -> Self {
        Self::from_parts(i.code, format!("{field}: {}", i.es), format!("{field}: {}", i.en)).field(field)
    }
    pub fn unauthenticated() -> Self {
        Self::of("no_autenticado", &[])
    }
    pub fn admin_only() -> Self {
        Self::of("rol_requerido.administrador", &[])
    }
    pub fn internal() -> Self {
        Self::of("error_interno", &[])
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.es, self.code)
    }
}

impl std::error::Error for AppError {}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        let (expected, i) = match r {
            Refusal::Forbidden(i) => (Kind::Forbidden, i),
            Refusal::Conflict(i) => (Kind::Conflict, i),
            Refusal::Invalid(i) => (Kind::Invalid, i),
        };
        let e = AppError::from_parts(i.code, i.es, i.en);
        debug_assert_eq!(e.kind, expected, "{}", e.code);
        e
    }
}

/// A description refused: `descripcion_invalida`, its reason's code and location, and the
/// reason's text in both languages (`descripcion_muy_grande` when a cap on size was the reason).
impl From<crate::openapi_import::Item> for AppError {
    fn from(item: crate::openapi_import::Item) -> Self {
        use crate::openapi_import::Issue;
        use iop_i18n::Lang;
        let (es, en) = (item.text(Lang::Es), item.text(Lang::En));
        let key = match item.issue {
            Issue::ArchivoMuyGrande => "descripcion_muy_grande.archivo",
            Issue::TiempoAgotado | Issue::ImportadorNoDisponible => "importador_ocupado",
            _ => "descripcion_invalida",
        };
        let mut e = AppError::of(key, iop_i18n::args![motivo = iop_i18n::Arg::lang(es, en), ubicacion = &item.at]).field("documento");
        e.reason = Some(item.code());
        e.location = Some(item.at);
        e
    }
}

impl From<crate::secrets::SealError> for AppError {
    fn from(_: crate::secrets::SealError) -> Self {
        AppError::of("cifrado_no_disponible", &[])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::of("referencia_inexistente.almacen", iop_i18n::args![detalle = &what]),
            StoreError::Conflict(what) => AppError::of("duplicado", iop_i18n::args![detalle = &what]),
            StoreError::BasePathTaken { path, holder } => {
                AppError::of("ruta_base_ocupada", iop_i18n::args![ruta = &path, servicio = &holder]).field("ruta_base")
            }
            StoreError::Stale => AppError::of("conflicto_concurrente", &[]),
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "error del almacén");
                AppError::internal()
            }
        }
    }
}

/// Parses an identifier that came in a path (a request's, a service's…) with the domain's parser:
/// a malformed one is a bad request naming `id`.
pub fn path_id<T>(raw: &str, parse: fn(&str) -> Result<T, Invalid>) -> AppResult<T> {
    parse(raw).map_err(|i| {
        AppError::of(
            "parametros_invalidos.ruta",
            iop_i18n::args![motivo = iop_i18n::Arg::lang(i.es, i.en)],
        )
        .field("id")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_status() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_http_status(k.http_status()), k);
        }
    }

    /// Every code of the table has its message in the catalog (both languages: `iop-i18n`'s
    /// tests), and every message of the catalog is a code of the table.
    #[test]
    fn the_table_and_the_catalog_name_the_same_codes() {
        let keys = iop_i18n::keys(iop_i18n::ERRORES[0].1).unwrap_or_else(|e| panic!("{e}"));
        let ids: std::collections::BTreeSet<&str> = keys.keys().map(|k| k.split('.').next().unwrap_or(k)).collect();
        let table: std::collections::BTreeSet<&str> = Code::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(Code::ALL.len(), table.len(), "a code is defined twice");
        let no_text: Vec<_> = table.difference(&ids).collect();
        let no_code: Vec<_> = ids.difference(&table).collect();
        assert!(
            no_text.is_empty() && no_code.is_empty(),
            "sin texto: {no_text:?}; sin código: {no_code:?}"
        );
    }

    /// Every text key written in the control plane's code (`of("…")`, the connector's and the
    /// procedure's helpers, the enums' parse errors) is in the catalog in both languages.
    #[test]
    fn every_key_in_the_code_has_its_text() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for c in ["iop-domain", "iop-app", "iop-api", "iop"] {
            walk(&crates.join(c).join("src"), &mut files);
        }
        assert!(files.len() > 20, "{files:?}");
        let catalog = iop_i18n::errors();
        let mut seen = 0;
        let mut missing = Vec::new();
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap_or_default();
            // A string literal right after one of the constructors that take a text key.
            for head in ["of(", "bad(", "bad(&f, ", "bad(name, ", "forbidden(", "invalid(", "str_enum!("] {
                for (i, _) in src.match_indices(head) {
                    let rest = src.get(i + head.len()..).unwrap_or("");
                    let rest = rest.trim_start();
                    let rest = if head == "str_enum!(" {
                        // The enum's code is the last literal before `);`.
                        let end = rest.find(");").unwrap_or(0);
                        rest.get(..end)
                            .and_then(|r| r.trim_end().rsplit('\n').next())
                            .unwrap_or("")
                            .trim_start()
                    } else {
                        rest
                    };
                    let Some(lit) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                        continue;
                    };
                    let code = lit.split('.').next().unwrap_or("");
                    if Code::from_code(code).is_none() {
                        continue;
                    }
                    seen += 1;
                    if !catalog.has(lit) {
                        missing.push(format!("{}: {lit}", f.display()));
                    }
                }
            }
        }
        assert!(seen > 150, "only {seen} keys found: the scan no longer sees the constructors");
        assert!(missing.is_empty(), "keys without text:\n{}", missing.join("\n"));
    }

    #[test]
    fn an_error_takes_its_kind_from_the_table_and_its_texts_from_the_catalog() {
        let e = AppError::of("no_encontrado.solicitud", &[]);
        assert_eq!((e.kind, e.code), (Kind::NotFound, "no_encontrado"));
        assert_eq!((e.es.as_str(), e.en.as_str()), ("no existe esa solicitud", "request not found"));
        let e = AppError::of("duplicado", iop_i18n::args![detalle = &"sigla"]);
        assert_eq!(
            (e.kind, e.es.as_str()),
            (Kind::Conflict, "ya existe un registro con esos datos (sigla)")
        );
    }
}
