//! Login throttling that slows guessing down without letting anyone lock a user out.
//!
//! Three counters of failed logins, each forgotten a quarter of an hour after its last failure:
//!
//! - **per client address**: 20 failures are free, then each failure makes the address wait twice
//!   as long as the last one, up to 15 minutes. It bounds guessing from one machine, over all
//!   accounts.
//! - **per account and address**: 5 free failures, then doubling waits up to one minute. One
//!   machine cannot hammer one account; the owner who mistyped at their own desk waits at most a
//!   minute.
//! - **per account alone**: never a refusal, only a slow-down: after 5 failures every attempt on
//!   the account, from anywhere, waits a little before its password is checked (a quarter of a
//!   second, doubling, at most [`MAX_ACCOUNT_DELAY`]). Whoever knows a username can make its
//!   owner wait a few seconds, never keep them out: the owner's own address has no failures, so
//!   the right password gets in.
//!
//! The client address is the one [`crate::auth::ClientAddress`] resolves (the socket's peer, or
//! `X-Forwarded-For` from a trusted proxy), so a forged header cannot rotate addresses.
//! Attempts refused with 429 do not count, so an attacker cannot push the wait further out by
//! hammering. A successful login clears its account's counters (not its address's).
//!
//! The state is in memory. With several replicas on PostgreSQL, each announces its logins to the
//! others ([`crate::sync::feed`]), which count them too: the budget is that of one server.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seconds to wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// The longest an attempt on an account waits because of failures from other addresses.
pub const MAX_ACCOUNT_DELAY: Duration = Duration::from_secs(3);

struct Rule {
    free_failures: u32,
    /// Wait after the first failure past the free ones; doubles with each further failure.
    first: Duration,
    cap: Duration,
}

impl Rule {
    fn wait_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures).min(20);
        (self.first * (1u32 << doublings)).min(self.cap)
    }
}

const PER_ADDRESS: Rule = Rule {
    free_failures: 20,
    first: Duration::from_secs(1),
    cap: Duration::from_secs(15 * 60),
};
const PER_ACCOUNT_AND_ADDRESS: Rule = Rule {
    free_failures: 5,
    first: Duration::from_secs(1),
    cap: Duration::from_secs(60),
};
const PER_ACCOUNT: Rule = Rule {
    free_failures: 5,
    first: Duration::from_millis(250),
    cap: MAX_ACCOUNT_DELAY,
};
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Past this many keys, forgotten entries are swept before a new one is added; the next sweep
/// waits until the map has doubled, so sweeping costs O(1) per failure on average.
const SWEEP_ABOVE: usize = 10_000;
/// Past this many keys even after a sweep (addresses rotated by the hundred thousand), the
/// address counters are dropped and only the accounts' are kept: memory stays bounded, and the
/// per-account slow-down still holds.
const KEEP_AT_MOST: usize = 200_000;

struct Entry {
    failures: u32,
    last_failure: Instant,
    blocked_until: Instant,
}

/// The limiter shared by all login requests.
#[derive(Default)]
pub struct LoginLimiter {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// The size at which the next sweep happens (at least [`SWEEP_ABOVE`]).
    sweep_at: usize,
}

fn account_key(username: &str) -> String {
    format!("u:{username}")
}

fn address_key(address: IpAddr) -> String {
    format!("a:{address}")
}

fn pair_key(username: &str, address: IpAddr) -> String {
    format!("p:{address}:{username}")
}

impl LoginLimiter {
    /// Whether a login for `username` from `address` may be attempted now, and if so how long it
    /// must wait first (the per-account slow-down, at most [`MAX_ACCOUNT_DELAY`]).
    pub fn check(
        &self,
        username: &str,
        address: IpAddr,
        now: Instant,
    ) -> Result<Duration, RetryAfter> {
        let state = self.state.lock().expect("limiter lock");
        let entries = &state.entries;
        let live = |key: &str| {
            entries
                .get(key)
                .filter(|entry| now.duration_since(entry.last_failure) < FORGET_AFTER)
        };
        let refused = [address_key(address), pair_key(username, address)]
            .iter()
            .filter_map(|key| live(key))
            .filter_map(|entry| entry.blocked_until.checked_duration_since(now))
            .max();
        if let Some(wait) = refused.filter(|wait| !wait.is_zero()) {
            return Err(RetryAfter(wait.as_secs_f64().ceil() as u64));
        }
        Ok(live(&account_key(username))
            .map(|entry| PER_ACCOUNT.wait_after(entry.failures))
            .unwrap_or_default())
    }

    /// Records a failed attempt.
    pub fn failure(&self, username: &str, address: IpAddr, now: Instant) {
        let mut state = self.state.lock().expect("limiter lock");
        if state.entries.len() > state.sweep_at.max(SWEEP_ABOVE) {
            let entries = &mut state.entries;
            entries.retain(|_, e| now.duration_since(e.last_failure) < FORGET_AFTER);
            if entries.len() > KEEP_AT_MOST {
                entries.retain(|key, _| key.starts_with("u:"));
            }
            state.sweep_at = (2 * state.entries.len()).min(KEEP_AT_MOST);
        }
        let entries = &mut state.entries;
        for (key, rule) in [
            (account_key(username), &PER_ACCOUNT),
            (address_key(address), &PER_ADDRESS),
            (pair_key(username, address), &PER_ACCOUNT_AND_ADDRESS),
        ] {
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: now,
            });
            if now.duration_since(entry.last_failure) >= FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last_failure = now;
            entry.blocked_until = now + rule.wait_after(entry.failures);
        }
    }

    /// Records a successful login: the account starts afresh, here and from this address.
    pub fn success(&self, username: &str, address: IpAddr) {
        let mut state = self.state.lock().expect("limiter lock");
        state.entries.remove(&account_key(username));
        state.entries.remove(&pair_key(username, address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    fn attacker(i: u32) -> IpAddr {
        IpAddr::from((0xCB00_7100u32 + i).to_be_bytes())
    }

    #[test]
    fn one_address_on_one_account_waits_longer_and_longer_up_to_a_minute() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            limiter.failure("ana", HOME, t0);
            assert_eq!(limiter.check("ana", HOME, t0), Ok(Duration::ZERO));
        }
        limiter.failure("ana", HOME, t0);
        assert_eq!(limiter.check("ana", HOME, t0), Err(RetryAfter(1)));
        let t1 = t0 + Duration::from_secs(1);
        assert!(limiter.check("ana", HOME, t1).is_ok());
        limiter.failure("ana", HOME, t1);
        assert_eq!(limiter.check("ana", HOME, t1), Err(RetryAfter(2)));
        // Many more failures (below the address's own budget): never more than a minute.
        let mut t = t1;
        for _ in 0..12 {
            t += Duration::from_secs(61);
            limiter.failure("ana", HOME, t);
        }
        assert_eq!(limiter.check("ana", HOME, t), Err(RetryAfter(60)));
        assert!(
            limiter
                .check("ana", HOME, t + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn failures_from_rotating_addresses_only_slow_the_account_down() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..10_000 {
            limiter.failure("ana", attacker(i), t0);
        }
        // The owner, from an address with no failures, gets in after a bounded delay.
        assert_eq!(limiter.check("ana", HOME, t0), Ok(MAX_ACCOUNT_DELAY));
        // So does the next attacker: its guesses are slowed, not refused.
        assert_eq!(
            limiter.check("ana", attacker(10_000), t0),
            Ok(MAX_ACCOUNT_DELAY)
        );
        // Other accounts are untouched.
        assert_eq!(limiter.check("beto", HOME, t0), Ok(Duration::ZERO));
        // The delay grows in steps: 5 failures are free.
        let limiter = LoginLimiter::default();
        for i in 0..5 {
            assert_eq!(limiter.check("ana", HOME, t0), Ok(Duration::ZERO));
            limiter.failure("ana", attacker(i), t0);
        }
        assert_eq!(
            limiter.check("ana", HOME, t0),
            Ok(Duration::from_millis(250))
        );
    }

    #[test]
    fn one_address_guessing_many_accounts_is_refused() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            limiter.failure(&format!("usuario{i}"), HOME, t0);
        }
        assert_eq!(limiter.check("otro", HOME, t0), Err(RetryAfter(1)));
        assert_eq!(limiter.check("otro", attacker(1), t0), Ok(Duration::ZERO));
    }

    #[test]
    fn success_clears_the_account_and_time_forgets() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..6 {
            limiter.failure("ana", HOME, t0);
        }
        assert!(limiter.check("ana", HOME, t0).is_err());
        assert_eq!(
            limiter.check("beto", IpAddr::from([10, 0, 0, 9]), t0),
            Ok(Duration::ZERO)
        );
        limiter.success("ana", HOME);
        assert_eq!(limiter.check("ana", HOME, t0), Ok(Duration::ZERO));
        for _ in 0..6 {
            limiter.failure("ana", HOME, t0);
        }
        let later = t0 + FORGET_AFTER;
        assert_eq!(limiter.check("ana", HOME, later), Ok(Duration::ZERO));
    }

    #[test]
    fn memory_stays_bounded_when_addresses_rotate() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..(KEEP_AT_MOST as u32) {
            limiter.failure("ana", attacker(i), t0);
        }
        let kept = limiter.state.lock().unwrap().entries.len();
        assert!(kept <= KEEP_AT_MOST + 3, "{kept} keys");
        assert_eq!(limiter.check("ana", HOME, t0), Ok(MAX_ACCOUNT_DELAY));
    }
}
