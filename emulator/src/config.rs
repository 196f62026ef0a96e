//! What a chime-local is started with: region and account, signature checking, where processors
//! run, the faults to inject, Lambda's retry waits and the connection timeouts. Each room owns its
//! settings (`emulator::Settings`, `processors::Settings`, `server::Settings`); this composes them
//! into the one flat set the command line and the tests fill in.

use crate::emulator::{self, Faults};
use crate::processors::{self, CallbackPath};
use crate::server::{self, LocalCredentials};

/// The SDK configuration of a client of a chime-local (the in-process processors' own).
pub use crate::processors::sdk_loader;

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

    /// The service's part.
    pub fn service(&self) -> emulator::Settings {
        emulator::Settings {
            region: self.region.clone(),
            account: self.account.clone(),
            faults: self.faults.clone(),
            processors: processors::Settings {
                lambda_endpoint: self.lambda_endpoint.clone(),
                in_process_functions: self.in_process_functions,
                async_retry_delays: self.async_retry_delays.clone(),
                callbacks: self.in_process_callbacks,
            },
        }
    }

    /// The wire's part.
    pub fn wire(&self) -> server::Settings {
        server::Settings {
            verify_signatures: self.verify_signatures.clone(),
            idle_timeout: self.idle_timeout,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let (service, wire) = (emulator::Settings::default(), server::Settings::default());
        Self {
            region: service.region,
            account: service.account,
            verify_signatures: wire.verify_signatures,
            lambda_endpoint: service.processors.lambda_endpoint,
            in_process_functions: service.processors.in_process_functions,
            faults: service.faults,
            async_retry_delays: service.processors.async_retry_delays,
            idle_timeout: wire.idle_timeout,
            in_process_callbacks: service.processors.callbacks,
        }
    }
}
