//! A batch of consultations (`POST /api/v1/avisos/consultas/lote`): up to [`MAX_LOTE`]
//! consultations of different employers, each read, gated, audited and answered on its own.

use avisos_acts::Mode;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Consulta, ConsultaRequest, parse};
use crate::AvisosError;

/// Consultations in one batch at most.
pub const MAX_LOTE: usize = 100;
/// Avisos (or changes) per consultation of a batch at most, so one answer stays a few MB.
pub const MAX_POR_PAGINA_LOTE: usize = 100;

/// The JSON body of a batch.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultaLote {
    pub consultas: Option<Vec<serde_json::Value>>,
}

/// The batch's consultations as sent, each still to be read on its own; refused as a whole
/// only when it is not a batch (absent, empty or over [`MAX_LOTE`]).
pub fn parse_batch(lote: ConsultaLote) -> Result<Vec<serde_json::Value>, AvisosError> {
    let consultas = lote.consultas.unwrap_or_default();
    if consultas.is_empty() {
        return Err(AvisosError::BatchEmpty);
    }
    if consultas.len() > MAX_LOTE {
        return Err(AvisosError::BatchTooLarge(consultas.len()));
    }
    Ok(consultas)
}

/// One consultation of a batch, read on its own: a malformed one is refused alone. The
/// employer's RFC as sent comes back beside the refusal, so the caller can tell whose it was.
pub fn parse_batch_item(
    raw: serde_json::Value,
    mode: Mode,
    today: NaiveDate,
) -> Result<Consulta, (String, AvisosError)> {
    let rfc = raw
        .get("rfc_patron")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .trim()
        .to_uppercase();
    let req: ConsultaRequest = serde_json::from_value(raw)
        .map_err(|e| (rfc.clone(), AvisosError::JsonInvalid(e.to_string())))?;
    let c = parse(req, mode, today).map_err(|e| (rfc, e))?;
    if c.por_pagina > MAX_POR_PAGINA_LOTE {
        return Err((c.patron, AvisosError::BatchPerPageInvalid));
    }
    Ok(c)
}
