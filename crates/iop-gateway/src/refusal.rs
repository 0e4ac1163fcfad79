//! Every answer the gateway gives on its own (a refusal, or a failure toward the upstream), defined
//! once: its stable code and HTTP status. Its texts are `iop-i18n`'s `pasarela.ftl` message of
//! the same name, in Spanish and English, rendered once at start. Call records name the code.

use std::sync::LazyLock;

use hyper::StatusCode;
use iop_i18n::Lang;

iop_i18n::code_table! {
    /// Why the gateway answered a call itself.
    pub enum Refusal: StatusCode {
    /// The path has dot segments, encoded separators, bad escapes or empty segments.
    RutaNoCanonica = ("ruta_no_canonica", StatusCode::BAD_REQUEST),
    /// More than one credential, or a credential in the query string.
    CredencialAmbigua = ("credencial_ambigua", StatusCode::BAD_REQUEST),
    CredencialRequerida = ("credencial_requerida", StatusCode::UNAUTHORIZED),
    CredencialInvalida = ("credencial_invalida", StatusCode::UNAUTHORIZED),
    JwtMalFormado = ("jwt_mal_formado", StatusCode::UNAUTHORIZED),
    JwtAlgoritmo = ("jwt_algoritmo_no_admitido", StatusCode::UNAUTHORIZED),
    JwtFirmaInvalida = ("jwt_firma_invalida", StatusCode::UNAUTHORIZED),
    CredencialVencida = ("credencial_vencida", StatusCode::UNAUTHORIZED),
    JwtAunNoValido = ("jwt_aun_no_valido", StatusCode::UNAUTHORIZED),
    /// The credential requires `exp` and the token has none.
    JwtSinExp = ("jwt_sin_exp", StatusCode::UNAUTHORIZED),
    /// `exp` lies further ahead than the credential allows.
    JwtVigenciaExcesiva = ("jwt_vigencia_excesiva", StatusCode::UNAUTHORIZED),
    ServicioInexistente = ("servicio_inexistente", StatusCode::NOT_FOUND),
    OperacionInexistente = ("operacion_inexistente", StatusCode::NOT_FOUND),
    SinHabilitacion = ("sin_habilitacion", StatusCode::FORBIDDEN),
    /// A sandbox credential used on a real service.
    CredencialSoloSandbox = ("credencial_solo_sandbox", StatusCode::FORBIDDEN),
    /// Every grant for the service starts later.
    HabilitacionNoVigente = ("habilitacion_no_vigente", StatusCode::FORBIDDEN),
    /// Every grant for the service has ended: a renewal goes through PR05 again.
    HabilitacionVencida = ("habilitacion_vencida", StatusCode::FORBIDDEN),
    OperacionNoHabilitada = ("operacion_no_habilitada", StatusCode::FORBIDDEN),
    LimiteExcedido = ("limite_excedido", StatusCode::TOO_MANY_REQUESTS),
    DemasiadosRechazos = ("demasiados_rechazos", StatusCode::TOO_MANY_REQUESTS),
    CuerpoMuyGrande = ("cuerpo_muy_grande", StatusCode::PAYLOAD_TOO_LARGE),
    /// The client's request body broke off before its end (it was being streamed upstream).
    CuerpoInterrumpido = ("cuerpo_interrumpido", StatusCode::BAD_REQUEST),
    /// The client left its request body unsent for longer than the gateway waits.
    CuerpoLento = ("cuerpo_lento", StatusCode::REQUEST_TIMEOUT),
    SinEjemplo = ("sin_ejemplo", StatusCode::NOT_IMPLEMENTED),
    TiempoAgotado = ("tiempo_agotado", StatusCode::GATEWAY_TIMEOUT),
    ServicioNoDisponible = ("servicio_no_disponible", StatusCode::BAD_GATEWAY),
    RespuestaMuyGrande = ("respuesta_muy_grande", StatusCode::BAD_GATEWAY),
    /// The upstream's answer broke off (or was malformed) after its head.
    RespuestaInterrumpida = ("respuesta_interrumpida", StatusCode::BAD_GATEWAY),
    RegistroNoDisponible = ("registro_no_disponible", StatusCode::SERVICE_UNAVAILABLE),
    NoListo = ("no_listo", StatusCode::SERVICE_UNAVAILABLE),
    /// Not an answer: the record that counts the unrecorded refusals of one address in a window.
    AgregadoSinCredencial = ("agregado_sin_credencial", StatusCode::UNAUTHORIZED),
    }
}

/// Every refusal's text in both languages, in table order, rendered once.
static TEXTS: LazyLock<Vec<(String, String)>> =
    LazyLock::new(|| Refusal::ALL.iter().map(|r| iop_i18n::gateway().both(r.code(), &[])).collect());

impl Refusal {
    pub fn status(self) -> StatusCode {
        self.spec()
    }

    /// The message for people, in `lang`.
    pub fn message(self, lang: Lang) -> &'static str {
        // The enum's variants are numbered in table order, as `ALL` and `TEXTS` are.
        match (TEXTS.get(self as usize), lang) {
            (Some((es, _)), Lang::Es) => es,
            (Some((_, en)), Lang::En) => en,
            (None, _) => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalog has a text for each code and no other (both languages: `iop-i18n`'s tests).
    #[test]
    fn the_table_and_the_catalog_name_the_same_codes() {
        let keys = iop_i18n::keys(iop_i18n::PASARELA[0].1).unwrap_or_else(|e| panic!("{e}"));
        let mut table: Vec<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        table.sort_unstable();
        assert_eq!(keys.keys().map(String::as_str).collect::<Vec<_>>(), table);
        assert!(keys.values().all(|v| v.is_empty()), "a refusal's text takes no variables");
    }

    #[test]
    fn codes_are_unique_and_every_refusal_is_an_error_with_a_message() {
        let mut codes: Vec<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "a code is used twice");
        for r in Refusal::ALL {
            assert!(r.status().is_client_error() || r.status().is_server_error(), "{r:?}");
            for lang in Lang::ALL {
                assert!(!r.message(lang).is_empty() && r.message(lang) != r.code(), "{r:?} {lang:?}");
                assert_eq!(r.message(lang), iop_i18n::gateway().text(lang, r.code(), &[]), "{r:?}");
            }
            assert!(r.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{r:?}");
        }
    }
}
