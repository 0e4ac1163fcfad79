//! Walking one chain: push its rows in position order, then `finish`. The first problem found is
//! returned, naming the record that is bad and how (changed, removed, inserted, reordered).

use crate::{CheckpointBody, GENESIS, Hash, digest, hash_from_hex, head_of, to_hex};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The record's bytes are not what was chained.
    Altered,
    /// A record is missing.
    Removed,
    /// A record was added that the chain never had.
    Inserted,
    /// Records are out of their order.
    Reordered,
    /// The record is not a chained JSON object at all.
    Unreadable,
    /// A signed checkpoint names a different hash for this record.
    CheckpointMismatch,
    /// The chain ends before a signed checkpoint's position (records were cut off the end).
    Truncated,
    /// A checkpoint's signature does not verify.
    BadSignature,
    /// An export file is not well formed.
    Malformed,
}

impl Fault {
    pub fn code(&self) -> &'static str {
        match self {
            Fault::Altered => "alterado",
            Fault::Removed => "eliminado",
            Fault::Inserted => "insertado",
            Fault::Reordered => "reordenado",
            Fault::Unreadable => "ilegible",
            Fault::CheckpointMismatch => "punto_de_control_distinto",
            Fault::Truncated => "truncado",
            Fault::BadSignature => "firma_invalida",
            Fault::Malformed => "formato_invalido",
        }
    }
}

/// The first bad record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub stream: String,
    pub node: String,
    /// The position of the first bad record (0 when the problem is not a record's).
    pub seq: u64,
    pub fault: Fault,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.stream.is_empty() {
            write!(f, "{}: {}", self.fault.code(), self.detail)
        } else {
            write!(
                f,
                "cadena {}/{}, registro {}: {} ({})",
                self.stream,
                self.node,
                self.seq,
                self.fault.code(),
                self.detail
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    pub stream: String,
    pub node: String,
    pub first: u64,
    pub last: u64,
    pub count: u64,
    pub head: Hash,
    /// The highest position covered by a signed checkpoint (0 if none).
    pub covered_to: u64,
}

/// Verifies one chain, row by row.
pub struct ChainCheck {
    stream: String,
    node: String,
    /// Where the chain should start and what its first record names; `None` takes the first
    /// row as given (an export that starts mid-chain).
    anchor: Option<(u64, Hash)>,
    expected: u64,
    prev: Hash,
    prev2: Option<Hash>,
    first: Option<u64>,
    last: u64,
    count: u64,
    checkpoints: BTreeMap<u64, Hash>,
    /// A record that claims a later position: removed (with renumbering) or swapped; the next
    /// row decides.
    ahead: Option<u64>,
}

impl ChainCheck {
    /// `pruned`: the signed `poda` checkpoint the chain resumes after, if any. `anchored`: whether
    /// the chain must start at position 1 (or right after `pruned`).
    pub fn new(stream: &str, node: &str, pruned: Option<(u64, Hash)>, anchored: bool) -> Self {
        let anchor = match (pruned, anchored) {
            (Some(p), _) => Some((p.0.saturating_add(1), p.1)),
            (None, true) => Some((1, GENESIS)),
            (None, false) => None,
        };
        Self {
            stream: stream.into(),
            node: node.into(),
            anchor,
            expected: anchor.map_or(0, |a| a.0),
            prev: anchor.map_or(GENESIS, |a| a.1),
            prev2: None,
            first: None,
            last: 0,
            count: 0,
            checkpoints: BTreeMap::new(),
            ahead: None,
        }
    }

    /// Adds a (signature-checked) checkpoint of this chain.
    pub fn checkpoint(&mut self, c: &CheckpointBody) {
        if let Some(h) = hash_from_hex(&c.cabeza) {
            self.checkpoints.insert(c.seq, h);
        }
    }

    fn problem(&self, seq: u64, fault: Fault, detail: impl Into<String>) -> Problem {
        Problem {
            stream: self.stream.clone(),
            node: self.node.clone(),
            seq,
            fault,
            detail: detail.into(),
        }
    }

    /// The next row, in position order. `stored_hash` is the hash kept beside the row, if any.
    pub fn push(&mut self, seq: u64, body: &[u8], stored_hash: Option<&[u8]>) -> Result<(), Problem> {
        let parsed = head_of(body);
        if let Some(at) = self.ahead.take() {
            return Err(match parsed {
                Some((b_seq, _)) if b_seq == at => self.problem(at, Fault::Reordered, "su contenido está en otra posición de la cadena"),
                _ => self.problem(at, Fault::Removed, "falta: la cadena salta este registro"),
            });
        }
        let Some((b_seq, b_prev)) = parsed else {
            return Err(self.problem(seq, Fault::Unreadable, "no es un registro encadenado (JSON con seq y prev)"));
        };
        let h = digest(body);
        if stored_hash.is_some_and(|s| s != h) {
            return Err(self.problem(seq, Fault::Altered, "su contenido no corresponde al hash guardado"));
        }
        if self.first.is_none() && self.anchor.is_none() {
            // An export that starts mid-chain: the first row sets where the chain is.
            self.expected = seq;
            self.prev = b_prev;
        }
        if seq != self.expected {
            return Err(if seq > self.expected {
                self.problem(
                    self.expected,
                    Fault::Removed,
                    format!("falta: tras el registro {} sigue el {seq}", self.last),
                )
            } else {
                self.problem(seq, Fault::Reordered, "posición repetida o fuera de orden")
            });
        }
        if b_seq > seq {
            self.ahead = Some(seq);
            self.accept(seq, h);
            return Ok(());
        }
        if b_seq < seq {
            return Err(self.problem(
                seq.saturating_sub(1),
                Fault::Inserted,
                format!("el registro que sigue dice ser el {b_seq}: este fue intercalado"),
            ));
        }
        if b_prev != self.prev {
            if self.prev2 == Some(b_prev) {
                return Err(self.problem(
                    seq.saturating_sub(1),
                    Fault::Inserted,
                    "el registro siguiente encadena al anterior a este: este fue intercalado",
                ));
            }
            if self.first.is_none() {
                return Err(self.problem(
                    seq,
                    Fault::Altered,
                    "no enlaza con el comienzo de la cadena (o con el último punto de poda)",
                ));
            }
            return Err(self.problem(
                seq.saturating_sub(1),
                Fault::Altered,
                format!("su hash no es el que encadena el registro {seq}"),
            ));
        }
        if let Some(c) = self.checkpoints.get(&seq)
            && *c != h
        {
            return Err(self.problem(
                seq,
                Fault::CheckpointMismatch,
                format!("un punto de control firmado dice {} y el registro tiene {}", to_hex(c), to_hex(&h)),
            ));
        }
        self.accept(seq, h);
        Ok(())
    }

    fn accept(&mut self, seq: u64, h: Hash) {
        self.prev2 = Some(self.prev);
        self.prev = h;
        self.first.get_or_insert(seq);
        self.last = seq;
        self.expected = seq.saturating_add(1);
        self.count += 1;
    }

    /// Ends the walk: every checkpoint must lie within the chain.
    pub fn finish(mut self) -> Result<ChainSummary, Problem> {
        if let Some(at) = self.ahead.take() {
            return Err(self.problem(at, Fault::Removed, "falta: la cadena salta este registro"));
        }
        let last = if self.count == 0 {
            self.expected.saturating_sub(1)
        } else {
            self.last
        };
        if let Some((&cp, _)) = self.checkpoints.range(last.saturating_add(1)..).next_back() {
            return Err(self.problem(
                last.saturating_add(1),
                Fault::Truncated,
                format!("un punto de control firmado llega hasta el registro {cp}, pero la cadena termina en el {last}"),
            ));
        }
        let covered_to = self.checkpoints.range(..=last).next_back().map_or(0, |(s, _)| *s);
        Ok(ChainSummary {
            stream: self.stream,
            node: self.node,
            first: self.first.unwrap_or(0),
            last,
            count: self.count,
            head: self.prev,
            covered_to,
        })
    }
}
