//! Address match lists (acl names resolved where they are referenced) and server lists
//! (`masters`/`primaries` names expanded) as the statements of [`super::resolve`] use them.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use super::grammar::{Item, Stmt};
use super::model::{AddressMatch, AddressMatchList, MatchElement, Remote};
use super::resolve::Resolver;
use super::{Loc, NamedConfError};

impl<'s> Resolver<'s, '_> {
    /// `KEYWORD { address-match-list };`
    pub(super) fn aml_stmt(&mut self, stmt: &'s Stmt) -> Option<AddressMatchList> {
        let (_, body) = self.port_and_block(stmt);
        Some(self.aml(body?))
    }

    /// The elements of an address match list block.
    pub(super) fn aml(&mut self, body: &'s [Stmt]) -> AddressMatchList {
        body.iter().filter_map(|s| self.match_element(s)).collect()
    }

    pub(super) fn match_element(&mut self, stmt: &'s Stmt) -> Option<AddressMatch> {
        let mut items = stmt.items.as_slice();
        let negated = matches!(items.first(), Some(Item::Bang(_)));
        if negated {
            items = &items[1..];
        }
        let element = match items {
            [Item::Block(body, _), rest @ ..] => {
                self.end_items(rest);
                MatchElement::Nested {
                    acl: None,
                    list: self.aml(body),
                }
            }
            [Item::Value { text, quoted, loc }, rest @ ..] => {
                let lower = text.to_ascii_lowercase();
                if lower == "key" && !quoted {
                    let name = match rest.first() {
                        Some(Item::Value { text, .. }) => text.clone(),
                        Some(other) => {
                            self.expected(other, "a key name");
                            return None;
                        }
                        None => {
                            self.err(NamedConfError::ExpectedValue {
                                loc: loc.clone(),
                                what: "a key name after 'key'".into(),
                            });
                            return None;
                        }
                    };
                    self.end_items(&rest[1..]);
                    MatchElement::Key(name)
                } else if lower == "geoip" && !quoted {
                    self.warn(loc, "geoip element skipped: it never matches in clusterdns");
                    return None;
                } else {
                    self.end_items(rest);
                    match lower.as_str() {
                        "any" => MatchElement::Any,
                        "none" => MatchElement::None,
                        "localhost" => MatchElement::Localhost,
                        "localnets" => MatchElement::Localnets,
                        _ => match parse_prefix(text) {
                            Some((addr, len)) => MatchElement::Prefix(addr, len),
                            None if looks_like_address(text) => {
                                let loc = loc.clone();
                                self.err(NamedConfError::Invalid {
                                    loc,
                                    message: format!("invalid address or prefix '{text}'"),
                                });
                                return None;
                            }
                            None => {
                                let list = self.acl(text, loc)?;
                                MatchElement::Nested {
                                    acl: Some(text.clone()),
                                    list,
                                }
                            }
                        },
                    }
                }
            }
            [Item::Bang(loc), ..] => {
                self.err(NamedConfError::Unexpected {
                    loc: loc.clone(),
                    found: "'!'".into(),
                });
                return None;
            }
            [] => {
                self.err(NamedConfError::ExpectedValue {
                    loc: stmt.loc.clone(),
                    what: "an address match element before ';'".into(),
                });
                return None;
            }
        };
        Some(AddressMatch { negated, element })
    }

    pub(super) fn end_items(&mut self, rest: &[Item]) {
        if let Some(extra) = rest.first() {
            let (loc, before) = (extra.loc().clone(), extra.describe());
            self.err(NamedConfError::MissingSemicolon { loc, before });
        }
    }

    /// The list of the acl `name`, referenced at `loc`: an error when no acl has that name.
    pub(super) fn acl(&mut self, name: &str, loc: &Loc) -> Option<AddressMatchList> {
        if let Some(list) = self.acls.get(name) {
            return Some(list.clone());
        }
        let Some((body, _)) = self.acl_defs.get(name).cloned() else {
            self.err(NamedConfError::UnknownAcl {
                loc: loc.clone(),
                name: name.to_string(),
            });
            return None;
        };
        if !self.resolving.insert(name.to_string()) {
            let message = format!("acl '{name}' includes itself");
            self.err(NamedConfError::Invalid {
                loc: loc.clone(),
                message,
            });
            return None;
        }
        let list = self.aml(body);
        self.resolving.remove(name);
        self.acls.insert(name.to_string(), list.clone());
        Some(list)
    }

    /// `KEYWORD [port N] { server-list };`. An unknown list name in it is an error when
    /// `must_exist`, else a warning (`named-checkconf` lets `also-notify` name one).
    pub(super) fn remote_stmt(&mut self, stmt: &'s Stmt, must_exist: bool) -> Vec<Remote> {
        let (port, body) = self.port_and_block(stmt);
        match body {
            Some(body) => self.remotes(body, port, must_exist, &mut HashSet::new()),
            None => Vec::new(),
        }
    }

    /// The servers of a list block: `ADDR [port N] [key K] ...;` or the name of a
    /// `masters`/`primaries` list. `seen` catches lists that include themselves.
    pub(super) fn remotes(
        &mut self,
        body: &'s [Stmt],
        port: Option<u16>,
        must_exist: bool,
        seen: &mut HashSet<String>,
    ) -> Vec<Remote> {
        let mut out = Vec::new();
        for stmt in body {
            let Some(first) = self.value_at(stmt, 0, "a server address") else {
                continue;
            };
            // A scope (`fe80::1%eth0`) does not change which server it is.
            let addr_text = first.split_once('%').map_or(first, |(a, _)| a);
            let mut remote = match addr_text.parse::<IpAddr>() {
                Ok(addr) => Remote {
                    addr,
                    port,
                    key: None,
                },
                Err(_) => {
                    self.named_list(stmt, first, must_exist, seen, &mut out);
                    continue;
                }
            };
            let mut i = 1;
            while let Some(item) = stmt.items.get(i) {
                let Some(word) = item.text().map(str::to_ascii_lowercase) else {
                    self.expected(item, "'port', 'key' or ';'");
                    break;
                };
                let Some(value) = self.value_at(stmt, i + 1, &format!("a value after '{word}'"))
                else {
                    break;
                };
                match word.as_str() {
                    "port" => remote.port = self.port(&stmt.items[i + 1], value).or(port),
                    "key" => remote.key = Some(value.to_string()),
                    _ => {}
                }
                i += 2;
            }
            out.push(remote);
        }
        out
    }

    /// Appends the servers of the `masters`/`primaries` list `name`, referenced by `stmt`.
    pub(super) fn named_list(
        &mut self,
        stmt: &'s Stmt,
        name: &str,
        must_exist: bool,
        seen: &mut HashSet<String>,
        out: &mut Vec<Remote>,
    ) {
        let Some(def) = self.remote_defs.get(name).copied() else {
            let loc = stmt.loc.clone();
            if !must_exist {
                self.warn(&loc, &format!("undefined server list '{name}' skipped"));
                return;
            }
            self.err(NamedConfError::UnknownPrimaries {
                loc,
                name: name.to_string(),
            });
            return;
        };
        if !seen.insert(name.to_string()) {
            let message = format!("primaries list '{name}' includes itself");
            self.err(NamedConfError::Invalid {
                loc: stmt.loc.clone(),
                message,
            });
            return;
        }
        let (port, body) = self.port_and_block_from(def, 2);
        if let Some(body) = body {
            let servers = self.remotes(body, port, must_exist, seen);
            out.extend(servers);
        }
        seen.remove(name);
    }
}

/// `ADDR` or `ADDR/LEN`; IPv4 prefixes may leave out trailing zero octets (`10/8`).
pub(super) fn parse_prefix(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let addr = match addr.parse::<IpAddr>() {
        Ok(a) => a,
        Err(_) if len.is_some() => {
            let mut octets = [0u8; 4];
            let parts: Vec<&str> = addr.split('.').collect();
            if parts.is_empty() || parts.len() > 4 {
                return None;
            }
            for (o, p) in octets.iter_mut().zip(&parts) {
                *o = p.parse().ok()?;
            }
            IpAddr::V4(Ipv4Addr::from(octets))
        }
        Err(_) => return None,
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((addr, len))
}

/// Whether a word that is not a valid prefix was meant as one (digits, dots, colons, `/`).
fn looks_like_address(text: &str) -> bool {
    text.contains('/') || text.contains(':') || text.chars().all(|c| c.is_ascii_digit() || c == '.')
}
