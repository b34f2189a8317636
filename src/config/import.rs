//! `import-bind`: a named.conf model into the equivalent TOML config ([`FileConfig`]), and
//! that into TOML text whose comments say what was skipped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use super::file::{
    FileConfig, KeyConfig, MatchEntry, MatchKind, NotifyMode, ServerAddr, ZoneConfig, ZoneType,
};
use super::namedconf::{
    read_named_conf, AddressMatch, Listen, MatchElement, NamedConf, NamedConfErrors, Notify,
    Remote, ZoneKind,
};

/// The TOML config a named.conf comes to, and what could not be carried over.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub config: FileConfig,
    /// The named.conf's warnings, then what the conversion dropped; one line each.
    pub notes: Vec<String>,
}

/// Why `import-bind` failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    NamedConf(#[from] NamedConfErrors),
    #[error("failed to write the config as TOML: {0}")]
    Serialize(#[from] toml::ser::Error),
}

/// Reads the named.conf at `path` and gives the equivalent TOML text.
pub fn import_named_conf(path: &Path) -> Result<String, ImportError> {
    let conf = read_named_conf(path)?;
    to_toml(&import(&conf), path)
}

/// The TOML text of `imported`, with a header naming `source` and the notes as comments.
pub fn to_toml(imported: &Imported, source: &Path) -> Result<String, ImportError> {
    let mut out = format!("# clusterdns config imported from {}\n", source.display());
    if !imported.notes.is_empty() {
        out.push_str("#\n# Not carried over:\n");
        for note in &imported.notes {
            out.push_str("#   ");
            out.push_str(&note.replace('\n', " "));
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&toml::to_string(&imported.config)?);
    Ok(out)
}

/// The config equivalent to `conf`, as far as clusterdns acts on it.
pub fn import(conf: &NamedConf) -> Imported {
    let mut notes = conf.warnings.clone();
    let o = &conf.options;
    let mut config = FileConfig {
        listen: listen(&o.listen_on, &o.listen_on_v6, o.port, &mut notes),
        ..FileConfig::default()
    };
    config.minimal_responses = o.minimal_responses;
    config.allow_query = o
        .allow_query
        .as_ref()
        .map(|l| entries(l, "allow-query", &mut notes));
    config.allow_recursion = match o.recursion {
        Some(false) => Some(vec![MatchEntry {
            negated: false,
            kind: MatchKind::None,
        }]),
        _ => o
            .allow_recursion
            .as_ref()
            .map(|l| entries(l, "allow-recursion", &mut notes)),
    };
    if o.recursion != Some(false) && o.forwarders.is_empty() {
        notes.push(
            "recursion is on but there are no forwarders: clusterdns only forwards, so outside names get REFUSED"
                .into(),
        );
    }
    config.forward_to = o.forwarders.iter().map(server).collect();
    for zone in &conf.zones {
        let kind = match zone.kind {
            ZoneKind::Primary => ZoneType::Primary,
            ZoneKind::Secondary => ZoneType::Secondary,
            ZoneKind::Forward => {
                notes.push(format!(
                    "{}: forward zone \"{}\" not served",
                    zone.location, zone.name
                ));
                continue;
            }
            // The reader warned about these already.
            ZoneKind::Hint | ZoneKind::Other(_) => continue,
        };
        if zone.class != "IN" {
            notes.push(format!(
                "{}: zone \"{}\" of class {} not served",
                zone.location, zone.name, zone.class
            ));
            continue;
        }
        let what = format!("zone \"{}\"", zone.name);
        let allow_transfer = zone.allow_transfer.as_ref().or(o.allow_transfer.as_ref());
        let also_notify = if zone.also_notify.is_empty() {
            &o.also_notify
        } else {
            &zone.also_notify
        };
        config.zones.push(ZoneConfig {
            hosts_file: None,
            name: zone.name.clone(),
            file: zone.file.clone(),
            kind,
            allow_transfer: allow_transfer
                .map(|l| entries(l, &format!("{what} allow-transfer"), &mut notes)),
            also_notify: also_notify.iter().map(server).collect(),
            primaries: zone.primaries.iter().map(server).collect(),
            allow_update: zone
                .allow_update
                .as_ref()
                .map(|l| entries(l, &format!("{what} allow-update"), &mut notes)),
            allow_query: zone
                .allow_query
                .as_ref()
                .map(|l| entries(l, &format!("{what} allow-query"), &mut notes)),
            allow_notify: zone
                .allow_notify
                .as_ref()
                .or(o.allow_notify.as_ref())
                .map(|l| entries(l, &format!("{what} allow-notify"), &mut notes)),
            notify: zone.notify.or(o.notify).map(|n| match n {
                Notify::Yes => NotifyMode::Yes,
                Notify::No => NotifyMode::No,
                Notify::Explicit => NotifyMode::Explicit,
                Notify::PrimaryOnly => NotifyMode::PrimaryOnly,
            }),
            auto_ptr: false,
        });
    }
    config.keys = conf
        .keys
        .iter()
        .map(|k| KeyConfig {
            name: k.name.clone(),
            algorithm: k.algorithm.clone(),
            secret: k.secret.clone(),
        })
        .collect();
    Imported { config, notes }
}

fn server(r: &Remote) -> ServerAddr {
    ServerAddr {
        addr: r.addr,
        port: r.port,
        key: r.key.clone(),
    }
}

/// The listen addresses of `listen-on` and `listen-on-v6`. BIND's defaults: every IPv4
/// address and every IPv6 address on `port` (53 when not set), which is also clusterdns's
/// default (empty) on 53.
fn listen(
    v4: &[Listen],
    v6: &[Listen],
    port: Option<u16>,
    notes: &mut Vec<String>,
) -> Vec<SocketAddr> {
    let default = port.unwrap_or(53);
    if v4.is_empty() && v6.is_empty() && default == 53 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (lists, unspecified, loopback, what) in [
        (
            v4,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            "listen-on",
        ),
        (
            v6,
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            "listen-on-v6",
        ),
    ] {
        if lists.is_empty() {
            out.push(SocketAddr::new(unspecified, default));
        }
        for l in lists {
            let port = l.port.unwrap_or(default);
            for m in flatten(&l.addresses, what, notes) {
                match (m.negated, m.kind) {
                    (false, MatchKind::Any) => out.push(SocketAddr::new(unspecified, port)),
                    (false, MatchKind::Localhost) => out.push(SocketAddr::new(loopback, port)),
                    (false, MatchKind::Prefix(addr, len))
                        if len == if addr.is_ipv4() { 32 } else { 128 } =>
                    {
                        out.push(SocketAddr::new(addr, port))
                    }
                    (_, MatchKind::None) => {}
                    (negated, kind) => {
                        let e = MatchEntry { negated, kind };
                        notes.push(format!(
                            "{what}: element {e} has no listen address: not imported"
                        ));
                    }
                }
            }
        }
    }
    out.dedup();
    out
}

/// The entries of an address match list for a TOML list (`what` names it in notes).
fn entries(list: &[AddressMatch], what: &str, notes: &mut Vec<String>) -> Vec<MatchEntry> {
    flatten(list, what, notes)
}

/// An address match list flattened into TOML entries: nested lists and acls that are not
/// negated are spliced in; a negated one becomes its elements negated when none of them is
/// negated itself (the first match decides, so `!{ a; b; }` is `!a; !b;`). Any other
/// negated list has no TOML form: the list ends before it, with a note (narrower than BIND's,
/// never wider).
fn flatten(list: &[AddressMatch], what: &str, notes: &mut Vec<String>) -> Vec<MatchEntry> {
    let mut out = Vec::new();
    for m in list {
        if let (true, MatchElement::Nested { acl, list }) = (m.negated, &m.element) {
            let inner = flatten(list, what, notes);
            if inner.iter().any(|e| e.negated) {
                let name = acl
                    .as_deref()
                    .map_or_else(|| "{ ... }".to_string(), |n| format!("acl {n}"));
                notes.push(format!("{what}: negated list !{name} has no TOML form: the list ends before it (check it)"));
                break;
            }
            out.extend(inner.into_iter().map(|e| MatchEntry {
                negated: true,
                kind: e.kind,
            }));
            continue;
        }
        let kind = match &m.element {
            MatchElement::Prefix(addr, len) => MatchKind::Prefix(*addr, *len),
            MatchElement::Key(name) => MatchKind::Key(name.clone()),
            MatchElement::Any => MatchKind::Any,
            MatchElement::None => MatchKind::None,
            MatchElement::Localhost => MatchKind::Localhost,
            MatchElement::Localnets => MatchKind::Localnets,
            MatchElement::Nested { acl, list } => {
                let inner = match acl {
                    Some(name) => format!("{what} (acl {name})"),
                    None => what.to_string(),
                };
                let entries = flatten(list, &inner, notes);
                out.extend(entries);
                continue;
            }
        };
        out.push(MatchEntry {
            negated: m.negated,
            kind,
        });
    }
    out
}

#[cfg(test)]
mod tests;
