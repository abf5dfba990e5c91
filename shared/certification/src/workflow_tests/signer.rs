//! [`crate::ActSigner`]: who may sign which act, refused in the order clients see.

use super::*;

/// [`crate::ActSigner`]'s steps as `avisos_portal::Env::signed_act` runs them.
fn authorize(
    signer: crate::ActSigner,
    session: &avisos_acts::session::Session,
    config: &avisos_acts::config::ServiceConfig,
) -> Result<(), crate::CertificationError> {
    signer.authorize(config)(session)
}

fn check(
    kv: &dyn KeyValue,
    signer: crate::ActSigner,
    session: &avisos_acts::session::Session,
    signer_rfc: &str,
    spec: &avisos_acts::ActSpec,
) -> Result<(), crate::CertificationError> {
    let body: avisos_acts::SignedActRequest = serde_json::from_value(
        serde_json::json!({ "rfc": signer_rfc, "nonce": "n", "fecha": "f", "certificado": "", "firma": "" }),
    )
    .unwrap();
    signer.check(kv)(session, &body, spec)
}

#[test]
fn act_signer_refuses_in_the_order_clients_see() {
    use crate::ActSigner;
    use avisos_acts::config::{RawConfig, ServiceConfig};

    let kv = MemoryKv::new();
    let folio = solicitar(&kv, DEV, t0()).unwrap().certification.folio;
    let config = |analistas: &str| {
        ServiceConfig::from_raw(&RawConfig {
            modo: "demo".into(),
            confianza_efirma: "demo".into(),
            analistas: analistas.into(),
            ..RawConfig::default()
        })
        .unwrap()
    };
    let listed = config(ANALISTA);
    let code = |r: Result<(), crate::CertificationError>| r.unwrap_err().codigo();
    let (dev, other, analyst) = (
        session(DEV, Role::Desarrollador),
        session(DEV_2, Role::Desarrollador),
        session(ANALISTA, Role::Analista),
    );
    let signed = |rfc: &str, f: &str| {
        folio_act(
            rfc,
            actions::CANCELAR_CERTIFICACION,
            TermsId::CertificacionCancelacion,
            f,
        )
        .spec
    };

    // A developer's act on a request: role, then folio, signer, ownership.
    let mine = ActSigner::developer(Some(&folio));
    assert_eq!(code(authorize(mine, &analyst, &listed)), "ROL_NO_PERMITIDO");
    authorize(mine, &dev, &listed).unwrap();
    let wrong_folio = signed(DEV, "CER-OTRO");
    assert_eq!(
        code(check(&kv, mine, &other, DEV, &wrong_folio)),
        "FOLIO_NO_COINCIDE"
    );
    let right_folio = signed(DEV, &folio);
    assert_eq!(
        code(check(&kv, mine, &other, DEV, &right_folio)),
        "SESION_NO_COINCIDE"
    );
    assert_eq!(
        code(check(&kv, mine, &other, DEV_2, &right_folio)),
        "CERTIFICACION_NO_ENCONTRADA"
    );
    check(&kv, mine, &dev, DEV, &right_folio).unwrap();

    // A new request has no folio to match or own.
    let new = ActSigner::developer(None);
    check(&kv, new, &other, DEV_2, &wrong_folio).unwrap();
    assert_eq!(
        code(check(&kv, new, &other, DEV, &wrong_folio)),
        "SESION_NO_COINCIDE"
    );

    // The analyst: still listed in `analistas`, any developer's folio.
    let analysis = ActSigner::analyst(&folio);
    assert_eq!(code(authorize(analysis, &dev, &listed)), "ROL_NO_PERMITIDO");
    assert_eq!(
        code(authorize(analysis, &analyst, &config(DEV_2))),
        "ROL_NO_PERMITIDO"
    );
    authorize(analysis, &analyst, &listed).unwrap();
    check(&kv, analysis, &analyst, ANALISTA, &signed(ANALISTA, &folio)).unwrap();
    assert_eq!(
        code(check(&kv, analysis, &analyst, ANALISTA, &wrong_folio)),
        "FOLIO_NO_COINCIDE"
    );
}
