//! A test component that reports what the host gives it, over HTTP.
//!
//! Paths (any prefix up to `/probe` is ignored, so it can sit behind several routes):
//!
//! | request | does |
//! | --- | --- |
//! | `GET /probe/headers` | JSON object of the request headers |
//! | `GET /probe/time` | `{"unix_ms": n}` from the wall clock |
//! | `GET /probe/var/<name>` | Spin variable (`fermyon:spin/variables`) |
//! | `GET /probe/config/<name>` | `wasi:config/store` value |
//! | `GET /probe/env/<NAME>` | environment variable |
//! | `GET /probe/file/<path>` | contents of `/<path>` |
//! | `PUT/GET/DELETE /probe/kv/<store>/<key>` | `fermyon:spin/key-value` set/get/delete |
//! | `GET /probe/kv-exists/<store>/<key>` | `true` / `false` |
//! | `GET /probe/kv-keys/<store>` | JSON array of keys |
//! | `GET /probe/wkv/<store>/<key>` | get through `wasi:keyvalue/store` |
//! | `POST /probe/incr/<store>/<key>?delta=n` | `wasi:keyvalue/atomics.increment` |
//! | `POST /probe/cas-incr/<store>/<key>` | increment a decimal value with a CAS retry loop |
//! | `POST /probe/cas-conflict/<store>/<key>` | a CAS that another write beats |
//! | `POST /probe/batch/<store>` | `wasi:keyvalue/batch` set/get/delete from a JSON body |
//! | `GET /probe/outbound?url=<url>` | outgoing HTTP request |
//! | `GET /probe/trap` | panics |
//! | `GET /probe/sleep?ms=n` | answers after n milliseconds |
//! | `* /probe/echo` | method and body back |
//!
//! Store errors come back as `403 access-denied`, `404 no-such-store`, `500 other: ...`.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::{Error as KvError, Store};
use spin_sdk::wit::wasi::config::store as config;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_kv};

fn respond(status: u16, body: impl Into<Vec<u8>>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.into())
        .build()
}

fn json(status: u16, value: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(value.to_string())
        .build()
}

fn kv_error(e: KvError) -> Response {
    match e {
        KvError::AccessDenied => respond(403, "access-denied"),
        KvError::NoSuchStore => respond(404, "no-such-store"),
        KvError::StoreTableFull => respond(500, "store-table-full"),
        KvError::Other(m) => respond(500, format!("other: {m}")),
    }
}

fn wasi_error(e: wasi_kv::Error) -> Response {
    match e {
        wasi_kv::Error::AccessDenied => respond(403, "access-denied"),
        wasi_kv::Error::NoSuchStore => respond(404, "no-such-store"),
        wasi_kv::Error::Other(m) => respond(500, format!("other: {m}")),
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Decodes `%XX` escapes (enough for URLs passed as a query parameter).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[http_component]
async fn handle(req: Request) -> impl IntoResponse {
    let path = req.path().to_owned();
    let rest = match path.find("/probe/") {
        Some(i) => path[i + "/probe/".len()..].to_owned(),
        None => String::new(),
    };
    let parts: Vec<&str> = rest.splitn(3, '/').collect();
    let method = req.method().to_string();

    match (method.as_str(), parts.as_slice()) {
        ("GET", ["headers"]) => {
            let headers: serde_json::Map<String, serde_json::Value> = req
                .headers()
                .map(|(k, v)| (k.to_owned(), v.as_str().unwrap_or("<binary>").into()))
                .collect();
            json(200, headers.into())
        }
        ("GET", ["time"]) => {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i128)
                .unwrap_or_else(|e| -(e.duration().as_millis() as i128));
            json(200, serde_json::json!({ "unix_ms": ms }))
        }
        ("GET", ["var", name]) => match spin_sdk::variables::get(name) {
            Ok(v) => respond(200, v),
            Err(spin_sdk::variables::Error::Undefined(m)) => {
                respond(404, format!("undefined: {m}"))
            }
            Err(spin_sdk::variables::Error::InvalidName(m)) => {
                respond(400, format!("invalid-name: {m}"))
            }
            Err(e) => respond(500, format!("{e:?}")),
        },
        ("GET", ["config", name]) => match config::get(name) {
            Ok(Some(v)) => respond(200, v),
            Ok(None) => respond(404, "none"),
            Err(e) => respond(500, format!("{e:?}")),
        },
        ("GET", ["env", name]) => match std::env::var(name) {
            Ok(v) => respond(200, v),
            Err(_) => respond(404, "unset"),
        },
        ("GET", ["file", tail @ ..]) => {
            let file = format!("/{}", tail.join("/"));
            match std::fs::read(&file) {
                Ok(bytes) => respond(200, bytes),
                Err(e) => respond(404, format!("{file}: {e}")),
            }
        }
        (m, ["kv", store, key]) => {
            let store = match Store::open(store) {
                Ok(s) => s,
                Err(e) => return kv_error(e),
            };
            let result = match m {
                "PUT" => store.set(key, req.body()).map(|()| respond(204, "")),
                "GET" => store.get(key).map(|v| match v {
                    Some(v) => respond(200, v),
                    None => respond(404, "absent"),
                }),
                "DELETE" => store.delete(key).map(|()| respond(204, "")),
                _ => Ok(respond(405, "method")),
            };
            result.unwrap_or_else(kv_error)
        }
        ("GET", ["kv-exists", store, key]) => {
            match Store::open(store).and_then(|s| s.exists(key)) {
                Ok(b) => respond(200, b.to_string()),
                Err(e) => kv_error(e),
            }
        }
        ("GET", ["kv-keys", store]) => match Store::open(store).and_then(|s| s.get_keys()) {
            Ok(keys) => json(200, keys.into()),
            Err(e) => kv_error(e),
        },
        ("GET", ["wkv", store, key]) => match wasi_kv::open(store).and_then(|b| b.get(key)) {
            Ok(Some(v)) => respond(200, v),
            Ok(None) => respond(404, "absent"),
            Err(e) => wasi_error(e),
        },
        ("POST", ["incr", store, key]) => {
            let delta = query_param(req.query(), "delta")
                .and_then(|d| d.parse().ok())
                .unwrap_or(1);
            match wasi_kv::open(store).and_then(|b| atomics::increment(&b, key, delta)) {
                Ok(n) => respond(200, n.to_string()),
                Err(e) => wasi_error(e),
            }
        }
        ("POST", ["cas-incr", store, key]) => cas_increment(store, key),
        ("POST", ["cas-conflict", store, key]) => cas_conflict(store, key),
        ("POST", ["batch", store]) => batch_ops(store, req.body()),
        ("GET", ["outbound"]) => {
            let Some(url) = query_param(req.query(), "url").map(percent_decode) else {
                return respond(400, "url?");
            };
            let outgoing = spin_sdk::http::Request::get(url).build();
            match spin_sdk::http::send::<_, Response>(outgoing).await {
                Ok(r) => respond(200, format!("status {}", r.status())),
                Err(e) => respond(502, format!("{e:?}")),
            }
        }
        ("GET", ["trap"]) => panic!("the probe was asked to trap"),
        ("GET", ["sleep"]) => {
            let ms = query_param(req.query(), "ms")
                .and_then(|m| m.parse().ok())
                .unwrap_or(100);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            respond(200, format!("slept {ms}"))
        }
        (m, ["echo"]) => json(
            200,
            serde_json::json!({
                "method": m,
                "body": String::from_utf8_lossy(req.body()),
                "query": req.query(),
            }),
        ),
        _ => respond(404, format!("probe: no such endpoint {method} {path}")),
    }
}

/// Reads a decimal value, writes value + 1 with compare-and-swap, retries when beaten.
fn cas_increment(store: &str, key: &str) -> Response {
    let bucket = match wasi_kv::open(store) {
        Ok(b) => b,
        Err(e) => return wasi_error(e),
    };
    let mut attempts = 0u32;
    let mut cas = match atomics::Cas::new(&bucket, key) {
        Ok(c) => c,
        Err(e) => return wasi_error(e),
    };
    loop {
        attempts += 1;
        let current = match cas.current() {
            Ok(v) => v,
            Err(e) => return wasi_error(e),
        };
        let n: u64 = current
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let next = n + 1;
        match atomics::swap(cas, next.to_string().as_bytes()) {
            Ok(()) => {
                return json(
                    200,
                    serde_json::json!({ "value": next, "attempts": attempts }),
                );
            }
            Err(atomics::CasError::CasFailed(fresh)) => cas = fresh,
            Err(atomics::CasError::StoreError(e)) => return wasi_error(e),
        }
    }
}

/// Starts a CAS, lets another write change the value, and reports what the swap says.
fn cas_conflict(store: &str, key: &str) -> Response {
    let run = || -> Result<serde_json::Value, Response> {
        let bucket = wasi_kv::open(store).map_err(wasi_error)?;
        let other = Store::open(store).map_err(kv_error)?;
        let cas = atomics::Cas::new(&bucket, key).map_err(wasi_error)?;
        let seen = cas.current().map_err(wasi_error)?;
        other.set(key, b"intruder").map_err(kv_error)?;
        let first = match atomics::swap(cas, b"mine") {
            Ok(()) => serde_json::json!({ "first": "swapped" }),
            Err(atomics::CasError::CasFailed(fresh)) => {
                let now = fresh.current().map_err(wasi_error)?;
                let second = match atomics::swap(fresh, b"mine-after-retry") {
                    Ok(()) => "swapped",
                    Err(atomics::CasError::CasFailed(_)) => "cas-failed",
                    Err(atomics::CasError::StoreError(_)) => "store-error",
                };
                serde_json::json!({
                    "first": "cas-failed",
                    "fresh_current": now.map(|v| String::from_utf8_lossy(&v).into_owned()),
                    "second": second,
                })
            }
            Err(atomics::CasError::StoreError(e)) => return Err(wasi_error(e)),
        };
        let mut out = first;
        out["seen"] = seen
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .into();
        out["final"] = other
            .get(key)
            .map_err(kv_error)?
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .into();
        Ok(out)
    };
    match run() {
        Ok(v) => json(200, v),
        Err(r) => r,
    }
}

/// Body: `{"set": {"k": "v"}, "delete": ["k"], "get": ["k"]}`, applied in that order.
fn batch_ops(store: &str, body: &[u8]) -> Response {
    let Ok(ops) = serde_json::from_slice::<serde_json::Value>(body) else {
        return respond(400, "json?");
    };
    let run = || -> Result<serde_json::Value, wasi_kv::Error> {
        let bucket = wasi_kv::open(store)?;
        if let Some(set) = ops["set"].as_object() {
            let entries: Vec<(String, Vec<u8>)> = set
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").as_bytes().to_vec()))
                .collect();
            batch::set_many(&bucket, &entries)?;
        }
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        batch::delete_many(&bucket, &strings(&ops["delete"]))?;
        let got = batch::get_many(&bucket, &strings(&ops["get"]))?;
        let got: serde_json::Map<String, serde_json::Value> = got
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.map(|v| String::from_utf8_lossy(&v).into_owned()).into(),
                )
            })
            .collect();
        let keys = bucket.list_keys(None)?.keys;
        Ok(serde_json::json!({ "got": got, "keys": keys }))
    };
    match run() {
        Ok(v) => json(200, v),
        Err(e) => wasi_error(e),
    }
}
