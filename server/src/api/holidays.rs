//! `GET /api/holidays?year=YYYY`: the Colombian public holidays of a year, as the SLA calendar
//! counts them.

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use campo_shared::calendar::colombian_holidays;
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
    name: &'static str,
}

/// Years the holiday rules are defined for (Ley 51 de 1983 onwards).
const YEARS: std::ops::RangeInclusive<i32> = 1984..=2200;

async fn holidays(Query(query): Query<YearQuery>) -> ApiResult<Json<Vec<HolidayView>>> {
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
    Ok(Json(
        colombian_holidays(year)
            .into_iter()
            .map(|h| HolidayView {
                date: h.date.format("%Y-%m-%d").to_string(),
                name: h.name,
            })
            .collect(),
    ))
}
