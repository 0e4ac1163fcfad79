//! The PR05 procedure as a state machine.
//!
//! [`decide`] is the single authority on whether an actor may take an action on a request: the
//! control plane loads the request's [`Facts`], asks, and commits the returned [`Transition`]
//! (new facts, history entry, step 4's effects) in one store transaction.

use crate::values::str_enum;
use crate::{Invalid, RequestKind, Role, RoleSet, UnitId, UserId};
use std::fmt;

str_enum!(
    /// The states of a request. `borrador` is the private draft before step 1.
    State {
        Borrador = "borrador",
        Presentada = "presentada",
        DerivadaAdas = "derivada_adas",
        AsignadaLider = "asignada_lider",
        Habilitada = "habilitada",
        NotaElaborada = "nota_elaborada",
        NotaAprobadaAdas = "nota_aprobada_adas",
        NotaAprobadaUpat = "nota_aprobada_upat",
        Recibida = "recibida",
        Observada = "observada",
        Rechazada = "rechazada",
        Desistida = "desistida",
    }
    "estado_invalido"
);

impl State {
    pub fn is_closed(&self) -> bool {
        matches!(self, State::Recibida | State::Rechazada | State::Desistida)
    }
    /// Whether a note number (CITE) given to this request's note is annulled: the request was
    /// rejected or withdrawn after its note was numbered. The number is never given again.
    pub fn annuls_cite(&self) -> bool {
        matches!(self, State::Rechazada | State::Desistida)
    }
    /// Before step 4: the request can still be rejected or withdrawn.
    pub fn before_enablement(&self) -> bool {
        matches!(
            self,
            State::Borrador | State::Presentada | State::DerivadaAdas | State::AsignadaLider | State::Observada
        )
    }
    pub fn label_es(&self) -> &'static str {
        match self {
            State::Borrador => "Borrador",
            State::Presentada => "Presentada (espera al Jefe de UPAT)",
            State::DerivadaAdas => "Derivada a ADAS (espera al Responsable de ADAS)",
            State::AsignadaLider => "Asignada a un Líder de equipo de ADAS",
            State::Habilitada => "Habilitada en la plataforma (espera la Nota Interna)",
            State::NotaElaborada => "Nota Interna elaborada (espera aprobación de ADAS)",
            State::NotaAprobadaAdas => "Nota Interna aprobada por ADAS (espera aprobación de UPAT)",
            State::NotaAprobadaUpat => "Nota Interna aprobada por UPAT (espera recepción)",
            State::Recibida => "Recibida (cerrada)",
            State::Observada => "Observada (devuelta al solicitante)",
            State::Rechazada => "Rechazada (cerrada)",
            State::Desistida => "Desistida (cerrada)",
        }
    }
}

str_enum!(
    /// What someone can do to a request.
    ActionKind {
        Presentar = "presentar",
        Derivar = "derivar",
        Asignar = "asignar",
        Reasignar = "reasignar",
        Habilitar = "habilitar",
        AjustarHabilitacion = "ajustar_habilitacion",
        ElaborarNota = "elaborar_nota",
        AprobarNotaAdas = "aprobar_nota_adas",
        AprobarNotaUpat = "aprobar_nota_upat",
        Recibir = "recibir",
        Observar = "observar",
        Subsanar = "subsanar",
        Rechazar = "rechazar",
        Desistir = "desistir",
    }
    "accion_invalida"
);

impl ActionKind {
    /// The PR05 activity (1–8) an action performs, if it is one of them.
    pub fn step(&self) -> Option<u8> {
        Some(match self {
            ActionKind::Presentar => 1,
            ActionKind::Derivar => 2,
            ActionKind::Asignar => 3,
            ActionKind::Habilitar => 4,
            ActionKind::ElaborarNota => 5,
            ActionKind::AprobarNotaAdas => 6,
            ActionKind::AprobarNotaUpat => 7,
            ActionKind::Recibir => 8,
            _ => return None,
        })
    }
    /// Every role that can take this action in some state.
    pub fn roles(&self) -> RoleSet {
        use Role::*;
        RoleSet::of(match self {
            ActionKind::Presentar | ActionKind::Recibir | ActionKind::Subsanar | ActionKind::Desistir => &[Solicitante],
            ActionKind::Derivar | ActionKind::AprobarNotaUpat => &[JefeUpat],
            ActionKind::Asignar | ActionKind::Reasignar | ActionKind::AprobarNotaAdas => &[ResponsableAdas],
            ActionKind::Habilitar | ActionKind::AjustarHabilitacion | ActionKind::ElaborarNota => &[LiderAdas],
            ActionKind::Observar => &[JefeUpat, ResponsableAdas, LiderAdas],
            ActionKind::Rechazar => &[JefeUpat, ResponsableAdas],
        })
    }
    /// Actions whose comment is the reason and so cannot be left out.
    pub fn needs_comment(&self) -> bool {
        matches!(self, ActionKind::Observar | ActionKind::Rechazar | ActionKind::Desistir)
    }
}

/// To whom a reviewer returns a request (only at step 7 is there a choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnTo {
    Solicitante,
    ResponsableAdas,
    Lider,
}

impl ReturnTo {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "solicitante" => Ok(Self::Solicitante),
            "responsable_adas" => Ok(Self::ResponsableAdas),
            "lider_adas" => Ok(Self::Lider),
            _ => Err(Invalid::of("destino_invalido.valor", &[])),
        }
    }
}

/// A candidate leader, as the control plane found it in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    pub roles: RoleSet,
    pub active: bool,
}

/// An action with the parameters that matter to the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Presentar,
    Derivar,
    Asignar(Candidate),
    Reasignar(Candidate),
    Habilitar,
    AjustarHabilitacion,
    ElaborarNota,
    AprobarNotaAdas,
    AprobarNotaUpat,
    Recibir,
    Observar(Option<ReturnTo>),
    Subsanar,
    Rechazar,
    Desistir,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Presentar => ActionKind::Presentar,
            Action::Derivar => ActionKind::Derivar,
            Action::Asignar(_) => ActionKind::Asignar,
            Action::Reasignar(_) => ActionKind::Reasignar,
            Action::Habilitar => ActionKind::Habilitar,
            Action::AjustarHabilitacion => ActionKind::AjustarHabilitacion,
            Action::ElaborarNota => ActionKind::ElaborarNota,
            Action::AprobarNotaAdas => ActionKind::AprobarNotaAdas,
            Action::AprobarNotaUpat => ActionKind::AprobarNotaUpat,
            Action::Recibir => ActionKind::Recibir,
            Action::Observar(_) => ActionKind::Observar,
            Action::Subsanar => ActionKind::Subsanar,
            Action::Rechazar => ActionKind::Rechazar,
            Action::Desistir => ActionKind::Desistir,
        }
    }
}

/// Who acts: the authenticated user, their roles and their unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub roles: RoleSet,
    pub unit: Option<UnitId>,
}

impl Actor {
    /// Whether the actor reviews requests (UPAT, ADAS, the Administrador): they see every
    /// submitted request, not only their unit's.
    pub fn reviews(&self) -> bool {
        [Role::JefeUpat, Role::ResponsableAdas, Role::LiderAdas, Role::Administrador]
            .iter()
            .any(|r| self.roles.has(*r))
    }
}

/// What the procedure needs to know about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    pub kind: RequestKind,
    /// The requesting unit (DGE, Unidad or Área).
    pub unit: UnitId,
    pub created_by: UserId,
    /// The Líder de equipo de ADAS in charge (from step 3 on).
    pub assignee: Option<UserId>,
    /// While `observada`: the state it goes back to when the requester corrects it.
    pub return_state: Option<State>,
    /// Who wrote the Nota Interna (step 5).
    pub note_author: Option<UserId>,
    /// Who approved it at step 6.
    pub adas_approver: Option<UserId>,
    /// Who approved it at step 7.
    pub upat_approver: Option<UserId>,
    pub has_document: bool,
}

impl Facts {
    /// A fresh draft.
    pub fn draft(kind: RequestKind, unit: UnitId, created_by: UserId) -> Self {
        Self {
            state: State::Borrador,
            kind,
            unit,
            created_by,
            assignee: None,
            return_state: None,
            note_author: None,
            adas_approver: None,
            upat_approver: None,
            has_document: false,
        }
    }

    /// Whom the request is waiting for.
    pub fn holder(&self) -> Holder {
        match self.state {
            State::Borrador => Holder::Author(self.created_by),
            State::Presentada | State::NotaAprobadaAdas => Holder::Role(Role::JefeUpat),
            State::DerivadaAdas | State::NotaElaborada => Holder::Role(Role::ResponsableAdas),
            State::AsignadaLider | State::Habilitada => match self.assignee {
                Some(u) => Holder::Leader(u),
                None => Holder::Role(Role::ResponsableAdas),
            },
            State::NotaAprobadaUpat | State::Observada => Holder::Unit(self.unit),
            State::Recibida | State::Rechazada | State::Desistida => Holder::Nobody,
        }
    }

    /// Who the request waits for, four-eyes included: exactly the actors `decide` lets take the
    /// step it waits for (see [`Facts::forward`]). Stored with every transition; inboxes read it.
    pub fn waiting(&self) -> Waiting {
        let (role, user, unit) = match self.state {
            State::Borrador => (Some(Role::Solicitante), Some(self.created_by), Some(self.unit)),
            State::Presentada | State::NotaAprobadaAdas => (Some(Role::JefeUpat), None, None),
            State::DerivadaAdas | State::NotaElaborada => (Some(Role::ResponsableAdas), None, None),
            State::AsignadaLider | State::Habilitada => match self.assignee {
                Some(u) => (Some(Role::LiderAdas), Some(u), None),
                None => (Some(Role::ResponsableAdas), None, None),
            },
            State::NotaAprobadaUpat | State::Observada => (Some(Role::Solicitante), None, Some(self.unit)),
            State::Recibida | State::Rechazada | State::Desistida => (None, None, None),
        };
        let excluded = match self.state {
            State::NotaElaborada => vec![self.note_author],
            State::NotaAprobadaAdas => vec![self.note_author, self.adas_approver],
            _ => vec![],
        };
        let mut excluded: Vec<UserId> = excluded.into_iter().flatten().collect();
        excluded.dedup();
        Waiting {
            role,
            user,
            unit,
            excluded,
        }
    }

    /// The action that moves the request on from its state (the step it waits for).
    pub fn forward(&self) -> Option<ActionKind> {
        Some(match self.state {
            State::Borrador => ActionKind::Presentar,
            State::Presentada => ActionKind::Derivar,
            State::DerivadaAdas => ActionKind::Asignar,
            State::AsignadaLider => ActionKind::Habilitar,
            State::Habilitada => ActionKind::ElaborarNota,
            State::NotaElaborada => ActionKind::AprobarNotaAdas,
            State::NotaAprobadaAdas => ActionKind::AprobarNotaUpat,
            State::NotaAprobadaUpat => ActionKind::Recibir,
            State::Observada => ActionKind::Subsanar,
            State::Recibida | State::Rechazada | State::Desistida => return None,
        })
    }

    /// Whether the actor may see this request at all.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        if self.state == State::Borrador {
            return actor.user == self.created_by;
        }
        actor.reviews() || (actor.roles.has(Role::Solicitante) && actor.unit == Some(self.unit))
    }

    /// Whether the actor may retrieve the accesses (credentials) step 4 issued for this request:
    /// any Solicitante of the requesting unit, nobody else (not the Líder who issued them).
    pub fn accesses_retrievable_by(&self, actor: &Actor) -> bool {
        actor.roles.has(Role::Solicitante) && actor.unit == Some(self.unit)
    }

    /// Whether the actor may ask to renew what this request granted: once received (step 8), for
    /// a consumption (`renovacion_no_aplicable` before, or for a publication alone), by a
    /// Solicitante of its unit (`otra_unidad`). The renewal is a new request through PR05.
    pub fn renewable_by(&self, actor: &Actor) -> Result<(), Refusal> {
        if self.state != State::Recibida || !self.kind.consumes() {
            return Err(Refusal::Conflict(Invalid::of("renovacion_no_aplicable", &[])));
        }
        if !(actor.roles.has(Role::Solicitante) && actor.unit == Some(self.unit)) {
            return Err(forbidden("otra_unidad", &[]));
        }
        Ok(())
    }

    /// Whether the actor may file a copy of the approved Nota Interna signed outside the platform
    /// (its definitive version): once step 7 approved it (`nota_sin_aprobar` before), the
    /// agency's officials who handled it — the Jefe de UPAT, the Responsable de ADAS and the
    /// assigned Líder (`firma_no_permitida` for anyone else).
    pub fn may_file_signed_note(&self, actor: &Actor) -> Result<(), Refusal> {
        if !matches!(self.state, State::NotaAprobadaUpat | State::Recibida) {
            return Err(Refusal::Conflict(Invalid::of("nota_sin_aprobar", &[])));
        }
        let handled = actor.roles.has(Role::JefeUpat)
            || actor.roles.has(Role::ResponsableAdas)
            || (actor.roles.has(Role::LiderAdas) && self.assignee == Some(actor.user));
        if !handled {
            return Err(forbidden("firma_no_permitida", &[]));
        }
        Ok(())
    }

    /// Whether the requester may edit the request's content (its data and supporting document).
    pub fn editable_by(&self, actor: &Actor) -> bool {
        match self.state {
            State::Borrador => actor.user == self.created_by,
            State::Observada => actor.roles.has(Role::Solicitante) && actor.unit == Some(self.unit),
            _ => false,
        }
    }
}

/// Who a request waits for, as stored with it: a role, narrowed to one user and/or one unit, less
/// those four-eyes excludes. Computed only by [`Facts::waiting`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Waiting {
    /// The role it waits under; `None` once closed.
    pub role: Option<Role>,
    /// Only this user (the draft's author, the assigned leader).
    pub user: Option<UserId>,
    /// Only members of this unit (the requesting unit's Solicitantes).
    pub unit: Option<UnitId>,
    /// Never these users: who wrote the note (step 6, 7) and who approved it at step 6 (step 7).
    pub excluded: Vec<UserId>,
}

impl Waiting {
    /// Whether the request waits for this actor.
    pub fn includes(&self, actor: &Actor) -> bool {
        self.role.is_some_and(|r| actor.roles.has(r))
            && self.user.is_none_or(|u| actor.user == u)
            && self.unit.is_none_or(|u| actor.unit == Some(u))
            && !self.excluded.contains(&actor.user)
    }
}

/// The party a request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// The draft's author.
    Author(UserId),
    /// Any Solicitante of the requesting unit.
    Unit(UnitId),
    /// Anyone holding this role.
    Role(Role),
    /// This Líder de equipo de ADAS.
    Leader(UserId),
    Nobody,
}

impl Holder {
    /// Whether this actor is (one of) the ones the request waits for.
    pub fn includes(&self, actor: &Actor) -> bool {
        match *self {
            Holder::Author(u) => actor.user == u,
            Holder::Unit(unit) => actor.roles.has(Role::Solicitante) && actor.unit == Some(unit),
            Holder::Role(r) => actor.roles.has(r),
            Holder::Leader(u) => actor.user == u && actor.roles.has(Role::LiderAdas),
            Holder::Nobody => false,
        }
    }
    /// The role that works on it, if any.
    pub fn role(&self) -> Option<Role> {
        match self {
            Holder::Author(_) | Holder::Unit(_) => Some(Role::Solicitante),
            Holder::Role(r) => Some(*r),
            Holder::Leader(_) => Some(Role::LiderAdas),
            Holder::Nobody => None,
        }
    }
}

/// Why an action was refused. `Forbidden` maps to 403, `Conflict` to 409, `Invalid` to 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(Invalid),
    Conflict(Invalid),
    Invalid(Invalid),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Forbidden(i) | Refusal::Conflict(i) | Refusal::Invalid(i) => i.code,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Forbidden(i) | Refusal::Conflict(i) | Refusal::Invalid(i) => write!(f, "{i}"),
        }
    }
}

/// An accepted action: what to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub action: ActionKind,
    /// The role under which the actor acted.
    pub role: Role,
    pub from: State,
    pub to: State,
    /// The request's facts after the transition.
    pub next: Facts,
    /// Whom it goes to.
    pub to_holder: Holder,
    /// Who it waits for afterwards, four-eyes included (stored with the transition).
    pub waiting: Waiting,
    /// The PR05 activity performed, if any.
    pub step: Option<u8>,
}

/// Requirements of one action in one state.
struct Rule {
    roles: &'static [Role],
    /// The actor must be a Solicitante of the request's unit.
    same_unit: bool,
    /// The actor must be the assigned leader.
    assignee: bool,
}

const fn rule(roles: &'static [Role], same_unit: bool, assignee: bool) -> Rule {
    Rule {
        roles,
        same_unit,
        assignee,
    }
}

fn rule_for(kind: ActionKind, state: State) -> Option<Rule> {
    use ActionKind as A;
    use Role::*;
    use State as S;
    Some(match (kind, state) {
        (A::Presentar, S::Borrador) => rule(&[Solicitante], true, false),
        (A::Derivar, S::Presentada) => rule(&[JefeUpat], false, false),
        (A::Asignar, S::DerivadaAdas) => rule(&[ResponsableAdas], false, false),
        (A::Reasignar, S::AsignadaLider | S::Habilitada) => rule(&[ResponsableAdas], false, false),
        (A::Habilitar, S::AsignadaLider) => rule(&[LiderAdas], false, true),
        (A::AjustarHabilitacion, S::Habilitada) => rule(&[LiderAdas], false, true),
        (A::ElaborarNota, S::Habilitada) => rule(&[LiderAdas], false, true),
        (A::AprobarNotaAdas, S::NotaElaborada) => rule(&[ResponsableAdas], false, false),
        (A::AprobarNotaUpat, S::NotaAprobadaAdas) => rule(&[JefeUpat], false, false),
        (A::Recibir, S::NotaAprobadaUpat) => rule(&[Solicitante], true, false),
        (A::Observar, S::Presentada | S::NotaAprobadaAdas) => rule(&[JefeUpat], false, false),
        (A::Observar, S::DerivadaAdas | S::NotaElaborada) => rule(&[ResponsableAdas], false, false),
        (A::Observar, S::AsignadaLider) => rule(&[LiderAdas], false, true),
        (A::Subsanar, S::Observada) => rule(&[Solicitante], true, false),
        (A::Rechazar, S::Presentada | S::DerivadaAdas | S::AsignadaLider | S::Observada) => {
            rule(&[JefeUpat, ResponsableAdas], false, false)
        }
        (A::Desistir, S::Borrador | S::Presentada | S::DerivadaAdas | S::AsignadaLider | S::Observada) => rule(&[Solicitante], true, false),
        _ => return None,
    })
}

fn forbidden(key: &'static str, args: &[(&str, iop_i18n::Arg)]) -> Refusal {
    Refusal::Forbidden(Invalid::of(key, args))
}

fn invalid(key: &'static str, args: &[(&str, iop_i18n::Arg)]) -> Refusal {
    Refusal::Invalid(Invalid::of(key, args))
}

fn check_leader(c: &Candidate) -> Result<(), Refusal> {
    if !c.roles.has(Role::LiderAdas) || !c.active {
        return Err(invalid("lider_invalido", &[]));
    }
    Ok(())
}

/// Decides whether `actor` may take `action` on a request with `facts`, and if so what follows.
///
/// Order of checks: the actor must hold a role that can ever take the action (else 403); the
/// request must be in a state where the action applies (else 409); then the actor must be the one
/// the rule names: right role for this state, Solicitante of the request's unit, the assigned leader,
/// and four-eyes on the Nota Interna (else 403); last, the action's own inputs (else 422).
pub fn decide(facts: &Facts, actor: &Actor, action: &Action, has_comment: bool) -> Result<Transition, Refusal> {
    let kind = action.kind();
    let role = permitted(facts, actor, kind)?;
    if kind.needs_comment() && !has_comment {
        return Err(invalid("comentario_requerido", iop_i18n::args![accion = &kind]));
    }
    decide_inputs(facts, actor, action, role)
}

/// The actions `actor` may take on a request with `facts` now, as far as who and when go: each is
/// one `decide` would accept given valid inputs (a comment, a leader, a destination…). What a page
/// or an inbox offers comes from here, never from a copy of the rules.
pub fn offered(facts: &Facts, actor: &Actor) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|k| permitted(facts, actor, *k).is_ok())
        .collect()
}

/// The approvals the four-eyes rule withholds from `actor` now — actions its role would take in
/// this state, refused only because this person wrote the Nota Interna or already approved it —
/// each with its refusal, so a page can say in words why the approval is not theirs.
pub fn withheld(facts: &Facts, actor: &Actor) -> Vec<(ActionKind, Invalid)> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter_map(|k| match permitted(facts, actor, k) {
            Err(Refusal::Forbidden(i)) if i.code == "cuatro_ojos" => Some((k, i)),
            _ => None,
        })
        .collect()
}

/// The checks of [`decide`] that do not depend on the action's inputs: the role under which
/// `actor` may take `kind` now.
fn permitted(facts: &Facts, actor: &Actor, kind: ActionKind) -> Result<Role, Refusal> {
    let ever = kind.roles();
    if !ever.iter().any(|r| actor.roles.has(r)) {
        let roles: Vec<&str> = ever.iter().map(|r| r.label_es()).collect();
        return Err(forbidden(
            "rol_requerido.accion",
            iop_i18n::args![
                accion = &kind,
                roles = iop_i18n::Arg::lang(
                    roles.join(" o ").to_string(),
                    ever.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ").to_string()
                )
            ],
        ));
    }
    let Some(rule) = rule_for(kind, facts.state) else {
        return Err(Refusal::Conflict(Invalid::of(
            "estado_incompatible",
            iop_i18n::args![accion = &kind, estado = &facts.state],
        )));
    };
    let Some(role) = rule.roles.iter().copied().find(|r| actor.roles.has(*r)) else {
        let roles: Vec<&str> = rule.roles.iter().map(|r| r.label_es()).collect();
        return Err(forbidden(
            "rol_requerido.en-estado",
            iop_i18n::args![
                estado = &facts.state,
                accion = &kind,
                roles = iop_i18n::Arg::lang(
                    roles.join(" o "),
                    rule.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                )
            ],
        ));
    };
    if rule.same_unit && actor.unit != Some(facts.unit) {
        return Err(forbidden("otra_unidad", &[]));
    }
    if facts.state == State::Borrador && actor.user != facts.created_by {
        return Err(forbidden("borrador_ajeno.solo-su-autor", &[]));
    }
    if rule.assignee && facts.assignee != Some(actor.user) {
        return Err(forbidden("no_asignado", &[]));
    }
    if matches!(kind, ActionKind::AprobarNotaAdas | ActionKind::AprobarNotaUpat) && facts.note_author == Some(actor.user) {
        return Err(forbidden("cuatro_ojos.autor-de-la-nota", &[]));
    }
    if kind == ActionKind::AprobarNotaUpat && facts.adas_approver == Some(actor.user) {
        return Err(forbidden("cuatro_ojos.misma-persona-adas-upat", &[]));
    }
    Ok(role)
}

/// The rest of [`decide`]: the action's own inputs, and what follows.
fn decide_inputs(facts: &Facts, actor: &Actor, action: &Action, role: Role) -> Result<Transition, Refusal> {
    let kind = action.kind();

    let mut next = *facts;
    match action {
        Action::Presentar => {
            if !facts.has_document {
                return Err(invalid("documento_requerido.al-presentar", &[]));
            }
            next.state = State::Presentada;
        }
        Action::Derivar => next.state = State::DerivadaAdas,
        Action::Asignar(c) => {
            check_leader(c)?;
            next.state = State::AsignadaLider;
            next.assignee = Some(c.user);
        }
        Action::Reasignar(c) => {
            check_leader(c)?;
            if facts.assignee == Some(c.user) {
                return Err(invalid("mismo_lider", &[]));
            }
            next.assignee = Some(c.user);
        }
        Action::Habilitar => next.state = State::Habilitada,
        Action::AjustarHabilitacion => {}
        Action::ElaborarNota => {
            next.state = State::NotaElaborada;
            next.note_author = Some(actor.user);
            next.adas_approver = None;
            next.upat_approver = None;
        }
        Action::AprobarNotaAdas => {
            next.state = State::NotaAprobadaAdas;
            next.adas_approver = Some(actor.user);
        }
        Action::AprobarNotaUpat => {
            next.state = State::NotaAprobadaUpat;
            next.upat_approver = Some(actor.user);
        }
        Action::Recibir => next.state = State::Recibida,
        Action::Observar(to) => match (facts.state, to) {
            (State::Presentada | State::DerivadaAdas | State::AsignadaLider, None | Some(ReturnTo::Solicitante)) => {
                next.state = State::Observada;
                next.return_state = Some(facts.state);
            }
            (State::NotaElaborada, None | Some(ReturnTo::Lider)) => {
                next.state = State::Habilitada;
                next.adas_approver = None;
            }
            (State::NotaAprobadaAdas, None | Some(ReturnTo::ResponsableAdas)) => {
                next.state = State::NotaElaborada;
                next.adas_approver = None;
            }
            (State::NotaAprobadaAdas, Some(ReturnTo::Lider)) => {
                next.state = State::Habilitada;
                next.adas_approver = None;
            }
            (state, _) => {
                return Err(invalid("destino_invalido.en-estado", iop_i18n::args![estado = &state]));
            }
        },
        Action::Subsanar => {
            if !facts.has_document {
                return Err(invalid("documento_requerido.pdf", &[]));
            }
            next.state = facts.return_state.unwrap_or(State::Presentada);
            next.return_state = None;
        }
        Action::Rechazar => {
            next.state = State::Rechazada;
            next.return_state = None;
        }
        Action::Desistir => {
            next.state = State::Desistida;
            next.return_state = None;
        }
    }
    Ok(Transition {
        action: kind,
        role,
        from: facts.state,
        to: next.state,
        to_holder: next.holder(),
        waiting: next.waiting(),
        step: kind.step(),
        next,
    })
}

/// Whether the actor may keep a draft of the Nota Interna now: exactly when they could submit it
/// (step 5, `elaborar_nota`).
pub fn may_draft_note(facts: &Facts, actor: &Actor) -> Result<(), Refusal> {
    permitted(facts, actor, ActionKind::ElaborarNota).map(|_| ())
}

/// Whether the actor may prepare step 4 now (stage a publication's connector and description, run
/// its connection probe): exactly when they could take step 4 itself, `habilitar` while assigned
/// or `ajustar_habilitacion` once enabled.
pub fn may_prepare_enablement(facts: &Facts, actor: &Actor) -> Result<(), Refusal> {
    let action = if facts.state == State::Habilitada {
        Action::AjustarHabilitacion
    } else {
        Action::Habilitar
    };
    decide(facts, actor, &action, false).map(|_| ())
}

/// Every (from, to) pair PR05 allows, as read in `shared/PR05.md`. The state machine must never
/// produce a pair outside this list (checked by property tests).
pub const PR05_EDGES: &[(State, State)] = &[
    (State::Borrador, State::Presentada),
    (State::Borrador, State::Desistida),
    (State::Presentada, State::DerivadaAdas),
    (State::DerivadaAdas, State::AsignadaLider),
    (State::AsignadaLider, State::AsignadaLider),
    (State::AsignadaLider, State::Habilitada),
    (State::Habilitada, State::Habilitada),
    (State::Habilitada, State::NotaElaborada),
    (State::NotaElaborada, State::NotaAprobadaAdas),
    (State::NotaAprobadaAdas, State::NotaAprobadaUpat),
    (State::NotaAprobadaUpat, State::Recibida),
    (State::Presentada, State::Observada),
    (State::DerivadaAdas, State::Observada),
    (State::AsignadaLider, State::Observada),
    (State::Observada, State::Presentada),
    (State::Observada, State::DerivadaAdas),
    (State::Observada, State::AsignadaLider),
    (State::NotaElaborada, State::Habilitada),
    (State::NotaAprobadaAdas, State::NotaElaborada),
    (State::NotaAprobadaAdas, State::Habilitada),
    (State::Presentada, State::Rechazada),
    (State::DerivadaAdas, State::Rechazada),
    (State::AsignadaLider, State::Rechazada),
    (State::Observada, State::Rechazada),
    (State::Presentada, State::Desistida),
    (State::DerivadaAdas, State::Desistida),
    (State::AsignadaLider, State::Desistida),
    (State::Observada, State::Desistida),
];

#[cfg(test)]
mod tests;
