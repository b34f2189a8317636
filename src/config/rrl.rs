//! Response-rate-limiting settings, with BIND's names and defaults: the raw options a layer
//! gives (`RrlOptions`) and the resolved `RrlConfig` the UDP workers run on.

use std::net::IpAddr;

use crate::config::ConfigError;

/// RRL options as one layer gives them (`None`: the layer says nothing); also the `[rrl]`
/// table of the TOML config file, with the same names.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrlOptions {
    pub responses_per_second: Option<u32>,
    pub errors_per_second: Option<u32>,
    pub nxdomains_per_second: Option<u32>,
    pub slip: Option<u32>,
    pub window: Option<u32>,
    pub ipv4_prefix_length: Option<u8>,
    pub ipv6_prefix_length: Option<u8>,
    #[serde(default, with = "exempt_serde")]
    pub exempt: Option<Vec<Prefix>>,
}

impl RrlOptions {
    /// Does this layer say nothing at all?
    pub fn is_empty(&self) -> bool {
        *self == RrlOptions::default()
    }
}

/// `exempt = ["10.0.0.0/8", "::1"]` in the config file.
mod exempt_serde {
    use super::Prefix;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<Prefix>>, s: S) -> Result<S::Ok, S::Error> {
        let texts: Option<Vec<String>> = v
            .as_ref()
            .map(|l| l.iter().map(|p| format!("{}/{}", p.addr, p.len)).collect());
        serde::Serialize::serialize(&texts, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Prefix>>, D::Error> {
        let texts: Option<Vec<String>> = Option::deserialize(d)?;
        texts
            .map(|l| {
                l.iter()
                    .map(|t| t.parse::<Prefix>().map_err(serde::de::Error::custom))
                    .collect()
            })
            .transpose()
    }
}

/// An address prefix (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    /// Does `ip` fall inside this prefix? (An IPv4 prefix never matches an IPv6 address.)
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(p), IpAddr::V4(a)) => {
                mask(u32::from(p) as u128, u32::from(a) as u128, self.len, 32)
            }
            (IpAddr::V6(p), IpAddr::V6(a)) => mask(u128::from(p), u128::from(a), self.len, 128),
            _ => false,
        }
    }
}

fn mask(p: u128, a: u128, len: u8, bits: u8) -> bool {
    let len = len.min(bits);
    if len == 0 {
        return true;
    }
    let shift = (bits - len) as u32;
    (p >> shift) == (a >> shift)
}

impl std::str::FromStr for Prefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|e| format!("bad address {a:?}: {e}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|&n| n <= max)
                .ok_or_else(|| format!("bad prefix length {l:?} (0-{max})"))?,
            None => max,
        };
        Ok(Prefix { addr, len })
    }
}

/// Validated RRL settings. A rate of 0 means "no limit" for that kind of response.
#[derive(Debug, Clone, PartialEq)]
pub struct RrlConfig {
    /// Answers (NOERROR with data, referrals, NODATA) per second per client prefix and name.
    pub responses_per_second: u32,
    /// Error responses (REFUSED, FORMERR, SERVFAIL) per second per client prefix.
    pub errors_per_second: u32,
    /// NXDOMAIN responses per second per client prefix.
    pub nxdomains_per_second: u32,
    /// Every `slip`-th limited response is sent truncated (TC=1, no records); 0: drop all.
    pub slip: u32,
    /// Seconds over which the rate is averaged (debt is capped at `window` seconds of rate).
    pub window: u32,
    pub ipv4_prefix_length: u8,
    pub ipv6_prefix_length: u8,
    /// Clients never limited.
    pub exempt: Vec<Prefix>,
}

impl RrlOptions {
    /// These options over `lower`.
    pub fn over(self, lower: RrlOptions) -> RrlOptions {
        RrlOptions {
            responses_per_second: self.responses_per_second.or(lower.responses_per_second),
            errors_per_second: self.errors_per_second.or(lower.errors_per_second),
            nxdomains_per_second: self.nxdomains_per_second.or(lower.nxdomains_per_second),
            slip: self.slip.or(lower.slip),
            window: self.window.or(lower.window),
            ipv4_prefix_length: self.ipv4_prefix_length.or(lower.ipv4_prefix_length),
            ipv6_prefix_length: self.ipv6_prefix_length.or(lower.ipv6_prefix_length),
            exempt: self.exempt.or(lower.exempt),
        }
    }

    /// RRL is on when a rate is given (BIND: a `rate-limit` block with `responses-per-second`).
    /// Errors and NXDOMAIN budgets default to the responses budget, as in BIND.
    pub fn resolve(self) -> Result<Option<RrlConfig>, ConfigError> {
        let Some(rps) = self
            .responses_per_second
            .or(self.errors_per_second)
            .or(self.nxdomains_per_second)
        else {
            if self.slip.is_some()
                || self.window.is_some()
                || self.ipv4_prefix_length.is_some()
                || self.ipv6_prefix_length.is_some()
                || self.exempt.is_some()
            {
                return Err(ConfigError::RrlWithoutRate);
            }
            return Ok(None);
        };
        let rps = self.responses_per_second.unwrap_or(rps);
        let window = self.window.unwrap_or(15);
        if !(1..=3600).contains(&window) {
            return Err(ConfigError::BadRrl(
                "--rrl-window must be 1 to 3600 seconds",
            ));
        }
        let slip = self.slip.unwrap_or(2);
        if slip > 10 {
            return Err(ConfigError::BadRrl("--rrl-slip must be 0 to 10"));
        }
        let v4 = self.ipv4_prefix_length.unwrap_or(24);
        let v6 = self.ipv6_prefix_length.unwrap_or(56);
        if v4 > 32 || v6 > 128 {
            return Err(ConfigError::BadRrl(
                "--rrl-ipv4-prefix-length must be 0-32 and --rrl-ipv6-prefix-length 0-128",
            ));
        }
        Ok(Some(RrlConfig {
            responses_per_second: rps,
            errors_per_second: self.errors_per_second.unwrap_or(rps),
            nxdomains_per_second: self.nxdomains_per_second.unwrap_or(rps),
            slip,
            window,
            ipv4_prefix_length: v4,
            ipv6_prefix_length: v6,
            exempt: self.exempt.unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_bind_defaults() {
        assert_eq!(RrlOptions::default().resolve().expect("resolves"), None);
        let on = RrlOptions {
            responses_per_second: Some(5),
            ..RrlOptions::default()
        };
        let c = on.resolve().expect("resolves").expect("on");
        assert_eq!((c.errors_per_second, c.nxdomains_per_second), (5, 5));
        assert_eq!((c.slip, c.window), (2, 15));
        assert_eq!((c.ipv4_prefix_length, c.ipv6_prefix_length), (24, 56));
        let stray = RrlOptions {
            slip: Some(3),
            ..RrlOptions::default()
        };
        assert!(matches!(stray.resolve(), Err(ConfigError::RrlWithoutRate)));
    }

    #[test]
    fn prefixes() {
        let p: Prefix = "10.1.0.0/16".parse().expect("prefix");
        assert!(p.contains("10.1.200.3".parse().expect("ip")));
        assert!(!p.contains("10.2.0.1".parse().expect("ip")));
        assert!(!p.contains("::1".parse().expect("ip")));
        let h: Prefix = "::1".parse().expect("prefix");
        assert_eq!(h.len, 128);
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
    }
}
