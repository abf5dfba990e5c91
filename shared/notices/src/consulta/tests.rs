use super::*;
use avisos_kv::MemoryKv;

#[test]
fn refusals_that_checked_nothing_are_audited_in_aggregate() {
    let kv = MemoryKv::new();
    let now: DateTime<Utc> = "2026-11-23T18:00:00Z".parse().unwrap();
    let c = parse(req(), Mode::Demo, today()).unwrap();
    let caller = Caller {
        rfc: "NDE190512XY6",
        nombre: "NOMINAS DEMOSTRACION SA DE CV",
    };
    // The audit records whatever status the edge gives the outcome.
    let estatus = |e: Option<&AvisosError>| if e.is_some() { 7 } else { 1 };
    for _ in 0..400 {
        let r = consult(
            &kv,
            caller,
            &c,
            avisos_acts::testutil::password_key(),
            now,
            estatus,
        )
        .unwrap_err();
        assert_eq!(r.codigo(), "DESARROLLADOR_NO_CERTIFICADO");
    }
    assert!(kv.len() <= 4, "{} keys for 400 refusals", kv.len());
    let l = bitacora::list(&kv, "EDE200101AB0", 1, 10).unwrap();
    assert_eq!(l.registros.len(), 1);
    assert_eq!(l.registros[0].veces, 400);
    assert_eq!(l.registros[0].resultado, "DESARROLLADOR_NO_CERTIFICADO");
    assert_eq!(l.registros[0].estatus_http, 7);
}

#[test]
fn which_refusals_aggregate() {
    let dev = || "NDE190512XY6".to_string();
    // Steps 1 and 2 of the gate.
    let not_certified = AvisosError::DeveloperNotCertified {
        desarrollador: dev(),
    };
    assert!(aggregated(&not_certified, false));
    let cancelled = AvisosError::RelationCancelled {
        fecha: "x".into(),
        no_caso: "x".into(),
    };
    assert!(aggregated(&cancelled, false));
    // The throttle, whenever.
    let locked = AvisosError::AttemptsExceeded { retry_after: 60 };
    assert!(aggregated(&locked, true));
    assert!(aggregated(
        &AvisosError::ChecksInFlight { retry_after: 1 },
        true
    ));
    // A wrong password, a store failure, an NRP of another employer: one record each.
    assert!(!aggregated(&AvisosError::PasswordIncorrect, true));
    let store = AvisosError::Store(avisos_kv::KvError::Unavailable(String::new()));
    assert!(!aggregated(&store, false));
    assert!(!aggregated(&AvisosError::NrpNotOfEmployer, true));
}

fn today() -> NaiveDate {
    "2026-11-23".parse().unwrap()
}

fn req() -> ConsultaRequest {
    ConsultaRequest {
        rfc_patron: Some("EDE200101AB0".into()),
        contrasena: Some("x".into()),
        ..Default::default()
    }
}

fn code(r: ConsultaRequest) -> String {
    parse(r, Mode::Demo, today())
        .unwrap_err()
        .codigo()
        .to_string()
}

#[test]
fn defaults_and_refusals() {
    let c = parse(req(), Mode::Demo, today()).unwrap();
    let Modo::Rango(r) = &c.modo else {
        panic!("a range consultation: {c:?}")
    };
    assert_eq!(r.desde, "2026-09-01".parse::<NaiveDate>().unwrap());
    assert_eq!(r.hasta, today());
    assert_eq!((r.pagina, c.por_pagina), (1, DEFAULT_POR_PAGINA));
    assert_eq!(
        code(ConsultaRequest {
            rfc_patron: Some("EDE200101AB1".into()),
            ..req()
        }),
        "RFC_PATRON_INVALIDO"
    );
    assert_eq!(
        code(ConsultaRequest {
            contrasena: None,
            ..req()
        }),
        "CONTRASENA_FALTANTE"
    );
    assert_eq!(
        code(ConsultaRequest {
            fecha_desde: Some("2026-12-01".into()),
            ..req()
        }),
        "RANGO_FECHAS_INVALIDO"
    );
    assert_eq!(
        code(ConsultaRequest {
            fecha_hasta: Some("23/11/2026".into()),
            ..req()
        }),
        "FECHA_INVALIDA"
    );
    assert_eq!(
        code(ConsultaRequest {
            por_pagina: Some(1001),
            ..req()
        }),
        "POR_PAGINA_INVALIDO"
    );
    assert_eq!(
        code(ConsultaRequest {
            pagina: Some(0),
            ..req()
        }),
        "PAGINA_INVALIDA"
    );
    assert_eq!(
        code(ConsultaRequest {
            nss: Some("12345678904".into()),
            ..req()
        }),
        "NSS_INVALIDO"
    );
    assert_eq!(
        code(ConsultaRequest {
            nrp: Some("Y54".into()),
            ..req()
        }),
        "NRP_INVALIDO"
    );
    assert_eq!(
        code(ConsultaRequest {
            tipo_aviso: Some("99".into()),
            ..req()
        }),
        "TIPO_AVISO_INVALIDO"
    );
}

#[test]
fn a_cursor_comes_alone() {
    let with = |cursor: &str| ConsultaRequest {
        cursor: Some(cursor.into()),
        ..req()
    };
    let c = parse(with("inicio"), Mode::Demo, today()).unwrap();
    assert_eq!(c.modo, Modo::Cambios(Cursor::Inicio));
    assert_eq!(c.filtros().cursor.as_deref(), Some("inicio"));
    assert_eq!(c.filtros().fecha_desde, None);
    assert_eq!(code(with("ayer")), "CURSOR_INVALIDO");
    for filtered in [
        ConsultaRequest {
            fecha_desde: Some("2026-01-01".into()),
            ..with("inicio")
        },
        ConsultaRequest {
            pagina: Some(2),
            ..with("inicio")
        },
        ConsultaRequest {
            nss: Some("12345678904".into()),
            ..with("inicio")
        },
    ] {
        assert_eq!(code(filtered), "CURSOR_CON_FILTROS");
    }
    // The employer and the password are checked first, as without a cursor.
    assert_eq!(
        code(ConsultaRequest {
            contrasena: None,
            ..with("ayer")
        }),
        "CONTRASENA_FALTANTE"
    );
}

#[test]
fn a_batch_is_refused_whole_only_when_it_is_not_one() {
    let lote = |n: usize| ConsultaLote {
        consultas: Some(vec![serde_json::json!({}); n]),
    };
    let code = |l| parse_batch(l).unwrap_err().codigo();
    assert_eq!(code(ConsultaLote { consultas: None }), "LOTE_VACIO");
    assert_eq!(code(lote(0)), "LOTE_VACIO");
    assert_eq!(code(lote(MAX_LOTE + 1)), "LOTE_DEMASIADO_GRANDE");
    assert_eq!(parse_batch(lote(MAX_LOTE)).unwrap().len(), MAX_LOTE);
    // Each consultation is read on its own, its RFC kept beside its refusal.
    let item = |v: serde_json::Value| parse_batch_item(v, Mode::Demo, today());
    let (rfc, e) = item(serde_json::json!({"rfc_patron": "ede200101ab0", "x": 1})).unwrap_err();
    assert_eq!(
        (rfc.as_str(), e.codigo()),
        ("EDE200101AB0", "JSON_INVALIDO")
    );
    let (_, e) = item(serde_json::json!({
        "rfc_patron": "EDE200101AB0", "contrasena": "x", "cursor": "inicio", "por_pagina": 101
    }))
    .unwrap_err();
    assert_eq!(e.codigo(), "POR_PAGINA_INVALIDO");
    assert!(e.mensaje().contains("100"), "{}", e.mensaje());
    assert!(
        item(
            serde_json::json!({"rfc_patron": "EDE200101AB0", "contrasena": "x", "cursor": "inicio"})
        )
        .is_ok()
    );
}
