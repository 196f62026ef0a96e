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
    // As AWS: a signature more than 15 minutes from the service's clock is refused (a captured
    // request cannot be replayed later).
    let now = SystemTime::now();
    let apart = now
        .duration_since(time)
        .or_else(|_| time.duration_since(now))
        .map_or(0, |d| d.as_secs());
    if apart > SIGNATURE_SKEW_SECS {
        return Err(unauthorized(format!(
            "Signature expired: X-Amz-Date {amz_date} is {apart} s from chime-local's clock; \
             at most {SIGNATURE_SKEW_SECS} s are allowed"
        )));
    }
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

/// The parts of a presigned URL's query (`X-Amz-*`, as the messaging WebSocket's `/connect` takes
/// them), still percent-encoded as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned<'q> {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub amz_date: &'q str,
    pub expires_secs: u64,
    pub signature: &'q str,
    /// Every pair but the signature, as sent.
    pub signed_pairs: Vec<(&'q str, &'q str)>,
}

/// How far a signed request's `X-Amz-Date` may be from chime-local's clock, as AWS allows.
pub const SIGNATURE_SKEW_SECS: u64 = 15 * 60;

/// How far a client's clock may be from chime-local's, as the service allows (5 minutes).
const CLOCK_SKEW_SECS: u64 = 300;

/// Parses and checks the form of a presigned query: algorithm, credential scope for `chime`,
/// `host` as the only signed header, a date, an expiry and a 64-hex-digit signature.
pub fn parse_presigned(query: &str) -> Result<Presigned<'_>, ApiError> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut signature = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "X-Amz-Signature" {
            signature = Some(value);
        } else {
            pairs.push((key, value));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| unauthorized(format!("the presigned URL lacks {name}")))
    };
    if get("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
        return Err(unauthorized("X-Amz-Algorithm must be AWS4-HMAC-SHA256"));
    }
    if !get("X-Amz-SignedHeaders")?.eq_ignore_ascii_case("host") {
        return Err(unauthorized("X-Amz-SignedHeaders must be host"));
    }
    let credential = percent_encoding::percent_decode_str(get("X-Amz-Credential")?)
        .decode_utf8_lossy()
        .into_owned();
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, "aws4_request"] = scope[..] else {
        return Err(unauthorized(
            "X-Amz-Credential must be KEY/DATE/REGION/chime/aws4_request",
        ));
    };
    if service != "chime" || key.is_empty() || date.len() != 8 {
        return Err(unauthorized(format!(
            "X-Amz-Credential should be scoped to the service 'chime', not {credential:?}"
        )));
    }
    let expires_secs = get("X-Amz-Expires")?
        .parse()
        .map_err(|_| unauthorized("X-Amz-Expires must be a number of seconds"))?;
    let signature =
        signature.ok_or_else(|| unauthorized("the presigned URL lacks X-Amz-Signature"))?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unauthorized("X-Amz-Signature must be 64 hex digits"));
    }
    Ok(Presigned {
        access_key_id: key.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        amz_date: get("X-Amz-Date")?,
        expires_secs,
        signature,
        signed_pairs: pairs,
    })
}

/// Checks a presigned GET of `path` on `host`: not expired (within the clock skew the service
/// allows), signed with `credentials`. The canonical query is the pairs sorted as sent; clients
/// that encode differently from RFC 3986 (`encodeURIComponent` leaves `()!*'`) are accepted too.
pub fn verify_presigned(
    presigned: &Presigned<'_>,
    credentials: &LocalCredentials,
    path: &str,
    host: &str,
) -> Result<(), ApiError> {
    if presigned.access_key_id != credentials.access_key_id {
        return Err(unauthorized(format!(
            "unknown access key id {}",
            presigned.access_key_id
        )));
    }
    let signed_at = parse_amz_date(presigned.amz_date).ok_or_else(|| {
        unauthorized(format!(
            "X-Amz-Date {:?} is not YYYYMMDDTHHMMSSZ",
            presigned.amz_date
        ))
    })?;
    let now = SystemTime::now();
    let age = now.duration_since(signed_at).map(|d| d.as_secs());
    let ahead = signed_at
        .duration_since(now)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match age {
        Ok(age) if age > presigned.expires_secs + CLOCK_SKEW_SECS => {
            return Err(unauthorized(format!(
                "the presigned URL expired: signed {age} s ago, valid for {} s",
                presigned.expires_secs
            )));
        }
        Err(_) if ahead > CLOCK_SKEW_SECS => {
            return Err(unauthorized("X-Amz-Date is in the future"));
        }
        _ => {}
    }
    let key = v4::generate_signing_key(
        &credentials.secret_access_key,
        signed_at,
        &presigned.region,
        "chime",
    );
    let scope = format!("{}/{}/chime/aws4_request", presigned.date, presigned.region);
    // The payload of a GET is empty: signers hash it (the JS SDK) or say UNSIGNED-PAYLOAD (the
    // SDKs' presigners); both are accepted.
    let payload_hashes = [sha256_hex(b""), "UNSIGNED-PAYLOAD".to_owned()];
    let signed_with = |canonical_query: &str, payload: &str| {
        let canonical_request = format!(
            "GET\n{path}\n{canonical_query}\nhost:{}\n\nhost\n{payload}",
            host.to_ascii_lowercase(),
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            presigned.amz_date,
            sha256_hex(canonical_request.as_bytes())
        );
        v4::calculate_signature(&key, to_sign.as_bytes()) == presigned.signature
    };
    let matches = |canonical_query: &str| {
        payload_hashes
            .iter()
            .any(|payload| signed_with(canonical_query, payload))
    };
    let as_sent = canonical_query(
        presigned
            .signed_pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let reencoded = canonical_query(
        presigned
            .signed_pairs
            .iter()
            .map(|(k, v)| (rfc3986(k), rfc3986(v))),
    );
    if matches(&as_sent) || matches(&reencoded) {
        Ok(())
    } else {
        Err(unauthorized(
            "the presigned URL's signature does not match the one computed with chime-local's credentials",
        ))
    }
}

fn canonical_query(pairs: impl Iterator<Item = (String, String)>) -> String {
    let mut pairs: Vec<(String, String)> = pairs.collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes a query component and encodes it again as SigV4 wants: everything but `A–Z a–z 0–9 - _ . ~`.
fn rfc3986(component: &str) -> String {
    const SIGV4: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let decoded = percent_encoding::percent_decode_str(component).collect::<Vec<u8>>();
    percent_encoding::percent_encode(&decoded, SIGV4).to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
