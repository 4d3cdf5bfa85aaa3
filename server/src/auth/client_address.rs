//! The address of the client behind a request: the socket's peer, or, when that peer is one of
//! the configured trusted proxies (`CAMPO_TRUSTED_PROXIES`), the address that the proxies recorded
//! in `X-Forwarded-For`.
//!
//! `X-Forwarded-For` is read from the right: each proxy appends the address it received the
//! request from, so the rightmost entry that is not itself a trusted proxy is the client. What a
//! client wrote into the header itself sits further left and is never read; from an untrusted
//! peer the header is ignored entirely, so nobody can pick the address the login limiter counts.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::AppState;
use crate::config::TrustedProxies;

/// The client's address, as [`client_address`] resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        // Without connection info (a router served without it, as in some unit tests) the
        // address is unknown: the loopback stands for it.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// Logged once: a proxy that nobody trusts sends `X-Forwarded-For`.
static UNTRUSTED_HEADER_LOGGED: AtomicBool = AtomicBool::new(false);

/// The client behind a request that came from `peer`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    let forwarded = headers.get_all("x-forwarded-for");
    if !trusted.contains(peer) {
        if forwarded.iter().next().is_some()
            && !UNTRUSTED_HEADER_LOGGED.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                %peer,
                "X-Forwarded-For ignored: the peer is not a trusted proxy (set CAMPO_TRUSTED_PROXIES \
                 when Campo runs behind a reverse proxy)"
            );
        }
        return peer;
    }
    // Several headers count as one list, in order.
    let entries: Vec<&str> = forwarded
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        let Some(address) = parse_entry(entry) else {
            // Garbage where a proxy should have written an address: what is left of it cannot be
            // trusted; the last proxy that spoke stands for the client.
            break;
        };
        client = address;
        if !trusted.contains(address) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let nobody = TrustedProxies::default();
        let forged = headers(&["198.51.100.7"]);
        assert_eq!(
            client_address(ip("203.0.113.9"), &forged, &nobody),
            ip("203.0.113.9")
        );
        let proxy = TrustedProxies::parse("10.0.0.5").unwrap();
        assert_eq!(
            client_address(ip("203.0.113.9"), &forged, &proxy),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &forged, &proxy),
            ip("198.51.100.7")
        );
        // A trusted proxy without the header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.5"), &HeaderMap::new(), &proxy),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn the_rightmost_untrusted_entry_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        // The client wrote «1.2.3.4» itself; the edge proxy appended the real address, an inner
        // proxy appended the edge's.
        let chain = headers(&["1.2.3.4, 198.51.100.7", "10.0.0.9"]);
        assert_eq!(
            client_address(ip("::ffff:10.0.0.5"), &chain, &proxies),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(ip("::1"), &headers(&["[2001:db8::7]:4711"]), &proxies),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_address(ip("::1"), &headers(&["198.51.100.7:4711"]), &proxies),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last proxy that spoke.
        assert_eq!(
            client_address(
                ip("10.0.0.5"),
                &headers(&["198.51.100.7, desconocido"]),
                &proxies
            ),
            ip("10.0.0.5")
        );
        // Only proxies in the chain: the leftmost is as close to the client as it gets.
        assert_eq!(
            client_address(ip("10.0.0.5"), &headers(&["10.0.0.7, 10.0.0.6"]), &proxies),
            ip("10.0.0.7")
        );
    }
}
