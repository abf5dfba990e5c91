//! `POST /api/v1/certificaciones`: «Solicitud de certificación», the developer's act
//! `SOLICITAR_CERTIFICACION` over the terms `certificacion-solicitud`. Answers the folio, the
//! status and the responsiva (the acuse), and e-mails the first test set.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::answer::Registered;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, REQUEST_FIELDS};
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail, no_owner, no_read};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

const ACT: ActRoute = ActRoute {
    accion: actions::SOLICITAR_CERTIFICACION,
    terms: Some(TermsId::CertificacionSolicitud),
    fields: &REQUEST_FIELDS,
    signer: Role::Desarrollador,
    password: false,
};

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve_async(req, out, ENDPOINT, handle_request).await
}

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct { seal, act, .. } = env.signed_act(&req, &ACT, no_read, no_owner)?;
    let correo = mail::config();
    let semilla = u64::from_le_bytes(avisos_spin::random::<8>());
    let done = workflow::request(env.kv(), &seal, &act, semilla, correo.is_some(), env.now)?;
    let notificaciones = done
        .deliver(env.kv(), correo.as_ref(), env.now, mail::send)
        .await?;
    let v = done.view(env.kv(), env.now, Viewer::Desarrollador)?;
    Ok(HttpResponse::json(
        201,
        &Registered::new(&done.acuse, v, notificaciones),
    ))
}
