//! `GET /healthz`: answers 200 when the server can do its work, 503 with the reason when it
//! cannot: the data directory (photos, and the SQLite database by default) does not take a small
//! file, or the database does not answer. The 503 has the body of every other error
//! (`{"error":{"code","message"}}`, Spanish), plus `"status":"error"`. Also tells how many
//! synced documents are in memory (`documents_in_memory`) and have an actor (`document_actors`:
//! in memory, or remembered for a connected peer).

use std::io::Write;
use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::is_disk_unavailable;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// Bytes written by the probe: enough to need a free block on a full disk (creating an empty
/// file can still succeed there).
const PROBE_BYTES: usize = 4096;

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let data_dir = state.config.data_dir.clone();
    let probe = tokio::task::spawn_blocking(move || probe_data_dir(&data_dir))
        .await
        .unwrap_or_else(|join| Err(std::io::Error::other(join)));
    if let Err(err) = probe {
        tracing::error!(%err, "health check: the data directory cannot be written");
        return unavailable("directorio_no_escribible", &data_dir_reason(&err));
    }
    if let Err(err) = state.store.ping().await {
        tracing::error!(%err, "health check: database unreachable");
        return unavailable(
            "base_de_datos_no_responde",
            "La base de datos no responde. Revise que el servidor de la base de datos esté en \
             marcha y accesible; Campo vuelve a funcionar solo cuando responda.",
        );
    }
    let (actors, in_memory) = state.documents.loaded();
    (
        StatusCode::OK,
        Json(json!({
            "status": "ok",
            "database": state.store.backend_name(),
            "documents_in_memory": in_memory,
            "document_actors": actors,
        })),
    )
}

fn unavailable(code: &str, message: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "error", "error": {"code": code, "message": message}})),
    )
}

/// Creates, writes, syncs and removes a small file in the data directory.
pub fn probe_data_dir(dir: &Path) -> std::io::Result<()> {
    let path: PathBuf = dir.join(format!(".healthz-{}", uuid::Uuid::new_v4().simple()));
    let written = std::fs::File::create_new(&path).and_then(|mut file| {
        file.write_all(&[0u8; PROBE_BYTES])?;
        file.sync_all()
    });
    let removed = std::fs::remove_file(&path);
    written?;
    match removed {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Why the data directory does not take a file, in Spanish, with what to do.
pub fn data_dir_reason(err: &std::io::Error) -> String {
    let why = match err.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "el disco está lleno. Libere espacio en el disco del directorio de datos"
        }
        std::io::ErrorKind::ReadOnlyFilesystem => {
            "el disco está montado en solo lectura. Vuelva a montarlo con escritura"
        }
        std::io::ErrorKind::PermissionDenied => {
            "el usuario del servicio no tiene permiso de escritura. Revise los permisos del \
             directorio de datos"
        }
        std::io::ErrorKind::NotFound => {
            "el directorio no existe. Revise CAMPO_DATA_DIR o vuelva a crearlo"
        }
        _ if is_disk_unavailable(err) => "el disco no admite escrituras. Revise el disco",
        _ => "falló la escritura en el disco. Revise el disco y el registro del servidor",
    };
    format!(
        "El servidor no puede guardar datos: no logra escribir en su directorio de datos porque \
         {why}; Campo vuelve a funcionar solo en cuanto pueda."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_leaves_nothing_behind_and_names_the_reason() {
        let dir = std::env::temp_dir().join(format!("campo-probe-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        probe_data_dir(&dir).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir(&dir).unwrap();
        let missing = probe_data_dir(&dir).unwrap_err();
        assert!(data_dir_reason(&missing).contains("el directorio no existe"));
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(data_dir_reason(&full).contains("el disco está lleno"));
    }
}
