//! DNS over TLS and HTTPS settings: the listeners (`--listen-tls`, `--listen-https`) and the
//! PEM certificate chain and key they present, as a layer gives them (`TlsOptions`) and
//! resolved (`TlsConfig`: present only when something listens).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::ConfigError;

/// TLS options as one layer gives them (`None`: the layer says nothing).
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    pub listen_tls: Option<Vec<SocketAddr>>,
    pub listen_https: Option<Vec<SocketAddr>>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// Where DoT and DoH are served, and with which certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// DNS over TLS (RFC 7858) listeners.
    pub listen_tls: Vec<SocketAddr>,
    /// DNS over HTTPS (RFC 8484, HTTP/2, path `/dns-query`) listeners.
    pub listen_https: Vec<SocketAddr>,
    /// The certificate chain, PEM, leaf first.
    pub cert_file: PathBuf,
    /// The private key of the leaf certificate, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

impl TlsOptions {
    /// These options over `lower`.
    pub fn over(self, lower: TlsOptions) -> TlsOptions {
        TlsOptions {
            listen_tls: self.listen_tls.or(lower.listen_tls),
            listen_https: self.listen_https.or(lower.listen_https),
            cert_file: self.cert_file.or(lower.cert_file),
            key_file: self.key_file.or(lower.key_file),
        }
    }

    /// `None` when nothing listens; an error when listeners lack a certificate or key, or a
    /// certificate is given with nothing to present it.
    pub fn resolve(self) -> Result<Option<TlsConfig>, ConfigError> {
        let listen_tls = self.listen_tls.unwrap_or_default();
        let listen_https = self.listen_https.unwrap_or_default();
        if listen_tls.is_empty() && listen_https.is_empty() {
            if self.cert_file.is_some() || self.key_file.is_some() {
                return Err(ConfigError::TlsWithoutListener);
            }
            return Ok(None);
        }
        let (Some(cert_file), Some(key_file)) = (self.cert_file, self.key_file) else {
            return Err(ConfigError::TlsWithoutCert);
        };
        Ok(Some(TlsConfig {
            listen_tls,
            listen_https,
            cert_file,
            key_file,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_need_a_certificate_and_a_certificate_needs_a_listener() {
        assert_eq!(TlsOptions::default().resolve().expect("off"), None);
        let addr: SocketAddr = "127.0.0.1:853".parse().expect("addr");
        let no_key = TlsOptions {
            listen_tls: Some(vec![addr]),
            cert_file: Some("c.pem".into()),
            ..TlsOptions::default()
        };
        assert!(matches!(no_key.resolve(), Err(ConfigError::TlsWithoutCert)));
        let idle = TlsOptions {
            cert_file: Some("c.pem".into()),
            ..TlsOptions::default()
        };
        assert!(matches!(
            idle.resolve(),
            Err(ConfigError::TlsWithoutListener)
        ));
        let file = TlsOptions {
            listen_https: Some(vec![addr]),
            cert_file: Some("file.pem".into()),
            key_file: Some("k.pem".into()),
            ..TlsOptions::default()
        };
        let cli = TlsOptions {
            cert_file: Some("cli.pem".into()),
            ..TlsOptions::default()
        };
        let t = cli.over(file).resolve().expect("resolves").expect("on");
        assert_eq!(t.cert_file, PathBuf::from("cli.pem"));
        assert_eq!(t.listen_https, vec![addr]);
        assert!(t.listen_tls.is_empty());
    }
}
