//! A component's `files`, laid out the way `spin up` lays them out.
//!
//! Spin copies every mount of a component into one staging directory and gives the
//! component that directory, read-only, as `/`: glob patterns land at their path relative to
//! the manifest, `{ source, destination }` directories at `destination`. Doing the same here
//! means overlapping mounts (a directory at `/` plus a file next to it) resolve as in Spin.

use std::path::{Component, Path, PathBuf};

use crate::manifest::{ComponentDecl, FilesMount};

/// Copies the component's files under `target` (which must exist). Returns warnings (e.g.
/// patterns that matched nothing), which Spin does not treat as errors.
pub fn stage(
    manifest_dir: &Path,
    component: &ComponentDecl,
    target: &Path,
) -> Result<Vec<String>, String> {
    let id = &component.id;
    let excludes = component
        .exclude_files
        .iter()
        .map(|p| {
            glob::Pattern::new(p)
                .map_err(|e| format!("component {id:?}: bad exclude_files pattern {p:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let excluded = |rel: &Path| excludes.iter().any(|p| p.matches_path(rel));
    let mut warnings = Vec::new();

    for mount in &component.files {
        match mount {
            FilesMount::Pattern(pattern) => {
                let full = manifest_dir.join(pattern);
                let full = full.to_string_lossy();
                let paths = glob::glob(&full)
                    .map_err(|e| format!("component {id:?}: bad files pattern {pattern:?}: {e}"))?;
                let mut matched = 0;
                for path in paths.flatten().filter(|p| p.is_file()) {
                    let rel = path.strip_prefix(manifest_dir).map_err(|_| {
                        format!("component {id:?}: files pattern {pattern:?} leaves the app dir")
                    })?;
                    check_inside(id, rel)?;
                    if excluded(rel) {
                        continue;
                    }
                    copy_file(&path, &target.join(rel))?;
                    matched += 1;
                }
                if matched == 0 {
                    warnings.push(format!(
                        "component {id:?}: files pattern {pattern:?} matches no file"
                    ));
                }
            }
            FilesMount::Placement {
                source,
                destination,
            } => {
                let from = manifest_dir.join(source);
                if !from.is_dir() {
                    return Err(format!(
                        "component {id:?}: files source {source:?} is not a directory ({})",
                        from.display()
                    ));
                }
                let dest = Path::new(destination.trim_start_matches('/'));
                check_inside(id, dest)?;
                copy_dir(&from, &target.join(dest), manifest_dir, &excluded)?;
            }
        }
    }
    Ok(warnings)
}

/// Refuses `..` so nothing is written outside the staging directory.
fn check_inside(id: &str, rel: &Path) -> Result<(), String> {
    if rel.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!(
            "component {id:?}: files path {} goes outside its directory",
            rel.display()
        ));
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn copy_dir(
    from: &Path,
    to: &Path,
    manifest_dir: &Path,
    excluded: &dyn Fn(&Path) -> bool,
) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let path: PathBuf = entry.path();
        let rel = path.strip_prefix(manifest_dir).unwrap_or(&path);
        if excluded(rel) {
            continue;
        }
        let dest = to.join(entry.file_name());
        // `metadata` follows symlinks, as copying the tree by hand would.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => copy_dir(&path, &dest, manifest_dir, excluded)?,
            Ok(m) if m.is_file() => copy_file(&path, &dest)?,
            _ => {} // dangling links, sockets: nothing a component could read
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn component(files: Vec<FilesMount>, exclude: &[&str]) -> ComponentDecl {
        ComponentDecl {
            id: "c".into(),
            source: PathBuf::from("c.wasm"),
            files,
            exclude_files: exclude.iter().map(|s| s.to_string()).collect(),
            allowed_outbound_hosts: vec![],
            key_value_stores: vec![],
            environment: BTreeMap::new(),
            variables: BTreeMap::new(),
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn patterns_and_placements_share_one_root() {
        let app = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        write(&app.path().join("static/index.html"), "<h1>hola</h1>");
        write(&app.path().join("static/css/site.css"), "body{}");
        write(&app.path().join("static/secret.key"), "k");
        write(&app.path().join("openapi.yaml"), "openapi: 3.1.0");
        write(&app.path().join("docs/a.md"), "a");
        write(&app.path().join("docs/b.txt"), "b");
        let c = component(
            vec![
                FilesMount::Placement {
                    source: "static".into(),
                    destination: "/".into(),
                },
                FilesMount::Pattern("openapi.yaml".into()),
                FilesMount::Pattern("docs/*.md".into()),
                FilesMount::Pattern("missing.txt".into()),
            ],
            &["static/*.key"],
        );
        let warnings = stage(app.path(), &c, out.path()).unwrap();
        let read = |p: &str| std::fs::read_to_string(out.path().join(p)).ok();
        assert_eq!(read("index.html").as_deref(), Some("<h1>hola</h1>"));
        assert_eq!(read("css/site.css").as_deref(), Some("body{}"));
        assert_eq!(read("openapi.yaml").as_deref(), Some("openapi: 3.1.0"));
        assert_eq!(read("docs/a.md").as_deref(), Some("a"));
        assert_eq!(read("docs/b.txt"), None);
        assert_eq!(read("secret.key"), None, "exclude_files applies");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("missing.txt"));
    }

    #[test]
    fn placement_source_must_be_a_directory() {
        let app = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let c = component(
            vec![FilesMount::Placement {
                source: "nope".into(),
                destination: "/".into(),
            }],
            &[],
        );
        let e = stage(app.path(), &c, out.path()).unwrap_err();
        assert!(e.contains("\"nope\" is not a directory"), "{e}");
    }
}
