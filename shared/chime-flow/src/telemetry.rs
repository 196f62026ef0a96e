//! Tracing for processors: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, level from `AWS_LAMBDA_LOG_LEVEL`
//! (Lambda's advanced logging controls) or `RUST_LOG`, `info` otherwise.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Maps Lambda's level names (`TRACE`…`FATAL`) to a filter; `RUST_LOG` syntax is accepted as well.
pub fn filter_from(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    let directive = match lambda_level.map(str::to_ascii_lowercase).as_deref() {
        Some("fatal") => "error".to_owned(),
        Some(level @ ("trace" | "debug" | "info" | "warn" | "error")) => level.to_owned(),
        _ => rust_log.unwrap_or("info").to_owned(),
    };
    EnvFilter::try_new(&directive).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Builds the subscriber every processor uses, writing to `writer` (stdout in Lambda, a buffer in tests).
pub fn subscriber<W>(
    writer: W,
    json: bool,
    filter: EnvFilter,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false);
    if json {
        Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .finish(),
        )
    } else {
        Box::new(builder.finish())
    }
}

/// Installs the process-wide subscriber from the environment. A second call is a no-op.
pub fn init_from_env() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let filter = filter_from(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, json, filter));
}

/// What every function's `main` does first: the subscriber from the environment and the panic hook.
pub fn start() {
    init_from_env();
    install_panic_hook();
}

/// Logs a configuration error found at start (the function then exits with it).
pub fn log_startup_error<E: std::fmt::Display>(error: &E) {
    tracing::error!(error = %error, "invalid configuration");
}

/// Replaces the default panic message, which can quote message content (a bad string slice prints the
/// string), with the location only.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(
            location = location.as_deref(),
            "panic (message withheld: it may quote message content)"
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_levels_win_over_rust_log() {
        assert_eq!(
            filter_from(Some("FATAL"), Some("debug")).to_string(),
            "error"
        );
        assert_eq!(filter_from(Some("DEBUG"), None).to_string(), "debug");
        assert_eq!(filter_from(None, Some("warn")).to_string(), "warn");
        assert_eq!(filter_from(None, None).to_string(), "info");
    }
}
