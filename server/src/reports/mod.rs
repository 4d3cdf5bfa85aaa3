//! The monthly report of technical assistance (activity 11), for coordinators and integration
//! tokens with the scope `reports:read`.
//!
//! - `GET /api/reports/monthly?month=2026-10` (or `from=2026-10-01&to=2026-10-15`), with the
//!   filters `dependencia`, `category`, `channel`, `assignee` (user id), `priority`: JSON with the
//!   general figures, the detailed rows and the charts (inline SVG and their URLs).
//! - `GET /api/reports/monthly.pdf`, `.xlsx`, `.csv` (`tabla=general` for the general figures,
//!   the detailed rows otherwise): the same report as a file to download.
//! - `GET /api/reports/charts/{name}.svg`: one chart, same query.
//!
//! [`figures`] defines every number once; [`charts`], [`pdf`] and [`export`] only print them.
//! The rows come from the ticket projection ([`crate::store::Store::report_tickets`]).

pub mod charts;
pub mod export;
pub mod figures;
#[doc(hidden)]
pub mod fixture;
pub mod pdf;
pub mod period;
#[cfg(test)]
mod tests;
pub mod ticket;

use std::str::FromStr;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use campo_shared::schema::Channel;
use campo_shared::sla::Priority;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::ReportReader;
use crate::error::{ApiResult, AppError};
use crate::store::{ReportFilters, now_ms};
use figures::{GeneralReport, Report};
use period::{Period, PeriodError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/reports/monthly", get(monthly_json))
        .route("/api/reports/monthly.pdf", get(monthly_pdf))
        .route("/api/reports/monthly.xlsx", get(monthly_xlsx))
        .route("/api/reports/monthly.csv", get(monthly_csv))
        .route("/api/reports/charts/{file}", get(chart_svg))
}

/// The query every report address takes.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A whole month, `2026-10`; or `from` and `to`.
    pub month: Option<String>,
    /// First day, `2026-10-01`.
    pub from: Option<String>,
    /// Last day, `2026-10-15`.
    pub to: Option<String>,
    pub dependencia: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub assignee: Option<String>,
    pub priority: Option<String>,
    /// CSV only: `general` or `detalle` (the default).
    pub tabla: Option<String>,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl ReportQuery {
    /// The period asked for, or a Spanish message saying how to ask.
    pub fn period(&self) -> Result<Period, AppError> {
        let bad = |e: PeriodError| AppError::BadRequest(e.to_string());
        match (given(&self.month), given(&self.from), given(&self.to)) {
            (Some(month), None, None) => Period::parse_month(&month).map_err(bad),
            (None, Some(from), Some(to)) => Period::parse_range(&from, &to).map_err(bad),
            (Some(_), _, _) => Err(AppError::BadRequest(
                "Indique el mes (month) o las fechas (from y to), no ambos.".into(),
            )),
            (None, Some(_), None) | (None, None, Some(_)) => Err(AppError::BadRequest(
                "Indique las dos fechas del rango: from y to (AAAA-MM-DD).".into(),
            )),
            (None, None, None) => Err(bad(PeriodError::Missing)),
        }
    }

    /// The filters, checked against the known channels and priorities.
    pub fn filters(&self) -> Result<ReportFilters, AppError> {
        let channel = given(&self.channel);
        if let Some(c) = &channel {
            Channel::from_str(c).map_err(|e| AppError::BadRequest(format!("{e}.")))?;
        }
        let priority = given(&self.priority);
        if let Some(p) = &priority {
            Priority::from_str(p).map_err(|e| AppError::BadRequest(format!("{e}.")))?;
        }
        Ok(ReportFilters {
            dependencia: given(&self.dependencia),
            category: given(&self.category),
            channel,
            assignee: given(&self.assignee),
            priority,
        })
    }
}

/// Computes the report a query asks for: for coordinators and tokens with `reports:read`, which
/// the [`ReportReader`] the caller holds proves.
pub async fn build(
    state: &AppState,
    _reader: &ReportReader,
    query: &ReportQuery,
) -> ApiResult<Built> {
    let period = query.period()?;
    let filters = query.filters()?;
    let policy = state.store.sla_policy().await?;
    let sla = crate::projection::Sla::new(policy).map_err(AppError::Internal)?;
    let tickets = state
        .store
        .report_tickets(period.previous().start_ms(), period.end_ms(), &filters)
        .await?;
    let now = now_ms();
    let described = describe_filters(&filters, &tickets);
    let report = tokio::task::spawn_blocking(move || figures::report(&tickets, period, &sla, now))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Built {
        organisation: state.config.organisation.clone(),
        report,
        period,
        filters: described,
        generated: format!(
            "Generado el {} (hora de Bogotá)",
            figures::datetime_text(now)
        ),
    })
}

/// A computed report and what its header says.
pub struct Built {
    /// The organisation named in the heading (`CAMPO_ORGANISATION`).
    pub organisation: String,
    pub report: Report,
    pub period: Period,
    /// The filters as people read them; empty when none.
    pub filters: String,
    pub generated: String,
}

impl Built {
    /// The lines that head the XLSX and CSV files.
    fn heading(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "{} · Informe mensual de asistencia técnica",
                self.organisation
            ),
            format!(
                "Periodo: {} ({} a {})",
                self.period.label(),
                self.period.from.format("%d/%m/%Y"),
                self.period.to.format("%d/%m/%Y")
            ),
            self.generated.clone(),
        ];
        if !self.filters.is_empty() {
            lines.push(format!("Filtros: {}", self.filters));
        }
        lines
    }

    fn attachment(&self, ext: &str, content_type: &'static str, body: Vec<u8>) -> Response {
        (
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"informe-{}.{ext}\"",
                        self.period.slug()
                    ),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body,
        )
            .into_response()
    }
}

fn describe_filters(f: &ReportFilters, tickets: &[ticket::ReportTicket]) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &f.dependencia {
        let name = tickets
            .iter()
            .find(|t| t.dependencia.as_ref() == Some(d))
            .map_or(d.clone(), |t| t.dependencia_label());
        parts.push(format!("dependencia {name}"));
    }
    if let Some(c) = &f.category {
        parts.push(format!("categoría {c}"));
    }
    if let Some(c) = &f.channel {
        let label = Channel::from_str(c).map_or(c.clone(), |c| c.label().to_owned());
        parts.push(format!("canal {label}"));
    }
    if let Some(a) = &f.assignee {
        let name = tickets
            .iter()
            .find(|t| t.assignee_id.as_ref() == Some(a))
            .map_or(a.clone(), |t| t.assignee_label());
        parts.push(format!("responsable {name}"));
    }
    if let Some(p) = &f.priority {
        let label = Priority::from_str(p).map_or(p.clone(), |p| p.label().to_owned());
        parts.push(format!("prioridad {label}"));
    }
    parts.join("; ")
}

/// A chart in the JSON answer.
#[derive(Serialize)]
struct ChartJson {
    name: &'static str,
    title: String,
    url: String,
    svg: String,
}

#[derive(Serialize)]
struct MonthlyJson {
    organisation: String,
    generated: String,
    filters: String,
    general: GeneralReport,
    detail: Vec<figures::DetailRow>,
    charts: Vec<ChartJson>,
}

/// The query string that names the same report, for chart URLs.
fn query_string(q: &ReportQuery) -> String {
    let pairs = [
        ("month", &q.month),
        ("from", &q.from),
        ("to", &q.to),
        ("dependencia", &q.dependencia),
        ("category", &q.category),
        ("channel", &q.channel),
        ("assignee", &q.assignee),
        ("priority", &q.priority),
    ];
    pairs
        .iter()
        .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", encode(&v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The monthly report (activity 11) as JSON.
#[utoipa::path(get, operation_id = "monthly_report", path = "/api/reports/monthly", tag = "informe", params(ReportQuery),
    responses(
        (status = 200, description = "Cifras generales, filas detalladas y gráficas (SVG) del periodo", body = Object),
        (status = 400, description = "Periodo o filtro no válido", body = crate::integration::openapi::ErrorBody),
    ),
    security(("sesion" = []), ("token" = ["reports:read"])))]
#[tracing::instrument(skip_all)]
pub async fn monthly_json(
    State(state): State<AppState>,
    reader: ReportReader,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Response> {
    let built = build(&state, &reader, &query).await?;
    let qs = query_string(&query);
    let charts = charts::all(&built.report.general)
        .into_iter()
        .map(|c| ChartJson {
            name: c.name,
            url: format!("/api/reports/charts/{}.svg?{qs}", c.name),
            svg: c.svg(),
            title: c.title,
        })
        .collect();
    let Built {
        organisation,
        report,
        filters,
        generated,
        ..
    } = built;
    Ok(axum::Json(MonthlyJson {
        organisation,
        generated,
        filters,
        general: report.general,
        detail: report.detail,
        charts,
    })
    .into_response())
}

#[tracing::instrument(skip_all)]
async fn monthly_pdf(
    State(state): State<AppState>,
    reader: ReportReader,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Response> {
    let built = build(&state, &reader, &query).await?;
    let general = built.report.general.clone();
    let (organisation, generated, filters) = (
        built.organisation.clone(),
        built.generated.clone(),
        built.filters.clone(),
    );
    let bytes = tokio::task::spawn_blocking(move || {
        pdf::render(
            &general,
            &pdf::Heading {
                organisation: &organisation,
                generated: &generated,
                filters: &filters,
            },
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(built.attachment("pdf", "application/pdf", bytes))
}

#[tracing::instrument(skip_all)]
async fn monthly_xlsx(
    State(state): State<AppState>,
    reader: ReportReader,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Response> {
    let built = build(&state, &reader, &query).await?;
    let heading = built.heading();
    let report = built.report.clone();
    let bytes = tokio::task::spawn_blocking(move || export::xlsx(&report, &heading))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(built.attachment(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

#[tracing::instrument(skip_all)]
async fn monthly_csv(
    State(state): State<AppState>,
    reader: ReportReader,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Response> {
    let general = match given(&query.tabla).as_deref() {
        None | Some("detalle") => false,
        Some("general") => true,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "No se conoce la tabla «{other}»: use tabla=general o tabla=detalle."
            )));
        }
    };
    let built = build(&state, &reader, &query).await?;
    let bytes = if general {
        export::general_csv(&built.report, &built.heading())?
    } else {
        export::detail_csv(&built.report)?
    };
    let mut response = built.attachment("csv", "text/csv; charset=utf-8", bytes);
    if general {
        let name = format!(
            "attachment; filename=\"informe-{}-general.csv\"",
            built.period.slug()
        );
        if let Ok(value) = header::HeaderValue::from_str(&name) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

#[tracing::instrument(skip_all)]
async fn chart_svg(
    State(state): State<AppState>,
    reader: ReportReader,
    Path(file): Path<String>,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Response> {
    let name = file.strip_suffix(".svg").unwrap_or(&file);
    if !charts::NAMES.contains(&name) {
        return Err(AppError::NotFound(format!(
            "No existe el gráfico «{file}». Use uno de: {}.",
            charts::NAMES.map(|n| format!("{n}.svg")).join(", ")
        )));
    }
    let built = build(&state, &reader, &query).await?;
    let chart = charts::chart(&built.report.general, name).expect("a known chart");
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        chart.svg(),
    )
        .into_response())
}
