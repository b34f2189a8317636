//! A6 (RFC 2874), HIP (RFC 8005) and ATMA (ATM Forum AF-DANS-0152).

use super::*;

// A6

pub(super) fn parse_a6(
    toks: &[Tok<'_>],
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), RdataError> {
    let plen = leading_number(toks, "a prefix length", 128)?;
    out.push(plen as u8);
    let mut i = 1;
    if plen < 128 {
        let t = toks.get(i).ok_or(RdataError::End("an address suffix"))?;
        let mut a =
            parse_ipv6(t.text).ok_or_else(|| format!("bad IPv6 address '{}'", lossy(t.text)))?;
        let start = (plen / 8) as usize;
        a[start] &= 0xff >> (plen % 8);
        out.extend_from_slice(&a[start..]);
        i += 1;
    }
    if plen > 0 {
        let t = toks.get(i).ok_or(RdataError::End("a prefix name"))?;
        name::parse_append(t.text, Some(origin.wire()), out)
            .map_err(|e| RdataError::name(t.text, e))?;
        i += 1;
    }
    if let Some(t) = toks.get(i) {
        return Err(RdataError::extra(t.text));
    }
    Ok(())
}

pub(super) fn write_a6(rd: &[u8], out: &mut String) -> Option<usize> {
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

// HIP

pub(super) fn parse_hip(
    toks: &[Tok<'_>],
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), RdataError> {
    let t = toks.first().ok_or(RdataError::End("an algorithm"))?;
    let alg = parse_dec(t.text)
        .filter(|&v| v <= 255)
        .ok_or_else(|| format!("bad algorithm '{}'", lossy(t.text)))?;
    let t = toks.get(1).ok_or(RdataError::End("a HIT"))?;
    let mut hit = Vec::new();
    decode_hex_into(t.text, &mut hit).ok_or_else(|| format!("bad HIT '{}'", lossy(t.text)))?;
    if hit.is_empty() || hit.len() > 255 {
        return Err(format!("bad HIT length in '{}'", lossy(t.text)).into());
    }
    let t = toks.get(2).ok_or(RdataError::End("a public key"))?;
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
            .map_err(|e| RdataError::name(t.text, e))?;
    }
    Ok(())
}

pub(super) fn write_hip(rd: &[u8], out: &mut String) -> Option<usize> {
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

// ATMA

/// Digits separated by single dots (no leading, trailing or doubled dot).
fn dotted(t: &[u8], ok: impl Fn(u8) -> bool) -> Option<Vec<u8>> {
    if t.is_empty() || t[0] == b'.' || t[t.len() - 1] == b'.' || t.windows(2).any(|w| w == b"..") {
        return None;
    }
    let v: Vec<u8> = t.iter().copied().filter(|&c| c != b'.').collect();
    v.iter().all(|&c| ok(c)).then_some(v)
}

pub(super) fn parse_atma(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks.first().ok_or(RdataError::End("an ATM address"))?;
    if let Some(tok) = toks.get(1) {
        return Err(RdataError::extra(tok.text));
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

pub(super) fn write_atma(rd: &[u8], out: &mut String) -> Option<usize> {
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
