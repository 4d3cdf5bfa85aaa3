//! Equipment types and statuses, and the validation of one piece of equipment.

use campo_shared::account::FieldError;
use campo_shared::ids::{DependenciaCode, EquipmentCode};
use serde::Deserialize;

use crate::store::EquipmentRow;

/// Compares words the way people type them: case and accents do not matter.
fn fold(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            'á' | 'Á' => 'a',
            'é' | 'É' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'Ó' => 'o',
            'ú' | 'Ú' | 'ü' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident = $slug:literal, $label:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The stored form (`en_taller`).
            pub fn slug(self) -> &'static str {
                match self { $($name::$variant => $slug,)* }
            }

            /// The form people read (`En taller`).
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }

            /// Reads either form, ignoring case and accents.
            pub fn parse(text: &str) -> Option<Self> {
                let folded = fold(text);
                Self::ALL.iter().copied().find(|v| v.slug() == folded || fold(v.label()) == folded)
            }

            fn expected() -> String {
                Self::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

vocabulary!(
    /// What kind of equipment it is.
    Kind, "tipo" {
        Computador = "computador", "Computador";
        Portatil = "portatil", "Portátil";
        Impresora = "impresora", "Impresora";
        Escaner = "escaner", "Escáner";
        Monitor = "monitor", "Monitor";
        Ups = "ups", "UPS";
        Red = "red", "Red";
        Telefono = "telefono", "Teléfono";
        Otro = "otro", "Otro";
    }
);

vocabulary!(
    /// Where the equipment is, as far as custody goes.
    Status, "estado" {
        EnServicio = "en_servicio", "En servicio";
        EnTaller = "en_taller", "En taller";
        ConContratista = "con_contratista", "Con contratista";
        DadoDeBaja = "dado_de_baja", "Dado de baja";
    }
);

/// One piece of equipment as a coordinator types it (form or CSV row).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquipmentInput {
    pub code: String,
    pub kind: String,
    #[serde(default)]
    pub brand: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub dependencia: Option<String>,
    #[serde(default)]
    pub location: String,
    /// A username (linked to the user) or a person's name.
    #[serde(default)]
    pub custodian: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub notes: String,
}

fn clean(text: &str, field: &'static str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("Use como máximo {max} caracteres."),
        ));
    }
    text
}

impl EquipmentInput {
    /// Checks every field; the errors name the field and say what is expected.
    pub fn validate(&self, now: i64) -> Result<EquipmentRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = EquipmentCode::parse(&self.code)
            .map_err(|e| errors.push(FieldError::new("code", e.to_string())))
            .ok();
        let kind = Kind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                format!(
                    "Tipo de equipo desconocido «{}»; use uno de: {}.",
                    self.kind.trim(),
                    Kind::expected()
                ),
            ));
        }
        let status = if self.status.trim().is_empty() {
            Some(Status::EnServicio)
        } else {
            Status::parse(&self.status)
        };
        if status.is_none() {
            errors.push(FieldError::new(
                "status",
                format!(
                    "Estado desconocido «{}»; use uno de: {}.",
                    self.status.trim(),
                    Status::expected()
                ),
            ));
        }
        let dependencia = match self.dependencia.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => DependenciaCode::parse(d)
                .map_err(|e| errors.push(FieldError::new("dependencia", e.to_string())))
                .ok()
                .map(|d| d.as_str().to_owned()),
        };
        let brand = clean(&self.brand, "brand", 80, &mut errors);
        let model = clean(&self.model, "model", 80, &mut errors);
        let serial = clean(&self.serial, "serial", 80, &mut errors);
        let location = clean(&self.location, "location", 160, &mut errors);
        let custodian = clean(&self.custodian, "custodian", 120, &mut errors);
        let notes = self.notes.trim().to_owned();
        if notes.chars().count() > 2000 {
            errors.push(FieldError::new("notes", "Use como máximo 2000 caracteres."));
        }
        match (code, kind, status, errors.is_empty()) {
            (Some(code), Some(kind), Some(status), true) => Ok(EquipmentRow {
                code: code.as_str().to_owned(),
                kind: kind.slug().to_owned(),
                brand,
                model,
                serial,
                dependencia,
                location,
                custodian_id: None,
                custodian_name: custodian,
                status: status.slug().to_owned(),
                notes,
                created_at: now,
                updated_at: now,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_read_what_people_type() {
        assert_eq!(Kind::parse("Portátil"), Some(Kind::Portatil));
        assert_eq!(Kind::parse(" ESCANER "), Some(Kind::Escaner));
        assert_eq!(
            Status::parse("con contratista"),
            Some(Status::ConContratista)
        );
        assert_eq!(Status::parse("dado_de_baja"), Some(Status::DadoDeBaja));
        assert_eq!(Kind::parse("tostadora"), None);
    }

    #[test]
    fn validation_names_each_bad_field() {
        let input = EquipmentInput {
            code: "GN 12".into(),
            kind: "tostadora".into(),
            status: "perdido".into(),
            ..Default::default()
        };
        let errors = input.validate(0).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "kind", "status"]);
    }
}
