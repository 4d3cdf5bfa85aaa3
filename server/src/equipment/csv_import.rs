//! Reading an inventory CSV: UTF-8 (a BOM is allowed), `;` or `,` as separator (whichever the
//! header uses), a header row naming the columns in Spanish or English, in any order.

use crate::csv_file::{self, LineErrors, line_at};
use crate::store::EquipmentRow;

use super::model::EquipmentInput;

fn column(name: &str) -> Option<&'static str> {
    Some(match csv_file::fold(name).as_str() {
        "codigo" | "code" => "code",
        "tipo" | "kind" | "type" => "kind",
        "marca" | "brand" => "brand",
        "modelo" | "model" => "model",
        "serial" | "serie" | "numero de serie" => "serial",
        "dependencia" => "dependencia",
        "ubicacion" | "location" => "location",
        "custodio" | "responsable" | "custodian" => "custodian",
        "estado" | "status" => "status",
        "notas" | "observaciones" | "notes" => "notes",
        _ => return None,
    })
}

/// Parses and validates every row; either all rows are good or the errors of all bad ones are
/// returned, so nothing of a refused file is imported.
pub fn parse(bytes: &[u8], now: i64) -> Result<Vec<(usize, EquipmentRow)>, LineErrors> {
    let text = csv_file::text(bytes)?;
    let mut reader = csv_file::reader(text);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![(1, "No se pudo leer la fila de encabezados.".into())]),
    };
    let mut columns = Vec::new();
    let mut errors = LineErrors::new();
    for name in &headers {
        match column(name) {
            Some(c) if columns.contains(&Some(c)) => {
                errors.push((1, format!("la columna «{name}» está repetida.")));
                columns.push(None);
            }
            Some(c) => columns.push(Some(c)),
            None => {
                errors.push((
                    1,
                    format!(
                        "columna desconocida «{}»; use codigo, tipo, marca, modelo, serial, \
                         dependencia, ubicacion, custodio, estado, notas.",
                        name.trim()
                    ),
                ));
                columns.push(None);
            }
        }
    }
    for required in ["code", "kind"] {
        if !columns.contains(&Some(required)) {
            let name = if required == "code" { "codigo" } else { "tipo" };
            errors.push((1, format!("falta la columna «{name}».")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(err) => {
                let line = err.position().map_or(0, |p| line_at(text, p.byte()));
                errors.push((
                    line,
                    "la fila no se pudo leer (revise las comillas).".into(),
                ));
                continue;
            }
        };
        // The reader's own line count skips blank lines; people count them.
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            errors.push((
                line,
                format!(
                    "tiene {} columnas y el encabezado {}.",
                    record.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let mut input = EquipmentInput::default();
        for (value, column) in record.iter().zip(&columns) {
            let value = value.to_owned();
            match column.expect("checked above") {
                "code" => input.code = value,
                "kind" => input.kind = value,
                "brand" => input.brand = value,
                "model" => input.model = value,
                "serial" => input.serial = value,
                "dependencia" => input.dependencia = Some(value),
                "location" => input.location = value,
                "custodian" => input.custodian = value,
                "status" => input.status = value,
                _ => input.notes = value,
            }
        }
        match input.validate(now) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.code.clone(), line) {
                    errors.push((
                        line,
                        format!("el código {} ya aparece en la línea {first}.", row.code),
                    ));
                }
                rows.push((line, row));
            }
            Err(field_errors) => {
                for e in field_errors {
                    errors.push((line, e.message.clone()));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_semicolons_a_bom_and_spanish_headers() {
        let csv = "\u{feff}Código;Tipo;Marca;Dependencia;Estado\nGN-1;Portátil;Lenovo;TIC;En taller\n\n\
                   gn-2;impresora;\"HP; Inc\";;\n";
        let rows = parse(csv.as_bytes(), 5).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.status, "en_taller");
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1.code, "GN-2");
        assert_eq!(rows[1].1.brand, "HP; Inc");
        assert_eq!(rows[1].1.status, "en_servicio");
    }

    #[test]
    fn reports_every_bad_line() {
        let csv = "codigo,tipo\nGN-1,computador\nGN 2,computador\nGN-3,tostadora\nGN-1,monitor\n";
        let errors = parse(csv.as_bytes(), 0).unwrap_err();
        let lines: Vec<_> = errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5], "{errors:?}");
        assert!(errors[2].1.contains("línea 2"));
    }
}
