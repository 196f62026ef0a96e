//! What a chime-local is started with: region and account, signature checking, where processors
//! run, the faults to inject, Lambda's retry waits and the connection timeouts.

use crate::control::faults::Faults;
use crate::processors::in_process::CallbackPath;
use crate::server::sigv4::LocalCredentials;

/// Access key id and secret the in-process processors sign with (and, when signatures are verified
/// without other credentials, the ones expected).
pub const LOCAL_ACCESS_KEY_ID: &str = "AKIDCHIMELOCAL";
pub const LOCAL_SECRET_ACCESS_KEY: &str = "chime-local-secret";

#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub account: String,
    /// When set, signatures are verified against these credentials; otherwise only their form is.
    pub verify_signatures: Option<LocalCredentials>,
    /// Where the Lambda Invoke API is served (`http://127.0.0.1:9000` for `cargo lambda watch`).
    pub lambda_endpoint: Option<String>,
    /// Run the built-in processors in-process under their function names.
    pub in_process_functions: bool,
    pub faults: Faults,
    /// When an in-process processor fails, the waits before its two more deliveries (Lambda's
    /// asynchronous retry; AWS waits about one and two minutes, chime-local 1 s and 2 s).
    pub async_retry_delays: Vec<std::time::Duration>,
    /// How long a connection may go without sending a complete request head (idle keep-alive
    /// connections included) and a body may take to arrive.
    pub idle_timeout: std::time::Duration,
    /// How in-process processors call back: directly (default) or through the SDK over HTTP.
    pub in_process_callbacks: CallbackPath,
}

impl Config {
    /// The access key id and secret a client signs with to be accepted: the verified ones when
    /// signatures are checked, else chime-local's own (what `serve` prints and in-process
    /// processors use).
    pub fn client_credentials(&self) -> (String, String) {
        match &self.verify_signatures {
            Some(c) => (c.access_key_id.clone(), c.secret_access_key.clone()),
            None => (LOCAL_ACCESS_KEY_ID.into(), LOCAL_SECRET_ACCESS_KEY.into()),
        }
    }
}

/// The SDK configuration of a client of the chime-local at `endpoint`, signing with `key` and
/// `secret` (callers may add to it before `load()`, e.g. a retry configuration).
pub fn sdk_loader(
    endpoint: &str,
    region: &str,
    key: &str,
    secret: &str,
) -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_credential_types::Credentials::new(
            key,
            secret,
            None,
            None,
            "chime-local",
        ))
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "000000000000".into(),
            verify_signatures: None,
            lambda_endpoint: None,
            in_process_functions: true,
            faults: Faults::default(),
            async_retry_delays: vec![
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(2),
            ],
            idle_timeout: crate::server::listener::IDLE_TIMEOUT,
            in_process_callbacks: CallbackPath::Direct,
        }
    }
}
