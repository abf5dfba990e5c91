//! A request body of any signed act, as a client may send it: parsing (`SignedActRequest`),
//! taking the act's fields (`ActSpec::from_datos`) and the whole verification pipeline never
//! panic, and never accept an act (no certificate here chains to a trusted authority).
#![no_main]

use avisos_acts::act::{ActContext, ActSpec, SignedActRequest, verify_signed_act};
use avisos_acts::config::{RawConfig, ServiceConfig};
use avisos_acts::terms::TermsId;
use avisos_kv::MemoryKv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<SignedActRequest>(data) else {
        return;
    };
    let Ok(config) = ServiceConfig::from_raw(&RawConfig {
        modo: "demo".into(),
        confianza_efirma: "demo,sat-pruebas".into(),
        ..RawConfig::default()
    }) else {
        return;
    };
    let kv = MemoryKv::new();
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let ctx = ActContext {
        kv: &kv,
        config: &config,
        now,
        client: "10.0.0.1".into(),
        chain_key: None,
    };
    for (accion, terms, names) in [
        ("INICIO_SESION", None, &["rol"][..]),
        (
            "ADICIONAR_RELACION",
            Some(TermsId::RelacionesDeConfianza),
            &[
                "servicio",
                "rfc_desarrollador",
                "inicio_vigencia",
                "fin_vigencia",
            ][..],
        ),
    ] {
        if let Ok(spec) = ActSpec::from_datos(accion, terms, names, &req.datos) {
            assert!(verify_signed_act(&ctx, &req, spec).is_err());
        }
    }
});
