//! Gateway metrics in Prometheus text format: calls by service, consumer and status class, latency
//! histograms per service, upstream errors, rate-limit refusals, and the snapshot's version and age.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const BUCKETS_S: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Hist {
    buckets: [u64; 12],
    count: u64,
    sum_us: u64,
}

/// (service, consumer, status class) → calls.
type CallCounts = HashMap<(Arc<str>, Arc<str>, u16), u64>;

#[derive(Default)]
pub struct Metrics {
    calls: Mutex<CallCounts>,
    latency: Mutex<HashMap<Arc<str>, Hist>>,
    pub upstream_errors: AtomicU64,
    pub rate_limited: AtomicU64,
    pub unauthenticated: AtomicU64,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    pub fn observe(&self, service: &Arc<str>, consumer: &Arc<str>, status: u16, latency_us: u64) {
        let class = status / 100 * 100;
        {
            let mut c = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            *c.entry((service.clone(), consumer.clone(), class)).or_insert(0) += 1;
        }
        let mut l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = l.entry(service.clone()).or_default();
        let s = latency_us as f64 / 1e6;
        for (count, b) in h.buckets.iter_mut().zip(BUCKETS_S) {
            if s <= b {
                *count += 1;
            }
        }
        h.count += 1;
        h.sum_us += latency_us;
    }

    /// Prometheus text exposition.
    pub fn render(&self, snapshot: &crate::Snapshot, snapshot_age_s: f64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP iop_gateway_calls_total Calls through the gateway by service, consumer and status class."
        );
        let _ = writeln!(out, "# TYPE iop_gateway_calls_total counter");
        {
            let c = self.calls.lock().unwrap_or_else(|p| p.into_inner());
            let mut rows: Vec<_> = c.iter().collect();
            rows.sort_by(|a, b| a.0.cmp(b.0));
            for ((svc, cons, class), n) in rows {
                let _ = writeln!(
                    out,
                    "iop_gateway_calls_total{{service=\"{}\",consumer=\"{}\",status=\"{}xx\"}} {n}",
                    escape(svc),
                    escape(cons),
                    class / 100
                );
            }
        }
        let _ = writeln!(out, "# HELP iop_gateway_latency_seconds Time from arrival to response, by service.");
        let _ = writeln!(out, "# TYPE iop_gateway_latency_seconds histogram");
        {
            let l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
            let mut rows: Vec<_> = l.iter().collect();
            rows.sort_by(|a, b| a.0.cmp(b.0));
            for (svc, h) in rows {
                let svc = escape(svc);
                for (count, b) in h.buckets.iter().zip(BUCKETS_S) {
                    let _ = writeln!(out, "iop_gateway_latency_seconds_bucket{{service=\"{svc}\",le=\"{b}\"}} {count}");
                }
                let _ = writeln!(
                    out,
                    "iop_gateway_latency_seconds_bucket{{service=\"{svc}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "iop_gateway_latency_seconds_sum{{service=\"{svc}\"}} {}",
                    h.sum_us as f64 / 1e6
                );
                let _ = writeln!(out, "iop_gateway_latency_seconds_count{{service=\"{svc}\"}} {}", h.count);
            }
        }
        let counters = [
            (
                "iop_gateway_upstream_errors_total",
                "Calls that failed reaching the upstream (502/504).",
                &self.upstream_errors,
            ),
            ("iop_gateway_rate_limited_total", "Calls refused with 429.", &self.rate_limited),
            (
                "iop_gateway_unauthenticated_total",
                "Calls without a valid credential.",
                &self.unauthenticated,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        let gauges = [
            (
                "iop_gateway_snapshot_version",
                "Version of the snapshot in use.",
                snapshot.version as f64,
            ),
            (
                "iop_gateway_snapshot_age_seconds",
                "Seconds since the snapshot in use was built.",
                snapshot_age_s,
            ),
            (
                "iop_gateway_snapshot_operations_read",
                "Operations the build of the snapshot in use read from the store (the others were kept compiled from earlier builds or handed over by their writer).",
                snapshot.operations_read as f64,
            ),
            (
                "iop_gateway_routes",
                "Published services in the snapshot.",
                snapshot.route_count() as f64,
            ),
            (
                "iop_gateway_credentials",
                "Live credentials in the snapshot.",
                snapshot.credential_count() as f64,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}
