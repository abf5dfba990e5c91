//! What a certification act's route checks between reading the signed fields and verifying the
//! signature (`avisos_portal::Env::signed_act` runs them in its order): the folio signed is the
//! route's ([`crate::require_folio`]), and a developer acts only on their own request
//! ([`crate::require_owner`]).

use super::*;

#[test]
fn the_signed_folio_must_be_the_routes() {
    let kv = MemoryKv::new();
    let folio = solicitar(&kv, DEV, t0()).unwrap().certification.folio;
    let signed = |f: &str| {
        folio_act(
            DEV,
            actions::CANCELAR_CERTIFICACION,
            TermsId::CertificacionCancelacion,
            f,
        )
        .spec
    };
    crate::require_folio(&signed(&folio), &folio).unwrap();
    let refused = crate::require_folio(&signed("CER-OTRO"), &folio).unwrap_err();
    assert_eq!(refused.codigo(), "FOLIO_NO_COINCIDE");
}

#[test]
fn a_developer_acts_only_on_their_own_request() {
    let kv = MemoryKv::new();
    let folio = solicitar(&kv, DEV, t0()).unwrap().certification.folio;
    let code = |s: &avisos_acts::session::Session, f: &str| {
        crate::require_owner(&kv, s, f).unwrap_err().codigo()
    };
    let (mine, _) = crate::require_owner(&kv, &session(DEV, Role::Desarrollador), &folio).unwrap();
    assert_eq!(mine.folio, folio);
    // Someone else's folio answers exactly like a missing one.
    let other = session(DEV_2, Role::Desarrollador);
    assert_eq!(code(&other, &folio), "CERTIFICACION_NO_ENCONTRADA");
    assert_eq!(code(&other, "0000000000"), "CERTIFICACION_NO_ENCONTRADA");
    // Only developers own requests.
    let analyst = session(ANALISTA, Role::Analista);
    assert_eq!(code(&analyst, &folio), "ROL_NO_PERMITIDO");
}
