//! SOA serials: RFC 1982 serial arithmetic, the date-based auto-serial (`YYYYMMDDnn`), and a
//! view of the serial inside an SOA RRset's stored bytes (cut out for comparison, rewritten in
//! place).

use std::time::SystemTime;

use crate::dns::rdata;
use crate::dns::time::civil_from_days;
use crate::zone::Zone;

/// RFC 1982 serial comparison: `a <= b`.
pub fn serial_le(a: u32, b: u32) -> bool {
    a == b || (b.wrapping_sub(a) as i32) > 0
}

/// The next date-based serial (`YYYYMMDDnn`) after `old`, given today's `YYYYMMDD00`
/// (see [`today_base`]).
pub fn next_serial(old: u32, today: u32) -> u32 {
    if serial_le(today, old) {
        old.wrapping_add(1)
    } else {
        today
    }
}

/// Today's (UTC) first date-based serial, `YYYYMMDD00`.
pub fn today_base() -> u32 {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86400)
        .unwrap_or(0) as i64;
    base_of_day(days)
}

/// The first date-based serial (`YYYYMMDD00`) of a day counted from 1970-01-01.
pub fn base_of_day(days: i64) -> u32 {
    let (y, m, d) = civil_from_days(days);
    (y as u32) * 1_000_000 + m * 10_000 + d * 100
}

/// SOA RRset data (`rdlength | rdata`) with the serial cut out.
pub fn soa_without_serial(set: &[u8]) -> (&[u8], &[u8]) {
    match serial_offset(set) {
        Some(p) => (&set[..p], &set[p + 4..]),
        None => (set, &[]),
    }
}

/// Where the serial of the first SOA record starts in `rdlength | mname | rname | serial ...`.
fn serial_offset(set: &[u8]) -> Option<usize> {
    rdata_serial_offset(set.get(2..)?).map(|p| p + 2)
}

/// Where the serial starts in SOA RDATA (after MNAME and RNAME), when it is all there.
fn rdata_serial_offset(rd: &[u8]) -> Option<usize> {
    let mut p = 0;
    for _ in 0..2 {
        p += crate::dns::name::wire_len(rd.get(p..)?)?;
    }
    (p + 4 <= rd.len()).then_some(p)
}

/// The serial field of SOA RDATA (0 when the RDATA is cut short).
pub fn soa_serial(rd: &[u8]) -> u32 {
    rdata_serial_offset(rd)
        .map(|p| u32::from_be_bytes([rd[p], rd[p + 1], rd[p + 2], rd[p + 3]]))
        .unwrap_or(0)
}

/// Rewrites the serial of the zone's SOA (before the zone is prepared for serving).
pub fn set_serial(zone: &mut Zone, serial: u32) {
    let Some(set) = zone
        .nodes
        .first_mut()
        .and_then(|n| n.rrsets.iter_mut().find(|r| r.rtype == rdata::SOA))
    else {
        return;
    };
    let Some(p) = serial_offset(&set.rdata) else {
        return;
    };
    let mut v = set.rdata.to_vec();
    v[p..p + 4].copy_from_slice(&serial.to_be_bytes());
    set.rdata = v.into_boxed_slice();
    zone.serial = serial;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_arithmetic() {
        assert!(serial_le(1, 2));
        assert!(serial_le(2, 2));
        assert!(!serial_le(3, 2));
        assert!(serial_le(u32::MAX, 1));
    }

    #[test]
    fn date_serials() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20415), (2025, 11, 23));
        let t = base_of_day(20415);
        assert_eq!(t, 2025112300);
        assert_eq!(next_serial(t + 5, t), t + 6);
        assert_eq!(next_serial(1, t), t);
    }
}
