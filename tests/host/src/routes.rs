//! HTTP trigger routing with Spin's rules.
//!
//! Spin (crate `spin-http`, `routes.rs`) hands its routes to the `routefinder` crate; this
//! module does the same with the same crate version, so precedence is identical: routes are
//! compared segment by segment with `exact > :param > wildcard`, so an exact route beats a
//! wildcard and a longer wildcard prefix beats a shorter one. A route ending in `/...`
//! matches its prefix and everything below it. If two triggers use the same route, the last
//! one wins (Spin logs the duplicate).

use std::collections::HashMap;

/// A route table built from the manifest's `[[trigger.http]]` entries.
#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<Handler>,
    duplicates: Vec<Duplicate>,
}

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route as written in the manifest, e.g. `/api/...`.
    raw_route: String,
    /// The route after Spin's normalisation (leading `/`, no trailing `/`), e.g. `/api/...`.
    based_route: String,
}

/// A route that appeared twice; only the last occurrence is reachable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub route: String,
    pub replaced: String,
    pub effective: String,
}

/// The result of routing a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-raw-component-route`: the route as written in the manifest.
    pub raw_route: String,
    /// `spin-matched-route`: the route with the base path (always `/`) applied.
    pub based_route: String,
    /// `spin-path-info`: the part of the path matched by a trailing `/...`.
    pub path_info: String,
    /// `:name` segments and their values.
    pub params: Vec<(String, String)>,
}

impl RouteMatch {
    /// `spin-component-route`: the raw route without a trailing `/...`.
    pub fn component_route(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

impl Router {
    /// Builds the table from `(route, component)` pairs in manifest order.
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, String> {
        // Keyed by the raw route so that a later duplicate replaces an earlier one, keeping the
        // first one's position (as Spin's IndexMap does).
        let mut order: Vec<String> = Vec::new();
        let mut by_route: HashMap<String, Handler> = HashMap::new();
        let mut duplicates = Vec::new();
        for (route, component) in routes {
            let handler = Handler {
                component: component.to_owned(),
                raw_route: route.to_owned(),
                based_route: sanitize_with_base(route),
            };
            match by_route.insert(route.to_owned(), handler) {
                Some(replaced) => duplicates.push(Duplicate {
                    route: replaced.based_route.clone(),
                    replaced: replaced.component,
                    effective: component.to_owned(),
                }),
                None => order.push(route.to_owned()),
            }
        }
        let mut inner = routefinder::Router::new();
        for raw in order {
            let Some(handler) = by_route.remove(&raw) else {
                continue;
            };
            let spec = match handler.based_route.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => handler.based_route.clone(),
            };
            let component = handler.component.clone();
            inner.add(spec, handler).map_err(|e| {
                format!("Error parsing route {raw} associated with component {component}: {e}")
            })?;
        }
        Ok(Self { inner, duplicates })
    }

    /// Routes that were declared twice (only the last declaration is used).
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// `(route, component)` for every reachable route, for the start-up listing.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .iter()
            .map(|(_, h)| (h.based_route.as_str(), h.component.as_str()))
    }

    /// Finds the best route for a request path (without query), or `None` for a 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let best = self.inner.best_match(path)?;
        let handler = best.handler();
        let captures = best.captures();
        let path_info = match captures.wildcard() {
            // Spin keeps trailing slashes in the path info; routefinder drops them.
            Some(w) => match (w.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{w}"),
                (false, true) => format!("/{w}/"),
            },
            None => String::new(),
        };
        let params = captures
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Some(RouteMatch {
            component: handler.component.clone(),
            raw_route: handler.raw_route.clone(),
            based_route: handler.based_route.clone(),
            path_info,
            params,
        })
    }
}

/// Spin's `sanitize_with_base("/", route)`: absolute, and one trailing slash removed.
fn sanitize_with_base(route: &str) -> String {
    let route = if route.starts_with('/') {
        route.to_owned()
    } else {
        format!("/{route}")
    };
    route.strip_suffix('/').map(str::to_owned).unwrap_or(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().map(|(r, c)| (*r, *c))).unwrap()
    }

    fn component_for(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component)
    }

    #[test]
    fn matching_table() {
        let r = router(&[
            ("/", "root"),
            ("/api/v1/salud", "health"),
            ("/api/...", "api"),
            ("/api/v1/...", "v1"),
            ("/users/:id", "user"),
            ("/users/:id/avisos/...", "user-avisos"),
            ("/users/me", "me"),
            ("/static/...", "static"),
        ]);
        let table: &[(&str, Option<&str>)] = &[
            ("/", Some("root")),
            ("/api/v1/salud", Some("health")), // exact beats wildcard
            ("/api/v1/salud/", Some("health")), // routefinder ignores a trailing slash
            ("/api/v1/otro", Some("v1")),      // longest wildcard prefix wins
            ("/api/v2/x", Some("api")),        //
            ("/api", Some("api")),             // `/api/...` matches `/api` itself
            ("/users/42", Some("user")),       // :param
            ("/users/me", Some("me")),         // exact beats :param
            ("/users/42/avisos/1/2", Some("user-avisos")),
            ("/users/42/other", None), // :param matches one segment only
            ("/users", None),
            ("/nothing/here", None), // no catch-all: 404
            ("/static", Some("static")),
            ("/statics", None), // prefix match is per segment
        ];
        for (path, want) in table {
            assert_eq!(component_for(&r, path).as_deref(), *want, "path {path}");
        }
    }

    #[test]
    fn catch_all_loses_to_everything() {
        let r = router(&[("/...", "all"), ("/one", "one"), ("/one/...", "one-wild")]);
        assert_eq!(component_for(&r, "/one").as_deref(), Some("one"));
        assert_eq!(component_for(&r, "/one/two").as_deref(), Some("one-wild"));
        assert_eq!(component_for(&r, "/two").as_deref(), Some("all"));
        assert_eq!(component_for(&r, "/").as_deref(), Some("all"));
    }

    #[test]
    fn precedence_does_not_depend_on_order() {
        for routes in [
            [
                ("/one/...", "1"),
                ("/one/two/...", "2"),
                ("/one/two/three/...", "3"),
            ],
            [
                ("/one/two/three/...", "3"),
                ("/one/two/...", "2"),
                ("/one/...", "1"),
            ],
        ] {
            let r = router(&routes);
            assert_eq!(
                component_for(&r, "/one/two/three/four").as_deref(),
                Some("3")
            );
            assert_eq!(component_for(&r, "/one/two/x").as_deref(), Some("2"));
        }
    }

    #[test]
    fn path_info_keeps_spin_trailing_slash_behaviour() {
        let r = router(&[("/test/...", "c"), ("/...", "all")]);
        let info = |p: &str| r.route(p).unwrap().path_info;
        assert_eq!(info("/test"), "");
        assert_eq!(info("/test/"), "/");
        assert_eq!(info("/test/hello"), "/hello");
        assert_eq!(info("/test/hello/"), "/hello/");
        assert_eq!(info("/1/2/3"), "/1/2/3");
    }

    #[test]
    fn match_details_for_headers() {
        let r = router(&[("/foo/:userid/...", "c")]);
        let m = r.route("/foo/42/bar").unwrap();
        assert_eq!(m.raw_route, "/foo/:userid/...");
        assert_eq!(m.based_route, "/foo/:userid/...");
        assert_eq!(m.component_route(), "/foo/:userid");
        assert_eq!(m.path_info, "/bar");
        assert_eq!(m.params, vec![("userid".to_string(), "42".to_string())]);

        let r = router(&[("/exact", "c")]);
        let m = r.route("/exact").unwrap();
        assert_eq!(m.component_route(), "/exact");
        assert_eq!(m.path_info, "");
        assert!(m.params.is_empty());
    }

    #[test]
    fn duplicates_last_one_wins() {
        let r = router(&[("/foo", "first"), ("/foo", "second"), ("/bar", "bar")]);
        assert_eq!(component_for(&r, "/foo").as_deref(), Some("second"));
        assert_eq!(
            r.duplicates(),
            [Duplicate {
                route: "/foo".into(),
                replaced: "first".into(),
                effective: "second".into()
            }]
        );
        assert_eq!(r.routes().count(), 2);
    }

    #[test]
    fn invalid_route_is_an_error() {
        let e = Router::build([("/files/*name", "c")]).unwrap_err();
        assert!(e.contains("/files/*name"), "{e}");
    }
}
