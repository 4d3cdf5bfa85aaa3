//! Reading a users CSV (pure): the columns `usuario`, `nombre` and `rol` (required) and `correo`,
//! `dependencia` and `documento` (optional), in Spanish or English, in any order; every value
//! checked with the rules of a user created by hand; a username or document repeated in the file
//! is an error on each line that has it.

use std::collections::HashMap;

use campo_shared::account::{Email, FieldError, FullName, Username};
use campo_shared::ids::DependenciaCode;
use campo_shared::limits::capitalise;
use campo_shared::role::Role;

use crate::api::accounts::parse_document;
use crate::csv_file::{self, LineErrors, line_at};

/// A column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Username,
    FullName,
    Role,
    Email,
    Dependencia,
    Document,
}

impl Column {
    /// The name the file should use, for messages.
    fn spanish(self) -> &'static str {
        match self {
            Column::Username => "usuario",
            Column::FullName => "nombre",
            Column::Role => "rol",
            Column::Email => "correo",
            Column::Dependencia => "dependencia",
            Column::Document => "documento",
        }
    }
}

/// What a header names, or why it cannot be imported.
fn column(name: &str) -> Result<Column, String> {
    Ok(match csv_file::fold(name).replace('_', " ").as_str() {
        "usuario" | "nombre de usuario" | "login" | "username" | "user" => Column::Username,
        "nombre" | "nombre completo" | "nombres y apellidos" | "full name" | "name" => {
            Column::FullName
        }
        "rol" | "role" => Column::Role,
        "correo" | "correo electronico" | "email" | "e-mail" | "mail" => Column::Email,
        "dependencia" | "codigo de dependencia" => Column::Dependencia,
        "documento" | "numero de documento" | "documento de identidad" | "cedula" | "document" => {
            Column::Document
        }
        "contrasena" | "clave" | "password" => {
            return Err(format!(
                "Campo no importa contraseñas: quite la columna «{}». Cada persona nueva entra \
                 con el directorio de la entidad o con la contraseña que le asigne un \
                 coordinador en Ajustes.",
                name.trim()
            ));
        }
        _ => {
            return Err(format!(
                "Columna desconocida «{}»; use usuario, nombre, rol, correo, dependencia y \
                 documento.",
                name.trim()
            ));
        }
    })
}

/// One row of the file, every value valid. The optional columns are `None` when the file does
/// not have them, `Some(None)` when the cell is empty.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line of the file (1 is the header).
    pub line: usize,
    pub username: Username,
    pub full_name: FullName,
    pub role: Role,
    pub email: Option<Option<Email>>,
    pub dependencia: Option<Option<DependenciaCode>>,
    pub document: Option<Option<String>>,
}

/// A role as people write it: its wire name or its Spanish label, without regard to case or
/// accents («Técnico», «TECNICO», «contratista externo»).
fn parse_role(raw: &str) -> Result<Role, String> {
    let folded = csv_file::fold(raw);
    Role::ALL
        .iter()
        .copied()
        .find(|r| folded == r.as_str() || folded == csv_file::fold(r.label()))
        .ok_or_else(|| {
            format!(
                "El rol «{}» no existe; use funcionario, técnico, contratista o coordinador.",
                raw.trim()
            )
        })
}

/// «la línea 4», «las líneas 4 y 9», «las líneas 3, 4 y 9».
fn lines_text(lines: &[usize]) -> String {
    match lines {
        [one] => format!("la línea {one}"),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(ToString::to_string).collect();
            format!("las líneas {} y {last}", rest.join(", "))
        }
        [] => String::new(),
    }
}

/// Every line that shares a key with another one, with a message naming the other lines.
fn repeated(
    keys: &HashMap<String, Vec<usize>>,
    message: impl Fn(&str, &str) -> String,
) -> LineErrors {
    let mut errors = LineErrors::new();
    for (key, lines) in keys.iter().filter(|(_, lines)| lines.len() > 1) {
        for &line in lines {
            let others: Vec<usize> = lines.iter().copied().filter(|&l| l != line).collect();
            errors.push((line, message(key, &lines_text(&others))));
        }
    }
    errors
}

/// Parses and checks every row: the good rows, and the errors of the bad ones (sorted by line).
/// A file with any error is not imported; the good rows are there so that the caller can check
/// them against the store too, and the person fixes the whole file at once.
pub fn parse(bytes: &[u8]) -> (Vec<Row>, LineErrors) {
    let text = match csv_file::text(bytes) {
        Ok(text) => text,
        Err(errors) => return (Vec::new(), errors),
    };
    let mut reader = csv_file::reader(text);
    let Ok(headers) = reader.headers().cloned() else {
        return (
            Vec::new(),
            vec![(1, "No se pudo leer la fila de encabezados.".into())],
        );
    };
    let mut columns = Vec::new();
    let mut errors = LineErrors::new();
    for name in &headers {
        match column(name) {
            Ok(c) if columns.contains(&Some(c)) => {
                errors.push((1, format!("La columna «{}» está repetida.", name.trim())));
                columns.push(None);
            }
            Ok(c) => columns.push(Some(c)),
            Err(message) => {
                errors.push((1, message));
                columns.push(None);
            }
        }
    }
    for required in [Column::Username, Column::FullName, Column::Role] {
        if !columns.contains(&Some(required)) {
            errors.push((1, format!("Falta la columna «{}».", required.spanish())));
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let has = |c: Column| columns.contains(&Some(c));
    let mut rows = Vec::new();
    let mut usernames: HashMap<String, Vec<usize>> = HashMap::new();
    let mut documents: HashMap<String, Vec<usize>> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(err) => {
                let line = err.position().map_or(0, |p| line_at(text, p.byte()));
                errors.push((
                    line,
                    "La fila no se pudo leer (revise las comillas).".into(),
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
                    "Tiene {} columnas y el encabezado {}.",
                    record.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let cell = |wanted: Column| {
            columns
                .iter()
                .position(|c| *c == Some(wanted))
                .map(|i| record[i].trim())
        };
        let mut line_errors = Vec::new();
        let mut required = |c: Column, what: &str| match cell(c) {
            Some("") | None => {
                line_errors.push(format!("Falta {what}."));
                None
            }
            value => value,
        };
        let username = required(Column::Username, "el usuario");
        let full_name = required(Column::FullName, "el nombre");
        let role = required(Column::Role, "el rol");
        let errs = &mut line_errors;
        let username = username.and_then(|u| check(errs, Username::parse(u)));
        let full_name = full_name.and_then(|n| check(errs, FullName::parse(n)));
        let role = role.and_then(|r| parse_role(r).map_err(|e| errs.push(e)).ok());
        let email = optional(has(Column::Email), cell(Column::Email), |v| {
            check(errs, Email::parse(v))
        });
        let dependencia = optional(has(Column::Dependencia), cell(Column::Dependencia), |v| {
            let code = DependenciaCode::parse(v).map_err(|e| {
                FieldError::new("dependencia", format!("{}.", capitalise(&e.to_string())))
            });
            check(errs, code)
        });
        let document = optional(has(Column::Document), cell(Column::Document), |v| {
            check(errs, parse_document(v))
        });
        if let Some(username) = &username {
            usernames
                .entry(username.as_str().to_owned())
                .or_default()
                .push(line);
        }
        if let Some(Some(Some(document))) = &document {
            documents.entry(document.clone()).or_default().push(line);
        }
        match (username, full_name, role, email, dependencia, document) {
            (
                Some(username),
                Some(full_name),
                Some(role),
                Some(email),
                Some(dependencia),
                Some(document),
            ) if line_errors.is_empty() => {
                rows.push(Row {
                    line,
                    username,
                    full_name,
                    role,
                    email,
                    dependencia,
                    document,
                });
            }
            _ => errors.extend(line_errors.into_iter().map(|message| (line, message))),
        }
    }
    errors.extend(repeated(&usernames, |username, others| {
        format!(
            "El usuario «{username}» está también en {others}; cada persona va en una sola fila."
        )
    }));
    errors.extend(repeated(&documents, |document, others| {
        format!(
            "El documento {document} está también en {others}; cada número es de una sola persona."
        )
    }));
    errors.sort_by_key(|(line, _)| *line);
    (rows, errors)
}

/// The value of `result`, or `None` with its message added to `errors`.
fn check<T>(errors: &mut Vec<String>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e.message)).ok()
}

/// An optional column: `None` when the file does not have it, `Some(None)` for an empty cell,
/// `None` as well when the value is not valid (`parse` has told why).
fn optional<T>(
    has_column: bool,
    cell: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<Option<Option<T>>> {
    match (has_column, cell) {
        (false, _) => Some(None),
        (true, None | Some("")) => Some(Some(None)),
        (true, Some(value)) => parse(value).map(|v| Some(Some(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(csv: &str) -> Vec<Row> {
        let (rows, errors) = parse(csv.as_bytes());
        assert!(errors.is_empty(), "{errors:?}");
        rows
    }

    fn parse_err(csv: &[u8]) -> LineErrors {
        let (_, errors) = parse(csv);
        assert!(!errors.is_empty());
        errors
    }

    fn messages(errors: &LineErrors, line: usize) -> Vec<&str> {
        errors
            .iter()
            .filter(|(l, _)| *l == line)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    #[test]
    fn reads_semicolons_a_bom_spanish_headers_and_labels() {
        let csv = "\u{feff}Usuario;Nombre completo;Rol;Correo electrónico;Dependencia;Cédula\r\n\
                   JPerez;Juan  Pérez;Técnico;JPEREZ@gobernacion.gov.co;tic;1.020.304\r\n\
                   \r\n\
                   mgomez;María Gómez;CONTRATISTA EXTERNO;;;\r\n";
        let rows = parse_ok(csv);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].username.as_str(), "jperez");
        assert_eq!(rows[0].full_name.as_str(), "Juan Pérez");
        assert_eq!(rows[0].role, Role::Tecnico);
        assert_eq!(
            rows[0].email.as_ref().unwrap().as_ref().unwrap().as_str(),
            "jperez@gobernacion.gov.co"
        );
        assert_eq!(
            rows[0]
                .dependencia
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .as_str(),
            "TIC"
        );
        assert_eq!(rows[0].document, Some(Some("1020304".to_owned())));
        assert_eq!(rows[1].line, 4, "blank lines count");
        assert_eq!(rows[1].role, Role::Contratista);
        assert!(matches!(rows[1].email, Some(None)), "an empty cell clears");
    }

    #[test]
    fn absent_columns_are_left_alone() {
        let rows = parse_ok("username,name,role\nana,Ana Ruiz,coordinador\n");
        assert_eq!(rows[0].role, Role::Coordinador);
        assert!(rows[0].email.is_none() && rows[0].dependencia.is_none());
        assert!(rows[0].document.is_none());
    }

    #[test]
    fn names_every_bad_line() {
        let csv = "usuario,nombre,rol,correo,documento\n\
                   ana,Ana Ruiz,jefe,ana@x,12\n\
                   ,Sin Usuario,funcionario,,\n\
                   luis,Luis Mora,funcionario,,5566778\n\
                   LUIS,Luis Otro,tecnico,,55.667.78\n\
                   \"roto,Nombre,funcionario,,\n";
        let (rows, errors) = parse(csv.as_bytes());
        assert!(
            rows.iter().all(|r| r.line == 4 || r.line == 5),
            "only those are good"
        );
        assert_eq!(
            messages(&errors, 2),
            [
                "El rol «jefe» no existe; use funcionario, técnico, contratista o coordinador.",
                "El correo electrónico no es válido; escríbalo como nombre@dominio.gov.co.",
                "El número de documento debe tener de 4 a 20 letras o dígitos.",
            ],
            "{errors:?}"
        );
        assert_eq!(messages(&errors, 3), ["Falta el usuario."]);
        for (line, other) in [(4, 5), (5, 4)] {
            let found = messages(&errors, line);
            assert!(
                found.contains(&format!(
                    "El usuario «luis» está también en la línea {other}; cada persona va en una \
                     sola fila."
                ).as_str()),
                "{found:?}"
            );
            assert!(
                found
                    .iter()
                    .any(|m| m.starts_with("El documento 5566778 está también")),
                "{found:?}"
            );
        }
        assert!(errors.iter().any(|(l, _)| *l == 6), "{errors:?}");
        let lines: Vec<usize> = errors.iter().map(|(l, _)| *l).collect();
        assert!(lines.is_sorted(), "{lines:?}");
    }

    #[test]
    fn refuses_passwords_unknown_and_missing_columns() {
        let errors = parse_err("usuario;Contraseña;cargo\nana;secreta;jefa\n".as_bytes());
        let messages = messages(&errors, 1);
        assert!(
            messages[0].starts_with("Campo no importa contraseñas: quite la columna «Contraseña»")
        );
        assert!(messages[1].starts_with("Columna desconocida «cargo»"));
        assert!(messages.contains(&"Falta la columna «nombre»."));
        assert!(messages.contains(&"Falta la columna «rol»."));
    }

    #[test]
    fn says_when_the_file_is_not_utf8() {
        let errors = parse_err(b"usuario,nombre,rol\njose,Jos\xe9,funcionario\n");
        assert!(errors[0].1.contains("UTF-8"));
    }
}
