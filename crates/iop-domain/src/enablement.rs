//! Step 4's content: what the leader enables on the platform. Consumption: access grants
//! (consuming system × service) with a validity period. Publication: the described services that
//! enter the catalog as published.

use crate::{Code, Invalid, Name, RequestKind, ServiceId, ServiceVersion, SystemId, Text};
use time::Date;

/// A rate limit on a grant: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrantRate {
    pub per_second: f64,
    pub burst: u32,
}

impl GrantRate {
    pub fn new(per_second: f64, burst: u32) -> Result<Self, Invalid> {
        if !(per_second > 0.0 && per_second <= 100_000.0) || burst == 0 || burst > 100_000 {
            return Err(Invalid::of("limite_invalido.habilitacion", &[]));
        }
        Ok(Self { per_second, burst })
    }
}

impl Eq for GrantRate {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantSpec {
    pub system: SystemId,
    pub service: ServiceId,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
    /// Operation ids of the service's description; `None` grants every operation.
    pub operations: Option<Vec<String>>,
    pub rate: Option<GrantRate>,
}

/// A service a publication request describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationSpec {
    pub code: Code,
    pub version: ServiceVersion,
    pub name: Name,
    pub description: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enablement {
    pub grants: Vec<GrantSpec>,
    pub publish: Vec<(Code, ServiceVersion)>,
}

/// Checks that an enablement does exactly what the request asked for, and nothing beyond it.
pub fn check_enablement(
    kind: RequestKind,
    system: Option<SystemId>,
    requested: &[ServiceId],
    described: &[PublicationSpec],
    e: &Enablement,
) -> Result<(), Invalid> {
    if kind.consumes() && e.grants.is_empty() {
        return Err(Invalid::of("habilitacion_vacia.consumo", &[]));
    }
    if kind.publishes() && e.publish.is_empty() {
        return Err(Invalid::of("habilitacion_vacia.publicacion", &[]));
    }
    if !kind.consumes() && !e.grants.is_empty() {
        return Err(Invalid::of("fuera_de_solicitud.sin-consumo", &[]));
    }
    if !kind.publishes() && !e.publish.is_empty() {
        return Err(Invalid::of("fuera_de_solicitud.sin-publicacion", &[]));
    }
    for (i, g) in e.grants.iter().enumerate() {
        if Some(g.system) != system {
            return Err(Invalid::of("fuera_de_solicitud.otro-sistema", &[]));
        }
        if !requested.contains(&g.service) {
            return Err(Invalid::of("fuera_de_solicitud.otro-servicio", &[]));
        }
        if g.valid_until.is_some_and(|u| u < g.valid_from) {
            return Err(Invalid::of("vigencia_invalida", &[]));
        }
        if e.grants.iter().take(i).any(|o| o.service == g.service && o.system == g.system) {
            return Err(Invalid::of("acceso_repetido", &[]));
        }
    }
    for (i, p) in e.publish.iter().enumerate() {
        if !described.iter().any(|d| d.code == p.0 && d.version == p.1) {
            return Err(Invalid::of(
                "fuera_de_solicitud.servicio-no-descrito",
                iop_i18n::args![codigo = &p.0, version = &p.1.get()],
            ));
        }
        if e.publish.iter().take(i).any(|q| q == p) {
            return Err(Invalid::of("servicio_repetido.habilitacion", &[]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn enablement_stays_within_the_request() {
        let sys = SystemId::generate();
        let svc = ServiceId::generate();
        let grant = |system, service| GrantSpec {
            system,
            service,
            valid_from: date!(2026 - 01 - 01),
            valid_until: None,
            operations: None,
            rate: None,
        };
        let ok = Enablement {
            grants: vec![grant(sys, svc)],
            publish: vec![],
        };
        assert!(check_enablement(RequestKind::Consumo, Some(sys), &[svc], &[], &ok).is_ok());
        let code = |e: &Enablement| check_enablement(RequestKind::Consumo, Some(sys), &[svc], &[], e).map_err(|i| i.code);
        assert_eq!(code(&Enablement::default()), Err("habilitacion_vacia"));
        let other = Enablement {
            grants: vec![grant(sys, ServiceId::generate())],
            publish: vec![],
        };
        assert_eq!(code(&other), Err("fuera_de_solicitud"));
        let twice = Enablement {
            grants: vec![grant(sys, svc), grant(sys, svc)],
            publish: vec![],
        };
        assert_eq!(code(&twice), Err("acceso_repetido"));
    }
}
