//! Bounds on what one zone read may take (records, bytes, `$GENERATE` output, RRset size) and
//! how long a vanished zone file is waited for before its zone is withdrawn: the flags as a
//! layer gives them (`LimitOptions`) and their resolved form in `SourceConfig`.

use std::time::Duration;

use crate::config::ConfigError;
use crate::zonefile::Limits;

/// Default wait for a vanished zone file to come back (editors that rename the old file away
/// and write a new one, `rm` + `cp`) before its zone is withdrawn.
pub const DEFAULT_WITHDRAW_GRACE: Duration = Duration::from_secs(2);

/// The zone-read bounds one layer gives (`None`: the layer says nothing); also the `[limits]`
/// table of the TOML config file, with the same names.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, clap::Args, serde::Serialize, serde::Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct LimitOptions {
    /// Withdraw a zone whose file vanished only after it stayed absent this long [default: 2000]
    #[arg(long, value_name = "MS", help_heading = "Zone limits")]
    pub withdraw_grace_ms: Option<u64>,
    /// Most records in one zone; a zone over it is rejected (its last good version is kept) [default: 10000000]
    #[arg(long, value_name = "N", help_heading = "Zone limits")]
    pub max_zone_records: Option<u64>,
    /// Most bytes of zone text read for one zone, includes counted [default: 4294967296]
    #[arg(long, value_name = "BYTES", help_heading = "Zone limits")]
    pub max_zone_bytes: Option<u64>,
    /// Most records all $GENERATE lines of one zone make together [default: 10000000]
    #[arg(long, value_name = "N", help_heading = "Zone limits")]
    pub max_generate_records: Option<u64>,
    /// Most records in one RRset (at most 65535) [default: 4000, about what one 64 KiB message carries]
    #[arg(long, value_name = "N", help_heading = "Zone limits")]
    pub max_rrset_records: Option<u32>,
}

impl LimitOptions {
    /// Does this layer say nothing at all?
    pub fn is_empty(&self) -> bool {
        *self == LimitOptions::default()
    }

    /// These options over `lower` (a layer of less precedence).
    pub fn over(self, lower: LimitOptions) -> LimitOptions {
        LimitOptions {
            withdraw_grace_ms: self.withdraw_grace_ms.or(lower.withdraw_grace_ms),
            max_zone_records: self.max_zone_records.or(lower.max_zone_records),
            max_zone_bytes: self.max_zone_bytes.or(lower.max_zone_bytes),
            max_generate_records: self.max_generate_records.or(lower.max_generate_records),
            max_rrset_records: self.max_rrset_records.or(lower.max_rrset_records),
        }
    }

    /// The limits and the withdraw grace, defaults filled in.
    pub fn resolve(self) -> Result<(Limits, Duration), ConfigError> {
        let d = Limits::default();
        let positive = |v: Option<u64>, default: u64, flag: &'static str| match v {
            Some(0) => Err(ConfigError::ZeroLimit(flag)),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let max_rrset = match self.max_rrset_records {
            Some(0) => return Err(ConfigError::ZeroLimit("--max-rrset-records")),
            Some(n) if n > u16::MAX as u32 => {
                return Err(ConfigError::ZeroLimit(
                    "--max-rrset-records (at most 65535)",
                ))
            }
            Some(n) => n,
            None => d.max_rrset,
        };
        let limits = Limits {
            max_records: positive(self.max_zone_records, d.max_records, "--max-zone-records")?,
            max_zone_bytes: positive(self.max_zone_bytes, d.max_zone_bytes, "--max-zone-bytes")?,
            max_generate: positive(
                self.max_generate_records,
                d.max_generate,
                "--max-generate-records",
            )?,
            max_rrset,
            ..d
        };
        let grace = self
            .withdraw_grace_ms
            .map_or(DEFAULT_WITHDRAW_GRACE, Duration::from_millis);
        Ok((limits, grace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_precedence_and_bad_values() {
        let (l, g) = LimitOptions::default().resolve().expect("defaults");
        assert_eq!(l, Limits::default());
        assert_eq!(l.max_records, 10_000_000);
        assert_eq!(g, Duration::from_secs(2));
        let cli = LimitOptions {
            max_zone_records: Some(5),
            ..LimitOptions::default()
        };
        let file = LimitOptions {
            max_zone_records: Some(7),
            withdraw_grace_ms: Some(0),
            ..LimitOptions::default()
        };
        let (l, g) = cli.over(file).resolve().expect("resolves");
        assert_eq!((l.max_records, g), (5, Duration::ZERO));
        for bad in [
            LimitOptions {
                max_rrset_records: Some(70_000),
                ..LimitOptions::default()
            },
            LimitOptions {
                max_zone_bytes: Some(0),
                ..LimitOptions::default()
            },
        ] {
            assert!(matches!(bad.resolve(), Err(ConfigError::ZeroLimit(_))));
        }
    }
}
