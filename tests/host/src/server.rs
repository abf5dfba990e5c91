//! The HTTP trigger: accept connections, route, run one component instance per request.
//!
//! As in Spin's `trigger-http`: the request URI is made absolute from the `Host` header, the
//! `spin-*` headers are added, the component's `wasi:http/incoming-handler` runs in its own
//! task (it may keep streaming the body after the response head), a trap or a missing
//! response is a bodiless 500, and a path no route matches is a bodiless 404.
//! `/.well-known/spin/health` answers `OK`, as Spin's does.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::{App, StartupError};
use crate::routes::RouteMatch;

/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Binds a listening socket, reporting a busy port clearly.
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, StartupError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            StartupError::PortInUse { addr }
        } else {
            StartupError::Listen { addr, source }
        }
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| StartupError::Listen { addr, source })?;
    Ok(listener)
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish
/// (up to 30 s). Must run inside a multi-threaded tokio runtime.
pub async fn serve(
    app: Arc<App>,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Transient accept errors (e.g. too many open files) must not stop the server.
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(handle(&app, req, client).await) }
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            // Client resets and half-read requests are routine, not host failures.
            let _ = conn.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("shutdown: some requests did not finish within {SHUTDOWN_GRACE:?}");
    }
    Ok(())
}

fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    let mut r = Response::new(Empty::new().map_err(|e| match e {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

fn text(status: StatusCode, body: &'static str) -> Response<HyperOutgoingBody> {
    let mut r = Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    r
}

async fn handle(
    app: &App,
    req: Request<Incoming>,
    client: SocketAddr,
) -> Response<HyperOutgoingBody> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (component, response) = dispatch(app, req, client).await;
    if app.log_requests {
        eprintln!(
            "{method} {path} {} {} {:.1}ms",
            component.as_deref().unwrap_or("-"),
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

async fn dispatch(
    app: &App,
    mut req: Request<Incoming>,
    client: SocketAddr,
) -> (Option<String>, Response<HyperOutgoingBody>) {
    let path = req.uri().path().to_owned();
    if let Some(well_known) = path.strip_prefix("/.well-known/spin/") {
        return match well_known {
            "health" => (None, text(StatusCode::OK, "OK")),
            _ => (None, empty(StatusCode::NOT_FOUND)),
        };
    }
    let Some(route) = app.router.route(&path) else {
        return (None, empty(StatusCode::NOT_FOUND));
    };
    let component = route.component.clone();
    let Some(prepared) = app.components.get(&component).cloned() else {
        return (Some(component), empty(StatusCode::INTERNAL_SERVER_ERROR));
    };
    if let Err(e) = prepare_request(&mut req, &route, client) {
        eprintln!("bad request to {path}: {e}");
        return (Some(component), empty(StatusCode::BAD_REQUEST));
    }
    let response = match run_component(app, &prepared, req).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("component {component:?} failed on {path}: {e:#}");
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    (Some(component), response)
}

/// Makes the URI absolute (from `Host`) and adds the `spin-*` headers.
fn prepare_request<B>(
    req: &mut Request<B>,
    route: &RouteMatch,
    client: SocketAddr,
) -> Result<(), String> {
    let host = match req.headers().get(http::header::HOST) {
        Some(h) => h
            .to_str()
            .map_err(|_| "the Host header is not valid UTF-8")?
            .to_owned(),
        None => req
            .uri()
            .authority()
            .map(|a| a.to_string())
            .ok_or("no Host header in request")?,
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let uri: Uri = format!("http://{host}{path_and_query}")
        .parse()
        .map_err(|e| format!("bad request target: {e}"))?;

    let mut headers: Vec<(String, String)> = vec![
        ("spin-path-info".into(), route.path_info.clone()),
        ("spin-full-url".into(), uri.to_string()),
        ("spin-matched-route".into(), route.based_route.clone()),
        ("spin-base-path".into(), "/".into()),
        ("spin-raw-component-route".into(), route.raw_route.clone()),
        (
            "spin-component-route".into(),
            route.component_route().to_owned(),
        ),
        ("spin-client-addr".into(), client.to_string()),
    ];
    for (name, value) in &route.params {
        headers.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    let map = req.headers_mut();
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value))
        else {
            continue;
        };
        // Appended after any value the client sent, as Spin does (`prepare_request_headers` in
        // `crates/trigger-http/src/headers.rs`): a component must take the last value.
        map.append(name, value);
    }
    *req.uri_mut() = uri;
    Ok(())
}

/// Most component instances alive at once. The pooling allocator has room for 1,000 core
/// instances and memories (wasmtime's defaults, as in Spin); a component uses a few of each, so
/// requests beyond this many wait for a free slot instead of failing to instantiate.
const MAX_CONCURRENT_INSTANCES: usize = 200;

fn instance_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(MAX_CONCURRENT_INSTANCES))
}

async fn run_component(
    app: &App,
    prepared: &crate::instance::PreparedComponent,
    req: Request<Incoming>,
) -> anyhow::Result<Response<HyperOutgoingBody>> {
    // Held by the task below until the instance is gone.
    let slot = instance_slots().acquire().await?;
    let mut store = prepared.new_store(app.clock.as_ref())?;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let request = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let pre = prepared.pre().clone();
    let id = prepared.id.clone();

    let task = tokio::spawn(async move {
        let _slot = slot;
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, request, out)
            .await
    });

    match receiver.await {
        Ok(Ok(response)) => {
            // The guest may still be writing the body; report a failure after the head.
            tokio::spawn(async move {
                match task.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!(
                        "component {id:?} failed after sending its response: {}",
                        anyhow::Error::from(e)
                    ),
                    Err(e) => eprintln!("component {id:?} task failed: {e}"),
                }
            });
            Ok(response)
        }
        Ok(Err(code)) => {
            anyhow::bail!("the component returned an error instead of a response: {code:?}")
        }
        Err(_) => {
            let reason = match task.await {
                Ok(Ok(())) => anyhow::anyhow!("the component returned without sending a response"),
                Ok(Err(e)) => anyhow::Error::from(e).context("the component trapped"),
                Err(e) => anyhow::anyhow!("the component task failed: {e}"),
            };
            Err(reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Router;

    /// As Spin does: the client's `spin-*` headers stay, in order, and Spin's own values are
    /// appended after them (so components must take the last value).
    #[test]
    fn client_sent_spin_headers_come_first_and_spins_last() {
        let router = Router::build([("/items/:id/...", "c")]).unwrap();
        let route = router.route("/items/7/x").unwrap();
        let mut req = Request::builder()
            .uri("/items/7/x")
            .header("host", "127.0.0.1:3000")
            .header("spin-client-addr", "6.6.6.6:1")
            .header("spin-path-info", "/forged")
            .header("spin-path-match-id", "forged")
            .header("x-custom", "kept")
            .body(())
            .unwrap();
        prepare_request(&mut req, &route, "10.1.2.3:4567".parse().unwrap()).unwrap();
        let values = |name: &str| -> Vec<&str> {
            req.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect()
        };
        assert_eq!(values("spin-client-addr"), ["6.6.6.6:1", "10.1.2.3:4567"]);
        assert_eq!(values("spin-path-info"), ["/forged", "/x"]);
        assert_eq!(values("spin-path-match-id"), ["forged", "7"]);
        assert_eq!(values("x-custom"), ["kept"]);
        assert_eq!(values("spin-full-url"), ["http://127.0.0.1:3000/items/7/x"]);
    }
}
