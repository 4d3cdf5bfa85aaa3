//! Identifiers and codes as newtypes, each with a `parse` constructor that is the only way to make
//! one from text, so a value of the type is valid by construction.
//!
//! - [`UserId`], [`EventId`], [`VisitId`], [`CommentId`]: random UUIDs (v4). Events, visits and
//!   comments are created offline on phones, so their ids must be unique without asking anyone.
//! - [`DocumentId`]: the automerge-repo document id (16 random bytes, shown as bs58check, and as
//!   the URL `automerge:<bs58check>`); one ticket is one document, so [`TicketId`] is an alias.
//! - [`EquipmentCode`] (the code on the QR sticker, `GN-000123`) and [`DependenciaCode`] (an office
//!   of the organisation, `HACIENDA`), normalised to upper case because people type them.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Why a piece of text is not a valid identifier or code. Messages are Spanish and say what is
/// expected, so the API can return them as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not a UUID.
    #[error("identificador de {what} no válido: «{value}»; se espera un UUID")]
    Uuid {
        /// What the id identifies, in Spanish ("usuario", "evento", …).
        what: &'static str,
        /// The rejected text.
        value: String,
    },
    /// Not an automerge-repo document id or URL.
    #[error(
        "identificador de documento no válido: «{value}»; se espera «automerge:» seguido del \
         identificador en base58check"
    )]
    Document {
        /// The rejected text.
        value: String,
    },
    /// Not an equipment code.
    #[error(
        "código de equipo no válido: «{value}»; se esperan letras, un guion y números, \
         por ejemplo GN-000123"
    )]
    Equipment {
        /// The rejected text.
        value: String,
    },
    /// Not a dependencia code.
    #[error(
        "código de dependencia no válido: «{value}»; use de 2 a 16 letras sin tilde, números \
         o guiones, por ejemplo HACIENDA"
    )]
    Dependencia {
        /// The rejected text.
        value: String,
    },
}

/// Reads a string from an Automerge scalar or Text object (see [`crate::wire`] on why both).
fn hydrate_text_as<T, D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<T, HydrateError>
where
    T: FromStr<Err = IdError>,
{
    doc.text(obj)?
        .parse()
        .map_err(|e: IdError| HydrateError::unexpected("a valid id", e.to_string()))
}

/// Declares a UUID newtype with its parse constructor, text, serde and Automerge forms (all the
/// hyphenated lower-case UUID string).
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random (v4) id.
            #[allow(clippy::new_without_default)] // a random value is not a "default"
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// Parses the UUID text form (any of the forms the `uuid` crate accepts).
            pub fn parse(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError::Uuid {
                    what: $what,
                    value: s.to_string(),
                })
            }

            /// Wraps an existing UUID (from the database).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The inner UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.to_string())
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
                Self::parse(s).map_err(|e| HydrateError::unexpected("a UUID", e.to_string()))
            }
            fn hydrate_text<D: ReadDoc>(
                doc: &D,
                obj: &automerge::ObjId,
            ) -> Result<Self, HydrateError> {
                hydrate_text_as(doc, obj)
            }
        }
    };
}

uuid_id!(
    /// A user of Campo (stored in SQL; referenced from documents by its text form).
    UserId,
    "usuario"
);
uuid_id!(
    /// One workflow event inside a ticket document; also the key that lets two devices append
    /// events offline without overwriting each other.
    EventId,
    "evento"
);
uuid_id!(
    /// One visit to a desk inside a ticket document.
    VisitId,
    "visita"
);
uuid_id!(
    /// One comment inside a ticket document.
    CommentId,
    "comentario"
);

/// The automerge-repo document id: 16 random bytes, written as bs58check (base58 with a 4-byte
/// double-SHA-256 checksum), exactly as `@automerge/automerge-repo` makes them, so ids created by
/// the PWA and by the server are interchangeable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// A ticket is one Automerge document, so its id is the document id.
pub type TicketId = DocumentId;

impl DocumentId {
    /// The URL scheme automerge-repo uses for document URLs.
    pub const URL_PREFIX: &'static str = "automerge:";

    /// A new random document id (the bytes of a v4 UUID, as automerge-repo does).
    #[allow(clippy::new_without_default)] // a random value is not a "default"
    pub fn new() -> Self {
        Self(Uuid::new_v4().into_bytes())
    }

    /// Wraps raw bytes (from the database).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The bs58check text form, e.g. `4NMNnkMhL8jXrdJ9jamS58PAVdXu`.
    pub fn to_bs58check(&self) -> String {
        bs58::encode(&self.0).with_check().into_string()
    }

    /// The document URL, `automerge:<bs58check>`.
    pub fn url(&self) -> String {
        format!("{}{}", Self::URL_PREFIX, self.to_bs58check())
    }

    /// Parses either the bare bs58check id or the `automerge:` URL. A URL pointing at specific
    /// heads (`#…`) is rejected rather than silently read as the whole document.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::Document {
            value: s.to_string(),
        };
        let trimmed = s.trim();
        let encoded = trimmed.strip_prefix(Self::URL_PREFIX).unwrap_or(trimmed);
        let bytes = bs58::decode(encoded)
            .with_check(None)
            .into_vec()
            .map_err(|_| bad())?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({})", self.to_bs58check())
    }
}

/// Shows the bare bs58check form (what automerge-repo calls the document id).
impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bs58check())
    }
}

impl FromStr for DocumentId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl Serialize for DocumentId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_bs58check())
    }
}

impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Declares an upper-case code newtype with its text, serde and Automerge forms.
macro_rules! code_type {
    ($(#[$meta:meta])* $name:ident, $check:path, $err:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Trims, upper-cases and checks the code.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let code = s.trim().to_ascii_uppercase();
                if $check(&code) {
                    Ok(Self(code))
                } else {
                    Err(IdError::$err {
                        value: s.to_string(),
                    })
                }
            }

            /// The normalised code.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(&self.0)
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
                Self::parse(s).map_err(|e| HydrateError::unexpected("a valid code", e.to_string()))
            }
            fn hydrate_text<D: ReadDoc>(
                doc: &D,
                obj: &automerge::ObjId,
            ) -> Result<Self, HydrateError> {
                hydrate_text_as(doc, obj)
            }
        }
    };
}

code_type!(
    /// The code on an equipment's QR sticker: 1–8 letters, a dash, 1–12 digits (`GN-000123`).
    EquipmentCode,
    is_equipment_code,
    Equipment
);
code_type!(
    /// The code of a dependencia (office): 2–16 of `A–Z`, `0–9` and `-`, not starting or ending
    /// with a dash (`HACIENDA`, `SEC-EDUCACION`).
    DependenciaCode,
    is_dependencia_code,
    Dependencia
);

fn is_equipment_code(code: &str) -> bool {
    let Some((letters, digits)) = code.split_once('-') else {
        return false;
    };
    (1..=8).contains(&letters.len())
        && letters.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=12).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_dependencia_code(code: &str) -> bool {
    (2..=16).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_round_trip_and_reject_garbage() {
        let id = EventId::new();
        assert_eq!(EventId::parse(&id.to_string()), Ok(id));
        assert_ne!(EventId::new(), id);
        let u = UserId::parse(" 67e55044-10b1-426f-9247-bb680e5fe0c8 ").unwrap();
        assert_eq!(u.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            "\"67e55044-10b1-426f-9247-bb680e5fe0c8\""
        );
        let err = VisitId::parse("visita-1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "identificador de visita no válido: «visita-1»; se espera un UUID"
        );
        assert!(UserId::parse("").is_err());
        assert!(serde_json::from_str::<CommentId>("\"x\"").is_err());
    }

    #[test]
    fn document_id_bs58check_and_url() {
        // The example of @automerge/automerge-repo's own tests (AutomergeUrl.test.ts).
        let known = "automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu";
        let id = DocumentId::parse(known).unwrap();
        let bytes = [
            241, 194, 156, 132, 116, 200, 74, 222, 184, 0, 190, 71, 98, 125, 51, 191,
        ];
        assert_eq!(id, DocumentId::from_bytes(bytes));
        assert_eq!(id.url(), known);
        assert_eq!(id.to_bs58check(), "4NMNnkMhL8jXrdJ9jamS58PAVdXu");
        assert_eq!(DocumentId::parse("4NMNnkMhL8jXrdJ9jamS58PAVdXu"), Ok(id));

        let fresh = DocumentId::new();
        assert_eq!(DocumentId::parse(&fresh.url()), Ok(fresh));
        assert_eq!(DocumentId::parse(&fresh.to_bs58check()), Ok(fresh));
        let json = serde_json::to_string(&fresh).unwrap();
        assert_eq!(json, format!("\"{}\"", fresh.to_bs58check()));
        assert_eq!(serde_json::from_str::<DocumentId>(&json).unwrap(), fresh);
    }

    #[test]
    fn document_id_rejects_bad_input() {
        for bad in [
            "",
            "automerge:",
            "4NMNnkMhL8jXrdJ9jamS58PAVdXv", // checksum broken (last char)
            "automerge:4NMNnkMhL8jXrdJ9jamS58PAVdX", // truncated
            "automerge:0OIl",               // not base58
            "https://example.org/x",
            "automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu#abc",
        ] {
            let err = DocumentId::parse(bad).unwrap_err();
            assert!(matches!(err, IdError::Document { .. }), "{bad}");
        }
        // Valid bs58check of the wrong length (8 bytes) is not a document id.
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert!(DocumentId::parse(&short).is_err());
        assert!(
            DocumentId::parse("x")
                .unwrap_err()
                .to_string()
                .starts_with("identificador de documento no válido")
        );
    }

    #[test]
    fn equipment_codes() {
        assert_eq!(
            EquipmentCode::parse(" gn-000123 ").unwrap().as_str(),
            "GN-000123"
        );
        assert_eq!(EquipmentCode::parse("IMP-7").unwrap().to_string(), "IMP-7");
        for bad in [
            "",
            "GN000123",
            "GN-",
            "-000123",
            "G1-000123",
            "GN-00012A",
            "GN-0001-23",
            "ÑN-000123",
            "ABCDEFGHI-1",
            "GN-1234567890123",
        ] {
            assert!(EquipmentCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            EquipmentCode::parse("x").unwrap_err().to_string(),
            "código de equipo no válido: «x»; se esperan letras, un guion y números, \
             por ejemplo GN-000123"
        );
        let code: EquipmentCode = serde_json::from_str("\"gn-1\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"GN-1\"");
    }

    #[test]
    fn dependencia_codes() {
        assert_eq!(
            DependenciaCode::parse("hacienda").unwrap().as_str(),
            "HACIENDA"
        );
        assert_eq!(
            DependenciaCode::parse("SEC-EDU2").unwrap().as_str(),
            "SEC-EDU2"
        );
        assert!(DependenciaCode::parse("TI").is_ok());
        for bad in [
            "",
            "T",
            "EDUCACIÓN",
            "SEC EDU",
            "-TIC",
            "TIC-",
            "ABCDEFGHIJKLMNOPQ",
            "SEC_EDU",
        ] {
            assert!(DependenciaCode::parse(bad).is_err(), "{bad}");
        }
        assert!(
            DependenciaCode::parse("a")
                .unwrap_err()
                .to_string()
                .contains("de 2 a 16")
        );
    }
}
