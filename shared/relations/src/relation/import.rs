//! Bulk import without acts (the `import` feature).

use crate::RelationError;
use avisos_acts::folio;
use avisos_kv::{KeyValue, index};
use chrono::{DateTime, Utc};

use super::claim::take_claim;
use super::record::{Estatus, Relation};
use super::{claim_key, developer_index, key, patron_index};
use crate::directory;

/// Bulk import of relations that already exist elsewhere (a migration from the institute's
/// records; the benchmarks and the 10,000-row export test). No act, no acuse: each relation gets
/// a fresh No. de Caso from the folio counter, live ones take their uniqueness claim (a live
/// duplicate is refused), and the indexes are appended once per owner. Returns the case numbers
/// in input order.
pub fn import(
    kv: &dyn KeyValue,
    relations: Vec<Relation>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, RelationError> {
    let today = crate::today(now);
    let mut by_patron: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut by_developer: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut out = Vec::with_capacity(relations.len());
    for mut r in relations {
        r.no_caso = folio::allocate(kv)?;
        avisos_kv::KeyValueJson::set_json(kv, &key(&r.no_caso), &r)?;
        if r.status(today) == Estatus::Vigente {
            let ck = claim_key(&r.patron_rfc, &r.desarrollador_rfc, r.servicio);
            // A relation of the developer's earlier certification does not block this one.
            let developer = directory::load(kv, &r.desarrollador_rfc)?;
            if let Err(e) = take_claim(kv, &ck, &r.no_caso, now, developer.as_ref()) {
                let _ = kv.delete(&key(&r.no_caso));
                return Err(e);
            }
        }
        by_patron
            .entry(r.patron_rfc.clone())
            .or_default()
            .push(r.no_caso.clone());
        by_developer
            .entry(r.desarrollador_rfc.clone())
            .or_default()
            .push(r.no_caso.clone());
        out.push(r.no_caso);
    }
    for (rfc, list) in &by_developer {
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        index::add(kv, &developer_index(rfc), &refs)?;
    }
    for (rfc, list) in &by_patron {
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        index::add(kv, &patron_index(rfc), &refs)?;
    }
    Ok(out)
}
