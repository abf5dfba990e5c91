//! `ACEPTAR_APROBACION`: the developer signs the approval and enters the directory.

use avisos_acts::VerifiedAct;
use avisos_acts::acuse::{self, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::Session;
use avisos_kv::{KeyValue, index};
use avisos_relations::directory::{self, CertStatus, Developer};
use chrono::{DateTime, Utc};

use super::{ACUSE_APROBACION, Done, calendar_of, emails, settle_quietly, status_index};
use crate::error::CertificationError;
use crate::notify;
use crate::record;
use crate::status::{Estatus, StoredEstatus};
use crate::today;
use crate::transition;

/// `ACEPTAR_APROBACION`: the developer signs the approval terms → `Certificación autorizada`,
/// and only then enters the employers' directory; the `autorizacion` e-mail confirms it.
pub fn accept(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    session: &Session,
    act: &VerifiedAct,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, CertificationError> {
    let folio = act.spec.field("folio").unwrap_or_default();
    let (c, raw) = crate::require_owner(kv, session, folio)?;
    if c.estatus != StoredEstatus::Aprobado {
        settle_quietly(kv, &c);
        let cal = calendar_of(kv, &c)?;
        return Err(CertificationError::StatusForbidsAcceptance(
            c.estatus(&cal, today(now)),
        ));
    }
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        ACUSE_APROBACION,
        vec![
            Dato::new("Folio de la solicitud", folio),
            Dato::new("Razón social", &c.razon_social),
            Dato::new("Estatus", Estatus::Autorizada.texto()),
        ],
        now,
    )?;
    let folio_acuse = acuse.folio.clone();
    let next = transition::accepted(&c, &folio_acuse, now);
    // Before the commit, ignored until the record lists the acceptance: the e-mail.
    let n = notify::enqueue(kv, emails::authorization(&c, &folio_acuse), queue_mail, now)?;
    // Before the commit: the tray entry, and the directory record naming this request, which
    // readers take for the one it replaces until the request says `autorizada` (grant last:
    // the record's swap is what opens access).
    index::add(kv, &status_index(StoredEstatus::Autorizada), &[folio])?;
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
