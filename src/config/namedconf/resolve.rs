//! Statements into the model: what each statement clusterdns acts on means, acl and
//! primaries-list names resolved where they are referenced, and a warning for each
//! statement or option it skips.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;

use super::grammar::{Item, Stmt};
use super::model::{
    Acl, AddressMatchList, ForwardMode, Key, Listen, NamedConf, Notify, Options, Zone, ZoneKind,
};
use super::view::flat_view;
use super::{Errors, Loc, NamedConfError};

/// Reads the top-level statements into a [`NamedConf`], pushing problems onto `errors`.
pub(super) fn resolve(stmts: &[Stmt], errors: &mut Errors) -> NamedConf {
    let mut r = Resolver {
        errors,
        warnings: Vec::new(),
        acl_defs: HashMap::new(),
        acls: HashMap::new(),
        resolving: HashSet::new(),
        remote_defs: HashMap::new(),
    };
    for stmt in stmts {
        let kw = stmt.keyword();
        if kw == "acl" || is_remote_list(&kw) {
            if let (Some(Item::Value { text, .. }), Some(Item::Block(body, _))) =
                (stmt.items.get(1), stmt.items.last())
            {
                if kw == "acl" {
                    r.acl_defs.insert(text.clone(), (body, stmt.loc.clone()));
                } else {
                    r.remote_defs.insert(text.clone(), stmt);
                }
            }
        }
    }
    let mut conf = NamedConf::default();
    let mut options_seen: Option<Loc> = None;
    for stmt in stmts.iter().filter(|s| s.keyword() == "options") {
        if let Some(first) = &options_seen {
            r.err(NamedConfError::Invalid {
                loc: stmt.loc.clone(),
                message: format!("'options' redefined (first at {first})"),
            });
            continue;
        }
        options_seen = Some(stmt.loc.clone());
        if let Some(body) = r.block_at(stmt, 1) {
            conf.options = r.options(body);
        }
    }
    let flat = flat_view(stmts);
    // `server ADDR { keys { NAME; }; };`: the key of a server that a list names bare.
    let mut server_keys: Vec<(IpAddr, u8, String)> = Vec::new();
    for stmt in stmts {
        match stmt.keyword().as_str() {
            "options" => {}
            "view" if flat.is_some_and(|v| std::ptr::eq(v, stmt)) => r.flatten_view(stmt, &mut conf),
            "zone" => {
                if let Some(zone) = r.zone(stmt, conf.options.directory.as_ref()) {
                    conf.zones.push(zone);
                }
            }
            "acl" => {
                if let Some(name) = r.value_at(stmt, 1, "an acl name") {
                    let name = name.to_string();
                    if r.block_at(stmt, 2).is_some() {
                        let list = r.acl(&name, &stmt.loc).unwrap_or_default();
                        conf.acls.push(Acl { name, list });
                    }
                }
            }
            "key" => {
                if let Some(key) = r.key(stmt) {
                    conf.keys.push(key);
                }
            }
            "server" => {
                if let Some(k) = r.server(stmt) {
                    server_keys.push(k);
                }
            }
            kw if is_remote_list(kw) => {
                // Checked where a zone refers to it; an unused list still must parse.
                let _ = r.value_at(stmt, 1, "a list name");
                if let Some(block) = stmt.items.last() {
                    if let Item::Block(..) = block {
                        let (port, body) = r.port_and_block_from(stmt, 2);
                        let _ =
                            r.remotes(body.unwrap_or_default(), port, true, &mut HashSet::new());
                    } else {
                        r.expected(block, "'{'");
                    }
                }
            }
            "view" => r.warn(
                &stmt.loc,
                "'view' skipped: views are not supported (only a configuration's one view that matches every query, with no zone outside it, is served), its zones are not served",
            ),
            kw => r.warn(
                &stmt.loc,
                &format!("'{kw}' statement skipped: clusterdns does not act on it"),
            ),
        }
    }
    if let Some(port) = conf.options.port {
        default_port(&mut conf, port);
    }
    if !server_keys.is_empty() {
        server_keys.sort_by_key(|(_, len, _)| std::cmp::Reverse(*len));
        default_keys(&mut conf, &server_keys);
    }
    conf.warnings = r.warnings;
    conf
}

/// BIND's `server` keys: a primary or also-notify address without a key of its own gets the
/// key of the most specific `server` statement that covers it (transfers, SOA queries and
/// NOTIFYs to that server are signed with it, as BIND signs them).
fn default_keys(conf: &mut NamedConf, servers: &[(IpAddr, u8, String)]) {
    let zones = conf.zones.iter_mut();
    let remotes = conf
        .options
        .also_notify
        .iter_mut()
        .chain(zones.flat_map(|z| z.primaries.iter_mut().chain(z.also_notify.iter_mut())));
    for r in remotes.filter(|r| r.key.is_none()) {
        let covering = servers.iter().find(|(addr, len, _)| {
            crate::config::rrl::Prefix {
                addr: *addr,
                len: *len,
            }
            .contains(r.addr)
        });
        r.key = covering.map(|(_, _, k)| k.clone());
    }
}

/// BIND's `port`: the port of every `listen-on` and every server address (primaries,
/// also-notify, forwarders) that names none.
fn default_port(conf: &mut NamedConf, port: u16) {
    let o = &mut conf.options;
    for l in o.listen_on.iter_mut().chain(o.listen_on_v6.iter_mut()) {
        l.port.get_or_insert(port);
    }
    let zones = conf.zones.iter_mut();
    let remotes = o
        .also_notify
        .iter_mut()
        .chain(o.forwarders.iter_mut())
        .chain(zones.flat_map(|z| {
            z.primaries
                .iter_mut()
                .chain(z.also_notify.iter_mut())
                .chain(z.forwarders.iter_mut())
        }));
    for r in remotes {
        r.port.get_or_insert(port);
    }
}

/// Statements that define a named list of servers (`masters NAME { ... };`).
fn is_remote_list(kw: &str) -> bool {
    matches!(kw, "masters" | "primaries" | "remote-servers")
}

pub(super) struct Resolver<'s, 'e> {
    pub(super) errors: &'e mut Errors,
    pub(super) warnings: Vec<String>,
    pub(super) acl_defs: HashMap<String, (&'s [Stmt], Loc)>,
    pub(super) acls: HashMap<String, AddressMatchList>,
    /// Acls being resolved, to catch one that includes itself.
    pub(super) resolving: HashSet<String>,
    pub(super) remote_defs: HashMap<String, &'s Stmt>,
}

impl<'s> Resolver<'s, '_> {
    pub(super) fn err(&mut self, e: NamedConfError) {
        self.errors.push(e);
    }

    pub(super) fn warn(&mut self, loc: &Loc, message: &str) {
        self.warnings.push(format!("{loc}: {message}"));
    }

    pub(super) fn expected(&mut self, item: &Item, what: &str) {
        let (loc, found) = (item.loc().clone(), item.describe());
        self.err(NamedConfError::ExpectedValue {
            loc,
            what: format!("{what}, found {found}"),
        });
    }

    /// The word or string at `idx`, or an error naming `what` was required.
    pub(super) fn value_at<'a>(
        &mut self,
        stmt: &'a Stmt,
        idx: usize,
        what: &str,
    ) -> Option<&'a str> {
        match stmt.items.get(idx) {
            Some(Item::Value { text, .. }) => Some(text),
            Some(other) => {
                self.expected(other, what);
                None
            }
            None => {
                let loc = stmt.items.last().map_or(&stmt.loc, Item::loc).clone();
                self.err(NamedConfError::ExpectedValue {
                    loc,
                    what: format!("{what} before ';'"),
                });
                None
            }
        }
    }

    /// The block at `idx`, which must be the statement's last item.
    pub(super) fn block_at<'a>(&mut self, stmt: &'a Stmt, idx: usize) -> Option<&'a [Stmt]> {
        let block = match stmt.items.get(idx) {
            Some(Item::Block(body, _)) => Some(body.as_slice()),
            Some(other) => {
                self.expected(other, "'{'");
                return None;
            }
            None => {
                let loc = stmt.items.last().map_or(&stmt.loc, Item::loc).clone();
                self.err(NamedConfError::ExpectedValue {
                    loc,
                    what: "'{' before ';'".into(),
                });
                return None;
            }
        };
        self.end(stmt, idx + 1);
        block
    }

    /// Reports a missing `;` when the statement goes on past `idx` items.
    pub(super) fn end(&mut self, stmt: &Stmt, idx: usize) -> bool {
        match stmt.items.get(idx) {
            Some(extra) => {
                let (loc, before) = (extra.loc().clone(), extra.describe());
                self.err(NamedConfError::MissingSemicolon { loc, before });
                false
            }
            None => true,
        }
    }

    /// A statement of one value: `directory "x";`.
    pub(super) fn single<'a>(&mut self, stmt: &'a Stmt, what: &str) -> Option<&'a str> {
        let v = self.value_at(stmt, 1, what)?;
        self.end(stmt, 2).then_some(v)
    }

    pub(super) fn options(&mut self, body: &'s [Stmt]) -> Options {
        let mut o = Options::default();
        for stmt in body {
            self.option(&mut o, stmt);
        }
        o
    }

    /// One statement of an `options` block (or of a view's body) into `o`.
    pub(super) fn option(&mut self, o: &mut Options, stmt: &'s Stmt) {
        let kw = stmt.keyword();
        match kw.as_str() {
            "directory" => o.directory = self.single(stmt, "a directory name").map(PathBuf::from),
            "listen-on" | "listen-on-v6" => {
                let (port, body) = self.port_and_block(stmt);
                if let Some(body) = body {
                    let addresses = self.aml(body);
                    let listen = Listen { port, addresses };
                    if kw == "listen-on" {
                        o.listen_on.push(listen);
                    } else {
                        o.listen_on_v6.push(listen);
                    }
                }
            }
            "port" => {
                if let Some(v) = self.single(stmt, "a port number") {
                    o.port = self.port(&stmt.items[1], v);
                }
            }
            "allow-query" => o.allow_query = self.aml_stmt(stmt),
            "allow-transfer" => o.allow_transfer = self.aml_stmt(stmt),
            "allow-notify" => o.allow_notify = self.aml_stmt(stmt),
            "allow-recursion" => o.allow_recursion = self.aml_stmt(stmt),
            "also-notify" => o.also_notify = self.remote_stmt(stmt, false),
            "forwarders" => o.forwarders = self.remote_stmt(stmt, true),
            "recursion" => o.recursion = self.boolean(stmt),
            "notify" => o.notify = self.notify(stmt),
            "minimal-responses" => o.minimal_responses = self.minimal_responses(stmt),
            "forward" => o.forward = self.forward(stmt),
            _ => self.warn(
                &stmt.loc,
                &format!("option '{kw}' skipped: clusterdns does not act on it"),
            ),
        }
    }

    /// `server ADDR[/LEN] { keys { NAME; }; ... };`: the prefix and its key. Its other
    /// settings are skipped with a warning.
    fn server(&mut self, stmt: &'s Stmt) -> Option<(IpAddr, u8, String)> {
        let text = self.value_at(stmt, 1, "a server address")?;
        let Some((addr, len)) = super::lists::parse_prefix(text) else {
            self.invalid(&stmt.items[1], format!("invalid server address '{text}'"));
            return None;
        };
        let body = self.block_at(stmt, 2)?;
        let mut key = None;
        for s in body {
            let kw = s.keyword();
            match kw.as_str() {
                "keys" => match s.items.get(1) {
                    Some(Item::Block(keys, _)) => {
                        key = keys
                            .first()
                            .and_then(|k| k.items.first()?.text())
                            .map(str::to_string)
                    }
                    Some(Item::Value { text, .. }) => key = Some(text.clone()),
                    _ => {}
                },
                _ => self.warn(
                    &s.loc,
                    &format!("server {text}: option '{kw}' skipped: clusterdns does not act on it"),
                ),
            }
        }
        Some((addr, len, key?))
    }

    /// `minimal-responses yes|no|no-auth|no-auth-recursive;` (in `options` or a view).
    fn minimal_responses(&mut self, stmt: &Stmt) -> Option<crate::query::Minimal> {
        use crate::query::Minimal as M;
        let words = [
            ("no-auth", M::NoAuth),
            ("no-auth-recursive", M::NoAuthRecursive),
        ];
        self.word(
            stmt,
            "a minimal-responses mode",
            Some((M::Yes, M::No)),
            &words,
        )
    }

    /// `notify yes|no|explicit|primary-only;` (in `options`, a view or a zone).
    fn notify(&mut self, stmt: &Stmt) -> Option<Notify> {
        let words = [
            ("explicit", Notify::Explicit),
            ("master-only", Notify::PrimaryOnly),
            ("primary-only", Notify::PrimaryOnly),
        ];
        self.word(
            stmt,
            "a notify mode",
            Some((Notify::Yes, Notify::No)),
            &words,
        )
    }

    pub(super) fn boolean(&mut self, stmt: &Stmt) -> Option<bool> {
        self.word(stmt, "yes or no", Some((true, false)), &[])
    }

    pub(super) fn forward(&mut self, stmt: &Stmt) -> Option<ForwardMode> {
        let words = [("only", ForwardMode::Only), ("first", ForwardMode::First)];
        self.word(stmt, "only or first", None, &words)
    }

    /// The one value of `stmt`, a word (any case) that means one of `words`, or, when
    /// `yes_no` is given, yes (true, 1) or no (false, 0); else an error expecting `what`.
    fn word<T: Copy>(
        &mut self,
        stmt: &Stmt,
        what: &str,
        yes_no: Option<(T, T)>,
        words: &[(&str, T)],
    ) -> Option<T> {
        let v = self.single(stmt, what)?;
        let lower = v.to_ascii_lowercase();
        let found = match (yes_no, lower.as_str()) {
            (Some((yes, _)), "yes" | "true" | "1") => Some(yes),
            (Some((_, no)), "no" | "false" | "0") => Some(no),
            (_, w) => words.iter().find(|(name, _)| *name == w).map(|&(_, t)| t),
        };
        if found.is_none() {
            self.invalid(&stmt.items[1], format!("expected {what}, found '{v}'"));
        }
        found
    }

    pub(super) fn invalid(&mut self, item: &Item, message: String) {
        let loc = item.loc().clone();
        self.err(NamedConfError::Invalid { loc, message });
    }

    /// `KEYWORD [port N] [other-word VALUE]... { ... }`: the port and the block.
    pub(super) fn port_and_block<'a>(
        &mut self,
        stmt: &'a Stmt,
    ) -> (Option<u16>, Option<&'a [Stmt]>) {
        self.port_and_block_from(stmt, 1)
    }

    /// [`Self::port_and_block`] with the `word value` pairs starting at item `start`.
    pub(super) fn port_and_block_from<'a>(
        &mut self,
        stmt: &'a Stmt,
        start: usize,
    ) -> (Option<u16>, Option<&'a [Stmt]>) {
        let mut port = None;
        let mut i = start;
        while let Some(Item::Value { text, .. }) = stmt.items.get(i) {
            let word = text.to_ascii_lowercase();
            let Some(value) = self.value_at(stmt, i + 1, &format!("a value after '{word}'")) else {
                return (port, None);
            };
            if word == "port" {
                port = self.port(&stmt.items[i + 1], value);
            }
            i += 2;
        }
        (port, self.block_at(stmt, i))
    }

    pub(super) fn port(&mut self, item: &Item, text: &str) -> Option<u16> {
        if text == "*" {
            return None;
        }
        match text.parse::<u16>() {
            Ok(p) => Some(p),
            Err(_) => {
                self.invalid(item, format!("invalid port '{text}'"));
                None
            }
        }
    }

    pub(super) fn zone(&mut self, stmt: &'s Stmt, directory: Option<&PathBuf>) -> Option<Zone> {
        let name = self.value_at(stmt, 1, "a zone name")?.to_string();
        let (class, block_idx) = match stmt.items.get(2) {
            Some(Item::Value { text, .. }) => (text.to_ascii_uppercase(), 3),
            _ => ("IN".to_string(), 2),
        };
        let body = self.block_at(stmt, block_idx)?;
        let mut zone = Zone {
            name,
            class,
            kind: ZoneKind::Other(String::new()),
            file: None,
            primaries: Vec::new(),
            allow_transfer: None,
            allow_query: None,
            allow_notify: None,
            allow_update: None,
            also_notify: Vec::new(),
            notify: None,
            forwarders: Vec::new(),
            forward: None,
            location: stmt.loc.to_string(),
        };
        let mut typed = false;
        for s in body {
            let kw = s.keyword();
            match kw.as_str() {
                "type" => {
                    if let Some(t) = self.single(s, "a zone type") {
                        typed = true;
                        zone.kind = match t.to_ascii_lowercase().as_str() {
                            "master" | "primary" => ZoneKind::Primary,
                            "slave" | "secondary" => ZoneKind::Secondary,
                            "hint" => ZoneKind::Hint,
                            "forward" => ZoneKind::Forward,
                            other => ZoneKind::Other(other.to_string()),
                        };
                    }
                }
                "file" => {
                    if let Some(f) = self.single(s, "a file name") {
                        let f = PathBuf::from(f);
                        zone.file = Some(match directory {
                            Some(dir) if f.is_relative() => dir.join(f),
                            _ => f,
                        });
                    }
                }
                "masters" | "primaries" => zone.primaries = self.remote_stmt(s, true),
                "allow-transfer" => zone.allow_transfer = self.aml_stmt(s),
                "allow-update" => zone.allow_update = self.aml_stmt(s),
                "allow-query" => zone.allow_query = self.aml_stmt(s),
                "allow-notify" => zone.allow_notify = self.aml_stmt(s),
                "also-notify" => zone.also_notify = self.remote_stmt(s, false),
                "forwarders" => zone.forwarders = self.remote_stmt(s, true),
                "forward" => zone.forward = self.forward(s),
                "notify" => zone.notify = self.notify(s),
                _ => self.warn(
                    &s.loc,
                    &format!("zone '{}': option '{kw}' skipped", zone.name),
                ),
            }
        }
        if !typed {
            let loc = stmt.loc.clone();
            self.err(NamedConfError::Invalid {
                loc,
                message: format!("zone '{}': type not present", zone.name),
            });
            return None;
        }
        match &zone.kind {
            ZoneKind::Hint => self.warn(
                &stmt.loc,
                &format!(
                    "hint zone '{}' skipped: clusterdns does not recurse",
                    zone.name
                ),
            ),
            ZoneKind::Other(t) => self.warn(
                &stmt.loc,
                &format!("zone '{}' of type {t} skipped", zone.name),
            ),
            _ => {}
        }
        Some(zone)
    }

    pub(super) fn key(&mut self, stmt: &Stmt) -> Option<Key> {
        let name = self.value_at(stmt, 1, "a key name")?.to_string();
        let body = self.block_at(stmt, 2)?;
        let (mut algorithm, mut secret) = (None, None);
        for s in body {
            match s.keyword().as_str() {
                "algorithm" => {
                    algorithm = self.single(s, "an algorithm").map(str::to_ascii_lowercase)
                }
                "secret" => secret = self.single(s, "a secret").map(str::to_string),
                kw => self.warn(&s.loc, &format!("key '{name}': option '{kw}' skipped")),
            }
        }
        let missing = match (&algorithm, &secret) {
            (None, _) => "algorithm",
            (_, None) => "secret",
            _ => {
                return Some(Key {
                    name,
                    algorithm: algorithm?,
                    secret: secret?,
                })
            }
        };
        let loc = stmt.loc.clone();
        self.err(NamedConfError::Invalid {
            loc,
            message: format!("key '{name}': missing '{missing}'"),
        });
        None
    }
}
