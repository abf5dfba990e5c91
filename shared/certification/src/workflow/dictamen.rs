//! `DICTAMINAR_CERTIFICACION`: the analyst's dictamen on a request «En análisis».

use avisos_acts::VerifiedAct;
use avisos_acts::acuse::{self, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_kv::{KeyValue, index};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{
    ACUSE_DICTAMEN, Done, MAX_OBSERVACIONES, calendar_of, emails, settle_quietly, status_index,
};
use crate::deadline::{self, DIAS_CORRECCION};
use crate::error::CertificationError;
use crate::notify;
use crate::record::{self, Certification, Dictamen, Plazo, Resultado};
use crate::status::StoredEstatus;
use crate::today;
use crate::transition;

/// `DICTAMINAR_CERTIFICACION` (analysts): approve, or inconsistencies with a new test set
/// (`semilla`, random) and 10 business days.
pub fn dictaminar(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    semilla: u64,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, CertificationError> {
    let folio = act.spec.field("folio").unwrap_or_default();
    let (resultado, observaciones) = dictamen_fields(act)?;
    let (c, raw) = record::load_raw(kv, folio)?.ok_or_else(record::not_found)?;
    if c.estatus != StoredEstatus::EnAnalisis {
        settle_quietly(kv, &c);
        let cal = calendar_of(kv, &c)?;
        return Err(CertificationError::StatusForbidsDictamen(
            c.estatus(&cal, today(now)),
        ));
    }
    let hoy = today(now);
    let (correccion, vence_correccion) = correction_deadline(kv, hoy, queue_mail)?;
    let datos = acuse_datos(
        folio,
        &c,
        resultado,
        observaciones,
        vence_correccion.as_deref(),
    );
    let acuse = acuse::issue(kv, seal, act, ACUSE_DICTAMEN, datos, now)?;
    let folio_acuse = acuse.folio.clone();
    let dictamen = Dictamen {
        resultado,
        observaciones: observaciones.to_string(),
        analista: acuse.rfc.clone(),
        fecha: acuse.fecha,
        folio: folio_acuse.clone(),
    };
    let mut next = transition::dictaminated(&c, dictamen, semilla, hoy, correccion, now);
    let notification = match resultado {
        Resultado::Aprobar => emails::approval(&c, &folio_acuse),
        Resultado::Inconsistencias => emails::inconsistencies(
            &c,
            next.ronda_actual().ronda,
            observaciones,
            vence_correccion.as_deref(),
            &folio_acuse,
        ),
    };
    // Before the commit, each ignored by readers until the record says so: the notification
    // (its act not yet in the record) and the tray entry (the tray shows what records say).
    let n = notify::enqueue(kv, notification, queue_mail, now)?;
    if resultado == Resultado::Inconsistencias
        && let Some(p) = next.plazo.as_mut()
    {
        // The new set's deadline starts with the delivery of this e-mail.
        p.correo = Some(n.id.clone());
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

/// The signed `resultado` and `observaciones`, checked (inconsistencies must say which).
fn dictamen_fields(act: &VerifiedAct) -> Result<(Resultado, &str), CertificationError> {
    let resultado = Resultado::parse(act.spec.field("resultado").unwrap_or_default())?;
    let observaciones = act.spec.field("observaciones").unwrap_or_default().trim();
    if observaciones.chars().count() > MAX_OBSERVACIONES {
        return Err(CertificationError::ObservacionesTooLong);
    }
    if resultado == Resultado::Inconsistencias && observaciones.is_empty() {
        return Err(CertificationError::ObservacionesRequired);
    }
    Ok((resultado, observaciones))
}

/// The 10 days after inconsistencies and their last day as the guide writes it (`None` until
/// the e-mail with the new set is delivered).
fn correction_deadline(
    kv: &dyn KeyValue,
    hoy: NaiveDate,
    queue_mail: bool,
) -> Result<(Plazo, Option<String>), CertificationError> {
    // From the delivery of the e-mail with the new set (see `request`).
    let correccion = Plazo {
        desde: (!queue_mail).then_some(hoy),
        dias: DIAS_CORRECCION,
        correo: None,
    };
    let cal = deadline::calendar_for(kv, hoy.year(), hoy.year())?;
    let vence = correccion.vence(&cal).map(crate::fecha_guia);
    Ok((correccion, vence))
}

/// What the dictamen's acuse states.
fn acuse_datos(
    folio: &str,
    c: &Certification,
    resultado: Resultado,
    observaciones: &str,
    vence_correccion: Option<&str>,
) -> Vec<Dato> {
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
            vence_correccion.map(str::to_string).unwrap_or_else(|| {
                format!("{DIAS_CORRECCION} días hábiles a partir de la recepción del correo con el nuevo set de pruebas")
            }),
        ));
    }
    datos
}
