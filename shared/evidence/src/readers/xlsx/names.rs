//! Part names inside the package: normalized, resolved against the part that names them.

/// Normalized part name: forward slashes, no leading slash, `.` and `..` resolved, lower case
/// (package part names are case-insensitive). `None` when `..` climbs above the root.
pub(super) fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let lowered = path.replace('\\', "/").to_ascii_lowercase();
    for segment in lowered.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// The folder of a part ("xl/worksheets/sheet1.xml" → "xl/worksheets").
pub(super) fn folder(part: &str) -> &str {
    part.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// A relationship target resolved against the folder of the part that names it.
pub(super) fn resolve(base_folder: &str, target: &str) -> Option<String> {
    if let Some(absolute) = target.strip_prefix('/') {
        normalize(absolute)
    } else {
        normalize(&format!("{base_folder}/{target}"))
    }
}

/// The relationships part of a part ("xl/workbook.xml" → "xl/_rels/workbook.xml.rels").
pub(super) fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}
