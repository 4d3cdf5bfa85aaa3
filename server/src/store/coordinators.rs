//! The active coordinators, kept in memory: a comment on a case with no responsible goes to
//! each of them (see [`crate::notify`]), and reading the users table for every such comment
//! would cost a query per change.
//!
//! The list is forgotten when this process writes a user (every write method of
//! [`Store`] in `users.rs` calls [`Store::users_changed`]), when another replica says it did
//! (on [`USERS_CHANNEL`], see [`crate::sync::feed`]), when that feed was interrupted, and in any
//! case after [`KEPT_FOR`]: a user changed outside Campo (SQL by hand, a command of another
//! process on SQLite) is seen within that time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Result, Store, with_pool};

/// The PostgreSQL channel on which a process says that it changed a user (its instance): the
/// others forget the coordinators they keep.
pub const USERS_CHANNEL: &str = "campo_users";

/// The longest a list is used before it is read again.
const KEPT_FOR: Duration = Duration::from_secs(60);

/// What [`Store::active_coordinator_ids`] keeps; shared by the clones of one [`Store`].
#[derive(Debug, Default)]
pub(crate) struct Coordinators(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    /// Bumped whenever the list is forgotten: a read that began before must not be kept.
    generation: u64,
    list: Option<(Arc<[String]>, Instant)>,
}

impl Coordinators {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store {
    /// The ids of the active coordinators (from memory when read less than a minute ago and no
    /// user changed since).
    pub async fn active_coordinator_ids(&self) -> Result<Arc<[String]>> {
        let generation = {
            let kept = self.coordinators.lock();
            if let Some((list, read_at)) = &kept.list
                && read_at.elapsed() < KEPT_FOR
            {
                return Ok(list.clone());
            }
            kept.generation
        };
        let read_at = Instant::now();
        let ids: Vec<String> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "select id from users where role = 'coordinador' and active order by id",
            )
            .fetch_all(pool)
            .await
        })?;
        let list: Arc<[String]> = ids.into();
        let mut kept = self.coordinators.lock();
        if kept.generation == generation {
            kept.list = Some((list.clone(), read_at));
        }
        Ok(list)
    }

    /// Forgets the coordinators kept in memory (a user changed elsewhere, or the change feed
    /// was interrupted).
    pub fn forget_users(&self) {
        let mut kept = self.coordinators.lock();
        kept.generation += 1;
        kept.list = None;
    }

    /// After this process wrote a user: forgets the coordinators and tells the other replicas
    /// to (on PostgreSQL). A failure to tell them is logged: they read the list again within a
    /// minute anyway.
    pub(crate) async fn users_changed(&self) {
        self.forget_users();
        if let Err(err) = self.announce(USERS_CHANNEL, self.instance()).await {
            tracing::warn!(%err, "could not tell the other replicas that a user changed");
        }
    }
}

#[cfg(test)]
mod tests {
    use campo_tests::{Backend, TestDb, both_backends};

    use crate::store::{NewUser, Store, UserChanges};

    /// A coordinator named, disabled or demoted is in or out of the list at once, even though
    /// the list is kept in memory between reads; a change written by another process is seen
    /// once that process says so.
    async fn the_coordinators_follow_user_changes(backend: Backend) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("store");
        let other = Store::connect(&db.url).await.expect("another process");
        let new = |username: &'static str, role: &'static str| NewUser {
            username,
            full_name: username,
            role,
            dependencia: None,
            email: None,
            password_hash: "x",
        };
        let ana = store
            .insert_user(&new("ana", "coordinador"))
            .await
            .expect("user");
        store
            .insert_user(&new("tomas", "tecnico"))
            .await
            .expect("user");
        let list = store.active_coordinator_ids().await.expect("list");
        assert_eq!(list.to_vec(), vec![ana.id.clone()]);

        let beto = store
            .insert_user(&new("beto", "coordinador"))
            .await
            .expect("user");
        let mut expected = vec![ana.id.clone(), beto.id.clone()];
        expected.sort();
        assert_eq!(
            store.active_coordinator_ids().await.expect("list").to_vec(),
            expected
        );

        let off = UserChanges {
            active: Some(false),
            ..UserChanges::default()
        };
        store
            .update_user(&beto.id, off)
            .await
            .expect("update")
            .expect("beto");
        assert_eq!(
            store.active_coordinator_ids().await.expect("list").to_vec(),
            vec![ana.id.clone()]
        );

        // Another process demotes ana: this one keeps its list until told.
        let demote = UserChanges {
            role: Some("tecnico".into()),
            ..UserChanges::default()
        };
        other
            .update_user(&ana.id, demote)
            .await
            .expect("update")
            .expect("ana");
        assert_eq!(
            store.active_coordinator_ids().await.expect("list").to_vec(),
            vec![ana.id.clone()]
        );
        store.forget_users();
        assert!(
            store
                .active_coordinator_ids()
                .await
                .expect("list")
                .is_empty()
        );
    }
    both_backends!(the_coordinators_follow_user_changes);
}
