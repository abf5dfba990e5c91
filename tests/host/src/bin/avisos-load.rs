//! `avisos-load`: a small HTTP/1.1 load generator for benchmarks on loopback.
//!
//! N keep-alive connections send requests back to back for a duration (or until a request
//! count), then it prints requests/s and latency percentiles. Traffic is one or more
//! targets: `--url` (repeatable, all with `--method`/`--header`/`--body`) or a `--mix` JSON
//! file of weighted requests:
//!
//! ```json
//! [{"method": "GET", "url": "http://127.0.0.1:3000/api/v1/salud", "weight": 3},
//!  {"method": "POST", "url": "http://127.0.0.1:3000/api/v1/x", "body": "{}",
//!   "headers": {"content-type": "application/json"}, "weight": 1}]
//! ```
//!
//! Only loopback addresses are accepted, and connections, duration and request count are
//! bounded, so it cannot be pointed at someone else's server by mistake.

use std::io::Write;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

const MAX_CONNECTIONS: usize = 1024;
const MAX_DURATION: Duration = Duration::from_secs(600);
const MAX_REQUESTS: u64 = 10_000_000;

#[derive(Parser)]
#[command(
    name = "avisos-load",
    version,
    about = "HTTP load generator for loopback benchmarks"
)]
struct Args {
    /// Target URL (repeatable; requests rotate over them).
    #[arg(long = "url")]
    urls: Vec<String>,
    /// JSON file of weighted requests (instead of --url).
    #[arg(long, conflicts_with = "urls")]
    mix: Option<PathBuf>,
    /// Method for --url targets.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Header for --url targets, `name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Body for --url targets.
    #[arg(long)]
    body: Option<String>,
    /// Concurrent connections.
    #[arg(long, short = 'c', default_value_t = 16)]
    connections: usize,
    /// How long to send requests (e.g. 5s, 500ms, 1m).
    #[arg(long, short = 'd', default_value = "5s", value_parser = parse_duration)]
    duration: Duration,
    /// Stop after this many requests (instead of the duration).
    #[arg(long, short = 'n')]
    requests: Option<u64>,
    /// Unmeasured warm-up before measuring.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    warmup: Duration,
    /// Output: a text report, one JSON object, or one tab-separated row.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Label for the row/JSON output.
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Row,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: f64 = number.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s, m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
struct MixEntry {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    body: String,
    #[serde(default = "default_weight")]
    weight: u32,
}

fn default_method() -> String {
    "GET".into()
}

fn default_weight() -> u32 {
    1
}

/// One prepared request target.
struct Target {
    method: Method,
    uri: Uri,
    addr: SocketAddr,
    host: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

fn target(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<Target, String> {
    let uri: Uri = url.parse().map_err(|e| format!("bad URL {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// URLs are supported"));
    }
    let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let addr = (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("{url}: cannot resolve: {e}"))?
        .next()
        .ok_or_else(|| format!("{url}: cannot resolve"))?;
    if !is_loopback(addr.ip()) {
        return Err(format!(
            "{url}: avisos-load only targets loopback addresses"
        ));
    }
    let headers = headers
        .iter()
        .map(|(k, v)| {
            Ok((
                HeaderName::try_from(k.as_str()).map_err(|e| format!("header {k:?}: {e}"))?,
                HeaderValue::try_from(v.as_str()).map_err(|e| format!("header {k:?}: {e}"))?,
            ))
        })
        .collect::<Result<_, String>>()?;
    Ok(Target {
        method: Method::from_bytes(method.as_bytes()).map_err(|e| format!("method: {e}"))?,
        host: uri.authority().map(|a| a.to_string()).unwrap_or_default(),
        uri: uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .parse()
            .map_err(|e| format!("{url}: {e}"))?,
        addr,
        headers,
        body: Bytes::from(body.to_owned()),
    })
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Targets in proportion to their weights (requests cycle through this list).
fn schedule(args: &Args) -> Result<Vec<Arc<Target>>, String> {
    let mut out = Vec::new();
    if let Some(path) = &args.mix {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let entries: Vec<MixEntry> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for e in entries {
            let headers: Vec<(String, String)> = e.headers.into_iter().collect();
            let t = Arc::new(target(&e.method, &e.url, &headers, &e.body)?);
            out.extend(std::iter::repeat_n(t, e.weight.min(1000) as usize));
        }
    } else {
        let headers = args
            .headers
            .iter()
            .map(|h| {
                h.split_once(':')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| format!("header {h:?}: expected `name: value`"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for url in &args.urls {
            out.push(Arc::new(target(
                &args.method,
                url,
                &headers,
                args.body.as_deref().unwrap_or(""),
            )?));
        }
    }
    if out.is_empty() {
        return Err("nothing to send: give --url or --mix".into());
    }
    Ok(out)
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    statuses: std::collections::BTreeMap<u16, u64>,
    transport_errors: u64,
    first_error: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.connections == 0 || args.connections > MAX_CONNECTIONS {
        return Err(format!("--connections must be 1..={MAX_CONNECTIONS}"));
    }
    if args.duration > MAX_DURATION || args.warmup > MAX_DURATION {
        return Err(format!(
            "--duration and --warmup must be at most {MAX_DURATION:?}"
        ));
    }
    if args.requests.is_some_and(|n| n == 0 || n > MAX_REQUESTS) {
        return Err(format!("--requests must be 1..={MAX_REQUESTS}"));
    }
    let targets = Arc::new(schedule(&args)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        if !args.warmup.is_zero() {
            drive(&targets, args.connections, Some(args.warmup), None).await;
        }
        let started = Instant::now();
        let (limit, budget) = match args.requests {
            Some(n) => (None, Some(n)),
            None => (Some(args.duration), None),
        };
        let tally = drive(&targets, args.connections, limit, budget).await;
        report(&args, &tally, started.elapsed());
        Ok(())
    })
}

/// Runs the connections until the deadline or the request budget is used up.
async fn drive(
    targets: &Arc<Vec<Arc<Target>>>,
    connections: usize,
    duration: Option<Duration>,
    budget: Option<u64>,
) -> Tally {
    let deadline = duration.map(|d| Instant::now() + d);
    let issued = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let targets = targets.clone();
            let issued = issued.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut sender: Option<SendRequest<Full<Bytes>>> = None;
                let mut next = i;
                loop {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    if let Some(b) = budget
                        && issued.fetch_add(1, Ordering::Relaxed) >= b
                    {
                        break;
                    }
                    let t = &targets[next % targets.len()];
                    next += 1;
                    let begun = Instant::now();
                    match send(&mut sender, t).await {
                        Ok(status) => {
                            let us = begun.elapsed().as_micros().min(u32::MAX as u128) as u32;
                            tally.latencies_us.push(us);
                            *tally.statuses.entry(status).or_default() += 1;
                        }
                        Err(e) => {
                            tally.transport_errors += 1;
                            tally.first_error.get_or_insert(e);
                            sender = None;
                            // Do not spin if the server is down.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for t in tasks {
        if let Ok(t) = t.await {
            total.latencies_us.extend(t.latencies_us);
            for (s, n) in t.statuses {
                *total.statuses.entry(s).or_default() += n;
            }
            total.transport_errors += t.transport_errors;
            if total.first_error.is_none() {
                total.first_error = t.first_error;
            }
        }
    }
    total
}

async fn send(sender: &mut Option<SendRequest<Full<Bytes>>>, t: &Target) -> Result<u16, String> {
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        let stream = tokio::net::TcpStream::connect(t.addr)
            .await
            .map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let (s, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        *sender = Some(s);
    }
    let Some(s) = sender.as_mut() else {
        return Err("no connection".into());
    };
    s.ready().await.map_err(|e| e.to_string())?;
    let mut req = Request::builder()
        .method(t.method.clone())
        .uri(t.uri.clone())
        .header(http::header::HOST, &t.host);
    for (k, v) in &t.headers {
        req = req.header(k, v);
    }
    let req = req
        .body(Full::new(t.body.clone()))
        .map_err(|e| e.to_string())?;
    let res = s.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    res.into_body().collect().await.map_err(|e| e.to_string())?;
    Ok(status)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn report(args: &Args, tally: &Tally, elapsed: Duration) {
    let mut lat = tally.latencies_us.clone();
    lat.sort_unstable();
    let done = lat.len() as u64;
    let errors = tally.transport_errors
        + tally
            .statuses
            .iter()
            .filter(|(s, _)| !(200..400).contains(*s))
            .map(|(_, n)| n)
            .sum::<u64>();
    let rps = done as f64 / elapsed.as_secs_f64().max(1e-9);
    let (p50, p90, p99) = (
        percentile(&lat, 50.0),
        percentile(&lat, 90.0),
        percentile(&lat, 99.0),
    );
    let max = lat.last().copied().unwrap_or(0) as f64 / 1000.0;
    // A closed stdout (e.g. piped into `head`) must not turn a finished run into a panic.
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => {
            let _ = writeln!(
                out,
                "{} requests in {:.2}s over {} connections{}",
                done,
                elapsed.as_secs_f64(),
                args.connections,
                if args.label.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", args.label)
                }
            );
            let _ = writeln!(out, "  requests/s  {rps:>10.1}");
            let _ = writeln!(
                out,
                "  latency ms  p50 {p50:.3}  p90 {p90:.3}  p99 {p99:.3}  max {max:.3}"
            );
            let statuses: Vec<String> = tally
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect();
            let _ = writeln!(
                out,
                "  statuses    {}   errors {errors} (connection errors {})",
                statuses.join(", "),
                tally.transport_errors
            );
            if let Some(e) = &tally.first_error {
                let _ = writeln!(out, "  first connection error: {e}");
            }
        }
        Format::Json => {
            let v = serde_json::json!({
                "label": args.label,
                "requests": done,
                "seconds": elapsed.as_secs_f64(),
                "connections": args.connections,
                "requests_per_second": rps,
                "latency_ms": { "p50": p50, "p90": p90, "p99": p99, "max": max },
                "statuses": tally.statuses,
                "errors": errors,
                "connection_errors": tally.transport_errors,
                "first_connection_error": tally.first_error,
            });
            let _ = writeln!(out, "{v}");
        }
        Format::Row => {
            let _ = writeln!(
                out,
                "{}\t{rps:.1}\t{p50:.3}\t{p90:.3}\t{p99:.3}\t{max:.3}\t{errors}",
                args.label
            );
        }
    }
}
