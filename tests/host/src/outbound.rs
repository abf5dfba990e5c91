//! Outgoing HTTP, limited to a component's `allowed_outbound_hosts` as Spin limits it.
//!
//! Entries are `scheme://host[:port]`: the scheme may be `*`; the host may be `*` or
//! `*.domain` (subdomains); the port may be `*` or a range `a..b`, and defaults to the
//! scheme's port (so `*://host` needs an explicit port). `*://*:*` allows everything. A
//! request to anything else fails with `HttpRequestDenied`, the error code Spin returns.
//! Self-requests (relative URLs) and service chaining (`*.spin.internal`) are not supported.

use std::future::Future;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// A parsed `allowed_outbound_hosts` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    /// `*.example.com`: any subdomain (not `example.com` itself).
    Subdomains(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Range(u16, u16),
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "redis" => Some(6379),
        "mysql" => Some(3306),
        "postgres" => Some(5432),
        "mqtt" => Some(1883),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses the (already variable-substituted) entries of one component.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let entries = entries
            .iter()
            .map(|e| parse_entry(e.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// Whether a request to `scheme://host:port` is allowed (`port` None = scheme default).
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Some(port) = port.or_else(|| default_port(scheme)) else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.entries.iter().any(|e| {
            e.scheme
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(scheme))
                && match &e.host {
                    HostPattern::Any => true,
                    HostPattern::Exact(h) => h.eq_ignore_ascii_case(host),
                    HostPattern::Subdomains(domain) => host
                        .to_ascii_lowercase()
                        .strip_suffix(&domain.to_ascii_lowercase())
                        .is_some_and(|sub| !sub.is_empty()),
                }
                && match e.port {
                    PortPattern::Any => true,
                    PortPattern::Range(lo, hi) => (lo..=hi).contains(&port),
                }
        })
    }
}

fn parse_entry(entry: &str) -> Result<AllowedHost, String> {
    if entry == "insecure:allow-all" {
        return parse_entry("*://*:*");
    }
    let (scheme, rest) = entry.split_once("://").ok_or_else(|| {
        format!("allowed_outbound_hosts entry {entry:?} must include a scheme (e.g. https://)")
    })?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(format!(
            "allowed_outbound_hosts entry {entry:?} must not include a path"
        ));
    }
    let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
    // The port follows the last ':' unless that ':' is inside an IPv6 literal.
    let (host, port) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains(']') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if host.is_empty() {
        return Err(format!(
            "allowed_outbound_hosts entry {entry:?} has no host"
        ));
    }
    if host == "self" || host.ends_with(".spin.internal") {
        return Err(format!(
            "allowed_outbound_hosts entry {entry:?}: self-requests and service chaining are \
             not supported by this host"
        ));
    }
    let host = if host == "*" {
        HostPattern::Any
    } else if let Some(domain) = host.strip_prefix("*.") {
        HostPattern::Subdomains(format!(".{domain}"))
    } else if host.contains('*') {
        return Err(format!(
            "allowed_outbound_hosts entry {entry:?}: `*` may only be the whole host or a \
             leading `*.`"
        ));
    } else {
        HostPattern::Exact(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        )
    };
    let bad_port = || format!("allowed_outbound_hosts entry {entry:?} has an invalid port");
    let port = match port {
        Some("*") => PortPattern::Any,
        Some(p) => match p.split_once("..") {
            Some((lo, hi)) => PortPattern::Range(
                lo.parse().map_err(|_| bad_port())?,
                hi.parse().map_err(|_| bad_port())?,
            ),
            None => {
                let p = p.parse().map_err(|_| bad_port())?;
                PortPattern::Range(p, p)
            }
        },
        None => {
            let p = scheme.as_deref().and_then(default_port).ok_or_else(|| {
                format!("allowed_outbound_hosts entry {entry:?} must specify a port")
            })?;
            PortPattern::Range(p, p)
        }
    };
    Ok(AllowedHost { scheme, host, port })
}

/// `wasi:http` hooks for one component instance: enforce the allow list, then send.
pub struct OutboundHooks {
    allowed: Arc<AllowedHosts>,
}

impl OutboundHooks {
    pub fn new(allowed: Arc<AllowedHosts>) -> Self {
        Self { allowed }
    }
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let uri = request.uri();
        let allowed = match (uri.scheme_str(), uri.host()) {
            (Some(scheme), Some(host)) if !host.is_empty() => {
                self.allowed.allows(scheme, host, uri.port_u16())
            }
            _ => false,
        };
        if !allowed {
            eprintln!(
                "A component tried to make an HTTP request to non-allowed host '{}'.",
                uri.authority().map(|a| a.as_str()).unwrap_or("")
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entries: &[&str], scheme: &str, host: &str, port: Option<u16>) -> bool {
        AllowedHosts::parse(entries)
            .unwrap()
            .allows(scheme, host, port)
    }

    #[test]
    fn exact_hosts_and_default_ports() {
        let e = &["https://api.example.com"];
        assert!(allows(e, "https", "api.example.com", None));
        assert!(allows(e, "https", "API.example.com", Some(443)));
        assert!(!allows(e, "https", "api.example.com", Some(8443)));
        assert!(!allows(e, "http", "api.example.com", None));
        assert!(!allows(e, "https", "example.com", None));
        assert!(!allows(&[], "https", "api.example.com", None));
    }

    #[test]
    fn wildcards() {
        assert!(allows(&["*://*:*"], "http", "anything", Some(1234)));
        assert!(allows(&["insecure:allow-all"], "https", "x", None));
        let e = &["https://*.example.com"];
        assert!(allows(e, "https", "a.example.com", None));
        assert!(allows(e, "https", "a.b.example.com", None));
        assert!(!allows(e, "https", "example.com", None));
        assert!(!allows(e, "https", "badexample.com", None));
        let e = &["http://localhost:3000..3010"];
        assert!(allows(e, "http", "localhost", Some(3005)));
        assert!(!allows(e, "http", "localhost", Some(3011)));
        assert!(allows(
            &["*://127.0.0.1:8080"],
            "http",
            "127.0.0.1",
            Some(8080)
        ));
        assert!(allows(&["http://[::1]:8080"], "http", "[::1]", Some(8080)));
    }

    #[test]
    fn bad_entries() {
        for bad in [
            "example.com",
            "https://example.com/path",
            "*://example.com",
            "https://ex*ample.com",
            "http://example.com:port",
            "http://self",
            "http://other.spin.internal",
        ] {
            assert!(AllowedHosts::parse(&[bad]).is_err(), "{bad}");
        }
    }
}
