//! Identifiers. Each is a UUID (v7, so they sort by creation) wrapped in its own type so that a
//! user id can never be passed where a request id is expected.

use crate::Invalid;
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident, $what_es:literal, $what_en:literal) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered identifier.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn from_uuid(u: Uuid) -> Self {
                Self(u)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
            pub fn parse(s: &str) -> Result<Self, Invalid> {
                Uuid::try_parse(s.trim()).map(Self).map_err(|_| {
                    Invalid::of(
                        "identificador_invalido",
                        iop_i18n::args![que = iop_i18n::Arg::lang($what_es.to_string(), $what_en.to_string())],
                    )
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(UserId, "usuario", "user");
id_type!(UnitId, "unidad", "unit");
id_type!(EntityId, "entidad", "entity");
id_type!(SystemId, "sistema", "system");
id_type!(ServiceId, "servicio", "service");
id_type!(RequestId, "solicitud", "request");
id_type!(GrantId, "habilitación", "grant");
id_type!(CredentialId, "credencial", "credential");
id_type!(DeliveryId, "entrega", "delivery");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_refuse_garbage() {
        let id = RequestId::generate();
        assert_eq!(RequestId::parse(&id.to_string()), Ok(id));
        assert_eq!(RequestId::parse("42").map_err(|e| e.code), Err("identificador_invalido"));
    }
}
