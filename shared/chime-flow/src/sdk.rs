//! The one SDK configuration a processor loads at start: region and credentials from Lambda's
//! environment, and an HTTPS client that trusts the root CAs AWS endpoints chain to, compiled in
//! (`aws-roots.pem`). The system store costs a walk over its certificate directory and a parse of
//! every CA in it — most of the SDK's share of a cold start — for endpoints that only ever present
//! Amazon Trust Services chains. `TLS_ROOTS=system`, or `SSL_CERT_FILE` / `SSL_CERT_DIR` set, keeps
//! the system store (an HTTPS proxy or endpoint with a CA of its own).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, HttpClientError};

use crate::config::{ConfigError, Env};

/// The variable that chooses the trust store.
pub const TLS_ROOTS_VAR: &str = "TLS_ROOTS";

/// Amazon Root CA 1–4, Starfield Services Root CA G2 and Starfield Class 2 CA, in PEM.
const AWS_ROOTS_PEM: &str = include_str!("aws-roots.pem");

/// Which root CAs the SDK's HTTPS client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsRoots {
    /// The AWS roots compiled into the binary (the default).
    Aws,
    /// The system's store, as the SDK loads it by default.
    System,
}

impl TlsRoots {
    /// `TLS_ROOTS` (`aws` or `system`); unset, `system` when `SSL_CERT_FILE` or `SSL_CERT_DIR` name
    /// a store of the deployment's own, otherwise `aws`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.get(TLS_ROOTS_VAR).map(str::trim) {
            None | Some("")
                if env
                    .get("SSL_CERT_FILE")
                    .or(env.get("SSL_CERT_DIR"))
                    .is_some() =>
            {
                Ok(TlsRoots::System)
            }
            None | Some("") => Ok(TlsRoots::Aws),
            Some(value) if value.eq_ignore_ascii_case("aws") => Ok(TlsRoots::Aws),
            Some(value) if value.eq_ignore_ascii_case("system") => Ok(TlsRoots::System),
            Some(value) => Err(ConfigError::new(
                TLS_ROOTS_VAR,
                format!("expected aws or system, got {value:?}"),
            )),
        }
    }
}

/// Loads the SDK configuration with the chosen trust store.
pub async fn load(roots: TlsRoots) -> Result<SdkConfig, ConfigError> {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    let loader = match roots {
        TlsRoots::Aws => {
            let context = aws_roots().map_err(|error| {
                ConfigError::new(TLS_ROOTS_VAR, format!("trust store not built: {error}"))
            })?;
            // The SDK's own HTTPS client (rustls with aws-lc, as its default), these roots only.
            let client = Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .tls_context(context)
                .build_https();
            loader.http_client(client)
        }
        TlsRoots::System => loader,
    };
    // Boxed: the SDK's futures are deep, and a function's `main` future embeds this one.
    Ok(Box::pin(loader.load()).await)
}

/// A TLS context trusting the AWS roots and nothing else.
fn aws_roots() -> Result<TlsContext, HttpClientError> {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ROOTS_PEM.as_bytes());
    TlsContext::builder().with_trust_store(trust).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roots_are_chosen_by_the_environment() {
        let roots =
            |pairs: &[(&str, &str)]| TlsRoots::from_env(&Env::from_pairs(pairs.iter().copied()));
        assert_eq!(roots(&[]), Ok(TlsRoots::Aws));
        assert_eq!(roots(&[("TLS_ROOTS", "System")]), Ok(TlsRoots::System));
        assert_eq!(roots(&[("TLS_ROOTS", "aws")]), Ok(TlsRoots::Aws));
        assert_eq!(
            roots(&[("SSL_CERT_FILE", "/etc/pki/tls/certs/ca-bundle.crt")]),
            Ok(TlsRoots::System),
            "a store of the deployment's own is kept"
        );
        assert_eq!(
            roots(&[("SSL_CERT_DIR", "/certs"), ("TLS_ROOTS", "aws")]),
            Ok(TlsRoots::Aws),
            "unless TLS_ROOTS says otherwise"
        );
        let error = roots(&[("TLS_ROOTS", "webpki")]).expect_err("refused");
        assert!(error.to_string().contains("TLS_ROOTS"), "{error}");
    }

    /// Six whole PEM certificates, each with its subject in a comment above it; base64 inside.
    #[test]
    fn the_compiled_in_roots_are_six_pem_certificates() {
        let begins = AWS_ROOTS_PEM.matches("-----BEGIN CERTIFICATE-----").count();
        let ends = AWS_ROOTS_PEM.matches("-----END CERTIFICATE-----").count();
        assert_eq!((begins, ends), (6, 6));
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
            "Starfield Services Root Certificate Authority - G2",
            "Starfield Class 2 Certification Authority",
        ] {
            assert!(AWS_ROOTS_PEM.contains(name), "{name}");
        }
        let mut inside = false;
        for line in AWS_ROOTS_PEM.lines() {
            match line {
                "-----BEGIN CERTIFICATE-----" => inside = true,
                "-----END CERTIFICATE-----" => inside = false,
                body if inside => assert!(
                    body.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
                    "{body}"
                ),
                comment => assert!(comment.starts_with('#'), "{comment}"),
            }
        }
    }
}
