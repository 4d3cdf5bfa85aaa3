//! Settings that coordinators edit and every signed-in user reads: `GET`/`PUT
//! /api/settings/categories`, the request categories the request forms offer (the phone keeps
//! them for offline requests). The SLA policy and the office's calendar are in [`super::sla`].

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use campo_shared::account::FieldError;
use campo_shared::role::Role;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError, Json};
use crate::store::CATEGORIES_SETTING;

/// Most categories a form offers.
pub const MAX_CATEGORIES: usize = 40;
/// Longest category, in characters.
pub const MAX_CATEGORY_CHARS: usize = 60;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/settings/categories",
        get(get_categories).put(put_categories),
    )
}

/// The request categories, in the order the forms offer them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Categories {
    pub categories: Vec<String>,
}

/// The categories as typed, trimmed, or why they cannot be saved (in Spanish).
pub fn parse_categories(raw: Vec<String>) -> Result<Vec<String>, FieldError> {
    let refuse = |message: String| FieldError::new("categories", message);
    if raw.is_empty() {
        return Err(refuse("Escriba al menos una categoría.".into()));
    }
    if raw.len() > MAX_CATEGORIES {
        return Err(refuse(format!(
            "Hay {} categorías; el máximo es {MAX_CATEGORIES}. Una las que se parezcan.",
            raw.len()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, category) in raw.into_iter().enumerate() {
        let category = category.split_whitespace().collect::<Vec<_>>().join(" ");
        if category.is_empty() {
            return Err(refuse(format!(
                "La categoría {} está vacía: escríbala o quítela.",
                i + 1
            )));
        }
        if category.chars().count() > MAX_CATEGORY_CHARS {
            return Err(refuse(format!(
                "«{category}» tiene más de {MAX_CATEGORY_CHARS} caracteres: acórtela."
            )));
        }
        if out
            .iter()
            .any(|c| c.to_lowercase() == category.to_lowercase())
        {
            return Err(refuse(format!(
                "«{category}» está repetida: deje una sola."
            )));
        }
        out.push(category);
    }
    Ok(out)
}

async fn get_categories(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> ApiResult<Json<Categories>> {
    Ok(Json(Categories {
        categories: state.store.categories().await?,
    }))
}

async fn put_categories(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<Categories>,
) -> ApiResult<Json<Categories>> {
    user.require(&[Role::Coordinador])?;
    let categories =
        parse_categories(body.categories).map_err(|e| AppError::Validation(vec![e]))?;
    state
        .store
        .put_setting(CATEGORIES_SETTING, &categories)
        .await?;
    tracing::info!(by = %user.id, count = categories.len(), "request categories updated");
    Ok(Json(Categories { categories }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn categories_are_trimmed_and_kept_in_order() {
        assert_eq!(
            parse_categories(owned(&["  Impresoras ", "Red  y   wifi"])).unwrap(),
            owned(&["Impresoras", "Red y wifi"])
        );
    }

    #[test]
    fn bad_categories_say_what_to_do() {
        let message = |items: Vec<String>| parse_categories(items).unwrap_err().message;
        assert!(message(vec![]).contains("al menos una"));
        assert!(message(owned(&["Red", " "])).contains("La categoría 2 está vacía"));
        assert!(message(owned(&["Red", "red"])).contains("repetida"));
        assert!(message(vec!["x".repeat(61)]).contains("60 caracteres"));
        assert!(
            message(
                vec!["x".to_owned(); 41]
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| format!("{x}{i}"))
                    .collect()
            )
            .contains("máximo es 40")
        );
        assert_eq!(parse_categories(vec!["é".repeat(60)]).unwrap().len(), 1);
    }
}
