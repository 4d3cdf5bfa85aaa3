//! The period a report covers: a range of whole days in America/Bogota, `[from 00:00, to + 1 day
//! 00:00)`, given as a month or as two dates.

use campo_shared::calendar::{to_local, to_utc};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

/// Longest period a report covers (a year, leap or not).
pub const MAX_DAYS: i64 = 366;

/// Why a period cannot be used; the messages are shown as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("El mes «{0}» no es válido: use el formato AAAA-MM, por ejemplo 2026-10.")]
    BadMonth(String),
    #[error("La fecha «{0}» no es válida: use el formato AAAA-MM-DD, por ejemplo 2026-10-31.")]
    BadDate(String),
    #[error("La fecha inicial ({from}) es posterior a la final ({to}): inviértalas.")]
    Inverted { from: NaiveDate, to: NaiveDate },
    #[error("El periodo tiene {0} días; un informe cubre como máximo 366. Elija un rango menor.")]
    TooLong(i64),
    #[error("Indique el mes (month=AAAA-MM) o las fechas inicial y final (from y to, AAAA-MM-DD).")]
    Missing,
}

/// A range of whole days in America/Bogota, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// A calendar month, from `AAAA-MM`.
    pub fn parse_month(text: &str) -> Result<Self, PeriodError> {
        let bad = || PeriodError::BadMonth(text.to_owned());
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Self::month(year, month).ok_or_else(bad)
    }

    /// The month `month` of `year`, if it exists (years 1984–2200, those of the holiday calendar).
    pub fn month(year: i32, month: u32) -> Option<Self> {
        if !campo_shared::calendar::HOLIDAY_YEARS.contains(&year) {
            return None;
        }
        let from = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(Self {
            from,
            to: next.pred_opt()?,
        })
    }

    /// A range of days from two `AAAA-MM-DD` dates.
    pub fn parse_range(from: &str, to: &str) -> Result<Self, PeriodError> {
        let date = |text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .ok()
                .filter(|d| campo_shared::calendar::HOLIDAY_YEARS.contains(&d.year()))
                .ok_or_else(|| PeriodError::BadDate(text.to_owned()))
        };
        Self::range(date(from)?, date(to)?)
    }

    pub fn range(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Inverted { from, to });
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_DAYS {
            return Err(PeriodError::TooLong(days));
        }
        Ok(Self { from, to })
    }

    /// Number of days.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Whether it is exactly one calendar month.
    pub fn is_month(&self) -> bool {
        Self::month(self.from.year(), self.from.month()) == Some(*self)
    }

    /// First instant (ms, UTC): `from` at 00:00 in Bogota.
    pub fn start_ms(&self) -> i64 {
        day_start_ms(self.from)
    }

    /// First instant after the period (exclusive end).
    pub fn end_ms(&self) -> i64 {
        day_start_ms(self.to + Duration::days(1))
    }

    pub fn contains(&self, t: i64) -> bool {
        (self.start_ms()..self.end_ms()).contains(&t)
    }

    /// The period it is compared with: the previous month for a month, else the same number of
    /// days just before.
    pub fn previous(&self) -> Self {
        if self.is_month() {
            let before = self.from.pred_opt().expect("a date before");
            Self::month(before.year(), before.month()).unwrap_or(Self {
                from: before.with_day(1).expect("day 1"),
                to: before,
            })
        } else {
            let len = Duration::days(self.days());
            Self {
                from: self.from - len,
                to: self.to - len,
            }
        }
    }

    /// Spanish name: «octubre de 2026», or «01/10/2026 a 15/10/2026».
    pub fn label(&self) -> String {
        if self.is_month() {
            format!(
                "{} de {}",
                MONTHS[self.from.month0() as usize],
                self.from.year()
            )
        } else {
            format!(
                "{} a {}",
                self.from.format("%d/%m/%Y"),
                self.to.format("%d/%m/%Y")
            )
        }
    }

    /// For file names: `2026-10` or `2026-10-01_2026-10-15`.
    pub fn slug(&self) -> String {
        if self.is_month() {
            self.from.format("%Y-%m").to_string()
        } else {
            format!("{}_{}", self.from, self.to)
        }
    }

    /// Every day of the period.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let from = self.from;
        (0..self.days()).map(move |i| from + Duration::days(i))
    }
}

/// Spanish month names, lowercase as written inside a sentence.
pub const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// 00:00 of `date` in Bogota, as ms since the epoch.
pub fn day_start_ms(date: NaiveDate) -> i64 {
    to_utc(date.and_time(chrono::NaiveTime::MIN)).timestamp_millis()
}

/// The Bogota date of an instant.
pub fn local_date(ms: i64) -> NaiveDate {
    to_local(utc(ms)).date()
}

pub(super) fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The period shown in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub label: String,
}

impl From<Period> for PeriodInfo {
    fn from(p: Period) -> Self {
        Self {
            from: p.from,
            to: p.to,
            label: p.label(),
        }
    }
}
