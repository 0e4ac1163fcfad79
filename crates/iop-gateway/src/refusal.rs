//! Every answer the gateway gives on its own (a refusal, or a failure toward the upstream), defined
//! once: its HTTP status, stable code and Spanish message. Call records name the code.

use hyper::StatusCode;

macro_rules! refusals {
    ($( $(#[$doc:meta])* $variant:ident = ($status:ident, $code:literal, $message:literal), )*) => {
        /// Why the gateway answered a call itself.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Refusal {
            $( $(#[$doc])* $variant, )*
        }

        impl Refusal {
            /// Every refusal, in table order.
            pub const ALL: &'static [Refusal] = &[$(Refusal::$variant,)*];

            pub fn status(self) -> StatusCode {
                match self { $(Refusal::$variant => StatusCode::$status,)* }
            }
            /// The stable code (`codigo` in the answer, `refusal` in the record).
            pub fn code(self) -> &'static str {
                match self { $(Refusal::$variant => $code,)* }
            }
            /// The message for people, in Spanish.
            pub fn message(self) -> &'static str {
                match self { $(Refusal::$variant => $message,)* }
            }
        }
    };
}

refusals! {
    /// The path has dot segments, encoded separators, bad escapes or empty segments.
    RutaNoCanonica = (BAD_REQUEST, "ruta_no_canonica",
        "la ruta no está en forma canónica (segmentos «.» o «..», «%2F», «%5C», «%25», «%00», «//» o escapes inválidos)"),
    /// More than one credential, or a credential in the query string.
    CredencialAmbigua = (BAD_REQUEST, "credencial_ambigua",
        "envíe una sola credencial, en la cabecera «apikey» o como «Authorization: Bearer <JWT>», nunca en la URL"),
    CredencialRequerida = (UNAUTHORIZED, "credencial_requerida",
        "envíe su credencial en la cabecera «apikey» o como «Authorization: Bearer <JWT>»"),
    CredencialInvalida = (UNAUTHORIZED, "credencial_invalida", "la credencial no es válida o fue revocada"),
    JwtMalFormado = (UNAUTHORIZED, "jwt_mal_formado", "el JWT no está bien formado"),
    JwtAlgoritmo = (UNAUTHORIZED, "jwt_algoritmo_no_admitido",
        "el JWT debe firmarse con el algoritmo de su credencial (HS256, RS256 o ES256)"),
    JwtFirmaInvalida = (UNAUTHORIZED, "jwt_firma_invalida", "la firma del JWT no es válida"),
    CredencialVencida = (UNAUTHORIZED, "credencial_vencida", "la credencial venció"),
    JwtAunNoValido = (UNAUTHORIZED, "jwt_aun_no_valido", "el JWT todavía no es válido (nbf)"),
    /// The credential requires `exp` and the token has none.
    JwtSinExp = (UNAUTHORIZED, "jwt_sin_exp", "su credencial exige que el JWT lleve «exp» (vencimiento)"),
    /// `exp` lies further ahead than the credential allows.
    JwtVigenciaExcesiva = (UNAUTHORIZED, "jwt_vigencia_excesiva",
        "el vencimiento («exp») del JWT supera la vigencia máxima de su credencial"),
    ServicioInexistente = (NOT_FOUND, "servicio_inexistente", "no hay ningún servicio publicado en esa ruta"),
    OperacionInexistente = (NOT_FOUND, "operacion_inexistente", "el servicio no tiene esa operación (método y ruta)"),
    SinHabilitacion = (FORBIDDEN, "sin_habilitacion", "su sistema no tiene habilitado el consumo de este servicio"),
    HabilitacionNoVigente = (FORBIDDEN, "habilitacion_no_vigente",
        "la habilitación de su sistema para este servicio no está vigente"),
    OperacionNoHabilitada = (FORBIDDEN, "operacion_no_habilitada", "su habilitación no incluye esta operación"),
    LimiteExcedido = (TOO_MANY_REQUESTS, "limite_excedido",
        "superó el límite de llamadas de su habilitación; reintente más tarde"),
    DemasiadosRechazos = (TOO_MANY_REQUESTS, "demasiados_rechazos",
        "demasiadas llamadas sin credencial válida desde su dirección; espere un minuto"),
    CuerpoMuyGrande = (PAYLOAD_TOO_LARGE, "cuerpo_muy_grande", "el cuerpo de la petición supera el máximo del servicio"),
    SinEjemplo = (NOT_IMPLEMENTED, "sin_ejemplo", "la descripción del servicio no tiene un ejemplo para esta operación"),
    TiempoAgotado = (GATEWAY_TIMEOUT, "tiempo_agotado", "el servicio de la entidad publicadora no respondió a tiempo"),
    ServicioNoDisponible = (BAD_GATEWAY, "servicio_no_disponible",
        "no se pudo obtener respuesta del servicio de la entidad publicadora"),
    RespuestaMuyGrande = (BAD_GATEWAY, "respuesta_muy_grande",
        "la respuesta del servicio de la entidad publicadora supera el máximo permitido"),
    /// The upstream's answer broke off (or was malformed) after its head.
    RespuestaInterrumpida = (BAD_GATEWAY, "respuesta_interrumpida",
        "la respuesta del servicio de la entidad publicadora se interrumpió"),
    RegistroNoDisponible = (SERVICE_UNAVAILABLE, "registro_no_disponible",
        "no se pudo registrar la llamada; no se entrega la respuesta"),
    NoListo = (SERVICE_UNAVAILABLE, "no_listo", "el almacén no está disponible"),
    /// Not an answer: the record that counts the unrecorded refusals of one address in a window.
    AgregadoSinCredencial = (UNAUTHORIZED, "agregado_sin_credencial",
        "llamadas sin credencial válida contadas en un solo registro"),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_refusal_is_an_error_with_a_message() {
        let mut codes: Vec<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "a code is used twice");
        for r in Refusal::ALL {
            assert!(r.status().is_client_error() || r.status().is_server_error(), "{r:?}");
            assert!(!r.message().is_empty());
            assert!(r.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{r:?}");
        }
    }
}
