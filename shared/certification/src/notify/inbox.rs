//! The recipient's inbox in the portal.

use avisos_kv::{KeyValue, index};
use serde::Serialize;

use super::{Notification, PAGE_SIZE, inbox_key, load};
use crate::error::CertificationError;

/// One page of a recipient's inbox, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inbox {
    pub rfc: String,
    pub pagina: usize,
    pub hay_mas: bool,
    pub notificaciones: Vec<Notification>,
}

pub fn inbox(kv: &dyn KeyValue, rfc: &str, pagina: usize) -> Result<Inbox, CertificationError> {
    let pagina = pagina.max(1);
    let ids = index::read(kv, &inbox_key(rfc))?;
    let skip = (pagina - 1) * PAGE_SIZE;
    // Notifications of acts that never committed are skipped (see [`confirmed`]), so the page
    // is counted over the confirmed ones, one more than a page to know whether more follow.
    let mut shown = Vec::new();
    // The acts of each request read once (a developer's notifications share a few requests).
    let mut acts: std::collections::HashMap<String, Vec<String>> = Default::default();
    for id in ids.iter().rev() {
        if shown.len() > skip + PAGE_SIZE {
            break;
        }
        let Some(n) = load(kv, id)? else { continue };
        if let Some(acto) = &n.acto {
            if !acts.contains_key(&n.folio) {
                let listed = crate::record::load(kv, &n.folio)?
                    .map(|c| c.act_folios().map(str::to_string).collect())
                    .unwrap_or_default();
                acts.insert(n.folio.clone(), listed);
            }
            if !acts.get(&n.folio).is_some_and(|l| l.contains(acto)) {
                continue;
            }
        }
        shown.push(n);
    }
    let hay_mas = shown.len() > skip + PAGE_SIZE;
    Ok(Inbox {
        rfc: rfc.to_uppercase(),
        pagina,
        hay_mas,
        notificaciones: shown.into_iter().skip(skip).take(PAGE_SIZE).collect(),
    })
}

/// Parses `pagina` (default 1).
pub fn parse_page(s: Option<&str>) -> Result<usize, CertificationError> {
    match s {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .ok_or(CertificationError::PageInvalid),
    }
}
