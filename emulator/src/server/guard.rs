//! What a local development service owes the machine it runs on: a request must name chime-local by
//! a loopback `Host` (or the address it was bound to), so a page whose DNS name was rebound to
//! 127.0.0.1 is refused before routing; a page of another site may not drive the control endpoints
//! (a state-changing `/_chime-local/` request needs [`CONTROL_HEADER`], which a simple cross-origin
//! request cannot carry, and an `Origin` other than the service's own is refused); a page served
//! from another machine may not use the API or the messaging WebSocket either.

use std::net::IpAddr;

use axum::http::Method;
use axum::http::request::Parts;

use crate::server::error::ApiError;

/// The header every state-changing control request carries (the console and chime-local's own
/// tools send it). A browser sends a custom header cross-origin only after a CORS preflight, which
/// chime-local never grants.
pub const CONTROL_HEADER: &str = "x-chime-local-control";

/// Whether `host` (a `Host` header's name, without its port) names this machine's loopback or the
/// address chime-local was bound to.
pub fn is_local_name(host: &str, bound: Option<IpAddr>) -> bool {
    let name = host.trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || Some(ip) == bound,
        Err(_) => false,
    }
}

/// The host part of a `Host` header value (`127.0.0.1:8000`, `[::1]:8000`, `localhost`).
fn host_name(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(name, _)| name);
    }
    value.rsplit_once(':').map_or(value, |(name, _)| name)
}

/// Checks a request's `Host`, `Origin` and, for a state-changing control request, the control
/// header; the refusal names what was wrong.
pub fn check(parts: &Parts, bound: Option<IpAddr>) -> Result<(), ApiError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("host").or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let Some(host) = host.filter(|h| is_local_name(host_name(h), bound)) else {
        return Err(ApiError::forbidden(format!(
            "Host {:?} is not chime-local's: it answers to loopback names and addresses only",
            host.unwrap_or_default()
        )));
    };
    let control = parts.uri.path().starts_with("/_chime-local/");
    if let Some(origin) = header("origin") {
        let own = format!("http://{host}");
        let allowed = if control {
            origin.eq_ignore_ascii_case(&own)
        } else {
            // A page served from this machine (a front end on another port) may use the API and
            // the messaging WebSocket; one from anywhere else may not.
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|authority| is_local_name(host_name(authority), bound))
        };
        if !allowed {
            return Err(ApiError::forbidden(format!(
                "Origin {origin} may not call chime-local{}",
                if control {
                    "'s control endpoints (only its own pages may)"
                } else {
                    ""
                }
            )));
        }
    }
    let reads = matches!(parts.method, Method::GET | Method::HEAD);
    if control && !reads && header(CONTROL_HEADER).is_none() {
        return Err(ApiError::forbidden(format!(
            "a state-changing control request must carry the {CONTROL_HEADER} header"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, path: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
            .body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn hosts_origins_and_the_control_header() {
        let ok = |p: Parts| check(&p, None).is_ok();
        assert!(ok(parts("GET", "/channels", &[("host", "127.0.0.1:8000")])));
        assert!(ok(parts("GET", "/channels", &[("host", "localhost:8000")])));
        assert!(ok(parts("GET", "/channels", &[("host", "[::1]:8000")])));
        assert!(ok(parts("GET", "/channels", &[("host", "api.localhost")])));
        assert!(
            !ok(parts("GET", "/channels", &[("host", "evil.example:8000")])),
            "DNS rebinding"
        );
        assert!(!ok(parts(
            "GET",
            "/channels",
            &[("host", "192.168.1.9:8000")]
        )));
        assert!(
            check(
                &parts("GET", "/", &[("host", "10.0.0.2:8000")]),
                Some("10.0.0.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))
            )
            .is_ok(),
            "the bound address"
        );
        assert!(!ok(parts("GET", "/channels", &[])), "no Host at all");
        // The API from a page of this machine, not from another site.
        assert!(ok(parts(
            "GET",
            "/channels",
            &[
                ("host", "127.0.0.1:8000"),
                ("origin", "http://localhost:3000")
            ]
        )));
        assert!(!ok(parts(
            "GET",
            "/channels",
            &[
                ("host", "127.0.0.1:8000"),
                ("origin", "https://evil.example")
            ]
        )));
        // Control: the service's own origin and the header.
        let own = [
            ("host", "127.0.0.1:8000"),
            ("origin", "http://127.0.0.1:8000"),
            (CONTROL_HEADER, "1"),
        ];
        assert!(ok(parts("POST", "/_chime-local/faults", &own)));
        assert!(
            !ok(parts("POST", "/_chime-local/faults", &own[..2])),
            "no header"
        );
        assert!(!ok(parts(
            "POST",
            "/_chime-local/faults",
            &[
                ("host", "127.0.0.1:8000"),
                ("origin", "http://localhost:3000"),
                (CONTROL_HEADER, "1")
            ]
        )));
        assert!(ok(parts(
            "GET",
            "/_chime-local/console/",
            &[("host", "127.0.0.1:8000")]
        )));
    }
}
