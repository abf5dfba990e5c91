//! Serves the web page (and `openapi.yaml`) from the component's `files` mount.
//!
//! Spin's stock fileserver is fetched from the internet at `spin up`, which offline machines cannot
//! do; this component is ours and small. Path rules live in `avisos_http::files`.
//!
//! Outside demo mode (`modo = "demo"`, asked for explicitly) the demo credentials under `demo/` answer 404, and the
//! page, which probes `/demo/LEEME.txt`, then does not offer them.

use avisos_acts::Mode;
use avisos_http::files::{self, PathRefusal};
use avisos_http::{HttpRequest, HttpResponse, Method, RequestError};

avisos_spin::endpoint!([Get, Head], 0, serve_file);

fn serve_file(req: HttpRequest) -> Result<HttpResponse, RequestError> {
    // The route is `/...` at base `/`, so the path is the file path. (Not `spin-path-info`: real
    // Spin also passes a client-sent header of that name through.)
    let relative = files::resolve(&req.path).map_err(|refusal| match refusal {
        PathRefusal::Traversal => RequestError::PathInvalid,
        PathRefusal::Hidden => RequestError::NotFound,
    })?;
    // The page is the same in every mode; only the demo directory depends on it, so a bad `modo`
    // refuses that directory (like every other endpoint refuses its requests) and nothing else.
    if files::is_demo(&relative) {
        let modo = avisos_spin::optional_variable("modo").unwrap_or_default();
        let mode = Mode::parse(&modo).ok_or_else(|| RequestError::Misconfigured("modo".into()))?;
        if !files::allowed(&relative, mode == Mode::Demo) {
            return Err(RequestError::NotFound);
        }
    }
    // The mount is the component's root directory ("/" in spin.toml's `files`).
    let bytes = match std::fs::read(format!("/{relative}")) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(RequestError::NotFound),
        // A directory without index.html, or unreadable: same answer, nothing leaks.
        Err(_) => return Err(RequestError::NotFound),
    };
    let body = if req.method == Method::Head {
        Vec::new()
    } else {
        bytes
    };
    Ok(HttpResponse::new(200, files::content_type(&relative), body)
        .with_header("cache-control", files::cache_control(&relative)))
}
