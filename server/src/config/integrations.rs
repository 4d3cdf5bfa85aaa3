//! The settings of the services of the office that Campo connects to: its directory (LDAP,
//! `CAMPO_LDAP_…`) and its GLPI (`CAMPO_GLPI_…`), and the schedule of the notifications Campo
//! sends on its own (`CAMPO_SURVEY_REMINDER_DAYS`, …). Each service is read whole: without its
//! URL the other variables of the group are an error, since they would be silently ignored.

use std::fmt;
use std::time::Duration;

use super::{
    DEFAULT_GLPI_SYNC_SECS, DEFAULT_LDAP_CHECK_SECS, DEFAULT_LDAP_TIMEOUT_SECS,
    DEFAULT_LDAP_USER_FILTER, Reader, invalid,
};

/// How Campo reaches the office's GLPI (see [`crate::glpi`]).
#[derive(Clone, PartialEq, Eq)]
pub struct GlpiConfig {
    /// The address of GLPI's REST API, ending in `apirest.php` (`CAMPO_GLPI_URL`).
    pub url: String,
    /// The API client's application token, when GLPI asks for one (`CAMPO_GLPI_APP_TOKEN`).
    pub app_token: Option<String>,
    /// The remote-access key of the GLPI user Campo acts as (`CAMPO_GLPI_USER_TOKEN`).
    pub user_token: String,
    /// Only tickets of this entity (its id) are imported (`CAMPO_GLPI_ENTITY`).
    pub entity: Option<u64>,
    /// Only tickets of this ITIL category (its id) are imported (`CAMPO_GLPI_CATEGORY`).
    pub category: Option<u64>,
    /// How often `campo serve` imports (`CAMPO_GLPI_SYNC_SECS`); `None` (0): only
    /// `campo glpi sync` does.
    pub sync_every: Option<Duration>,
}

impl fmt::Debug for GlpiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlpiConfig")
            .field("url", &self.url)
            .field("entity", &self.entity)
            .field("category", &self.category)
            .field("sync_every", &self.sync_every)
            .finish_non_exhaustive()
    }
}

/// How Campo reaches the office's directory (LDAP or Active Directory) to log people in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapConfig {
    /// `ldap://host:389` (StartTLS, always) or `ldaps://host:636` (`CAMPO_LDAP_URL`).
    pub url: String,
    /// The service account that searches people (`CAMPO_LDAP_BIND_DN`); `None`: anonymous search.
    pub bind_dn: Option<String>,
    /// Its password (`CAMPO_LDAP_BIND_PASSWORD`).
    pub bind_password: Option<String>,
    /// Where people are searched, with subtree scope (`CAMPO_LDAP_BASE_DN`).
    pub base_dn: String,
    /// The search filter with `{username}` where the escaped username goes
    /// (`CAMPO_LDAP_USER_FILTER`). An account it no longer finds is removed or disabled.
    pub user_filter: String,
    /// The DN of the group whose members are coordinators (`CAMPO_LDAP_GROUP_COORDINADOR`).
    pub group_coordinador: Option<String>,
    /// … técnicos (`CAMPO_LDAP_GROUP_TECNICO`).
    pub group_tecnico: Option<String>,
    /// … contratistas (`CAMPO_LDAP_GROUP_CONTRATISTA`).
    pub group_contratista: Option<String>,
    /// The person's attribute that holds its dependencia's code (`CAMPO_LDAP_DEPENDENCIA_ATTR`).
    pub dependencia_attr: Option<String>,
    /// How long one directory operation (connect, StartTLS, bind, search) may take
    /// (`CAMPO_LDAP_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// How often the directory accounts with open sessions are looked up again; those the
    /// directory no longer finds lose their sessions (`CAMPO_LDAP_CHECK_SECS`).
    pub check_every: Duration,
}

/// The directory's settings; `None` without `CAMPO_LDAP_URL`, whose absence makes the others
/// an error (they would be silently ignored).
pub(super) fn read_ldap<F: Fn(&str) -> Option<String>>(read: &mut Reader<F>) -> Option<LdapConfig> {
    let url = read.optional("CAMPO_LDAP_URL", |text| {
        let lower = text.to_ascii_lowercase();
        let host = lower
            .strip_prefix("ldap://")
            .or_else(|| lower.strip_prefix("ldaps://"))
            .map(|rest| rest.trim_end_matches('/'));
        match host {
            Some(host) if !host.is_empty() && !host.contains(['/', '?', '@', ' ']) => {
                Ok(text.trim_end_matches('/').to_owned())
            }
            _ => Err(invalid(
                text,
                "la dirección del directorio, ldap://servidor:389 (con StartTLS) o \
                 ldaps://servidor:636, por ejemplo ldaps://ldap.gobernacion.gov.co",
            )),
        }
    });
    let dn = |text: &str| {
        if text.contains('=') {
            Ok(text.to_owned())
        } else {
            Err(invalid(
                text,
                "un nombre distinguido (DN), por ejemplo \
                 cn=campo,ou=servicios,dc=gobernacion,dc=gov,dc=co",
            ))
        }
    };
    let bind_dn = read.optional("CAMPO_LDAP_BIND_DN", dn);
    let bind_password = read.optional("CAMPO_LDAP_BIND_PASSWORD", |text| Ok(text.to_owned()));
    let base_dn = read.optional("CAMPO_LDAP_BASE_DN", dn);
    let user_filter = read
        .optional("CAMPO_LDAP_USER_FILTER", |text| {
            let balanced = text.matches('(').count() == text.matches(')').count();
            if text.starts_with('(')
                && text.ends_with(')')
                && balanced
                && text.contains("{username}")
            {
                Ok(text.to_owned())
            } else {
                Err(invalid(
                    text,
                    "un filtro LDAP entre paréntesis con {username} donde va el usuario, por \
                     ejemplo (uid={username}) o (sAMAccountName={username})",
                ))
            }
        })
        .unwrap_or_else(|| DEFAULT_LDAP_USER_FILTER.to_owned());
    let group_coordinador = read.optional("CAMPO_LDAP_GROUP_COORDINADOR", dn);
    let group_tecnico = read.optional("CAMPO_LDAP_GROUP_TECNICO", dn);
    let group_contratista = read.optional("CAMPO_LDAP_GROUP_CONTRATISTA", dn);
    let dependencia_attr = read.optional("CAMPO_LDAP_DEPENDENCIA_ATTR", |text| {
        let ok = text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| text.to_owned()).ok_or_else(|| {
            invalid(
                text,
                "el nombre de un atributo LDAP, por ejemplo departmentNumber",
            )
        })
    });
    let timeout: u32 = read.positive("CAMPO_LDAP_TIMEOUT_SECS", DEFAULT_LDAP_TIMEOUT_SECS);
    let check: u32 = read.positive("CAMPO_LDAP_CHECK_SECS", DEFAULT_LDAP_CHECK_SECS);
    if bind_dn.is_some()
        && bind_password.is_none()
        && read.value("CAMPO_LDAP_BIND_PASSWORD").is_none()
    {
        read.errors.push(
            "CAMPO_LDAP_BIND_PASSWORD: falta. Con CAMPO_LDAP_BIND_DN se necesita la contraseña \
             de esa cuenta de servicio."
                .to_owned(),
        );
    }
    let Some(url) = url else {
        let stray: Vec<&str> = LDAP_VARIABLES
            .iter()
            .copied()
            .filter(|v| *v != "CAMPO_LDAP_URL" && read.value(v).is_some())
            .collect();
        if !stray.is_empty() && read.value("CAMPO_LDAP_URL").is_none() {
            read.errors.push(format!(
                "CAMPO_LDAP_URL: falta. Sin ella no se usa el directorio, y {} no tendrían \
                 efecto; escriba la dirección del directorio o quite esas variables.",
                stray.join(", ")
            ));
        }
        return None;
    };
    let Some(base_dn) = base_dn else {
        if read.value("CAMPO_LDAP_BASE_DN").is_none() {
            read.errors.push(
                "CAMPO_LDAP_BASE_DN: falta. Con CAMPO_LDAP_URL se necesita la rama donde se \
                 buscan las personas, por ejemplo ou=personas,dc=gobernacion,dc=gov,dc=co."
                    .to_owned(),
            );
        }
        return None;
    };
    Some(LdapConfig {
        url,
        bind_dn,
        bind_password,
        base_dn,
        user_filter,
        group_coordinador,
        group_tecnico,
        group_contratista,
        dependencia_attr,
        timeout: Duration::from_secs(timeout.into()),
        check_every: Duration::from_secs(check.into()),
    })
}

/// GLPI's settings; `None` without `CAMPO_GLPI_URL`, whose absence makes the others an error.
pub(super) fn read_glpi<F: Fn(&str) -> Option<String>>(read: &mut Reader<F>) -> Option<GlpiConfig> {
    let url = read.optional("CAMPO_GLPI_URL", |text| {
        let trimmed = text.trim_end_matches('/');
        let lower = trimmed.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
        if scheme_ok && lower.ends_with("/apirest.php") && !trimmed.contains([' ', '?', '#']) {
            Ok(trimmed.to_owned())
        } else {
            Err(invalid(
                text,
                "la dirección de la API REST de GLPI, terminada en apirest.php, por ejemplo \
                 https://glpi.gobernacion.gov.co/apirest.php",
            ))
        }
    });
    let token = |text: &str| {
        if text.chars().all(|c| c.is_ascii_graphic()) {
            Ok(text.to_owned())
        } else {
            Err("no es válido: un token de GLPI no lleva espacios ni tildes.".to_owned())
        }
    };
    let app_token = read.optional("CAMPO_GLPI_APP_TOKEN", token);
    let user_token = read.optional("CAMPO_GLPI_USER_TOKEN", token);
    let id = |text: &str| {
        text.parse::<u64>()
            .map_err(|_| invalid(text, "el número (id) que GLPI le da, por ejemplo 3"))
    };
    let entity = read.optional("CAMPO_GLPI_ENTITY", id);
    let category = read.optional("CAMPO_GLPI_CATEGORY", id);
    let sync_secs = read
        .optional("CAMPO_GLPI_SYNC_SECS", |text| {
            text.parse::<u32>().map_err(|_| {
                invalid(
                    text,
                    "un número de segundos, por ejemplo 300; 0 importa solo con «campo glpi sync»",
                )
            })
        })
        .unwrap_or(DEFAULT_GLPI_SYNC_SECS);
    let Some(url) = url else {
        let stray: Vec<&str> = GLPI_VARIABLES
            .iter()
            .copied()
            .filter(|v| *v != "CAMPO_GLPI_URL" && read.value(v).is_some())
            .collect();
        if !stray.is_empty() && read.value("CAMPO_GLPI_URL").is_none() {
            read.errors.push(format!(
                "CAMPO_GLPI_URL: falta. Sin ella no se importa de GLPI, y {} no tendrían \
                 efecto; escriba la dirección de la API de GLPI o quite esas variables.",
                stray.join(", ")
            ));
        }
        return None;
    };
    let Some(user_token) = user_token else {
        if read.value("CAMPO_GLPI_USER_TOKEN").is_none() {
            read.errors.push(
                "CAMPO_GLPI_USER_TOKEN: falta. Con CAMPO_GLPI_URL se necesita la clave de \
                 acceso remoto (API) del usuario de GLPI con el que Campo trabaja."
                    .to_owned(),
            );
        }
        return None;
    };
    Some(GlpiConfig {
        url,
        app_token,
        user_token,
        entity,
        category,
        sync_every: (sync_secs > 0).then(|| Duration::from_secs(sync_secs.into())),
    })
}

/// Every GLPI variable, in the order of `docs/operacion.md`.
const GLPI_VARIABLES: [&str; 6] = [
    "CAMPO_GLPI_URL",
    "CAMPO_GLPI_APP_TOKEN",
    "CAMPO_GLPI_USER_TOKEN",
    "CAMPO_GLPI_ENTITY",
    "CAMPO_GLPI_CATEGORY",
    "CAMPO_GLPI_SYNC_SECS",
];

/// Every directory variable, in the order of `docs/operacion.md`.
const LDAP_VARIABLES: [&str; 11] = [
    "CAMPO_LDAP_URL",
    "CAMPO_LDAP_BIND_DN",
    "CAMPO_LDAP_BIND_PASSWORD",
    "CAMPO_LDAP_BASE_DN",
    "CAMPO_LDAP_USER_FILTER",
    "CAMPO_LDAP_GROUP_COORDINADOR",
    "CAMPO_LDAP_GROUP_TECNICO",
    "CAMPO_LDAP_GROUP_CONTRATISTA",
    "CAMPO_LDAP_DEPENDENCIA_ATTR",
    "CAMPO_LDAP_TIMEOUT_SECS",
    "CAMPO_LDAP_CHECK_SECS",
];

/// `CAMPO_SURVEY_REMINDER_DAYS` when unset.
pub const DEFAULT_SURVEY_REMINDER_DAYS: u32 = 3;
/// `CAMPO_CUSTODY_OVERDUE_DAYS` when unset.
pub const DEFAULT_CUSTODY_OVERDUE_DAYS: u32 = 10;
/// `CAMPO_NOTICE_SCAN_SECS` when unset.
pub const DEFAULT_NOTICE_SCAN_SECS: u32 = 60;

/// The schedule of the notifications Campo sends on its own (see `crate::notify::scan`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticesConfig {
    /// Business days after a resolution before an official who has not answered the survey is
    /// reminded, once (`CAMPO_SURVEY_REMINDER_DAYS`); `None` (0): no reminders.
    pub survey_reminder_days: Option<u32>,
    /// Days equipment may stay at the workshop or with the contractor before the responsible and
    /// the coordinators are told (`CAMPO_CUSTODY_OVERDUE_DAYS`); `None` (0): never.
    pub custody_overdue_days: Option<u32>,
    /// How often the store is asked which of them are due (`CAMPO_NOTICE_SCAN_SECS`).
    pub scan_every: Duration,
}

/// The notifications' schedule.
pub(super) fn read_notices<F: Fn(&str) -> Option<String>>(read: &mut Reader<F>) -> NoticesConfig {
    let mut days = |variable: &str, default: u32| {
        read.optional(variable, |text| {
            text.parse::<u32>()
                .ok()
                .filter(|n| *n <= 365)
                .ok_or_else(|| {
                    invalid(
                        text,
                        &format!(
                            "un número entero de días entre 0 (desactivado) y 365, por ejemplo \
                             {default}"
                        ),
                    )
                })
        })
        .unwrap_or(default)
    };
    let survey = days("CAMPO_SURVEY_REMINDER_DAYS", DEFAULT_SURVEY_REMINDER_DAYS);
    let custody = days("CAMPO_CUSTODY_OVERDUE_DAYS", DEFAULT_CUSTODY_OVERDUE_DAYS);
    let scan_secs: u32 = read.positive("CAMPO_NOTICE_SCAN_SECS", DEFAULT_NOTICE_SCAN_SECS);
    NoticesConfig {
        survey_reminder_days: (survey > 0).then_some(survey),
        custody_overdue_days: (custody > 0).then_some(custody),
        scan_every: Duration::from_secs(scan_secs.into()),
    }
}
