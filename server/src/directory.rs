//! The office's directory (LDAP, Active Directory): who may log in with the password they use
//! everywhere else, with which role, and whether they are still there.
//!
//! One login is: a connection (`ldap://` always upgraded with StartTLS, or `ldaps://`), a bind
//! as the service account, a search for the person with `CAMPO_LDAP_USER_FILTER` (the username
//! escaped per RFC 4515, so `*)(uid=*` matches nobody), a bind as the person's DN with the
//! password given (never with an empty one, which LDAP servers take as an anonymous bind), then
//! the role groups: a base-scope search of each configured group for
//! `(|(member=<dn>)(uniqueMember=<dn>))`, which works with a plain slapd (`groupOfNames`,
//! `groupOfUniqueNames`) and with Active Directory without the `memberOf` overlay. Every
//! operation has the configured timeout, so a directory that is down or hangs costs a login a
//! few seconds, never the server.
//!
//! Someone is gone from the directory when the user filter no longer finds them: deleted, moved
//! out of the base, or excluded by the filter itself (an office that disables accounts writes
//! it into the filter, e.g. `(&(uid={username})(!(pwdAccountLockedTime=*)))`).
//! [`spawn_checker`] looks up, every `CAMPO_LDAP_CHECK_SECS`, each directory account with an
//! open session, and ends the sessions of those that are gone.

use campo_shared::account::{Email, FullName};
use campo_shared::role::Role;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};

use crate::AppState;
use crate::config::LdapConfig;

/// What the directory says about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub dn: String,
    /// From `cn`; `None` when missing or not a valid name.
    pub full_name: Option<FullName>,
    /// From `mail`; `None` when missing or not an address.
    pub email: Option<Email>,
    /// From the role groups; a funcionario when in none.
    pub role: Role,
    /// The value of `CAMPO_LDAP_DEPENDENCIA_ATTR`, as written there.
    pub dependencia: Option<String>,
}

/// Why the directory could not answer (down, slow, refusing the service account, TLS).
#[derive(Debug, thiserror::Error)]
#[error("the directory did not answer: {0}")]
pub struct Unavailable(String);

/// What people read when the directory does not answer.
pub const UNAVAILABLE_MESSAGE: &str = "El directorio de la entidad no responde; no se puede \
     comprobar su contraseña en este momento. Intente de nuevo en unos minutos; si sigue igual, \
     avise a la mesa de ayuda.";

/// The directory as Campo uses it. Each operation opens its own short connection: logins are
/// rare, and no connection is left to go stale behind a firewall.
#[derive(Debug, Clone)]
pub struct Directory {
    config: LdapConfig,
}

impl Directory {
    pub fn new(config: LdapConfig) -> Self {
        Self { config }
    }

    /// The person `username` if the directory finds them and `password` is theirs; `Ok(None)`
    /// for an unknown person or a wrong password.
    #[tracing::instrument(skip_all, fields(username))]
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Person>, Unavailable> {
        // An empty password is an unauthenticated bind (RFC 4513, 5.1.2), which many servers
        // answer with success: it must never reach the directory.
        if password.is_empty() {
            return Ok(None);
        }
        let mut ldap = self.service_connection().await?;
        let Some(dn) = self.find(&mut ldap, username).await? else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        let bound = self
            .timed(ldap.simple_bind(&dn, password))
            .await?
            .map_err(|err| Unavailable(err.to_string()))?;
        // 49: invalidCredentials (wrong password, or an account the server locked).
        if bound.rc != 0 {
            let _ = ldap.unbind().await;
            if bound.rc == 49 || bound.rc == 53 {
                return Ok(None);
            }
            return Err(Unavailable(format!("bind as the user: {bound}")));
        }
        // Back to the service account: the groups may not be readable by the person.
        self.service_bind(&mut ldap).await?;
        let person = self.read_person(&mut ldap, &dn).await?;
        let _ = ldap.unbind().await;
        Ok(person)
    }

    /// The person `username` as the directory has them now, without their password: `Ok(None)`
    /// when the directory no longer finds them.
    #[tracing::instrument(skip_all, fields(username))]
    pub async fn lookup(&self, username: &str) -> Result<Option<Person>, Unavailable> {
        let mut ldap = self.service_connection().await?;
        let person = match self.find(&mut ldap, username).await? {
            Some(dn) => self.read_person(&mut ldap, &dn).await?,
            None => None,
        };
        let _ = ldap.unbind().await;
        Ok(person)
    }

    async fn timed<T>(&self, work: impl Future<Output = T>) -> Result<T, Unavailable> {
        tokio::time::timeout(self.config.timeout, work)
            .await
            .map_err(|_| Unavailable(format!("no answer within {:?}", self.config.timeout)))
    }

    /// A connection bound as the service account (or anonymous without one).
    async fn service_connection(&self) -> Result<Ldap, Unavailable> {
        let starttls = self.config.url.to_ascii_lowercase().starts_with("ldap://");
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.config.timeout)
            .set_starttls(starttls);
        let (conn, mut ldap) = self
            .timed(LdapConnAsync::with_settings(settings, &self.config.url))
            .await?
            .map_err(|err| Unavailable(err.to_string()))?;
        ldap3::drive!(conn);
        self.service_bind(&mut ldap).await?;
        Ok(ldap)
    }

    async fn service_bind(&self, ldap: &mut Ldap) -> Result<(), Unavailable> {
        let Some(dn) = &self.config.bind_dn else {
            return Ok(());
        };
        let password = self.config.bind_password.as_deref().unwrap_or_default();
        self.timed(ldap.simple_bind(dn, password))
            .await?
            .and_then(|result| result.success())
            .map_err(|err| Unavailable(format!("bind as the service account: {err}")))?;
        Ok(())
    }

    /// The DN of the one entry the user filter finds for `username`; `None` for none, or for
    /// several (a filter that is too broad must not let one person log in as another).
    async fn find(&self, ldap: &mut Ldap, username: &str) -> Result<Option<String>, Unavailable> {
        let filter = user_filter(&self.config.user_filter, username);
        let (entries, _) = self
            .timed(ldap.search(&self.config.base_dn, Scope::Subtree, &filter, ["1.1"]))
            .await?
            .and_then(|result| result.success())
            .map_err(|err| Unavailable(format!("search {filter}: {err}")))?;
        if entries.len() > 1 {
            tracing::warn!(
                username,
                found = entries.len(),
                "the directory's user filter finds several entries; nobody logs in with it"
            );
        }
        Ok(match entries.as_slice() {
            [entry] => Some(SearchEntry::construct(entry.clone()).dn),
            _ => None,
        })
    }

    /// The person at `dn`: attributes and role groups.
    async fn read_person(&self, ldap: &mut Ldap, dn: &str) -> Result<Option<Person>, Unavailable> {
        let mut attributes = vec!["cn", "mail"];
        if let Some(attr) = &self.config.dependencia_attr {
            attributes.push(attr.as_str());
        }
        let (entries, _) = self
            .timed(ldap.search(dn, Scope::Base, "(objectClass=*)", attributes))
            .await?
            .and_then(|result| result.success())
            .map_err(|err| Unavailable(format!("read {dn}: {err}")))?;
        let Some(entry) = entries.into_iter().next() else {
            return Ok(None);
        };
        let entry = SearchEntry::construct(entry);
        let first = |name: &str| {
            entry
                .attrs
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .and_then(|(_, values)| values.first())
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let groups = [
            (Role::Coordinador, &self.config.group_coordinador),
            (Role::Tecnico, &self.config.group_tecnico),
            (Role::Contratista, &self.config.group_contratista),
        ];
        let mut role = Role::Funcionario;
        // The most trusted role wins when someone is in several groups.
        for (group_role, group) in groups {
            if let Some(group) = group
                && self.is_member(ldap, group, dn).await?
            {
                role = group_role;
                break;
            }
        }
        Ok(Some(Person {
            dn: dn.to_owned(),
            full_name: first("cn").and_then(|cn| FullName::parse(&cn).ok()),
            email: first("mail").and_then(|mail| Email::parse(&mail).ok()),
            role,
            dependencia: self.config.dependencia_attr.as_deref().and_then(first),
        }))
    }

    /// Whether the group `group` lists `dn` as a `member` or `uniqueMember`. A group that does
    /// not exist has no members.
    async fn is_member(&self, ldap: &mut Ldap, group: &str, dn: &str) -> Result<bool, Unavailable> {
        let dn = ldap_escape(dn);
        let filter = format!("(|(member={dn})(uniqueMember={dn}))");
        let found = self
            .timed(ldap.search(group, Scope::Base, &filter, ["1.1"]))
            .await?
            .map_err(|err| Unavailable(format!("group {group}: {err}")))?;
        // 32: noSuchObject, a group DN that is wrong or was deleted.
        if found.1.rc == 32 {
            tracing::warn!(group, "a role group of the configuration does not exist");
            return Ok(false);
        }
        let (entries, _) = found
            .success()
            .map_err(|err| Unavailable(format!("group {group}: {err}")))?;
        Ok(!entries.is_empty())
    }
}

/// The user filter with `username` escaped per RFC 4515 in place of every `{username}`.
pub fn user_filter(template: &str, username: &str) -> String {
    template.replace("{username}", &ldap_escape(username))
}

/// Looks up the directory accounts with open sessions every `CAMPO_LDAP_CHECK_SECS`; those the
/// directory no longer finds lose their sessions (and sync connections). A directory that does
/// not answer ends nobody's session: an outage must not log the whole office out.
pub fn spawn_checker(state: AppState, directory: Directory) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(directory.config.check_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = check_sessions(&state, &directory).await {
                tracing::warn!(%err, "could not check the directory accounts");
            }
        }
    });
}

/// One pass of the check. Returns how many accounts lost their sessions.
pub async fn check_sessions(state: &AppState, directory: &Directory) -> anyhow::Result<usize> {
    let mut ended = 0;
    for user in state.store.directory_users_with_sessions().await? {
        match directory.lookup(&user.username).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                state.store.end_sessions_of(&user.id).await?;
                state.documents.disconnect_user(&user.id);
                tracing::info!(user_id = %user.id, username = %user.username,
                    "no longer in the directory: sessions ended");
                ended += 1;
            }
            Err(err) => {
                tracing::warn!(%err, "the directory did not answer; sessions kept");
                return Ok(ended);
            }
        }
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_cannot_change_the_filter() {
        assert_eq!(user_filter("(uid={username})", "ana"), "(uid=ana)");
        assert_eq!(
            user_filter("(uid={username})", "*)(uid=*"),
            r"(uid=\2a\29\28uid=\2a)"
        );
        assert_eq!(
            user_filter("(&(uid={username})(objectClass=person))", r"a\b"),
            r"(&(uid=a\5cb)(objectClass=person))"
        );
    }

    /// The directory of `tests/ldap/entidad.ldif` in a real slapd, as Campo is configured for it,
    /// reached over slapd's Unix socket (this process's TLS library trusts only the system's
    /// authorities; the end-to-end tests cover StartTLS).
    async fn directory(slapd: &campo_tests::ldap::Slapd) -> Directory {
        let env = slapd.campo_env();
        let mut config = crate::config::Config::from_lookup(|name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap()
        .ldap
        .unwrap();
        config.timeout = std::time::Duration::from_secs(3);
        config.url = slapd.ldapi_url();
        Directory::new(config)
    }

    /// Against the real slapd: the escaping holds where it matters, in the directory's own
    /// reading of the filter, and an empty password never binds (slapd, like most servers,
    /// answers an empty-password bind as an anonymous one).
    #[tokio::test]
    async fn injections_and_empty_passwords_find_nobody_in_a_real_slapd() {
        let slapd = campo_tests::ldap::Slapd::start(&campo_tests::ldap::entidad_ldif()).await;
        let directory = directory(&slapd).await;
        let lucia = directory
            .authenticate("lrodriguez", "clave-lucia-2026")
            .await
            .unwrap()
            .expect("Lucía logs in");
        assert_eq!(lucia.role, Role::Coordinador);
        assert_eq!(lucia.full_name.unwrap().as_str(), "Lucía Rodríguez");
        for username in ["lrodrigue*", "*", "*)(uid=*", "lrodriguez)(uid=*"] {
            assert_eq!(
                directory.lookup(username).await.unwrap(),
                None,
                "{username}"
            );
            assert_eq!(
                directory
                    .authenticate(username, "clave-lucia-2026")
                    .await
                    .unwrap(),
                None,
                "{username}"
            );
        }
        assert_eq!(
            directory.authenticate("lrodriguez", "").await.unwrap(),
            None
        );
        assert_eq!(
            directory
                .authenticate("lrodriguez", "clave-tomas-2026")
                .await
                .unwrap(),
            None
        );
    }
}
