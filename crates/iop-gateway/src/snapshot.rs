//! The compiled snapshot: everything the gateway needs to decide on a call, immutable once built.
//! The control plane builds a new one after each committed change and swaps it in atomically
//! ([`SnapshotHandle`]); requests in flight keep the one they started with.

use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A consuming system as seen through one of its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub system_id: Arc<str>,
    pub system_code: Arc<str>,
    pub entity_sigla: Arc<str>,
    pub credential_id: Arc<str>,
    /// The credential stops working at this instant (Unix ms), e.g. after a rotation's overlap.
    pub not_after_ms: Option<i64>,
    /// A sandbox credential: `/fake/…` only, never a real service.
    pub sandbox_only: bool,
}

/// A token-bucket rate: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

/// An access grant: consuming system × service, optionally restricted to some operations.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub grant_id: Arc<str>,
    /// The tracking code of the PR05 request whose step 4 created it (the legal chain).
    pub request_code: Arc<str>,
    /// Operation ids allowed; `None` means every operation of the service.
    pub operations: Option<Vec<Arc<str>>>,
    pub from_ms: i64,
    pub until_ms: Option<i64>,
    pub rate: Option<Rate>,
}

impl Grant {
    pub fn valid_at(&self, now_ms: i64) -> bool {
        now_ms >= self.from_ms && self.until_ms.is_none_or(|u| now_ms < u)
    }
    /// Whether it has ended (its end is not after `now_ms`).
    pub fn ended_at(&self, now_ms: i64) -> bool {
        self.until_ms.is_some_and(|u| now_ms >= u)
    }
    pub fn allows(&self, op: Option<&str>) -> bool {
        match (&self.operations, op) {
            (None, _) => true,
            (Some(ops), Some(op)) => ops.iter().any(|o| &**o == op),
            (Some(_), None) => false,
        }
    }
}

/// One segment of an operation's path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(Box<str>),
    /// A parameter; `pii` if its value is a personal identifier (kept only as a keyed hash).
    Param {
        name: Box<str>,
        pii: bool,
    },
    /// Literal text around parameters in one segment (`{id}.pdf`, `v{n}`, `{a}-{b}`); `pii` if
    /// one of them is a personal identifier (the whole segment is then hashed in records).
    Pattern {
        pieces: Box<[Piece]>,
        pii: bool,
    },
}

/// A piece of a [`Segment::Pattern`]: never two parameters in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(Box<str>),
    Param(Box<str>),
}

impl Segment {
    /// The segments of an OpenAPI path template; `pii` names the parameters that are personal
    /// identifiers.
    pub fn parse_template(path: &str, pii: &[String]) -> Vec<Segment> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| Segment::parse_one(s, pii))
            .collect()
    }

    fn parse_one(s: &str, pii: &[String]) -> Segment {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(open) if let Some(close) = rest.get(open..).and_then(|r| r.find('}')).map(|c| c + open) => {
                    if let Some(lit) = rest.get(..open).filter(|l| !l.is_empty()) {
                        pieces.push(Piece::Lit(lit.into()));
                    }
                    let name = rest.get(open + 1..close).unwrap_or("");
                    // Two parameters in a row cannot be told apart: read as one.
                    if !matches!(pieces.last(), Some(Piece::Param(_))) {
                        pieces.push(Piece::Param(name.into()));
                    }
                    rest = rest.get(close + 1..).unwrap_or("");
                }
                _ => {
                    pieces.push(Piece::Lit(rest.into()));
                    rest = "";
                }
            }
        }
        let is_pii = |n: &str| pii.iter().any(|p| p == n);
        match pieces.as_slice() {
            [Piece::Param(name)] => Segment::Param {
                pii: is_pii(name),
                name: name.clone(),
            },
            [] | [Piece::Lit(_)] => Segment::Literal(s.into()),
            _ => Segment::Pattern {
                pii: pieces.iter().any(|p| matches!(p, Piece::Param(n) if is_pii(n))),
                pieces: pieces.into(),
            },
        }
    }

    /// How specific the segment is: a literal before a pattern before a bare parameter, so that
    /// `/users/@me` wins over `/users/{id}` and `{id}.pdf` over `{id}`.
    pub fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Pattern { .. } => 1,
            Segment::Param { .. } => 2,
        }
    }

    /// Whether one segment of a path (never `.` or `..`: a parameter does not stand for them)
    /// matches.
    pub fn matches(&self, part: &str) -> bool {
        match self {
            Segment::Literal(l) => **l == *part,
            Segment::Param { .. } => part != "." && part != "..",
            Segment::Pattern { pieces, .. } => pattern_matches(pieces, part),
        }
    }
}

/// Literal pieces in order around non-empty parameters; each parameter ends at the first
/// occurrence of the literal after it (the last one at the end of the segment).
fn pattern_matches(pieces: &[Piece], part: &str) -> bool {
    let mut rest = part;
    let mut i = 0;
    while let Some(piece) = pieces.get(i) {
        match piece {
            Piece::Lit(l) => match rest.strip_prefix(&**l) {
                Some(r) => rest = r,
                None => return false,
            },
            Piece::Param(_) => match pieces.get(i + 1) {
                None => return !rest.is_empty(),
                Some(Piece::Lit(l)) if i + 2 == pieces.len() => {
                    return rest.len() > l.len() && rest.ends_with(&**l);
                }
                Some(Piece::Lit(l)) => {
                    let Some(at) = rest.get(1..).and_then(|r| r.find(&**l)) else {
                        return false;
                    };
                    rest = rest.get(at + 1..).unwrap_or("");
                }
                Some(Piece::Param(_)) => return false,
            },
        }
        i += 1;
    }
    rest.is_empty()
}

/// The sandbox's answer to an operation, as the description gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub status: u16,
    pub body: bytes::Bytes,
    /// `Content-Type` of the body (none for an answer without body).
    pub content_type: Option<hyper::header::HeaderValue>,
    /// Generated from the schema (the description has no example): `x-iop-sandbox: generado`.
    pub generated: bool,
}

/// An operation of a service (from its OpenAPI description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub id: Arc<str>,
    pub method: hyper::Method,
    pub segments: Vec<Segment>,
    /// Query parameters whose values are personal identifiers.
    pub pii_query: Vec<Box<str>>,
    /// The sandbox answer, from the description's examples.
    pub example: Option<Example>,
}

impl Operation {
    /// Whether `path` (relative to the service's base path, no leading slash) matches.
    pub fn matches(&self, method: &hyper::Method, path: &str) -> bool {
        if method != self.method {
            return false;
        }
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        for seg in &self.segments {
            // A parameter never stands for `.` or `..` (canonical paths have none; this holds
            // even for a path that did not come through the canonicaliser).
            match parts.next() {
                Some(p) if seg.matches(p) => {}
                _ => return false,
            }
        }
        parts.next().is_none()
    }
}

/// The service describes operations and none matches the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoOperation;

/// How the gateway reaches a published service.
#[derive(Debug, Clone)]
pub struct Route {
    pub service_id: Arc<str>,
    pub service_code: Arc<str>,
    pub entity_sigla: Arc<str>,
    /// `/<entidad>/v<N>/…/`, with leading and trailing slash.
    pub base_path: Arc<str>,
    /// Upstream base URLs (`http://host:port/prefix`), tried in turn.
    pub upstreams: Vec<hyper::Uri>,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Headers the gateway adds to authenticate itself to the publisher.
    pub upstream_headers: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>,
    pub operations: Arc<[Operation]>,
    /// Query parameters treated as personal identifiers on every operation.
    pub pii_query: Vec<Box<str>>,
    pub max_body_bytes: usize,
    /// For https upstreams: the TLS client settings (trusted CAs, client certificate).
    pub tls: Option<crate::pool::TlsUpstream>,
    /// The version is deprecated: from when, and the headers its answers then carry.
    pub deprecation: Option<Deprecation>,
}

/// A deprecated service version's headers, rendered once: `Deprecation` (RFC 9745, `@<seconds>`)
/// and, with a retirement date, `Sunset` (RFC 8594, an HTTP date). Sent from `from_ms` on.
#[derive(Debug, Clone)]
pub struct Deprecation {
    pub from_ms: i64,
    pub deprecation: hyper::header::HeaderValue,
    pub sunset: Option<hyper::header::HeaderValue>,
}

impl Route {
    /// The operation a call is for (operations are kept most specific first). `Ok(None)` if the
    /// service lists no operations (any path is the service itself); `Err(NoOperation)` if it
    /// lists some and none matches. A HEAD the description does not declare is its GET's.
    pub fn operation(&self, method: &hyper::Method, rest: &str) -> Result<Option<&Operation>, NoOperation> {
        if self.operations.is_empty() {
            return Ok(None);
        }
        let find = |m: &hyper::Method| self.operations.iter().find(|o| o.matches(m, rest));
        match find(method) {
            Some(op) => Ok(Some(op)),
            None if method == hyper::Method::HEAD => find(&hyper::Method::GET).map(Some).ok_or(NoOperation),
            None => Err(NoOperation),
        }
    }

    /// Orders operations most specific first (segment by segment: literal, pattern, parameter),
    /// keeping the description's order among equals: the order [`Route::operations`] is kept in.
    pub fn sort_operation_list(operations: &mut [Operation]) {
        operations.sort_by(|a, b| a.segments.iter().map(Segment::rank).cmp(b.segments.iter().map(Segment::rank)));
    }
}

/// What verifies a JWT credential's signature.
#[derive(Debug, Clone)]
pub enum JwtVerifier {
    /// HS256 with the credential's shared secret.
    Hs256(Arc<[u8]>),
    /// RS256 with the consumer's RSA public key (PKCS#1 `RSAPublicKey`, DER).
    Rs256(Arc<[u8]>),
    /// ES256 with the consumer's P-256 public key (uncompressed point).
    Es256(Arc<[u8]>),
}

/// What a JWT credential demands of its tokens besides the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JwtPolicy {
    /// Tokens without `exp` are refused (the default for new credentials).
    pub require_exp: bool,
    /// `exp` may lie at most this many seconds ahead.
    pub max_lifetime_s: Option<u32>,
}

/// A JWT credential: its `iss` names it; its verifier checks the signature, and only with its own
/// algorithm.
#[derive(Debug, Clone)]
pub struct JwtKey {
    pub verifier: JwtVerifier,
    pub policy: JwtPolicy,
    pub consumer: Arc<Consumer>,
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: u64,
    /// When the control plane built it (Unix ms).
    pub built_at_ms: i64,
    /// How many operations its build read from the store (the others were kept compiled from
    /// earlier builds).
    pub operations_read: u64,
    routes: HashMap<Box<str>, Arc<Route>>,
    max_segments: usize,
    api_keys: HashMap<[u8; 32], Arc<Consumer>>,
    jwt: HashMap<Box<str>, JwtKey>,
    grants: HashMap<(Arc<str>, Arc<str>), Vec<Grant>>,
}

impl Snapshot {
    /// The route whose base path is the longest prefix of `path`, and the rest of the path.
    pub fn route<'p>(&self, path: &'p str) -> Option<(&Arc<Route>, &'p str)> {
        // Candidate prefixes end at a '/', longest first, at most `max_segments` deep.
        let bytes = path.as_bytes();
        let mut ends = Vec::with_capacity(self.max_segments);
        for (i, b) in bytes.iter().enumerate().skip(1) {
            if *b == b'/' {
                ends.push(i + 1);
                if ends.len() == self.max_segments {
                    break;
                }
            }
        }
        for end in ends.into_iter().rev() {
            // `end` follows a '/', so it is a character boundary.
            if let (Some(prefix), Some(rest)) = (path.get(..end), path.get(end..))
                && let Some(r) = self.routes.get(prefix)
            {
                return Some((r, rest));
            }
        }
        // `/segip/v2` without the trailing slash is the service's root too.
        let with_slash = format!("{path}/");
        self.routes.get(with_slash.as_str()).map(|r| (r, ""))
    }

    pub fn api_key(&self, hash: &[u8; 32]) -> Option<&Arc<Consumer>> {
        self.api_keys.get(hash)
    }

    pub fn jwt_key(&self, iss: &str) -> Option<&JwtKey> {
        self.jwt.get(iss)
    }

    pub fn grants(&self, system_id: &Arc<str>, service_id: &Arc<str>) -> &[Grant] {
        self.grants
            .get(&(system_id.clone(), service_id.clone()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn route_count(&self) -> usize {
        self.routes.len()
    }
    pub fn credential_count(&self) -> usize {
        self.api_keys.len() + self.jwt.len()
    }
}

/// Builds a [`Snapshot`].
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    snap: Snapshot,
}

impl SnapshotBuilder {
    pub fn new(version: u64, built_at_ms: i64) -> Self {
        Self {
            snap: Snapshot {
                version,
                built_at_ms,
                ..Default::default()
            },
        }
    }

    /// Notes how many operations the build read from the store.
    pub fn operations_read(&mut self, n: u64) {
        self.snap.operations_read = n;
    }

    /// Adds a route; refuses a base path already taken.
    pub fn route(&mut self, r: Route) -> Result<(), String> {
        let segments = r.base_path.split('/').filter(|s| !s.is_empty()).count();
        self.snap.max_segments = self.snap.max_segments.max(segments);
        let key: Box<str> = r.base_path.as_ref().into();
        if self.snap.routes.contains_key(&key) {
            return Err(format!("base path {key} used twice"));
        }
        self.snap.routes.insert(key, Arc::new(r));
        Ok(())
    }

    pub fn api_key(&mut self, hash: [u8; 32], consumer: Arc<Consumer>) {
        self.snap.api_keys.insert(hash, consumer);
    }

    /// An HS256 credential that accepts tokens without `exp` (tests and benchmarks).
    pub fn jwt(&mut self, iss: &str, secret: Vec<u8>, consumer: Arc<Consumer>) {
        self.jwt_with(iss, JwtVerifier::Hs256(secret.into()), JwtPolicy::default(), consumer);
    }

    pub fn jwt_with(&mut self, iss: &str, verifier: JwtVerifier, policy: JwtPolicy, consumer: Arc<Consumer>) {
        self.snap.jwt.insert(
            iss.into(),
            JwtKey {
                verifier,
                policy,
                consumer,
            },
        );
    }

    pub fn grant(&mut self, system_id: Arc<str>, service_id: Arc<str>, g: Grant) {
        self.snap.grants.entry((system_id, service_id)).or_default().push(g);
    }

    pub fn build(self) -> Snapshot {
        self.snap
    }
}

/// The current snapshot, swapped atomically, and the credentials revoked since it was built.
///
/// A revocation must take effect at once, also with 100,000 consumers loaded: instead of copying
/// the snapshot, the credential joins a small revoked set (checked on every call); the next full
/// build, which no longer contains it, starts with an empty set again.
#[derive(Debug, Clone)]
pub struct SnapshotHandle {
    current: Arc<ArcSwap<Snapshot>>,
    revoked: Arc<ArcSwap<std::collections::HashSet<Box<str>>>>,
}

impl Default for SnapshotHandle {
    fn default() -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(Snapshot::default())),
            revoked: Arc::new(ArcSwap::from_pointee(Default::default())),
        }
    }
}

impl SnapshotHandle {
    pub fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }
    pub fn load_full(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }
    /// Installs a full build and keeps in the revoked set only the credentials the build still
    /// contains (a revocation that reached the store after the build read it stays refused).
    pub fn store_build(&self, s: Snapshot) {
        let present: std::collections::HashSet<&str> = s
            .api_keys
            .values()
            .map(|c| &*c.credential_id)
            .chain(s.jwt.values().map(|j| &*j.consumer.credential_id))
            .collect();
        self.revoked.rcu(|cur| {
            cur.iter()
                .filter(|c| present.contains(&***c))
                .cloned()
                .collect::<std::collections::HashSet<_>>()
        });
        self.current.store(Arc::new(s));
    }
    /// Revokes a credential now, without a rebuild.
    pub fn revoke(&self, credential_id: &str) {
        self.revoked.rcu(|cur| {
            let mut next = (**cur).clone();
            next.insert(credential_id.into());
            next
        });
    }
    pub fn is_revoked(&self, credential_id: &str) -> bool {
        let r = self.revoked.load();
        !r.is_empty() && r.contains(credential_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(base: &str) -> Route {
        Route {
            service_id: "s".into(),
            service_code: "c".into(),
            entity_sigla: "E".into(),
            base_path: base.into(),
            upstreams: vec![],
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            upstream_headers: vec![],
            operations: Arc::new([Operation {
                id: "get-persona".into(),
                method: hyper::Method::GET,
                segments: vec![
                    Segment::Literal("personas".into()),
                    Segment::Param {
                        name: "ci".into(),
                        pii: true,
                    },
                ],
                pii_query: vec![],
                example: None,
            }]),
            pii_query: vec![],
            max_body_bytes: 1024,
            tls: None,
            deprecation: None,
        }
    }

    #[test]
    fn longest_base_path_wins() {
        let mut b = SnapshotBuilder::new(1, 0);
        assert!(b.route(route("/segip/v2/")).is_ok());
        let mut other = route("/segip/v2/certificados/");
        other.service_code = "cert".into();
        assert!(b.route(other).is_ok());
        assert!(b.route(route("/segip/v2/")).is_err());
        let s = b.build();
        let (r, rest) = s.route("/segip/v2/personas/123").unwrap_or_else(|| panic!("no route"));
        assert_eq!((&*r.service_code, rest), ("c", "personas/123"));
        let (r, rest) = s.route("/segip/v2/certificados/x").unwrap_or_else(|| panic!("no route"));
        assert_eq!((&*r.service_code, rest), ("cert", "x"));
        assert!(s.route("/segip/v3/personas").is_none());
        assert!(s.route("/segip/v2").is_some());
        assert!(s.route("/").is_none());
    }

    #[test]
    fn operations_match_templates() {
        let r = route("/segip/v2/");
        let get = hyper::Method::GET;
        assert!(matches!(r.operation(&get, "personas/123"), Ok(Some(_))));
        assert!(r.operation(&get, "personas").is_err());
        assert!(r.operation(&get, "personas/1/2").is_err());
        assert!(r.operation(&hyper::Method::POST, "personas/1").is_err());
        // HEAD is the GET's when the description declares no HEAD.
        let head = r.operation(&hyper::Method::HEAD, "personas/123");
        assert_eq!(head.ok().flatten().map(|o| &*o.id), Some("get-persona"));
    }

    #[test]
    fn segments_with_suffixes_and_the_most_specific_operation_first() {
        let op = |id: &str, path: &str| Operation {
            id: id.into(),
            method: hyper::Method::GET,
            segments: Segment::parse_template(path, &["ci".to_owned()]),
            pii_query: vec![],
            example: None,
        };
        let mut r = route("/s/v1/");
        let mut ops = vec![
            op("por-id", "/docs/{id}"),
            op("pdf", "/docs/{id}.pdf"),
            op("yo", "/docs/~yo"),
            op("rango", "/r/{a}-{b}.csv"),
            op("version", "/v{n}/x"),
            op("ci", "/personas/{ci}.json"),
        ];
        Route::sort_operation_list(&mut ops);
        r.operations = ops.into();
        let get = hyper::Method::GET;
        let id = |path: &str| r.operation(&get, path).ok().flatten().map(|o| o.id.to_string());
        assert_eq!(id("docs/123.pdf").as_deref(), Some("pdf"));
        assert_eq!(id("docs/123").as_deref(), Some("por-id"));
        assert_eq!(
            id("docs/~yo").as_deref(),
            Some("yo"),
            "a literal wins even when it sorts after '{{'"
        );
        assert_eq!(id("docs/.pdf").as_deref(), Some("por-id"), "a parameter is never empty");
        assert_eq!(id("r/1-2.csv").as_deref(), Some("rango"));
        assert_eq!(id("r/1-2-3.csv").as_deref(), Some("rango"));
        assert_eq!(id("r/-2.csv"), None);
        assert_eq!(id("r/12.csv"), None);
        assert_eq!(id("v2/x").as_deref(), Some("version"));
        assert_eq!(id("v/x"), None);
        assert!(matches!(
            r.operations.iter().find(|o| &*o.id == "ci").map(|o| o.segments.get(1)),
            Some(Some(Segment::Pattern { pii: true, .. }))
        ));
        assert_eq!(
            Segment::parse_template("/a/{x}{y}", &[]).get(1),
            Some(&Segment::Param {
                name: "x".into(),
                pii: false
            })
        );
    }
}
