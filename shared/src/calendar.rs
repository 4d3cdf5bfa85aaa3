//! The business calendar: Colombian public holidays and the office's working windows, used to
//! turn "8 business hours" into a deadline (activity 4 of the procedure).
//!
//! Everything is computed in America/Bogota local time. Colombia has used UTC-05:00 all year,
//! with no daylight saving time, since 1993, so a fixed offset is exact for every date this
//! system will see and no time-zone database (chrono-tz) is needed.
//!
//! Holidays follow Ley 51 de 1983 ("Ley Emiliani", in force since 1984): some dates are fixed,
//! others move to the following Monday, and five depend on Easter. From 2026 on, Ley 2578 de 2026
//! adds a holiday on 9 July, moved to Monday like the Emiliani ones.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Colombia's offset: UTC-05:00, no DST since 1993 (see the module documentation).
pub const BOGOTA_OFFSET_SECONDS: i32 = -5 * 3600;

/// The America/Bogota offset as a chrono [`FixedOffset`].
pub fn bogota() -> FixedOffset {
    FixedOffset::east_opt(BOGOTA_OFFSET_SECONDS).expect("UTC-5 is a valid offset")
}

/// The first and last years [`colombian_holidays`] computes. 1984 is the first year under
/// Ley 51 de 1983; 2200 is an arbitrary but generous horizon.
pub const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 1984..=2200;

/// A public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Holiday {
    /// The day it is observed (after any move to Monday).
    pub date: NaiveDate,
    /// Its name in Spanish.
    pub name: &'static str,
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm, a.k.a.
/// Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("computus yields a valid date")
}

/// The given date if it is a Monday, else the next Monday (the Emiliani rule).
fn next_monday(date: NaiveDate) -> NaiveDate {
    let ahead = (7 - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(ahead))
}

/// The Colombian public holidays of `year`, sorted by date. Two holidays that fall on the same
/// day are both listed (2025: Sagrado Corazón and San Pedro y San Pablo on Monday 30 June).
/// Returns an empty list for years outside [`HOLIDAY_YEARS`].
pub fn colombian_holidays(year: i32) -> Vec<Holiday> {
    if !HOLIDAY_YEARS.contains(&year) {
        return Vec::new();
    }
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid holiday date");
    let easter = easter_sunday(year);
    let after_easter = |days: i64| easter + Duration::days(days);

    let mut list = vec![
        // Fixed dates.
        Holiday {
            date: ymd(1, 1),
            name: "Año Nuevo",
        },
        Holiday {
            date: ymd(5, 1),
            name: "Día del Trabajo",
        },
        Holiday {
            date: ymd(7, 20),
            name: "Día de la Independencia",
        },
        Holiday {
            date: ymd(8, 7),
            name: "Batalla de Boyacá",
        },
        Holiday {
            date: ymd(12, 8),
            name: "Inmaculada Concepción",
        },
        Holiday {
            date: ymd(12, 25),
            name: "Navidad",
        },
        // Moved to the following Monday (Ley 51 de 1983).
        Holiday {
            date: next_monday(ymd(1, 6)),
            name: "Día de los Reyes Magos",
        },
        Holiday {
            date: next_monday(ymd(3, 19)),
            name: "Día de San José",
        },
        Holiday {
            date: next_monday(ymd(6, 29)),
            name: "San Pedro y San Pablo",
        },
        Holiday {
            date: next_monday(ymd(8, 15)),
            name: "Asunción de la Virgen",
        },
        Holiday {
            date: next_monday(ymd(10, 12)),
            name: "Día de la Raza",
        },
        Holiday {
            date: next_monday(ymd(11, 1)),
            name: "Día de Todos los Santos",
        },
        Holiday {
            date: next_monday(ymd(11, 11)),
            name: "Independencia de Cartagena",
        },
        // Easter-based. Holy Thursday and Good Friday stay where they are; the other three are
        // Thursday/Friday feasts that the Emiliani rule observes on the following Monday.
        Holiday {
            date: after_easter(-3),
            name: "Jueves Santo",
        },
        Holiday {
            date: after_easter(-2),
            name: "Viernes Santo",
        },
        Holiday {
            date: after_easter(43),
            name: "Ascensión del Señor",
        },
        Holiday {
            date: after_easter(64),
            name: "Corpus Christi",
        },
        Holiday {
            date: after_easter(71),
            name: "Sagrado Corazón de Jesús",
        },
    ];
    if year >= 2026 {
        list.push(Holiday {
            date: next_monday(ymd(7, 9)),
            name: "Festivo Ley 2578 de 2026",
        });
    }
    list.sort();
    list
}

/// Whether `date` is a Colombian public holiday.
pub fn is_colombian_holiday(date: NaiveDate) -> bool {
    colombian_holidays(date.year())
        .iter()
        .any(|h| h.date == date)
}

/// One working window of a weekday, in local (Bogota) time, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The weekday (serialised as `"Mon"`, `"Tue"`, …).
    pub day: Weekday,
    /// When work starts, e.g. `"08:00:00"`.
    pub start: NaiveTime,
    /// When work stops, e.g. `"12:00:00"`.
    pub end: NaiveTime,
}

/// The office's default hours: Monday to Friday, 08:00–12:00 and 14:00–18:00.
pub fn default_windows() -> Vec<Window> {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("valid time");
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .flat_map(|day| {
        [
            Window {
                day,
                start: t(8),
                end: t(12),
            },
            Window {
                day,
                start: t(14),
                end: t(18),
            },
        ]
    })
    .collect()
}

/// The Spanish name of a weekday, for messages.
pub const fn weekday_es(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "lunes",
        Weekday::Tue => "martes",
        Weekday::Wed => "miércoles",
        Weekday::Thu => "jueves",
        Weekday::Fri => "viernes",
        Weekday::Sat => "sábado",
        Weekday::Sun => "domingo",
    }
}

/// Why a set of working windows cannot make a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// No window at all: no deadline could ever be reached.
    #[error("el horario laboral no tiene ninguna franja; defina al menos una")]
    Empty,
    /// A window that ends before it starts.
    #[error(
        "la franja del {} de {start} a {end} termina antes de empezar; corrija las horas",
        weekday_es(*day)
    )]
    Inverted {
        /// Weekday of the window.
        day: Weekday,
        /// Its start.
        start: NaiveTime,
        /// Its end.
        end: NaiveTime,
    },
    /// Two windows of the same day overlap.
    #[error(
        "las franjas del {} se superponen; cada hora debe estar en una sola franja",
        weekday_es(*day)
    )]
    Overlap {
        /// The weekday.
        day: Weekday,
    },
}

/// Working hours of one day, in local (Bogota) time, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hours {
    /// When work starts, e.g. `"07:00:00"`.
    pub start: NaiveTime,
    /// When work stops, e.g. `"15:00:00"`.
    pub end: NaiveTime,
}

/// A day the Gobernación changed by decree: closed (a «día cívico») or worked with other hours
/// (a «jornada continua», a half day). Deadlines move over it as over a holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// The local date.
    pub date: NaiveDate,
    /// The hours the office works that day, sorted; empty when it does not open at all.
    pub hours: Vec<Hours>,
    /// Why (the decree or circular), as the coordinator wrote it.
    pub reason: String,
}

/// Why a closure cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClosureError {
    /// Hours that end before they start.
    #[error(
        "la franja de {} a {} termina antes de empezar; corrija las horas",
        start.format("%H:%M"),
        end.format("%H:%M")
    )]
    Inverted {
        /// Its start.
        start: NaiveTime,
        /// Its end.
        end: NaiveTime,
    },
    /// Two spans of hours of the day overlap.
    #[error("las franjas del día se superponen; cada hora debe estar en una sola franja")]
    Overlap,
    /// More spans than a day can sensibly have.
    #[error("un día admite máximo 4 franjas")]
    TooMany,
}

impl Closure {
    /// Checks the hours and sorts them.
    pub fn checked(mut self) -> Result<Self, ClosureError> {
        if self.hours.len() > 4 {
            return Err(ClosureError::TooMany);
        }
        for h in &self.hours {
            if h.start >= h.end {
                return Err(ClosureError::Inverted {
                    start: h.start,
                    end: h.end,
                });
            }
        }
        self.hours.sort();
        if self
            .hours
            .windows(2)
            .any(|pair| pair[0].end > pair[1].start)
        {
            return Err(ClosureError::Overlap);
        }
        Ok(self)
    }

    /// Whether the office does not open at all that day.
    pub fn is_closed(&self) -> bool {
        self.hours.is_empty()
    }
}

/// Working windows per weekday plus the Colombian holidays and the office's closures: the clock
/// SLA deadlines run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    /// Index 0 = Monday … 6 = Sunday; each list sorted by start and non-overlapping.
    days: [Vec<(NaiveTime, NaiveTime)>; 7],
    /// Days whose hours a closure replaced (empty: closed), shared between calendars.
    exceptions: Arc<BTreeMap<NaiveDate, Vec<(NaiveTime, NaiveTime)>>>,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self::new(&default_windows()).expect("the default windows are valid")
    }
}

/// Memoises one year's holidays while a computation walks across days.
struct HolidayCache {
    year: i32,
    dates: Vec<NaiveDate>,
}

impl HolidayCache {
    fn new() -> Self {
        Self {
            year: i32::MIN,
            dates: Vec::new(),
        }
    }

    fn is_holiday(&mut self, date: NaiveDate) -> bool {
        if date.year() != self.year {
            self.year = date.year();
            self.dates = colombian_holidays(self.year)
                .iter()
                .map(|h| h.date)
                .collect();
        }
        self.dates.contains(&date)
    }
}

impl BusinessCalendar {
    /// Builds a calendar from working windows (in any order), checking each day's windows are
    /// well-formed and do not overlap.
    pub fn new(windows: &[Window]) -> Result<Self, CalendarError> {
        if windows.is_empty() {
            return Err(CalendarError::Empty);
        }
        let mut days: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for w in windows {
            if w.start >= w.end {
                return Err(CalendarError::Inverted {
                    day: w.day,
                    start: w.start,
                    end: w.end,
                });
            }
            days[w.day.num_days_from_monday() as usize].push((w.start, w.end));
        }
        for (i, day) in days.iter_mut().enumerate() {
            day.sort();
            if day.windows(2).any(|pair| pair[0].1 > pair[1].0) {
                let day = Weekday::try_from(i as u8).expect("index below 7");
                return Err(CalendarError::Overlap { day });
            }
        }
        Ok(Self {
            days,
            exceptions: Arc::default(),
        })
    }

    /// This calendar with the office's closures: each closure's hours replace its date's windows
    /// (a holiday stays closed whatever a closure says). `closures` must be [`Closure::checked`].
    pub fn with_closures(mut self, closures: &[Closure]) -> Self {
        self.exceptions = Arc::new(
            closures
                .iter()
                .map(|c| (c.date, c.hours.iter().map(|h| (h.start, h.end)).collect()))
                .collect(),
        );
        self
    }

    /// The windows this calendar was built from, Monday first.
    pub fn windows(&self) -> Vec<Window> {
        let mut out = Vec::new();
        for (i, day) in self.days.iter().enumerate() {
            let weekday = Weekday::try_from(i as u8).expect("index below 7");
            out.extend(day.iter().map(|&(start, end)| Window {
                day: weekday,
                start,
                end,
            }));
        }
        out
    }

    /// The working windows of one local date (none on holidays), as local datetimes.
    fn windows_on(
        &self,
        date: NaiveDate,
        holidays: &mut HolidayCache,
    ) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let hours: &[(NaiveTime, NaiveTime)] = if holidays.is_holiday(date) {
            &[]
        } else if let Some(hours) = self.exceptions.get(&date) {
            hours
        } else {
            &self.days[date.weekday().num_days_from_monday() as usize]
        };
        hours
            .iter()
            .map(move |&(s, e)| (date.and_time(s), date.and_time(e)))
    }

    /// The instant `minutes` business minutes after `start`.
    ///
    /// A start outside working hours counts from the next window's opening. When the minutes run
    /// out exactly at the end of a window, the result is that end (e.g. Friday 18:00), not the
    /// next opening. `minutes <= 0` returns `start` unchanged.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return start;
        }
        let mut remaining = Duration::minutes(minutes);
        let mut cursor = to_local(start);
        let mut holidays = HolidayCache::new();
        loop {
            let date = cursor.date();
            for (open, close) in self.windows_on(date, &mut holidays) {
                if cursor >= close {
                    continue;
                }
                let from = cursor.max(open);
                let available = close - from;
                if remaining <= available {
                    return to_utc(from + remaining);
                }
                remaining -= available;
                cursor = close;
            }
            // `new` guarantees at least one window a week, and no year is all holidays, so this
            // loop always ends.
            cursor = (date + Duration::days(1)).and_time(NaiveTime::MIN);
        }
    }

    /// Business minutes between `a` and `b` (whole minutes, rounded down); negative if `b` is
    /// before `a`.
    pub fn business_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b < a {
            return -self.business_minutes_between(b, a);
        }
        let (from, to) = (to_local(a), to_local(b));
        let mut holidays = HolidayCache::new();
        let mut total = Duration::zero();
        let mut date = from.date();
        while date <= to.date() {
            for (open, close) in self.windows_on(date, &mut holidays) {
                let s = open.max(from);
                let e = close.min(to);
                if e > s {
                    total += e - s;
                }
            }
            date += Duration::days(1);
        }
        total.num_minutes()
    }

    /// Whether `at` falls inside a working window.
    pub fn is_business_time(&self, at: DateTime<Utc>) -> bool {
        let local = to_local(at);
        let mut holidays = HolidayCache::new();
        self.windows_on(local.date(), &mut holidays)
            .any(|(open, close)| open <= local && local < close)
    }
}

/// UTC instant → Bogota wall-clock time.
pub fn to_local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&bogota()).naive_local()
}

/// Bogota wall-clock time → UTC instant (always unambiguous: fixed offset).
pub fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    bogota()
        .from_local_datetime(&local)
        .single()
        .expect("a fixed offset maps every local time to one instant")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Bogota local "YYYY-MM-DD HH:MM" → UTC.
    fn bog(s: &str) -> DateTime<Utc> {
        to_utc(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    #[test]
    fn easter_dates() {
        for (year, date) in [
            (1985, "1985-04-07"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2020, "2020-04-12"),
            (2021, "2021-04-04"),
            (2022, "2022-04-17"),
            (2023, "2023-04-09"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2028, "2028-04-16"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), d(date), "{year}");
        }
    }

    /// The official calendars, as published each year (dates only, in order).
    const KNOWN: &[(i32, &[&str])] = &[
        (
            2019,
            &[
                "01-01", "01-07", "03-25", "04-18", "04-19", "05-01", "06-03", "06-24", "07-01",
                "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25",
            ],
        ),
        (
            2020,
            &[
                "01-01", "01-06", "03-23", "04-09", "04-10", "05-01", "05-25", "06-15", "06-22",
                "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25",
            ],
        ),
        (
            2021,
            &[
                "01-01", "01-11", "03-22", "04-01", "04-02", "05-01", "05-17", "06-07", "06-14",
                "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25",
            ],
        ),
        (
            2022,
            &[
                "01-01", "01-10", "03-21", "04-14", "04-15", "05-01", "05-30", "06-20", "06-27",
                "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25",
            ],
        ),
        (
            2023,
            &[
                "01-01", "01-09", "03-20", "04-06", "04-07", "05-01", "05-22", "06-12", "06-19",
                "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25",
            ],
        ),
        (
            2024,
            &[
                "01-01", "01-08", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10",
                "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25",
            ],
        ),
        (
            2025,
            &[
                "01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30",
                "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25",
            ],
        ),
        (
            2026,
            &[
                "01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15",
                "06-29", "07-13", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08",
                "12-25",
            ],
        ),
        (
            2027,
            &[
                "01-01", "01-11", "03-22", "03-25", "03-26", "05-01", "05-10", "05-31", "06-07",
                "07-05", "07-12", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08",
                "12-25",
            ],
        ),
    ];

    #[test]
    fn holidays_match_the_official_calendars() {
        for (year, dates) in KNOWN {
            let got: Vec<String> = colombian_holidays(*year)
                .iter()
                .map(|h| h.date.format("%m-%d").to_string())
                .collect();
            assert_eq!(got, *dates, "{year}");
        }
    }

    #[test]
    fn counts_and_shared_dates() {
        let count = |year| {
            let list = colombian_holidays(year);
            let mut dates: Vec<NaiveDate> = list.iter().map(|h| h.date).collect();
            dates.dedup();
            (list.len(), dates.len())
        };
        assert_eq!(count(2025), (18, 17));
        assert_eq!(count(2026), (19, 19));
        let on_june_30: Vec<&str> = colombian_holidays(2025)
            .into_iter()
            .filter(|h| h.date == d("2025-06-30"))
            .map(|h| h.name)
            .collect();
        assert_eq!(
            on_june_30,
            ["Sagrado Corazón de Jesús", "San Pedro y San Pablo"]
        );
        let july_13 = colombian_holidays(2026)
            .into_iter()
            .find(|h| h.date == d("2026-07-13"));
        assert_eq!(july_13.unwrap().name, "Festivo Ley 2578 de 2026");
        assert!(
            !colombian_holidays(2025)
                .iter()
                .any(|h| h.date.month() == 7 && h.date.day() < 20)
        );
    }

    #[test]
    fn rules_hold_for_every_supported_year() {
        for year in HOLIDAY_YEARS {
            let list = colombian_holidays(year);
            assert_eq!(list.len(), if year >= 2026 { 19 } else { 18 }, "{year}");
            assert!(
                list.windows(2).all(|p| p[0].date <= p[1].date),
                "{year} sorted"
            );
            for h in &list {
                assert_eq!(h.date.year(), year);
                let fixed = ["Año Nuevo", "Día del Trabajo", "Día de la Independencia"];
                let stays = fixed.contains(&h.name)
                    || ["Batalla de Boyacá", "Inmaculada Concepción", "Navidad"].contains(&h.name)
                    || ["Jueves Santo", "Viernes Santo"].contains(&h.name);
                if !stays {
                    assert_eq!(h.date.weekday(), Weekday::Mon, "{year} {}", h.name);
                }
            }
        }
        assert!(colombian_holidays(1983).is_empty());
        assert!(colombian_holidays(2201).is_empty());
        assert!(is_colombian_holiday(d("2026-07-13")));
        assert!(!is_colombian_holiday(d("2025-07-14")));
    }

    #[test]
    fn default_calendar_windows_and_validation() {
        let cal = BusinessCalendar::default();
        assert_eq!(cal.windows(), default_windows());
        assert_eq!(BusinessCalendar::new(&[]), Err(CalendarError::Empty));
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let inverted = Window {
            day: Weekday::Mon,
            start: t(12),
            end: t(8),
        };
        assert!(matches!(
            BusinessCalendar::new(&[inverted]),
            Err(CalendarError::Inverted { .. })
        ));
        let a = Window {
            day: Weekday::Tue,
            start: t(8),
            end: t(12),
        };
        let b = Window {
            day: Weekday::Tue,
            start: t(11),
            end: t(13),
        };
        let err = BusinessCalendar::new(&[a, b]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "las franjas del martes se superponen; cada hora debe estar en una sola franja"
        );
        // Serialised as the server stores it in its configuration.
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"day":"Tue","start":"08:00:00","end":"12:00:00"}"#);
        let short: Window =
            serde_json::from_str(r#"{"day":"Tue","start":"08:00","end":"12:00"}"#).unwrap();
        assert_eq!(short, a);
    }

    #[test]
    fn adding_business_minutes() {
        let cal = BusinessCalendar::default();
        let add = |start: &str, minutes| cal.add_business_minutes(bog(start), minutes);
        // Inside one window.
        assert_eq!(add("2026-03-03 09:00", 90), bog("2026-03-03 10:30"));
        // Across the lunch break.
        assert_eq!(add("2026-03-03 11:30", 60), bog("2026-03-03 14:30"));
        // Overnight.
        assert_eq!(add("2026-03-03 17:00", 120), bog("2026-03-04 09:00"));
        // Over a weekend.
        assert_eq!(add("2026-03-06 17:30", 60), bog("2026-03-09 08:30"));
        // Over a weekend and a holiday: Monday 13 July 2026 (Ley 2578 de 2026).
        assert_eq!(add("2026-07-10 17:00", 120), bog("2026-07-14 09:00"));
        // Starting outside a window: at night, at lunch, on a Sunday, on a holiday.
        assert_eq!(add("2026-03-03 21:00", 30), bog("2026-03-04 08:30"));
        assert_eq!(add("2026-03-03 12:45", 30), bog("2026-03-03 14:30"));
        assert_eq!(add("2026-03-08 10:00", 30), bog("2026-03-09 08:30"));
        assert_eq!(add("2026-12-08 10:00", 30), bog("2026-12-09 08:30"));
        // Ending exactly at a window's end stays there.
        assert_eq!(add("2026-03-06 17:00", 60), bog("2026-03-06 18:00"));
        // Zero or negative minutes: unchanged, even outside working hours.
        assert_eq!(add("2026-03-08 10:00", 0), bog("2026-03-08 10:00"));
        assert_eq!(add("2026-03-03 09:00", -5), bog("2026-03-03 09:00"));
        // Three business days (1440 minutes) over Holy Week 2026 (2 and 3 April are holidays).
        assert_eq!(add("2026-03-31 08:00", 1440), bog("2026-04-06 18:00"));
        // A year of business time does not loop forever.
        let far = add("2026-01-02 08:00", 480 * 240);
        assert!(far > bog("2026-12-01 00:00") && far < bog("2027-02-01 00:00"));
    }

    #[test]
    fn counting_business_minutes() {
        let cal = BusinessCalendar::default();
        let between = |a: &str, b: &str| cal.business_minutes_between(bog(a), bog(b));
        assert_eq!(between("2026-03-03 09:00", "2026-03-03 10:30"), 90);
        assert_eq!(between("2026-03-03 11:30", "2026-03-03 14:30"), 60);
        assert_eq!(between("2026-03-03 17:00", "2026-03-04 09:00"), 120);
        assert_eq!(between("2026-07-10 17:00", "2026-07-14 09:00"), 120);
        assert_eq!(between("2026-03-07 09:00", "2026-03-08 17:00"), 0);
        assert_eq!(between("2026-03-04 09:00", "2026-03-03 17:00"), -120);
        assert_eq!(between("2026-03-02 00:00", "2026-03-09 00:00"), 5 * 480);
        // Round trip with add, across many starting points.
        let start = bog("2026-06-26 07:00");
        for step in 0..200 {
            let a = start + Duration::minutes(step * 37);
            for minutes in [1, 59, 240, 481, 2400] {
                let due = cal.add_business_minutes(a, minutes);
                assert_eq!(
                    cal.business_minutes_between(a, due),
                    minutes,
                    "{a} + {minutes}"
                );
            }
        }
    }

    #[test]
    fn business_time_and_time_zone() {
        let cal = BusinessCalendar::default();
        assert!(cal.is_business_time(bog("2026-03-03 08:00")));
        assert!(!cal.is_business_time(bog("2026-03-03 12:00")));
        assert!(!cal.is_business_time(bog("2026-07-13 09:00")));
        // 08:00 in Bogota is 13:00 UTC.
        assert_eq!(
            bog("2026-03-03 08:00").to_rfc3339(),
            "2026-03-03T13:00:00+00:00"
        );
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn closures_move_deadlines_like_holidays() {
        let closures = [
            // A «día cívico»: closed all day (Wednesday).
            Closure {
                date: d("2026-03-04"),
                hours: vec![],
                reason: "Decreto 123: día cívico".into(),
            },
            // A «jornada continua» on Thursday: 07:00 to 15:00 without lunch.
            Closure {
                date: d("2026-03-05"),
                hours: vec![Hours {
                    start: t("07:00"),
                    end: t("15:00"),
                }],
                reason: "Circular 45: jornada continua".into(),
            },
        ];
        let plain = BusinessCalendar::default();
        let cal = BusinessCalendar::default().with_closures(&closures);
        // Tuesday 17:00 + 2 business hours: one on Tuesday, then Wednesday 09:00 normally; with
        // the closures, the second hour is Thursday's first, from 07:00: 08:00.
        let at = bog("2026-03-03 17:00");
        assert_eq!(plain.add_business_minutes(at, 120), bog("2026-03-04 09:00"));
        assert_eq!(cal.add_business_minutes(at, 120), bog("2026-03-05 08:00"));
        // Thursday's hours are 8, lunch included: 12:00 to 14:00 counts.
        assert_eq!(
            cal.business_minutes_between(bog("2026-03-05 00:00"), bog("2026-03-06 00:00")),
            480
        );
        assert!(cal.is_business_time(bog("2026-03-05 13:00")));
        assert!(!cal.is_business_time(bog("2026-03-05 15:00")));
        assert!(!cal.is_business_time(bog("2026-03-04 09:00")));
        // A closure never opens a holiday.
        let holiday = BusinessCalendar::default().with_closures(&[Closure {
            date: d("2026-07-13"),
            hours: vec![Hours {
                start: t("08:00"),
                end: t("12:00"),
            }],
            reason: "x".into(),
        }]);
        assert!(!holiday.is_business_time(bog("2026-07-13 09:00")));
    }

    #[test]
    fn bad_closure_hours_are_refused_in_spanish() {
        let closure = |hours: Vec<Hours>| Closure {
            date: d("2026-03-04"),
            hours,
            reason: "x".into(),
        };
        let h = |a, b| Hours {
            start: t(a),
            end: t(b),
        };
        assert_eq!(
            closure(vec![h("12:00", "08:00")])
                .checked()
                .unwrap_err()
                .to_string(),
            "la franja de 12:00 a 08:00 termina antes de empezar; corrija las horas"
        );
        assert_eq!(
            closure(vec![h("10:00", "14:00"), h("08:00", "11:00")]).checked(),
            Err(ClosureError::Overlap)
        );
        let ok = closure(vec![h("14:00", "16:00"), h("08:00", "12:00")])
            .checked()
            .unwrap();
        assert_eq!(ok.hours, vec![h("08:00", "12:00"), h("14:00", "16:00")]);
    }
}
