//! The state machine natively, on `MemoryKv`, with acts that skip the signature (tested in
//! avisos-acts and end to end).

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_kv::{KeyValue, MemoryKv};
use avisos_relations::directory::{self, CertStatus};
use chrono::{DateTime, Duration, Utc};

use crate::deadline;
use crate::notify::{self, Evento};
use crate::record;
use crate::status::{Estatus, StoredEstatus};
use crate::testutil::*;
use crate::workflow::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn solicitar(
    kv: &dyn KeyValue,
    rfc: &str,
    now: DateTime<Utc>,
) -> Result<Done, crate::CertificationError> {
    let act = act(
        rfc,
        actions::SOLICITAR_CERTIFICACION,
        Some(TermsId::CertificacionSolicitud),
        &[
            ("razon_social", name_of(rfc)),
            ("correo", "dev@example.com"),
        ],
    );
    request(kv, &seal(), &act, 42, true, now)
}

fn workbook(kv: &dyn KeyValue, folio: &str, opts: &SampleOptions) -> Vec<u8> {
    let c = record::load(kv, folio).unwrap().unwrap();
    workbook_xlsx(&avisos_evidence::generate(&c.test_set_id()), opts)
}

fn subir(
    kv: &dyn KeyValue,
    rfc: &str,
    folio: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<record::Certification, UploadError> {
    upload(
        kv,
        &session(rfc, Role::Desarrollador),
        folio,
        &Upload {
            bytes,
            file_name: "evidencias.xlsx",
            content_type: XLSX,
            carga: "c1",
        },
        now,
    )
}

fn dictamen(
    kv: &dyn KeyValue,
    folio: &str,
    resultado: &str,
    obs: &str,
    now: DateTime<Utc>,
) -> Result<Done, crate::CertificationError> {
    let act = act(
        ANALISTA,
        actions::DICTAMINAR_CERTIFICACION,
        None,
        &[
            ("folio", folio),
            ("resultado", resultado),
            ("observaciones", obs),
        ],
    );
    dictaminar(kv, &seal(), &act, 7, false, now)
}

fn folio_act(
    rfc: &str,
    accion: &'static str,
    terms: TermsId,
    folio: &str,
) -> avisos_acts::VerifiedAct {
    act(rfc, accion, Some(terms), &[("folio", folio)])
}

fn shown(kv: &dyn KeyValue, folio: &str, now: DateTime<Utc>) -> Estatus {
    let c = record::load(kv, folio).unwrap().unwrap();
    let cal = calendar_of(kv, &c).unwrap();
    c.estatus(&cal, crate::today(now))
}

/// Sends every queued e-mail at `now` through a mail API that accepts them.
fn deliver_all(kv: &dyn KeyValue, now: DateTime<Utc>) {
    let mail =
        notify::MailConfig::from_variables(Some("http://correo/enviar".into()), None).unwrap();
    let out = futures::executor::block_on(notify::retry_queued(
        kv,
        Some(&mail),
        now,
        |_| None,
        |_| async { Ok(202) },
    ))
    .unwrap();
    assert!(out.fallidas == 0, "{out:?}");
}

mod deadlines;
mod lifecycle;
mod signer;
