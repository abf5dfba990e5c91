//! The tables: one index per owner (`relaciones:patron:<RFC>`, `relaciones:desarrollador:<RFC>`,
//! oldest first), read a page at a time newest first, and the rows the guide shows.

use crate::RelationError;
use avisos_kv::{KeyValue, index};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::record::{Estatus, Motivo, Relation, cancellation_date, load_many};
use super::{Viewer, developer_index, patron_index};
use crate::directory::{self, Developer};

/// Dates as the guide prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowText {
    pub fecha_inicio_vigencia: String,
    pub fin_vigencia: String,
    pub fecha_cancelacion_anticipada: String,
}

/// One row of the table, with the guide's columns. `rfc` and `razon_social` are the other party:
/// the developer in the employer's table, the employer in the developer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub no_caso: String,
    pub rfc: String,
    pub razon_social: String,
    pub servicio: &'static str,
    pub fecha_inicio_vigencia: NaiveDate,
    pub fin_vigencia: NaiveDate,
    pub fecha_cancelacion_anticipada: Option<NaiveDate>,
    pub estatus: &'static str,
    /// Why «Relación no vigente» (`None` for the other statuses).
    pub motivo: Option<Motivo>,
    /// The acuse of the addition (employer only).
    pub acuse: Option<String>,
    /// The acuse of the cancellation (employer only).
    pub acuse_cancelacion: Option<String>,
    /// Whether «Borrar» applies: the employer's relations neither cancelled nor past their
    /// vigencia, including those whose developer's certification is gone (cancelling one only
    /// records it as cancelled by the employer).
    pub cancelable: bool,
    pub texto: RowText,
}

impl Row {
    /// The row from the relation alone (its developer's certification not considered).
    pub fn new(r: &Relation, today: NaiveDate, viewer: Viewer) -> Row {
        Row::with_developer(r, today, viewer, None)
    }

    /// The row as the table shows it: `developer` is the developer's current record (see
    /// [`Relation::standing`]).
    pub fn with_developer(
        r: &Relation,
        today: NaiveDate,
        viewer: Viewer,
        developer: Option<&Developer>,
    ) -> Row {
        Row::with_certification(r, today, viewer, developer, None)
    }

    /// [`Row::with_developer`], with the day the certification it was granted under was
    /// cancelled ([`cancellation_date`]) for «Relación no vigente».
    pub fn with_certification(
        r: &Relation,
        today: NaiveDate,
        viewer: Viewer,
        developer: Option<&Developer>,
        cancelada: Option<NaiveDate>,
    ) -> Row {
        let (status, motivo) = r.standing(today, developer, viewer, cancelada);
        let own = viewer == Viewer::Patron;
        let (rfc, razon_social) = if own {
            (&r.desarrollador_rfc, &r.desarrollador_nombre)
        } else {
            (&r.patron_rfc, &r.patron_nombre)
        };
        let cancel_date = r.cancelacion.as_ref().map(|c| c.fecha);
        Row {
            no_caso: r.no_caso.clone(),
            rfc: rfc.clone(),
            razon_social: razon_social.clone(),
            servicio: r.servicio.nombre(),
            fecha_inicio_vigencia: r.inicio_vigencia,
            fin_vigencia: r.fin_vigencia,
            fecha_cancelacion_anticipada: cancel_date,
            estatus: status.texto(),
            motivo,
            acuse: own.then(|| avisos_acts::acuse::url(&r.no_caso)),
            acuse_cancelacion: r
                .cancelacion
                .as_ref()
                .filter(|_| own)
                .map(|c| avisos_acts::acuse::url(&c.folio)),
            cancelable: own && r.status(today) == Estatus::Vigente,
            texto: RowText {
                fecha_inicio_vigencia: crate::fecha_guia(r.inicio_vigencia),
                fin_vigencia: crate::fecha_guia(r.fin_vigencia),
                fecha_cancelacion_anticipada: cancel_date
                    .map(crate::fecha_guia)
                    .unwrap_or_default(),
            },
        }
    }
}

/// The largest page of the relations table (`por_pagina`), and its default: the whole table up to
/// this many rows in one answer, so the page and simple clients need no paging.
pub const MAX_POR_PAGINA: usize = 10_000;
/// The largest table «Exportar tabla» writes as one workbook. The workbook holds every cell until
/// it is written (about 2.4 KB of heap per row at the peak, BENCHMARKS.md), so this bounds one
/// export near 50 MB; larger tables are read page by page through the API.
pub const MAX_FILAS_EXPORTACION: usize = 20_000;

/// Which slice of the table: `pagina` counts from 1, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub pagina: usize,
    pub por_pagina: usize,
}

/// One page of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub pagina: usize,
    pub por_pagina: usize,
    /// Relations in the table. (An addition rolled back after a store failure may leave an entry
    /// that no page shows, so a page can hold fewer rows than `por_pagina` without being the last.)
    pub total: usize,
    /// Whether a later page has rows.
    pub hay_mas: bool,
    pub relaciones: Vec<Row>,
}

fn index_of(rfc: &str, viewer: Viewer) -> String {
    match viewer {
        Viewer::Patron => patron_index(rfc),
        Viewer::Desarrollador => developer_index(rfc),
    }
}

/// Loads the rows of `no_casos` (newest first already), skipping records rolled back after a
/// failed addition. The developer's record is read once per developer, and only for relations
/// whose own status is *Vigente* (the others' status does not depend on it).
fn rows_of(
    kv: &dyn KeyValue,
    no_casos: &[String],
    viewer: Viewer,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, RelationError> {
    let today = crate::today(now);
    let mut developers: std::collections::HashMap<String, Option<Developer>> = Default::default();
    // When each (developer, generation) was cancelled, read once.
    let mut cancelled: std::collections::HashMap<(String, u32), Option<NaiveDate>> =
        Default::default();
    let relations: Vec<Relation> = load_many(kv, no_casos)?.into_iter().flatten().collect();
    // The developers of the live relations, each read once, in one batch.
    let mut wanted: Vec<String> = relations
        .iter()
        .filter(|r| r.status(today) == Estatus::Vigente)
        .map(|r| r.desarrollador_rfc.to_uppercase())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let rfcs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    for (rfc, d) in wanted.iter().zip(directory::load_many(kv, &rfcs)?) {
        developers.insert(rfc.clone(), d);
    }
    let mut rows = Vec::with_capacity(relations.len());
    for r in relations {
        let developer = if r.status(today) == Estatus::Vigente {
            developers
                .get(&r.desarrollador_rfc.to_uppercase())
                .cloned()
                .flatten()
        } else {
            None
        };
        let cancelada = match &developer {
            Some(d) if !r.of_certification(d) => {
                let generacion = r.generacion_certificacion.unwrap_or(0);
                match cancelled.get(&(d.rfc.to_uppercase(), generacion)) {
                    Some(at) => *at,
                    None => {
                        let at = cancellation_date(kv, &r, d)?;
                        cancelled.insert((d.rfc.to_uppercase(), generacion), at);
                        at
                    }
                }
            }
            _ => None,
        };
        rows.push(Row::with_certification(
            &r,
            today,
            viewer,
            developer.as_ref(),
            cancelada,
        ));
    }
    Ok(rows)
}

/// One page of the session's relations, newest first: the employer's own, or those granted to a
/// developer. Reads the index and only the records on the page.
pub fn page(
    kv: &dyn KeyValue,
    rfc: &str,
    viewer: Viewer,
    now: DateTime<Utc>,
    page: Page,
) -> Result<Listing, RelationError> {
    let mut index = index::read(kv, &index_of(rfc, viewer))?;
    index.reverse();
    let total = index.len();
    let start = page
        .pagina
        .saturating_sub(1)
        .saturating_mul(page.por_pagina)
        .min(total);
    let end = start.saturating_add(page.por_pagina).min(total);
    Ok(Listing {
        pagina: page.pagina,
        por_pagina: page.por_pagina,
        total,
        hay_mas: end < total,
        relaciones: rows_of(kv, &index[start..end], viewer, now)?,
    })
}

/// The whole table, newest first, for «Exportar tabla»; refused with 422
/// `TABLA_DEMASIADO_GRANDE` beyond [`MAX_FILAS_EXPORTACION`] rows, before any record is read.
pub fn list(
    kv: &dyn KeyValue,
    rfc: &str,
    viewer: Viewer,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, RelationError> {
    list_at_most(kv, rfc, viewer, now, MAX_FILAS_EXPORTACION)
}

pub(super) fn list_at_most(
    kv: &dyn KeyValue,
    rfc: &str,
    viewer: Viewer,
    now: DateTime<Utc>,
    max: usize,
) -> Result<Vec<Row>, RelationError> {
    let mut index = index::read(kv, &index_of(rfc, viewer))?;
    if index.len() > max {
        return Err(RelationError::TableTooLarge {
            filas: index.len(),
            max,
        });
    }
    index.reverse();
    rows_of(kv, &index, viewer, now)
}
