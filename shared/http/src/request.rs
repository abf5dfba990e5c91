//! A runtime-independent HTTP request.

use serde::de::DeserializeOwned;

use crate::{ApiError, RequestError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    /// The full request path, without the query string.
    pub path: String,
    /// The part of the path after the route's base (Spin's `spin-path-info`).
    pub path_info: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (path_and_query.to_string(), String::new()),
        };
        Self {
            method,
            path_info: path.clone(),
            path,
            query,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The last value of a header sent more than once (what a proxy or the platform appended).
    pub fn last_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter, percent-decoded (`+` as space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }

    /// A whole-number query parameter in `1..=max` (`pagina`, `por_pagina`…), `default` when
    /// absent; anything else is refused with 400 `PARAMETRO_INVALIDO` naming the parameter.
    pub fn query_number(&self, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.query_param(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    RequestError::ParameterInvalid {
                        name: name.to_owned(),
                        max,
                    }
                    .into()
                }),
        }
    }

    /// A route parameter (`:folio` in `/api/v1/acuses/:folio`), percent-decoded, as the
    /// platform matched it: Spin sends each as `spin-path-match-<name>` (appended after any header
    /// the client sent, and `avisos_spin` keeps only Spin's; `crates/trigger-http/src/headers.rs`,
    /// `prepare_request_headers`). A route without such a parameter answers like a missing
    /// resource.
    pub fn param(&self, name: &str) -> Result<String, crate::RequestError> {
        let header = format!("spin-path-match-{}", name.to_ascii_lowercase());
        self.header(&header)
            .map(percent_decode)
            .ok_or(crate::RequestError::NotFound)
    }

    /// The segments of a trailing wildcard (`/api/v1/terminos/...`), percent-decoded: Spin's
    /// `spin-path-info`. Empty when the path is the route's prefix.
    pub fn wildcard_segments(&self) -> Vec<String> {
        self.path_info
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect()
    }

    /// Parses the body as JSON, with a Spanish message that says what is wrong.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.is_empty() {
            return Err(RequestError::BodyEmpty.into());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| RequestError::JsonInvalid(e.to_string()).into())
    }
}

/// Decodes `%XX` escapes and `+`. Invalid escapes are kept literally; invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_and_query_and_decodes_params() {
        let r = HttpRequest::new(Method::Get, "/api/v1/x?nombre=Jos%C3%A9+P%C3%A9rez&a=1");
        assert_eq!(r.path, "/api/v1/x");
        assert_eq!(r.query_param("nombre").as_deref(), Some("José Pérez"));
        assert_eq!(r.query_param("a").as_deref(), Some("1"));
        assert_eq!(r.query_param("b"), None);
    }

    #[test]
    fn query_numbers_default_and_refuse_out_of_range() {
        let r = HttpRequest::new(
            Method::Get,
            "/x?pagina=3&por_pagina=0&tam=+7+&mal=2x&neg=-1",
        );
        assert_eq!(r.query_number("pagina", 1, 10).unwrap(), 3);
        assert_eq!(r.query_number("ausente", 9, 10).unwrap(), 9);
        assert_eq!(r.query_number("tam", 1, 10).unwrap(), 7);
        for (name, max) in [("por_pagina", 10), ("pagina", 2), ("mal", 10), ("neg", 10)] {
            let e = r.query_number(name, 1, max).unwrap_err();
            assert_eq!(
                (e.status, &*e.codigo),
                (400, "PARAMETRO_INVALIDO"),
                "{name}"
            );
            assert!(e.mensaje.contains(&format!("«{name}»")), "{}", e.mensaje);
            assert!(
                e.mensaje.contains(&format!("entre 1 y {max}")),
                "{}",
                e.mensaje
            );
        }
    }

    #[test]
    fn params_and_wildcards_come_from_the_platform() {
        let mut r = HttpRequest::new(Method::Get, "/api/v1/terminos/certificacion-solicitud");
        r.path_info = "/certificacion-solicitud/".into();
        assert_eq!(r.wildcard_segments(), vec!["certificacion-solicitud"]);
        let r = r.with_header("Spin-Path-Match-Folio", "05%2000001");
        assert_eq!(r.param("folio").as_deref(), Ok("05 00001"));
        assert_eq!(r.param("no_caso"), Err(crate::RequestError::NotFound));
    }

    #[test]
    fn percent_decode_keeps_broken_escapes() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%2"), "%2");
        assert_eq!(percent_decode("a%2Fb"), "a/b");
    }

    #[test]
    fn method_refusal_gives_405_with_allowed_list() {
        // `avisos_spin::serve` is the one method check; this is its answer.
        let e = ApiError::method_not_allowed(&[Method::Get, Method::Head]);
        assert_eq!(e.status, 405);
        assert!(e.mensaje.contains("GET, HEAD"));
    }

    #[test]
    fn json_errors_are_specific() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            a: u32,
        }
        let empty = HttpRequest::new(Method::Post, "/x");
        assert_eq!(empty.json::<T>().unwrap_err().codigo, "CUERPO_VACIO");
        let bad = HttpRequest::new(Method::Post, "/x").with_body("{\"a\":\"no\"}");
        assert_eq!(bad.json::<T>().unwrap_err().codigo, "JSON_INVALIDO");
    }
}
