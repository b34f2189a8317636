//! The resolved named.conf model: options, zones, acls and keys as clusterdns reads them
//! (acl names and named primaries lists already expanded where they are referenced).

use std::net::IpAddr;
use std::path::PathBuf;

/// Everything read from a named.conf and the files it includes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedConf {
    pub options: Options,
    pub zones: Vec<Zone>,
    pub acls: Vec<Acl>,
    pub keys: Vec<Key>,
    /// What was skipped, one `path:line: message` each.
    pub warnings: Vec<String>,
    /// The named.conf and every file it includes (as read), for watching them.
    pub files: Vec<PathBuf>,
}

/// The `options { ... }` statement (the parts clusterdns acts on).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// `directory`: where relative zone file names point (as written).
    pub directory: Option<PathBuf>,
    /// `listen-on` statements (IPv4).
    pub listen_on: Vec<Listen>,
    /// `listen-on-v6` statements.
    pub listen_on_v6: Vec<Listen>,
    /// `port`: the port listened on and asked at when a statement names none (BIND: 53). The
    /// reader writes it into every `listen-on` and server address without a port of its own.
    pub port: Option<u16>,
    pub allow_query: Option<AddressMatchList>,
    pub allow_transfer: Option<AddressMatchList>,
    pub also_notify: Vec<Remote>,
    pub allow_recursion: Option<AddressMatchList>,
    /// `recursion yes|no`; `None` when absent (BIND's default is yes).
    pub recursion: Option<bool>,
    /// `notify`: the zones' mode when they set none.
    pub notify: Option<Notify>,
    /// `allow-notify`: the secondaries' list when they set none.
    pub allow_notify: Option<AddressMatchList>,
    /// `minimal-responses yes|no|no-auth|no-auth-recursive`.
    pub minimal_responses: Option<crate::query::Minimal>,
    pub forwarders: Vec<Remote>,
    pub forward: Option<ForwardMode>,
}

/// One `listen-on [port N] { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Listen {
    /// The port; `None` means BIND's default, 53.
    pub port: Option<u16>,
    pub addresses: AddressMatchList,
}

/// `forward only|first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardMode {
    Only,
    First,
}

/// An address match list: elements in order, the first that matches decides.
pub type AddressMatchList = Vec<AddressMatch>;

/// One element of an address match list, possibly negated with `!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressMatch {
    pub negated: bool,
    pub element: MatchElement,
}

/// What an address match list element matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchElement {
    /// `ADDR` or `ADDR/LEN` (a bare address has the full length).
    Prefix(IpAddr, u8),
    /// `key NAME`: requests signed with this TSIG key.
    Key(String),
    Any,
    None,
    Localhost,
    Localnets,
    /// A `{ ... }` list, or an acl name replaced by the acl's list (`acl` tells which).
    Nested {
        acl: Option<String>,
        list: AddressMatchList,
    },
}

/// A server address with an optional port and TSIG key (`masters`, `also-notify`,
/// `forwarders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub addr: IpAddr,
    /// The element's own port, else the list's `port N`, else `None` (the default).
    pub port: Option<u16>,
    pub key: Option<String>,
}

/// One `zone` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// The zone name as written (no trailing dot added).
    pub name: String,
    /// The class (`IN` when not written), uppercased.
    pub class: String,
    pub kind: ZoneKind,
    /// `file`, joined to `directory` when relative.
    pub file: Option<PathBuf>,
    pub primaries: Vec<Remote>,
    pub allow_transfer: Option<AddressMatchList>,
    /// `allow-query` of this zone: replaces the global one for the names it answers.
    pub allow_query: Option<AddressMatchList>,
    /// `allow-notify` of this (secondary) zone: who else may NOTIFY it.
    pub allow_notify: Option<AddressMatchList>,
    pub allow_update: Option<AddressMatchList>,
    pub also_notify: Vec<Remote>,
    pub notify: Option<Notify>,
    pub forwarders: Vec<Remote>,
    pub forward: Option<ForwardMode>,
    /// Where the statement starts, `path:line`.
    pub location: String,
}

/// A zone's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneKind {
    /// `master` or `primary`.
    Primary,
    /// `slave` or `secondary`.
    Secondary,
    Hint,
    Forward,
    /// Any other type (`stub`, `mirror`, `static-stub`, `redirect`, ...), lowercased.
    Other(String),
}

/// A zone's `notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    Yes,
    No,
    Explicit,
    /// `master-only` or `primary-only`.
    PrimaryOnly,
}

/// One `acl NAME { ... };`, with acl names inside it resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub name: String,
    pub list: AddressMatchList,
}

/// One `key "name" { algorithm ...; secret "..."; };`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    /// The algorithm as written, lowercased (`hmac-sha256`).
    pub algorithm: String,
    /// The secret, base64 as written.
    pub secret: String,
}
