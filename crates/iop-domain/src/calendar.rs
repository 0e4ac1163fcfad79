//! Working days and deadlines. PR05's steps are measured in working days: Monday to Friday in
//! America/La_Paz, less the holidays the operator configures. Bolivia keeps UTC−4 all year (no
//! daylight saving time since 1932), so local dates are computed with a fixed offset.

use crate::Invalid;
use std::collections::BTreeSet;
use std::ops::Bound;
use time::{Date, Duration, OffsetDateTime, UtcOffset, Weekday};

/// America/La_Paz: UTC−4, all year.
const DATE_FMT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

/// A date as the platform writes it: `AAAA-MM-DD`.
pub fn fmt_date(d: Date) -> String {
    d.format(DATE_FMT).unwrap_or_default()
}

/// A moment as people in La Paz read it: `AAAA-MM-DD HH:MM`, local time.
pub fn fmt_local_minute(t: OffsetDateTime) -> String {
    let l = t.to_offset(LA_PAZ);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        l.year(),
        u8::from(l.month()),
        l.day(),
        l.hour(),
        l.minute()
    )
}

/// A date written `AAAA-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, DATE_FMT).ok()
}

pub const LA_PAZ: UtcOffset = match UtcOffset::from_hms(-4, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// How long a step may wait: `Nd` working days or `Nh` hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    WorkingDays(u32),
    Hours(u32),
}

impl Deadline {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let err = || Invalid::of("plazo_invalido", iop_i18n::args![valor = &s]);
        // The unit is the last character, whatever its width ("3é" is refused, never split inside
        // a character).
        let Some(unit_char) = s.chars().next_back() else {
            return Err(err());
        };
        let (num, unit) = s.split_at(s.len() - unit_char.len_utf8());
        let n: u32 = num.parse().map_err(|_| err())?;
        if n > 3650 {
            return Err(err());
        }
        match unit {
            "d" => Ok(Deadline::WorkingDays(n)),
            "h" => Ok(Deadline::Hours(n)),
            _ => Err(err()),
        }
    }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// How many Mondays to Fridays there are from a fixed Monday long ago through `d`: the difference
/// of two of these counts the weekdays after one date through another.
fn weekdays_through(d: Date) -> i64 {
    let k = i64::from(d.weekday().number_days_from_monday());
    // Every Monday's Julian day is the same modulo 7, so whole weeks count by their Monday.
    let monday = i64::from(d.to_julian_day()) - k;
    5 * monday.div_euclid(7) + (k + 1).min(5)
}

/// The working calendar: weekends and configured holidays are not working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<Date>,
}

impl WorkCalendar {
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        !is_weekend(d) && !self.holidays.contains(&d)
    }

    /// How many working days have passed since `since` at `now`: the largest `n` for which
    /// `due(since, WorkingDays(n))` is not after `now` (so a step is overdue exactly when this
    /// reaches its deadline).
    pub fn working_days_between(&self, since: OffsetDateTime, now: OffsetDateTime) -> u32 {
        // The working days after the start whose moment (at the start's time) is not after
        // `now`: those through today when today's clock has reached that time, else through
        // yesterday. Counted in closed form: weekdays between, less the holidays on weekdays.
        let (start, time) = self.start(since);
        let local = now.to_offset(LA_PAZ);
        let last = if local.time() >= time {
            local.date()
        } else {
            match local.date().previous_day() {
                Some(d) => d,
                None => return 0,
            }
        };
        if last <= start {
            return 0;
        }
        let holidays = self
            .holidays
            .range((Bound::Excluded(start), Bound::Included(last)))
            .filter(|d| !is_weekend(**d))
            .count();
        let n = weekdays_through(last) - weekdays_through(start) - holidays as i64;
        u32::try_from(n).unwrap_or(0)
    }

    /// Where counting working days from `since` starts: its local date and time, or the next
    /// working day's start when `since` falls on a non-working day.
    fn start(&self, since: OffsetDateTime) -> (Date, time::Time) {
        let local = since.to_offset(LA_PAZ);
        let mut date = local.date();
        let mut time = local.time();
        if !self.is_working_day(date) {
            while !self.is_working_day(date) {
                date = date.next_day().unwrap_or(date);
            }
            time = time::Time::MIDNIGHT;
        }
        (date, time)
    }

    /// The latest start a step may have had and be overdue at `now`: a step that started at `since`
    /// is overdue exactly when `since <= overdue_cutoff(now, deadline)` (`due` never decreases as
    /// `since` grows).
    pub fn overdue_cutoff(&self, now: OffsetDateTime, deadline: Deadline) -> OffsetDateTime {
        let days = match deadline {
            Deadline::Hours(h) => return now - Duration::hours(i64::from(h)),
            Deadline::WorkingDays(n) => n,
        };
        // A step started on a working day `d` falls due on the `days`-th working day after `d`,
        // at the same time; one started on a non-working day falls due later than any started
        // on the working day before it. So when today is a working day, the last start already
        // due is `days` working days back, at this time; otherwise it is the end of the day
        // `days` working days before the last working day (whose due date was before today).
        let local = now.to_offset(LA_PAZ);
        let today = local.date();
        let (day, time) = if self.is_working_day(today) {
            (self.back(today, days), local.time())
        } else {
            (self.back(self.previous_working_day(today), days), time::Time::MAX)
        };
        day.with_time(time).assume_offset(LA_PAZ).to_offset(UtcOffset::UTC)
    }

    /// The working day `n` working days before the working day `d`.
    fn back(&self, mut d: Date, n: u32) -> Date {
        for _ in 0..n {
            d = self.previous_working_day(d);
        }
        d
    }

    /// The last working day before `d`.
    fn previous_working_day(&self, d: Date) -> Date {
        let mut d = d.previous_day().unwrap_or(d);
        while !self.is_working_day(d) {
            match d.previous_day() {
                Some(p) => d = p,
                None => return d,
            }
        }
        d
    }

    /// When a step that started at `since` becomes overdue. For working days: the same local time,
    /// `n` working days later; a start on a non-working day counts from the next working day's start.
    pub fn due(&self, since: OffsetDateTime, deadline: Deadline) -> OffsetDateTime {
        match deadline {
            Deadline::Hours(h) => since + Duration::hours(i64::from(h)),
            Deadline::WorkingDays(n) => {
                let (mut date, time) = self.start(since);
                let mut left = n;
                while left > 0 {
                    date = date.next_day().unwrap_or(date);
                    if self.is_working_day(date) {
                        left -= 1;
                    }
                }
                date.with_time(time).assume_offset(LA_PAZ).to_offset(time::UtcOffset::UTC)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn parse_deadlines() {
        assert_eq!(Deadline::parse("3d"), Ok(Deadline::WorkingDays(3)));
        assert_eq!(Deadline::parse("8h"), Ok(Deadline::Hours(8)));
        // A last character wider than one byte is refused, not a panic.
        for bad in ["3é", "é", "2日", "ñ", "1\u{1F600}"] {
            assert!(Deadline::parse(bad).is_err(), "{bad}");
        }
        for bad in ["", "d", "3", "3w", "-1d", "99999d"] {
            assert!(Deadline::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Thursday 2026-12-24 10:00 in La Paz; Friday 25 is a holiday.
        let cal = WorkCalendar::new([date!(2026 - 12 - 25)]);
        let since = datetime!(2026-12-24 10:00 -4);
        // 1 working day: Monday 28th (Fri is a holiday, then the weekend).
        assert_eq!(cal.due(since, Deadline::WorkingDays(1)), datetime!(2026-12-28 10:00 -4));
        assert_eq!(cal.due(since, Deadline::WorkingDays(2)), datetime!(2026-12-29 10:00 -4));
        assert_eq!(cal.due(since, Deadline::Hours(30)), datetime!(2026-12-25 16:00 -4));
    }

    #[test]
    fn working_days_elapsed_agree_with_due() {
        let cal = WorkCalendar::new([date!(2026 - 12 - 25)]);
        let since = datetime!(2026-12-24 10:00 -4);
        assert_eq!(cal.working_days_between(since, datetime!(2026-12-28 09:59 -4)), 0);
        assert_eq!(cal.working_days_between(since, datetime!(2026-12-28 10:00 -4)), 1);
        assert_eq!(cal.working_days_between(since, datetime!(2027-01-04 10:00 -4)), 6);
        // For every moment of three weeks, hour by hour: n days elapsed exactly when due(n) has come.
        for h in 0..(21 * 24) {
            let now = since + Duration::hours(h);
            let n = cal.working_days_between(since, now);
            assert!(cal.due(since, Deadline::WorkingDays(n)) <= now, "{now}");
            assert!(cal.due(since, Deadline::WorkingDays(n + 1)) > now, "{now}");
        }
        // Saturday: counting starts Monday at midnight.
        let sat = datetime!(2026-12-26 15:00 -4);
        assert_eq!(cal.working_days_between(sat, datetime!(2026-12-29 00:00 -4)), 1);
    }

    #[test]
    fn a_start_on_a_weekend_counts_from_monday() {
        let cal = WorkCalendar::default();
        // Saturday 2026-11-28 15:00 La Paz → counts from Monday 00:00; 1 working day → Tuesday 00:00.
        let since = datetime!(2026-11-28 15:00 -4);
        assert_eq!(cal.due(since, Deadline::WorkingDays(1)), datetime!(2026-12-01 00:00 -4));
        // Late Friday UTC is still Friday in La Paz: 2026-11-28 02:00 UTC = Fri 27th 22:00 local.
        let since = datetime!(2026-11-28 02:00 UTC);
        assert_eq!(cal.due(since, Deadline::WorkingDays(1)), datetime!(2026-11-30 22:00 -4));
    }

    proptest::proptest! {
        /// Working days elapsed, counted in closed form, agree with `due` at any moment: `n` days
        /// have passed exactly when `due(n)` has come and `due(n + 1)` has not.
        #[test]
        fn working_days_elapsed_agree_with_due_anywhere(since_s in 1_770_000_000i64..1_800_000_000, later_s in -86_400i64..120 * 86_400) {
            let cal = WorkCalendar::new([date!(2026 - 05 - 01), date!(2026 - 08 - 06), date!(2026 - 08 - 07), date!(2026 - 08 - 08), date!(2026 - 12 - 24), date!(2026 - 12 - 25)]);
            let since = OffsetDateTime::from_unix_timestamp(since_s).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let now = since + Duration::seconds(later_s);
            let n = cal.working_days_between(since, now);
            proptest::prop_assert!(n == 0 || cal.due(since, Deadline::WorkingDays(n)) <= now, "{} days at {}", n, now);
            proptest::prop_assert!(cal.due(since, Deadline::WorkingDays(n + 1)) > now, "{} days at {}", n, now);
        }

        /// The cutoff splits starts exactly where `due` does: overdue ⇔ started at or before it.
        #[test]
        fn overdue_cutoff_agrees_with_due(now_s in 1_770_000_000i64..1_800_000_000, back_s in 0i64..40 * 86_400, n in 0u32..12, hours in proptest::bool::ANY) {
            let cal = WorkCalendar::new([date!(2026 - 05 - 01), date!(2026 - 08 - 06), date!(2026 - 08 - 07), date!(2026 - 12 - 24), date!(2026 - 12 - 25)]);
            let now = OffsetDateTime::from_unix_timestamp(now_s).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let since = now - Duration::seconds(back_s);
            let d = if hours { Deadline::Hours(n * 8) } else { Deadline::WorkingDays(n) };
            let cutoff = cal.overdue_cutoff(now, d);
            proptest::prop_assert_eq!(since <= cutoff, cal.due(since, d) <= now, "since {} cutoff {}", since, cutoff);
            // And exactly, to the millisecond the store keeps.
            proptest::prop_assert!(cal.due(cutoff, d) <= now, "due at the cutoff {}", cutoff);
            let next = cutoff.replace_nanosecond(cutoff.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(cutoff) + Duration::milliseconds(1);
            proptest::prop_assert!(cal.due(next, d) > now, "not due a millisecond after the cutoff {}", cutoff);
        }
    }
}
