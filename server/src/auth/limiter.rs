//! Login rate limiting with a progressive delay, per client address and per account.
//!
//! A few failures are free; after that each failure makes the key wait twice as long as the last
//! one before the next attempt, up to a cap. Attempts refused with 429 do not count, so an
//! attacker cannot push the wait further out by hammering. The per-account cap is one minute:
//! someone who knows a username can slow its owner down, never lock them out. Failures are
//! forgotten a quarter of an hour after the last one, and a successful login clears its account.
//!
//! The state is in memory: it is per replica, which bounds guessing per replica and is enough for
//! one server; several replicas behind a balancer multiply the budget by their count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seconds to wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

struct Rule {
    free_failures: u32,
    cap: Duration,
}

const PER_ACCOUNT: Rule = Rule {
    free_failures: 5,
    cap: Duration::from_secs(60),
};
const PER_ADDRESS: Rule = Rule {
    free_failures: 20,
    cap: Duration::from_secs(15 * 60),
};
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Past this many keys, forgotten entries are swept before a new one is added.
const SWEEP_ABOVE: usize = 10_000;

struct Entry {
    failures: u32,
    last_failure: Instant,
    blocked_until: Instant,
}

/// The limiter shared by all login requests.
#[derive(Default)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<String, Entry>>,
}

fn account_key(username: &str) -> String {
    format!("u:{username}")
}

fn address_key(address: IpAddr) -> String {
    format!("a:{address}")
}

impl LoginLimiter {
    /// Whether a login for `username` from `address` may be attempted now.
    pub fn check(&self, username: &str, address: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let entries = self.entries.lock().expect("limiter lock");
        let wait = [account_key(username), address_key(address)]
            .iter()
            .filter_map(|key| entries.get(key))
            .filter(|entry| now.duration_since(entry.last_failure) < FORGET_AFTER)
            .filter_map(|entry| entry.blocked_until.checked_duration_since(now))
            .max();
        match wait {
            Some(wait) if !wait.is_zero() => Err(RetryAfter(wait.as_secs_f64().ceil() as u64)),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn failure(&self, username: &str, address: IpAddr, now: Instant) {
        let mut entries = self.entries.lock().expect("limiter lock");
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, e| now.duration_since(e.last_failure) < FORGET_AFTER);
        }
        for (key, rule) in [
            (account_key(username), &PER_ACCOUNT),
            (address_key(address), &PER_ADDRESS),
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
            if entry.failures >= rule.free_failures {
                let doublings = (entry.failures - rule.free_failures).min(20);
                let delay = Duration::from_secs(1u64 << doublings).min(rule.cap);
                entry.blocked_until = now + delay;
            }
        }
    }

    /// Records a successful login: the account starts afresh.
    pub fn success(&self, username: &str) {
        self.entries
            .lock()
            .expect("limiter lock")
            .remove(&account_key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn delay_grows_after_the_free_failures_and_is_capped() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            limiter.failure("ana", HOME, t0);
            assert_eq!(limiter.check("ana", HOME, t0), Ok(()));
        }
        limiter.failure("ana", HOME, t0);
        assert_eq!(limiter.check("ana", HOME, t0), Err(RetryAfter(1)));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(limiter.check("ana", HOME, t1), Ok(()));
        limiter.failure("ana", HOME, t1);
        assert_eq!(limiter.check("ana", HOME, t1), Err(RetryAfter(2)));
        // Many more failures: the account never waits more than a minute.
        let mut t = t1;
        for _ in 0..30 {
            t += Duration::from_secs(61);
            limiter.failure("ana", IpAddr::from([10, 0, 0, 2]), t);
        }
        assert_eq!(
            limiter.check("ana", IpAddr::from([10, 0, 0, 3]), t),
            Err(RetryAfter(60))
        );
        assert_eq!(
            limiter.check("ana", HOME, t + Duration::from_secs(60)),
            Ok(())
        );
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
            Ok(())
        );
        limiter.success("ana");
        assert_eq!(
            limiter.check("ana", IpAddr::from([10, 0, 0, 9]), t0),
            Ok(())
        );
        let later = t0 + FORGET_AFTER;
        assert_eq!(limiter.check("ana", HOME, later), Ok(()));
    }
}
