//! Rate limits, in process: GCRA per consumer × service (a grant's rate), and a per-address limit
//! on refusals of callers without a valid credential, which also decides which of those refusals
//! get a record of their own and which are only counted.

use crate::snapshot::Rate;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;

const SHARDS: usize = 64;

/// Generic cell rate algorithm: one "theoretical arrival time" per key.
pub struct Gcra {
    shards: Vec<Mutex<HashMap<u64, i64>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Gcra {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
        }
    }
}

impl Gcra {
    fn key(&self, parts: &[&str]) -> u64 {
        let mut h = self.hasher.build_hasher();
        for p in parts {
            p.hash(&mut h);
        }
        h.finish()
    }

    /// `Ok` if a call at `now_us` fits `rate` for these key parts; `Err(seconds to wait)` if not.
    pub fn check(&self, parts: &[&str], rate: Rate, now_us: i64) -> Result<(), u64> {
        if rate.per_second <= 0.0 {
            return Err(60);
        }
        let key = self.key(parts);
        let interval = (1_000_000.0 / rate.per_second) as i64;
        let tolerance = interval * i64::from(rate.burst.max(1) - 1);
        let Some(shard) = self.shards.get((key as usize) % SHARDS) else {
            return Ok(());
        };
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        let tat = map.get(&key).copied().unwrap_or(now_us).max(now_us);
        if tat - now_us > tolerance {
            let wait_us = tat - tolerance - now_us;
            return Err(((wait_us + 999_999) / 1_000_000).max(1) as u64);
        }
        map.insert(key, tat + interval);
        if map.len() > 1_000_000 {
            // Bound memory: entries far in the past carry no state worth keeping.
            map.retain(|_, t| *t > now_us);
        }
        Ok(())
    }
}

/// What to do with a refusal of an unauthenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unauth {
    /// Refuse and record it.
    Record,
    /// Refuse, count it in the address's aggregate (no record of its own).
    Count,
    /// Too many from this address: answer 429 (counted too).
    Throttle,
}

struct Window {
    start_ms: i64,
    count: u64,
    recorded: u64,
}

/// Per-address window of unauthenticated refusals.
pub struct UnauthLimiter {
    window_ms: i64,
    record_max: u64,
    allow_max: u64,
    map: Mutex<HashMap<IpAddr, Window>>,
}

/// An aggregate to write: this address had `count` refusals not recorded one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub ip: IpAddr,
    pub window_start_ms: i64,
    pub count: u64,
}

impl UnauthLimiter {
    /// Per `window_ms`: the first `record_max` refusals of an address are recorded, up to
    /// `allow_max` are answered 401, the rest 429.
    pub fn new(window_ms: i64, record_max: u64, allow_max: u64) -> Self {
        Self {
            window_ms,
            record_max,
            allow_max: allow_max.max(record_max),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn refusal(&self, ip: IpAddr, now_ms: i64) -> (Unauth, Option<Aggregate>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let mut flushed = None;
        let w = map.entry(ip).or_insert(Window {
            start_ms: now_ms,
            count: 0,
            recorded: 0,
        });
        if now_ms - w.start_ms >= self.window_ms {
            if w.count > w.recorded {
                flushed = Some(Aggregate {
                    ip,
                    window_start_ms: w.start_ms,
                    count: w.count - w.recorded,
                });
            }
            *w = Window {
                start_ms: now_ms,
                count: 0,
                recorded: 0,
            };
        }
        w.count += 1;
        let verdict = if w.count <= self.record_max {
            w.recorded += 1;
            Unauth::Record
        } else if w.count <= self.allow_max {
            Unauth::Count
        } else {
            Unauth::Throttle
        };
        (verdict, flushed)
    }

    /// Aggregates of windows that ended by `now_ms` (and forgets them).
    pub fn sweep(&self, now_ms: i64) -> Vec<Aggregate> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        map.retain(|ip, w| {
            if now_ms - w.start_ms < self.window_ms {
                return true;
            }
            if w.count > w.recorded {
                out.push(Aggregate {
                    ip: *ip,
                    window_start_ms: w.start_ms,
                    count: w.count - w.recorded,
                });
            }
            false
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_burst_then_paces() {
        let g = Gcra::default();
        let rate = Rate { per_second: 2.0, burst: 3 };
        let t0 = 1_000_000_000;
        for _ in 0..3 {
            assert!(g.check(&["a", "s"], rate, t0).is_ok());
        }
        assert_eq!(g.check(&["a", "s"], rate, t0), Err(1));
        assert!(g.check(&["b", "s"], rate, t0).is_ok(), "keys are independent");
        assert!(g.check(&["a", "s"], rate, t0 + 500_000).is_ok());
    }

    #[test]
    fn unauthenticated_refusals_are_recorded_then_counted_then_throttled() {
        let l = UnauthLimiter::new(60_000, 2, 4);
        let ip: IpAddr = [127, 0, 0, 9].into();
        let v: Vec<Unauth> = (0..6).map(|_| l.refusal(ip, 0).0).collect();
        assert_eq!(
            v,
            [
                Unauth::Record,
                Unauth::Record,
                Unauth::Count,
                Unauth::Count,
                Unauth::Throttle,
                Unauth::Throttle
            ]
        );
        assert!(l.sweep(59_999).is_empty());
        assert_eq!(
            l.sweep(60_000),
            vec![Aggregate {
                ip,
                window_start_ms: 0,
                count: 4
            }]
        );
        let (v, agg) = l.refusal(ip, 61_000);
        assert_eq!((v, agg), (Unauth::Record, None));
    }
}
