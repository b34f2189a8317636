//! LOC (RFC 1876): degrees, minutes and seconds, altitude and precisions in meters.

use super::*;

/// Parses `int[.frac]` with at most `places` fraction digits; returns the value scaled by
/// 10^places. At least one digit overall.
fn decimal(t: &[u8], places: u32, allow_neg: bool) -> Option<i64> {
    let (neg, t) = match t.first() {
        Some(b'-') if allow_neg => (true, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = match t.iter().position(|&c| c == b'.') {
        Some(p) => (&t[..p], Some(&t[p + 1..])),
        None => (t, None),
    };
    if int.is_empty() && frac.is_none_or(|f| f.is_empty()) {
        return None;
    }
    let iv = if int.is_empty() {
        0
    } else {
        parse_dec(int)? as i64
    };
    let mut fv = 0i64;
    if let Some(f) = frac {
        if f.len() > places as usize || !f.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for k in 0..places as usize {
            fv = fv * 10 + f.get(k).map_or(0, |c| (c - b'0') as i64);
        }
    }
    let v = iv.checked_mul(10i64.pow(places))?.checked_add(fv)?;
    Some(if neg { -v } else { v })
}

/// One coordinate: `deg [min [sec]] DIR`; returns (thousandths of seconds, is positive dir).
fn loc_coord(
    toks: &[Tok<'_>],
    i: &mut usize,
    max_deg: u64,
    pos: u8,
    neg: u8,
) -> Result<(u32, bool), RdataError> {
    let t = text(toks, *i).ok_or(RdataError::End("degrees"))?;
    let d = parse_dec(t).ok_or_else(|| syntax(t))?;
    if d > max_deg {
        return Err(range(t));
    }
    *i += 1;
    let mut m = 0u64;
    let mut s = 0i64;
    let is_dir = |t: &[u8]| {
        t.len() == 1 && (t[0].eq_ignore_ascii_case(&pos) || t[0].eq_ignore_ascii_case(&neg))
    };
    let mut step = 0;
    loop {
        let t = text(toks, *i).ok_or(RdataError::End("a direction"))?;
        if is_dir(t) {
            *i += 1;
            let positive = t[0].eq_ignore_ascii_case(&pos);
            let total = (d as i64 * 3600 + m as i64 * 60) * 1000 + s;
            return Ok((total as u32, positive));
        }
        match step {
            0 => {
                if !t.first().is_some_and(u8::is_ascii_digit) {
                    return Err(format!("'{}' is not a valid direction", lossy(t)).into());
                }
                m = parse_dec(t).ok_or_else(|| syntax(t))?;
                if m > 59 || (d == max_deg && m > 0) {
                    return Err(range(t));
                }
            }
            1 => {
                s = decimal(t, 3, false).ok_or_else(|| syntax(t))?;
                if s > 59999 || (d == max_deg && s > 0) {
                    return Err(range(t));
                }
            }
            _ => return Err(syntax(t)),
        }
        step += 1;
        *i += 1;
    }
}

/// `[-]m[.cc][m]` in centimetres.
fn loc_meters(t: &[u8], allow_neg: bool) -> Option<i64> {
    let t = t
        .strip_suffix(b"m")
        .or_else(|| t.strip_suffix(b"M"))
        .unwrap_or(t);
    decimal(t, 2, allow_neg)
}

/// Size/precision in BIND's mantissa-exponent byte (truncating).
fn loc_precision(t: &[u8]) -> Result<u8, RdataError> {
    let cm = loc_meters(t, false).ok_or_else(|| syntax(t))?;
    if cm / 100 > 90_000_000 {
        return Err(range(t));
    }
    let m = cm / 100;
    let (man, exp) = if m > 0 {
        let mut exp = 0;
        while exp < 7 && m >= 10i64.pow(exp + 1) {
            exp += 1;
        }
        (m / 10i64.pow(exp), exp as i64 + 2)
    } else if cm >= 10 {
        (cm / 10, 1)
    } else {
        (cm, 0)
    };
    Ok(((man as u8) << 4) | exp as u8)
}

pub(super) fn parse_loc(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let mut i = 0;
    let (lat, north) = loc_coord(toks, &mut i, 90, b'N', b'S')?;
    let (lon, east) = loc_coord(toks, &mut i, 180, b'E', b'W')?;
    let t = text(toks, i).ok_or(RdataError::End("altitude"))?;
    let alt = loc_meters(t, true).ok_or_else(|| syntax(t))?;
    if !(-10_000_000..=4_284_967_295).contains(&alt) {
        return Err(range(t));
    }
    i += 1;
    let mut prec = [0x12u8, 0x16, 0x13];
    for p in prec.iter_mut() {
        match text(toks, i) {
            Some(t) => {
                *p = loc_precision(t)?;
                i += 1;
            }
            None => break,
        }
    }
    if let Some(t) = text(toks, i) {
        return Err(RdataError::extra(t));
    }
    out.push(0);
    out.extend_from_slice(&prec);
    let lat = if north {
        0x8000_0000u32 + lat
    } else {
        0x8000_0000u32 - lat
    };
    let lon = if east {
        0x8000_0000u32 + lon
    } else {
        0x8000_0000u32 - lon
    };
    out.extend_from_slice(&lat.to_be_bytes());
    out.extend_from_slice(&lon.to_be_bytes());
    out.extend_from_slice(&((alt + 10_000_000) as u32).to_be_bytes());
    Ok(())
}

fn loc_size(v: u8, out: &mut String) -> Option<()> {
    let (man, exp) = ((v >> 4) as u64, (v & 15) as u32);
    if man > 9 || exp > 9 {
        return None;
    }
    if exp > 1 {
        push_u64(out, man * 10u64.pow(exp - 2));
    } else {
        out.push_str(&format!("0.{:02}", man * 10u64.pow(exp)));
    }
    out.push('m');
    Some(())
}

pub(super) fn write_loc(rd: &[u8], out: &mut String) -> Option<usize> {
    if rd.len() != 16 || rd[0] != 0 {
        return None;
    }
    let coord = |v: u32, pos: char, neg: char, max: u32| -> Option<String> {
        let (dir, v) = if v >= 0x8000_0000 {
            (pos, v - 0x8000_0000)
        } else {
            (neg, 0x8000_0000 - v)
        };
        let ms = v % 1000;
        let v = v / 1000;
        let (s, m, d) = (v % 60, (v / 60) % 60, v / 3600);
        if d > max {
            return None;
        }
        Some(format!("{d} {m} {s}.{ms:03} {dir}"))
    };
    out.push_str(&coord(get_u32(rd, 4)?, 'N', 'S', 90)?);
    out.push(' ');
    out.push_str(&coord(get_u32(rd, 8)?, 'E', 'W', 180)?);
    let alt = get_u32(rd, 12)? as i64 - 10_000_000;
    out.push_str(&format!(
        " {}{}.{:02}m",
        if alt < 0 { "-" } else { "" },
        alt.abs() / 100,
        alt.abs() % 100
    ));
    for &p in &rd[1..4] {
        out.push(' ');
        loc_size(p, out)?;
    }
    Some(16)
}
