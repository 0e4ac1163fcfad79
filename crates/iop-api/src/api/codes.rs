//! The error codes each operation can answer with, listed in the OpenAPI document as
//! `x-codigos-error` (Conventions adds them). The test harness checks every error answer of the
//! whole suite against this list, so a code an operation returns without declaring it fails a test.

/// Any `/api/v1` operation: malformed input, no session, the server's own failure.
pub const ANY: &[&str] = &[
    "json_invalido",
    "datos_invalidos",
    "tipo_contenido",
    "cuerpo_muy_grande",
    "peticion_invalida",
    "parametros_invalidos",
    "no_autenticado",
    "error_interno",
];
/// One request by `{id}` (UUID or tracking code), as its viewer may see it.
const REQUEST: &[&str] = &["identificador_invalido", "no_encontrado", "sin_acceso", "borrador_ajeno"];
/// One catalog record by `{id}`.
const RECORD: &[&str] = &["identificador_invalido", "no_encontrado"];
/// Lists in pages.
const PAGED: &[&str] = &["limite_invalido", "cursor_invalido"];
/// Writes a uniqueness rule or a reference can refuse.
const WRITE: &[&str] = &["duplicado", "referencia_inexistente", "conflicto_concurrente"];
/// Operations that need the gateway or seal a secret.
const GATEWAY: &[&str] = &["pasarela_no_configurada", "cifrado_no_disponible"];
/// A connector as typed.
const CONNECTOR: &[&str] = &["conector_invalido", "ruta_base_invalida", "ruta_base_ocupada"];
/// A description as uploaded.
const DESCRIPTION: &[&str] = &[
    "descripcion_invalida",
    "descripcion_muy_grande",
    "importador_ocupado",
    "tipo_contenido",
];
/// A catalog record's fields.
const CATALOG_FIELDS: &[&str] = &[
    "sigla_invalida",
    "nombre_invalido",
    "texto_invalido",
    "codigo_invalido",
    "version_invalida",
    "tipo_entidad_invalido",
    "entidad_no_publicadora",
    "entidad_no_consumidora",
];
/// A request's content.
const REQUEST_FIELDS: &[&str] = &[
    "tipo_solicitud_invalido",
    "texto_invalido",
    "codigo_invalido",
    "nombre_invalido",
    "version_invalida",
    "campo_requerido",
    "servicio_repetido",
    "fuera_de_solicitud",
    "entidad_no_publicadora",
];
/// Staging step 4 of a publication on one of its services.
const STAGING: &[&str] = &[
    "rol_requerido",
    "estado_incompatible",
    "no_asignado",
    "otra_unidad",
    "no_es_publicacion",
    "codigo_invalido",
    "version_invalida",
    "servicio_ya_publicado",
];

/// (operation id, groups and codes it adds to [`ANY`]).
const TABLE: &[(&str, &[&[&str]])] = &[
    ("healthz", &[]),
    ("readyz", &[]),
    ("metrics", &[&["rol_requerido", "pasarela_no_configurada"]]),
    ("login", &[&["credenciales_invalidas", "demasiados_intentos", "usuario_invalido"]]),
    ("logout", &[]),
    ("me", &[]),
    ("my_notices", &[]),
    ("set_my_notices", &[WRITE, &["correo_invalido", "aviso_invalido"]]),
    ("notice_log", &[PAGED, &["rol_requerido"]]),
    ("list_units", &[PAGED]),
    ("create_unit", &[WRITE, &["rol_requerido", "sigla_invalida", "nombre_invalido"]]),
    ("set_unit_head", &[RECORD, WRITE, &["rol_requerido", "nombre_invalido"]]),
    ("list_suplencias", &[&["rol_requerido"]]),
    (
        "deprecate_service",
        &[
            RECORD,
            WRITE,
            &["rol_requerido", "servicio_no_publicado", "fecha_invalida", "vigencia_invalida"],
        ],
    ),
    (
        "create_suplencia",
        &[
            WRITE,
            &[
                "rol_requerido",
                "identificador_invalido",
                "rol_invalido",
                "suplencia_invalida",
                "referencia_inexistente",
                "fecha_invalida",
                "nombre_invalido",
            ],
        ],
    ),
    ("list_users", &[PAGED, &["rol_requerido"]]),
    (
        "create_user",
        &[
            WRITE,
            &[
                "rol_requerido",
                "usuario_invalido",
                "nombre_invalido",
                "rol_invalido",
                "roles_vacios",
                "unidad_requerida",
                "usuario_existente",
                "contrasena_debil",
                "identificador_invalido",
            ],
        ],
    ),
    (
        "patch_user",
        &[
            RECORD,
            WRITE,
            &[
                "rol_requerido",
                "nombre_invalido",
                "rol_invalido",
                "roles_vacios",
                "unidad_requerida",
            ],
        ],
    ),
    ("reset_password", &[RECORD, &["rol_requerido", "contrasena_debil"]]),
    ("list_entities", &[PAGED]),
    ("create_entity", &[WRITE, CATALOG_FIELDS, &["rol_requerido"]]),
    ("list_systems", &[PAGED, &["identificador_invalido"]]),
    (
        "create_system",
        &[WRITE, CATALOG_FIELDS, &["rol_requerido", "identificador_invalido"]],
    ),
    ("list_services", &[PAGED, &["identificador_invalido"]]),
    (
        "create_service",
        &[WRITE, CATALOG_FIELDS, &["rol_requerido", "identificador_invalido"]],
    ),
    ("get_connector", &[RECORD]),
    ("put_connector", &[RECORD, WRITE, GATEWAY, CONNECTOR, &["rol_requerido"]]),
    ("connector_versions", &[RECORD]),
    ("put_description", &[RECORD, WRITE, DESCRIPTION, &["rol_requerido"]]),
    ("get_description", &[RECORD]),
    ("list_operations", &[RECORD]),
    ("probe", &[RECORD, GATEWAY, &["rol_requerido"]]),
    ("list_credentials", &[RECORD, PAGED, &["rol_requerido"]]),
    (
        "create_credential",
        &[
            RECORD,
            WRITE,
            GATEWAY,
            &[
                "rol_requerido",
                "tipo_credencial_invalido",
                "campo_requerido",
                "clave_publica_invalida",
                "politica_jwt_invalida",
                "credencial_no_emitible",
            ],
        ],
    ),
    (
        "rotate_credential",
        &[
            RECORD,
            WRITE,
            GATEWAY,
            &[
                "rol_requerido",
                "credencial_no_vigente",
                "solapamiento_invalido",
                "rotacion_no_aplicable",
            ],
        ],
    ),
    (
        "revoke_credential",
        &[RECORD, WRITE, GATEWAY, &["rol_requerido", "credencial_no_vigente"]],
    ),
    (
        "list_requests",
        &[
            PAGED,
            &[
                "estado_invalido",
                "identificador_invalido",
                "tipo_solicitud_invalido",
                "codigo_seguimiento_invalido",
                "fecha_invalida",
            ],
        ],
    ),
    (
        "create_request",
        &[WRITE, REQUEST_FIELDS, &["rol_requerido", "identificador_invalido"]],
    ),
    ("get_request", &[REQUEST]),
    (
        "renew_request",
        &[
            REQUEST,
            WRITE,
            REQUEST_FIELDS,
            &["renovacion_no_aplicable", "otra_unidad", "rol_requerido"],
        ],
    ),
    ("update_request", &[REQUEST, WRITE, REQUEST_FIELDS, &["no_editable"]]),
    (
        "upload_document",
        &[
            REQUEST,
            WRITE,
            &[
                "no_editable",
                "no_es_pdf",
                "archivo_muy_grande",
                "tipo_documento_invalido",
                "multipart_invalido",
                "campo_requerido",
            ],
        ],
    ),
    ("download_document", &[REQUEST]),
    ("download_note", &[REQUEST]),
    ("download_routing_slip", &[REQUEST]),
    (
        "file_signed_note",
        &[
            REQUEST,
            WRITE,
            &[
                "nota_sin_aprobar",
                "firma_no_permitida",
                "no_es_pdf",
                "pdf_sin_firma",
                "archivo_muy_grande",
            ],
        ],
    ),
    ("download_signed_note", &[REQUEST]),
    ("list_signed_notes", &[REQUEST]),
    ("cite_register", &[&["rol_requerido", "gestion_invalida"]]),
    ("report", &[&["rol_requerido"]]),
    ("grant_endings", &[&["rol_requerido", "dias_invalidos"]]),
    ("report_csv", &[&["rol_requerido"]]),
    ("download_access", &[REQUEST]),
    ("granted_openapi", &[REQUEST, &["parametros_invalidos"]]),
    ("history", &[REQUEST]),
    ("inbox", &[PAGED]),
    (
        "take_action",
        &[
            REQUEST,
            WRITE,
            GATEWAY,
            &[
                "accion_invalida",
                "rol_requerido",
                "estado_incompatible",
                "otra_unidad",
                "no_asignado",
                "cuatro_ojos",
                "comentario_requerido",
                "documento_requerido",
                "destino_invalido",
                "lider_invalido",
                "mismo_lider",
                "texto_invalido",
                "campo_requerido",
                "fuera_de_solicitud",
                "fecha_invalida",
                "limite_invalido",
                "vigencia_invalida",
                "habilitacion_vacia",
                "acceso_repetido",
                "servicio_repetido",
                "operacion_inexistente",
                "servicio_no_publicado",
                "publicacion_incompleta",
                "prueba_de_conexion_pendiente",
                "tipo_credencial_invalido",
                "credencial_no_emitible",
                "nota_cambiada",
                "identificador_invalido",
                "codigo_invalido",
                "version_invalida",
                "servicio_ya_publicado",
                "ruta_base_ocupada",
            ],
        ],
    ),
    ("list_staged", &[REQUEST]),
    ("stage_connector", &[REQUEST, WRITE, GATEWAY, CONNECTOR, STAGING]),
    (
        "register_system",
        &[
            REQUEST,
            WRITE,
            STAGING,
            &[
                "sin_sistema_propuesto",
                "entidad_no_consumidora",
                "identificador_invalido",
                "datos_invalidos",
            ],
        ],
    ),
    ("stage_description", &[REQUEST, WRITE, DESCRIPTION, STAGING]),
    (
        "probe_staged",
        &[REQUEST, GATEWAY, STAGING, &["conector_no_preparado", "conector_cambiado"]],
    ),
    ("list_deliveries", &[REQUEST]),
    (
        "retrieve_accesses",
        &[
            REQUEST,
            GATEWAY,
            &["retiro_no_autorizado", "accesos_ya_retirados", "accesos_vencidos"],
        ],
    ),
    (
        "search",
        &[
            PAGED,
            &[
                "rol_requerido",
                "cadena_invalida",
                "estado_invalido",
                "fecha_invalida",
                "identificador_invalido",
                "id_invalido",
            ],
        ],
    ),
    ("legal_chain", &[&["rol_requerido", "id_invalido", "no_encontrado", "sin_acceso"]]),
];

/// The codes an operation declares, [`ANY`] included for `/api/v1` routes; `None` for an
/// operation missing from the table.
pub fn declared(operation: &str, under_api: bool) -> Option<Vec<&'static str>> {
    let (_, groups) = TABLE.iter().find(|(op, _)| *op == operation)?;
    let mut out: Vec<&'static str> = if under_api { ANY.to_vec() } else { Vec::new() };
    out.extend(groups.iter().flat_map(|g| g.iter().copied()));
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A declared code is one of the table's (so it has a status and texts in both languages).
    #[test]
    fn every_declared_code_is_in_the_table() {
        let unknown: Vec<&str> = ANY
            .iter()
            .chain(TABLE.iter().flat_map(|(_, groups)| groups.iter().flat_map(|g| g.iter())))
            .copied()
            .filter(|c| iop_app::error::Code::from_code(c).is_none())
            .collect();
        assert!(unknown.is_empty(), "{unknown:?}");
    }
}
