//! Every act of the workflow, whole or absent: the store fails at each of its operations in
//! turn (`avisos_kv::faults::walk`, both without effect and with its answer lost), and what
//! readers see — the developer's request, the analysts' trays, the directory and access, the
//! inbox — is exactly as before the act or exactly as after it; a retry then ends exactly as
//! after. Also the concurrent writers of items 8: one send per notification, the outcome never
//! lost, the directory's status never lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_kv::faults::{Fault, Snapshot, walk};
use avisos_kv::{KeyValue, MemoryKv};
use avisos_relations::directory::{self, CertStatus};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::notify::{self, Estado, MailConfig, MailRequest};
use crate::record;
use crate::status::Estatus;
use crate::testutil::*;
use crate::workflow::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn now() -> DateTime<Utc> {
    t0()
}

fn solicitar(kv: &dyn KeyValue) {
    let act = act(
        DEV,
        actions::SOLICITAR_CERTIFICACION,
        Some(TermsId::CertificacionSolicitud),
        &[
            ("razon_social", name_of(DEV)),
            ("correo", "dev@example.com"),
        ],
    );
    let _ = request(kv, &seal(), &act, 42, true, now());
}

fn folio(kv: &dyn KeyValue) -> String {
    current(kv, &session(DEV, Role::Desarrollador))
        .unwrap()
        .folio
}

fn subir(kv: &dyn KeyValue, folio: &str, bytes: &[u8]) {
    let _ = upload(
        kv,
        &session(DEV, Role::Desarrollador),
        folio,
        &Upload {
            bytes,
            file_name: "evidencias.xlsx",
            content_type: XLSX,
            carga: "c1",
        },
        now(),
    );
}

fn workbook(kv: &dyn KeyValue, folio: &str) -> Vec<u8> {
    let c = record::load(kv, folio).unwrap().unwrap();
    workbook_xlsx(
        &avisos_evidence::generate(&c.test_set_id()),
        &SampleOptions::default(),
    )
}

fn dictaminar_(kv: &dyn KeyValue, folio: &str, resultado: &str) {
    let act = act(
        ANALISTA,
        actions::DICTAMINAR_CERTIFICACION,
        None,
        &[
            ("folio", folio),
            ("resultado", resultado),
            ("observaciones", "Revisa el caso 1."),
        ],
    );
    let _ = dictaminar(kv, &seal(), &act, 7, true, now());
}

fn aceptar(kv: &dyn KeyValue, folio: &str) {
    let act = act(
        DEV,
        actions::ACEPTAR_APROBACION,
        Some(TermsId::CertificacionAprobacion),
        &[("folio", folio)],
    );
    let _ = accept(
        kv,
        &seal(),
        &session(DEV, Role::Desarrollador),
        &act,
        true,
        now(),
    );
}

fn cancelar(kv: &dyn KeyValue, folio: &str) {
    let act = act(
        DEV,
        actions::CANCELAR_CERTIFICACION,
        Some(TermsId::CertificacionCancelacion),
        &[("folio", folio)],
    );
    let _ = cancel(
        kv,
        &seal(),
        &session(DEV, Role::Desarrollador),
        &act,
        "tok",
        true,
        now(),
    );
}

/// Folios and notification ids (ten digits) as `#`: a retry allocates new ones.
fn normalize(v: Value) -> Value {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 10 {
            out.push('#');
        } else {
            out.extend(&chars[i..i + run.max(1)]);
        }
        i += run.max(1);
    }
    serde_json::from_str(&out).unwrap()
}

/// What readers see of DEV's certification: its request as the developer sees it, every tray,
/// the directory (record, search, whether relations may be added), the inbox, the mail queue
/// (confirmed entries) and whether a new request would be accepted.
fn observe(kv: &MemoryKv) -> Value {
    let s = session(DEV, Role::Desarrollador);
    let actual = current(kv, &s).ok().map(|c| {
        let cal = calendar_of(kv, &c).unwrap();
        // The stored workbook, as the analyst downloads it.
        let evidencia = c.rondas.iter().any(|r| r.evidencia.is_some()).then(|| {
            stored_workbook(kv, &c, None)
                .map(|(_, bytes)| bytes.len())
                .map_err(|e| e.codigo())
        });
        json!([
            crate::view::view(&c, &cal, now(), crate::view::Viewer::Desarrollador),
            evidencia
        ])
    });
    let trays: Vec<Value> = [
        Estatus::EnEspera,
        Estatus::EnAnalisis,
        Estatus::Aprobado,
        Estatus::Autorizada,
        Estatus::Cancelada,
        Estatus::Vencida,
    ]
    .iter()
    .map(|e| {
        let tray = list(kv, *e, 1, now()).unwrap().solicitudes;
        json!(
            tray.iter()
                .map(|v| (&v.folio, v.estatus))
                .collect::<Vec<_>>()
        )
    })
    .collect();
    let developer = directory::load(kv, DEV)
        .unwrap()
        .map(|d| json!([d.estatus, d.generacion, d.razon_social]));
    let search: Vec<String> = directory::search(kv, "nominas")
        .unwrap()
        .resultados
        .into_iter()
        .map(|r| r.rfc)
        .collect();
    let inbox: Vec<Value> = notify::inbox(kv, DEV, 1)
        .unwrap()
        .notificaciones
        .iter()
        .map(|n| json!([n.evento, n.estado, n.asunto, n.ronda]))
        .collect();
    let queued: Vec<String> = notify::queued(kv, 100)
        .unwrap()
        .into_iter()
        .filter(|id| {
            let n = notify::load(kv, id).unwrap().unwrap();
            notify::confirmed(kv, &n).unwrap()
        })
        .collect();
    let free = {
        let copy = kv.snapshot().restore();
        let act = act(
            DEV,
            actions::SOLICITAR_CERTIFICACION,
            Some(TermsId::CertificacionSolicitud),
            &[("razon_social", "OTRA"), ("correo", "dev@example.com")],
        );
        request(&copy, &seal(), &act, 1, false, now())
            .map(|_| ())
            .map_err(|e| e.codigo())
    };
    normalize(json!({
        "actual": actual,
        "bandejas": trays,
        "directorio": developer,
        "certificado": directory::require_certified(kv, DEV).is_ok(),
        "busqueda": search,
        "buzon": inbox,
        "cola": queued.len(),
        "nueva_solicitud": free,
    }))
}

/// Walks both faults over `act` from `base`, the retry being the same act; returns the fault
/// points covered (the act's operations, once per fault).
fn walk_both(base: &Snapshot, act: impl Fn(&dyn KeyValue) + Copy) -> usize {
    let mut points = 0;
    for fault in Fault::ALL {
        let w = walk(base, fault, act, observe, act);
        assert!(w.points > 5, "{fault:?}: only {} operations", w.points);
        points += w.points;
    }
    points
}

struct Stages {
    empty: Snapshot,
    requested: Snapshot,
    uploaded: Snapshot,
    approved: Snapshot,
    authorised: Snapshot,
    folio: String,
    workbook: Vec<u8>,
}

fn stages() -> Stages {
    let kv = MemoryKv::new();
    let empty = kv.snapshot();
    solicitar(&kv);
    let requested = kv.snapshot();
    let folio = folio(&kv);
    let workbook = workbook(&kv, &folio);
    subir(&kv, &folio, &workbook);
    let uploaded = kv.snapshot();
    dictaminar_(&kv, &folio, "aprobar");
    let approved = kv.snapshot();
    aceptar(&kv, &folio);
    assert_eq!(
        record::load(&kv, &folio).unwrap().unwrap().estatus,
        crate::StoredEstatus::Autorizada
    );
    let authorised = kv.snapshot();
    Stages {
        empty,
        requested,
        uploaded,
        approved,
        authorised,
        folio,
        workbook,
    }
}

mod directory_races;
mod notifications;
mod whole_or_absent;
