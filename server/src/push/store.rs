//! Web Push's tables (`push_keys`, `push_subscriptions`, `push_sent`), one SQL text for both
//! backends.

use crate::store::{Result, Store, with_pool};

/// Most subscriptions one user keeps (phones and browsers); subscribing one more forgets the
/// oldest.
pub const MAX_SUBSCRIPTIONS_PER_USER: i64 = 10;

/// A browser's subscription, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub endpoint: String,
    pub user_id: String,
    /// base64url of the browser's P-256 public key.
    pub p256dh: String,
    /// base64url of its authentication secret.
    pub auth: String,
}

impl Store {
    /// The VAPID key pair (PKCS#8 and public key, both base64url); made with `generate` and
    /// stored the first time. Two replicas starting together keep the same pair: the first
    /// insert wins and both read it back.
    #[tracing::instrument(skip_all)]
    pub async fn push_key_pair(
        &self,
        generate: impl FnOnce() -> anyhow::Result<(String, String)>,
    ) -> anyhow::Result<(String, String)> {
        let select = "select private_pkcs8, public_key from push_keys where id = 1";
        let stored = with_pool!(self, pool => {
            sqlx::query_as::<_, (String, String)>(select).fetch_optional(pool).await
        })?;
        if let Some(pair) = stored {
            return Ok(pair);
        }
        let (private, public) = generate()?;
        let now = crate::store::now_ms();
        with_pool!(self, pool => {
            sqlx::query(
                "insert into push_keys (id, private_pkcs8, public_key, created_at)
                 values (1, $1, $2, $3) on conflict (id) do nothing",
            )
            .bind(&private)
            .bind(&public)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(with_pool!(self, pool => {
            sqlx::query_as::<_, (String, String)>(select).fetch_one(pool).await
        })?)
    }

    /// Stores `subscription` for its user (the same endpoint again replaces it, whoever had
    /// it) and forgets that user's oldest beyond [`MAX_SUBSCRIPTIONS_PER_USER`], in one
    /// transaction.
    #[tracing::instrument(skip_all, fields(user = %subscription.user_id))]
    pub async fn save_push_subscription(
        &self,
        subscription: &SubscriptionRow,
        now: i64,
    ) -> Result<()> {
        with_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "insert into push_subscriptions (endpoint, user_id, p256dh, auth, created_at)
                     values ($1, $2, $3, $4, $5)
                     on conflict (endpoint) do update set user_id = excluded.user_id,
                         p256dh = excluded.p256dh, auth = excluded.auth,
                         created_at = excluded.created_at",
                )
                .bind(&subscription.endpoint)
                .bind(&subscription.user_id)
                .bind(&subscription.p256dh)
                .bind(&subscription.auth)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "delete from push_subscriptions where user_id = $1 and endpoint not in (
                         select endpoint from push_subscriptions where user_id = $1
                         order by created_at desc, endpoint limit $2)",
                )
                .bind(&subscription.user_id)
                .bind(MAX_SUBSCRIPTIONS_PER_USER)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
            .await
        })
    }

    /// Forgets a user's subscription; true when there was one.
    #[tracing::instrument(skip_all, fields(user = user_id))]
    pub async fn delete_push_subscription(&self, user_id: &str, endpoint: &str) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query("delete from push_subscriptions where user_id = $1 and endpoint = $2")
                .bind(user_id)
                .bind(endpoint)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// Forgets a subscription the push service says is gone (404 or 410), unless it was
    /// renewed with other keys meanwhile.
    #[tracing::instrument(skip_all)]
    pub async fn forget_push_endpoint(&self, endpoint: &str, p256dh: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("delete from push_subscriptions where endpoint = $1 and p256dh = $2")
                .bind(endpoint)
                .bind(p256dh)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The subscriptions of a user, while the account is active.
    #[tracing::instrument(skip_all, fields(user = user_id))]
    pub async fn push_subscriptions_of(&self, user_id: &str) -> Result<Vec<SubscriptionRow>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, SubscriptionRow>(
                "select s.endpoint, s.user_id, s.p256dh, s.auth
                 from push_subscriptions s join users u on u.id = s.user_id
                 where s.user_id = $1 and u.active
                 order by s.created_at",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
        })
    }

    /// Claims the push `key` (`{event id}:{user id}`); true for the one caller, on any
    /// replica, that should send it.
    #[tracing::instrument(skip_all, fields(key))]
    pub async fn claim_push(
        &self,
        key: &str,
        ticket_id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query(
                "insert into push_sent (key, ticket_id, user_id, created_at)
                 values ($1, $2, $3, $4) on conflict (key) do nothing",
            )
            .bind(key)
            .bind(ticket_id)
            .bind(user_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }
}
