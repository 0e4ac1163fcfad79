//! The import report: every refusal and every element not imported, as a coded item with its
//! location (a JSON pointer, or `file:line:column`) and its text in Spanish and English from the
//! `importacion` catalog. Nothing the importer leaves out goes unsaid.

use iop_i18n::{Arg, Lang};

/// How an item weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The description is not imported.
    Refusal,
    /// Imported, but this part is not (or is answered otherwise).
    Warning,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::Refusal => "rechazo",
            Level::Warning => "aviso",
        }
    }
}

iop_i18n::code_table! {
    /// What the importer can say about a description; the code is also its text's key.
    pub enum Issue: Level {
    JsonNoValido = ("json-no-valido", Level::Refusal),
    YamlNoValido = ("yaml-no-valido", Level::Refusal),
    ClaveRepetida = ("clave-repetida", Level::Refusal),
    Anidamiento = ("anidamiento", Level::Refusal),
    NoEsOpenapi = ("no-es-openapi", Level::Refusal),
    VersionNoAdmitida = ("version-no-admitida", Level::Refusal),
    SinPaths = ("sin-paths", Level::Refusal),
    RutaSinBarra = ("ruta-sin-barra", Level::Refusal),
    IdRepetido = ("id-repetido", Level::Refusal),
    SinOperaciones = ("sin-operaciones", Level::Refusal),
    RefNoResuelta = ("ref-no-resuelta", Level::Refusal),
    RefCiclica = ("ref-ciclica", Level::Refusal),
    RefExterna = ("ref-externa", Level::Refusal),
    RefRemota = ("ref-remota", Level::Refusal),
    ArchivoNoValido = ("archivo-no-valido", Level::Refusal),
    ArchivoSinEntrada = ("archivo-sin-entrada", Level::Refusal),
    ArchivoRutaInsegura = ("archivo-ruta-insegura", Level::Refusal),
    ArchivoEnlace = ("archivo-enlace", Level::Refusal),
    ArchivoDemasiados = ("archivo-demasiados", Level::Refusal),
    ArchivoMuyGrande = ("archivo-muy-grande", Level::Refusal),
    ArchivoCompresion = ("archivo-compresion", Level::Refusal),
    NoEsTexto = ("no-es-texto", Level::Refusal),
    TiempoAgotado = ("tiempo-agotado", Level::Refusal),
    ImportadorNoDisponible = ("importador-no-disponible", Level::Refusal),
    WebhooksNoImportados = ("webhooks-no-importados", Level::Warning),
    CallbacksNoImportados = ("callbacks-no-importados", Level::Warning),
    EjemploExterno = ("ejemplo-externo", Level::Warning),
    RespuestaGenerada = ("respuesta-generada", Level::Warning),
    SinRespuesta = ("sin-respuesta", Level::Warning),
    RefLocalRota = ("ref-local-rota", Level::Warning),
    ClaveDesconocida = ("clave-desconocida", Level::Warning),
    SwaggerConvertido = ("swagger-convertido", Level::Warning),
    SwaggerPerdido = ("swagger-perdido", Level::Warning),
    ServidorPrefijo = ("servidor-prefijo", Level::Warning),
    }
}

/// One item of the report (or the refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub issue: Issue,
    /// A JSON pointer into the entry document (`#/paths/~1a/get`), `file#/pointer` for another
    /// file of an archive, or `file:line:column` for a syntax error.
    pub at: String,
    pub args: Vec<(&'static str, String)>,
}

impl Item {
    pub fn new(issue: Issue, at: impl Into<String>) -> Item {
        Item {
            issue,
            at: at.into(),
            args: Vec::new(),
        }
    }
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Item {
        self.args.push((name, value.to_string()));
        self
    }
    pub fn code(&self) -> &'static str {
        self.issue.code()
    }
    pub fn level(&self) -> Level {
        self.issue.spec()
    }
    /// The item's text in `lang` (without its location).
    pub fn text(&self, lang: Lang) -> String {
        let args: Vec<(&str, Arg)> = self
            .args
            .iter()
            .map(|(k, v)| {
                let a = match v.parse::<i64>() {
                    Ok(n) if *k == "n" => Arg::Number(n),
                    _ => Arg::text(v),
                };
                (*k, a)
            })
            .collect();
        iop_i18n::import().text(lang, self.code(), &args)
    }

    /// As kept with the description: `{"codigo", "nivel", "ubicacion", "args"}`.
    pub fn to_json(&self) -> serde_json::Value {
        let args: serde_json::Map<String, serde_json::Value> = self.args.iter().map(|(k, v)| ((*k).to_owned(), v.clone().into())).collect();
        serde_json::json!({"codigo": self.code(), "nivel": self.level().code(), "ubicacion": self.at, "args": args})
    }

    /// An item as kept (the inverse of [`Item::to_json`]); `None` for a code this version lacks.
    pub fn from_json(v: &serde_json::Value) -> Option<Item> {
        let issue = Issue::from_code(v.get("codigo")?.as_str()?)?;
        let mut item = Item::new(issue, v.get("ubicacion")?.as_str()?);
        for (k, val) in v.get("args").and_then(serde_json::Value::as_object).into_iter().flatten() {
            // Argument names are the catalog's, fixed in this table's texts.
            let name = ARG_NAMES.iter().find(|n| **n == k.as_str())?;
            item.args.push((name, val.as_str().unwrap_or_default().to_owned()));
        }
        Some(item)
    }
}

/// Every argument name the catalog's texts use.
const ARG_NAMES: [&str; 16] = [
    "detalle", "clave", "max", "version", "ruta", "id", "ref", "entrada", "nombre", "segundos", "n", "url", "que", "servidor", "prefijo",
    "origen",
];

/// A report as kept with its description.
pub fn to_json(items: &[Item]) -> String {
    serde_json::Value::Array(items.iter().map(Item::to_json).collect()).to_string()
}

/// A kept report.
pub fn from_json(text: &str) -> Vec<Item> {
    serde_json::from_str::<Vec<serde_json::Value>>(text)
        .unwrap_or_default()
        .iter()
        .filter_map(Item::from_json)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_text_and_every_argument_is_known() {
        let keys = iop_i18n::keys(iop_i18n::IMPORTACION[0].1).unwrap_or_else(|e| panic!("{e}"));
        for i in Issue::ALL {
            let vars = keys.get(i.code()).unwrap_or_else(|| panic!("sin texto: {}", i.code()));
            for v in vars {
                assert!(ARG_NAMES.contains(&v.as_str()), "{}: {v}", i.code());
            }
        }
        assert_eq!(keys.len(), Issue::ALL.len(), "textos sin código");
        let item = Item::new(Issue::WebhooksNoImportados, "#/webhooks").arg("n", 2);
        assert_eq!(
            item.text(Lang::En),
            "2 webhooks are not imported: the gateway serves consumers' calls, it does not send events"
        );
        let back = from_json(&to_json(std::slice::from_ref(&item)));
        assert_eq!(back, vec![item]);
    }
}
