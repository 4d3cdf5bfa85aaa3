//! The one error type of the HTTP API. Every failure becomes
//! `{"error":{"code":"…","message":"…"}}` with the right status; the message is Spanish and says
//! what to do. Database and internal errors are logged with their details and answered with a
//! generic 500 that reveals nothing, or a 503 `almacenamiento_no_disponible` when the store
//! cannot write (a full disk), so that a person knows to try again later.

use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use campo_shared::account::FieldError;
use serde::Serialize;

/// Everything an API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request cannot be read (malformed JSON, wrong types, unknown fields).
    #[error("{0}")]
    BadRequest(String),
    /// 422: the request was read but some fields are not valid.
    #[error("datos no válidos")]
    Validation(Vec<FieldError>),
    /// 401: no valid session (missing, expired or forged cookie).
    #[error("no autenticado")]
    Unauthenticated,
    /// 401: wrong username or password (the same answer for both, so accounts cannot be probed).
    #[error("credenciales incorrectas")]
    InvalidCredentials,
    /// 401: the integration token is missing, unknown, revoked or expired (message says which
    /// and what to do); answered with `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    TokenRefused(String),
    /// 403: the integration token is valid but lacks the scope (message names it).
    #[error("{0}")]
    MissingScope(String),
    /// 403: logged in, but the role does not allow this.
    #[error("prohibido")]
    Forbidden,
    /// 403: a state-changing request from another site (failed `Origin` check).
    #[error("origen no permitido")]
    ForeignOrigin,
    /// 404: the thing named does not exist (message names it).
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with what is stored (message says how).
    #[error("{0}")]
    Conflict(String),
    /// 413: the request body is larger than the limit.
    #[error("cuerpo demasiado grande")]
    PayloadTooLarge,
    /// 415: the body is not declared as JSON.
    #[error("tipo de contenido no soportado")]
    UnsupportedMediaType,
    /// 503: the office's directory does not answer, so a directory account cannot log in now
    /// (local accounts still can).
    #[error("directorio no disponible")]
    DirectoryUnavailable,
    /// 429: too many attempts; retry after the given number of seconds.
    #[error("demasiados intentos")]
    TooManyRequests { retry_after_secs: u64 },
    /// 500: the database failed; details are logged, never returned. 503 when the store cannot
    /// write now (full or read-only disk, database unreachable or read-only), which is not a bug
    /// and passes: see [`AppError::storage_unavailable`].
    #[error(transparent)]
    Database(#[from] crate::store::StoreError),
    /// 500: anything else unexpected; details are logged, never returned. 503 when its cause is
    /// a store or disk that cannot write now.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<FieldError> for AppError {
    fn from(err: FieldError) -> Self {
        AppError::Validation(vec![err])
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldBody<'a>>,
}

#[derive(Serialize)]
struct FieldBody<'a> {
    field: &'a str,
    message: &'a str,
}

/// What people read when the server cannot save: nothing they did is wrong, and waiting helps.
pub const STORAGE_UNAVAILABLE: &str = "El servidor no puede guardar datos en este momento. \
     Intente de nuevo en unos minutos; si sigue igual, avise al administrador (el disco del \
     servidor puede estar lleno o la base de datos en solo lectura).";

/// True when an I/O error means the disk cannot take writes (full, read-only, over quota).
pub fn is_disk_unavailable(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{QuotaExceeded, ReadOnlyFilesystem, StorageFull};
    matches!(err.kind(), StorageFull | ReadOnlyFilesystem | QuotaExceeded)
}

impl AppError {
    /// True for a database or internal error whose cause is a store or disk that cannot write
    /// now: answered with 503 and [`STORAGE_UNAVAILABLE`] instead of a 500.
    pub fn storage_unavailable(&self) -> bool {
        match self {
            AppError::Database(err) => err.is_unavailable(),
            AppError::Internal(err) => err.chain().any(|cause| {
                cause
                    .downcast_ref::<crate::store::StoreError>()
                    .is_some_and(crate::store::StoreError::is_unavailable)
                    || cause
                        .downcast_ref::<std::io::Error>()
                        .is_some_and(is_disk_unavailable)
            }),
            _ => false,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        if self.storage_unavailable() {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "almacenamiento_no_disponible",
            );
        }
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "solicitud_invalida"),
            AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "datos_invalidos"),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "no_autenticado"),
            AppError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "credenciales_incorrectas"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "prohibido"),
            AppError::TokenRefused(_) => (StatusCode::UNAUTHORIZED, "token_invalido"),
            AppError::MissingScope(_) => (StatusCode::FORBIDDEN, "permiso_insuficiente"),
            AppError::ForeignOrigin => (StatusCode::FORBIDDEN, "origen_no_permitido"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "no_encontrado"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflicto"),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "demasiado_grande"),
            AppError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "tipo_no_soportado")
            }
            AppError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "demasiados_intentos")
            }
            AppError::DirectoryUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "directorio_no_disponible")
            }
            AppError::Database(_) | AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "error_interno")
            }
        }
    }

    fn message(&self) -> String {
        if self.storage_unavailable() {
            return STORAGE_UNAVAILABLE.into();
        }
        match self {
            AppError::BadRequest(msg)
            | AppError::NotFound(msg)
            | AppError::Conflict(msg)
            | AppError::TokenRefused(msg)
            | AppError::MissingScope(msg) => msg.clone(),
            AppError::Validation(_) => "Revise los datos marcados y vuelva a intentarlo.".into(),
            AppError::Unauthenticated => {
                "Su sesión no es válida o ha vencido. Inicie sesión de nuevo.".into()
            }
            AppError::InvalidCredentials => "Usuario o contraseña incorrectos.".into(),
            AppError::Forbidden => "Su rol no permite realizar esta acción.".into(),
            AppError::ForeignOrigin => {
                "La solicitud viene de otro sitio y fue rechazada. Use Campo desde su propia dirección."
                    .into()
            }
            AppError::PayloadTooLarge => "La solicitud es demasiado grande.".into(),
            AppError::DirectoryUnavailable => crate::directory::UNAVAILABLE_MESSAGE.into(),
            AppError::UnsupportedMediaType => {
                "Envíe los datos como JSON (Content-Type: application/json).".into()
            }
            AppError::TooManyRequests { retry_after_secs } => format!(
                "Demasiados intentos fallidos desde este equipo. Espere {} y vuelva a \
                 intentarlo; si olvidó su contraseña, pida a un coordinador que se la cambie.",
                wait_text(*retry_after_secs)
            ),
            AppError::Database(_) | AppError::Internal(_) => {
                "Ocurrió un error interno. Intente de nuevo; si persiste, avise al administrador."
                    .into()
            }
        }
    }
}

/// A wait as people say it: «1 segundo», «40 segundos», «2 minutos», «15 minutos».
fn wait_text(secs: u64) -> String {
    match secs {
        0 | 1 => "1 segundo".into(),
        2..=90 => format!("{secs} segundos"),
        _ => format!("{} minutos", secs.div_ceil(60)),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = ?self, "internal error");
        } else if self.storage_unavailable() {
            tracing::error!(error = ?self, "the store cannot write");
        }
        let fields = match &self {
            AppError::Validation(errors) => errors
                .iter()
                .map(|e| FieldBody {
                    field: e.field,
                    message: &e.message,
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = Body {
            error: ErrorBody {
                code,
                message: self.message(),
                fields,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::TokenRefused(_) = self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"campo\""),
            );
        }
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after_secs.to_string())
                    .expect("digits are a valid header"),
            );
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(err) => AppError::BadRequest(format!(
                "Los datos enviados no tienen la forma esperada: {}",
                serde_error_detail(&err.body_text())
            )),
            JsonRejection::JsonSyntaxError(_) => {
                AppError::BadRequest("El cuerpo de la solicitud no es JSON válido.".into())
            }
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge
            }
            _ => AppError::BadRequest("No se pudo leer el cuerpo de la solicitud.".into()),
        }
    }
}

/// Turns serde's description of a body that does not fit (which axum prefixes and serde writes in
/// English) into Spanish, keeping the field's name, which is what the caller needs.
fn serde_error_detail(text: &str) -> String {
    let detail = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(text);
    let detail = detail.split(" at line ").next().unwrap_or(detail);
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_owned();
    if let Some(rest) = detail.strip_prefix("missing field ") {
        return format!("falta el campo «{}».", quoted(rest));
    }
    if let Some(rest) = detail.strip_prefix("unknown field ") {
        return format!("el campo «{}» no existe.", quoted(rest));
    }
    if let Some((path, problem)) = detail.split_once(": ") {
        if problem.starts_with("unknown field") {
            return format!("el campo «{path}» no existe.");
        }
        if problem.starts_with("missing field") {
            return format!("falta el campo «{}» en «{path}».", quoted(problem));
        }
        if problem.starts_with("invalid type") {
            let expected = match problem.rsplit("expected ").next().unwrap_or_default() {
                "a string" => "texto",
                "a boolean" => "true o false",
                "a sequence" => "una lista",
                e if e.contains("integer") || e.starts_with('i') || e.starts_with('u') => {
                    "un número"
                }
                _ => "otro tipo de valor",
            };
            return format!("el campo «{path}» tiene un tipo incorrecto (se esperaba {expected}).");
        }
        return format!("el campo «{path}» no es válido ({problem}).");
    }
    detail.to_owned()
}

/// `axum::Json` whose rejections are [`AppError`]s, so a malformed body gets the same error shape
/// as every other failure.
#[cfg(test)]
mod tests {
    use super::serde_error_detail;

    #[test]
    fn serde_errors_are_told_in_spanish() {
        let prefix = "Failed to deserialize the JSON body into the target type: ";
        assert_eq!(
            serde_error_detail(&format!(
                "{prefix}username: invalid type: integer `5`, expected a string at line 1 column 16"
            )),
            "el campo «username» tiene un tipo incorrecto (se esperaba texto)."
        );
        assert_eq!(
            serde_error_detail(&format!(
                "{prefix}missing field `username` at line 1 column 2"
            )),
            "falta el campo «username»."
        );
        assert_eq!(
            serde_error_detail(&format!(
                "{prefix}is_admin: unknown field `is_admin`, expected one of `a`, `b` at line 1 column 9"
            )),
            "el campo «is_admin» no existe."
        );
    }
}

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, AppError>;
