//! `GET /api/holidays?year=YYYY`: the days of a year the SLA calendar does not count as usual:
//! the Colombian public holidays and the office's closures by decree (closed days and days with
//! other hours), by date.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use campo_shared::calendar::{Hours, colombian_holidays};
use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiResult, AppError, Json};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/holidays", get(holidays))
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<String>,
}

#[derive(Serialize)]
struct HolidayView {
    date: String,
    /// The holiday's name, or the closure's reason.
    name: String,
    /// `festivo` (by law), `cierre` (closed by decree) or `jornada_especial` (other hours).
    kind: &'static str,
    /// A special day's hours (`{"start": "07:00:00", "end": "15:00:00"}`); empty otherwise.
    hours: Vec<Hours>,
}

/// Years the holiday rules are defined for (Ley 51 de 1983 onwards).
const YEARS: std::ops::RangeInclusive<i32> = 1984..=2200;

async fn holidays(
    State(state): State<AppState>,
    Query(query): Query<YearQuery>,
) -> ApiResult<Json<Vec<HolidayView>>> {
    let bad_year = || {
        AppError::BadRequest(format!(
            "Indique un año entre {} y {} (por ejemplo ?year=2026).",
            YEARS.start(),
            YEARS.end()
        ))
    };
    let year: i32 = query
        .year
        .as_deref()
        .ok_or_else(bad_year)?
        .trim()
        .parse()
        .map_err(|_| bad_year())?;
    if !YEARS.contains(&year) {
        return Err(bad_year());
    }
    let mut days: Vec<HolidayView> = colombian_holidays(year)
        .into_iter()
        .map(|h| HolidayView {
            date: h.date.format("%Y-%m-%d").to_string(),
            name: h.name.to_owned(),
            kind: "festivo",
            hours: Vec::new(),
        })
        .collect();
    let sla = state.documents.sla();
    days.extend(
        sla.closures()
            .iter()
            .filter(|c| c.date.year() == year)
            .map(|c| HolidayView {
                date: c.date.format("%Y-%m-%d").to_string(),
                name: c.reason.clone(),
                kind: if c.is_closed() {
                    "cierre"
                } else {
                    "jornada_especial"
                },
                hours: c.hours.clone(),
            }),
    );
    days.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(Json(days))
}
