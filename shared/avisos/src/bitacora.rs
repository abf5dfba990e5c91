//! The audit of consultations: every attempt by an authenticated developer to read an
//! employer's avisos, successful or refused, is recorded under the employer
//! (`avisos:<RFC>:bitacora:<n>`, numbered by an atomic counter `avisos:<RFC>:bitacora`), and the
//! employer lists them newest first, a page at a time: reading page `p` touches the counter and
//! the `por_pagina` records of that page, whatever the history's length.

use avisos_http::ApiError;
use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_POR_PAGINA: usize = 100;
pub const DEFAULT_POR_PAGINA: usize = 50;

/// The filters of a consultation as applied (dates after defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filtros {
    pub nrp: Option<String>,
    pub fecha_desde: Option<String>,
    pub fecha_hasta: Option<String>,
    pub tipo_aviso: Option<String>,
    pub nss: Option<String>,
    pub pagina: Option<usize>,
    pub por_pagina: Option<usize>,
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
}

fn counter_key(patron: &str) -> String {
    format!("avisos:{}:bitacora", patron.to_uppercase())
}

fn key(patron: &str, n: i64) -> String {
    format!("avisos:{}:bitacora:{n}", patron.to_uppercase())
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

pub fn record(kv: &dyn KeyValue, entry: Entry<'_>, now: DateTime<Utc>) -> Result<i64, ApiError> {
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
    };
    kv.set_json(&key(entry.patron, numero), &r)?;
    Ok(numero)
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
) -> Result<Listado, ApiError> {
    // Counters are opaque to `get` (their encoding is the store's): read with a zero increment.
    let last = kv.increment(&counter_key(patron), 0)?.max(0);
    let total = last as usize;
    let skip = (pagina.saturating_sub(1)).saturating_mul(por_pagina);
    let mut registros = Vec::new();
    let first = (last - skip.min(total) as i64).max(0);
    let mut n = first;
    while n >= 1 && registros.len() < por_pagina {
        // A number whose record is missing was taken by a request that failed before writing.
        if let Some(r) = kv.get_json::<Registro>(&key(patron, n))? {
            registros.push(r);
        }
        n -= 1;
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
            filtros: Filtros {
                nrp: None,
                fecha_desde: None,
                fecha_hasta: None,
                tipo_aviso: None,
                nss: None,
                pagina: None,
                por_pagina: None,
            },
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
}
