//! Relaciones de confianza: add, cancel, list, and the access rule.
//!
//! A relation's **No. de Caso** is the folio of the act that created it (and of its acuse
//! «Registro de Relaciones de Confianza»). Its **status is computed on read** from the clock:
//! *Relación cancelada por usuario* once cancelled, *Relación no vigente* after its
//! `fin_vigencia` (inclusive) has passed, *Relación Vigente* otherwise. No job ever rewrites it.
//!
//! **A relation belongs to the certification it was granted under**: it records the developer's
//! certification generation ([`Developer::generacion`], one more at each new authorisation) and
//! grants access only while that is the developer's current, authorised one
//! ([`Relation::of_certification`]). Once the developer cancels, its relations are *Relación no
//! vigente* with a reason ([`Relation::standing`], [`Row::motivo`]) for good: a new
//! certification is a new generation, the employer registers new relations (the old ones block
//! no addition) and may still cancel the old ones.
//!
//! **One live relation per employer + developer + service** is enforced by a claim key
//! `relacion:vigente:<patrón>:<desarrollador>:<servicio>` taken with compare-and-swap. The claim
//! holds `<No. de Caso>|<unix seconds>`; an empty value means free. A claim whose relation was
//! cancelled or has expired is stale and may be taken over (again with compare-and-swap on the
//! exact bytes read, so two requests can never both take it).
//!
//! **Write order of an addition** (so that a failure never leaves half an act visible):
//! 1. every check (certified developer, no live relation, service password); nothing written;
//! 2. folio, then the sealed acuse (`acuse:<folio>`), then the relation record
//!    (`relacion:<folio>`) marked **pending** (`pendiente:` before its JSON): every reader
//!    treats a pending record as absent;
//! 3. the claim (compare-and-swap): from here no other addition can take it. Losing the race
//!    deletes the record and answers `RELACION_DUPLICADA`;
//! 4. the developer's index, then the employer's index (compare-and-swap appends);
//! 5. the record rewritten without the mark: the commit point. From here it is live, listed
//!    and grants access. If 4 or 5 fail, the claim is released and the record deleted (best
//!    effort: when the store itself is failing, what remains is a pending record that nobody
//!    sees, and index entries that point to it, which listings skip).
//!
//! The only residue a failure can leave is a sealed acuse no listing points to (evidence of a
//! signed request that took no effect), never a relation without its acuse, nor a relation
//! that acts (blocks additions, grants access) without being listed. A claim always points to
//! a record written before it; if the record is missing or pending, its request gave up after
//! a failure (or is still running and will find the claim taken) and the claim is free to
//! take. Checked by `tests/e2e/tests/fallas.rs`, which fails the store at every step.
//!
//! **Cancellation** (`CANCELAR_RELACION`): only the owner, only a live relation; the acuse is
//! issued, then the record is swapped (compare-and-swap, so of two concurrent cancellations one
//! wins and the other is told it was already cancelled), then the claim is released.

use avisos_acts::acuse::{self, Dato, Receipt};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::{Role, Session};
use avisos_acts::{ActSpec, Mode, VerifiedAct, folio};
use avisos_http::ApiError;
use avisos_kv::{KeyValue, index, swap};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::{CertStatus, Developer};
use crate::{Servicio, directory, password, vigencia};

/// Title of the acuse of an addition, as the guide shows it.
pub const ACUSE_ALTA: &str = "Registro de Relaciones de Confianza";
pub const ACUSE_CANCELACION: &str = "Cancelación de Relación de Confianza";

/// Fields of `ADICIONAR_RELACION`, in cadena order.
pub const ADD_FIELDS: [&str; 4] = [
    "servicio",
    "rfc_desarrollador",
    "inicio_vigencia",
    "fin_vigencia",
];
/// Fields of `CANCELAR_RELACION`.
pub const CANCEL_FIELDS: [&str; 1] = ["no_caso"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Fecha cancelación anticipada (Mexico City).
    pub fecha: NaiveDate,
    pub instante: DateTime<Utc>,
    /// Folio of the cancellation's acuse.
    pub folio: String,
}

/// `relacion:<No. de Caso>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub no_caso: String,
    pub patron_rfc: String,
    pub patron_nombre: String,
    pub desarrollador_rfc: String,
    pub desarrollador_nombre: String,
    pub servicio: Servicio,
    pub inicio_vigencia: NaiveDate,
    /// Inclusive.
    pub fin_vigencia: NaiveDate,
    pub registrada: DateTime<Utc>,
    /// The service password's generation the employer typed (see [`crate::password`]).
    pub generacion_contrasena: u32,
    /// The developer's certification it was granted under ([`Developer::generacion`]): it
    /// grants nothing under another one ([`Relation::of_certification`]). `None`: granted before
    /// generations were recorded.
    #[serde(default)]
    pub generacion_certificacion: Option<u32>,
    pub cancelacion: Option<Cancellation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "Relación Vigente")]
    Vigente,
    #[serde(rename = "Relación cancelada por usuario")]
    CanceladaPorUsuario,
    #[serde(rename = "Relación no vigente")]
    NoVigente,
}

impl Status {
    /// Every status (openapi.yaml's `estatus` enum is checked against it).
    pub const ALL: [Status; 3] = [
        Status::Vigente,
        Status::CanceladaPorUsuario,
        Status::NoVigente,
    ];

    pub fn texto(self) -> &'static str {
        match self {
            Status::Vigente => "Relación Vigente",
            Status::CanceladaPorUsuario => "Relación cancelada por usuario",
            Status::NoVigente => "Relación no vigente",
        }
    }
}

/// Why a row says «Relación no vigente» (`codigo` is stable, `texto` for people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Motivo {
    pub codigo: &'static str,
    pub texto: String,
    /// When it stopped being vigente (America/Mexico_City): the last day of its vigencia, or the
    /// day the developer's certification it was granted under was cancelled (`None` if that
    /// day is not recorded).
    pub fecha: Option<NaiveDate>,
}

/// «Relación no vigente»: its vigencia is over.
pub const MOTIVO_VIGENCIA_TERMINADA: &str = "VIGENCIA_TERMINADA";
/// «Relación no vigente»: the developer's certification it was granted under was cancelled
/// (the developer may be certified again since: a new certification needs a new relation).
pub const MOTIVO_CERTIFICACION_CANCELADA: &str = "CERTIFICACION_CANCELADA";

impl Relation {
    /// The status from the relation alone: cancellation and vigencia. What it grants also
    /// depends on the developer's certification: see [`Relation::of_certification`] and
    /// [`Relation::standing`].
    pub fn status(&self, today: NaiveDate) -> Status {
        if self.cancelacion.is_some() {
            Status::CanceladaPorUsuario
        } else if today > self.fin_vigencia {
            Status::NoVigente
        } else {
            Status::Vigente
        }
    }

    /// Whether this relation was granted under `developer`'s current, authorised certification.
    /// A certification cancelled and granted again is a new generation, and the relations of
    /// the old one never grant access again: the employer registers a new relation.
    pub fn of_certification(&self, developer: &Developer) -> bool {
        if developer.estatus != CertStatus::Autorizada
            || !developer.rfc.eq_ignore_ascii_case(&self.desarrollador_rfc)
        {
            return false;
        }
        match self.generacion_certificacion {
            Some(g) => g == developer.generacion,
            // Granted before generations were recorded. A developer authorised since then has a
            // generation of 1 or more: not this relation's. Otherwise the relation belongs to
            // the current authorisation only if granted after the developer's record last
            // changed; a record changed later may have been cancelled and authorised again in
            // between, which the record cannot tell from a rename, so both refuse (fail closed:
            // the employer registers the relation again).
            None => developer.generacion == 0 && self.registrada >= developer.actualizado,
        }
    }

    /// The status shown in the table and why, with the developer's certification taken into
    /// account: a relation of the relation's own status *Vigente* whose certification is gone
    /// is «Relación no vigente». `developer`: its current record; `None` when there is none (a
    /// relation imported without its developer), then the relation's own status.
    /// `cancelada`: the day the certification it was granted under was cancelled, when known
    /// (see [`cancellation_date`]).
    pub fn standing(
        &self,
        today: NaiveDate,
        developer: Option<&Developer>,
        perspective: Perspective,
        cancelada: Option<NaiveDate>,
    ) -> (Status, Option<Motivo>) {
        match self.status(today) {
            Status::NoVigente => (
                Status::NoVigente,
                Some(Motivo {
                    codigo: MOTIVO_VIGENCIA_TERMINADA,
                    texto: format!(
                        "Su vigencia terminó el {}.",
                        crate::fecha_guia(self.fin_vigencia)
                    ),
                    fecha: Some(self.fin_vigencia),
                }),
            ),
            Status::Vigente => match developer {
                Some(d) if !self.of_certification(d) => (
                    Status::NoVigente,
                    Some(Motivo {
                        codigo: MOTIVO_CERTIFICACION_CANCELADA,
                        texto: certification_reason(perspective, d, cancelada),
                        fecha: cancelada,
                    }),
                ),
                _ => (Status::Vigente, None),
            },
            other => (other, None),
        }
    }
}

/// The day (Mexico City) the certification `r` was granted under was cancelled, for a relation
/// that `developer`'s current record no longer authorises: the record's own date while that
/// generation is its last one and cancelled, otherwise the one recorded when it ended
/// ([`directory::cancelled_on`]).
pub fn cancellation_date(
    kv: &dyn KeyValue,
    r: &Relation,
    developer: &Developer,
) -> Result<Option<NaiveDate>, ApiError> {
    let generacion = r.generacion_certificacion.unwrap_or(0);
    let at = if developer.estatus == CertStatus::Cancelada && developer.generacion == generacion {
        Some(developer.actualizado)
    } else {
        directory::cancelled_on(kv, &developer.rfc, generacion)?
    };
    Ok(at.map(crate::today))
}

fn certification_reason(
    perspective: Perspective,
    developer: &Developer,
    cancelada: Option<NaiveDate>,
) -> String {
    let cuando = cancelada
        .map(|d| format!(" el {}", crate::fecha_guia(d)))
        .unwrap_or_default();
    match perspective {
        Perspective::Desarrollador => format!(
            "Tu certificación con la que se otorgó fue cancelada{cuando}. Para consultar los avisos de este patrón, el patrón debe registrar una nueva relación."
        ),
        Perspective::Patron if developer.estatus == CertStatus::Autorizada => format!(
            "La certificación del desarrollador con la que se otorgó fue cancelada{cuando}. El desarrollador se certificó de nuevo: para que consulte tus avisos, registra una nueva relación."
        ),
        Perspective::Patron => format!(
            "La certificación del desarrollador con la que se otorgó fue cancelada{cuando}. Si se certifica de nuevo, tendrás que registrar una nueva relación."
        ),
    }
}

/// Whose table: the employer's own, or the developer's read-only view of what it was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perspective {
    Patron,
    Desarrollador,
}

impl Perspective {
    pub fn of(session: &Session) -> Result<Perspective, ApiError> {
        session.require_role(&[Role::Patron, Role::Desarrollador])?;
        Ok(match session.rol {
            Role::Desarrollador => Perspective::Desarrollador,
            _ => Perspective::Patron,
        })
    }
}

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
    pub fn new(r: &Relation, today: NaiveDate, perspective: Perspective) -> Row {
        Row::with_developer(r, today, perspective, None)
    }

    /// The row as the table shows it: `developer` is the developer's current record (see
    /// [`Relation::standing`]).
    pub fn with_developer(
        r: &Relation,
        today: NaiveDate,
        perspective: Perspective,
        developer: Option<&Developer>,
    ) -> Row {
        Row::with_certification(r, today, perspective, developer, None)
    }

    /// [`Row::with_developer`], with the day the certification it was granted under was
    /// cancelled ([`cancellation_date`]) for «Relación no vigente».
    pub fn with_certification(
        r: &Relation,
        today: NaiveDate,
        perspective: Perspective,
        developer: Option<&Developer>,
        cancelada: Option<NaiveDate>,
    ) -> Row {
        let (status, motivo) = r.standing(today, developer, perspective, cancelada);
        let own = perspective == Perspective::Patron;
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
                .map(|c| format!("/api/v1/acuses/{}", c.folio)),
            cancelable: own && r.status(today) == Status::Vigente,
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
    pub fn parse(spec: &ActSpec, mode: Mode, today: NaiveDate) -> Result<AddRequest, ApiError> {
        let field = |n: &str| spec.field(n).unwrap_or_default();
        let servicio = Servicio::parse(field("servicio"))?;
        let desarrollador = avisos_acts::act::validate_actor_rfc(field("rfc_desarrollador"), mode)
            .map_err(|e| {
                ApiError::bad_request(
                    "RFC_DESARROLLADOR_INVALIDO",
                    format!("El RFC del desarrollador no es válido: {}", e.mensaje),
                )
            })?;
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

fn key(no_caso: &str) -> String {
    format!("relacion:{no_caso}")
}

fn claim_key(patron: &str, desarrollador: &str, servicio: Servicio) -> String {
    format!(
        "relacion:vigente:{}:{}:{}",
        patron.to_uppercase(),
        desarrollador.to_uppercase(),
        servicio.slug()
    )
}

fn patron_index(rfc: &str) -> String {
    format!("relaciones:patron:{}", rfc.to_uppercase())
}

fn developer_index(rfc: &str) -> String {
    format!("relaciones:desarrollador:{}", rfc.to_uppercase())
}

pub fn load(kv: &dyn KeyValue, no_caso: &str) -> Result<Option<Relation>, ApiError> {
    match read_record(kv, no_caso)? {
        Record::Committed(r) => Ok(Some(r)),
        Record::Pending | Record::Missing => Ok(None),
    }
}

/// Prefix of a relation record written but not committed yet (write order, step 2).
const PENDING: &[u8] = b"pendiente:";

/// How long a claim on a pending record counts as an addition still running; after that its
/// request is taken to have given up (an addition takes well under a second).
const PENDING_GRACE_SECONDS: i64 = 120;

/// A relation record as stored.
enum Record {
    Committed(Relation),
    Pending,
    Missing,
}

fn read_record(kv: &dyn KeyValue, no_caso: &str) -> Result<Record, ApiError> {
    if !folio::is_well_formed(no_caso) {
        return Ok(Record::Missing);
    }
    match kv.get(&key(no_caso))? {
        None => Ok(Record::Missing),
        Some(b) if b.starts_with(PENDING) => Ok(Record::Pending),
        Some(b) => serde_json::from_slice(&b)
            .map(Record::Committed)
            .map_err(|_| ApiError::internal("corrupt relation record")),
    }
}

/// The `<unix seconds>` of a claim value.
fn claim_since(v: &[u8]) -> Option<i64> {
    std::str::from_utf8(v).ok()?.split_once('|')?.1.parse().ok()
}

fn duplicate(existing: &Relation) -> ApiError {
    ApiError::new(
        409,
        "RELACION_DUPLICADA",
        format!(
            "Ya tienes una relación de confianza vigente con el desarrollador {} para el servicio {} (No. de Caso {}, vigente hasta el {}). Para registrar otra, primero cancela la existente.",
            existing.desarrollador_rfc,
            existing.servicio.nombre(),
            existing.no_caso,
            crate::fecha_guia(existing.fin_vigencia)
        ),
    )
}

fn duplicate_in_progress() -> ApiError {
    ApiError::new(
        409,
        "RELACION_DUPLICADA",
        "Se está registrando en este momento otra relación con el mismo desarrollador y servicio. Consulta tu tabla de relaciones.",
    )
}

/// Parses a claim value `<No. de Caso>|<unix seconds>`; `None` when free (empty).
fn parse_claim(v: &[u8]) -> Result<Option<String>, ApiError> {
    if v.is_empty() {
        return Ok(None);
    }
    let s = std::str::from_utf8(v).map_err(|_| ApiError::internal("corrupt relation claim"))?;
    let (no_caso, _since) = s
        .split_once('|')
        .ok_or_else(|| ApiError::internal("corrupt relation claim"))?;
    Ok(Some(no_caso.to_string()))
}

/// What a claim currently names: `Some(relation)` while that relation's own status is *Vigente*
/// (its developer's certification not considered yet: see [`blocks`] and [`live_relation`]).
fn claim_holder(
    kv: &dyn KeyValue,
    value: Option<&[u8]>,
    today: NaiveDate,
) -> Result<Option<Relation>, ApiError> {
    let Some(no_caso) = value.map(parse_claim).transpose()?.flatten() else {
        return Ok(None);
    };
    Ok(load(kv, &no_caso)?.filter(|r| r.status(today) == Status::Vigente))
}

/// Whether a relation keeps others of the same employer, developer and service out: its own
/// status is *Vigente* and it belongs to the developer's current certification (`developer`:
/// the current record; `None` when not known, then the relation's own status decides, so
/// uniqueness holds).
fn blocks(r: &Relation, today: NaiveDate, developer: Option<&Developer>) -> bool {
    r.status(today) == Status::Vigente && developer.is_none_or(|d| r.of_certification(d))
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
) -> Result<Option<Relation>, ApiError> {
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
) -> Result<Option<Relation>, ApiError> {
    live_relation(kv, patron, desarrollador, servicio, now)
}

/// Takes the claim for `no_caso` or explains who holds it. `developer`: the developer's current
/// record, so that a relation of an earlier certification does not block (see [`blocks`]).
fn take_claim(
    kv: &dyn KeyValue,
    k: &str,
    no_caso: &str,
    now: DateTime<Utc>,
    developer: Option<&Developer>,
) -> Result<Vec<u8>, ApiError> {
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

/// `ADICIONAR_RELACION`. The act is already verified (signature, nonce) and its signer is the
/// session's employer; `typed_password` is the service password as typed.
pub fn add(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    request: &AddRequest,
    typed_password: &str,
    now: DateTime<Utc>,
) -> Result<Added, ApiError> {
    let patron = act.identity.rfc.to_uppercase();
    let today = crate::today(now);
    // 1. Checks, nothing written. The vigencia is checked again against the clock of this moment.
    vigencia::validate(today, request.inicio_vigencia, request.fin_vigencia)?;
    let developer = directory::require_certified(kv, &request.desarrollador)?;
    let ck = claim_key(&patron, &developer.rfc, request.servicio);
    // A relation of an earlier certification of the developer does not count.
    if let Some(existing) = claim_holder(kv, kv.get(&ck)?.as_deref(), today)?
        .filter(|r| blocks(r, today, Some(&developer)))
    {
        return Err(duplicate(&existing));
    }
    // The slow hash runs only after the cheap refusals, and only for a verified signer.
    let generacion = password::check(kv, &patron, typed_password)?;

    // 2. Folio, acuse, record.
    let no_caso = folio::allocate(kv)?;
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        &no_caso,
        ACUSE_ALTA,
        vec![
            Dato::new("No. de Caso", &no_caso),
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
    )?;
    let relation = Relation {
        no_caso: no_caso.clone(),
        patron_rfc: patron.clone(),
        patron_nombre: acuse.nombre.clone(),
        desarrollador_rfc: developer.rfc.clone(),
        desarrollador_nombre: developer.razon_social.clone(),
        servicio: request.servicio,
        inicio_vigencia: request.inicio_vigencia,
        fin_vigencia: request.fin_vigencia,
        registrada: acuse.fecha,
        generacion_contrasena: generacion,
        generacion_certificacion: Some(developer.generacion),
        cancelacion: None,
    };
    let committed =
        serde_json::to_vec(&relation).map_err(|e| ApiError::internal(&e.to_string()))?;
    kv.set(&key(&no_caso), &[PENDING, &committed].concat())?;

    // 3. The claim.
    let ours = match take_claim(kv, &ck, &no_caso, now, Some(&developer)) {
        Ok(ours) => ours,
        Err(e) => {
            let _ = kv.delete(&key(&no_caso));
            return Err(e);
        }
    };

    // 4. The indexes, employer's last; 5. the commit.
    let indexed = index::add(kv, &developer_index(&developer.rfc), &[&no_caso])
        .and_then(|()| index::add(kv, &patron_index(&patron), &[&no_caso]))
        .map_err(ApiError::from)
        .and_then(|()| {
            // Still ours (not taken over as abandoned): commit.
            if kv.get(&ck)?.as_deref() != Some(ours.as_slice()) {
                return Err(duplicate_in_progress());
            }
            Ok(kv.set(&key(&no_caso), &committed)?)
        });
    if let Err(e) = indexed {
        release_claim(kv, &ck, &ours);
        let _ = kv.delete(&key(&no_caso));
        return Err(e);
    }
    Ok(Added {
        registro: Receipt::of(&acuse),
        relacion: Row::with_developer(&relation, today, Perspective::Patron, Some(&developer)),
    })
}

fn not_found() -> ApiError {
    ApiError::new(
        404,
        "RELACION_NO_ENCONTRADA",
        "No existe una relación de confianza con ese No. de Caso entre tus relaciones.",
    )
}

/// Loads a relation for its employer. Someone else's answers exactly like a missing one.
pub fn load_own(kv: &dyn KeyValue, no_caso: &str, patron: &str) -> Result<Relation, ApiError> {
    match load(kv, no_caso)? {
        Some(r) if r.patron_rfc.eq_ignore_ascii_case(patron) => Ok(r),
        _ => Err(not_found()),
    }
}

fn refuse_if_not_live(r: &Relation, today: NaiveDate) -> Result<(), ApiError> {
    match r.status(today) {
        Status::Vigente => Ok(()),
        Status::CanceladaPorUsuario => Err(ApiError::new(
            409,
            "RELACION_YA_CANCELADA",
            format!(
                "La relación {} ya fue cancelada el {}.",
                r.no_caso,
                r.cancelacion
                    .as_ref()
                    .map(|c| crate::fecha_guia(c.fecha))
                    .unwrap_or_default()
            ),
        )),
        Status::NoVigente => Err(ApiError::new(
            409,
            "RELACION_NO_VIGENTE",
            format!(
                "La relación {} ya no está vigente (su vigencia terminó el {}); no hay nada que cancelar.",
                r.no_caso,
                crate::fecha_guia(r.fin_vigencia)
            ),
        )),
    }
}

/// `CANCELAR_RELACION` («Borrar»): `no_caso` from the path must equal the signed one.
pub fn cancel(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    no_caso: &str,
    now: DateTime<Utc>,
) -> Result<Cancelled, ApiError> {
    let patron = act.identity.rfc.to_uppercase();
    let today = crate::today(now);
    let k = key(no_caso);
    let before = kv.get(&k)?;
    let relation: Relation = match &before {
        Some(bytes) if folio::is_well_formed(no_caso) && !bytes.starts_with(PENDING) => {
            serde_json::from_slice(bytes)
                .map_err(|_| ApiError::internal("corrupt relation record"))?
        }
        _ => return Err(not_found()),
    };
    if !relation.patron_rfc.eq_ignore_ascii_case(&patron) {
        return Err(not_found());
    }
    refuse_if_not_live(&relation, today)?;

    let folio = folio::allocate(kv)?;
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        &folio,
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
            folio: folio.clone(),
        }),
        ..relation.clone()
    };
    let bytes = serde_json::to_vec(&cancelled).map_err(|e| ApiError::internal(&e.to_string()))?;
    if !kv.compare_and_swap(&k, before.as_deref(), &bytes)? {
        // Someone changed it meanwhile: the only change a relation admits is a cancellation.
        let now_stored = load_own(kv, no_caso, &patron)?;
        refuse_if_not_live(&now_stored, today)?;
        return Err(ApiError::internal("relation changed concurrently"));
    }
    let ck = claim_key(&patron, &relation.desarrollador_rfc, relation.servicio);
    if let Ok(Some(v)) = kv.get(&ck)
        && parse_claim(&v).ok().flatten().as_deref() == Some(no_caso)
    {
        release_claim(kv, &ck, &v);
    }
    Ok(Cancelled {
        registro: Receipt::of(&acuse),
        relacion: Row::new(&cancelled, today, Perspective::Patron),
    })
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

fn index_of(rfc: &str, perspective: Perspective) -> String {
    match perspective {
        Perspective::Patron => patron_index(rfc),
        Perspective::Desarrollador => developer_index(rfc),
    }
}

/// Loads the rows of `no_casos` (newest first already), skipping records rolled back after a
/// failed addition. The developer's record is read once per developer, and only for relations
/// whose own status is *Vigente* (the others' status does not depend on it).
fn rows_of(
    kv: &dyn KeyValue,
    no_casos: &[String],
    perspective: Perspective,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, ApiError> {
    let today = crate::today(now);
    let mut developers: std::collections::HashMap<String, Option<Developer>> = Default::default();
    // When each (developer, generation) was cancelled, read once.
    let mut cancelled: std::collections::HashMap<(String, u32), Option<NaiveDate>> =
        Default::default();
    let mut rows = Vec::with_capacity(no_casos.len());
    for no_caso in no_casos {
        let Some(r) = load(kv, no_caso)? else {
            continue;
        };
        let developer = if r.status(today) == Status::Vigente {
            let rfc = r.desarrollador_rfc.to_uppercase();
            match developers.get(&rfc) {
                Some(d) => d.clone(),
                None => {
                    let d = directory::load(kv, &rfc)?;
                    developers.insert(rfc, d.clone());
                    d
                }
            }
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
            perspective,
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
    perspective: Perspective,
    now: DateTime<Utc>,
    page: Page,
) -> Result<Listing, ApiError> {
    let mut index = index::read(kv, &index_of(rfc, perspective))?;
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
        relaciones: rows_of(kv, &index[start..end], perspective, now)?,
    })
}

/// The whole table, newest first, for «Exportar tabla»; refused with 422
/// `TABLA_DEMASIADO_GRANDE` beyond [`MAX_FILAS_EXPORTACION`] rows, before any record is read.
pub fn list(
    kv: &dyn KeyValue,
    rfc: &str,
    perspective: Perspective,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, ApiError> {
    list_at_most(kv, rfc, perspective, now, MAX_FILAS_EXPORTACION)
}

fn list_at_most(
    kv: &dyn KeyValue,
    rfc: &str,
    perspective: Perspective,
    now: DateTime<Utc>,
    max: usize,
) -> Result<Vec<Row>, ApiError> {
    let mut index = index::read(kv, &index_of(rfc, perspective))?;
    if index.len() > max {
        return Err(ApiError::new(
            422,
            "TABLA_DEMASIADO_GRANDE",
            format!(
                "La tabla tiene {} relaciones y «Exportar tabla» admite hasta {max} en un archivo. Consulta la tabla por páginas en la API (parámetros «pagina» y «por_pagina»).",
                index.len()
            ),
        ));
    }
    index.reverse();
    rows_of(kv, &index, perspective, now)
}

/// Bulk import of relations that already exist elsewhere (a migration from the institute's
/// records; the benchmarks and the 10,000-row export test). No act, no acuse: each relation gets
/// a fresh No. de Caso from the folio counter, live ones take their uniqueness claim (a live
/// duplicate is refused), and the indexes are appended once per owner. Returns the case numbers
/// in input order.
#[cfg(feature = "import")]
pub fn import(
    kv: &dyn KeyValue,
    relations: Vec<Relation>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    let today = crate::today(now);
    let mut by_patron: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut by_developer: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut out = Vec::with_capacity(relations.len());
    for mut r in relations {
        r.no_caso = folio::allocate(kv)?;
        avisos_kv::KeyValueJson::set_json(kv, &key(&r.no_caso), &r)?;
        if r.status(today) == Status::Vigente {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{CertStatus, Developer};
    use crate::testutil::*;
    use avisos_acts::terms::TermsId;
    use avisos_kv::MemoryKv;
    use std::sync::Arc;

    struct World {
        kv: Arc<MemoryKv>,
        seal: ServiceSeal,
        password: String,
    }

    fn certify(kv: &dyn KeyValue, rfc: &str, estatus: CertStatus) {
        certify_at(kv, rfc, estatus, t0());
    }

    fn certify_at(kv: &dyn KeyValue, rfc: &str, estatus: CertStatus, at: DateTime<Utc>) {
        directory::set_status(
            kv,
            Developer {
                rfc: rfc.into(),
                razon_social: name_of(rfc).into(),
                estatus,
                actualizado: at,
                folio: "0500000001".into(),
                registrado_por: ANALISTA.into(),
                generacion: 0,
                certificacion: None,
                anterior: None,
            },
        )
        .unwrap();
    }

    fn world() -> World {
        let kv = Arc::new(MemoryKv::new());
        let seal = seal();
        certify(&*kv, DEV, CertStatus::Autorizada);
        certify(&*kv, DEV_2, CertStatus::Autorizada);
        let g = password::generate(
            &*kv,
            &seal,
            &act(PATRON, "GENERAR_CONTRASENA", &[]),
            t0(),
            counter_random(3),
            [4; 16],
        )
        .unwrap();
        World {
            kv,
            seal,
            password: g.contrasena,
        }
    }

    fn add_act(patron: &str, dev: &str, inicio: &str, fin: &str) -> VerifiedAct {
        act_with_terms(
            patron,
            "ADICIONAR_RELACION",
            Some(TermsId::RelacionesDeConfianza),
            &[
                ("servicio", "Avisos"),
                ("rfc_desarrollador", dev),
                ("inicio_vigencia", inicio),
                ("fin_vigencia", fin),
            ],
        )
    }

    fn request(act: &VerifiedAct, now: DateTime<Utc>) -> Result<AddRequest, ApiError> {
        AddRequest::parse(&act.spec, Mode::Demo, crate::today(now))
    }

    impl World {
        fn add_at(
            &self,
            dev: &str,
            fin: &str,
            now: DateTime<Utc>,
            pw: &str,
        ) -> Result<Added, ApiError> {
            let inicio = crate::today(now).to_string();
            let act = add_act(PATRON, dev, &inicio, fin);
            let req = request(&act, now)?;
            add(&*self.kv, &self.seal, &act, &req, pw, now)
        }

        fn add(&self, dev: &str, fin: &str) -> Result<Added, ApiError> {
            self.add_at(dev, fin, t0(), &self.password)
        }

        fn cancel_at(
            &self,
            rfc: &str,
            no_caso: &str,
            now: DateTime<Utc>,
        ) -> Result<Cancelled, ApiError> {
            let act = act(rfc, "CANCELAR_RELACION", &[("no_caso", no_caso)]);
            cancel(&*self.kv, &self.seal, &act, no_caso, now)
        }
    }

    #[test]
    fn add_registers_a_live_relation_with_its_acuse_and_rows() {
        let w = world();
        let added = w.add(DEV, "2027-11-23").unwrap();
        let no_caso = added.registro.folio.clone();
        assert_eq!(no_caso.len(), 10);
        assert_eq!(added.relacion.no_caso, no_caso);
        assert_eq!(added.relacion.estatus, "Relación Vigente");
        assert_eq!(added.relacion.texto.fecha_inicio_vigencia, "23/nov/2026");
        assert_eq!(added.relacion.texto.fin_vigencia, "23/nov/2027");
        assert_eq!(added.relacion.texto.fecha_cancelacion_anticipada, "");
        assert!(added.relacion.cancelable);
        assert_eq!(added.registro.acuse, format!("/api/v1/acuses/{no_caso}"));

        let acuse = acuse_json(&*w.kv, &no_caso);
        assert!(acuse.contains(ACUSE_ALTA));
        assert!(acuse.contains("NOMINAS DEMOSTRACION SA DE CV"));
        assert!(!acuse.contains(&password::normalize_input(&w.password)));

        let rows = list(&*w.kv, PATRON, Perspective::Patron, t0()).unwrap();
        assert_eq!(rows, vec![added.relacion.clone()]);
        assert_eq!(rows[0].rfc, DEV);
        assert_eq!(rows[0].razon_social, "NOMINAS DEMOSTRACION SA DE CV");
        // The developer's read-only view names the employer, without acuses or «Borrar».
        let dev_rows = list(&*w.kv, DEV, Perspective::Desarrollador, t0()).unwrap();
        assert_eq!(dev_rows.len(), 1);
        assert_eq!(dev_rows[0].rfc, PATRON);
        assert_eq!(dev_rows[0].razon_social, "EMPRESA DEMOSTRACION SA DE CV");
        assert_eq!(
            (dev_rows[0].acuse.clone(), dev_rows[0].cancelable),
            (None, false)
        );
        assert!(
            list(&*w.kv, DEV_2, Perspective::Desarrollador, t0())
                .unwrap()
                .is_empty()
        );
        // Access rule.
        let live = live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, t0()).unwrap();
        assert_eq!(live.unwrap().no_caso, no_caso);
        assert!(
            live_relation(&*w.kv, PATRON, DEV_2, Servicio::Avisos, t0())
                .unwrap()
                .is_none()
        );
        let r = load(&*w.kv, &no_caso).unwrap().unwrap();
        assert_eq!(r.generacion_contrasena, 1);
        // Access needs the developer's certification too.
        assert!(
            authorizes(&*w.kv, PATRON, DEV, Servicio::Avisos, t0())
                .unwrap()
                .is_some()
        );
        certify(&*w.kv, DEV, CertStatus::Cancelada);
        assert!(
            authorizes(&*w.kv, PATRON, DEV, Servicio::Avisos, t0())
                .unwrap()
                .is_none()
        );
        // The table says why; «Borrar» still applies.
        let row = list(&*w.kv, PATRON, Perspective::Patron, t0()).unwrap()[0].clone();
        assert_eq!(row.estatus, "Relación no vigente");
        assert_eq!(row.motivo.unwrap().codigo, MOTIVO_CERTIFICACION_CANCELADA);
        assert!(row.cancelable);
    }

    #[test]
    fn refusals_of_an_addition() {
        let w = world();
        let code = |r: Result<Added, ApiError>| r.unwrap_err().codigo;
        certify(&*w.kv, "PME380607P35", CertStatus::Cancelada);
        assert_eq!(
            code(w.add("PME380607P35", "2027-01-01")),
            "DESARROLLADOR_NO_CERTIFICADO"
        );
        assert_eq!(
            code(w.add("XAXX010101000", "2027-01-01")),
            "RFC_DESARROLLADOR_INVALIDO"
        );
        assert_eq!(
            code(w.add_at(DEV, "2027-01-01", t0(), "AAAAA-AAAAA-AAAAA-AAAAA")),
            "CONTRASENA_INCORRECTA"
        );
        assert_eq!(code(w.add(DEV, "2026-11-22")), "VIGENCIA_FIN_PASADA");
        assert_eq!(code(w.add(DEV, "2028-11-24")), "VIGENCIA_EXCEDE_MAXIMO");
        assert_eq!(code(w.add(DEV, "23/11/2027")), "FECHA_VIGENCIA_INVALIDA");
        // Wrong start (signed yesterday's date).
        let act = add_act(PATRON, DEV, "2026-11-22", "2027-01-01");
        assert_eq!(
            request(&act, t0()).unwrap_err().codigo,
            "VIGENCIA_INICIO_INVALIDA"
        );
        // Another service.
        let act = act_with_terms(
            PATRON,
            "ADICIONAR_RELACION",
            None,
            &[
                ("servicio", "Nómina"),
                ("rfc_desarrollador", DEV),
                ("inicio_vigencia", "2026-11-23"),
                ("fin_vigencia", "2027-01-01"),
            ],
        );
        assert_eq!(request(&act, t0()).unwrap_err().codigo, "SERVICIO_INVALIDO");
        // Employer without a password.
        let act = add_act(PATRON_2, DEV, "2026-11-23", "2027-01-01");
        let req = request(&act, t0()).unwrap();
        assert_eq!(
            add(&*w.kv, &w.seal, &act, &req, "x", t0())
                .unwrap_err()
                .codigo,
            "CONTRASENA_NO_GENERADA"
        );
        // Nothing was registered by any refusal.
        assert!(
            list(&*w.kv, PATRON, Perspective::Patron, t0())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn duplicate_until_cancelled_or_expired() {
        let w = world();
        let first = w.add(DEV, "2027-01-31").unwrap();
        assert_eq!(
            w.add(DEV, "2027-03-01").unwrap_err().codigo,
            "RELACION_DUPLICADA"
        );
        // Another developer is fine.
        w.add(DEV_2, "2027-03-01").unwrap();
        // After cancelling, a new relation with the same developer is allowed.
        w.cancel_at(PATRON, &first.registro.folio, t0()).unwrap();
        let second = w.add(DEV, "2027-01-31").unwrap();
        // After it expires, too.
        let later = t0() + days(70);
        let inicio = crate::today(later);
        assert!(inicio > NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
        let third = w
            .add_at(
                DEV,
                &vigencia::add_months(inicio, 3).to_string(),
                later,
                &w.password,
            )
            .unwrap();
        let rows = list(&*w.kv, PATRON, Perspective::Patron, later).unwrap();
        let status: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.no_caso.as_str(), r.estatus))
            .collect();
        assert_eq!(
            status,
            vec![
                (third.registro.folio.as_str(), "Relación Vigente"),
                (second.registro.folio.as_str(), "Relación no vigente"),
                (rows[2].no_caso.as_str(), "Relación Vigente"),
                (
                    first.registro.folio.as_str(),
                    "Relación cancelada por usuario"
                ),
            ]
        );
        assert_eq!(
            live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, later)
                .unwrap()
                .unwrap()
                .no_caso,
            third.registro.folio
        );
    }

    #[test]
    fn status_is_computed_from_the_clock() {
        let w = world();
        let added = w.add(DEV, "2026-12-01").unwrap();
        let at =
            |d: i64| list(&*w.kv, PATRON, Perspective::Patron, t0() + days(d)).unwrap()[0].clone();
        assert_eq!(at(8).estatus, "Relación Vigente", "the end day is included");
        assert!(at(8).cancelable);
        assert_eq!(at(9).estatus, "Relación no vigente");
        assert!(!at(9).cancelable);
        assert!(
            live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, t0() + days(9))
                .unwrap()
                .is_none()
        );
        // An expired relation cannot be cancelled.
        assert_eq!(
            w.cancel_at(PATRON, &added.registro.folio, t0() + days(9))
                .unwrap_err()
                .codigo,
            "RELACION_NO_VIGENTE"
        );
    }

    #[test]
    fn cancellation_rules() {
        let w = world();
        let added = w.add(DEV, "2027-11-23").unwrap();
        let no_caso = added.registro.folio.clone();
        // Someone else's relation, or a missing one: the same 404.
        assert_eq!(
            w.cancel_at(PATRON_2, &no_caso, t0()).unwrap_err().codigo,
            "RELACION_NO_ENCONTRADA"
        );
        assert_eq!(
            w.cancel_at(PATRON, "0599999999", t0()).unwrap_err().codigo,
            "RELACION_NO_ENCONTRADA"
        );
        assert_eq!(
            w.cancel_at(PATRON, "../x", t0()).unwrap_err().codigo,
            "RELACION_NO_ENCONTRADA"
        );
        let later = t0() + days(3);
        let c = w.cancel_at(PATRON, &no_caso, later).unwrap();
        assert_eq!(c.relacion.estatus, "Relación cancelada por usuario");
        assert_eq!(
            c.relacion.fecha_cancelacion_anticipada,
            Some(crate::today(later))
        );
        assert_eq!(c.relacion.texto.fecha_cancelacion_anticipada, "26/nov/2026");
        assert_eq!(
            c.relacion.acuse_cancelacion,
            Some(format!("/api/v1/acuses/{}", c.registro.folio))
        );
        assert!(!c.relacion.cancelable);
        assert!(acuse_json(&*w.kv, &c.registro.folio).contains(ACUSE_CANCELACION));
        assert_eq!(
            w.cancel_at(PATRON, &no_caso, later).unwrap_err().codigo,
            "RELACION_YA_CANCELADA"
        );
        assert!(
            live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, later)
                .unwrap()
                .is_none()
        );
        // The claim was released.
        assert_eq!(
            w.kv.get(&claim_key(PATRON, DEV, Servicio::Avisos)).unwrap(),
            Some(Vec::new())
        );
    }

    #[test]
    fn a_new_certification_does_not_revive_old_relations() {
        let w = world();
        let old = w.add(DEV, "2027-11-23").unwrap().registro.folio;
        let other = w.add(DEV_2, "2027-11-23").unwrap().registro.folio;
        assert_eq!(
            load(&*w.kv, &old)
                .unwrap()
                .unwrap()
                .generacion_certificacion,
            Some(1)
        );
        let access = |now| authorizes(&*w.kv, PATRON, DEV, Servicio::Avisos, now).unwrap();
        let row = |rfc: &str, perspective, no_caso: &str| {
            list(&*w.kv, rfc, perspective, t0())
                .unwrap()
                .into_iter()
                .find(|r| r.no_caso == no_caso)
                .unwrap()
        };
        assert!(access(t0()).is_some());

        // Cancelled: no access, and the table says why and since when at once.
        let cancelled_at = t0() + days(3);
        let cancelled_on = crate::today(cancelled_at);
        certify_at(&*w.kv, DEV, CertStatus::Cancelada, cancelled_at);
        assert!(access(t0()).is_none());
        let r = row(PATRON, Perspective::Patron, &old);
        assert_eq!(r.estatus, "Relación no vigente");
        let m = r.motivo.unwrap();
        assert_eq!(m.codigo, MOTIVO_CERTIFICACION_CANCELADA);
        assert!(m.texto.contains("Si se certifica de nuevo"), "{}", m.texto);
        assert_eq!(m.fecha, Some(cancelled_on));
        let when = format!("fue cancelada el {}", crate::fecha_guia(cancelled_on));
        assert!(m.texto.contains(&when), "{}", m.texto);

        // Certified again: a new generation, and the old relation stays unusable (its date
        // is the old generation's cancellation, not the new authorisation).
        certify_at(&*w.kv, DEV, CertStatus::Autorizada, t0() + days(5));
        assert_eq!(directory::load(&*w.kv, DEV).unwrap().unwrap().generacion, 2);
        assert!(access(t0()).is_none());
        assert!(
            live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, t0())
                .unwrap()
                .is_none()
        );
        let r = row(PATRON, Perspective::Patron, &old);
        assert_eq!(
            (r.estatus, r.cancelable, r.fecha_cancelacion_anticipada),
            ("Relación no vigente", true, None)
        );
        let m = r.motivo.unwrap();
        assert_eq!(m.codigo, MOTIVO_CERTIFICACION_CANCELADA);
        assert!(
            m.texto.contains(
                "se certificó de nuevo: para que consulte tus avisos, registra una nueva relación"
            ),
            "{}",
            m.texto
        );
        assert_eq!(m.fecha, Some(cancelled_on));
        assert!(m.texto.contains(&when), "{}", m.texto);
        let mine = row(DEV, Perspective::Desarrollador, &old);
        assert_eq!(mine.estatus, "Relación no vigente");
        assert!(
            mine.motivo.unwrap().texto.starts_with("Tu certificación"),
            "the developer's view speaks to the developer"
        );
        // Another developer's relation is untouched.
        assert_eq!(
            row(PATRON, Perspective::Patron, &other).estatus,
            "Relación Vigente"
        );

        // The old relation does not block a new one with the same developer.
        let new = w.add(DEV, "2027-06-30").unwrap();
        assert_eq!(new.relacion.estatus, "Relación Vigente");
        assert_eq!(
            load(&*w.kv, &new.registro.folio)
                .unwrap()
                .unwrap()
                .generacion_certificacion,
            Some(2)
        );
        assert_eq!(access(t0()).unwrap().no_caso, new.registro.folio);
        // The new one does.
        assert_eq!(
            w.add(DEV, "2027-01-31").unwrap_err().codigo,
            "RELACION_DUPLICADA"
        );
        // «Borrar» on the old one still works and leaves the new one alone.
        let c = w.cancel_at(PATRON, &old, t0()).unwrap();
        assert_eq!(c.relacion.estatus, "Relación cancelada por usuario");
        assert_eq!(access(t0()).unwrap().no_caso, new.registro.folio);
        // An expired relation keeps its own reason.
        let later = t0() + days(400);
        let expired = list(&*w.kv, PATRON, Perspective::Patron, later)
            .unwrap()
            .into_iter()
            .find(|r| r.no_caso == new.registro.folio)
            .unwrap();
        assert_eq!(expired.estatus, "Relación no vigente");
        assert_eq!(
            expired.motivo.unwrap(),
            Motivo {
                codigo: MOTIVO_VIGENCIA_TERMINADA,
                texto: "Su vigencia terminó el 30/jun/2027.".into(),
                fecha: Some(NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()),
            }
        );
    }

    /// Relations and developer records written before generations existed.
    #[test]
    fn relations_from_before_generations() {
        let kv = MemoryKv::new();
        let legacy_developer = |at: &str| {
            let json = format!(
                r#"{{"rfc":"{DEV}","razon_social":"NOMINAS DEMOSTRACION SA DE CV","estatus":"Certificación autorizada","actualizado":"{at}","folio":"0500000001","registrado_por":"{ANALISTA}"}}"#
            );
            kv.set(&format!("desarrollador:{DEV}"), json.as_bytes())
                .unwrap();
        };
        // A relation record as written before generations (no `generacion_certificacion`).
        let mut r = to_import(DEV, None);
        r.generacion_certificacion = None;
        let bytes = serde_json::to_vec(&r).unwrap();
        let json = String::from_utf8(bytes).unwrap();
        assert!(json.contains(r#""generacion_certificacion":null"#));
        let legacy_json = json.replace(r#""generacion_certificacion":null,"#, "");
        let parsed: Relation = serde_json::from_str(&legacy_json).unwrap();
        assert_eq!(parsed.generacion_certificacion, None);
        let no_caso = import(&kv, vec![parsed], t0()).unwrap().remove(0);
        let access = || {
            authorizes(&kv, PATRON, DEV, Servicio::Avisos, t0())
                .unwrap()
                .is_some()
        };
        // The developer's record last changed before the relation was granted: it was granted
        // under the current certification.
        legacy_developer("2026-11-01T00:00:00Z");
        assert!(access());
        // Changed after: it may have been cancelled and certified again in between: refused.
        legacy_developer("2026-11-24T00:00:00Z");
        assert!(!access());
        let row = &list(&kv, PATRON, Perspective::Patron, t0()).unwrap()[0];
        assert_eq!(
            (row.no_caso.as_str(), row.estatus),
            (no_caso.as_str(), "Relación no vigente")
        );
        // Authorised anew since generations exist (generation 1): refused.
        legacy_developer("2026-11-01T00:00:00Z");
        certify(&kv, DEV, CertStatus::Cancelada);
        certify(&kv, DEV, CertStatus::Autorizada);
        assert_eq!(directory::load(&kv, DEV).unwrap().unwrap().generacion, 1);
        assert!(!access());
    }

    #[test]
    fn a_relation_granted_under_a_legacy_authorisation_lasts_until_the_next_one() {
        let kv = MemoryKv::new();
        let json = format!(
            r#"{{"rfc":"{DEV}","razon_social":"NOMINAS DEMOSTRACION SA DE CV","estatus":"Certificación autorizada","actualizado":"2026-11-01T00:00:00Z","folio":"0500000001","registrado_por":"{ANALISTA}"}}"#
        );
        kv.set(&format!("desarrollador:{DEV}"), json.as_bytes())
            .unwrap();
        let mut r = to_import(DEV, None);
        r.generacion_certificacion = Some(0);
        import(&kv, vec![r], t0()).unwrap();
        let access = || {
            authorizes(&kv, PATRON, DEV, Servicio::Avisos, t0())
                .unwrap()
                .is_some()
        };
        assert!(access());
        // A rename keeps the authorisation (and its generation 0).
        certify(&kv, DEV, CertStatus::Autorizada);
        assert_eq!(directory::load(&kv, DEV).unwrap().unwrap().generacion, 0);
        assert!(access());
        certify(&kv, DEV, CertStatus::Cancelada);
        certify(&kv, DEV, CertStatus::Autorizada);
        assert!(!access());
    }

    #[test]
    fn regenerating_the_password_keeps_relations_but_needs_the_new_one() {
        let w = world();
        w.add(DEV, "2027-11-23").unwrap();
        let g = password::generate(
            &*w.kv,
            &w.seal,
            &act(PATRON, "GENERAR_CONTRASENA", &[]),
            t0(),
            counter_random(77),
            [5; 16],
        )
        .unwrap();
        assert_eq!(
            list(&*w.kv, PATRON, Perspective::Patron, t0()).unwrap()[0].estatus,
            "Relación Vigente"
        );
        assert_eq!(
            w.add(DEV_2, "2027-11-23").unwrap_err().codigo,
            "CONTRASENA_INCORRECTA"
        );
        let r = w.add_at(DEV_2, "2027-11-23", t0(), &g.contrasena).unwrap();
        assert_eq!(
            load(&*w.kv, &r.registro.folio)
                .unwrap()
                .unwrap()
                .generacion_contrasena,
            2
        );
    }

    #[test]
    fn concurrent_additions_of_the_same_relation_have_one_winner() {
        let w = Arc::new(world());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let w = w.clone();
                std::thread::spawn(move || w.add(DEV, "2027-11-23").map(|a| a.registro.folio))
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(wins.len(), 1, "{results:?}");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(e.codigo, "RELACION_DUPLICADA");
            }
        }
        let rows = list(&*w.kv, PATRON, Perspective::Patron, t0()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0].no_caso, wins[0]);
        // Losers left no record behind.
        let records = (1..=40)
            .filter(|n| {
                w.kv.exists(&format!("relacion:{:010}", 500_000_000 + n))
                    .unwrap()
            })
            .count();
        assert_eq!(records, 1);
    }

    #[test]
    fn concurrent_additions_to_different_developers_all_get_listed() {
        let w = Arc::new(world());
        let devs: Vec<String> = (0..12)
            .map(|i| rfc(&format!("CCC0101{:02}AB", i + 1)))
            .collect();
        for d in &devs {
            certify(&*w.kv, d, CertStatus::Autorizada);
        }
        let handles: Vec<_> = devs
            .iter()
            .cloned()
            .map(|d| {
                let w = w.clone();
                std::thread::spawn(move || w.add(&d, "2027-11-23").unwrap())
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(
            list(&*w.kv, PATRON, Perspective::Patron, t0())
                .unwrap()
                .len(),
            12
        );
    }

    #[test]
    fn stale_claims_are_taken_over_and_failures_roll_back() {
        let w = world();
        let ck = claim_key(PATRON, DEV, Servicio::Avisos);
        // A claim whose record is missing (its request gave up): free.
        w.kv.set(&ck, b"0599999999|1").unwrap();
        let a = w.add(DEV, "2027-11-23").unwrap();
        assert!(
            String::from_utf8(w.kv.get(&ck).unwrap().unwrap())
                .unwrap()
                .starts_with(&a.registro.folio)
        );
        // A corrupt claim is an internal error, never silently overwritten.
        w.kv.set(&claim_key(PATRON, DEV_2, Servicio::Avisos), b"basura")
            .unwrap();
        assert_eq!(
            w.add(DEV_2, "2027-11-23").unwrap_err().codigo,
            "ERROR_INTERNO"
        );
    }

    /// A store whose writes fail after `n` successful ones (to cut an addition midway).
    struct CutKv {
        inner: MemoryKv,
        writes_left: std::sync::Mutex<usize>,
    }

    impl CutKv {
        fn write(&self) -> Result<(), avisos_kv::KvError> {
            let mut n = self.writes_left.lock().unwrap();
            if *n == 0 {
                return Err(avisos_kv::KvError::Unavailable("cut".into()));
            }
            *n -= 1;
            Ok(())
        }
    }

    impl KeyValue for CutKv {
        fn get(&self, k: &str) -> Result<Option<Vec<u8>>, avisos_kv::KvError> {
            self.inner.get(k)
        }
        fn set(&self, k: &str, v: &[u8]) -> Result<(), avisos_kv::KvError> {
            self.write()?;
            self.inner.set(k, v)
        }
        fn delete(&self, k: &str) -> Result<(), avisos_kv::KvError> {
            self.inner.delete(k)
        }
        fn exists(&self, k: &str) -> Result<bool, avisos_kv::KvError> {
            self.inner.exists(k)
        }
        fn increment(&self, k: &str, d: i64) -> Result<i64, avisos_kv::KvError> {
            self.write()?;
            self.inner.increment(k, d)
        }
        fn compare_and_swap(
            &self,
            k: &str,
            e: Option<&[u8]>,
            n: &[u8],
        ) -> Result<bool, avisos_kv::KvError> {
            self.write()?;
            self.inner.compare_and_swap(k, e, n)
        }
    }

    #[test]
    fn a_failure_at_any_write_leaves_no_visible_relation() {
        // Writes of an addition: folio, acuse, record, claim, developer index, employer index.
        for cut in 0..6 {
            let base = world();
            let kv = CutKv {
                inner: MemoryKv::new(),
                writes_left: std::sync::Mutex::new(usize::MAX),
            };
            // Copy the world's state (developers, password) into the cuttable store.
            certify(&kv, DEV, CertStatus::Autorizada);
            let g = password::generate(
                &kv,
                &base.seal,
                &act(PATRON, "GENERAR_CONTRASENA", &[]),
                t0(),
                counter_random(3),
                [4; 16],
            )
            .unwrap();
            *kv.writes_left.lock().unwrap() = cut;
            let act = add_act(PATRON, DEV, "2026-11-23", "2027-11-23");
            let req = request(&act, t0()).unwrap();
            let e = add(&kv, &base.seal, &act, &req, &g.contrasena, t0()).unwrap_err();
            assert_eq!(e.codigo, "ALMACEN_NO_DISPONIBLE", "cut at {cut}");
            *kv.writes_left.lock().unwrap() = usize::MAX;
            assert!(
                list(&kv, PATRON, Perspective::Patron, t0())
                    .unwrap()
                    .is_empty(),
                "cut at {cut}"
            );
            assert!(
                list(&kv, DEV, Perspective::Desarrollador, t0())
                    .unwrap()
                    .is_empty(),
                "cut at {cut}"
            );
            assert!(
                live_relation(&kv, PATRON, DEV, Servicio::Avisos, t0())
                    .unwrap()
                    .is_none(),
                "cut at {cut}"
            );
            // And the addition goes through once the store is back.
            add(&kv, &base.seal, &act, &req, &g.contrasena, t0()).unwrap();
            assert_eq!(
                list(&kv, PATRON, Perspective::Patron, t0()).unwrap().len(),
                1
            );
        }
    }

    /// A relation with `PATRON` to import, cancelled (with that acuse folio) or live.
    fn to_import(dev: &str, cancelled: Option<&str>) -> Relation {
        Relation {
            no_caso: String::new(),
            patron_rfc: PATRON.into(),
            patron_nombre: name_of(PATRON).into(),
            desarrollador_rfc: dev.into(),
            desarrollador_nombre: name_of(dev).into(),
            servicio: Servicio::Avisos,
            inicio_vigencia: crate::today(t0()),
            fin_vigencia: crate::today(t0()) + days(30),
            registrada: t0(),
            generacion_contrasena: 0,
            // The developers of `world()` are in their first authorisation.
            generacion_certificacion: Some(1),
            cancelacion: cancelled.map(|folio| Cancellation {
                fecha: crate::today(t0()),
                instante: t0(),
                folio: folio.into(),
            }),
        }
    }

    #[test]
    fn import_lists_in_order_and_keeps_uniqueness() {
        let w = world();
        let mk = |dev: &str, cancelled: bool| to_import(dev, cancelled.then_some("0500000999"));
        let ids = import(
            &*w.kv,
            vec![mk(DEV, true), mk(DEV, false), mk(DEV_2, false)],
            t0(),
        )
        .unwrap();
        assert_eq!(ids.len(), 3);
        let rows = list(&*w.kv, PATRON, Perspective::Patron, t0()).unwrap();
        let listed: Vec<&str> = rows.iter().map(|r| r.no_caso.as_str()).collect();
        assert_eq!(listed, [&ids[2], &ids[1], &ids[0]]);
        assert_eq!(
            w.add(DEV, "2027-01-01").unwrap_err().codigo,
            "RELACION_DUPLICADA"
        );
        assert_eq!(
            import(&*w.kv, vec![mk(DEV_2, false)], t0())
                .unwrap_err()
                .codigo,
            "RELACION_DUPLICADA"
        );
        assert_eq!(
            list(&*w.kv, DEV_2, Perspective::Desarrollador, t0())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn pages_are_newest_first_and_the_export_is_capped() {
        let w = world();
        let cancelled = |i: u32| to_import(DEV, Some(&format!("{:010}", 900_000_000 + i)));
        let ids = import(&*w.kv, (0..7).map(cancelled).collect(), t0()).unwrap();
        let at = |pagina, por_pagina| {
            page(
                &*w.kv,
                PATRON,
                Perspective::Patron,
                t0(),
                Page { pagina, por_pagina },
            )
            .unwrap()
        };
        fn cases(l: &Listing) -> Vec<&String> {
            l.relaciones.iter().map(|r| &r.no_caso).collect()
        }
        let first = at(1, 3);
        assert_eq!(cases(&first), [&ids[6], &ids[5], &ids[4]]);
        assert_eq!(
            (first.pagina, first.por_pagina, first.total, first.hay_mas),
            (1, 3, 7, true)
        );
        assert_eq!(cases(&at(2, 3)), [&ids[3], &ids[2], &ids[1]]);
        let last = at(3, 3);
        assert_eq!(cases(&last), [&ids[0]]);
        assert!(!last.hay_mas);
        let beyond = at(4, 3);
        assert!(beyond.relaciones.is_empty() && !beyond.hay_mas && beyond.total == 7);
        assert!(at(1_000_000, MAX_POR_PAGINA).relaciones.is_empty());
        let whole = at(1, MAX_POR_PAGINA);
        assert_eq!(
            whole.relaciones,
            list(&*w.kv, PATRON, Perspective::Patron, t0()).unwrap()
        );
        assert!(!whole.hay_mas);

        // An entry whose record was rolled back is counted but not shown.
        w.kv.delete(&key(&ids[5])).unwrap();
        let first = at(1, 3);
        assert_eq!(cases(&first), [&ids[6], &ids[4]]);
        assert_eq!((first.total, first.hay_mas), (7, true));

        // The export reads no record of a table over its cap.
        let e = list_at_most(&*w.kv, PATRON, Perspective::Patron, t0(), 6).unwrap_err();
        assert_eq!((e.status, &*e.codigo), (422, "TABLA_DEMASIADO_GRANDE"));
        assert!(e.mensaje.contains("tiene 7 relaciones"), "{}", e.mensaje);
        let rows = list_at_most(&*w.kv, PATRON, Perspective::Patron, t0(), 7).unwrap();
        assert_eq!(rows.len(), 6);
    }

    /// A claim whose record is pending belongs to an addition still running (refused) until
    /// the claim is old (taken over); a committed live record is a duplicate; a missing record
    /// frees the claim. Decided from one read of the record.
    #[test]
    fn claims_on_pending_records() {
        let kv = MemoryKv::new();
        let ck = "relacion:vigente:P:D:avisos";
        let now = t0();
        let claim = |no_caso: &str, at: DateTime<Utc>| format!("{no_caso}|{}", at.timestamp());
        kv.set(&key("0500000001"), b"pendiente:{}").unwrap();
        kv.set(ck, claim("0500000001", now).as_bytes()).unwrap();
        let e = take_claim(&kv, ck, "0500000002", now, None).unwrap_err();
        assert_eq!(e.codigo, "RELACION_DUPLICADA");
        assert!(e.mensaje.contains("en este momento"), "{}", e.mensaje);
        // The pending record is invisible to readers.
        assert_eq!(load(&kv, "0500000001").unwrap(), None);
        // Abandoned (older than the grace period): taken over.
        let later = now + chrono::Duration::seconds(PENDING_GRACE_SECONDS + 1);
        let ours = take_claim(&kv, ck, "0500000002", later, None).unwrap();
        assert_eq!(kv.get(ck).unwrap(), Some(ours));
        // A claim pointing to a missing record is free at once.
        kv.set(ck, claim("0500000009", now).as_bytes()).unwrap();
        take_claim(&kv, ck, "0500000003", now, None).unwrap();
    }
}
