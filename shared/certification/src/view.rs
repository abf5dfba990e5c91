//! What the developer and the analyst see of a request (schema `Certificacion`).

use crate::links;
use avisos_calendar::Calendar;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::record::{Certification, Resultado};
use crate::status::{Estatus, StoredEstatus};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlazoView {
    /// The day it counts from (not counted): the delivery of the e-mail that starts it, or the
    /// upload for the review. `None` while that e-mail has not been delivered.
    pub desde: Option<NaiveDate>,
    pub dias_habiles: u32,
    /// Its last day; `None` while it has not started.
    pub vence: Option<NaiveDate>,
    /// Its last day as the guide writes dates, or how it counts while it has not started.
    pub vence_texto: String,
    pub dias_habiles_restantes: u32,
    /// Whether it runs: `false` while the e-mail that starts it waits in the outbox.
    pub iniciado: bool,
    /// What it counts from, in words.
    pub cuenta_desde: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observacion {
    pub ronda: u32,
    pub fecha: DateTime<Utc>,
    pub texto: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenciaView {
    pub ronda: u32,
    pub archivo: String,
    pub bytes: usize,
    pub sha256: String,
    pub recibida: DateTime<Utc>,
    pub resumen: Value,
    /// Expected amounts stay with the institute: only analysts see the grading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calificacion: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificationView {
    pub folio: String,
    pub rfc: String,
    pub razon_social: String,
    pub correo: String,
    pub estatus: &'static str,
    pub clave_estatus: &'static str,
    pub fecha: NaiveDate,
    pub fecha_texto: String,
    pub ronda: u32,
    pub plazo: Option<PlazoView>,
    pub observaciones: Vec<Observacion>,
    pub siguiente_paso: String,
    pub acciones: Vec<&'static str>,
    pub set_de_pruebas: Option<String>,
    /// The institute's review ran past its 5 business days (`En análisis` only): the request is
    /// late on the institute's side, never `Vencida` for the developer.
    pub atrasada: bool,
    /// Business days the review is past its last day (0 when on time).
    pub dias_de_atraso: u32,
    /// «Descargar responsiva»: the terms last signed on this request, the approval's once the
    /// developer signed it ([`CertificationView::responsiva_aprobacion`]), the request's before.
    pub responsiva: String,
    /// The request's responsiva (terms `certificacion-solicitud`), always.
    pub responsiva_solicitud: String,
    pub responsiva_aprobacion: Option<String>,
    pub evidencia: Option<EvidenciaView>,
}

/// Who looks: the analyst also sees the grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Desarrollador,
    Analista,
}

/// The request `c` as `who` sees it at `now`.
pub fn view(
    c: &Certification,
    cal: &Calendar,
    now: DateTime<Utc>,
    who: Viewer,
) -> CertificationView {
    let today = crate::today(now);
    let estatus = c.estatus(cal, today);
    let plazo = plazo_view(c, cal, today);
    let vence = plazo
        .as_ref()
        .map(|p| p.vence_texto.clone())
        .unwrap_or_default();
    let dias_de_atraso = c.dias_de_atraso(cal, today);
    let (siguiente_paso, acciones) = next_step(estatus, plazo.as_ref(), &vence, dias_de_atraso);
    let fecha = crate::today(c.solicitada);
    CertificationView {
        folio: c.folio.clone(),
        rfc: c.rfc.clone(),
        razon_social: c.razon_social.clone(),
        correo: c.correo.clone(),
        estatus: estatus.texto(),
        clave_estatus: estatus.clave(),
        fecha,
        fecha_texto: crate::fecha_guia(fecha),
        ronda: c.ronda_actual().ronda,
        plazo,
        observaciones: observaciones(c),
        siguiente_paso,
        acciones,
        atrasada: dias_de_atraso > 0,
        dias_de_atraso,
        set_de_pruebas: estatus.is_live().then(|| links::test_set(&c.folio)),
        responsiva: links::acuse(c.folio_aceptacion.as_deref().unwrap_or(&c.folio)),
        responsiva_solicitud: links::acuse(&c.folio),
        responsiva_aprobacion: c.folio_aceptacion.as_deref().map(links::acuse),
        evidencia: evidencia_view(c, who),
    }
}

/// The deadline running in the current state, in words too.
fn plazo_view(c: &Certification, cal: &Calendar, today: NaiveDate) -> Option<PlazoView> {
    let review = c.estatus == StoredEstatus::EnAnalisis;
    c.plazo
        .as_ref()
        .filter(|_| c.estatus.has_deadline())
        .map(|p| {
            let vence = p.vence(cal);
            let de = if review {
                "el envío de las evidencias".to_string()
            } else if c.ronda_actual().ronda > 1 {
                "la recepción del correo con el nuevo set de pruebas".to_string()
            } else {
                "la recepción del correo con el set de pruebas".to_string()
            };
            PlazoView {
                desde: p.desde,
                dias_habiles: p.dias,
                vence,
                vence_texto: match vence {
                    Some(v) => crate::fecha_guia(v),
                    None => format!("{} días hábiles a partir de {de}", p.dias),
                },
                dias_habiles_restantes: match vence {
                    Some(v) if today < v => cal.business_days_between(today, v),
                    Some(_) => 0,
                    None => p.dias,
                },
                iniciado: p.desde.is_some(),
                cuenta_desde: match p.desde {
                    Some(d) => format!("{de} ({})", crate::fecha_guia(d)),
                    None => format!("{de} (aún no entregado)"),
                },
            }
        })
}

/// What the developer does next, and the actions the page offers.
fn next_step(
    estatus: Estatus,
    plazo: Option<&PlazoView>,
    vence: &str,
    dias_de_atraso: u32,
) -> (String, Vec<&'static str>) {
    match estatus {
        Estatus::EnEspera => (
            match plazo.filter(|p| p.iniciado) {
                Some(_) => format!(
                    "Descarga el set de pruebas, impleméntalo en tu sistema de control de nómina y envía el archivo .xls con los resultados (máximo 5 MB) a más tardar el {vence}."
                ),
                None => format!(
                    "Descarga el set de pruebas, impleméntalo en tu sistema de control de nómina y envía el archivo .xls con los resultados (máximo 5 MB): tienes {vence}."
                ),
            },
            vec!["descargar-set", "enviar-evidencias", "cancelar"],
        ),
        Estatus::EnAnalisis if dias_de_atraso > 0 => (
            format!(
                "Evaluaremos tus evidencias y te daremos respuesta lo antes posible: nuestra revisión debía concluir el {vence}. El retraso es nuestro y no afecta tu solicitud."
            ),
            vec!["descargar-set", "cancelar"],
        ),
        Estatus::EnAnalisis => (
            format!("Evaluaremos tus evidencias y te daremos respuesta a más tardar el {vence}."),
            vec!["descargar-set", "cancelar"],
        ),
        Estatus::Aprobado => (
            "La certificación ha sido aprobada, para completar el trámite firma los Términos y Condiciones de la Aprobación de Certificación (Continuar).".into(),
            vec!["aceptar-aprobacion", "cancelar"],
        ),
        Estatus::Autorizada => (
            "Certificación autorizada: apareces en el directorio de desarrolladores certificados y puedes descargar tu responsiva.".into(),
            vec!["cancelar"],
        ),
        Estatus::Cancelada => (
            "La certificación fue cancelada. Para volver a certificarte tendrás que realizar una nueva solicitud.".into(),
            vec!["solicitar"],
        ),
        Estatus::Vencida => (
            format!("El plazo venció el {vence}. Para certificarte tendrás que realizar una nueva solicitud."),
            vec!["solicitar"],
        ),
    }
}

/// The inconsistencies of every round, oldest first.
fn observaciones(c: &Certification) -> Vec<Observacion> {
    c.rondas
        .iter()
        .filter_map(|r| {
            let d = r.dictamen.as_ref()?;
            (d.resultado == Resultado::Inconsistencias).then(|| Observacion {
                ronda: r.ronda,
                fecha: d.fecha,
                texto: d.observaciones.clone(),
            })
        })
        .collect()
}

/// The last accepted workbook (its grading for analysts only).
fn evidencia_view(c: &Certification, who: Viewer) -> Option<EvidenciaView> {
    c.rondas
        .iter()
        .rev()
        .find_map(|r| r.evidencia.as_ref().map(|e| (r.ronda, e)))
        .map(|(ronda, e)| EvidenciaView {
            ronda,
            archivo: e.archivo.clone(),
            bytes: e.bytes,
            sha256: e.sha256.clone(),
            recibida: e.recibida,
            resumen: serde_json::to_value(&e.resumen).unwrap_or(Value::Null),
            calificacion: (who == Viewer::Analista)
                .then(|| serde_json::to_value(&e.calificacion).unwrap_or(Value::Null)),
        })
}
