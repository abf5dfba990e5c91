//! The e-mails the acts write (see [`crate::notify`] for how they are stored and sent): their
//! subjects and texts, in the guide's words, and the test set attached to the ones that carry it.

use crate::links;
use avisos_kv::KeyValue;

use crate::notify::{self, Evento, NewNotification, Notification};
use crate::record::{self, Certification};

/// «a más tardar el …» when the deadline's last day is known when the e-mail is written (the
/// portal inbox is its delivery), or how it counts otherwise.
fn deadline_sentence(vence: Option<&str>) -> String {
    match vence {
        Some(v) => format!("a más tardar el {v}"),
        None => "contados a partir de la recepción de este correo".to_string(),
    }
}

/// The request was received: its first test set, due `vence` (see [`deadline_sentence`]).
pub(super) fn test_set(c: &Certification, vence: Option<&str>) -> NewNotification {
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
        enlace: Some(links::test_set(&c.folio)),
        ronda: Some(r),
        acto: Some(c.folio.clone()),
    }
}

/// The dictamen approved the request: sign the approval terms next.
pub(super) fn approval(c: &Certification, folio_acuse: &str) -> NewNotification {
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
        enlace: Some(links::current()),
        ronda: None,
        acto: Some(folio_acuse.to_string()),
    }
}

/// The dictamen found inconsistencies: they go with the new test set of round `ronda`, due
/// `vence` (see [`deadline_sentence`]).
pub(super) fn inconsistencies(
    c: &Certification,
    ronda: u32,
    observaciones: &str,
    vence: Option<&str>,
    folio_acuse: &str,
) -> NewNotification {
    let plazo = deadline_sentence(vence);
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
        enlace: Some(links::test_set(&c.folio)),
        ronda: Some(ronda),
        acto: Some(folio_acuse.to_string()),
    }
}

/// The developer signed the approval (acuse `folio_acuse`): «Certificación autorizada».
pub(super) fn authorization(c: &Certification, folio_acuse: &str) -> NewNotification {
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
        enlace: Some(links::acuse(folio_acuse)),
        ronda: None,
        acto: Some(folio_acuse.to_string()),
    }
}

/// The developer cancelled (acuse `folio_acuse`, handed over apart: no link).
pub(super) fn cancellation(c: &Certification, folio_acuse: &str) -> NewNotification {
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
        acto: Some(folio_acuse.to_string()),
    }
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
