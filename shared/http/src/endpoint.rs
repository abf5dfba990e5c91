//! The order of work of every endpoint, apart from the platform: the method, the declared body
//! length, the gate (what the head alone decides: a session, a rate limit), the body (read up to
//! the limit), the handler. A request the gate refuses is answered before its body is read, so a
//! caller nobody has proven cannot make a component read megabytes.

use std::future::Future;

use crate::response::respond;
use crate::{ApiError, HttpRequest, HttpResponse, Method};

/// What an endpoint accepts, checked before any other work: its methods, then its body size.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub methods: &'static [Method],
    /// Largest body accepted, in bytes (0 for endpoints that take none).
    pub body_limit: usize,
}

impl Endpoint {
    pub const fn new(methods: &'static [Method], body_limit: usize) -> Endpoint {
        Endpoint {
            methods,
            body_limit,
        }
    }
}

/// Answers a request whose `head` (method, path, headers; no body yet) has arrived:
/// 405 for another method, 413 for a declared length over the limit, then `gate` on the head,
/// then the body (`read_body(limit)`: the platform's stream, refused past the limit), then
/// `handler` with the whole request and what the gate returned. Refusals become the JSON error
/// contract.
pub async fn answer<B, BF, G, T, F, Fut, E>(
    mut head: HttpRequest,
    endpoint: Endpoint,
    read_body: B,
    gate: G,
    handler: F,
) -> HttpResponse
where
    B: FnOnce(usize) -> BF,
    BF: Future<Output = Result<Vec<u8>, ApiError>>,
    G: FnOnce(&HttpRequest) -> Result<T, E>,
    F: FnOnce(HttpRequest, T) -> Fut,
    Fut: Future<Output = Result<HttpResponse, E>>,
    E: Into<ApiError>,
{
    if !endpoint.methods.contains(&head.method) {
        return respond(Err(ApiError::method_not_allowed(endpoint.methods)))
            .with_header("allow", &allow_header(endpoint.methods));
    }
    if let Some(len) = head.header("content-length")
        && len
            .trim()
            .parse::<u64>()
            .map_or(true, |n| n > endpoint.body_limit as u64)
    {
        return respond(Err(ApiError::payload_too_large(endpoint.body_limit)));
    }
    let state = match gate(&head) {
        Ok(state) => state,
        Err(e) => return respond(Err(e.into())),
    };
    head.body = match read_body(endpoint.body_limit).await {
        Ok(body) => body,
        Err(e) => return respond(Err(e)),
    };
    respond(handler(head, state).await.map_err(Into::into))
}

/// The gate of an endpoint that decides everything in its handler.
pub fn open<E>(_: &HttpRequest) -> Result<(), E> {
    Ok(())
}

fn allow_header(methods: &[Method]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
