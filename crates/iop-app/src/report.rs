//! The management report for the heads of UPAT and ADAS (issue 15): requests per state and kind,
//! the time each step took in working days (median and p90), how often each step and each person
//! went past the step's deadline, and the month-by-month throughput. Computed from the requests'
//! histories only, by [`compute`] (pure: rows, calendar, deadlines and now in, figures out).
//!
//! A *stay* is the time a request spent in one step: it starts when the request entered the state
//! (or when a reassignment handed the step to another Líder, as the inbox's clock does) and ends
//! when the state changed. A stay still open counts as overdue once its deadline passed; a closed
//! one when it ended at or after its due moment (the inbox's rule). Percentiles are by nearest
//! rank: the p-th of n sorted values is the ⌈p·n⌉-th.

use crate::AppState;
use crate::error::{AppError, AppResult};
use iop_domain::calendar::LA_PAZ;
use iop_domain::{ActionKind, Deadline, RequestKind, Role, State, UserId, WorkCalendar};
use iop_store::{ReportRow, UserRec};
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;

/// The report's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Requests past their draft, per current state and kind (only the pairs that occur).
    pub by_state: Vec<(State, RequestKind, usize)>,
    /// Per step with a deadline, in the procedure's order.
    pub steps: Vec<StepFigures>,
    /// Per person who ended a stay, by name.
    pub people: Vec<PersonFigures>,
    /// Per month (La Paz), oldest first.
    pub months: Vec<MonthFigures>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepFigures {
    pub state: State,
    pub deadline: Deadline,
    /// Stays ended, and still open.
    pub ended: usize,
    pub open: usize,
    /// Working days of the ended stays: median and p90 (none without any).
    pub median_days: Option<u32>,
    pub p90_days: Option<u32>,
    /// Stays (ended or open) past the deadline.
    pub overdue: usize,
}

/// `part` over `all` (0 when there is none).
fn share(part: usize, all: usize) -> f64 {
    if all == 0 { 0.0 } else { part as f64 / all as f64 }
}

impl StepFigures {
    /// Overdue stays over all stays (0 without any).
    pub fn overdue_rate(&self) -> f64 {
        share(self.overdue, self.ended + self.open)
    }
}

impl PersonFigures {
    /// Overdue stays over the stays this person ended (0 without any).
    pub fn overdue_rate(&self) -> f64 {
        share(self.overdue, self.ended)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonFigures {
    pub user: UserId,
    pub name: String,
    /// Stays this person ended (by acting), and how many of those past the deadline.
    pub ended: usize,
    pub overdue: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    /// `AAAA-MM`.
    pub month: String,
    /// Requests presented (step 1), closed (received, rejected or withdrawn after presenting) and
    /// received (step 8).
    pub presented: usize,
    pub closed: usize,
    pub received: usize,
}

/// The ⌈p·n⌉-th smallest value (nearest rank).
pub fn nearest_rank(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied()
}

/// The report over `rows` at `now`.
pub fn compute(rows: &[ReportRow], cal: &WorkCalendar, deadlines: &HashMap<State, Deadline>, now: OffsetDateTime) -> Report {
    let mut by_state: BTreeMap<(State, RequestKind), usize> = BTreeMap::new();
    let mut durations: HashMap<State, Vec<u32>> = HashMap::new();
    let mut open: HashMap<State, usize> = HashMap::new();
    let mut overdue: HashMap<State, usize> = HashMap::new();
    let mut people: HashMap<UserId, PersonFigures> = HashMap::new();
    let mut months: BTreeMap<String, MonthFigures> = BTreeMap::new();
    let month_of = |t: OffsetDateTime| {
        let l = t.to_offset(LA_PAZ);
        format!("{:04}-{:02}", l.year(), u8::from(l.month()))
    };
    for r in rows {
        *by_state.entry((r.state, r.kind)).or_default() += 1;
        let mut since = r.created_at;
        for h in &r.history {
            let ends = h.from != h.to || h.action == ActionKind::Reasignar;
            if ends {
                if let Some(d) = deadlines.get(&h.from) {
                    durations.entry(h.from).or_default().push(cal.working_days_between(since, h.at));
                    let late = h.at >= cal.due(since, *d);
                    *overdue.entry(h.from).or_default() += usize::from(late);
                    let p = people.entry(h.actor).or_insert_with(|| PersonFigures {
                        user: h.actor,
                        name: h.actor_name.clone(),
                        ended: 0,
                        overdue: 0,
                    });
                    p.ended += 1;
                    p.overdue += usize::from(late);
                }
                since = h.at;
            }
            let m = months.entry(month_of(h.at)).or_insert_with(|| MonthFigures {
                month: month_of(h.at),
                presented: 0,
                closed: 0,
                received: 0,
            });
            m.presented += usize::from(h.action == ActionKind::Presentar);
            m.closed += usize::from(h.from != State::Borrador && h.to.is_closed());
            m.received += usize::from(h.to == State::Recibida);
        }
        if let Some(d) = deadlines.get(&r.state) {
            *open.entry(r.state).or_default() += 1;
            *overdue.entry(r.state).or_default() += usize::from(now >= cal.due(since, *d));
        }
    }
    let steps = State::ALL
        .iter()
        .filter_map(|s| {
            let deadline = *deadlines.get(s)?;
            let mut days = durations.remove(s).unwrap_or_default();
            days.sort_unstable();
            Some(StepFigures {
                state: *s,
                deadline,
                ended: days.len(),
                open: open.get(s).copied().unwrap_or(0),
                median_days: nearest_rank(&days, 0.5),
                p90_days: nearest_rank(&days, 0.9),
                overdue: overdue.get(s).copied().unwrap_or(0),
            })
        })
        .collect();
    let mut people: Vec<PersonFigures> = people.into_values().collect();
    people.sort_by(|a, b| a.name.cmp(&b.name).then(a.user.to_string().cmp(&b.user.to_string())));
    Report {
        by_state: by_state.into_iter().map(|((s, k), n)| (s, k, n)).collect(),
        steps,
        people,
        months: months.into_values().collect(),
    }
}

/// The report now, for the heads of UPAT and ADAS and the Administrador
/// (`rol_requerido.informe` for anyone else).
pub async fn report(st: &AppState, user: &UserRec) -> AppResult<Report> {
    if ![Role::JefeUpat, Role::ResponsableAdas, Role::Administrador]
        .iter()
        .any(|r| user.roles.has(*r))
    {
        return Err(AppError::of("rol_requerido.informe", &[]));
    }
    let rows = st.store.report_rows().await?;
    Ok(compute(&rows, &st.config.calendar, &st.config.deadlines, st.now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[7], 0.9), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4, 5], 0.5), Some(3));
        let ten: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 0.9), Some(9));
        let eleven: Vec<u32> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 0.9), Some(10));
    }
}
