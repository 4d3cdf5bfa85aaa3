//! Account values that come from people (usernames, names, e-mail addresses, passwords) and the
//! rules they must satisfy. Each is a newtype with a `parse` constructor, so a value of the type is
//! valid by construction; the error says in Spanish what to fix.

use serde::{Deserialize, Serialize};

/// A field that failed validation, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name in the API (`username`, `full_name`, …).
    pub field: &'static str,
    /// What is wrong, in Spanish.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Deserialising a value runs its `parse`, so a value of these types read from JSON is as valid as
/// one made by hand.
macro_rules! parsed_from_string {
    ($($name:ident),+) => {
        $(
            impl TryFrom<String> for $name {
                type Error = FieldError;

                fn try_from(raw: String) -> Result<Self, FieldError> {
                    Self::parse(&raw)
                }
            }
        )+
    };
}

parsed_from_string!(Username, FullName, Email);

/// A login name: 3 to 32 characters, lowercase ASCII letters, digits, `.`, `_` or `-`, starting
/// with a letter. Input is trimmed and lowercased, so `JPerez` and `jperez` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let len = value.chars().count();
        if !(3..=32).contains(&len) {
            return Err(FieldError::new(
                "username",
                "El usuario debe tener entre 3 y 32 caracteres.",
            ));
        }
        let valid_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !valid_chars || !value.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(FieldError::new(
                "username",
                "El usuario solo admite letras sin tilde, números, punto, guion y guion bajo, y debe empezar por una letra.",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's full name as shown on screens and reports: 2 to 120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = collapse_spaces(raw);
        let len = value.chars().count();
        if !(2..=120).contains(&len) {
            return Err(FieldError::new(
                "full_name",
                "El nombre completo debe tener entre 2 y 120 caracteres.",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                "full_name",
                "El nombre completo tiene caracteres no permitidos.",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for shape only (one `@`, a dotted domain, no spaces); whether it
/// receives mail is learned when Campo writes to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let bad = || {
            FieldError::new(
                "email",
                "El correo electrónico no es válido; escríbalo como nombre@dominio.gov.co.",
            )
        };
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-'));
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shortest password accepted (OWASP ASVS 2.1.1).
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password accepted: well past the 64 that ASVS 2.1.2 asks for, and short enough that
/// hashing it costs nothing extra.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A new password, checked for length only (ASVS 2.1.9: no composition rules). Spaces are kept.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < PASSWORD_MIN_CHARS {
            return Err(FieldError::new(
                "password",
                format!("La contraseña debe tener al menos {PASSWORD_MIN_CHARS} caracteres."),
            ));
        }
        if len > PASSWORD_MAX_CHARS {
            return Err(FieldError::new(
                "password",
                format!("La contraseña no puede tener más de {PASSWORD_MAX_CHARS} caracteres."),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

fn collapse_spaces(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  JPerez ").unwrap().as_str(), "jperez");
        assert_eq!(
            Username::parse("ana.gomez_2").unwrap().as_str(),
            "ana.gomez_2"
        );
        for bad in [
            "",
            "ab",
            "1abc",
            "josé",
            "ana gómez",
            "a;drop",
            &"a".repeat(33),
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.field, "username", "{bad:?} should be refused");
        }
    }

    #[test]
    fn full_names_collapse_spaces_and_refuse_controls() {
        assert_eq!(
            FullName::parse("  María   José Ruiz ").unwrap().as_str(),
            "María José Ruiz"
        );
        assert!(FullName::parse("x").is_err());
        assert!(FullName::parse(&"ñ".repeat(121)).is_err());
        assert!(FullName::parse("Ana\u{0}").is_err());
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert_eq!(
            Email::parse(" Ana@Boyaca.gov.co ").unwrap().as_str(),
            "ana@boyaca.gov.co"
        );
        for bad in [
            "ana",
            "ana@",
            "@gov.co",
            "ana@gov",
            "a b@gov.co",
            "a@b@c.co",
            "a@.co",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_have_length_limits_only() {
        assert!(NewPassword::parse("corta").is_err());
        assert!(NewPassword::parse("ocho 8 c").is_ok());
        assert!(NewPassword::parse(&"ñ".repeat(128)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("secreto123").unwrap()),
            "NewPassword(…)"
        );
    }

    #[test]
    fn deserialising_parses() {
        let name: Username = serde_json::from_str("\" JPerez \"").unwrap();
        assert_eq!(name.as_str(), "jperez");
        let err = serde_json::from_str::<Username>("\"a\"").unwrap_err();
        assert!(err.to_string().contains("entre 3 y 32"), "{err}");
        assert!(serde_json::from_str::<Email>("\"ana@\"").is_err());
        assert!(serde_json::from_str::<FullName>("\"\"").is_err());
        // Serialised as the plain string.
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"jperez\"");
    }
}
