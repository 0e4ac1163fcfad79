use crate::Invalid;
use crate::values::str_enum;
use std::fmt;

str_enum!(
    /// The roles of PR05 (plus the platform's administrator). A user may hold several.
    Role {
        Solicitante = "solicitante",
        JefeUpat = "jefe_upat",
        ResponsableAdas = "responsable_adas",
        LiderAdas = "lider_adas",
        Administrador = "administrador",
    }
    "rol_invalido"
);

impl Role {
    pub fn label_es(&self) -> &'static str {
        match self {
            Role::Solicitante => "Solicitante (DGE, Unidad o Área)",
            Role::JefeUpat => "Jefe de UPAT",
            Role::ResponsableAdas => "Responsable de ADAS",
            Role::LiderAdas => "Líder de equipo de ADAS",
            Role::Administrador => "Administrador",
        }
    }
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of roles (small and `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    pub fn empty() -> Self {
        Self(0)
    }
    pub fn of(roles: &[Role]) -> Self {
        roles.iter().fold(Self(0), |s, r| s.with(*r))
    }
    pub fn with(self, r: Role) -> Self {
        Self(self.0 | r.bit())
    }
    pub fn has(&self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        Role::ALL.iter().copied().filter(|r| self.has(*r))
    }
    /// Parses a list of role names; an empty list is refused (a user without a role cannot act).
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Self, Invalid> {
        let mut set = Self::empty();
        for n in names {
            set = set.with(Role::parse(n.as_ref())?);
        }
        if set.is_empty() {
            return Err(Invalid::of("roles_vacios", &[]));
        }
        Ok(set)
    }
}
