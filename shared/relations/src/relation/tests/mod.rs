//! The relation's tests, by topic; the shared world (two certified developers, an employer with
//! a service password) and helpers are here.

mod add;
mod cancel;
mod certification;
mod claims;
mod listing;

use super::claim::{PENDING_GRACE_SECONDS, take_claim};
use super::listing::list_at_most;
use super::*;
use crate::directory::{self, CertStatus, Developer};
use crate::testutil::*;
use crate::{password, vigencia};
use avisos_acts::Mode;
use avisos_acts::VerifiedAct;
use avisos_acts::seal::ServiceSeal;
use avisos_acts::terms::TermsId;
use avisos_kv::{KeyValue, MemoryKv};
use chrono::{DateTime, NaiveDate, Utc};
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
        avisos_acts::testutil::password_key(),
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

fn request(act: &VerifiedAct, now: DateTime<Utc>) -> Result<AddRequest, RelationError> {
    AddRequest::parse(&act.spec, Mode::Demo, crate::today(now))
}

impl World {
    fn add_at(
        &self,
        dev: &str,
        fin: &str,
        now: DateTime<Utc>,
        pw: &str,
    ) -> Result<Added, RelationError> {
        let inicio = crate::today(now).to_string();
        let act = add_act(PATRON, dev, &inicio, fin);
        let req = request(&act, now)?;
        add(&*self.kv, &self.seal, &act, &req, password::typed(pw), now)
    }

    fn add(&self, dev: &str, fin: &str) -> Result<Added, RelationError> {
        self.add_at(dev, fin, t0(), &self.password)
    }

    fn cancel_at(
        &self,
        rfc: &str,
        no_caso: &str,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, RelationError> {
        let act = act(rfc, "CANCELAR_RELACION", &[("no_caso", no_caso)]);
        cancel(&*self.kv, &self.seal, &act, no_caso, now)
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
