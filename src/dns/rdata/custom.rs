//! The RDATA layouts too irregular for the field table (LOC, APL, WKS, SVCB/HTTPS, A6, HIP,
//! ATMA): one reader and one printer each, matching BIND 9.18's text forms.

use super::{
    decode_base64_into, decode_hex_into, encode_base64, encode_hex, get_u16, get_u32, lossy,
    parse_dec, parse_ipv4, parse_ipv6, push_u64, unescape_into, RdataError, Tok,
};
use crate::dns::name::{self, Name};

// ------------------------------------------------------------------------------------------
// IPv6 text exactly as BIND's inet_ntop prints it.

/// IPv6 presentation form as ISC's `inet_ntop` prints it (embedded IPv4 for `::a.b.c.d` and
/// `::ffff:a.b.c.d`).
pub fn ipv6_text(a: &[u8; 16]) -> String {
    let mut w = [0u16; 8];
    for i in 0..8 {
        w[i] = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // Longest run of zero words (length >= 2), first on ties.
    let (mut best, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let s = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - s > best_len {
                best = s;
                best_len = i - s;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push(':');
            i += best_len;
            if i == 8 {
                out.push(':');
            }
            continue;
        }
        if i > 0 {
            out.push(':');
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            out.push_str(&format!("{}.{}.{}.{}", a[12], a[13], a[14], a[15]));
            break;
        }
        out.push_str(&format!("{:x}", w[i]));
        i += 1;
    }
    out
}

// ------------------------------------------------------------------------------------------
// LOC (RFC 1876)

fn text<'a>(toks: &'a [Tok<'a>], i: usize) -> Option<&'a [u8]> {
    toks.get(i).map(|t| t.text)
}

fn syntax(t: &[u8]) -> RdataError {
    format!("syntax error near '{}'", lossy(t))
}

fn range(t: &[u8]) -> RdataError {
    format!("'{}' out of range", lossy(t))
}

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
    let t = text(toks, *i).ok_or("unexpected end of input (expected degrees)")?;
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
        let t = text(toks, *i).ok_or("unexpected end of input (expected a direction)")?;
        if is_dir(t) {
            *i += 1;
            let positive = t[0].eq_ignore_ascii_case(&pos);
            let total = (d as i64 * 3600 + m as i64 * 60) * 1000 + s;
            return Ok((total as u32, positive));
        }
        match step {
            0 => {
                if !t.first().is_some_and(u8::is_ascii_digit) {
                    return Err(format!("'{}' is not a valid direction", lossy(t)));
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

pub fn parse_loc(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let mut i = 0;
    let (lat, north) = loc_coord(toks, &mut i, 90, b'N', b'S')?;
    let (lon, east) = loc_coord(toks, &mut i, 180, b'E', b'W')?;
    let t = text(toks, i).ok_or("unexpected end of input (expected altitude)")?;
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
        return Err(format!("extra input text '{}'", lossy(t)));
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

pub fn write_loc(rd: &[u8], out: &mut String) -> Option<usize> {
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

// ------------------------------------------------------------------------------------------
// APL (RFC 3123)

pub fn parse_apl(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    for t in toks {
        let s = t.text;
        let (neg, s) = match s.first() {
            Some(b'!') => (true, &s[1..]),
            _ => (false, s),
        };
        let colon = s
            .iter()
            .position(|&c| c == b':')
            .ok_or_else(|| syntax(t.text))?;
        let afi = parse_dec(&s[..colon]).ok_or_else(|| syntax(t.text))?;
        if afi > 0xffff {
            return Err(range(t.text));
        }
        let rest = &s[colon + 1..];
        let slash = rest
            .iter()
            .position(|&c| c == b'/')
            .filter(|&p| p > 0)
            .ok_or_else(|| syntax(t.text))?;
        let prefix = parse_dec(&rest[slash + 1..])
            .filter(|&p| p <= 255)
            .ok_or_else(|| syntax(t.text))?;
        let addr = &rest[..slash];
        let bytes: Vec<u8> = match afi {
            1 => {
                let a = parse_ipv4(addr)
                    .ok_or_else(|| format!("bad dotted quad '{}'", lossy(t.text)))?;
                if prefix > 32 {
                    return Err(range(t.text));
                }
                a.to_vec()
            }
            2 => {
                let a = parse_ipv6(addr)
                    .ok_or_else(|| format!("bad IPv6 address '{}'", lossy(t.text)))?;
                if prefix > 128 {
                    return Err(range(t.text));
                }
                a.to_vec()
            }
            _ => return Err(format!("unsupported address family in '{}'", lossy(t.text))),
        };
        let mut len = bytes.len();
        while len > 0 && bytes[len - 1] == 0 {
            len -= 1;
        }
        out.extend_from_slice(&(afi as u16).to_be_bytes());
        out.push(prefix as u8);
        out.push(len as u8 | if neg { 0x80 } else { 0 });
        out.extend_from_slice(&bytes[..len]);
    }
    Ok(())
}

pub fn write_apl(rd: &[u8], out: &mut String) -> Option<usize> {
    let mut p = 0;
    let mut first = true;
    while p < rd.len() {
        let afi = get_u16(rd, p)?;
        let prefix = *rd.get(p + 2)?;
        let nl = *rd.get(p + 3)?;
        let len = (nl & 0x7f) as usize;
        let data = rd.get(p + 4..p + 4 + len)?;
        if !first {
            out.push(' ');
        }
        first = false;
        if nl & 0x80 != 0 {
            out.push('!');
        }
        match afi {
            1 if len <= 4 && prefix <= 32 => {
                let mut a = [0u8; 4];
                a[..len].copy_from_slice(data);
                out.push_str(&format!("1:{}.{}.{}.{}", a[0], a[1], a[2], a[3]));
            }
            2 if len <= 16 && prefix <= 128 => {
                let mut a = [0u8; 16];
                a[..len].copy_from_slice(data);
                out.push_str("2:");
                out.push_str(&ipv6_text(&a));
            }
            _ => return None,
        }
        out.push('/');
        push_u64(out, prefix as u64);
        p += 4 + len;
    }
    Some(rd.len())
}

// ------------------------------------------------------------------------------------------
// WKS (RFC 1035 3.4.2)

const PROTOCOLS: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("udp", 17),
    ("ipv6-icmp", 58),
];

/// The service names of a typical /etc/services that zone files use with WKS.
const SERVICES: &[(&str, u16)] = &[
    ("tcpmux", 1),
    ("echo", 7),
    ("discard", 9),
    ("systat", 11),
    ("daytime", 13),
    ("netstat", 15),
    ("qotd", 17),
    ("chargen", 19),
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("time", 37),
    ("whois", 43),
    ("tacacs", 49),
    ("domain", 53),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
];

pub fn parse_wks(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks
        .first()
        .ok_or("unexpected end of input (expected an IPv4 address)")?;
    let a = parse_ipv4(t.text).ok_or_else(|| format!("bad dotted quad '{}'", lossy(t.text)))?;
    out.extend_from_slice(&a);
    let t = toks
        .get(1)
        .ok_or("unexpected end of input (expected a protocol)")?;
    let proto = match parse_dec(t.text) {
        Some(v) if v <= 255 => v as u8,
        Some(_) => return Err(range(t.text)),
        None => PROTOCOLS
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(t.text))
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown protocol '{}'", lossy(t.text)))?,
    };
    out.push(proto);
    let mut bits = vec![0u8; 8192];
    let mut max: Option<usize> = None;
    for t in &toks[2..] {
        let port = match parse_dec(t.text) {
            Some(v) if v <= 65535 => v as usize,
            Some(_) => return Err(range(t.text)),
            None => SERVICES
                .iter()
                .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(t.text))
                .map(|(_, v)| *v as usize)
                .ok_or_else(|| format!("unknown service '{}'", lossy(t.text)))?,
        };
        bits[port / 8] |= 0x80 >> (port % 8);
        max = max.max(Some(port / 8));
    }
    if let Some(m) = max {
        out.extend_from_slice(&bits[..=m]);
    }
    Ok(())
}

pub fn write_wks(rd: &[u8], out: &mut String) -> Option<usize> {
    let a = rd.get(..4)?;
    out.push_str(&format!("{}.{}.{}.{} ", a[0], a[1], a[2], a[3]));
    push_u64(out, *rd.get(4)? as u64);
    for (j, &b) in rd[5..].iter().enumerate() {
        for k in 0..8 {
            if b & (0x80 >> k) != 0 {
                out.push(' ');
                push_u64(out, (j * 8 + k) as u64);
            }
        }
    }
    Some(rd.len())
}

// ------------------------------------------------------------------------------------------
// SVCB and HTTPS (RFC 9460), with the keys BIND 9.18 knows.

#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Keylist,
    Alpn,
    Empty,
    Port,
    Ip4s,
    B64,
    Ip6s,
    Text,
    DohPath,
}

const SVC_KEYS: &[(&str, u16, Enc)] = &[
    ("mandatory", 0, Enc::Keylist),
    ("alpn", 1, Enc::Alpn),
    ("no-default-alpn", 2, Enc::Empty),
    ("port", 3, Enc::Port),
    ("ipv4hint", 4, Enc::Ip4s),
    ("ech", 5, Enc::B64),
    ("ipv6hint", 6, Enc::Ip6s),
    ("dohpath", 7, Enc::DohPath),
];

/// Keys BIND 9.18 reads by name but prints as `keyNNNNN`.
fn svc_key_printed_by_name(key: u16) -> bool {
    key <= 6
}

/// A DoH URI template (RFC 9461): starts with `/` and has a `dns` variable.
fn dohpath_ok(v: &[u8]) -> bool {
    if v.first() != Some(&b'/') || std::str::from_utf8(v).is_err() {
        return false;
    }
    let mut rest = v;
    let mut found = false;
    while let Some(open) = rest.iter().position(|&c| c == b'{') {
        let Some(close) = rest[open..].iter().position(|&c| c == b'}') else {
            return false;
        };
        let mut expr = &rest[open + 1..open + close];
        if expr.first().is_some_and(|c| b"+#./;?&".contains(c)) {
            expr = &expr[1..];
        }
        for var in expr.split(|&c| c == b',') {
            let (name, modifier) = match var.iter().position(|&c| c == b':' || c == b'*') {
                Some(p) => (&var[..p], &var[p..]),
                None => (var, &[][..]),
            };
            if !template_text_ok(name) {
                return false;
            }
            // `:N` prefix length: 1-9999 without leading zeros; `*` explode.
            match modifier {
                [] | [b'*'] => {}
                [b':', d @ ..] => {
                    if d.is_empty()
                        || d.len() > 4
                        || d[0] == b'0'
                        || !d.iter().all(u8::is_ascii_digit)
                    {
                        return false;
                    }
                }
                _ => return false,
            }
            found |= name == b"dns";
        }
        if !template_text_ok(&rest[..open]) {
            return false;
        }
        rest = &rest[open + close + 1..];
    }
    found && template_text_ok(rest)
}

/// Percent signs must start `%XX` escapes.
fn template_text_ok(t: &[u8]) -> bool {
    let mut i = 0;
    while i < t.len() {
        if t[i] == b'%' {
            if !(t.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && t.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn svc_enc(key: u16) -> Enc {
    SVC_KEYS
        .iter()
        .find(|k| k.1 == key)
        .map_or(Enc::Text, |k| k.2)
}

/// A key name: a known name or `keyNNNNN` (no leading zeros).
fn svc_key(t: &[u8]) -> Option<u16> {
    if let Some(k) = SVC_KEYS.iter().find(|k| k.0.as_bytes() == t) {
        return Some(k.1);
    }
    let digits = t.strip_prefix(b"key")?;
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    parse_dec(digits).filter(|&v| v <= 0xffff).map(|v| v as u16)
}

/// Splits a value-list on unescaped commas, removing the list-level `\` escapes.
fn split_commas(v: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut items = vec![Vec::new()];
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'\\' => {
                items.last_mut()?.push(*v.get(i + 1)?);
                i += 2;
            }
            b',' => {
                items.push(Vec::new());
                i += 1;
            }
            c => {
                items.last_mut()?.push(c);
                i += 1;
            }
        }
    }
    Some(items)
}

fn svc_value(key: u16, val: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let enc = svc_enc(key);
    let mut raw = Vec::new();
    unescape_into(val, &mut raw).ok_or("bad escape")?;
    match enc {
        Enc::Text | Enc::DohPath => out.extend_from_slice(&raw),
        Enc::Alpn => {
            for item in split_commas(&raw).ok_or("bad escape")? {
                if item.is_empty() || item.len() > 255 {
                    return Err("bad alpn value".into());
                }
                out.push(item.len() as u8);
                out.extend_from_slice(&item);
            }
        }
        Enc::Empty => {
            if !raw.is_empty() {
                return Err("no-default-alpn takes no value".into());
            }
        }
        Enc::Port => {
            let v = parse_dec(&raw).filter(|&v| v <= 0xffff).ok_or("bad port")?;
            out.extend_from_slice(&(v as u16).to_be_bytes());
        }
        Enc::Ip4s => {
            for a in raw.split(|&c| c == b',') {
                out.extend_from_slice(&parse_ipv4(a).ok_or("bad ipv4hint")?);
            }
        }
        Enc::Ip6s => {
            for a in raw.split(|&c| c == b',') {
                out.extend_from_slice(&parse_ipv6(a).ok_or("bad ipv6hint")?);
            }
        }
        Enc::B64 => decode_base64_into(&raw, out).ok_or("bad base64")?,
        Enc::Keylist => {
            if raw.is_empty() {
                return Err("empty mandatory list".into());
            }
            let mut keys = Vec::new();
            for k in raw.split(|&c| c == b',') {
                keys.push(svc_key(k).ok_or("bad key in mandatory list")?);
            }
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                return Err("duplicate key in mandatory list".into());
            }
            if keys.contains(&0) {
                return Err("mandatory lists itself".into());
            }
            for k in keys {
                out.extend_from_slice(&k.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// Checks a value as BIND's svcb_validate does for the keys it knows.
fn svc_valid(key: u16, v: &[u8]) -> bool {
    match svc_enc(key) {
        Enc::Port => v.len() == 2,
        Enc::Ip4s => !v.is_empty() && v.len().is_multiple_of(4),
        Enc::Ip6s => !v.is_empty() && v.len().is_multiple_of(16),
        Enc::Alpn => {
            let mut p = 0;
            if v.is_empty() {
                return false;
            }
            while p < v.len() {
                let l = v[p] as usize;
                if l == 0 || p + 1 + l > v.len() {
                    return false;
                }
                p += 1 + l;
            }
            true
        }
        Enc::Keylist => {
            !v.is_empty()
                && v.len().is_multiple_of(2)
                && v.chunks(2).zip(v.chunks(2).skip(1)).all(|(a, b)| a < b)
        }
        Enc::Empty => v.is_empty(),
        Enc::DohPath => dohpath_ok(v),
        Enc::Text | Enc::B64 => true,
    }
}

pub fn parse_svcb(toks: &[Tok<'_>], origin: &Name, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks
        .first()
        .ok_or("unexpected end of input (expected a priority)")?;
    let prio = parse_dec(t.text).ok_or_else(|| format!("bad number '{}'", lossy(t.text)))?;
    if prio > 0xffff {
        return Err(range(t.text));
    }
    out.extend_from_slice(&(prio as u16).to_be_bytes());
    let t = toks
        .get(1)
        .ok_or("unexpected end of input (expected a target name)")?;
    name::parse_append(t.text, Some(origin.wire()), out)
        .map_err(|e| format!("bad name '{}': {e}", lossy(t.text)))?;
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut i = 2;
    while i < toks.len() {
        let t = toks[i];
        i += 1;
        let (k, v): (&[u8], Option<&[u8]>) = match t.text.iter().position(|&c| c == b'=') {
            Some(p) if !t.quoted => {
                let k = &t.text[..p];
                let v = &t.text[p + 1..];
                // `key="quoted value"`: the lexer split the quoted part off.
                if v.is_empty() && toks.get(i).is_some_and(|n| n.quoted) {
                    i += 1;
                    (k, Some(toks[i - 1].text))
                } else {
                    (k, Some(v))
                }
            }
            _ => (t.text, None),
        };
        let key = svc_key(k).ok_or_else(|| format!("bad SvcParamKey '{}'", lossy(t.text)))?;
        let mut val = Vec::new();
        if let Some(v) = v {
            svc_value(key, v, &mut val)
                .map_err(|e| format!("bad SvcParam '{}': {e}", lossy(t.text)))?;
        }
        if !svc_valid(key, &val) {
            return Err(format!("bad SvcParam '{}'", lossy(t.text)));
        }
        if params.iter().any(|(k2, _)| *k2 == key) {
            return Err(format!("duplicate SvcParamKey '{}'", lossy(k)));
        }
        params.push((key, val));
    }
    params.sort_by_key(|p| p.0);
    check_svc_params(&params).map_err(|e| e.to_string())?;
    for (k, v) in params {
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(&v);
    }
    Ok(())
}

/// Mandatory keys present, `no-default-alpn` only with `alpn`.
fn check_svc_params(params: &[(u16, Vec<u8>)]) -> Result<(), &'static str> {
    let has = |k: u16| params.iter().any(|p| p.0 == k);
    if has(2) && !has(1) {
        return Err("no-default-alpn without alpn");
    }
    if let Some((_, m)) = params.iter().find(|p| p.0 == 0) {
        for k in m.chunks(2) {
            let k = u16::from_be_bytes([k[0], *k.get(1).unwrap_or(&0)]);
            if !has(k) {
                return Err("a mandatory key is missing");
            }
        }
    }
    Ok(())
}

fn svc_key_name(key: u16, out: &mut String) {
    match SVC_KEYS
        .iter()
        .find(|k| k.1 == key && svc_key_printed_by_name(key))
    {
        Some(k) => out.push_str(k.0),
        None => {
            out.push_str("key");
            push_u64(out, key as u64);
        }
    }
}

pub fn write_svcb(rd: &[u8], out: &mut String) -> Option<usize> {
    push_u64(out, get_u16(rd, 0)? as u64);
    out.push(' ');
    let l = name::wire_len(rd.get(2..)?)?;
    name::write_name(&rd[2..2 + l], out);
    let mut p = 2 + l;
    let mut params = Vec::new();
    let mut last: Option<u16> = None;
    while p < rd.len() {
        let key = get_u16(rd, p)?;
        let len = get_u16(rd, p + 2)? as usize;
        let v = rd.get(p + 4..p + 4 + len)?;
        if last.is_some_and(|l| key <= l) || !svc_valid(key, v) {
            return None;
        }
        last = Some(key);
        params.push((key, v.to_vec()));
        p += 4 + len;
    }
    check_svc_params(&params).ok()?;
    for (key, v) in params {
        out.push(' ');
        svc_key_name(key, out);
        if v.is_empty() {
            continue;
        }
        let enc = if svc_key_printed_by_name(key) {
            svc_enc(key)
        } else {
            Enc::Text
        };
        if enc != Enc::Empty {
            out.push('=');
        }
        match enc {
            Enc::Text | Enc::DohPath => {
                out.push('"');
                for &c in &v {
                    svc_char(c, false, out);
                }
                out.push('"');
            }
            Enc::Port => push_u64(out, get_u16(&v, 0)? as u64),
            Enc::Ip4s => {
                for (k, a) in v.chunks(4).enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]));
                }
            }
            Enc::Ip6s => {
                for (k, a) in v.chunks(16).enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push_str(&ipv6_text(a.try_into().ok()?));
                }
            }
            Enc::B64 => encode_base64(&v, out),
            Enc::Alpn => {
                out.push('"');
                let mut q = 0;
                let mut first = true;
                while q < v.len() {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    let l = v[q] as usize;
                    for &c in v.get(q + 1..q + 1 + l)? {
                        svc_char(c, true, out);
                    }
                    q += 1 + l;
                }
                out.push('"');
            }
            Enc::Empty => {}
            Enc::Keylist => {
                for (k, c) in v.chunks(2).enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    svc_key_name(u16::from_be_bytes([c[0], c[1]]), out);
                }
            }
        }
    }
    Some(rd.len())
}

/// One byte of a quoted SvcParam value; in value lists `,` and `\` get a second escape level.
fn svc_char(c: u8, list: bool, out: &mut String) {
    if list && (c == b',' || c == b'\\') {
        out.push_str("\\\\");
        if c == b'\\' {
            out.push_str("\\\\");
        } else {
            out.push(',');
        }
        return;
    }
    // Value lists (alpn) escape blanks too; other values keep them inside the quotes.
    let first_plain = if list { 0x21 } else { 0x20 };
    if c == b'"' || c == b'\\' {
        out.push('\\');
        out.push(c as char);
    } else if (first_plain..=0x7e).contains(&c) {
        out.push(c as char);
    } else {
        name::push_ddd(out, c);
    }
}

// ------------------------------------------------------------------------------------------
// A6 (RFC 2874)

pub fn parse_a6(toks: &[Tok<'_>], origin: &Name, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks
        .first()
        .ok_or("unexpected end of input (expected a prefix length)")?;
    let plen = parse_dec(t.text).ok_or_else(|| format!("bad number '{}'", lossy(t.text)))?;
    if plen > 128 {
        return Err(range(t.text));
    }
    out.push(plen as u8);
    let mut i = 1;
    if plen < 128 {
        let t = toks
            .get(i)
            .ok_or("unexpected end of input (expected an address suffix)")?;
        let mut a =
            parse_ipv6(t.text).ok_or_else(|| format!("bad IPv6 address '{}'", lossy(t.text)))?;
        let start = (plen / 8) as usize;
        a[start] &= 0xff >> (plen % 8);
        out.extend_from_slice(&a[start..]);
        i += 1;
    }
    if plen > 0 {
        let t = toks
            .get(i)
            .ok_or("unexpected end of input (expected a prefix name)")?;
        name::parse_append(t.text, Some(origin.wire()), out)
            .map_err(|e| format!("bad name '{}': {e}", lossy(t.text)))?;
        i += 1;
    }
    if let Some(t) = toks.get(i) {
        return Err(format!("extra input text '{}'", lossy(t.text)));
    }
    Ok(())
}

pub fn write_a6(rd: &[u8], out: &mut String) -> Option<usize> {
    let plen = *rd.first()? as usize;
    if plen > 128 {
        return None;
    }
    push_u64(out, plen as u64);
    let start = plen / 8;
    let mut p = 1;
    if plen < 128 {
        let mut a = [0u8; 16];
        a[start..].copy_from_slice(rd.get(1..1 + 16 - start)?);
        out.push(' ');
        out.push_str(&ipv6_text(&a));
        p += 16 - start;
    } else {
        out.push(' ');
    }
    if plen > 0 {
        let l = name::wire_len(rd.get(p..)?)?;
        out.push(' ');
        name::write_name(&rd[p..p + l], out);
        p += l;
    }
    Some(p)
}

// ------------------------------------------------------------------------------------------
// HIP (RFC 8005)

pub fn parse_hip(toks: &[Tok<'_>], origin: &Name, out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks
        .first()
        .ok_or("unexpected end of input (expected an algorithm)")?;
    let alg = parse_dec(t.text)
        .filter(|&v| v <= 255)
        .ok_or_else(|| format!("bad algorithm '{}'", lossy(t.text)))?;
    let t = toks
        .get(1)
        .ok_or("unexpected end of input (expected a HIT)")?;
    let mut hit = Vec::new();
    decode_hex_into(t.text, &mut hit).ok_or_else(|| format!("bad HIT '{}'", lossy(t.text)))?;
    if hit.is_empty() || hit.len() > 255 {
        return Err(format!("bad HIT length in '{}'", lossy(t.text)));
    }
    let t = toks
        .get(2)
        .ok_or("unexpected end of input (expected a public key)")?;
    let mut pk = Vec::new();
    decode_base64_into(t.text, &mut pk).ok_or_else(|| format!("bad base64 '{}'", lossy(t.text)))?;
    if pk.len() > 0xffff {
        return Err("public key too long".into());
    }
    out.push(hit.len() as u8);
    out.push(alg as u8);
    out.extend_from_slice(&(pk.len() as u16).to_be_bytes());
    out.extend_from_slice(&hit);
    out.extend_from_slice(&pk);
    for t in &toks[3..] {
        name::parse_append(t.text, Some(origin.wire()), out)
            .map_err(|e| format!("bad name '{}': {e}", lossy(t.text)))?;
    }
    Ok(())
}

pub fn write_hip(rd: &[u8], out: &mut String) -> Option<usize> {
    let hl = *rd.first()? as usize;
    let alg = *rd.get(1)?;
    let pl = get_u16(rd, 2)? as usize;
    let hit = rd.get(4..4 + hl)?;
    let pk = rd.get(4 + hl..4 + hl + pl)?;
    if hl == 0 {
        return None;
    }
    push_u64(out, alg as u64);
    out.push(' ');
    encode_hex(hit, false, out);
    out.push(' ');
    encode_base64(pk, out);
    let mut p = 4 + hl + pl;
    while p < rd.len() {
        let l = name::wire_len(&rd[p..])?;
        out.push(' ');
        name::write_name(&rd[p..p + l], out);
        p += l;
    }
    Some(p)
}

// ------------------------------------------------------------------------------------------
// ATMA (ATM Forum AF-DANS-0152)

/// Digits separated by single dots (no leading, trailing or doubled dot).
fn dotted(t: &[u8], ok: impl Fn(u8) -> bool) -> Option<Vec<u8>> {
    if t.is_empty() || t[0] == b'.' || t[t.len() - 1] == b'.' || t.windows(2).any(|w| w == b"..") {
        return None;
    }
    let v: Vec<u8> = t.iter().copied().filter(|&c| c != b'.').collect();
    v.iter().all(|&c| ok(c)).then_some(v)
}

pub fn parse_atma(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks
        .first()
        .ok_or("unexpected end of input (expected an ATM address)")?;
    if let Some(tok) = toks.get(1) {
        return Err(format!("extra input text '{}'", lossy(tok.text)));
    }
    if let Some(e164) = t.text.strip_prefix(b"+") {
        let d = dotted(e164, |c| c.is_ascii_digit()).ok_or_else(|| syntax(t.text))?;
        out.push(1);
        out.extend_from_slice(&d);
    } else {
        let d = dotted(t.text, |c| c.is_ascii_hexdigit()).ok_or_else(|| syntax(t.text))?;
        out.push(0);
        decode_hex_into(&d, out)
            .ok_or_else(|| format!("unexpected end of input in '{}'", lossy(t.text)))?;
    }
    Ok(())
}

pub fn write_atma(rd: &[u8], out: &mut String) -> Option<usize> {
    match *rd.first()? {
        0 => {
            for b in &rd[1..] {
                out.push_str(&format!("{b:02x}"));
            }
        }
        1 => {
            if !rd[1..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            out.push('+');
            out.push_str(std::str::from_utf8(&rd[1..]).ok()?);
        }
        _ => return None,
    }
    Some(rd.len())
}
