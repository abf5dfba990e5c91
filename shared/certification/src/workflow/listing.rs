//! The reads: the developer's latest request and the analyst's tray.

use avisos_acts::session::Session;
use avisos_calendar::Calendar;
use avisos_kv::{KeyValue, index};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{LIST_PAGE, MAX_LISTED, developer_index, status_index};
use crate::deadline;
use crate::error::CertificationError;
use crate::record::{self, Certification};
use crate::status::{Estatus, StoredEstatus};
use crate::today;
use crate::view::{self, CertificationView, Viewer};

/// The developer's latest request.
pub fn current(kv: &dyn KeyValue, session: &Session) -> Result<Certification, CertificationError> {
    session.require_role(&[avisos_acts::Role::Desarrollador])?;
    let folios = index::read(kv, &developer_index(&session.rfc))?;
    // The newest request that took effect (a request interrupted before its commit point may
    // have listed its folio).
    for folio in folios.iter().rev() {
        if let Some(c) = record::load(kv, folio)? {
            return Ok(c);
        }
    }
    Err(CertificationError::NoCertification)
}

/// One page of the analyst's tray (schema `BandejaCertificaciones`).
#[derive(Debug, Clone, Serialize)]
pub struct Tray {
    pub estatus: &'static str,
    pub pagina: usize,
    pub hay_mas: bool,
    pub solicitudes: Vec<CertificationView>,
}

/// Requests by status (computed, so `vencida` reads the two indexes with deadlines), the
/// earliest deadline first.
/// The tray's `?estatus=` (a status's key; «En análisis» when absent).
pub fn status_filter(estatus: Option<&str>) -> Result<Estatus, CertificationError> {
    match estatus {
        None => Ok(Estatus::EnAnalisis),
        Some(s) => Estatus::parse_clave(s).ok_or(CertificationError::StatusFilterInvalid),
    }
}

pub fn list(
    kv: &dyn KeyValue,
    estatus: Estatus,
    pagina: usize,
    now: DateTime<Utc>,
) -> Result<Tray, CertificationError> {
    let sources: Vec<StoredEstatus> = match estatus {
        // Only the developer's own deadline expires a request (a late review stays `En análisis`).
        Estatus::Vencida => vec![StoredEstatus::EnEspera],
        Estatus::EnEspera => vec![StoredEstatus::EnEspera],
        Estatus::EnAnalisis => vec![StoredEstatus::EnAnalisis],
        Estatus::Aprobado => vec![StoredEstatus::Aprobado],
        Estatus::Autorizada => vec![StoredEstatus::Autorizada],
        Estatus::Cancelada => vec![StoredEstatus::Cancelada],
    };
    let mut folios: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in sources {
        for f in index::read(kv, &status_index(s))? {
            // A folio is in two indexes between a transition's commit and its cleanup.
            if seen.insert(f.clone()) {
                folios.push(f);
            }
        }
    }
    folios.truncate(MAX_LISTED);
    let records: Vec<_> = record::load_many(kv, &folios)?
        .into_iter()
        .flatten()
        .collect();
    let years = || records.iter().filter_map(|c| c.deadline_year());
    let cal = match (years().min(), years().max()) {
        (Some(first), Some(last)) => deadline::calendar_for(kv, first, last)?,
        _ => Calendar::official(),
    };
    let hoy = today(now);
    let mut views: Vec<CertificationView> = records
        .iter()
        .filter(|c| c.estatus(&cal, hoy) == estatus)
        .map(|c| view::view(c, &cal, now, Viewer::Analista))
        .collect();
    views.sort_by(|a, b| {
        let da = a.plazo.as_ref().map(|p| p.vence);
        let db = b.plazo.as_ref().map(|p| p.vence);
        // Requests with a deadline first, earliest first; then by folio.
        (da.is_none(), da, &a.folio).cmp(&(db.is_none(), db, &b.folio))
    });
    let pagina = pagina.max(1);
    let skip = (pagina - 1) * LIST_PAGE;
    let hay_mas = views.len() > skip + LIST_PAGE;
    let solicitudes = views.into_iter().skip(skip).take(LIST_PAGE).collect();
    Ok(Tray {
        estatus: estatus.clave(),
        pagina,
        hay_mas,
        solicitudes,
    })
}
