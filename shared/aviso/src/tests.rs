use super::*;
use serde_json::json;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn fields(e: Vec<FieldError>) -> Vec<String> {
    e.into_iter().map(|e| e.campo).collect()
}

#[test]
fn a_valid_row_round_trips_with_the_documented_names() {
    let row = sample::row(7, d("2026-11-02"));
    let a = validate(&row).unwrap();
    assert_eq!(a.tipo_aviso, TipoAviso::InicioCredito);
    assert_eq!(a.tipo_descuento, TipoDescuento::FactorDescuento);
    let back = serde_json::to_value(&a).unwrap();
    assert_eq!(back, row);
    let names: Vec<&String> = back.as_object().unwrap().keys().collect();
    let mut expected: Vec<&str> = FIELDS.to_vec();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn check_digits() {
    // Published examples: a CURP from RENAPO's documentation and a Luhn NSS.
    assert!(Curp::parse("HEGG560427MVZRRL04").is_ok());
    assert_eq!(
        Curp::parse("HEGG560427MVZRRL05").unwrap_err(),
        "El dígito verificador de la CURP no es correcto."
    );
    assert!(nss_is_valid("12345678903"));
    assert!(!nss_is_valid("12345678904"));
    assert!(!nss_is_valid("1234567890"));
}

#[test]
fn every_bad_field_is_reported_with_its_name() {
    let mut row = sample::row(1, d("2026-11-02"));
    let o = row.as_object_mut().unwrap();
    o.insert("nss".into(), json!("12345678904"));
    o.insert("nrp".into(), json!("Y54"));
    o.insert("tipo_aviso".into(), json!("99"));
    o.insert("fecha_aviso".into(), json!("02/11/2026"));
    o.insert("num_credito".into(), json!(1500000001));
    o.insert("extra".into(), json!("x"));
    o.remove("curp_trabajador");
    let errs = validate(&row).unwrap_err();
    let mut got = fields(errs.clone());
    got.sort();
    assert_eq!(
        got,
        [
            "curp_trabajador",
            "extra",
            "fecha_aviso",
            "nrp",
            "nss",
            "num_credito",
            "tipo_aviso"
        ]
    );
    assert!(errs.iter().all(|e| !e.mensaje.is_empty()));
    assert_eq!(fields(validate(&json!([1])).unwrap_err()), ["aviso"]);
}

#[test]
fn valor_descuento_depends_on_tipo_descuento() {
    let with = |tipo: &str, valor: &str, aviso: &str| {
        let mut row = sample::row(2, d("2026-11-02"));
        let o = row.as_object_mut().unwrap();
        o.insert("tipo_descuento".into(), json!(tipo));
        o.insert("valor_descuento".into(), json!(valor));
        o.insert("tipo_aviso".into(), json!(aviso));
        validate(&row).map(|_| ()).map_err(fields)
    };
    assert!(with("1", "25.50", "15").is_ok());
    assert!(with("1", "125.50", "15").is_err());
    assert!(with("1", "25.505", "15").is_err());
    assert!(with("2", "12500.50", "15").is_ok());
    assert!(with("2", "125000.50", "15").is_err());
    assert!(with("3", "22.2500", "15").is_ok());
    assert!(with("3", "22.25001", "15").is_err());
    assert!(with("3", "1234.5", "15").is_err());
    assert!(with("3", "22.", "15").is_err());
    assert!(with("3", "0", "15").is_err());
    assert!(with("3", "0.0000", "16").is_ok());
    assert_eq!(with("4", "1", "15").unwrap_err(), ["tipo_descuento"]);
}

#[test]
fn identifiers_are_normalised_and_dates_ordered() {
    let mut row = sample::row(3, d("2026-11-02"));
    let o = row.as_object_mut().unwrap();
    let rfc = o["rfc_trabajador"].as_str().unwrap().to_lowercase();
    o.insert("rfc_trabajador".into(), json!(format!(" {rfc} ")));
    let a = validate(&row).unwrap();
    assert_eq!(a.rfc_trabajador.as_str(), rfc.to_uppercase());
    let o = row.as_object_mut().unwrap();
    o.insert("fecha_inicio_descuento".into(), json!("2023-12-31"));
    o.insert("rfc_trabajador".into(), json!("EDE200101AB0"));
    let mut got = fields(validate(&row).unwrap_err());
    got.sort();
    assert_eq!(got, ["fecha_inicio_descuento", "rfc_trabajador"]);
}

/// One refusal per check of each field's `parse`, with its exact message.
#[test]
fn each_field_parse_refuses_with_its_message() {
    let err = |r: Result<(), String>| r.unwrap_err();
    let ok = |r: Result<(), String>| r.unwrap();
    assert_eq!(err(Nrp::parse("Y54").map(drop)), Nrp::RULE);
    assert_eq!(err(Nrp::parse("-5412345106").map(drop)), Nrp::RULE);
    assert_eq!(err(Nrp::parse("Y541234510A").map(drop)), Nrp::RULE);
    assert_eq!(Nrp::parse(" y5412345106 ").unwrap().as_str(), "Y5412345106");
    assert_eq!(
        err(Nss::parse("1234567890A").map(drop)),
        "El NSS debe tener 11 dígitos."
    );
    assert_eq!(
        err(Nss::parse("12345678904").map(drop)),
        "El dígito verificador del NSS no es correcto."
    );
    ok(Nss::parse("12345678903").map(drop));
    assert_eq!(
        err(RfcTrabajador::parse("EDE200101AB0").map(drop)),
        "El RFC del trabajador debe tener 13 caracteres (persona física)."
    );
    assert!(
        err(RfcTrabajador::parse("GOMA801301X01").map(drop))
            .starts_with("El RFC del trabajador no es válido: ")
    );
    assert_eq!(
        err(Curp::parse("HEGG560427MVZRRL0").map(drop)),
        "La CURP debe tener 18 caracteres."
    );
    assert!(err(Curp::parse("HEGG560427MZZRRL04").map(drop)).starts_with("La CURP no tiene"));
    assert_eq!(
        err(FolioAviso::parse("AV-00000000001").map(drop)),
        "El folio del aviso debe tener 14 letras o dígitos."
    );
    assert_eq!(
        err(NumCredito::parse("150000000").map(drop)),
        "El número de crédito debe tener 10 dígitos."
    );
    assert!(err(TipoAviso::parse_field("99").map(drop)).starts_with("El tipo de aviso «99»"));
    assert_eq!(
        err(parse_fecha("fecha_aviso", "1971-12-31").map(drop)),
        "«fecha_aviso» debe ser una fecha AAAA-MM-DD entre 1972 y 2100 (p. ej. 2026-11-23)."
    );
    assert!(err(check_fechas(d("2024-01-15"), d("2024-01-14"))).starts_with("La fecha de inicio"));
    ok(check_fechas(d("2024-01-15"), d("2024-01-15")));
    assert_eq!(
        err(TipoCredito::parse("01").map(drop)),
        "El tipo de crédito debe ser una clave de 3 dígitos."
    );
    assert_eq!(
        err(EstatusCredito::parse("VI-").map(drop)),
        "El estatus del crédito debe ser una clave de 3 letras o dígitos."
    );
    assert!(err(TipoDescuento::parse_field("4").map(drop)).starts_with("El tipo de descuento"));
    let valor = |v: &str, t: Option<TipoAviso>| {
        ValorDescuento::parse(v, TipoDescuento::Porcentaje, t).map(drop)
    };
    assert_eq!(
        err(valor("1.234", None)),
        "El valor de descuento «1.234» no corresponde al tipo de descuento 1: porcentaje, hasta 2 enteros y 2 decimales (p. ej. 25.00)."
    );
    assert_eq!(
        err(valor("0.00", Some(TipoAviso::InicioCredito))),
        "El valor de descuento debe ser mayor que cero (solo una suspensión puede llevar cero)."
    );
    ok(valor("0.00", Some(TipoAviso::Suspension)));
}
