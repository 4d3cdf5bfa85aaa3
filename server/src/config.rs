//! Configuration, from flags and the environment (`CAMPO_LISTEN`, `CAMPO_DATA_DIR`, `DATABASE_URL`,
//! `CAMPO_PUBLIC_URL`, `CAMPO_PWA_DIR`, `CAMPO_SMTP_URL`, `CAMPO_SMTP_FROM`,
//! `CAMPO_TRUSTED_PROXIES`).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and, later, the photos.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The address people use to reach Campo (`https://campo.example.gov.co`). When it is HTTPS,
    /// cookies get `Secure` and the `__Host-` prefix; it is also the origin that state-changing
    /// requests must come from. Without it the origin must match the request's `Host`.
    pub public_url: Option<String>,
    /// The built PWA that the server serves (see [`crate::web`]).
    pub pwa_dir: PathBuf,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, used or not.
    pub session_absolute: Duration,
    /// The mail server notifications go through (`smtp://host:25`, `smtps://user:pass@host`);
    /// without it they are only recorded and shown in the app.
    pub smtp_url: Option<String>,
    /// The sender of the notifications (`Campo <campo@example.gov.co>`).
    pub smtp_from: Option<String>,
    /// The reverse proxies whose `X-Forwarded-For` tells the client's address; nobody by default.
    pub trusted_proxies: TrustedProxies,
}

impl Config {
    /// True when Campo is reached over HTTPS.
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// Defaults for tests and embedding: SQLite in `data_dir`, port chosen by the caller.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: crate::store::Store::default_url(&data_dir),
            data_dir,
            public_url: None,
            pwa_dir: PathBuf::from(crate::web::DEFAULT_PWA_DIR),
            session_idle: DEFAULT_SESSION_IDLE,
            session_absolute: DEFAULT_SESSION_ABSOLUTE,
            smtp_url: None,
            smtp_from: None,
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

/// Twelve hours: a technician's working day, plus margin, without a new login.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);
/// Seven days: a session never outlives a week, however often it is used.
pub const DEFAULT_SESSION_ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The reverse proxies (addresses or CIDR ranges) allowed to say, in `X-Forwarded-For`, which
/// client they forward (`CAMPO_TRUSTED_PROXIES`). Empty: every request's address is its socket's
/// peer, and the header is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

/// An address range: an address and how many leading bits of it count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl TrustedProxies {
    /// The variable that sets it, named in its errors.
    pub const VARIABLE: &str = "CAMPO_TRUSTED_PROXIES";

    /// Reads a comma-separated list of IP addresses and CIDR ranges (`10.0.0.5, 10.1.0.0/16,
    /// fd00::/8`); an empty text trusts nobody. The error is the Spanish start-up message.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let wrong = || {
                format!(
                    "{}: «{item}» no es una dirección IP ni un rango CIDR. Escriba las \
                     direcciones de los proxies de confianza separadas por comas, por ejemplo \
                     «10.0.0.5, 10.1.0.0/16, fd00::/8», o déjela vacía si Campo no está detrás \
                     de un proxy.",
                    Self::VARIABLE
                )
            };
            let (address, prefix) = match item.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (item, None),
            };
            let network: IpAddr = address.trim().parse().map_err(|_| wrong())?;
            let network = network.to_canonical();
            let bits = if network.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => bits,
                Some(p) => p
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= bits)
                    .ok_or_else(wrong)?,
            };
            ranges.push(IpRange { network, prefix });
        }
        Ok(Self(ranges))
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ranges: Vec<String> = self.0.iter().map(IpRange::to_string).collect();
        f.write_str(&ranges.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let proxies =
            TrustedProxies::parse(" 10.0.0.5, 172.16.0.0/12,fd00::/8 ,::ffff:192.0.2.1").unwrap();
        for trusted in [
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "fd12::1",
            "192.0.2.1",
            "::ffff:10.0.0.5",
        ] {
            assert!(proxies.contains(ip(trusted)), "{trusted}");
        }
        for untrusted in ["10.0.0.6", "172.32.0.1", "fe80::1", "192.0.2.2", "::1"] {
            assert!(!proxies.contains(ip(untrusted)), "{untrusted}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn a_bad_proxy_list_is_explained_in_spanish() {
        for bad in [
            "proxy.local",
            "10.0.0.300",
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/x",
        ] {
            let message = TrustedProxies::parse(&format!("10.0.0.1, {bad}")).unwrap_err();
            assert!(message.starts_with("CAMPO_TRUSTED_PROXIES: «"), "{message}");
            assert!(message.contains(bad), "{message}");
            assert!(message.contains("separadas por comas"), "{message}");
        }
    }
}
