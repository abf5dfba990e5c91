//! The only place where avisos code touches spin-sdk.
//!
//! Components declare themselves with [`endpoint!`], which runs [`serve`] with their methods,
//! body limit, gate and a handler written against `avisos-http`'s plain request/response types;
//! storage is [`SpinKv`], an `avisos_kv::KeyValue` over Spin's key-value store (spin-sdk's
//! `key_value` for plain operations, `wasi:keyvalue/atomics` for counters and compare-and-swap,
//! both of which real Spin provides).

mod kv;

pub use kv::{SpinKv, open_default as open_kv};

pub use avisos_http::Endpoint;
pub use avisos_http::Method;
use avisos_http::endpoint::answer;
pub use avisos_http::endpoint::open;
use avisos_http::{ApiError, HttpRequest, HttpResponse, RequestError};
use futures::StreamExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};

/// A component's Spin entry point, the only one it has: `endpoint!([Get, Post], limit, handler)`
/// declares the methods and body limit that [`serve`] checks before anything else, and the
/// handler (`fn(HttpRequest) -> Result<HttpResponse, E>`) that runs after; `endpoint!(async …)`
/// for a handler that awaits (outgoing HTTP). `endpoint!([Post], limit, gate => handler)` also
/// declares a gate (`fn(&HttpRequest) -> Result<T, E>`) that decides on the head before the body
/// is read, and whose `T` the handler (`fn(HttpRequest, T)`) receives: for endpoints that take
/// large bodies, so that a caller without a session never makes them read one. Route parameters
/// come with the request (`HttpRequest::param`).
#[macro_export]
macro_rules! endpoint {
    (async [$($method:ident),+], $body_limit:expr, $handler:expr) => {
        $crate::endpoint!(@serve [$($method),+], $body_limit, $crate::open, |r, ()| $handler(r));
    };
    ([$($method:ident),+], $body_limit:expr, $gate:expr => $handler:expr) => {
        $crate::endpoint!(@serve [$($method),+], $body_limit, $gate, |r, state| {
            ::std::future::ready($handler(r, state))
        });
    };
    ([$($method:ident),+], $body_limit:expr, $handler:expr) => {
        $crate::endpoint!(@serve [$($method),+], $body_limit, $crate::open, |r, ()| {
            ::std::future::ready($handler(r))
        });
    };
    (@serve [$($method:ident),+], $body_limit:expr, $gate:expr, $handler:expr) => {
        #[::spin_sdk::http_component]
        async fn handle(
            req: ::spin_sdk::http::IncomingRequest,
            out: ::spin_sdk::http::ResponseOutparam,
        ) {
            const ENDPOINT: $crate::Endpoint =
                $crate::Endpoint::new(&[$($crate::Method::$method),+], $body_limit);
            $crate::serve(req, out, ENDPOINT, $gate, $handler).await
        }
    };
}

/// Body limit for ordinary JSON endpoints: enough for a certificate, a signature and form data.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// Serves Spin's request in [`avisos_http::endpoint::answer`]'s order: method, declared length,
/// `gate` on the head, the body streamed up to the limit, `handler`; then writes the response.
/// A request refused before its body is read gets its answer at once: Spin sends the response as
/// soon as the component sets its outparam, whatever is left of the body
/// (`crates/trigger-http/src/wasi.rs`, `WasiHttpExecutor::execute`: `response_rx.await` is
/// answered before the guest's task ends), as the host does.
pub async fn serve<G, T, F, Fut, E>(
    req: IncomingRequest,
    out: ResponseOutparam,
    endpoint: Endpoint,
    gate: G,
    handler: F,
) where
    G: FnOnce(&HttpRequest) -> Result<T, E>,
    F: FnOnce(HttpRequest, T) -> Fut,
    Fut: std::future::Future<Output = Result<HttpResponse, E>>,
    E: Into<ApiError>,
{
    let head = read_head(&req);
    let response = answer(head, endpoint, |limit| read_body(req, limit), gate, handler).await;
    write_response(out, response).await;
}

/// POSTs a JSON document through Spin's outbound HTTP (the component's `allowed_outbound_hosts`
/// must allow `url`). Returns the response status; transport failures (refused connection,
/// host not allowed) are `Err` with a description for the record.
pub async fn post_json(url: &str, bearer: Option<&str>, body: Vec<u8>) -> Result<u16, String> {
    let mut builder = spin_sdk::http::Request::builder();
    builder
        .method(spin_sdk::http::Method::Post)
        .uri(url)
        .header("content-type", "application/json");
    if let Some(token) = bearer {
        builder.header("authorization", format!("Bearer {token}"));
    }
    let request = builder.body(body).build();
    let response: spin_sdk::http::Response = spin_sdk::http::send(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(*response.status())
}

/// Spin keeps the headers a client sent and appends its own `spin-*` headers after them
/// (`crates/trigger-http/src/headers.rs`, `prepare_request_headers`), so a client can send its
/// own `spin-client-addr` or `spin-path-info`. Of every `spin-*` name only the last value, Spin's,
/// is kept; the client's are dropped.
fn keep_spins_own_headers(headers: &mut Vec<(String, String)>) {
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers.drain(..).rev() {
        if name.starts_with("spin-") && !seen.insert(name.clone()) {
            continue;
        }
        kept.push((name, value));
    }
    kept.reverse();
    *headers = kept;
}

/// Spin's request head (method, path, headers, route) in the plain model, without its body.
pub fn read_head(req: &IncomingRequest) -> HttpRequest {
    let method = Method::parse(&req.method().to_string());
    let path_and_query = req.path_with_query().unwrap_or_else(|| "/".into());
    let mut request = HttpRequest::new(method, &path_and_query);
    for (name, value) in req.headers().entries() {
        let value = String::from_utf8_lossy(&value).into_owned();
        request.headers.push((name.to_ascii_lowercase(), value));
    }
    keep_spins_own_headers(&mut request.headers);
    if let Some(info) = request.header("spin-path-info") {
        request.path_info = info.to_owned();
    }
    request
}

/// Spin's request body, streamed and refused as soon as it passes `limit`.
async fn read_body(req: IncomingRequest, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    let mut stream = req.into_body_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::from(RequestError::BodyIncomplete))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn write_response(out: ResponseOutparam, response: HttpResponse) {
    let headers: Vec<(String, Vec<u8>)> = response
        .headers
        .into_iter()
        .map(|(n, v)| (n, v.into_bytes()))
        .collect();
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(fields);
    // An invalid status cannot come from our handlers; fall back to 500 rather than trap.
    if outgoing.set_status_code(response.status).is_err() {
        let _ = outgoing.set_status_code(500);
    }
    // The client may have gone away; there is nobody left to tell.
    let _ = out.set_with_body(outgoing, response.body).await;
}

/// `N` bytes from the host's cryptographic random source (`wasi:random`).
pub fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // wasi:random cannot fail; a host that breaks this contract must not get predictable ids.
    if getrandom::fill(&mut buf).is_err() {
        panic!("no cryptographic randomness available");
    }
    buf
}

/// The current instant from the host's wall clock.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// A Spin variable declared for this component. A missing value is a deployment fault (500).
pub fn variable(name: &str) -> Result<String, ApiError> {
    spin_sdk::variables::get(name).map_err(|_| ApiError::misconfigured(name))
}

/// A Spin variable that may be left empty; `None` when unset or blank.
pub fn optional_variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_spins_own_value_of_each_spin_header_is_kept() {
        let mut headers: Vec<(String, String)> = [
            ("spin-client-addr", "6.6.6.6:1"),
            ("x-custom", "a"),
            ("spin-path-info", "/forged"),
            ("x-custom", "b"),
            ("spin-path-info", "/real"),
            ("spin-client-addr", "10.0.0.7:5555"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
        keep_spins_own_headers(&mut headers);
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("x-custom", "a"),
                ("x-custom", "b"),
                ("spin-path-info", "/real"),
                ("spin-client-addr", "10.0.0.7:5555"),
            ]
        );
    }
}
