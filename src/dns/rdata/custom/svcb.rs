//! SVCB and HTTPS (RFC 9460), with the SvcParamKeys BIND 9.18 knows.

use super::*;

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

pub(super) fn parse_svcb(
    toks: &[Tok<'_>],
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), RdataError> {
    let prio = leading_number(toks, "a priority", 0xffff)?;
    out.extend_from_slice(&(prio as u16).to_be_bytes());
    let t = toks.get(1).ok_or(RdataError::End("a target name"))?;
    name::parse_append(t.text, Some(origin.wire()), out)
        .map_err(|e| RdataError::name(t.text, e))?;
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
            return Err(format!("bad SvcParam '{}'", lossy(t.text)).into());
        }
        if params.iter().any(|(k2, _)| *k2 == key) {
            return Err(format!("duplicate SvcParamKey '{}'", lossy(k)).into());
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

pub(super) fn write_svcb(rd: &[u8], out: &mut String) -> Option<usize> {
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
