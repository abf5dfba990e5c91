//! The create-once claim `relacion:vigente:<patrón>:<desarrollador>:<servicio>` and the two acts
//! that move it: an addition (write order in the [module docs](super)) and a cancellation. The
//! access rule later issues use ([`authorizes`]) reads the same claim.

use crate::RelationError;
use avisos_acts::acuse::{self, AcuseRecord, Dato, Receipt};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::{ActSpec, Mode, VerifiedAct, folio};
use avisos_kv::{KeyValue, index, swap};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::listing::Row;
use super::record::{
    Cancellation, Estatus, PENDING, Record, Relation, load, load_own, not_found, read_record,
};
use super::{ACUSE_ALTA, ACUSE_CANCELACION, Viewer, claim_key, developer_index, key, patron_index};
use crate::directory::{self, Developer};
use crate::{Servicio, password, vigencia};

/// The answer of an addition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Added {
    #[serde(flatten)]
    pub registro: Receipt,
    pub relacion: Row,
}

/// The answer of a cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cancelled {
    #[serde(flatten)]
    pub registro: Receipt,
    pub relacion: Row,
}

/// The data of `ADICIONAR_RELACION`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRequest {
    pub servicio: Servicio,
    pub desarrollador: String,
    pub inicio_vigencia: NaiveDate,
    pub fin_vigencia: NaiveDate,
}

impl AddRequest {
    /// Validates the act's fields on `today` (before any signature work: these refusals are
    /// cheap and leave the nonce unused).
    pub fn parse(
        spec: &ActSpec,
        mode: Mode,
        today: NaiveDate,
    ) -> Result<AddRequest, RelationError> {
        let field = |n: &str| spec.field(n).unwrap_or_default();
        let servicio = Servicio::parse(field("servicio"))?;
        let desarrollador = avisos_acts::act::validate_actor_rfc(field("rfc_desarrollador"), mode)
            .map_err(RelationError::DeveloperRfcInvalid)?;
        let inicio = vigencia::parse_date("inicio_vigencia", field("inicio_vigencia"))?;
        let fin = vigencia::parse_date("fin_vigencia", field("fin_vigencia"))?;
        let (inicio_vigencia, fin_vigencia) = vigencia::validate(today, inicio, fin)?;
        Ok(AddRequest {
            servicio,
            desarrollador,
            inicio_vigencia,
            fin_vigencia,
        })
    }
}

/// How long a claim on a pending record counts as an addition still running; after that its
/// request is taken to have given up (an addition takes well under a second).
pub(super) const PENDING_GRACE_SECONDS: i64 = 120;

/// The `<unix seconds>` of a claim value.
fn claim_since(v: &[u8]) -> Option<i64> {
    std::str::from_utf8(v).ok()?.split_once('|')?.1.parse().ok()
}

fn duplicate(existing: &Relation) -> RelationError {
    RelationError::Duplicate {
        desarrollador: existing.desarrollador_rfc.clone(),
        servicio: existing.servicio.nombre(),
        no_caso: existing.no_caso.clone(),
        fin_vigencia: existing.fin_vigencia,
    }
}

fn duplicate_in_progress() -> RelationError {
    RelationError::DuplicateInProgress
}

/// Parses a claim value `<No. de Caso>|<unix seconds>`; `None` when free (empty).
fn parse_claim(v: &[u8]) -> Result<Option<String>, RelationError> {
    if v.is_empty() {
        return Ok(None);
    }
    let s =
        std::str::from_utf8(v).map_err(|_| RelationError::internal("corrupt relation claim"))?;
    let (no_caso, _since) = s
        .split_once('|')
        .ok_or_else(|| RelationError::internal("corrupt relation claim"))?;
    Ok(Some(no_caso.to_string()))
}

/// What a claim currently names: `Some(relation)` while that relation's own status is *Vigente*
/// (its developer's certification not considered yet: see [`blocks`] and [`live_relation`]).
fn claim_holder(
    kv: &dyn KeyValue,
    value: Option<&[u8]>,
    today: NaiveDate,
) -> Result<Option<Relation>, RelationError> {
    let Some(no_caso) = value.map(parse_claim).transpose()?.flatten() else {
        return Ok(None);
    };
    Ok(load(kv, &no_caso)?.filter(|r| r.status(today) == Estatus::Vigente))
}

/// Whether a relation keeps others of the same employer, developer and service out: its own
/// status is *Vigente* and it belongs to the developer's current certification (`developer`:
/// the current record; `None` when not known, then the relation's own status decides, so
/// uniqueness holds).
fn blocks(r: &Relation, today: NaiveDate, developer: Option<&Developer>) -> bool {
    r.status(today) == Estatus::Vigente && developer.is_none_or(|d| r.of_certification(d))
}

/// The *Relación Vigente* of (employer, developer, service), if any: the rule for later issues
/// (avisos may be consulted only through a *Relación Vigente*). Granted under the developer's
/// current, authorised certification: none while the certification is cancelled, and none of
/// those granted before a cancellation once the developer is certified again.
pub fn live_relation(
    kv: &dyn KeyValue,
    patron: &str,
    desarrollador: &str,
    servicio: Servicio,
    now: DateTime<Utc>,
) -> Result<Option<Relation>, RelationError> {
    let Some(developer) = directory::load(kv, desarrollador)? else {
        return Ok(None);
    };
    let value = kv.get(&claim_key(patron, desarrollador, servicio))?;
    Ok(claim_holder(kv, value.as_deref(), crate::today(now))?
        .filter(|r| r.of_certification(&developer)))
}

/// Whether `desarrollador` may consult `patron`'s avisos through `servicio` now: a *Relación
/// Vigente* granted under the developer's current, authorised certification
/// ([`live_relation`]; cancelling a certification makes its relations unusable for good). The
/// password check, if the caller needs one, is [`crate::password::check`] against the
/// employer's current password.
pub fn authorizes(
    kv: &dyn KeyValue,
    patron: &str,
    desarrollador: &str,
    servicio: Servicio,
    now: DateTime<Utc>,
) -> Result<Option<Relation>, RelationError> {
    live_relation(kv, patron, desarrollador, servicio, now)
}

/// Takes the claim for `no_caso` or explains who holds it. `developer`: the developer's current
/// record, so that a relation of an earlier certification does not block (see [`blocks`]).
pub(super) fn take_claim(
    kv: &dyn KeyValue,
    k: &str,
    no_caso: &str,
    now: DateTime<Utc>,
    developer: Option<&Developer>,
) -> Result<Vec<u8>, RelationError> {
    let today = crate::today(now);
    let ours = format!("{no_caso}|{}", now.timestamp()).into_bytes();
    for _ in 0..swap::ATTEMPTS {
        let current = kv.get(k)?;
        // Our own earlier swap landed although it was reported lost (see avisos_kv::checked).
        if current.as_deref() == Some(ours.as_slice()) {
            return Ok(ours);
        }
        if let Some(holder) = current.as_deref().map(parse_claim).transpose()?.flatten() {
            // One read decides (a pending record may be committed a moment later).
            match read_record(kv, &holder)? {
                Record::Committed(r) if blocks(&r, today, developer) => {
                    return Err(duplicate(&r));
                }
                // Cancelled, expired or of an earlier certification (all final): stale.
                Record::Committed(_) => {}
                // Its addition may still be running, unless the claim is old.
                Record::Pending => {
                    let since = current.as_deref().and_then(claim_since).unwrap_or(0);
                    if now.timestamp() - since < PENDING_GRACE_SECONDS {
                        return Err(duplicate_in_progress());
                    }
                }
                // Its request gave up (records precede claims).
                Record::Missing => {}
            }
        }
        if kv.compare_and_swap(k, current.as_deref(), &ours)? {
            return Ok(ours);
        }
    }
    Err(duplicate_in_progress())
}

/// Releases a claim if it is still `ours` (compare-and-swap to empty).
fn release_claim(kv: &dyn KeyValue, k: &str, ours: &[u8]) {
    // Best effort: a claim left behind points to a cancelled or deleted relation, which the
    // next addition treats as free.
    let _ = kv.compare_and_swap(k, Some(ours), b"");
}

/// What step 1 of an addition established: the developer (certified), the claim key to take
/// and the service password's generation the employer typed.
struct Checked {
    developer: Developer,
    claim: String,
    generacion: u32,
}

/// Step 1 of an addition: every check, nothing written. The vigencia is checked again against
/// the clock of this moment.
fn check_addition(
    kv: &dyn KeyValue,
    request: &AddRequest,
    patron: &str,
    typed_password: password::Typed<'_>,
    today: NaiveDate,
) -> Result<Checked, RelationError> {
    vigencia::validate(today, request.inicio_vigencia, request.fin_vigencia)?;
    let developer = directory::require_certified(kv, &request.desarrollador)?;
    let claim = claim_key(patron, &developer.rfc, request.servicio);
    // A relation of an earlier certification of the developer does not count.
    if let Some(existing) = claim_holder(kv, kv.get(&claim)?.as_deref(), today)?
        .filter(|r| blocks(r, today, Some(&developer)))
    {
        return Err(duplicate(&existing));
    }
    // The password is checked only after the cheap refusals, and only for a verified signer.
    let generacion = password::check(kv, patron, typed_password.text, typed_password.key)?;
    Ok(Checked {
        developer,
        claim,
        generacion,
    })
}

/// The acuse «Registro de Relaciones de Confianza» of addition `no_caso`.
fn issue_addition_acuse(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    no_caso: &str,
    request: &AddRequest,
    developer: &Developer,
    now: DateTime<Utc>,
) -> Result<AcuseRecord, RelationError> {
    acuse::issue_as(
        kv,
        seal,
        act,
        no_caso,
        ACUSE_ALTA,
        vec![
            Dato::new("No. de Caso", no_caso),
            Dato::new("Servicio de Intercomunicación", request.servicio.nombre()),
            Dato::new("RFC del desarrollador", &developer.rfc),
            Dato::new("Razón social del desarrollador", &developer.razon_social),
            Dato::new(
                "Fecha inicio vigencia",
                crate::fecha_guia(request.inicio_vigencia),
            ),
            Dato::new("Fin de vigencia", crate::fecha_guia(request.fin_vigencia)),
        ],
        now,
    )
    .map_err(RelationError::from)
}

/// The record of an addition, from its request, its checks and its acuse.
fn new_relation(
    no_caso: &str,
    patron: &str,
    request: &AddRequest,
    checked: &Checked,
    acuse: &AcuseRecord,
) -> Relation {
    Relation {
        no_caso: no_caso.to_string(),
        patron_rfc: patron.to_string(),
        patron_nombre: acuse.nombre.clone(),
        desarrollador_rfc: checked.developer.rfc.clone(),
        desarrollador_nombre: checked.developer.razon_social.clone(),
        servicio: request.servicio,
        inicio_vigencia: request.inicio_vigencia,
        fin_vigencia: request.fin_vigencia,
        registrada: acuse.fecha,
        generacion_contrasena: checked.generacion,
        generacion_certificacion: Some(checked.developer.generacion),
        cancelacion: None,
    }
}

/// Steps 4 and 5 of an addition: the developer's index, the employer's index, then the record
/// rewritten without its pending mark (the commit point), if the claim `ours` still holds.
fn index_and_commit(
    kv: &dyn KeyValue,
    relation: &Relation,
    claim: &str,
    ours: &[u8],
    committed: &[u8],
) -> Result<(), RelationError> {
    let no_caso = relation.no_caso.as_str();
    index::add(
        kv,
        &developer_index(&relation.desarrollador_rfc),
        &[no_caso],
    )
    .and_then(|()| index::add(kv, &patron_index(&relation.patron_rfc), &[no_caso]))
    .map_err(RelationError::from)
    .and_then(|()| {
        // Still ours (not taken over as abandoned): commit.
        if kv.get(claim)?.as_deref() != Some(ours) {
            return Err(duplicate_in_progress());
        }
        Ok(kv.set(&key(no_caso), committed)?)
    })
}

/// `ADICIONAR_RELACION`. The act is already verified (signature, nonce) and its signer is the
/// session's employer; `typed_password` is the service password as typed.
pub fn add(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    request: &AddRequest,
    typed_password: password::Typed<'_>,
    now: DateTime<Utc>,
) -> Result<Added, RelationError> {
    let patron = act.identity.rfc.to_uppercase();
    let today = crate::today(now);
    // 1. Checks, nothing written.
    let checked = check_addition(kv, request, &patron, typed_password, today)?;

    // 2. Folio, acuse, record.
    let no_caso = folio::allocate(kv)?;
    let acuse = issue_addition_acuse(kv, seal, act, &no_caso, request, &checked.developer, now)?;
    let relation = new_relation(&no_caso, &patron, request, &checked, &acuse);
    let committed =
        serde_json::to_vec(&relation).map_err(|e| RelationError::internal(e.to_string()))?;
    kv.set(&key(&no_caso), &[PENDING, &committed].concat())?;

    // 3. The claim.
    let ck = &checked.claim;
    let ours = match take_claim(kv, ck, &no_caso, now, Some(&checked.developer)) {
        Ok(ours) => ours,
        Err(e) => {
            let _ = kv.delete(&key(&no_caso));
            return Err(e);
        }
    };

    // 4. The indexes, employer's last; 5. the commit.
    if let Err(e) = index_and_commit(kv, &relation, ck, &ours, &committed) {
        release_claim(kv, ck, &ours);
        let _ = kv.delete(&key(&no_caso));
        return Err(e);
    }
    Ok(Added {
        registro: Receipt::of(&acuse),
        relacion: Row::with_developer(&relation, today, Viewer::Patron, Some(&checked.developer)),
    })
}

fn refuse_if_not_live(r: &Relation, today: NaiveDate) -> Result<(), RelationError> {
    match r.status(today) {
        Estatus::Vigente => Ok(()),
        Estatus::CanceladaPorUsuario => Err(RelationError::AlreadyCancelled {
            no_caso: r.no_caso.clone(),
            fecha: r.cancelacion.as_ref().map(|c| c.fecha),
        }),
        Estatus::NoVigente => Err(RelationError::NotLive {
            no_caso: r.no_caso.clone(),
            fin_vigencia: r.fin_vigencia,
        }),
    }
}

/// The No. de Caso signed in `datos.no_caso` must be the route's (checked before the signature,
/// so that a mistaken request does not spend its nonce).
pub fn require_no_caso(spec: &ActSpec, no_caso: &str) -> Result<(), RelationError> {
    if spec.field("no_caso") == Some(no_caso) {
        Ok(())
    } else {
        Err(RelationError::NoCasoMismatch)
    }
}

/// `CANCELAR_RELACION` («Borrar») of the relation `no_caso` (the route's, which
/// [`require_no_caso`] matched with the signed one).
pub fn cancel(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    no_caso: &str,
    now: DateTime<Utc>,
) -> Result<Cancelled, RelationError> {
    let patron = act.identity.rfc.to_uppercase();
    let today = crate::today(now);
    let k = key(no_caso);
    let before = kv.get(&k)?;
    let relation: Relation = match &before {
        Some(bytes) if folio::is_well_formed(no_caso) && !bytes.starts_with(PENDING) => {
            serde_json::from_slice(bytes)
                .map_err(|_| RelationError::internal("corrupt relation record"))?
        }
        _ => return Err(not_found()),
    };
    if !relation.patron_rfc.eq_ignore_ascii_case(&patron) {
        return Err(not_found());
    }
    refuse_if_not_live(&relation, today)?;

    let acuse = acuse::issue(
        kv,
        seal,
        act,
        ACUSE_CANCELACION,
        vec![
            Dato::new("No. de Caso", &relation.no_caso),
            Dato::new("Servicio de Intercomunicación", relation.servicio.nombre()),
            Dato::new("RFC del desarrollador", &relation.desarrollador_rfc),
            Dato::new(
                "Razón social del desarrollador",
                &relation.desarrollador_nombre,
            ),
            Dato::new(
                "Fecha inicio vigencia",
                crate::fecha_guia(relation.inicio_vigencia),
            ),
            Dato::new("Fin de vigencia", crate::fecha_guia(relation.fin_vigencia)),
            Dato::new("Fecha cancelación anticipada", crate::fecha_guia(today)),
        ],
        now,
    )?;
    let cancelled = Relation {
        cancelacion: Some(Cancellation {
            fecha: today,
            instante: acuse.fecha,
            folio: acuse.folio.clone(),
        }),
        ..relation.clone()
    };
    let bytes =
        serde_json::to_vec(&cancelled).map_err(|e| RelationError::internal(e.to_string()))?;
    if !kv.compare_and_swap(&k, before.as_deref(), &bytes)? {
        // Someone changed it meanwhile: the only change a relation admits is a cancellation.
        let now_stored = load_own(kv, no_caso, &patron)?;
        refuse_if_not_live(&now_stored, today)?;
        return Err(RelationError::internal("relation changed concurrently"));
    }
    let ck = claim_key(&patron, &relation.desarrollador_rfc, relation.servicio);
    if let Ok(Some(v)) = kv.get(&ck)
        && parse_claim(&v).ok().flatten().as_deref() == Some(no_caso)
    {
        release_claim(kv, &ck, &v);
    }
    Ok(Cancelled {
        registro: Receipt::of(&acuse),
        relacion: Row::new(&cancelled, today, Viewer::Patron),
    })
}
