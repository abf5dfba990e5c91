//! `POST /api/v1/certificaciones/:folio/aceptacion`: the developer signs the terms of the
//! Aprobación de Certificación (`ACEPTAR_APROBACION`) → «Certificación autorizada», its
//! responsiva, and the developer enters the employers' directory.

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow::{self, FOLIO_FIELDS, Registered};
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::Env;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let folio = match req.segments_after("/api/v1/certificaciones").as_slice() {
        [folio, what] if what == "aceptacion" => folio.clone(),
        _ => return Err(ApiError::not_found()),
    };
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    session.require_role(&[Role::Desarrollador])?;
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(
        actions::ACEPTAR_APROBACION,
        Some(TermsId::CertificacionAprobacion),
        &FOLIO_FIELDS,
        &body.datos,
    )?;
    avisos_certification::require_folio(&spec, &folio)?;
    avisos_certification::require_signer(&session, Role::Desarrollador, &body.rfc)?;
    // Ownership and status before the nonce is spent.
    avisos_certification::require_owner(env.kv(), &session, &folio)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(), &body, spec)?;
    let done = workflow::accept(env.kv(), &seal, &session, &act, env.now)?;
    let cal = workflow::calendar_of(env.kv(), &done.certification)?;
    let v = view::view(&done.certification, &cal, env.now, Viewer::Desarrollador);
    Ok(HttpResponse::json(
        201,
        &Registered::new(&done.acuse, v, Vec::new()),
    ))
}
