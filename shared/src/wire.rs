//! How Campo's values look on the wire: in JSON and inside the Automerge ticket documents.
//!
//! Two things live here:
//!
//! - `wire_enum!`, which declares a closed set of values (roles, states, event kinds, …) once,
//!   with its wire name per variant, and derives from that single list the serde names, `as_str`,
//!   `FromStr`, `Display` and the Automerge mapping. One list means the JSON, the document and the
//!   Rust code cannot disagree about a spelling.
//! - Lenient hydration helpers. The PWA writes the documents with `@automerge/automerge` 3, where a
//!   plain JavaScript string becomes a collaborative *Text* object (unless wrapped in
//!   `ImmutableString`) and every integral number becomes a signed *int* — even `10.0` metres of
//!   GPS accuracy. autosurgeon's stock `String`/`f64`/`u64` hydrators accept only the scalar
//!   forms, so a document that is perfectly valid from JavaScript would fail to load on the
//!   server. These helpers read either form. Rust always *writes* the scalar forms.
//!
//! Nothing here uses another module of the crate, so every module that declares a closed set of
//! values (roles, priorities, event kinds, the document's enumerations, states) can use it.

use automerge::{ObjId, ObjType, ScalarValue, Value};
use autosurgeon::{HydrateError, Prop, ReadDoc};

/// The error of parsing a `wire_enum!` value from text: names the value and lists the valid ones,
/// in Spanish, so it can be shown as is (CLI, API error body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("valor de {what} desconocido: «{value}»; use uno de: {}", valid.join(", "))]
pub struct UnknownValue {
    /// What was being parsed, in Spanish ("rol", "estado", …).
    pub what: &'static str,
    /// The text that did not match.
    pub value: String,
    /// The accepted wire names.
    pub valid: &'static [&'static str],
}

/// Declares a closed set of values with their wire names; see the module documentation.
///
/// ```text
/// wire_enum! {
///     /// Doc.
///     pub enum Channel: "canal" {
///         /// Doc.
///         Intranet = "intranet",
///     }
/// }
/// ```
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every wire name, in declaration order.
            pub const WIRE_NAMES: &'static [&'static str] = &[$($wire),+];

            /// The wire name (JSON, Automerge document, URLs, SQL).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::wire::UnknownValue;

            /// Parses the wire name; surrounding blanks and ASCII case are forgiven because
            /// these values are also typed by people (CLI flags, query strings).
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                let wanted = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| $crate::wire::UnknownValue {
                        what: $what,
                        value: s.to_string(),
                        valid: $name::WIRE_NAMES,
                    })
            }
        }

        impl ::autosurgeon::Reconcile for $name {
            type Key<'a> = ::autosurgeon::reconcile::NoKey;

            fn reconcile<R: ::autosurgeon::Reconciler>(
                &self,
                mut reconciler: R,
            ) -> ::std::result::Result<(), R::Error> {
                reconciler.str(self.as_str())
            }
        }

        impl ::autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> ::std::result::Result<Self, ::autosurgeon::HydrateError> {
                s.parse().map_err(|e: $crate::wire::UnknownValue| {
                    ::autosurgeon::HydrateError::unexpected(
                        concat!("a ", stringify!($name), " wire name"),
                        e.to_string(),
                    )
                })
            }

            fn hydrate_text<D: ::autosurgeon::ReadDoc>(
                doc: &D,
                obj: &::automerge::ObjId,
            ) -> ::std::result::Result<Self, ::autosurgeon::HydrateError> {
                Self::hydrate_string(&doc.text(obj)?)
            }
        }
    };
}
pub(crate) use wire_enum;

/// Reads a string written either as a scalar or as an Automerge Text object.
fn read_str<D: ReadDoc>(doc: &D, found: (Value<'_>, ObjId)) -> Result<String, HydrateError> {
    match found {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Ok(s.to_string()),
            other => Err(HydrateError::unexpected("a string", format!("{other:?}"))),
        },
        (Value::Object(ObjType::Text), id) => Ok(doc.text(&id)?),
        (Value::Object(t), _) => Err(HydrateError::unexpected("a string", format!("{t:?}"))),
    }
}

/// Hydrates a `String` from a scalar string or a Text object.
pub(crate) fn string<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<String, HydrateError> {
    match doc.get(obj, &prop)? {
        Some(found) => read_str(doc, found),
        None => Err(HydrateError::unexpected("a string", "nothing".to_string())),
    }
}

/// Hydrates an `Option<String>`: missing or null is `None`.
pub(crate) fn opt_string<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Option<String>, HydrateError> {
    match doc.get(obj, &prop)? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) if matches!(s.as_ref(), ScalarValue::Null) => Ok(None),
        Some(found) => read_str(doc, found).map(Some),
    }
}

/// Hydrates a list of strings, each a scalar or a Text object; a missing list is empty.
pub(crate) fn strings<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Vec<String>, HydrateError> {
    match doc.get(obj, &prop)? {
        None => Ok(Vec::new()),
        Some((Value::Object(ObjType::List), list)) => (0..doc.length(&list))
            .map(|i| string(doc, &list, Prop::Index(i as u32)))
            .collect(),
        Some((v, _)) => Err(HydrateError::unexpected(
            "a list of strings",
            format!("{v:?}"),
        )),
    }
}

/// Reads a number written as int, uint, float or timestamp (JavaScript has one number type).
fn read_number(found: Option<(Value<'_>, ObjId)>) -> Result<Option<f64>, HydrateError> {
    let Some((value, _)) = found else {
        return Ok(None);
    };
    let Value::Scalar(s) = value else {
        return Err(HydrateError::unexpected("a number", format!("{value:?}")));
    };
    Ok(match s.as_ref() {
        ScalarValue::Null => None,
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(*i as f64),
        ScalarValue::Uint(u) => Some(*u as f64),
        // NaN and the infinities are no coordinate, and NaN is not equal to itself: a ticket
        // holding one would never equal its own reading, and the write rules would take every
        // later change for an edit of that item.
        ScalarValue::F64(f) if f.is_finite() => Some(*f),
        other => {
            return Err(HydrateError::unexpected(
                "a finite number",
                format!("{other:?}"),
            ));
        }
    })
}

/// Reads an integer written as int, uint, timestamp, or a float with no fractional part.
fn read_integer(found: Option<(Value<'_>, ObjId)>) -> Result<Option<i64>, HydrateError> {
    let Some((value, _)) = found else {
        return Ok(None);
    };
    let Value::Scalar(s) = value else {
        return Err(HydrateError::unexpected("an integer", format!("{value:?}")));
    };
    Ok(match s.as_ref() {
        ScalarValue::Null => None,
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(*i),
        ScalarValue::Uint(u) => Some(
            i64::try_from(*u)
                .map_err(|_| HydrateError::unexpected("an i64", "a larger integer".into()))?,
        ),
        ScalarValue::F64(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
        other => return Err(HydrateError::unexpected("an integer", format!("{other:?}"))),
    })
}

/// Hydrates an `f64` from any numeric scalar.
pub(crate) fn number<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<f64, HydrateError> {
    read_number(doc.get(obj, &prop)?)?
        .ok_or_else(|| HydrateError::unexpected("a number", "nothing or null".into()))
}

/// Hydrates an integer type (`i64` timestamps, `u64` schema version, `u8` ratings) from any
/// integral scalar.
pub(crate) fn integer<D: ReadDoc, T: TryFrom<i64>>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<T, HydrateError> {
    let i = read_integer(doc.get(obj, &prop)?)?
        .ok_or_else(|| HydrateError::unexpected("an integer", "nothing or null".into()))?;
    T::try_from(i).map_err(|_| HydrateError::unexpected("a smaller integer", i.to_string()))
}

/// Hydrates an optional integer; missing or null is `None`.
pub(crate) fn opt_integer<D: ReadDoc, T: TryFrom<i64>>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Option<T>, HydrateError> {
    read_integer(doc.get(obj, &prop)?)?
        .map(|i| {
            T::try_from(i).map_err(|_| HydrateError::unexpected("a smaller integer", i.to_string()))
        })
        .transpose()
}

/// Hydrates a `bool`; a missing value is `false` (older or partial writers).
pub(crate) fn flag<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<bool, HydrateError> {
    match doc.get(obj, &prop)? {
        None => Ok(false),
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Boolean(b) => Ok(*b),
            ScalarValue::Null => Ok(false),
            other => Err(HydrateError::unexpected("a boolean", format!("{other:?}"))),
        },
        Some((v, _)) => Err(HydrateError::unexpected("a boolean", format!("{v:?}"))),
    }
}

/// Writes an integer as a signed Automerge int, which is what JavaScript writes for any integral
/// number; keeping one representation avoids spurious changes when both sides write a field.
pub(crate) fn reconcile_int<R: autosurgeon::Reconciler, T: Copy + TryInto<i64>>(
    value: &T,
    mut reconciler: R,
) -> Result<(), R::Error> {
    // Only small values (schema version, ratings) use this; saturating is unreachable in practice.
    reconciler.i64((*value).try_into().unwrap_or(i64::MAX))
}
