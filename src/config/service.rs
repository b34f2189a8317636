//! `[[service]]` tables of the TOML config: the raw schema (health-checked names) and its
//! validation into the `ServiceSpec`s the health checker (`health/`) runs on.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dns::name::Name;

/// One `[[service]]` table as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The name answered (`namenode.lihui.hadoop`).
    pub name: String,
    #[serde(default = "default_ttl")]
    pub ttl: u32,
    #[serde(default)]
    pub policy: Policy,
    pub check: CheckConfig,
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    #[serde(default = "default_down_after_ms")]
    pub down_after_ms: u64,
    #[serde(default = "default_up_after")]
    pub up_after: u32,
    /// Per-check timeout; default four fifths of the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// All members down: SERVFAIL instead of every member.
    #[serde(default)]
    pub fail_closed: bool,
    pub members: Vec<MemberConfig>,
}

/// How a service name's answer is made from its healthy members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Every healthy member.
    #[default]
    AllHealthy,
    /// One healthy member per answer, drawn by weight.
    Weighted,
    /// The first healthy member in the order listed (active/standby).
    FirstHealthy,
}

/// `{ http = "http://{address}:PORT/path", expect = 200 }` or `{ tcp = PORT }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<u16>,
}

/// `{ address = "..." }` or `{ node = "name" }` (resolved from our own zones), with a weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_ttl() -> u32 {
    5
}
fn default_interval_ms() -> u64 {
    1000
}
fn default_down_after_ms() -> u64 {
    3000
}
fn default_up_after() -> u32 {
    2
}
fn default_weight() -> u32 {
    1
}

/// A validated service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// Lower-cased.
    pub name: Name,
    pub ttl: u32,
    pub policy: Policy,
    pub check: Check,
    pub interval: Duration,
    pub down_after: Duration,
    pub up_after: u32,
    pub timeout: Duration,
    pub fail_closed: bool,
    pub members: Vec<MemberSpec>,
}

/// What one check does against a member's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `GET path` on `port`; healthy when the status is `expect`.
    Http {
        port: u16,
        path: String,
        expect: u16,
    },
    /// A TCP connection to `port` is accepted.
    Tcp { port: u16 },
}

/// One member of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    pub target: MemberTarget,
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberTarget {
    Address(IpAddr),
    /// A name whose A (or AAAA) record in our zones gives the address.
    Node(Name),
}

impl std::fmt::Display for MemberTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MemberTarget::Address(a) => write!(f, "{a}"),
            MemberTarget::Node(n) => write!(f, "{n}"),
        }
    }
}

/// Why a `[[service]]` table cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("service {name:?}: {message}")]
pub struct ServiceError {
    pub name: String,
    pub message: String,
}

/// Validates every `[[service]]` table; names must be distinct.
pub fn resolve_services(raw: &[ServiceConfig]) -> Result<Vec<ServiceSpec>, ServiceError> {
    let mut out: Vec<ServiceSpec> = Vec::with_capacity(raw.len());
    for s in raw {
        let spec = resolve_service(s)?;
        if out.iter().any(|o| o.name == spec.name) {
            return Err(ServiceError {
                name: s.name.clone(),
                message: "defined twice".into(),
            });
        }
        out.push(spec);
    }
    Ok(out)
}

fn resolve_service(s: &ServiceConfig) -> Result<ServiceSpec, ServiceError> {
    let err = |message: String| ServiceError {
        name: s.name.clone(),
        message,
    };
    let name = Name::from_ascii(s.name.trim_end_matches('.'))
        .map_err(|e| err(format!("bad name: {e}")))?
        .to_lowercase();
    let check = match (&s.check.http, s.check.tcp) {
        (Some(url), None) => {
            let (port, path) = parse_check_url(url).map_err(err)?;
            Check::Http {
                port,
                path,
                expect: s.check.expect.unwrap_or(200),
            }
        }
        (None, Some(port)) if s.check.expect.is_none() => Check::Tcp { port },
        (None, Some(_)) => return Err(err("`expect` goes with an `http` check".into())),
        _ => {
            return Err(err(
                "check must be { http = \"http://{address}:PORT/path\" } or { tcp = PORT }".into(),
            ))
        }
    };
    if s.interval_ms == 0 {
        return Err(err("interval_ms must be above 0".into()));
    }
    let timeout_ms = s.timeout_ms.unwrap_or(s.interval_ms * 4 / 5).max(1);
    if s.members.is_empty() {
        return Err(err("no members".into()));
    }
    let mut members = Vec::with_capacity(s.members.len());
    for m in &s.members {
        let target = match (&m.address, &m.node) {
            (Some(a), None) => MemberTarget::Address(*a),
            (None, Some(n)) => MemberTarget::Node(
                Name::from_ascii(n.trim_end_matches('.'))
                    .map_err(|e| err(format!("member node {n:?}: bad name: {e}")))?
                    .to_lowercase(),
            ),
            _ => {
                return Err(err(
                    "a member is { address = ADDR } or { node = NAME }".into()
                ))
            }
        };
        if m.weight == 0 {
            return Err(err(format!("member {target}: weight must be above 0")));
        }
        members.push(MemberSpec {
            target,
            weight: m.weight,
        });
    }
    Ok(ServiceSpec {
        name,
        ttl: s.ttl,
        policy: s.policy,
        check,
        interval: Duration::from_millis(s.interval_ms),
        down_after: Duration::from_millis(s.down_after_ms),
        up_after: s.up_after.max(1),
        timeout: Duration::from_millis(timeout_ms),
        fail_closed: s.fail_closed,
        members,
    })
}

/// `http://{address}[:PORT][/path]` (or `[{address}]`): the port and the path.
fn parse_check_url(url: &str) -> Result<(u16, String), String> {
    let bad = |why: &str| format!("check url {url:?}: {why}");
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// is supported"))?;
    let (host_port, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with("{address") => {
            (h, p.parse::<u16>().map_err(|_| bad("bad port"))?)
        }
        _ => (host_port, 80),
    };
    if host != "{address}" && host != "[{address}]" {
        return Err(bad("the host must be {address} (the member's address)"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("bad path"));
    }
    Ok((port, path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ServiceSpec>, String> {
        let cfg = super::super::file::parse_config(text, std::path::Path::new("t.toml"))
            .map_err(|e| e.to_string())?;
        resolve_services(&cfg.services).map_err(|e| e.to_string())
    }

    #[test]
    fn the_issue_example_parses() {
        let s = parse(
            r#"
[[service]]
name = "namenode.lihui.hadoop"
ttl = 5
policy = "first_healthy"
check = { http = "http://{address}:9870/isActive", expect = 200 }
interval_ms = 500
down_after_ms = 3000
up_after = 2
members = [{ address = "127.0.0.4" }, { address = "127.0.0.5", weight = 2 }, { node = "lhmaster.lihui.hadoop" }]
"#,
        )
        .expect("parses");
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.name.to_string(), "namenode.lihui.hadoop.");
        assert_eq!(s.policy, Policy::FirstHealthy);
        assert_eq!(
            s.check,
            Check::Http {
                port: 9870,
                path: "/isActive".into(),
                expect: 200
            }
        );
        assert_eq!(s.timeout, Duration::from_millis(400));
        assert_eq!(s.members[1].weight, 2);
        assert!(matches!(s.members[2].target, MemberTarget::Node(_)));
    }

    #[test]
    fn bad_services_are_refused() {
        let base = "[[service]]\nname = \"a.test\"\nmembers = [{ address = \"127.0.0.2\" }]\n";
        for (extra, want) in [
            (
                "check = { tcp = 1, http = \"http://{address}/\" }",
                "check must be",
            ),
            ("check = { http = \"https://{address}/\" }", "only http://"),
            (
                "check = { http = \"http://10.0.0.1/\" }",
                "the host must be",
            ),
            ("check = { tcp = 80, expect = 200 }", "`expect` goes"),
            ("check = { tcp = 80 }\nbogus = 1", "t.toml:"),
            ("check = { tcp = 80 }\npolicy = \"random\"", "t.toml:"),
        ] {
            let e = parse(&format!("{base}{extra}\n")).expect_err(extra);
            assert!(e.contains(want), "{extra}: {e}");
        }
        let e = parse("[[service]]\nname = \"a.test\"\ncheck = { tcp = 1 }\nmembers = [{ address = \"127.0.0.2\", weight = 0 }]\n")
            .expect_err("weight 0");
        assert!(e.contains("weight"), "{e}");
    }
}
