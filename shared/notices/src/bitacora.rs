//! The audit of consultations: every attempt by an authenticated developer to read an
//! employer's avisos, successful or refused, is recorded under the employer
//! (`avisos:<RFC>:bitacora:<n>`, numbered by an atomic counter `avisos:<RFC>:bitacora`), and the
//! employer lists them newest first, a page at a time: reading page `p` touches the counter and
//! the `por_pagina` records of that page, whatever the history's length.
//!
//! **Refusals that checked nothing of the employer's** (no certification, no live relation, the
//! pair locked by the throttle: [`crate::consulta`] decides) are not one record each: anyone
//! with an e.firma could flood an employer's audit with them. They are counted per (employer,
//! developer, day in America/Mexico_City, result) by an atomic counter
//! `avisos:<RFC>:bitacora-agregada:<developer>:<AAAA-MM-DD>:<result>`, and the day's first one
//! writes one numbered record ([`Registro::dia`] set) that the listing shows with the count in
//! [`Registro::veces`]. So a burst of any size adds a constant number of keys per pair and day
//! (the counter, the record, the pointer below) and the employer still sees it.
//!
//! Write order of an aggregate: the counter; then, by the request that counted 1, the record and
//! last the pointer `…:numero` naming it (the commit point: the listing shows an aggregated
//! record only under the number its pointer names, so a creation that failed half-way, or two
//! that raced, never show twice). A first request that failed after counting leaves no record:
//! the 64th, 128th, … refusal of the day finds no pointer and writes it again.

use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AvisosError;

pub const MAX_POR_PAGINA: usize = 100;
pub const DEFAULT_POR_PAGINA: usize = 50;

/// The filters of a consultation as applied (dates after defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filtros {
    pub nrp: Option<String>,
    pub fecha_desde: Option<String>,
    pub fecha_hasta: Option<String>,
    pub tipo_aviso: Option<String>,
    pub nss: Option<String>,
    pub pagina: Option<usize>,
    pub por_pagina: Option<usize>,
    /// The cursor of an incremental consultation (absent on the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// One consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registro {
    pub numero: i64,
    /// ISO 8601, America/Mexico_City.
    pub fecha: String,
    pub rfc_desarrollador: String,
    pub nombre_desarrollador: String,
    pub filtros: Filtros,
    /// `CONSULTA_EXITOSA` or the refusal's code.
    pub resultado: String,
    pub estatus_http: u16,
    /// Avisos delivered by this request.
    pub avisos_devueltos: usize,
    /// Avisos that matched the filters (all pages).
    pub avisos_coincidentes: usize,
    /// How many consultations this record stands for: 1, or for an aggregated record every
    /// refusal of this developer with this result on [`Registro::dia`] so far (its `fecha` and
    /// `filtros` are the first one's).
    #[serde(default = "one")]
    pub veces: u64,
    /// The day (America/Mexico_City, `AAAA-MM-DD`) an aggregated record counts; absent on
    /// records of one consultation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dia: Option<String>,
}

fn one() -> u64 {
    1
}

/// The first refusal of an aggregate that failed before its pointer was written is written
/// again by the refusal counted at each power of two from this one (rarely, and never while a
/// burst's first request is merely slow).
const AGGREGATE_REPAIR_FROM: i64 = 64;

fn counter_key(patron: &str) -> String {
    format!("avisos:{}:bitacora", patron.to_uppercase())
}

fn key(patron: &str, n: i64) -> String {
    format!("avisos:{}:bitacora:{n}", patron.to_uppercase())
}

/// The counter of an aggregate; its pointer is the same key plus `:numero`.
fn aggregate_key(patron: &str, desarrollador: &str, dia: &str, resultado: &str) -> String {
    format!(
        "avisos:{}:bitacora-agregada:{}:{dia}:{resultado}",
        patron.to_uppercase(),
        desarrollador.to_uppercase()
    )
}

fn pointer_key(aggregate: &str) -> String {
    format!("{aggregate}:numero")
}

pub struct Entry<'a> {
    pub patron: &'a str,
    pub rfc_desarrollador: &'a str,
    pub nombre_desarrollador: &'a str,
    pub filtros: Filtros,
    pub resultado: &'a str,
    pub estatus_http: u16,
    pub avisos_devueltos: usize,
    pub avisos_coincidentes: usize,
}

/// Records one consultation as its own numbered record; returns its number.
pub fn record(kv: &dyn KeyValue, entry: Entry<'_>, now: DateTime<Utc>) -> Result<i64, AvisosError> {
    write_record(kv, entry, now, None)
}

/// Counts one refusal in its aggregate (see the module docs); the day's first writes the record.
pub fn record_aggregated(
    kv: &dyn KeyValue,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<(), AvisosError> {
    let dia = avisos_relations::today(now).to_string();
    let aggregate = aggregate_key(entry.patron, entry.rfc_desarrollador, &dia, entry.resultado);
    let veces = kv.increment(&aggregate, 1)?;
    let repair = veces >= AGGREGATE_REPAIR_FROM
        && veces.count_ones() == 1
        && !kv.exists(&pointer_key(&aggregate))?;
    if veces == 1 || repair {
        let numero = write_record(kv, entry, now, Some(dia))?;
        kv.set(&pointer_key(&aggregate), numero.to_string().as_bytes())?;
    }
    Ok(())
}

fn write_record(
    kv: &dyn KeyValue,
    entry: Entry<'_>,
    now: DateTime<Utc>,
    dia: Option<String>,
) -> Result<i64, AvisosError> {
    let numero = kv.increment(&counter_key(entry.patron), 1)?;
    let r = Registro {
        numero,
        fecha: avisos_acts::iso(now),
        rfc_desarrollador: entry.rfc_desarrollador.to_uppercase(),
        nombre_desarrollador: entry.nombre_desarrollador.to_string(),
        filtros: entry.filtros,
        resultado: entry.resultado.to_string(),
        estatus_http: entry.estatus_http,
        avisos_devueltos: entry.avisos_devueltos,
        avisos_coincidentes: entry.avisos_coincidentes,
        veces: 1,
        dia,
    };
    kv.set_json(&key(entry.patron, numero), &r)?;
    Ok(numero)
}

/// An aggregated record with its count, or `None` when its pointer names another number (a
/// creation that raced or failed half-way); other records as they are.
fn with_count(
    kv: &dyn KeyValue,
    patron: &str,
    n: i64,
    mut r: Registro,
) -> Result<Option<Registro>, AvisosError> {
    let Some(dia) = &r.dia else {
        return Ok(Some(r));
    };
    let aggregate = aggregate_key(patron, &r.rfc_desarrollador, dia, &r.resultado);
    if kv.get(&pointer_key(&aggregate))? != Some(n.to_string().into_bytes()) {
        return Ok(None);
    }
    // Counters are opaque to `get` (their encoding is the store's): read with a zero increment.
    r.veces = u64::try_from(kv.increment(&aggregate, 0)?)
        .unwrap_or(1)
        .max(1);
    Ok(Some(r))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listado {
    pub rfc_patron: String,
    pub total: usize,
    pub pagina: usize,
    pub por_pagina: usize,
    pub registros: Vec<Registro>,
}

/// The employer's audit, newest first. `pagina` from 1.
pub fn list(
    kv: &dyn KeyValue,
    patron: &str,
    pagina: usize,
    por_pagina: usize,
) -> Result<Listado, AvisosError> {
    // Counters are opaque to `get` (their encoding is the store's): read with a zero increment.
    let last = kv.increment(&counter_key(patron), 0)?.max(0);
    let total = last as usize;
    let skip = (pagina.saturating_sub(1)).saturating_mul(por_pagina);
    let mut registros = Vec::new();
    let first = (last - skip.min(total) as i64).max(0);
    let mut n = first;
    // The records of the numbers still needed, read in batches (one, unless some are missing).
    while n >= 1 && registros.len() < por_pagina {
        let wanted = (por_pagina - registros.len()).min(n as usize) as i64;
        let numbers: Vec<i64> = (0..wanted).map(|i| n - i).collect();
        let keys: Vec<String> = numbers.iter().map(|&m| key(patron, m)).collect();
        for (m, raw) in numbers.into_iter().zip(kv.get_many(&keys)?) {
            // A number whose record is missing was taken by a request that failed before
            // writing.
            let Some(raw) = raw else { continue };
            let r: Registro =
                serde_json::from_slice(&raw).map_err(|e| avisos_kv::KvError::Corrupt {
                    key: key(patron, m),
                    reason: e.to_string(),
                })?;
            if let Some(r) = with_count(kv, patron, m, r)? {
                registros.push(r);
            }
        }
        n -= wanted;
    }
    Ok(Listado {
        rfc_patron: patron.to_uppercase(),
        total,
        pagina,
        por_pagina,
        registros,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    fn entry<'a>(patron: &'a str, dev: &'a str) -> Entry<'a> {
        Entry {
            patron,
            rfc_desarrollador: dev,
            nombre_desarrollador: "X",
            filtros: Filtros::default(),
            resultado: "CONSULTA_EXITOSA",
            estatus_http: 200,
            avisos_devueltos: 1,
            avisos_coincidentes: 1,
        }
    }

    #[test]
    fn newest_first_paged_and_per_employer() {
        let kv = MemoryKv::new();
        let now = Utc::now();
        for i in 0..7 {
            record(&kv, entry("PAT", if i % 2 == 0 { "A" } else { "B" }), now).unwrap();
        }
        record(&kv, entry("OTRO", "A"), now).unwrap();
        let p1 = list(&kv, "PAT", 1, 3).unwrap();
        assert_eq!(p1.total, 7);
        let nums: Vec<i64> = p1.registros.iter().map(|r| r.numero).collect();
        assert_eq!(nums, [7, 6, 5]);
        let p3 = list(&kv, "PAT", 3, 3).unwrap();
        assert_eq!(
            p3.registros.iter().map(|r| r.numero).collect::<Vec<_>>(),
            [1]
        );
        assert!(list(&kv, "PAT", 4, 3).unwrap().registros.is_empty());
        assert_eq!(list(&kv, "OTRO", 1, 10).unwrap().total, 1);
        assert_eq!(list(&kv, "NADIE", 1, 10).unwrap().total, 0);
    }

    fn refusal<'a>(dev: &'a str, resultado: &'a str) -> Entry<'a> {
        Entry {
            resultado,
            estatus_http: 403,
            avisos_devueltos: 0,
            avisos_coincidentes: 0,
            ..entry("PAT", dev)
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn refusals_aggregate_per_developer_day_and_result() {
        let kv = MemoryKv::new();
        let now = at("2026-11-23T18:00:00Z");
        record(&kv, entry("PAT", "A"), now).unwrap();
        let before = kv.len();
        for _ in 0..400 {
            record_aggregated(&kv, refusal("B", "RELACION_INEXISTENTE"), now).unwrap();
        }
        // The counter, the record, its pointer (and the audit's counter moved by one).
        assert_eq!(
            kv.len() - before,
            3,
            "400 refusals, a constant number of keys"
        );
        let l = list(&kv, "PAT", 1, 10).unwrap();
        assert_eq!(l.total, 2);
        let r = &l.registros[0];
        assert_eq!(
            (
                r.veces,
                r.dia.as_deref(),
                r.resultado.as_str(),
                r.rfc_desarrollador.as_str()
            ),
            (400, Some("2026-11-23"), "RELACION_INEXISTENTE", "B")
        );
        assert_eq!(l.registros[1].veces, 1, "a single consultation");
        assert_eq!(l.registros[1].dia, None);
        // Another result, another developer, another day (America/Mexico_City): their own.
        record_aggregated(&kv, refusal("B", "DESARROLLADOR_NO_CERTIFICADO"), now).unwrap();
        record_aggregated(&kv, refusal("C", "RELACION_INEXISTENTE"), now).unwrap();
        // 05:59 UTC on the 24th is still the 23rd in Mexico City; 06:00 is the 24th.
        let same_day = at("2026-11-24T05:59:00Z");
        record_aggregated(&kv, refusal("B", "RELACION_INEXISTENTE"), same_day).unwrap();
        let next_day = at("2026-11-24T06:00:00Z");
        record_aggregated(&kv, refusal("B", "RELACION_INEXISTENTE"), next_day).unwrap();
        let l = list(&kv, "PAT", 1, 10).unwrap();
        let seen: Vec<(&str, &str, u64)> = l
            .registros
            .iter()
            .map(|r| (r.rfc_desarrollador.as_str(), r.resultado.as_str(), r.veces))
            .collect();
        assert_eq!(
            seen,
            [
                ("B", "RELACION_INEXISTENTE", 1),
                ("C", "RELACION_INEXISTENTE", 1),
                ("B", "DESARROLLADOR_NO_CERTIFICADO", 1),
                ("B", "RELACION_INEXISTENTE", 401),
                ("A", "CONSULTA_EXITOSA", 1),
            ]
        );
        assert_eq!(l.registros[0].dia.as_deref(), Some("2026-11-24"));
        // Only this employer's audit.
        assert_eq!(list(&kv, "OTRO", 1, 10).unwrap().total, 0);
    }

    #[test]
    fn an_aggregate_shows_once_whatever_failed_or_raced() {
        let kv = MemoryKv::new();
        let now = at("2026-11-23T18:00:00Z");
        let aggregate = aggregate_key("PAT", "B", "2026-11-23", "RELACION_INEXISTENTE");
        // The day's first refusal counted, then the store failed before its record.
        kv.increment(&aggregate, 1).unwrap();
        for _ in 0..(AGGREGATE_REPAIR_FROM - 2) {
            record_aggregated(&kv, refusal("B", "RELACION_INEXISTENTE"), now).unwrap();
        }
        assert!(list(&kv, "PAT", 1, 10).unwrap().registros.is_empty());
        // The 64th writes it again, with the whole count.
        record_aggregated(&kv, refusal("B", "RELACION_INEXISTENTE"), now).unwrap();
        let l = list(&kv, "PAT", 1, 10).unwrap();
        assert_eq!(l.registros.len(), 1);
        assert_eq!(l.registros[0].veces, AGGREGATE_REPAIR_FROM as u64);
        // Once written, later powers of two write nothing more.
        for _ in 0..AGGREGATE_REPAIR_FROM {
            record_aggregated(&kv, refusal("B", "RELACION_INEXISTENTE"), now).unwrap();
        }
        assert_eq!(list(&kv, "PAT", 1, 10).unwrap().total, 1);
        // Two creations that raced: the pointer names one, the other never shows.
        let numero = write_record(
            &kv,
            refusal("B", "RELACION_INEXISTENTE"),
            now,
            Some("2026-11-23".into()),
        )
        .unwrap();
        assert_eq!(numero, 2);
        let l = list(&kv, "PAT", 1, 10).unwrap();
        assert_eq!(l.registros.len(), 1);
        assert_eq!(l.registros[0].numero, 1);
        assert_eq!(l.registros[0].veces, 2 * AGGREGATE_REPAIR_FROM as u64);
    }

    #[test]
    fn records_written_before_aggregation_still_read() {
        let kv = MemoryKv::new();
        let old = r#"{"numero":1,"fecha":"2026-11-23T12:00:00-06:00","rfc_desarrollador":"A",
            "nombre_desarrollador":"X","filtros":{"nrp":null,"fecha_desde":null,"fecha_hasta":null,
            "tipo_aviso":null,"nss":null,"pagina":null,"por_pagina":null},
            "resultado":"RELACION_INEXISTENTE","estatus_http":403,"avisos_devueltos":0,
            "avisos_coincidentes":0}"#;
        kv.increment(&counter_key("PAT"), 1).unwrap();
        kv.set(&key("PAT", 1), old.as_bytes()).unwrap();
        let l = list(&kv, "PAT", 1, 10).unwrap();
        assert_eq!(
            (l.registros[0].veces, l.registros[0].dia.clone()),
            (1, None)
        );
    }
}
