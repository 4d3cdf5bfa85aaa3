//! Accounts and sessions: password hashing, server-side sessions behind a cookie, the login
//! rate limiter, the client's address (behind trusted proxies) and the `Origin` check for state-changing requests (OWASP ASVS level 2 as the
//! reference).

mod api_token;
mod client_address;
mod limiter;
mod origin;
mod password;
mod session;

pub use api_token::{ApiToken, ReportReader, Scope, bearer, new_api_token};
pub use client_address::{ClientAddress, client_address};
pub use limiter::{LoginLimiter, MAX_ACCOUNT_DELAY, RetryAfter};
pub use origin::{check_origin, origin_ok};
pub use password::{Passwords, hash_password_blocking};
pub use session::{CurrentUser, SessionCookie, new_session_token, token_hash};
