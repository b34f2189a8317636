//! Calendar arithmetic on the proleptic Gregorian calendar (Howard Hinnant's algorithms), and
//! the RRSIG/SIG time fields built on it: `YYYYMMDDHHMMSS` read and printed in the epoch
//! closest to now, as BIND does.

use crate::dns::rdata::parse_dec;

/// The date (year, month 1-12, day 1-31) `days` days after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1970-01-01 to the date (year, month 1-12, day 1-31): the inverse of
/// [`civil_from_days`].
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (m as i64, d as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Parses an RRSIG time: 14 digits `YYYYMMDDHHMMSS` (reduced modulo 2^32) or up to 10 digits
/// of seconds.
pub(crate) fn parse_time(t: &[u8]) -> Option<u32> {
    if t.len() <= 10 {
        return parse_dec(t).and_then(|v| u32::try_from(v).ok());
    }
    if t.len() != 14 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |a: usize, b: usize| parse_dec(&t[a..b]).unwrap_or(0);
    let (y, mo, d) = (n(0, 4) as i64, n(4, 6) as u32, n(6, 8) as u32);
    let (h, mi, s) = (n(8, 10) as i64, n(10, 12) as i64, n(12, 14) as i64);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    Some(secs as u64 as u32)
}

/// Prints a 32-bit time as `YYYYMMDDHHMMSS` in the epoch closest to now (BIND's rule).
pub(crate) fn write_time(v: u32, out: &mut String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // The instant congruent to `v` modulo 2^32 that lies within 2^31 seconds of now.
    let mut t = v as i64;
    while t >= now + 0x8000_0000 {
        t -= 1 << 32;
    }
    while t < now - 0x8000_0000 {
        t += 1 << 32;
    }
    let (y, mo, d) = civil_from_days(t.div_euclid(86400));
    let r = t.rem_euclid(86400);
    out.push_str(&format!(
        "{y:04}{mo:02}{d:02}{:02}{:02}{:02}",
        r / 3600,
        r / 60 % 60,
        r % 60
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20415), (2025, 11, 23));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn rrsig_times() {
        assert_eq!(parse_time(b"20000101000000"), Some(946684800));
        assert_eq!(parse_time(b"20000230000000"), None);
        assert_eq!(parse_time(b"1234"), Some(1234));
    }
}
