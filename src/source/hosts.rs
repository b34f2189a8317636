//! `/etc/hosts`-format files as a zone source (`hosts_file = "..."` on a TOML `[[zone]]`):
//! `192.168.1.5 lhslave01.lihui.hadoop lhslave01` gives A (or AAAA) records for both names,
//! short names qualified with the zone. With a zone `file` too, the hosts records are added to
//! the file's; without one, SOA and NS come from `[ptr_template]`. The hosts file is one of
//! the zone's files, so it is watched and reloaded like a zone file or an `$INCLUDE`.
//!
//! Rules: `#` starts a comment; loopback, unspecified and multicast addresses are skipped (the
//! `localhost` lines every /etc/hosts has); a name outside the zone, a bad address or a bad
//! name is skipped with a `path:line` warning. The TTL is the zone's SOA TTL.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::config::file::PtrTemplate;
use crate::dns::name::Name;
use crate::dns::rdata;
use crate::source::loader::{LoadError, Loaded};
use crate::source::parallel::LoadResult;
use crate::source::stamp::stamp_at;
use crate::zone::{synth, Zone};
use crate::zonefile::{Diag, Record};

/// The hosts files the config names, by zone, and the template for zones without a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostsSpec {
    pub files: BTreeMap<Name, PathBuf>,
    pub template: Option<PtrTemplate>,
}

/// Reads the zone `(path, origin)` with `read_file` (the zone file's reader), adding the
/// hosts file the zone has, if any; a zone whose listed file is its hosts file has no zone
/// file (SOA and NS from the template).
pub(super) fn read(
    path: &Path,
    origin: &Name,
    spec: &HostsSpec,
    read_file: impl FnOnce(&Path, &Name) -> LoadResult,
) -> LoadResult {
    let taken = SystemTime::now();
    let hosts = spec.files.get(origin);
    if hosts.map(PathBuf::as_path) == Some(path) {
        let before = stamp_at(path, taken);
        let r = hosts_only_zone(origin, spec.template.as_ref(), path);
        return (vec![(path.to_path_buf(), before)], r);
    }
    let (mut read, result) = read_file(path, origin);
    let result = match (result, hosts) {
        (Ok(l), Some(h)) => {
            read.push((h.clone(), stamp_at(h, taken)));
            with_hosts(l.zone, l.warnings, h)
        }
        (r, _) => r,
    };
    (read, result)
}

/// `zone` with the records of the hosts file `path` added.
fn with_hosts(zone: Zone, mut warnings: Vec<Diag>, path: &Path) -> Result<Loaded, LoadError> {
    let ttl = zone.soa().map_or(86400, |s| s.ttl);
    let file = zone.files.len() as u16;
    let records = read_hosts(path, &zone.origin, ttl, file, &mut warnings)?;
    let built = synth::extended(&zone, records, &[path.to_path_buf()])
        .map_err(|e| load_error(&zone.origin, path, e.errors))?;
    Ok(Loaded {
        zone: built,
        warnings,
    })
}

/// Reads the hosts file `path` into records (see [`parse_hosts`]).
fn read_hosts(
    path: &Path,
    origin: &Name,
    ttl: u32,
    file: u16,
    warnings: &mut Vec<Diag>,
) -> Result<Vec<Record>, LoadError> {
    let text = std::fs::read(path)
        .map_err(|e| file_error(origin, path, format!("failed to read hosts file: {e}")))?;
    Ok(parse_hosts(&text, origin, ttl, file, path, warnings))
}

/// A load error about the file as a whole (no line).
fn file_error(origin: &Name, path: &Path, message: String) -> LoadError {
    let diag = Diag {
        path: path.to_path_buf(),
        line: 0,
        message,
    };
    load_error(origin, path, vec![diag])
}

fn load_error(origin: &Name, path: &Path, errors: Vec<Diag>) -> LoadError {
    LoadError {
        origin: origin.clone(),
        path: path.to_path_buf(),
        errors,
        suppressed: 0,
        transient: false,
    }
}

/// The records of a hosts file for the zone `origin` (file index `file` for their lines).
pub fn parse_hosts(
    text: &[u8],
    origin: &Name,
    ttl: u32,
    file: u16,
    path: &Path,
    warnings: &mut Vec<Diag>,
) -> Vec<Record> {
    let mut out = Vec::new();
    let text = String::from_utf8_lossy(text);
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let mut warn = |message: String| {
            warnings.push(Diag {
                path: path.to_path_buf(),
                line: line_no,
                message,
            })
        };
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        let Ok(ip) = addr.parse::<IpAddr>() else {
            warn(format!("bad address {addr:?}: line ignored"));
            continue;
        };
        if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() {
            continue;
        }
        let (rtype, rd): (u16, Box<[u8]>) = match ip {
            IpAddr::V4(a) => (rdata::A, a.octets().into()),
            IpAddr::V6(a) => (rdata::AAAA, a.octets().into()),
        };
        for n in fields {
            let parsed = if n.contains('.') {
                Name::from_ascii(n.trim_end_matches('.'))
            } else {
                Name::parse(n.as_bytes(), Some(origin))
            };
            let name = match parsed {
                Ok(name) => name,
                Err(e) => {
                    warn(format!("bad name {n:?}: {e}"));
                    continue;
                }
            };
            if !name.is_subdomain_of(origin) {
                warn(format!("{name} is outside zone {origin}: ignored"));
                continue;
            }
            out.push(Record {
                owner: name,
                ttl,
                class: 1,
                rtype,
                rdata: rd.clone(),
                file,
                line: line_no,
            });
        }
    }
    out
}

/// A zone fed only by the hosts file `path`: the SOA and NS of `[ptr_template]`, then the
/// hosts records.
fn hosts_only_zone(
    origin: &Name,
    template: Option<&PtrTemplate>,
    path: &Path,
) -> Result<Loaded, LoadError> {
    let t = template.ok_or_else(|| {
        file_error(
            origin,
            path,
            "a zone with a hosts_file and no file takes its SOA and NS from [ptr_template], which is missing".to_string(),
        )
    })?;
    let mut text = format!("$TTL {}\n@ IN SOA {}\n", t.ttl, t.soa);
    for ns in &t.ns {
        text.push_str(&format!("@ IN NS {ns}\n"));
    }
    let mut parsed = crate::zonefile::parse_str(
        text.as_bytes(),
        Path::new("[ptr_template]"),
        &crate::zonefile::Options::new(origin.clone()),
    );
    let ttl = parsed.records.first().map_or(86400, |r| r.ttl);
    let mut warnings = Vec::new();
    let file = parsed.files.len() as u16;
    let records = read_hosts(path, origin, ttl, file, &mut warnings)?;
    parsed.records.extend(records);
    parsed.files.push(path.to_path_buf());
    let zone = crate::zone::build(origin, parsed, &mut warnings).map_err(|e| LoadError {
        origin: origin.clone(),
        path: path.to_path_buf(),
        errors: e.errors,
        suppressed: e.suppressed,
        transient: false,
    })?;
    Ok(Loaded { zone, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lines_to_records() {
        let origin = Name::from_ascii("lihui.hadoop").expect("origin");
        let text = b"127.0.0.1 localhost localhost.localdomain\n::1 ip6-localhost\n\
            192.168.1.5 lhslave01.lihui.hadoop lhslave01 # a comment\n\
            fd00::6 lhslave02\n\
            10.0.0.1 other.example.com\nbogus name\n";
        let mut w = Vec::new();
        let rs = parse_hosts(text, &origin, 300, 1, Path::new("hosts"), &mut w);
        let shown: Vec<String> = rs
            .iter()
            .map(|r| format!("{} {} {}", r.line, r.owner, r.rtype))
            .collect();
        assert_eq!(
            shown,
            [
                "3 lhslave01.lihui.hadoop. 1",
                "3 lhslave01.lihui.hadoop. 1",
                "4 lhslave02.lihui.hadoop. 28"
            ]
        );
        let msgs: Vec<String> = w.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "hosts:5: other.example.com. is outside zone lihui.hadoop.: ignored",
                "hosts:6: bad address \"bogus\": line ignored"
            ]
        );
    }
}
