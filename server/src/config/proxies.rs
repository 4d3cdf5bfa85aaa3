//! `CAMPO_TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` Campo believes.

use std::fmt;
use std::net::IpAddr;

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
    /// Reads a comma-separated list of IP addresses and CIDR ranges (`10.0.0.5, 10.1.0.0/16,
    /// fd00::/8`); an empty text trusts nobody. The error is the Spanish start-up message, for
    /// [`Config::from_lookup`] to put after the variable's name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let wrong = || {
                format!(
                    "«{item}» no es una dirección IP ni un rango CIDR. Escriba las direcciones \
                     de los proxies de confianza separadas por comas, por ejemplo «10.0.0.5, \
                     10.1.0.0/16, fd00::/8», o déjela vacía si Campo no está detrás de un proxy."
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
