//! `POST /api/v1/certificaciones/:folio/aceptacion`: the developer signs the terms of the
//! Aprobación de Certificación (`ACEPTAR_APROBACION`) → «Certificación autorizada», its
//! responsiva, and the developer enters the employers' directory; the `autorizacion` e-mail
//! confirms it.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::answer::Registered;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, FOLIO_FIELDS};
use avisos_certification::{require_folio, require_owner};
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

const ACT: ActRoute = ActRoute {
    accion: actions::ACEPTAR_APROBACION,
    terms: Some(TermsId::CertificacionAprobacion),
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
    let done = workflow::accept(env.kv(), &seal, &session, &act, correo.is_some(), env.now)?;
    let notificaciones = done
        .deliver(env.kv(), correo.as_ref(), env.now, mail::send)
        .await?;
    let v = done.view(env.kv(), env.now, Viewer::Desarrollador)?;
    Ok(HttpResponse::json(
        201,
        &Registered::new(&done.acuse, v, notificaciones),
    ))
}
