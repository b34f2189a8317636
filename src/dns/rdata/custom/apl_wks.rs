//! APL (RFC 3123) address prefix lists and WKS (RFC 1035 3.4.2) service bitmaps.

use super::*;

// APL

pub(super) fn parse_apl(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
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
            _ => return Err(format!("unsupported address family in '{}'", lossy(t.text)).into()),
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

pub(super) fn write_apl(rd: &[u8], out: &mut String) -> Option<usize> {
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

// WKS

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

pub(super) fn parse_wks(toks: &[Tok<'_>], out: &mut Vec<u8>) -> Result<(), RdataError> {
    let t = toks.first().ok_or(RdataError::End("an IPv4 address"))?;
    let a = parse_ipv4(t.text).ok_or_else(|| format!("bad dotted quad '{}'", lossy(t.text)))?;
    out.extend_from_slice(&a);
    let t = toks.get(1).ok_or(RdataError::End("a protocol"))?;
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

pub(super) fn write_wks(rd: &[u8], out: &mut String) -> Option<usize> {
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
