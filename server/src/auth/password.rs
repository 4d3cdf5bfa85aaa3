//! Password hashing with argon2id (19 MiB, 2 iterations, 1 lane: the OWASP minimum). Hashing is
//! slow and memory-hungry by design, so it runs on the blocking pool and at most a few at once;
//! a burst of logins waits its turn instead of exhausting memory or starving the async workers.

use std::sync::Arc;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

/// How many hashes may be computed at the same time (each takes 19 MiB).
const CONCURRENT_HASHES: usize = 4;

/// Blocks (1 KiB each) reserved for a hash's working memory: more than glibc's 32 MiB ceiling for
/// its dynamic mmap threshold. An allocation that large is always its own mapping, returned to
/// the system when freed. Argon2's own 19 MiB allocation is not: freeing the first one raises
/// glibc's mmap threshold to 19 MiB and its trim threshold to 38 MiB, after which every arena
/// keeps that memory (about 60 MB in a server that has checked a few passwords). Only the
/// blocks the hash uses are ever touched, so the rest costs no memory.
const RESERVED_BLOCKS: usize = 33 * 1024;

fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("argon2 parameters are valid")
}

/// Computes an argon2 hash of `password` with `salt` (the salt as written in the PHC string).
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: &SaltString,
    out: &mut [u8],
) -> anyhow::Result<()> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("argon2 salt: {e}"))?;
    let blocks = params.block_count();
    let mut memory = Vec::with_capacity(blocks.max(RESERVED_BLOCKS));
    memory.resize(blocks, Block::new());
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut memory)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Hashes a password in the PHC string format (algorithm, parameters and salt included).
pub fn hash_password_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let params = params();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        &salt,
        &mut out,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("argon2: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a PHC string, with the parameters written in it.
fn verify_blocking(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(salt) = SaltString::from_b64(salt.as_str()) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if compute(algorithm, version, params, password, &salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s comparison takes the same time wherever the first difference is.
    Output::new(&out).is_ok_and(|computed| computed == expected)
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

    #[test]
    fn hashes_made_by_the_argon2_crate_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"clave segura 1", &salt)
            .unwrap()
            .to_string();
        assert!(verify_blocking("clave segura 1", &phc));
        assert!(!verify_blocking("clave segura 2", &phc));
        // And the other way round: this module's hashes are ordinary PHC strings.
        let ours = hash_password_blocking("clave segura 1").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        use argon2::password_hash::PasswordVerifier;
        assert!(
            Argon2::default()
                .verify_password(b"clave segura 1", &parsed)
                .is_ok()
        );
    }
}
