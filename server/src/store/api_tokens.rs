//! Integration tokens (keyed by their SHA-256) and the intake's claims on external references.

use super::{Result, Store, with_pool};

/// A token as listed: never its secret, nor its hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    /// Space-separated scopes.
    pub scopes: String,
    pub created_by: String,
    pub created_by_name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// What a request's token may do, as the authentication reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenGrant {
    pub id: String,
    pub name: String,
    pub scopes: String,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Whether its creator is still an active coordinator.
    pub creator_ok: bool,
}

/// A new token; `token_hash` is the SHA-256 of the secret the caller is shown once.
pub struct NewApiToken<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub scopes: &'a str,
    pub created_by: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Who holds an external reference: the case it created and that case's official.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IntakeClaim {
    pub ticket_id: String,
    pub requester_id: String,
    pub created_at: i64,
}

const TOKEN_COLUMNS: &str = "t.id, t.name, t.scopes, t.created_by, u.full_name as created_by_name, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

impl Store {
    #[tracing::instrument(skip_all, fields(name = new.name))]
    pub async fn insert_api_token(&self, new: &NewApiToken<'_>) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "insert into api_tokens (id, name, token_hash, scopes, created_by, created_at,
                                         expires_at)
                 values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new.id)
            .bind(new.name)
            .bind(new.token_hash)
            .bind(new.scopes)
            .bind(new.created_by)
            .bind(new.created_at)
            .bind(new.expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Every token, the newest first, revoked ones included (they say when).
    #[tracing::instrument(skip_all)]
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenRow>> {
        let sql = format!(
            "select {TOKEN_COLUMNS} from api_tokens t join users u on u.id = t.created_by
             order by t.created_at desc, t.id"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, ApiTokenRow>(&sql).fetch_all(pool).await
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn api_token(&self, id: &str) -> Result<Option<ApiTokenRow>> {
        let sql = format!(
            "select {TOKEN_COLUMNS} from api_tokens t join users u on u.id = t.created_by
             where t.id = $1"
        );
        with_pool!(self, pool => {
            sqlx::query_as::<_, ApiTokenRow>(&sql).bind(id).fetch_optional(pool).await
        })
    }

    /// Revokes a token at `now`; false when there is no such token or it was already revoked.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn revoke_api_token(&self, id: &str, now: i64) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query("update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// The token whose secret hashes to `token_hash`, with whether its creator may still act.
    #[tracing::instrument(skip_all)]
    pub async fn api_token_grant(&self, token_hash: &str) -> Result<Option<ApiTokenGrant>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, ApiTokenGrant>(
                "select t.id, t.name, t.scopes, t.created_by, t.expires_at, t.last_used_at,
                        t.revoked_at, (u.active and u.role = 'coordinador') as creator_ok
                 from api_tokens t join users u on u.id = t.created_by
                 where t.token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await
        })
    }

    /// Records a use of the token.
    pub async fn touch_api_token(&self, id: &str, now: i64) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("update api_tokens set last_used_at = $2 where id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Claims `(channel, external_ref)` for a case about to be created. Returns true when this
    /// call made the claim; false when the reference was already claimed (read it with
    /// [`Store::intake_claim`]). The primary key decides between concurrent calls, in either
    /// database, so no two calls both win.
    #[tracing::instrument(skip_all, fields(channel))]
    pub async fn claim_intake_ref(
        &self,
        channel: &str,
        external_ref: &str,
        ticket_id: &str,
        requester_id: &str,
        token_id: &str,
        now: i64,
    ) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query(
                "insert into intake_refs (channel, external_ref, ticket_id, requester_id, token_id,
                                          created_at)
                 values ($1, $2, $3, $4, $5, $6)
                 on conflict (channel, external_ref) do nothing",
            )
            .bind(channel)
            .bind(external_ref)
            .bind(ticket_id)
            .bind(requester_id)
            .bind(token_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    pub async fn intake_claim(
        &self,
        channel: &str,
        external_ref: &str,
    ) -> Result<Option<IntakeClaim>> {
        with_pool!(self, pool => {
            sqlx::query_as::<_, IntakeClaim>(
                "select ticket_id, requester_id, created_at from intake_refs
                 where channel = $1 and external_ref = $2",
            )
            .bind(channel)
            .bind(external_ref)
            .fetch_optional(pool)
            .await
        })
    }

    /// Takes over a claim whose case was never created (its call failed or the server stopped
    /// in between): true for the one call that moved its time from `seen_at` to `now`.
    pub async fn retake_intake_claim(
        &self,
        channel: &str,
        external_ref: &str,
        seen_at: i64,
        now: i64,
    ) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query(
                "update intake_refs set created_at = $4
                 where channel = $1 and external_ref = $2 and created_at = $3",
            )
            .bind(channel)
            .bind(external_ref)
            .bind(seen_at)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Gives up a claim whose case could not be created, so the caller may retry.
    pub async fn release_intake_claim(
        &self,
        channel: &str,
        external_ref: &str,
        ticket_id: &str,
    ) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "delete from intake_refs
                 where channel = $1 and external_ref = $2 and ticket_id = $3",
            )
            .bind(channel)
            .bind(external_ref)
            .bind(ticket_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}
