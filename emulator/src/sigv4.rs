//! SigV4: every request must carry a well-formed `AWS4-HMAC-SHA256` Authorization header scoped to the
//! service `chime`. With local credentials configured, the signature itself is recomputed with the
//! SDK's own signer (`aws-sigv4`) over the headers the client signed, and must match.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::HeaderMap;

use crate::error::{ApiError, Code};

/// The parts of an Authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Credentials the signatures are checked against when verification is on.
#[derive(Debug, Clone)]
pub struct LocalCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::UnauthorizedClient, message)
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/chime/aws4_request, SignedHeaders=…, Signature=…`.
pub fn parse(headers: &HeaderMap) -> Result<Authorization, ApiError> {
    let header = headers
        .get("authorization")
        .ok_or_else(|| {
            unauthorized("missing Authorization header: requests must be signed with SigV4")
        })?
        .to_str()
        .map_err(|_| unauthorized("Authorization header is not text"))?;
    let rest = header
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| unauthorized("Authorization header must use AWS4-HMAC-SHA256"))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let credential =
        credential.ok_or_else(|| unauthorized("Authorization header lacks Credential"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = scope[..] else {
        return Err(unauthorized(format!(
            "Credential must be KEY/DATE/REGION/SERVICE/aws4_request, got {} parts",
            scope.len()
        )));
    };
    if terminator != "aws4_request" || key.is_empty() || date.len() != 8 {
        return Err(unauthorized("Credential scope is malformed"));
    }
    if service != "chime" {
        return Err(unauthorized(format!(
            "Credential should be scoped to the service 'chime', not '{service}'"
        )));
    }
    let signed_headers: Vec<String> = signed
        .ok_or_else(|| unauthorized("Authorization header lacks SignedHeaders"))?
        .split(';')
        .map(str::to_owned)
        .collect();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(unauthorized("SignedHeaders must include host"));
    }
    let signature =
        signature.ok_or_else(|| unauthorized("Authorization header lacks Signature"))?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unauthorized("Signature must be 64 hex digits"));
    }
    if headers.get("x-amz-date").is_none() {
        return Err(unauthorized("missing X-Amz-Date header"));
    }
    Ok(Authorization {
        access_key_id: key.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

/// Recomputes the signature of the request and compares it with the one sent.
pub fn verify(
    auth: &Authorization,
    credentials: &LocalCredentials,
    method: &str,
    uri: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    if auth.access_key_id != credentials.access_key_id {
        return Err(unauthorized(format!(
            "unknown access key id {}",
            auth.access_key_id
        )));
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("missing X-Amz-Date header"))?;
    let time = parse_amz_date(amz_date)
        .ok_or_else(|| unauthorized(format!("X-Amz-Date {amz_date:?} is not YYYYMMDDTHHMMSSZ")))?;
    let signed: Vec<(&str, &str)> = auth
        .signed_headers
        .iter()
        .filter_map(|name| {
            let value = headers.get(name.as_str())?.to_str().ok()?;
            Some((name.as_str(), value))
        })
        .collect();
    let identity = Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        None,
        None,
        "chime-local",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name("chime")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| unauthorized(format!("cannot verify the signature: {e}")))?
        .into();
    let request = SignableRequest::new(method, uri, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|e| unauthorized(format!("cannot verify the signature: {e}")))?;
    let expected = sign(request, &params)
        .map_err(|e| unauthorized(format!("cannot verify the signature: {e}")))?;
    if expected.signature() != auth.signature {
        return Err(unauthorized(
            "the request signature does not match the one computed with chime-local's credentials",
        ));
    }
    Ok(())
}

fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let at = time::PrimitiveDateTime::parse(text, &format)
        .ok()?
        .assume_utc();
    Some(SystemTime::from(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", auth.parse().unwrap());
        h.insert("x-amz-date", "20260101T000000Z".parse().unwrap());
        h
    }

    #[test]
    fn accepts_a_chime_scoped_header_and_names_what_is_wrong() {
        let good = format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/chime/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
            "a".repeat(64)
        );
        let auth = parse(&headers(&good)).unwrap();
        assert_eq!(auth.region, "us-east-1");
        assert_eq!(auth.signed_headers, vec!["host", "x-amz-date"]);
        let s3 = good.replace("/chime/", "/s3/");
        assert_eq!(
            parse(&headers(&s3)).unwrap_err().message,
            "Credential should be scoped to the service 'chime', not 's3'"
        );
        assert_eq!(
            parse(&HeaderMap::new()).unwrap_err().message,
            "missing Authorization header: requests must be signed with SigV4"
        );
        let short = good.replace(&"a".repeat(64), "abc");
        assert_eq!(
            parse(&headers(&short)).unwrap_err().message,
            "Signature must be 64 hex digits"
        );
    }
}
