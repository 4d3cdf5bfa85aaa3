//! Password hashing with argon2id (19 MiB, 2 iterations, 1 lane: the OWASP minimum). Hashing is
//! slow and memory-hungry by design, so it runs on the blocking pool and at most a few at once;
//! a burst of logins waits its turn instead of exhausting memory or starving the async workers.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// How many hashes may be computed at the same time (each takes 19 MiB).
const CONCURRENT_HASHES: usize = 4;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password in the PHC string format (algorithm, parameters and salt included).
pub fn hash_password_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The password hasher shared by all requests.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified when the username does not exist, so that a login for an unknown account takes
    /// as long as one for a real account with a wrong password.
    dummy_hash: Arc<str>,
}

impl Passwords {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            dummy_hash: hash_password_blocking("campo-dummy-password")?.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await?
    }

    /// Checks `password` against `phc`; with `None` it checks against a dummy hash and fails.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let password = password.to_owned();
        let (phc, real) = match phc {
            Some(phc) => (phc.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &phc)).await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let phc = hash_password_blocking("clave segura 1").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_blocking("clave segura 1", &phc));
        assert!(!verify_blocking("clave segura 2", &phc));
        assert!(!verify_blocking("clave segura 1", "not a hash"));
    }
}
