use iop_domain::*;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRec {
    pub id: UnitId,
    pub sigla: Sigla,
    pub nombre: Name,
    /// DGE, UPAT and ADAS belong to the agency; other units are requesting units.
    pub agency: bool,
    /// Who heads it, as documents name them.
    pub head: Option<UnitHead>,
    pub created_at: OffsetDateTime,
}

/// The head of a unit: a name and a title (`Jefe de la Unidad de …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitHead {
    pub name: Name,
    pub title: Name,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRec {
    pub id: UserId,
    pub login: Login,
    pub nombre: Name,
    pub unit: Option<UnitId>,
    pub roles: RoleSet,
    pub active: bool,
    /// Argon2id PHC string; never leaves the server.
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    /// The roles the user holds now in someone's place (suplencias in force), beyond their own;
    /// `roles` already includes them. Filled by the session lookup, empty elsewhere.
    pub acting: Vec<Acting>,
}

impl SuplenciaRec {
    /// Whether it lasts at `at` (from `from` on, until before `until`).
    pub fn in_force(&self, at: OffsetDateTime) -> bool {
        self.from <= at && at < self.until
    }
}

/// A role a user holds in someone's place, for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub role: Role,
    pub replaces: UserId,
    pub replaces_name: String,
}

/// A suplencia: `user` holds `role` in place of `replaces` from `from` until `until` (exclusive),
/// designated by `memorandum`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuplenciaRec {
    pub id: String,
    pub user: UserId,
    pub user_name: String,
    pub role: Role,
    pub replaces: UserId,
    pub replaces_name: String,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
    pub memorandum: Name,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
}

impl UserRec {
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.id,
            roles: self.roles,
            unit: self.unit,
        }
    }
}

/// What the overview of the procedure counts, in one statement: requests per state (drafts
/// included), open requests per assignee, and overdue requests by whom they wait for (role, and
/// user when one person holds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverviewCounts {
    pub by_state: Vec<(State, i64)>,
    pub open_by_assignee: Vec<(UserId, i64)>,
    pub overdue: Vec<(Role, Option<UserId>, i64)>,
}

/// What the overview asks: a request in one of `cutoffs`' states is overdue when it entered that
/// state at or before its cutoff; `people` are the active users with this role (whose load is
/// shown, none left out for having none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewQuery {
    pub cutoffs: Vec<(State, OffsetDateTime)>,
    pub people: Role,
}

/// What `RequestStore::bandeja` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandejaRead {
    pub lines: PageOf<RequestLine>,
    /// The counts and the active users with the query's role, by name.
    pub overview: Option<(OverviewCounts, Vec<UserRec>)>,
}

/// One window of failed logins from one client address, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLoginsRec {
    pub address: Option<String>,
    pub first: OffsetDateTime,
    pub last: OffsetDateTime,
    pub attempts: u32,
    /// Accounts tried that exist; names that are no account are only counted.
    pub accounts: Vec<String>,
    pub unknown: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRec {
    /// SHA-256 of the bearer token (hex); the token itself is never stored.
    pub token_hash: String,
    pub user: UserId,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRec {
    pub id: EntityId,
    pub sigla: Sigla,
    pub nombre: Name,
    pub kind: EntityKind,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRec {
    pub id: SystemId,
    pub entity: EntityId,
    pub code: Code,
    pub nombre: Name,
    pub descripcion: Option<Text>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceState {
    /// In the catalog, not yet enabled through PR05.
    Registrado,
    /// Published on the platform by a request's step 4.
    Publicado,
}

impl ServiceState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ServiceState::Registrado => "registrado",
            ServiceState::Publicado => "publicado",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRec {
    pub id: ServiceId,
    pub entity: EntityId,
    pub code: Code,
    pub version: ServiceVersion,
    pub nombre: Name,
    pub descripcion: Option<Text>,
    pub state: ServiceState,
    /// The request whose step 4 published it.
    pub request: Option<RequestId>,
    pub created_at: OffsetDateTime,
    /// Deprecated from this moment (the gateway then sends `Deprecation`), and retired at
    /// `sunset_at` (sent as `Sunset`).
    pub deprecated_at: Option<OffsetDateTime>,
    pub sunset_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRec {
    pub id: GrantId,
    pub request: RequestId,
    pub spec: GrantSpec,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A grant with an end, as the list of endings shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndingGrant {
    pub grant: GrantRec,
    pub request_code: TrackingCode,
    /// The requesting unit.
    pub unit: UnitId,
    pub system_code: String,
    pub service_code: String,
    pub service_version: i64,
}

/// The supporting document of step 1, stored content-addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    pub kind: DocumentKind,
    pub sha256: String,
    pub filename: String,
    pub size: i64,
}

/// The editable content of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContent {
    pub kind: RequestKind,
    pub system: Option<SystemId>,
    /// Consumption by a system not yet in the catalog: proposed by name and purpose, registered
    /// by the Líder at step 4 (then `system` names it).
    pub proposed_system: Option<ProposedSystem>,
    pub publisher: Option<EntityId>,
    pub justification: Text,
    pub services: Vec<ServiceId>,
    pub publications: Vec<PublicationSpec>,
}

/// A consuming system a request proposes, not yet in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedSystem {
    pub name: Name,
    pub purpose: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub id: RequestId,
    pub unit: UnitId,
    pub created_by: UserId,
    pub content: RequestContent,
}

/// The Nota Interna of step 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRec {
    pub number: NoteNumber,
    pub body: Text,
    pub recommendations: Option<Text>,
    pub revision: i64,
    /// The code its PDFs carry for the public verification page (random, not derived from the
    /// number; lowercase hex).
    pub verification: String,
}

/// One submission of the Nota Interna (step 5, and each re-submission after a return).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVersionRec {
    pub revision: i64,
    pub number: NoteNumber,
    pub body: Text,
    pub recommendations: Option<Text>,
    pub author: Option<UserId>,
    pub submitted_at: OffsetDateTime,
}

impl NoteVersionRec {
    /// The SHA-256 of this version's canonical content (see [`NoteRec::canonical`]).
    pub fn sha256(&self, request: &TrackingCode) -> String {
        NoteRec {
            number: self.number.clone(),
            body: self.body.clone(),
            recommendations: self.recommendations.clone(),
            revision: self.revision,
            verification: String::new(),
        }
        .sha256(request)
    }
}

/// A PDF of the note in one state, rendered once and kept; the bytes are in the blob store under
/// `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotePdfRec {
    /// The history entry that brought the note to this state (its submission or an approval).
    pub seq: i64,
    pub revision: i64,
    /// elaborada, aprobada_adas or aprobada_upat.
    pub stage: String,
    pub sha256: String,
    pub size: i64,
    pub created_at: OffsetDateTime,
}

/// A request as the management report reads it: what it is, where it stands, and every
/// hand-over it had, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub id: RequestId,
    pub code: TrackingCode,
    pub kind: RequestKind,
    pub state: State,
    pub created_at: OffsetDateTime,
    pub history: Vec<HistoryRec>,
}

/// The note's draft while it is written (step 5), as last saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteDraftRec {
    pub body: Option<Text>,
    pub recommendations: Option<Text>,
    pub saved_by: UserId,
    pub saved_at: OffsetDateTime,
}

/// One number of the CITE register: the note it was given to (on its first submission) and where
/// that note's request stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiteRec {
    pub number: NoteNumber,
    pub request: RequestId,
    pub code: TrackingCode,
    pub kind: RequestKind,
    /// The requesting unit's sigla.
    pub unit: String,
    pub state: State,
    /// When the number was given (the note's first submission).
    pub given_at: OffsetDateTime,
    /// Who submitted the note then.
    pub author_name: Option<String>,
}

/// A copy of the approved note signed outside the platform, filed as its definitive version; the
/// bytes are in the blob store under `sha256`. What the signature says is read at filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNoteRec {
    /// Its place among the request's filings (1, 2, …); the highest is the definitive one.
    pub n: i64,
    /// The note version it is a copy of.
    pub revision: i64,
    pub sha256: String,
    pub size: i64,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub digest_matches: bool,
    pub covers_whole_file: bool,
    pub filed_by: UserId,
    /// The filer's name, as the store knows it (read back; ignored when filing).
    pub filed_by_name: String,
    pub filed_at: OffsetDateTime,
}

impl NoteRec {
    /// The note's canonical content: what an approval (steps 6 and 7) and the receipt (step 8)
    /// bind. One field per line, in this order, each text length-prefixed (in bytes) so that no
    /// two notes share a serialisation:
    ///
    /// ```text
    /// iop-nota-interna/1
    /// solicitud: IOP-2026-000001
    /// numero: AGETIC/NI/UPAT-ADAS/0001/2026
    /// revision: 1
    /// cuerpo: <bytes>:<text>
    /// recomendaciones: <bytes>:<text>      (0: when there are none)
    /// ```
    pub fn canonical(&self, request: &TrackingCode) -> String {
        let body = self.body.as_str();
        let recs = self.recommendations.as_ref().map(|r| r.as_str()).unwrap_or("");
        format!(
            "iop-nota-interna/1\nsolicitud: {}\nnumero: {}\nrevision: {}\ncuerpo: {}:{body}\nrecomendaciones: {}:{recs}\n",
            request.as_str(),
            self.number.as_str(),
            self.revision,
            body.len(),
            recs.len(),
        )
    }

    /// SHA-256 (hex) of [`NoteRec::canonical`].
    pub fn sha256(&self, request: &TrackingCode) -> String {
        crate::blobs::sha256_hex(self.canonical(request).as_bytes())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRec {
    pub id: RequestId,
    pub code: TrackingCode,
    pub facts: Facts,
    pub content: RequestContent,
    pub document: Option<DocumentRef>,
    pub note: Option<NoteRec>,
    /// Who it waits for, as stored by its last transition (computed by the domain).
    pub waiting: Waiting,
    /// When it entered its current state (the inbox's waiting time counts from here).
    pub state_since: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// A request as lists and inboxes show it: what the domain needs to judge it (its facts and
/// who it waits for) and the moments a list shows, without its content, document or note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub id: RequestId,
    pub code: TrackingCode,
    pub facts: Facts,
    pub waiting: Waiting,
    pub state_since: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<&RequestRec> for RequestLine {
    fn from(r: &RequestRec) -> Self {
        Self {
            id: r.id,
            code: r.code.clone(),
            facts: r.facts,
            waiting: r.waiting.clone(),
            state_since: r.state_since,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFilter {
    pub state: Option<State>,
    pub unit: Option<UnitId>,
    pub kind: Option<RequestKind>,
    /// Part of the tracking code (`2026-0001` finds `IOP-2026-000123`).
    pub code: Option<String>,
    /// Created at or after this moment, and before this other one.
    pub created_from: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
    /// Who lists: only what `Facts::visible_to` lets them see is returned (their own drafts;
    /// submitted requests of their unit, or all of them for a reviewer).
    pub viewer: Actor,
}

/// A page of a list: at most `limit` items after the cursor `after` (from an earlier page's
/// `next`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub after: Option<Cursor>,
}

/// Where a page of requests ends: the ordering instant (ms) and the tracking code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub ms: i64,
    pub code: TrackingCode,
}

impl Cursor {
    /// The opaque text form: `<ms>~<tracking code>`.
    pub fn parse(s: &str) -> Option<Self> {
        let (ms, code) = s.split_once('~')?;
        Some(Self {
            ms: ms.parse().ok()?,
            code: TrackingCode::parse(code).ok()?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.ms, self.code.as_str())
    }
}

/// One page of a list and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRec {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor: UserId,
    pub actor_login: String,
    pub actor_name: String,
    pub role: Role,
    pub action: ActionKind,
    pub from: State,
    pub to: State,
    /// Whom it went to, in words (`jefe_upat`, `lider_adas:<id>`, `unidad:<id>`, …).
    pub to_holder: String,
    pub comment: Option<String>,
    /// A JSON summary of the step's effects, if it had any.
    pub detail: Option<String>,
    /// Whom the actor replaced when acting (a suplencia), and that person's name.
    pub acting_for: Option<UserId>,
    pub acting_for_name: Option<String>,
}

/// What a transition changes besides the request's facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effects {
    /// Step 4 (and its adjustments): the grants and publications the request now has.
    pub enablement: Option<Enablement>,
    /// Step 5: the note's text. The number is given on the first submission and kept after.
    pub note: Option<NoteText>,
    /// Step 4: credentials issued to the consuming system.
    pub credentials: Vec<crate::CredentialRec>,
    /// Step 4: their secrets, sealed for the requesting unit, to be retrieved once.
    pub delivery: Option<crate::DeliveryRec>,
}

/// A submission of the Nota Interna (step 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteText {
    pub body: Text,
    pub recommendations: Option<Text>,
    /// The verification code to give the note if it has none yet (random, from the caller; kept
    /// across versions).
    pub verification: String,
    /// How to write the number, if the note gets one now.
    pub cite_format: CiteFormat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionCommit {
    pub request: RequestId,
    pub expected_version: i64,
    pub actor: UserId,
    pub transition: Transition,
    pub comment: Option<Text>,
    pub effects: Effects,
    pub detail: Option<String>,
    /// Whom the actor replaces in the role they act with (a suplencia in force), if anyone.
    pub acting_for: Option<UserId>,
    /// The notices it causes, queued with it.
    pub notices: Vec<crate::NoticeRec>,
}

/// Encodes a holder for the history.
pub fn holder_label(h: &Holder) -> String {
    match h {
        Holder::Author(u) => format!("autor:{u}"),
        Holder::Unit(u) => format!("unidad:{u}"),
        Holder::Role(r) => r.as_str().to_owned(),
        Holder::Leader(u) => format!("lider_adas:{u}"),
        Holder::Nobody => "nadie".to_owned(),
    }
}
