//! What the benchmark drivers in `examples/` share: their command-line flags, a client for an app
//! already running on loopback (plain HTTP/1.1, one connection per request, acts signed as
//! [`crate::prepare`] signs them), RFCs for generated parties, and the process's memory marks.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::{Signer, signed_body};

/// The value after `name` in `args` (`--flag value`).
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A minimal HTTP/1.1 client (one connection per request), enough for loopback benchmarks.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
}

impl Client {
    /// `http://IP:PORT` on loopback only.
    pub fn new(url: &str) -> Client {
        let rest = url.strip_prefix("http://").expect("http:// URL");
        let host = rest.split('/').next().unwrap();
        let addr: SocketAddr = host.parse().expect("an IP:port URL");
        assert!(addr.ip().is_loopback(), "loopback only");
        Client { addr }
    }

    /// The status and the body (de-chunked). Generous read timeout: a bulk load takes a while.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.addr,
            body.len()
        );
        if !body.is_empty() {
            head.push_str("content-type: application/json\r\n");
        }
        if let Some(t) = token {
            head.push_str(&format!("authorization: Bearer {t}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("response");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers");
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let mut body = raw[split + 4..].to_vec();
        if head.contains("transfer-encoding: chunked") {
            body = dechunk(&body);
        }
        (status, body)
    }

    /// [`Client::request`] with a JSON answer (`Null` when the body is not JSON).
    pub fn request_json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, Value) {
        let (status, out) = self.request(method, path, token, body);
        (status, serde_json::from_slice(&out).unwrap_or(Value::Null))
    }

    /// A JSON request (`Null`: no body) and its JSON answer.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(body).unwrap()
        };
        self.request_json(method, path, token, &bytes)
    }

    /// Signs an act the way [`crate::prepare`] does: a nonce and the server's time, then the
    /// signed body.
    pub fn sign(
        &self,
        signer: &Signer,
        accion: &str,
        terms_sha: Option<&str>,
        datos: &[(&str, &str)],
    ) -> Map<String, Value> {
        let (st, n) = self.json(
            "POST",
            "/api/v1/nonces",
            None,
            &json!({"rfc": signer.rfc, "accion": accion}),
        );
        assert_eq!(st, 201, "{n}");
        let nonce = n["nonce"].as_str().unwrap();
        let (_, salud) = self.json("GET", "/api/v1/salud", None, &Value::Null);
        let fecha = salud["hora"].as_str().unwrap();
        signed_body(signer, accion, nonce, fecha, terms_sha, datos).0
    }

    /// Signs in as `signer` with `rol`; the session token.
    pub fn login(&self, signer: &Signer, rol: &str) -> String {
        let body = self.sign(signer, "INICIO_SESION", None, &[("rol", rol)]);
        let (st, v) = self.json("POST", "/api/v1/sesiones", None, &Value::Object(body));
        assert_eq!(st, 201, "{v}");
        v["token"].as_str().unwrap().to_string()
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// A valid RFC from its first characters (the check digit computed).
pub fn rfc(base: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    format!("{base}{}", efirma::rfc::check_digit(&chars).unwrap())
}

/// A field of `/proc/self/status` in kB (`VmRSS:`, `VmHWM:`…; 0 where there is none).
pub fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak-RSS mark (Linux: `echo 5 > /proc/self/clear_refs`).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
