//! Limits a person would expect of a ticket: how long each text may be, how many items each list
//! may hold, and how large a change and a document may grow. One table, enforced by the sync
//! server on every incoming change, by the REST API on what it writes, and by the PWA before it
//! saves (it reads the same table from `pwa/src/limits.json`, which a test keeps equal to
//! [`table_json`]). The table knows no ticket: the write rules measure each part of a ticket
//! against it (`rules/sizes.rs`).

use serde::Serialize;

/// A text field and its longest value, in characters (Unicode scalar values, as JavaScript's
/// `[...s].length` counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TextLimit {
    /// The field's key in the limits table (and in the PWA).
    pub key: &'static str,
    /// How people call it, with its article, for messages («el comentario»).
    pub label: &'static str,
    /// Whether the label is plural («las pruebas admiten…»).
    pub plural: bool,
    /// Longest value, in characters.
    pub max: usize,
}

/// A list and the most items it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ListLimit {
    /// The list's key in the limits table.
    pub key: &'static str,
    /// How people call its items, plural («comentarios»).
    pub label: &'static str,
    /// Most items.
    pub max: usize,
}

macro_rules! text_limits {
    ($($name:ident = $key:literal, $label:literal, $plural:literal, $max:expr;)*) => {
        $(
            #[doc = concat!("Longest ", $key, ".")]
            pub const $name: TextLimit =
                TextLimit { key: $key, label: $label, plural: $plural, max: $max };
        )*
        /// Every text limit, in the order of the documentation's table.
        pub const TEXTS: &[TextLimit] = &[$($name),*];
    };
}

macro_rules! list_limits {
    ($($name:ident = $key:literal, $label:literal, $max:expr;)*) => {
        $(
            #[doc = concat!("Most items of ", $key, ".")]
            pub const $name: ListLimit = ListLimit { key: $key, label: $label, max: $max };
        )*
        /// Every list limit, in the order of the documentation's table.
        pub const LISTS: &[ListLimit] = &[$($name),*];
    };
}

text_limits! {
    DESCRIPTION = "description", "la descripción del problema", false, 4000;
    SHORT_TEXT = "short_text", "este campo", false, 200;
    COMMENT = "comment", "el comentario", false, 4000;
    DIAGNOSIS = "diagnosis", "el diagnóstico", false, 4000;
    ACTIONS = "actions", "las acciones realizadas", true, 4000;
    TESTS = "tests", "las pruebas", true, 4000;
    NOTE = "note", "la nota", false, 2000;
    REASON = "reason", "el motivo", false, 1000;
    SUMMARY = "summary", "el resumen del informe", false, 4000;
    RESULTS = "results", "los resultados del informe", true, 4000;
    SURVEY_COMMENT = "survey_comment", "el comentario de la encuesta", false, 2000;
    CONDITION = "condition", "el estado del equipo", false, 1000;
}

list_limits! {
    EVENTS = "events", "eventos", 1000;
    VISITS = "visits", "visitas", 100;
    COMMENTS = "comments", "comentarios", 500;
    EVIDENCE = "evidence", "fotos por visita", 20;
    REQUEST_PHOTOS = "request_photos", "fotos por solicitud", 10;
    EQUIPMENT = "equipment", "equipos por solicitud", 20;
}

/// Largest total of the changes one sync message brings, in bytes. A day of a phone's offline
/// work is far below it; it bounds the work one message can cause before the rules judge it.
pub const CHANGE_BYTES: usize = 1024 * 1024;

/// Largest stored size of one ticket document, in bytes.
pub const DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Longest telephone extension, in digits.
pub const EXTENSION_DIGITS: usize = 10;

/// A value over its limit; the message names the field and the limit, in Spanish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OverLimit {
    /// Where, as a path in the ticket (`comments[3].text`).
    pub field: String,
    /// What a person reads.
    pub message: String,
}

impl TextLimit {
    /// Checks `value` (at `field`) against the limit.
    pub fn check(&self, field: impl Into<String>, value: &str) -> Result<(), OverLimit> {
        let chars = value.chars().count();
        if chars <= self.max {
            return Ok(());
        }
        Err(OverLimit {
            field: field.into(),
            message: format!(
                "{} {} máximo {} caracteres; tiene {chars}.",
                capitalise(self.label),
                if self.plural { "admiten" } else { "admite" },
                self.max
            ),
        })
    }
}

impl ListLimit {
    /// Checks a list of `len` items (at `field`) against the limit.
    pub fn check(&self, field: impl Into<String>, len: usize) -> Result<(), OverLimit> {
        if len <= self.max {
            return Ok(());
        }
        Err(OverLimit {
            field: field.into(),
            message: format!(
                "Se admiten máximo {} {}; el caso tendría {len}.",
                self.max, self.label
            ),
        })
    }
}

/// The table as the PWA reads it (`pwa/src/limits.json`): texts and lists by key, which texts
/// have a plural name (for the agreement of «admite»), and the byte limits.
pub fn table_json() -> String {
    let texts: serde_json::Map<String, serde_json::Value> = TEXTS
        .iter()
        .map(|t| (t.key.to_string(), t.max.into()))
        .collect();
    let lists: serde_json::Map<String, serde_json::Value> = LISTS
        .iter()
        .map(|l| (l.key.to_string(), l.max.into()))
        .collect();
    let plural: Vec<&str> = TEXTS.iter().filter(|t| t.plural).map(|t| t.key).collect();
    let table = serde_json::json!({
        "text": texts,
        "plural_texts": plural,
        "lists": lists,
        "extension_digits": EXTENSION_DIGITS,
        "change_bytes": CHANGE_BYTES,
        "document_bytes": DOCUMENT_BYTES,
    });
    let mut json = serde_json::to_string_pretty(&table).expect("a table of numbers");
    json.push('\n');
    json
}

/// `s` with its first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PWA reads the same numbers: regenerate with `CAMPO_WRITE_LIMITS=1 cargo test -p
    /// campo-shared limits` after changing the table.
    #[test]
    fn the_pwa_reads_the_same_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../pwa/src/limits.json");
        let expected = table_json();
        if std::env::var_os("CAMPO_WRITE_LIMITS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "pwa/src/limits.json differs from campo-shared's table; regenerate it with \
             CAMPO_WRITE_LIMITS=1 cargo test -p campo-shared limits"
        );
    }

    /// The operators' page lists the same table.
    #[test]
    fn the_docs_list_the_same_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/integridad.md");
        let page = std::fs::read_to_string(path).expect("docs/integridad.md");
        let row = |key: &str| {
            page.lines()
                .find(|l| l.starts_with(&format!("| `{key}` |")))
                .unwrap_or_else(|| panic!("docs/integridad.md has no row for `{key}`"))
                .to_owned()
        };
        for text in TEXTS {
            let line = row(text.key);
            assert!(
                line.ends_with(&format!("| {} caracteres |", text.max)),
                "{line}"
            );
        }
        for list in LISTS {
            let line = row(list.key);
            assert!(line.ends_with(&format!("| {} |", list.max)), "{line}");
        }
        assert!(row("change_bytes").ends_with(&format!("| {} MiB |", CHANGE_BYTES >> 20)));
        assert!(row("document_bytes").ends_with(&format!("| {} MiB |", DOCUMENT_BYTES >> 20)));
    }

    #[test]
    fn a_long_comment_is_refused_naming_the_field_and_the_limit() {
        let err = COMMENT
            .check("comments[0].text", &"a".repeat(4001))
            .unwrap_err();
        assert_eq!(err.field, "comments[0].text");
        assert_eq!(
            err.message,
            "El comentario admite máximo 4000 caracteres; tiene 4001."
        );
        assert!(COMMENT.check("comments[0].text", &"é".repeat(4000)).is_ok());
    }
}
