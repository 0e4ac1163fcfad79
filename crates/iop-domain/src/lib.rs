//! Pure domain model of iop.
//!
//! Everything here is deterministic: no I/O, no HTTP, no wire formats, and time only enters through
//! [`Clock`] or as an explicit argument. The PR05 procedure lives in [`procedure`]: it is the only
//! place that decides whether a transition is allowed.

pub mod base_path;
pub mod calendar;
pub mod enablement;
pub mod ids;
pub mod invalid;
pub mod procedure;
pub mod role;
pub mod values;

pub use base_path::BasePath;
pub use calendar::{Deadline, WorkCalendar};
pub use enablement::*;
pub use ids::*;
pub use invalid::{Invalid, code_of};
pub use procedure::*;
pub use role::{Role, RoleSet};
pub use values::*;

use time::OffsetDateTime;

/// The source of "now". The server passes a system clock; tests pass a fixed one.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// A clock that always answers the same instant (tests, simulations).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}
