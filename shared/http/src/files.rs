//! Static files: mapping a request path to a file under the component's `files` mount, safely.
//!
//! Spin's own fileserver is downloaded at `spin up` time, which offline machines cannot do, so the
//! app serves its page with a component of its own; the path rules live here to be tested natively.

/// Why a path cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub enum PathRefusal {
    /// `..`, an encoded separator, a NUL or a backslash: never served, whatever exists on disk.
    Traversal,
    /// A hidden file or directory (`.git`, `.env`...).
    Hidden,
}

/// Turns the path after the route (`spin-path-info`) into a relative file path under the mount root.
/// `/` and directory paths map to their `index.html`.
pub fn resolve(path_info: &str) -> Result<String, PathRefusal> {
    let raw = path_info.split(['?', '#']).next().unwrap_or("");
    let decoded = crate::request::percent_decode(&raw.replace('+', "%2B"));
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(PathRefusal::Traversal);
    }
    let mut parts = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => continue,
            ".." => return Err(PathRefusal::Traversal),
            s if s.starts_with('.') => return Err(PathRefusal::Hidden),
            s => parts.push(s),
        }
    }
    if parts.is_empty() || decoded.ends_with('/') {
        parts.push("index.html");
    }
    Ok(parts.join("/"))
}

/// The directory of the demo e.firma credentials (`static/demo/`: keys with their published
/// password `demo12345`, and the demo CA). Only a demo deployment serves it.
pub const DEMO_DIR: &str = "demo";

/// Whether a resolved path (from [`resolve`]) lies in [`DEMO_DIR`]. Case-insensitive, because a
/// mount on a case-insensitive file system would serve `DEMO/...` from the same directory.
pub fn is_demo(relative: &str) -> bool {
    relative
        .split('/')
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case(DEMO_DIR))
}

/// Whether a resolved path may be served, `demo` telling whether the service runs in demo mode:
/// production never offers the demo credentials (its answer is the same 404 as a missing file,
/// so nothing leaks).
pub fn allowed(relative: &str, demo: bool) -> bool {
    demo || !is_demo(relative)
}

/// The content type for a file name, by extension. Text types carry charset=utf-8.
pub fn content_type(file: &str) -> &'static str {
    let ext = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "yaml" | "yml" => "application/yaml; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "zip" => "application/zip",
        "cer" => "application/pkix-cert",
        _ => "application/octet-stream",
    }
}

/// Cache policy: HTML and the API description must revalidate (they change with each release);
/// other assets may be cached for an hour.
pub fn cache_control(file: &str) -> &'static str {
    if file.ends_with(".html") || file.ends_with(".yaml") {
        "no-cache"
    } else {
        "public, max-age=3600"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_for_root_and_directories() {
        assert_eq!(resolve("/").unwrap(), "index.html");
        assert_eq!(resolve("").unwrap(), "index.html");
        assert_eq!(resolve("/docs/").unwrap(), "docs/index.html");
        assert_eq!(resolve("/app.js").unwrap(), "app.js");
        assert_eq!(resolve("/img/logo%20x.svg").unwrap(), "img/logo x.svg");
        assert_eq!(resolve("/./a//b.css").unwrap(), "a/b.css");
    }

    #[test]
    fn traversal_is_refused_in_every_spelling() {
        for p in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/secret",
            "/%2E%2E%2Fsecret",
            "/a/..%2f..%2fb",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/a%00.html",
        ] {
            assert_eq!(resolve(p), Err(PathRefusal::Traversal), "{p}");
        }
    }

    #[test]
    fn hidden_files_are_refused() {
        assert_eq!(resolve("/.env"), Err(PathRefusal::Hidden));
        assert_eq!(resolve("/a/.git/config"), Err(PathRefusal::Hidden));
    }

    #[test]
    fn production_never_serves_the_demo_directory() {
        for p in [
            "/demo/efirma/EDE200101AB0/certificado.cer",
            "/demo/efirma/EDE200101AB0/clave.key",
            "/demo/LEEME.txt",
            "/demo/ac-demo.cer",
            "/demo/",
            "/demo",
            "//demo/./efirma/x.key",
            "/%64emo/LEEME.txt",
            "/DEMO/LEEME.txt",
            "/Demo/efirma/",
        ] {
            let relative = resolve(p).unwrap();
            assert!(is_demo(&relative), "{p}");
            assert!(!allowed(&relative, false), "{p}");
            assert!(allowed(&relative, true), "{p}");
        }
        for p in [
            "/",
            "/index.html",
            "/js/ui.js",
            "/estilos.css",
            "/openapi.yaml",
            "/demos.html",
            "/js/demo/x.js",
            "/efirma/demo",
        ] {
            let relative = resolve(p).unwrap();
            assert!(!is_demo(&relative), "{p}");
            assert!(allowed(&relative, false), "{p}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a/B.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("efirma_bg.wasm"), "application/wasm");
        assert_eq!(
            content_type("openapi.yaml"),
            "application/yaml; charset=utf-8"
        );
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
