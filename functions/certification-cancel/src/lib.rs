//! `POST /api/v1/certificaciones/:folio/cancelacion`: «Cancelar certificación»
//! (`CANCELAR_CERTIFICACION`). The acuse de cancelación is shown only in this answer (inline PDF
//! and a one-time download for this session), and a confirmation is e-mailed.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::answer::Cancelled;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, FOLIO_FIELDS};
use avisos_certification::{require_folio, require_owner};
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail};
use base64::Engine;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

const ACT: ActRoute = ActRoute {
    accion: actions::CANCELAR_CERTIFICACION,
    terms: Some(TermsId::CertificacionCancelacion),
    fields: &FOLIO_FIELDS,
    signer: Role::Desarrollador,
    password: false,
};

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve_async(req, out, ENDPOINT, handle_request).await
}

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let folio = req.param("folio")?;
    let env = Env::load()?;
    let SignedAct {
        session, seal, act, ..
    } = env.signed_act(
        &req,
        &ACT,
        |spec| require_folio(spec, &folio),
        |s| require_owner(env.kv(), s, &folio).map(drop),
    )?;
    let correo = mail::config();
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(avisos_spin::random::<32>());
    let done = workflow::cancel(
        env.kv(),
        &seal,
        &session,
        &act,
        &token,
        correo.is_some(),
        env.now,
    )?;
    let notificaciones = done
        .deliver(env.kv(), correo.as_ref(), env.now, mail::send)
        .await?;
    let v = done.view(env.kv(), env.now, Viewer::Desarrollador)?;
    let pdf = avisos_acts::pdf::render(&done.acuse);
    let answer = Cancelled::new(&done.acuse, &pdf, &token, v, notificaciones);
    Ok(HttpResponse::json(201, &answer))
}
