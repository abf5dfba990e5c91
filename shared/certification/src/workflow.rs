//! The transitions: request, evidence upload, dictamen, acceptance, cancellation, and the
//! analyst's listing. Every function receives the store, the clock (and the seal, randomness)
//! from the component; see the crate documentation for the write order.

use avisos_acts::acuse::{self, AcuseRecord, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::Session;
use avisos_acts::{VerifiedAct, folio};
use avisos_calendar::Calendar;
use avisos_evidence::{Rejection, workbook};
use avisos_http::ApiError;
use avisos_kv::{KeyValue, KeyValueJson, index};
use avisos_relations::directory::{self, CertStatus, Developer};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::deadline::{self, DIAS_ANALISIS, DIAS_CORRECCION, DIAS_EVIDENCIA};
use crate::notify::{self, Evento, NewNotification, Notification};
use crate::record::{self, Certification, Dictamen, Plazo, Resultado, Ronda, StoredEvidence};
use crate::status::{Estatus, Stored};
use crate::view::{self, CertificationView, Viewer};
use crate::{blob, today};

/// Fields of `SOLICITAR_CERTIFICACION`, in cadena order.
pub const REQUEST_FIELDS: [&str; 2] = ["razon_social", "correo"];
/// Fields of `ACEPTAR_APROBACION` and `CANCELAR_CERTIFICACION`.
pub const FOLIO_FIELDS: [&str; 1] = ["folio"];
/// Fields of `DICTAMINAR_CERTIFICACION`.
pub const DICTAMEN_FIELDS: [&str; 3] = ["folio", "resultado", "observaciones"];
pub const MAX_OBSERVACIONES: usize = 2_000;
pub const MAX_CORREO: usize = 254;
pub const MAX_FILE_NAME: usize = 200;
/// Records one analyst listing reads at most (the index is read whole, records up to this).
pub const MAX_LISTED: usize = 1_000;
pub const LIST_PAGE: usize = 50;

pub const ACUSE_SOLICITUD: &str = "Solicitud de Certificación";
pub const ACUSE_DICTAMEN: &str = "Dictamen de Certificación";
pub const ACUSE_APROBACION: &str = "Aprobación de Certificación";
pub const ACUSE_CANCELACION: &str = "Acuse de Cancelación de Certificación";
/// What the page and the API say next to the acuse de cancelación (the guide's words).
pub const AVISO_CANCELACION: &str = "Descarga el acuse de cancelación, solo se mostrará en esta sesión. Para volver a certificar tendrás que volver a realizar la solicitud.";

/// Content types accepted for the evidence upload.
pub const WORKBOOK_TYPES: [&str; 3] = [
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
];

fn status_index(s: Stored) -> String {
    format!("certificaciones:estatus:{}", s.clave())
}

fn developer_index(rfc: &str) -> String {
    format!("certificaciones:desarrollador:{}", rfc.to_uppercase())
}

fn receipt_key(folio_cancelacion: &str) -> String {
    format!("certificacion:acuse-cancelacion:{folio_cancelacion}")
}

fn delivery_key(folio_cancelacion: &str) -> String {
    format!("certificacion:entrega-cancelacion:{folio_cancelacion}")
}

/// The calendar a record's deadline needs (none runs, or it has not started: the official
/// rules alone, nothing read).
pub fn calendar_of(kv: &dyn KeyValue, c: &Certification) -> Result<Calendar, ApiError> {
    match c.deadline_year() {
        Some(y) => deadline::calendar_for(kv, y, y),
        None => Ok(Calendar::official()),
    }
}

/// What an act answers: its acuse, the request as it ended, the notifications it produced.
#[derive(Debug, Clone)]
pub struct Done {
    pub acuse: AcuseRecord,
    pub certification: Certification,
    pub notifications: Vec<Notification>,
}

impl Done {
    /// Sends this transition's notifications now (with up to [`notify::RETRY_PER_ACT`] queued
    /// ones; without a mail API they stay in the portal inbox), the test set attached where one
    /// goes; the notifications as they ended.
    pub async fn deliver<F, Fut>(
        &self,
        kv: &dyn KeyValue,
        mail: Option<&notify::MailConfig>,
        now: DateTime<Utc>,
        send: F,
    ) -> Result<Vec<Notification>, ApiError>
    where
        F: Fn(notify::MailRequest) -> Fut,
        Fut: Future<Output = Result<u16, String>>,
    {
        let ids: Vec<String> = self.notifications.iter().map(|n| n.id.clone()).collect();
        notify::deliver(
            kv,
            mail,
            &ids,
            notify::RETRY_PER_ACT,
            now,
            |n| test_set_attachment(kv, n),
            send,
        )
        .await
    }

    /// The request after this transition, as `viewer` sees it at `now` (its deadline started
    /// if the e-mail that starts it was delivered meanwhile).
    pub fn view(
        &self,
        kv: &dyn KeyValue,
        now: DateTime<Utc>,
        viewer: Viewer,
    ) -> Result<CertificationView, ApiError> {
        let mut c = self.certification.clone();
        record::resolve_plazo(kv, &mut c)?;
        let cal = calendar_of(kv, &c)?;
        Ok(view::view(&c, &cal, now, viewer))
    }
}

/// The answer body of an act (schema `CertificacionRegistrada`).
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    #[serde(flatten)]
    pub registro: acuse::Receipt,
    pub certificacion: CertificationView,
    pub notificaciones: Vec<Notification>,
}

impl Registered {
    pub fn new(
        acuse: &AcuseRecord,
        certificacion: CertificationView,
        notificaciones: Vec<Notification>,
    ) -> Registered {
        Registered {
            registro: acuse::Receipt::of(acuse),
            certificacion,
            notificaciones,
        }
    }
}

fn validate_email(s: &str) -> Result<String, ApiError> {
    let e = s.trim();
    let bad = || {
        ApiError::bad_request(
            "CORREO_INVALIDO",
            "Escribe un correo electrónico válido (por ejemplo, nominas@empresa.com.mx).",
        )
    };
    if e.is_empty()
        || e.chars().count() > MAX_CORREO
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(e.to_string())
}

/// Completes what an act leaves after its commit point (the record's compare-and-swap), from
/// the record as it stands: the folio listed in its own status index and the developer's, and
/// in no other status index; once authorised, the directory record without the one it replaced;
/// once cancelled, the claim released and the directory told. Every
/// act runs it after its commit, and an act refused because the record is already past it runs
/// it again, so the retry of an act interrupted after its commit finishes it. Idempotent, and
/// nothing readers rely on: trays check every entry against its record, and the directory
/// follows the request's record (`avisos_relations::directory::load`).
pub fn settle(kv: &dyn KeyValue, c: &Certification) -> Result<(), ApiError> {
    index::add(kv, &developer_index(&c.rfc), &[&c.folio])?;
    index::add(kv, &status_index(c.estatus), &[&c.folio])?;
    for s in Stored::ALL.into_iter().filter(|s| *s != c.estatus) {
        index::remove(kv, &status_index(s), &c.folio)?;
    }
    if c.estatus == Stored::Autorizada {
        directory::confirm(kv, &c.rfc, &c.folio)?;
    }
    if c.estatus == Stored::Cancelada {
        // Free the claim only if it still names this request.
        kv.compare_and_swap(&record::claim_key(&c.rfc), Some(c.folio.as_bytes()), b"")?;
        if let Some(fc) = &c.folio_cancelacion {
            directory::revoke(kv, &c.rfc, &c.folio, fc, c.actualizada)?;
        }
    }
    Ok(())
}

/// [`settle`] where its failure must not change the answer (the act already took effect, or is
/// refused anyway): what it left undone is done by the next act on the request.
fn settle_quietly(kv: &dyn KeyValue, c: &Certification) {
    let _ = settle(kv, c);
}

/// «a más tardar el …» when the deadline's last day is known when the e-mail is written (the
/// portal inbox is its delivery), or how it counts otherwise.
fn deadline_sentence(vence: Option<&str>) -> String {
    match vence {
        Some(v) => format!("a más tardar el {v}"),
        None => "contados a partir de la recepción de este correo".to_string(),
    }
}

fn set_notification(c: &Certification, vence: Option<&str>) -> NewNotification {
    let plazo = deadline_sentence(vence);
    let r = c.ronda_actual().ronda;
    NewNotification {
        rfc: c.rfc.clone(),
        correo: c.correo.clone(),
        evento: Evento::SetDePruebas,
        asunto: format!(
            "Set de pruebas de tu solicitud de certificación {}",
            c.folio
        ),
        texto: format!(
            "Estimado Desarrollador,\n\nRecibimos tu solicitud de certificación del Servicio de Intercomunicación de Avisos.\n\nFolio: {}\nRFC: {}\nRazón Social: {}\n\nDescarga el set de pruebas (ronda {r}) en el portal, pestaña «Certificación para desarrolladores», e implementa el servicio en ambiente de pruebas en tu sistema de control de nómina. Cuentas con 45 días hábiles, contados a partir de la recepción de este correo, para enviar el archivo .xls con las evidencias (máximo 5 MB): {plazo}.",
            c.folio, c.rfc, c.razon_social
        ),
        folio: c.folio.clone(),
        enlace: Some(format!(
            "/api/v1/certificaciones/{}/set-de-pruebas",
            c.folio
        )),
        ronda: Some(r),
        acto: Some(c.folio.clone()),
    }
}

/// `SOLICITAR_CERTIFICACION`: a new request with its first test set (`semilla`, random).
pub fn request(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    semilla: u64,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, ApiError> {
    let rfc = act.identity.rfc.to_uppercase();
    let razon_social = avisos_relations::text::clean_name(
        act.spec.field("razon_social").unwrap_or_default(),
        directory::MAX_NAME_CHARS,
    )
    .ok_or_else(|| {
        ApiError::bad_request(
            "RAZON_SOCIAL_INVALIDA",
            "La razón social es obligatoria, de hasta 254 caracteres y sin caracteres de control.",
        )
    })?;
    let correo = validate_email(act.spec.field("correo").unwrap_or_default())?;
    let hoy = today(now);
    let claim = record::claim_key(&rfc);
    let held = kv.get(&claim)?;
    if let Some(holder) = held.as_deref().filter(|b| !b.is_empty()) {
        let holder = String::from_utf8_lossy(holder).to_string();
        if let Some(c) = record::load(kv, &holder)? {
            let cal = calendar_of(kv, &c)?;
            if c.estatus(&cal, hoy).is_live() {
                return Err(en_curso(&c.folio));
            }
        }
    }
    let cal = deadline::calendar_for(kv, hoy.year(), hoy.year())?;
    // From the delivery of the e-mail with the test set: the act's day when the portal inbox
    // is the delivery, the day the mail API accepts it otherwise.
    let plazo = Plazo {
        desde: (!queue_mail).then_some(hoy),
        dias: DIAS_EVIDENCIA,
        correo: None,
    };
    let vence = plazo.vence(&cal).map(crate::fecha_guia);
    let vence_dato = vence.clone().unwrap_or_else(|| {
        format!("{DIAS_EVIDENCIA} días hábiles a partir de la recepción del correo con el set de pruebas")
    });
    let folio = folio::allocate(kv)?;
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        &folio,
        ACUSE_SOLICITUD,
        vec![
            Dato::new("Razón social", &razon_social),
            Dato::new("Correo electrónico", &correo),
            Dato::new("Estatus", Estatus::EnEspera.texto()),
            Dato::new("Fecha límite para enviar evidencias", &vence_dato),
        ],
        now,
    )?;
    let mut c = Certification {
        folio: folio.clone(),
        rfc: rfc.clone(),
        nombre: act.identity.name.clone(),
        razon_social,
        correo,
        estatus: Stored::EnEspera,
        solicitada: acuse.fecha,
        actualizada: acuse.fecha,
        rondas: vec![Ronda {
            ronda: 1,
            semilla,
            fecha: hoy,
            evidencia: None,
            dictamen: None,
        }],
        plazo: Some(plazo),
        folio_aceptacion: None,
        folio_cancelacion: None,
        cancelada: None,
        pendiente: true,
    };
    // Written before the commit point, each ignored by readers until the claim names the
    // record: its notification (which the deadline names), the record (pending), the indexes.
    let n = notify::enqueue(kv, set_notification(&c, vence.as_deref()), queue_mail, now)?;
    if let Some(p) = c.plazo.as_mut() {
        p.correo = Some(n.id.clone());
    }
    let pending = record::encode(&c)?;
    kv.set(&record::key(&folio), &pending)?;
    index::add(kv, &developer_index(&rfc), &[&folio])?;
    index::add(kv, &status_index(Stored::EnEspera), &[&folio])?;
    // The commit point.
    if !kv.compare_and_swap(&claim, held.as_deref(), folio.as_bytes())? {
        // Another request of the same developer won the race.
        let _ = kv.delete(&record::key(&folio));
        let holder = kv.get(&claim)?.unwrap_or_default();
        return Err(en_curso(&String::from_utf8_lossy(&holder)));
    }
    let c = Certification {
        pendiente: false,
        ..c
    };
    // Tidying only: readers count the record already (the claim names it).
    if let Ok(committed) = record::encode(&c) {
        let _ = kv.compare_and_swap(&record::key(&folio), Some(&pending), &committed);
    }
    Ok(Done {
        acuse,
        certification: c,
        notifications: vec![n],
    })
}

fn en_curso(folio: &str) -> ApiError {
    if folio.is_empty() {
        // A request whose store failed in the middle holds the claim for up to two minutes
        // (avisos_kv::CheckedKv's create-once window) without a record to show.
        return ApiError::new(
            409,
            "CERTIFICACION_EN_CURSO",
            "Se está registrando otra solicitud de certificación tuya. Consulta tu seguimiento o intenta de nuevo en unos minutos.",
        );
    }
    ApiError::new(
        409,
        "CERTIFICACION_EN_CURSO",
        format!(
            "Ya tienes una solicitud de certificación en curso (folio {folio}). Consulta su seguimiento o cancélala antes de solicitar otra."
        ),
    )
}

/// Why an upload did not take effect.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadError {
    Api(ApiError),
    /// The workbook has problems (422): nothing changed.
    Rejected(Rejection),
}

impl From<ApiError> for UploadError {
    fn from(e: ApiError) -> Self {
        UploadError::Api(e)
    }
}

/// The 422 body: `{codigo, mensaje, problemas}`.
pub fn rejection_body(r: &Rejection) -> serde_json::Value {
    serde_json::json!({
        "codigo": "EVIDENCIA_RECHAZADA",
        "mensaje": format!(
            "El archivo de evidencias tiene {} problema(s); corrígelos y envíalo de nuevo. No se registró ningún cambio.",
            r.problems.len()
        ),
        "problemas": r.problems,
    })
}

/// The upload's metadata as the component read it.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    pub file_name: &'a str,
    pub content_type: &'a str,
    /// Random id of this upload (chunk keys).
    pub carga: &'a str,
}

/// Checks the request's headers before the workbook is parsed.
pub fn check_upload_headers(
    file_name: Option<&str>,
    content_type: &str,
) -> Result<String, ApiError> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !WORKBOOK_TYPES.contains(&media.as_str()) {
        return Err(ApiError::new(
            415,
            "TIPO_DE_CONTENIDO_INVALIDO",
            "Envía el archivo tal cual con Content-Type de Excel (.xls: application/vnd.ms-excel; .xlsx: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet).",
        ));
    }
    let name = file_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().trim())
        .filter(|n| !n.is_empty() && n.chars().count() <= MAX_FILE_NAME)
        .filter(|n| !n.chars().any(char::is_control))
        .ok_or_else(|| {
            ApiError::bad_request(
                "NOMBRE_ARCHIVO_REQUERIDO",
                "Indica el nombre del archivo (.xls o .xlsx) en la cabecera x-nombre-archivo o el parámetro archivo.",
            )
        })?;
    Ok(name.to_string())
}

/// «Enviar archivo»: checks the workbook against the current test set; on success stores it,
/// its summary and grading, and moves the request to `En análisis` (5 business days).
pub fn upload(
    kv: &dyn KeyValue,
    session: &Session,
    folio: &str,
    up: &Upload<'_>,
    now: DateTime<Utc>,
) -> Result<Certification, UploadError> {
    let (c, raw) = crate::require_owner(kv, session, folio)?;
    let hoy = today(now);
    let cal = calendar_of(kv, &c)?;
    match c.estatus(&cal, hoy) {
        Estatus::EnEspera => {}
        Estatus::Vencida => {
            return Err(ApiError::new(
                409,
                "CERTIFICACION_VENCIDA",
                "El plazo para enviar las evidencias venció. Para certificarte realiza una nueva solicitud.",
            )
            .into());
        }
        other => {
            settle_quietly(kv, &c);
            return Err(ApiError::new(
                409,
                "ESTATUS_NO_PERMITE_EVIDENCIAS",
                format!(
                    "La solicitud está «{}»: solo se reciben evidencias «En espera de documentos».",
                    other.texto()
                ),
            )
            .into());
        }
    }
    let set = avisos_evidence::generate(&c.test_set_id());
    let evidence = workbook::check(up.bytes, up.file_name, &set).map_err(UploadError::Rejected)?;
    let grading = avisos_evidence::grade(&set, &evidence);
    let ronda = c.ronda_actual().ronda;
    let prefix = blob::prefix(folio, ronda, up.carga);
    let chunks = blob::write(kv, &prefix, up.bytes)?;
    let mut next = c.clone();
    next.estatus = Stored::EnAnalisis;
    next.actualizada = now;
    next.plazo = Some(Plazo::from(hoy, DIAS_ANALISIS));
    next.ronda_actual_mut().evidencia = Some(StoredEvidence {
        archivo: up.file_name.to_string(),
        content_type: up
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        bytes: up.bytes.len(),
        sha256: evidence.sha256.clone(),
        recibida: now,
        blob: prefix.clone(),
        chunks,
        resumen: evidence,
        calificacion: grading,
    });
    // Listed in the analysts' tray before the commit (the tray shows what the record says).
    index::add(kv, &status_index(Stored::EnAnalisis), &[folio]).map_err(ApiError::from)?;
    match record::swap(kv, &raw, &next) {
        Ok(()) => {}
        Err(e) => {
            // Only a swap known to be lost frees its chunks: one whose outcome is unknown may
            // have landed, and then its record names them.
            if e.status == 409 {
                blob::delete(kv, &prefix, chunks);
            }
            return Err(e.into());
        }
    }
    settle_quietly(kv, &next);
    Ok(next)
}

/// The stored workbook of a round (the last one with evidence when `ronda` is None).
pub fn stored_workbook(
    kv: &dyn KeyValue,
    c: &Certification,
    ronda: Option<u32>,
) -> Result<(StoredEvidence, Vec<u8>), ApiError> {
    let e = c
        .rondas
        .iter()
        .rev()
        .filter(|r| ronda.is_none_or(|n| r.ronda == n))
        .find_map(|r| r.evidencia.clone())
        .ok_or_else(|| {
            ApiError::new(
                404,
                "EVIDENCIA_NO_ENCONTRADA",
                "Esa solicitud no tiene evidencias aceptadas en la ronda indicada.",
            )
        })?;
    let bytes = blob::read(kv, &e.blob, e.chunks)?;
    Ok((e, bytes))
}

/// `DICTAMINAR_CERTIFICACION` (analysts): approve, or inconsistencies with a new test set
/// (`semilla`, random) and 10 business days.
pub fn dictaminar(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    semilla: u64,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, ApiError> {
    let folio = act.spec.field("folio").unwrap_or_default();
    let resultado = Resultado::parse(act.spec.field("resultado").unwrap_or_default())?;
    let observaciones = act.spec.field("observaciones").unwrap_or_default().trim();
    if observaciones.chars().count() > MAX_OBSERVACIONES {
        return Err(ApiError::bad_request(
            "OBSERVACIONES_DEMASIADO_LARGAS",
            format!("Las observaciones admiten hasta {MAX_OBSERVACIONES} caracteres."),
        ));
    }
    if resultado == Resultado::Inconsistencias && observaciones.is_empty() {
        return Err(ApiError::bad_request(
            "OBSERVACIONES_REQUERIDAS",
            "Describe las inconsistencias encontradas: el desarrollador las recibirá con el nuevo set de pruebas.",
        ));
    }
    let (c, raw) = record::load_raw(kv, folio)?.ok_or_else(record::not_found)?;
    if c.estatus != Stored::EnAnalisis {
        settle_quietly(kv, &c);
        let cal = calendar_of(kv, &c)?;
        return Err(ApiError::new(
            409,
            "ESTATUS_NO_PERMITE_DICTAMEN",
            format!(
                "La solicitud está «{}»: solo se dictaminan solicitudes «En análisis».",
                c.estatus(&cal, today(now)).texto()
            ),
        ));
    }
    let hoy = today(now);
    // From the delivery of the e-mail with the new set (see `request`).
    let mut correccion = Plazo {
        desde: (!queue_mail).then_some(hoy),
        dias: DIAS_CORRECCION,
        correo: None,
    };
    let cal = deadline::calendar_for(kv, hoy.year(), hoy.year())?;
    let vence_correccion = correccion.vence(&cal).map(crate::fecha_guia);
    let mut datos = vec![
        Dato::new("Folio de la solicitud", folio),
        Dato::new("RFC del desarrollador", &c.rfc),
        Dato::new("Razón social", &c.razon_social),
        Dato::new(
            "Resultado",
            match resultado {
                Resultado::Aprobar => "Aprobado",
                Resultado::Inconsistencias => "Con inconsistencias",
            },
        ),
        Dato::new("Observaciones", observaciones),
    ];
    if resultado == Resultado::Inconsistencias {
        datos.push(Dato::new(
            "Fecha límite para enviar la evidencia corregida",
            vence_correccion.clone().unwrap_or_else(|| {
                format!("{DIAS_CORRECCION} días hábiles a partir de la recepción del correo con el nuevo set de pruebas")
            }),
        ));
    }
    let folio_acuse = folio::allocate(kv)?;
    let acuse = acuse::issue(kv, seal, act, &folio_acuse, ACUSE_DICTAMEN, datos, now)?;
    let mut next = c.clone();
    next.actualizada = now;
    next.ronda_actual_mut().dictamen = Some(Dictamen {
        resultado,
        observaciones: observaciones.to_string(),
        analista: acuse.rfc.clone(),
        fecha: acuse.fecha,
        folio: folio_acuse.clone(),
    });
    let notification = match resultado {
        Resultado::Aprobar => {
            next.estatus = Stored::Aprobado;
            next.plazo = None;
            NewNotification {
                rfc: c.rfc.clone(),
                correo: c.correo.clone(),
                evento: Evento::Aprobacion,
                asunto: format!("Aprobación de tu certificación {}", c.folio),
                texto: format!(
                    "Estimado Desarrollador,\n\nFolio: {}\nRFC: {}\nRazón Social: {}\n\nLas pruebas son correctas: tu certificación en el Servicio de Intercomunicación de Avisos fue aprobada. Para obtener acceso al servicio en ambiente productivo, ingresa a la pestaña «Certificación para desarrolladores» y firma los Términos y Condiciones de la Aprobación de Certificación.",
                    c.folio, c.rfc, c.razon_social
                ),
                folio: c.folio.clone(),
                enlace: Some("/api/v1/certificaciones/actual".into()),
                ronda: None,
                acto: Some(folio_acuse.clone()),
            }
        }
        Resultado::Inconsistencias => {
            let ronda = c.ronda_actual().ronda + 1;
            next.estatus = Stored::EnEspera;
            next.rondas.push(Ronda {
                ronda,
                semilla,
                fecha: hoy,
                evidencia: None,
                dictamen: None,
            });
            let plazo = deadline_sentence(vence_correccion.as_deref());
            NewNotification {
                rfc: c.rfc.clone(),
                correo: c.correo.clone(),
                evento: Evento::Inconsistencias,
                asunto: format!(
                    "Inconsistencias en tu certificación {} y nuevo set de pruebas",
                    c.folio
                ),
                texto: format!(
                    "Estimado Desarrollador,\n\nFolio: {}\nRFC: {}\nRazón Social: {}\n\nAl evaluar tus evidencias detectamos las siguientes inconsistencias:\n\n{observaciones}\n\nTe enviamos un nuevo set de pruebas (ronda {ronda}); descárgalo en el portal. Cuentas con 10 días hábiles, contados a partir de la recepción de este correo, para enviar la evidencia de la implementación de las correcciones: {plazo}.",
                    c.folio, c.rfc, c.razon_social
                ),
                folio: c.folio.clone(),
                enlace: Some(format!(
                    "/api/v1/certificaciones/{}/set-de-pruebas",
                    c.folio
                )),
                ronda: Some(ronda),
                acto: Some(folio_acuse.clone()),
            }
        }
    };
    // Before the commit, each ignored by readers until the record says so: the notification
    // (its act not yet in the record) and the tray entry (the tray shows what records say).
    let n = notify::enqueue(kv, notification, queue_mail, now)?;
    if resultado == Resultado::Inconsistencias {
        // The new set's deadline starts with the delivery of this e-mail.
        correccion.correo = Some(n.id.clone());
        next.plazo = Some(correccion);
    }
    index::add(kv, &status_index(next.estatus), &[folio])?;
    record::swap(kv, &raw, &next)?;
    settle_quietly(kv, &next);
    Ok(Done {
        acuse,
        certification: next,
        notifications: vec![n],
    })
}

/// `ACEPTAR_APROBACION`: the developer signs the approval terms → `Certificación autorizada`,
/// and only then enters the employers' directory; the `autorizacion` e-mail confirms it.
pub fn accept(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    session: &Session,
    act: &VerifiedAct,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, ApiError> {
    let folio = act.spec.field("folio").unwrap_or_default();
    let (c, raw) = crate::require_owner(kv, session, folio)?;
    if c.estatus != Stored::Aprobado {
        settle_quietly(kv, &c);
        let cal = calendar_of(kv, &c)?;
        return Err(ApiError::new(
            409,
            "ESTATUS_NO_PERMITE_ACEPTACION",
            format!(
                "La solicitud está «{}»: solo se firma la aprobación cuando está «Aprobado».",
                c.estatus(&cal, today(now)).texto()
            ),
        ));
    }
    let folio_acuse = folio::allocate(kv)?;
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        &folio_acuse,
        ACUSE_APROBACION,
        vec![
            Dato::new("Folio de la solicitud", folio),
            Dato::new("Razón social", &c.razon_social),
            Dato::new("Estatus", Estatus::Autorizada.texto()),
        ],
        now,
    )?;
    let mut next = c.clone();
    next.estatus = Stored::Autorizada;
    next.actualizada = now;
    next.plazo = None;
    next.folio_aceptacion = Some(folio_acuse.clone());
    // Before the commit, ignored until the record lists the acceptance: the e-mail.
    let n = notify::enqueue(
        kv,
        NewNotification {
            rfc: c.rfc.clone(),
            correo: c.correo.clone(),
            evento: Evento::Autorizacion,
            asunto: format!("Certificación autorizada {}", c.folio),
            texto: format!(
                "Estimado Desarrollador,\n\nFolio: {}\nRFC: {}\nRazón Social: {}\n\nFirmaste los Términos y Condiciones de la Aprobación de Certificación (acuse {folio_acuse}): tu certificación en el Servicio de Intercomunicación de Avisos está autorizada. Ya apareces en el directorio de desarrolladores certificados, los patrones pueden registrar relaciones de confianza contigo y puedes descargar tu responsiva en la pestaña «Certificación para desarrolladores».",
                c.folio, c.rfc, c.razon_social
            ),
            folio: c.folio.clone(),
            enlace: Some(format!("/api/v1/acuses/{folio_acuse}")),
            ronda: None,
            acto: Some(folio_acuse.clone()),
        },
        queue_mail,
        now,
    )?;
    // Before the commit: the tray entry, and the directory record naming this request, which
    // readers take for the one it replaces until the request says `autorizada` (grant last:
    // the record's swap is what opens access).
    index::add(kv, &status_index(Stored::Autorizada), &[folio])?;
    directory::grant_pending(
        kv,
        &c.folio,
        Developer {
            rfc: c.rfc.clone(),
            razon_social: c.razon_social.clone(),
            estatus: CertStatus::Autorizada,
            actualizado: acuse.fecha,
            folio: folio_acuse.clone(),
            registrado_por: c.rfc.clone(),
            generacion: 0,
            certificacion: Some(c.folio.clone()),
            anterior: None,
        },
    )?;
    record::swap(kv, &raw, &next)?;
    settle_quietly(kv, &next);
    Ok(Done {
        acuse,
        certification: next,
        notifications: vec![n],
    })
}

/// The one-time download of the acuse de cancelación.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Delivery {
    token_sha256: String,
    sid: String,
    entregado: bool,
}

/// `CANCELAR_CERTIFICACION`: from any live state. The developer leaves the directory (so no
/// relation authorises it any more), the claim is released (it may request again), and the acuse
/// is kept apart from `acuse:<folio>` so it is handed over only in this answer and one download
/// with `token` (random) from the same session.
pub fn cancel(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    session: &Session,
    act: &VerifiedAct,
    token: &str,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, ApiError> {
    let folio = act.spec.field("folio").unwrap_or_default();
    let (c, raw) = crate::require_owner(kv, session, folio)?;
    let cal = calendar_of(kv, &c)?;
    let estatus = c.estatus(&cal, today(now));
    if !estatus.is_live() {
        settle_quietly(kv, &c);
        return Err(ApiError::new(
            409,
            "CERTIFICACION_NO_VIGENTE",
            format!(
                "La solicitud está «{}»: no hay certificación que cancelar.",
                estatus.texto()
            ),
        ));
    }
    let folio_acuse = folio::allocate(kv)?;
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        &folio_acuse,
        ACUSE_CANCELACION,
        vec![
            Dato::new("Folio de la solicitud", folio),
            Dato::new("Razón social", &c.razon_social),
            Dato::new("Resultado", "La certificación ha sido cancelada con éxito."),
        ],
        now,
    )?;
    // Handed over once: off the general acuses endpoint.
    kv.set_json(&receipt_key(&folio_acuse), &acuse)?;
    kv.delete(&format!("acuse:{folio_acuse}"))?;
    kv.set_json(
        &delivery_key(&folio_acuse),
        &Delivery {
            token_sha256: sha256_hex(token.as_bytes()),
            sid: session.sid.clone(),
            entregado: false,
        },
    )?;
    let mut next = c.clone();
    next.estatus = Stored::Cancelada;
    next.actualizada = now;
    next.plazo = None;
    next.cancelada = Some(acuse.fecha);
    next.folio_cancelacion = Some(folio_acuse.clone());
    let n = notify::enqueue(
        kv,
        NewNotification {
            rfc: c.rfc.clone(),
            correo: c.correo.clone(),
            evento: Evento::Cancelacion,
            asunto: format!("Cancelación de tu certificación {}", c.folio),
            texto: format!(
                "Datos de identificación del solicitante\n\nFOLIO: {}\nRFC: {}\nRazón Social: {}\n\nEstimado Desarrollador,\nDe conformidad con la solicitud de cancelación de tu Certificación de avisos para el uso del SERVICIO DE INTERCOMUNICACIÓN DE AVISOS, misma que realizaste a través del Portal Empresarial, te informamos que:\n\nLa certificación ha sido cancelada con éxito.",
                c.folio, c.rfc, c.razon_social
            ),
            folio: c.folio.clone(),
            enlace: None,
            ronda: None,
            acto: Some(folio_acuse),
        },
        queue_mail,
        now,
    )?;
    index::add(kv, &status_index(Stored::Cancelada), &[folio])?;
    // The commit point: from here the request is cancelled, its developer out of the directory
    // (which follows this record) and its claim free (a cancelled holder does not count).
    record::swap(kv, &raw, &next)?;
    settle_quietly(kv, &next);
    Ok(Done {
        acuse,
        certification: next,
        notifications: vec![n],
    })
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    efirma::to_hex(&sha2::Sha256::digest(data))
}

/// The acuse de cancelación, once: the token of the cancellation's answer, from the same session.
pub fn take_cancellation_receipt(
    kv: &dyn KeyValue,
    session: &Session,
    folio: &str,
    token: &str,
) -> Result<AcuseRecord, ApiError> {
    let not_found = || {
        ApiError::new(
            404,
            "ACUSE_NO_ENCONTRADO",
            "No hay un acuse de cancelación disponible para ese folio y esa sesión.",
        )
    };
    let (c, _) = crate::require_owner(kv, session, folio).map_err(|_| not_found())?;
    let fc = c.folio_cancelacion.ok_or_else(not_found)?;
    let k = delivery_key(&fc);
    let raw = kv.get(&k)?.ok_or_else(not_found)?;
    let d: Delivery =
        serde_json::from_slice(&raw).map_err(|_| ApiError::internal("corrupt delivery record"))?;
    if d.token_sha256 != sha256_hex(token.as_bytes()) || d.sid != session.sid {
        return Err(not_found());
    }
    let gone = || {
        ApiError::new(
            410,
            "ACUSE_CANCELACION_ENTREGADO",
            "El acuse de cancelación solo se muestra una vez, en la sesión en que se canceló, y ya se descargó.",
        )
    };
    if d.entregado {
        return Err(gone());
    }
    let after = serde_json::to_vec(&Delivery {
        entregado: true,
        ..d
    })
    .map_err(|e| ApiError::internal(&e.to_string()))?;
    if !kv.compare_and_swap(&k, Some(&raw), &after)? {
        return Err(gone());
    }
    kv.get_json(&receipt_key(&fc))?.ok_or_else(not_found)
}

/// The developer's latest request.
pub fn current(kv: &dyn KeyValue, session: &Session) -> Result<Certification, ApiError> {
    session.require_role(&[avisos_acts::Role::Desarrollador])?;
    let folios = index::read(kv, &developer_index(&session.rfc))?;
    // The newest request that took effect (a request interrupted before its commit point may
    // have listed its folio).
    for folio in folios.iter().rev() {
        if let Some(c) = record::load(kv, folio)? {
            return Ok(c);
        }
    }
    Err(ApiError::new(
        404,
        "SIN_CERTIFICACION",
        "Aún no has solicitado la certificación. Lee los términos y condiciones y firma la solicitud.",
    ))
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
pub fn list(
    kv: &dyn KeyValue,
    estatus: Estatus,
    pagina: usize,
    now: DateTime<Utc>,
) -> Result<Tray, ApiError> {
    let sources: Vec<Stored> = match estatus {
        // Only the developer's own deadline expires a request (a late review stays `En análisis`).
        Estatus::Vencida => vec![Stored::EnEspera],
        Estatus::EnEspera => vec![Stored::EnEspera],
        Estatus::EnAnalisis => vec![Stored::EnAnalisis],
        Estatus::Aprobado => vec![Stored::Aprobado],
        Estatus::Autorizada => vec![Stored::Autorizada],
        Estatus::Cancelada => vec![Stored::Cancelada],
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
    let mut records = Vec::new();
    for f in &folios {
        records.extend(record::load(kv, f)?);
    }
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

/// The e-mail attachment of a notification that carries a test set: that round's package,
/// regenerated from its stored seed (the same bytes as the download).
pub fn test_set_attachment(kv: &dyn KeyValue, n: &Notification) -> Option<notify::Attachment> {
    let ronda = n.ronda?;
    let c = record::load(kv, &n.folio).ok()??;
    let r = c.rondas.iter().find(|r| r.ronda == ronda)?;
    let id = avisos_evidence::TestSetId {
        semilla: r.semilla,
        folio: c.folio.clone(),
        ronda,
        fecha: r.fecha,
    };
    Some(notify::Attachment {
        nombre: format!("set-de-pruebas-{}-ronda-{ronda}.zip", c.folio),
        tipo: "application/zip".into(),
        contenido: avisos_evidence::generate(&id).package_zip(),
    })
}
