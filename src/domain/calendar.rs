//! The Chinese working-day calendar: official holidays and 调休 make-up working days (seeded
//! from tyme4rs for the years it knows, 2001–2026; an administrator adds later years, since the
//! State Council publishes each schedule late in the year before), lunar dates, and the
//! dates the rules name (Thursdays, the 10th/20th/30th, the second Saturday …).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// An official holiday (a rest day even if it is a weekday).
    Holiday(String),
    /// A make-up working day (a working day even if it is a weekend).
    Workday(String),
}

/// A sensitive period 重要敏感时期 or a special period 特殊时期 (fire, flood, disaster) an
/// administrator declared, for the whole county or one region and everything under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredPeriod {
    pub sensitive: bool,
    /// A region code; `None` for the whole county.
    pub region: Option<String>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
    /// Years whose official schedule is known.
    known: BTreeSet<i32>,
    declared: Vec<DeclaredPeriod>,
}

impl Calendar {
    /// The schedule tyme4rs ships (2001-12-29 to 2026), parsed once per process: every inbox,
    /// step and evaluation starts from it.
    pub fn seeded() -> Calendar {
        static SEEDED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        SEEDED.get_or_init(Calendar::parse_seed).clone()
    }

    fn parse_seed() -> Calendar {
        let data = tyme4rs::tyme::holiday::LEGAL_HOLIDAY_DATA;
        let names = tyme4rs::tyme::holiday::LEGAL_HOLIDAY_NAMES;
        let mut c = Calendar::default();
        // Each record: YYYYMMDD, 0 = work / 1 = rest, holiday index, and an offset (+dd / -dd).
        for rec in data.as_bytes().chunks(13) {
            let Ok(text) = std::str::from_utf8(rec) else {
                continue;
            };
            let (Some(y), Some(m), Some(d)) = (text.get(0..4), text.get(4..6), text.get(6..8))
            else {
                continue;
            };
            let (Ok(y), Ok(m), Ok(d)) = (y.parse(), m.parse(), d.parse()) else {
                continue;
            };
            let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
                continue;
            };
            let name = text
                .get(9..10)
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| names.get(i))
                .map(|n| n.to_string())
                .unwrap_or_default();
            let kind = if text.get(8..9) == Some("0") {
                DayKind::Workday(name)
            } else {
                DayKind::Holiday(name)
            };
            c.days.insert(date, kind);
            if y > 2001 {
                c.known.insert(y);
            }
        }
        c
    }

    /// Adds (or replaces) days an administrator entered; their years become known.
    pub fn with(mut self, days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        for (d, k) in days {
            self.known.insert(d.year());
            self.days.insert(d, k);
        }
        self
    }

    pub fn with_periods(mut self, periods: impl IntoIterator<Item = DeclaredPeriod>) -> Calendar {
        self.declared.extend(periods);
        self
    }

    pub fn declared(&self) -> &[DeclaredPeriod] {
        &self.declared
    }

    /// Whether `d` lies in a declared period of this kind that reaches a subject whose region
    /// path (`/county/town/…/`) is `path`; a subject without a region is reached by
    /// county-wide periods only.
    pub fn declared_on(&self, sensitive: bool, d: NaiveDate, path: Option<&str>) -> bool {
        self.declared.iter().any(|p| {
            p.sensitive == sensitive
                && p.start <= d
                && d <= p.end
                && match (&p.region, path) {
                    (None, _) => true,
                    (Some(r), Some(path)) => path.contains(&format!("/{r}/")),
                    (Some(_), None) => false,
                }
        })
    }

    /// The days of [from, to] in a date set, for a subject at `path` (declared periods reach
    /// only the regions they were declared for).
    pub fn dates_at(
        &self,
        set: DateSet,
        from: NaiveDate,
        to: NaiveDate,
        path: Option<&str>,
    ) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            let hit = match set {
                DateSet::SensitiveDays => self.declared_on(true, d, path),
                DateSet::SpecialDays => self.declared_on(false, d, path),
                other => self.in_set(other, d),
            };
            if hit {
                out.push(d);
            }
            d += Duration::days(1);
        }
        out
    }

    pub fn knows(&self, year: i32) -> bool {
        self.known.contains(&year)
    }

    pub fn day(&self, d: NaiveDate) -> Option<&DayKind> {
        self.days.get(&d)
    }

    /// A working day: a make-up day, or a weekday that is not a holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Workday(_)) => true,
            Some(DayKind::Holiday(_)) => false,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The days of [from, to] in one of the rules' date sets.
    pub fn dates(&self, set: DateSet, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            if self.in_set(set, d) {
                out.push(d);
            }
            d += Duration::days(1);
        }
        out
    }

    pub fn in_set(&self, set: DateSet, d: NaiveDate) -> bool {
        match set {
            DateSet::EveryDay => true,
            DateSet::WorkingDays => self.is_working_day(d),
            DateSet::Thursdays => d.weekday() == Weekday::Thu,
            DateSet::Fridays => d.weekday() == Weekday::Fri,
            DateSet::TenthDays => {
                let last = last_day_of_month(d);
                d.day() == 10 || d.day() == 20 || d.day() == 30 || (d == last && last.day() < 30)
            }
            DateSet::SecondSaturday => d.weekday() == Weekday::Sat && (8..=14).contains(&d.day()),
            DateSet::SensitiveDays => self.declared_on(true, d, None),
            DateSet::SpecialDays => self.declared_on(false, d, None),
            DateSet::SpringFestivalSeason => {
                let (from, to) = Season::SpringFestival.window(d.year());
                from <= d && d <= to
            }
            DateSet::QuarterLastWeekend => {
                let q_end = last_day_of_month(
                    NaiveDate::from_ymd_opt(d.year(), ((d.month() - 1) / 3 + 1) * 3, 1)
                        .unwrap_or(d),
                );
                let mut sat = q_end;
                while sat.weekday() != Weekday::Sat {
                    sat -= Duration::days(1);
                }
                // Its last Saturday, and the Sunday after it when that is still in the quarter.
                d == sat || (d == sat + Duration::days(1) && d <= q_end)
            }
        }
    }
}

/// The last day of a date's month.
pub fn last_day_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .map(|n| n - Duration::days(1))
        .unwrap_or(d)
}

/// The Spring Festival (lunar 1/1) of a Gregorian year. The years around now are worked out
/// once: the rules ask for the season's window for every record they look at, and the lunar
/// calendar's astronomy took a twentieth of the county's evaluation.
pub fn spring_festival(year: i32) -> Option<NaiveDate> {
    const FIRST: i32 = 1950;
    const LAST: i32 = 2150;
    static KNOWN: std::sync::OnceLock<Vec<Option<NaiveDate>>> = std::sync::OnceLock::new();
    if (FIRST..=LAST).contains(&year) {
        let known = KNOWN.get_or_init(|| (FIRST..=LAST).map(lunar_new_year).collect());
        return known.get((year - FIRST) as usize).copied().flatten();
    }
    lunar_new_year(year)
}

fn lunar_new_year(year: i32) -> Option<NaiveDate> {
    let s = tyme4rs::tyme::lunar::LunarDay::from_ymd(year as isize, 1, 1).get_solar_day();
    NaiveDate::from_ymd_opt(
        s.get_year() as i32,
        s.get_month() as u32,
        s.get_day() as u32,
    )
}

impl DateSet {
    /// Sets that name working weekdays (每周四, 每周五, 工作日): a rota plans none of their days
    /// that the official calendar makes a rest day.
    pub fn on_working_days(self) -> bool {
        matches!(
            self,
            DateSet::Thursdays | DateSet::Fridays | DateSet::WorkingDays
        )
    }
}

/// Sets of dates the rules name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSet {
    EveryDay,
    WorkingDays,
    Thursdays,
    Fridays,
    /// 逢十: the 10th, 20th and 30th (a month without a 30th uses its last day).
    TenthDays,
    SecondSaturday,
    /// The Saturday and Sunday of the last weekend of a quarter.
    QuarterLastWeekend,
    /// Days of a declared sensitive period 重要敏感时期.
    SensitiveDays,
    /// Days of a declared special period 特殊时期 (fire, flood, disaster).
    SpecialDays,
    /// 元旦、春节期间 (see [`Season::SpringFestival`]).
    SpringFestivalSeason,
}

/// Times of the year the regulations name for visits (BF-2, BF-4): each a window of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Season {
    /// 元旦、春节 (reading): from New Year's Day to the Lantern Festival (lunar 1/15).
    SpringFestival,
    /// 春耕 (reading): March and April.
    SpringSowing,
    /// 八一 (reading): the fortnight up to 1 August, Army Day.
    ArmyDay,
    /// 秋收 (reading): September and October.
    AutumnHarvest,
}

impl Season {
    pub fn zh(self) -> &'static str {
        match self {
            Season::SpringFestival => "元旦春节期间",
            Season::SpringSowing => "春耕",
            Season::ArmyDay => "八一",
            Season::AutumnHarvest => "秋收",
        }
    }

    /// Its first and last day in a year.
    pub fn window(self, year: i32) -> (NaiveDate, NaiveDate) {
        let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
        match self {
            Season::SpringFestival => (
                ymd(1, 1),
                spring_festival(year)
                    .map(|s| s + Duration::days(14))
                    .unwrap_or(ymd(2, 28)),
            ),
            Season::SpringSowing => (ymd(3, 1), ymd(4, 30)),
            Season::ArmyDay => (ymd(7, 18), ymd(8, 1)),
            Season::AutumnHarvest => (ymd(9, 1), ymd(10, 31)),
        }
    }
}

impl DateSet {
    pub fn zh(self) -> &'static str {
        match self {
            DateSet::EveryDay => "每天",
            DateSet::WorkingDays => "每个工作日",
            DateSet::Thursdays => "每周四",
            DateSet::Fridays => "每周五",
            DateSet::TenthDays => "逢十（10日、20日、30日）",
            DateSet::SecondSaturday => "每月第二个星期六",
            DateSet::QuarterLastWeekend => "季度最后一个周末",
            DateSet::SensitiveDays => "重要敏感时期每天",
            DateSet::SpecialDays => "特殊时期每天",
            DateSet::SpringFestivalSeason => "元旦春节期间",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn holidays_and_make_up_days_follow_the_official_schedule() {
        let c = Calendar::seeded();
        assert!(c.knows(2026) && !c.knows(2027));
        // 2026 National Day: 1–7 October off; Sunday 20 September and Saturday 10 October worked.
        assert!(!c.is_working_day(d("2026-10-05")));
        assert!(c.is_working_day(d("2026-09-20")), "a make-up Sunday");
        assert!(c.is_working_day(d("2026-10-10")), "a make-up Saturday");
        assert!(!c.is_working_day(d("2026-10-11")));
        assert!(c.is_working_day(d("2026-10-09")));
        // A year not yet published: Monday to Friday until an administrator adds it.
        let later = c
            .clone()
            .with([(d("2027-01-01"), DayKind::Holiday("元旦".into()))]);
        assert!(later.knows(2027) && !later.is_working_day(d("2027-01-01")));
        assert!(!c.is_working_day(d("2027-01-02")) && c.is_working_day(d("2027-01-04")));
    }

    #[test]
    fn lunar_and_named_dates() {
        assert_eq!(spring_festival(2026), Some(d("2026-02-17")));
        // 元旦春节期间 runs to the Lantern Festival: 3 March 2026, 20 February 2027.
        assert_eq!(
            Season::SpringFestival.window(2026),
            (d("2026-01-01"), d("2026-03-03"))
        );
        assert_eq!(Season::SpringFestival.window(2027).1, d("2027-02-20"));
        let c = Calendar::seeded();
        assert!(c.in_set(DateSet::SpringFestivalSeason, d("2026-03-03")));
        assert!(!c.in_set(DateSet::SpringFestivalSeason, d("2026-03-04")));
        assert_eq!(spring_festival(2027), Some(d("2027-02-06")));
        // Remembered years and years worked out on the spot agree.
        for y in [1949, 1950, 2026, 2150, 2151] {
            assert_eq!(spring_festival(y), lunar_new_year(y));
        }
        let c = Calendar::default();
        // February's “30th” is its last day.
        assert_eq!(
            c.dates(DateSet::TenthDays, d("2026-02-01"), d("2026-02-28")),
            [d("2026-02-10"), d("2026-02-20"), d("2026-02-28")]
        );
        assert_eq!(
            c.dates(DateSet::TenthDays, d("2026-03-01"), d("2026-03-31"))
                .len(),
            3
        );
        assert_eq!(
            c.dates(DateSet::SecondSaturday, d("2026-11-01"), d("2026-11-30")),
            [d("2026-11-14")]
        );
        assert_eq!(
            c.dates(
                DateSet::QuarterLastWeekend,
                d("2026-01-01"),
                d("2026-03-31")
            ),
            [d("2026-03-28"), d("2026-03-29")]
        );
        // A quarter ending on a Saturday (2023-09-30): that Saturday only.
        assert_eq!(
            c.dates(
                DateSet::QuarterLastWeekend,
                d("2023-07-01"),
                d("2023-09-30")
            ),
            [d("2023-09-30")]
        );
    }
}
