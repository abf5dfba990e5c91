//! What the developer and the analyst see of a request (schema `Certificacion`).

use avisos_calendar::Calendar;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::record::{Certification, Resultado};
use crate::status::Estatus;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlazoView {
    pub desde: NaiveDate,
    pub dias_habiles: u32,
    pub vence: NaiveDate,
    pub vence_texto: String,
    pub dias_habiles_restantes: u32,
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
    pub responsiva: String,
    pub responsiva_aprobacion: Option<String>,
    pub evidencia: Option<EvidenciaView>,
}

/// Who looks: the analyst also sees the grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Desarrollador,
    Analista,
}

pub fn view(
    c: &Certification,
    cal: &Calendar,
    now: DateTime<Utc>,
    who: Viewer,
) -> CertificationView {
    let today = crate::today(now);
    let estatus = c.estatus(cal, today);
    let plazo = c.plazo.filter(|_| c.estatus.has_deadline()).map(|p| {
        let vence = p.vence(cal);
        PlazoView {
            desde: p.desde,
            dias_habiles: p.dias,
            vence,
            vence_texto: crate::fecha_guia(vence),
            dias_habiles_restantes: if today < vence {
                cal.business_days_between(today, vence)
            } else {
                0
            },
        }
    });
    let vence = plazo
        .as_ref()
        .map(|p| p.vence_texto.clone())
        .unwrap_or_default();
    let (siguiente_paso, acciones): (String, Vec<&'static str>) = match estatus {
        Estatus::EnEspera => (
            format!(
                "Descarga el set de pruebas, impleméntalo en tu sistema de control de nómina y envía el archivo .xls con los resultados (máximo 5 MB) a más tardar el {vence}."
            ),
            vec!["descargar-set", "enviar-evidencias", "cancelar"],
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
    };
    let observaciones = c
        .rondas
        .iter()
        .filter_map(|r| {
            let d = r.dictamen.as_ref()?;
            (d.resultado == Resultado::Inconsistencias).then(|| Observacion {
                ronda: r.ronda,
                fecha: d.fecha,
                texto: d.observaciones.clone(),
            })
        })
        .collect();
    let evidencia = c
        .rondas
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
        });
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
        observaciones,
        siguiente_paso,
        acciones,
        set_de_pruebas: estatus
            .is_live()
            .then(|| format!("/api/v1/certificaciones/{}/set-de-pruebas", c.folio)),
        responsiva: format!("/api/v1/acuses/{}", c.folio),
        responsiva_aprobacion: c
            .folio_aceptacion
            .as_ref()
            .map(|f| format!("/api/v1/acuses/{f}")),
        evidencia,
    }
}
