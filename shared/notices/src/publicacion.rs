//! Publishing avisos: the analyst's signed act `PUBLICAR_AVISOS` (`POST /api/v1/avisos/publicaciones`).
//!
//! Body: the usual signed act (`rfc`, `nonce`, `fecha`, `datos`, `certificado`, `firma`) plus
//! `avisos`, a JSON array of up to [`MAX_AVISOS`] avisos. `datos` = `rfc_patron`, `total_avisos`
//! (the array's length, decimal) and `avisos_sha256` (lowercase hex SHA-256 of the **exact
//! bytes** of the `avisos` value as sent, see [`crate::rawjson`]), so the signature covers the
//! whole batch and the employer it is for.
//!
//! Order: the body's shape, count and hash are checked before the signature (cheap refusals
//! leave the nonce unused); after the act is verified every row is validated; rows with errors
//! are reported (index from 0, field, Spanish message) and left out, good rows are kept. A folio
//! repeated inside one publication is an error on its later occurrence. Re-publishing a folio
//! the employer already has **replaces** it when its content changed (`reemplazados`) and is a
//! no-op when identical (`sin_cambios`), so sending the same publication twice is harmless.
//! If no row is valid, nothing is written and the answer is `AVISOS_INVALIDOS` ([`Rechazo`]) with the
//! errors. Otherwise: merge (nothing written), folio and sealed acuse, pages, index swap
//! ([`crate::store::commit`]); a lost swap leaves an acuse that no publication points to, as in
//! the relations crate, never avisos without their acuse.

use std::collections::HashMap;

use avisos_acts::act::actions;
use avisos_acts::acuse::{self, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::{ActSpec, Mode, SignedActRequest, VerifiedAct};
use avisos_kv::KeyValue;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::AvisosError;
use crate::aviso::{self, Aviso, FieldError, FolioAviso};
use crate::rawjson;
use crate::store::{self, Outcome};

/// Fields of `PUBLICAR_AVISOS`, in cadena order.
pub const FIELDS: [&str; 3] = ["rfc_patron", "total_avisos", "avisos_sha256"];
/// Avisos per publication.
pub const MAX_AVISOS: usize = 10_000;
/// Body limit: 10,000 avisos of ~420 bytes each, the act and room for whitespace.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Row errors listed in an answer (the rest are counted).
pub const MAX_ERRORES: usize = 1_000;
pub const ACUSE_TITULO: &str = "Publicación de Avisos";

/// A body whose shape, count and hash check out, ready for signature verification.
#[derive(Debug)]
pub struct Prepared {
    pub request: SignedActRequest,
    pub spec: ActSpec,
    pub patron: String,
    pub rows: Vec<Value>,
}

fn invalid_json(detail: impl std::fmt::Display) -> AvisosError {
    AvisosError::JsonInvalid(detail.to_string())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the body before any signature work.
pub fn prepare(body: &[u8], mode: Mode) -> Result<Prepared, AvisosError> {
    if body.is_empty() {
        return Err(AvisosError::BodyEmpty);
    }
    let mut map: Map<String, Value> = serde_json::from_slice(body).map_err(invalid_json)?;
    let raw = match rawjson::member(body, "avisos") {
        Ok(Some(raw)) => raw,
        Ok(None) => return Err(AvisosError::AvisosMissing),
        Err(rawjson::RawError::Duplicate) => {
            return Err(invalid_json("«avisos» aparece más de una vez"));
        }
        Err(_) => return Err(invalid_json("no es un objeto")),
    };
    let rows = match map.remove("avisos") {
        Some(Value::Array(rows)) if !rows.is_empty() => rows,
        _ => return Err(AvisosError::AvisosNotArray),
    };
    if rows.len() > MAX_AVISOS {
        return Err(AvisosError::TooManyAvisos(rows.len()));
    }
    let request: SignedActRequest =
        serde_json::from_value(Value::Object(map)).map_err(invalid_json)?;
    let spec = ActSpec::from_datos(actions::PUBLICAR_AVISOS, None, &FIELDS, &request.datos)?;
    let field = |n: &str| spec.field(n).unwrap_or_default().to_string();
    let patron = avisos_acts::act::validate_actor_rfc(&field("rfc_patron"), mode)
        .map_err(AvisosError::PatronRfcInvalid)?;
    if field("total_avisos") != rows.len().to_string() {
        return Err(AvisosError::TotalMismatch {
            signed: field("total_avisos"),
            sent: rows.len(),
        });
    }
    if field("avisos_sha256") != sha256_hex(raw) {
        return Err(AvisosError::Sha256Mismatch);
    }
    Ok(Prepared {
        request,
        spec,
        patron,
        rows,
    })
}

/// A refused row field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Position in `avisos`, from 0.
    pub indice: usize,
    pub folio_aviso: Option<String>,
    pub campo: String,
    pub mensaje: String,
}

/// Validates every row: the good ones (folios unique within the batch) and the errors.
pub fn validate_rows(rows: &[Value]) -> (Vec<Aviso>, Vec<RowError>) {
    let mut good = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<FolioAviso, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let folio = row
            .get("folio_aviso")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_uppercase());
        let push = |errors: &mut Vec<RowError>, e: FieldError| {
            errors.push(RowError {
                indice: i,
                folio_aviso: folio.clone(),
                campo: e.campo,
                mensaje: e.mensaje,
            })
        };
        match aviso::validate(row) {
            Err(es) => es.into_iter().for_each(|e| push(&mut errors, e)),
            Ok(a) => match seen.get(&a.folio_aviso) {
                Some(first) => push(
                    &mut errors,
                    FieldError {
                        campo: "folio_aviso".into(),
                        mensaje: format!(
                            "El folio {} ya viene en el aviso con índice {first} de esta publicación.",
                            a.folio_aviso
                        ),
                    },
                ),
                None => {
                    seen.insert(a.folio_aviso.clone(), i);
                    good.push(a);
                }
            },
        }
    }
    (good, errors)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publicacion {
    #[serde(flatten)]
    pub registro: avisos_acts::acuse::Receipt,
    pub rfc_patron: String,
    pub recibidos: usize,
    pub nuevos: usize,
    pub reemplazados: usize,
    pub sin_cambios: usize,
    /// Rows left out (each listed in `errores` with one entry per bad field).
    pub rechazados: usize,
    /// The employer's avisos after this publication.
    pub total_patron: usize,
    pub errores: Vec<RowError>,
    pub errores_omitidos: usize,
}

/// No valid row, nothing was written: the answer's body, with the refusal
/// ([`AvisosError::NoValidAvisos`]) and every row's errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rechazo {
    pub codigo: &'static str,
    pub mensaje: String,
    pub recibidos: usize,
    pub rechazados: usize,
    pub errores: Vec<RowError>,
    pub errores_omitidos: usize,
}

#[derive(Debug)]
pub enum Resultado {
    Publicada(Publicacion),
    Rechazada(Rechazo),
}

fn truncate(mut errors: Vec<RowError>) -> (Vec<RowError>, usize) {
    let omitted = errors.len().saturating_sub(MAX_ERRORES);
    errors.truncate(MAX_ERRORES);
    (errors, omitted)
}

/// Performs a verified `PUBLICAR_AVISOS` (see the module docs).
pub fn publish(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    patron: &str,
    rows: &[Value],
    now: DateTime<Utc>,
) -> Result<Resultado, AvisosError> {
    let (good, errors) = validate_rows(rows);
    let mut bad_rows: Vec<usize> = errors.iter().map(|e| e.indice).collect();
    bad_rows.dedup();
    let rechazados = bad_rows.len();
    if good.is_empty() {
        let (errores, errores_omitidos) = truncate(errors);
        let refusal = AvisosError::NoValidAvisos;
        return Ok(Resultado::Rechazada(Rechazo {
            codigo: refusal.codigo(),
            mensaje: refusal.mensaje(),
            recibidos: rows.len(),
            rechazados,
            errores,
            errores_omitidos,
        }));
    }
    let before = store::load_index(kv, patron)?;
    let current = store::load_all(kv, &before.1)?;
    let merge = store::merge(current, &good);
    let count = |o: Outcome| merge.outcomes.iter().filter(|x| **x == o).count();
    let (nuevos, reemplazados, sin_cambios) = (
        count(Outcome::Nuevo),
        count(Outcome::Reemplazado),
        count(Outcome::SinCambios),
    );
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        ACUSE_TITULO,
        vec![
            Dato::new("RFC del patrón", patron),
            Dato::new("Avisos recibidos", rows.len().to_string()),
            Dato::new("Avisos nuevos", nuevos.to_string()),
            Dato::new("Avisos reemplazados", reemplazados.to_string()),
            Dato::new("Avisos sin cambios", sin_cambios.to_string()),
            Dato::new("Avisos rechazados", rechazados.to_string()),
            Dato::new(
                "SHA-256 de los avisos",
                act.spec.field("avisos_sha256").unwrap_or_default(),
            ),
        ],
        now,
    )?;
    let index = store::commit(kv, patron, before, merge, now)?;
    let (errores, errores_omitidos) = truncate(errors);
    Ok(Resultado::Publicada(Publicacion {
        registro: avisos_acts::acuse::Receipt::of(&acuse),
        rfc_patron: patron.to_string(),
        recibidos: rows.len(),
        nuevos,
        reemplazados,
        sin_cambios,
        rechazados,
        total_patron: index.total,
        errores,
        errores_omitidos,
    }))
}

/// Bulk load without an act (benchmarks and tests that need thousands of avisos quickly, and
/// migrations): validation, merge and commit exactly as a publication, no acuse.
pub fn import(
    kv: &dyn KeyValue,
    patron: &str,
    rows: &[Value],
    now: DateTime<Utc>,
) -> Result<(usize, Vec<RowError>), AvisosError> {
    let (good, errors) = validate_rows(rows);
    let before = store::load_index(kv, patron)?;
    let current = store::load_all(kv, &before.1)?;
    let merge = store::merge(current, &good);
    let index = store::commit(kv, patron, before, merge, now)?;
    Ok((index.total, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aviso::sample;
    use serde_json::json;

    fn body(rows: &Value, total: &str, sha: Option<&str>) -> Vec<u8> {
        let raw = serde_json::to_string(rows).unwrap();
        let sha = sha
            .map(str::to_string)
            .unwrap_or_else(|| sha256_hex(raw.as_bytes()));
        format!(
            r#"{{"rfc":"AIGL850215QR5","nonce":"n","fecha":"f","certificado":"c","firma":"s","datos":{{"rfc_patron":"EDE200101AB0","total_avisos":"{total}","avisos_sha256":"{sha}"}},"avisos": {raw} }}"#
        )
        .into_bytes()
    }

    #[test]
    fn the_body_is_checked_before_the_signature() {
        let d = "2026-11-02".parse().unwrap();
        let rows = json!([sample::row(1, d), sample::row(2, d)]);
        let p = prepare(&body(&rows, "2", None), Mode::Demo).unwrap();
        assert_eq!(p.patron, "EDE200101AB0");
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.spec.fields.len(), 3);
        let code = |b: &[u8]| prepare(b, Mode::Demo).unwrap_err().codigo().to_string();
        assert_eq!(code(&body(&rows, "3", None)), "AVISOS_TOTAL_NO_COINCIDE");
        assert_eq!(
            code(&body(&rows, "2", Some("00"))),
            "AVISOS_SHA256_NO_COINCIDE"
        );
        assert_eq!(code(&body(&json!([]), "0", None)), "AVISOS_FALTANTES");
        assert_eq!(code(b""), "CUERPO_VACIO");
        assert_eq!(code(b"{\"rfc\":1"), "JSON_INVALIDO");
        let many = Value::Array(vec![json!({}); MAX_AVISOS + 1]);
        assert_eq!(code(&body(&many, "10001", None)), "AVISOS_DEMASIADOS");
    }

    #[test]
    fn rows_are_kept_or_reported_by_index_and_field() {
        let d = "2026-11-02".parse().unwrap();
        let mut bad = sample::row(2, d);
        bad["nss"] = json!("123");
        bad["tipo_descuento"] = json!("7");
        let rows = vec![sample::row(1, d), bad, sample::row(3, d), sample::row(1, d)];
        let (good, errors) = validate_rows(&rows);
        assert_eq!(good.len(), 2);
        let got: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.indice, e.campo.as_str()))
            .collect();
        assert_eq!(got, [(1, "nss"), (1, "tipo_descuento"), (3, "folio_aviso")]);
    }

    /// No valid row: the rejection carries the refusal's code and message, and nothing is
    /// written (no folio, no acuse, no page).
    #[test]
    fn no_valid_row_is_a_rejection_that_writes_nothing() {
        use avisos_acts::testutil::{ANALISTA, PATRON, act, seal, t0};
        use avisos_kv::MemoryKv;

        let kv = MemoryKv::new();
        let mut bad = sample::row(1, "2026-11-02".parse().unwrap());
        bad["nss"] = json!("123");
        let act = act(
            ANALISTA,
            actions::PUBLICAR_AVISOS,
            &[
                ("rfc_patron", PATRON),
                ("total_avisos", "1"),
                ("avisos_sha256", "h"),
            ],
        );
        let before = kv.len();
        let Resultado::Rechazada(r) = publish(&kv, &seal(), &act, PATRON, &[bad], t0()).unwrap()
        else {
            panic!("a publication without valid rows was published");
        };
        assert_eq!(r.codigo, "AVISOS_INVALIDOS");
        assert_eq!(r.mensaje, AvisosError::NoValidAvisos.mensaje());
        assert_eq!((r.recibidos, r.rechazados, r.errores.len()), (1, 1, 1));
        assert_eq!(kv.len(), before);
    }

    /// A publication is whole or absent whichever store operation fails (without effect, or
    /// with its answer lost), from no avisos and over existing ones (pages replaced): readers
    /// see every aviso of the employer as before or as after, never a mix or a missing page, and
    /// a retry ends as the publication.
    #[test]
    fn a_publication_is_whole_or_absent_at_every_step() {
        use avisos_acts::testutil::{ANALISTA, PATRON, act, seal, t0};
        use avisos_kv::faults::{Fault, walk};
        use avisos_kv::{KeyValue, MemoryKv};

        let d = "2026-11-02".parse().unwrap();
        let publish_rows = |kv: &dyn KeyValue, rows: &[Value]| {
            let act = act(
                ANALISTA,
                actions::PUBLICAR_AVISOS,
                &[
                    ("rfc_patron", PATRON),
                    ("total_avisos", "n"),
                    ("avisos_sha256", "h"),
                ],
            );
            let _ = publish(kv, &seal(), &act, PATRON, rows, t0());
        };
        // The avisos and the change sequence, read whole from its start.
        let observe = |kv: &MemoryKv| {
            let (_, index) = store::load_index(kv, PATRON).unwrap();
            let all = store::load_all(kv, &index).unwrap();
            let changes =
                crate::cambios::read(kv, PATRON, &index, &crate::cambios::Cursor::Inicio, 1000)
                    .unwrap();
            (
                index.total,
                index.nrps,
                serde_json::to_string(&all).unwrap(),
                serde_json::to_string(&changes.cambios).unwrap(),
            )
        };
        let first: Vec<Value> = (1..=3).map(|i| sample::row(i, d)).collect();
        let empty = MemoryKv::new();
        let mut points = 0;
        for fault in Fault::ALL {
            let act = |kv: &dyn KeyValue| publish_rows(kv, &first);
            points += walk(&empty.snapshot(), fault, act, observe, act).points;
        }
        // Over existing avisos: one replaced, one new, in the same bimester (its page is
        // rewritten and the old one deleted after the swap).
        publish_rows(&empty, &first);
        let mut changed = sample::row(2, d);
        changed["valor_descuento"] = json!("30.0000");
        let second = vec![changed, sample::row(4, d)];
        for fault in Fault::ALL {
            let act = |kv: &dyn KeyValue| publish_rows(kv, &second);
            points += walk(&empty.snapshot(), fault, act, observe, act).points;
        }
        assert!(points >= 20, "{points}");
        eprintln!("PUBLICAR_AVISOS: {points} fault points");
    }
}
