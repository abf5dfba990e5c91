//! `POST /api/v1/analistas/certificaciones/:folio/dictamen`: the analyst's signed decision
//! (`DICTAMINAR_CERTIFICACION`): approve, or inconsistencies with observations and a new test
//! set. The developer is notified (portal inbox and e-mail).

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_certification::answer::Registered;
use avisos_certification::require_folio;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, DICTAMEN_FIELDS};
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail, no_owner};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

const ACT: ActRoute = ActRoute {
    accion: actions::DICTAMINAR_CERTIFICACION,
    terms: None,
    fields: &DICTAMEN_FIELDS,
    signer: Role::Analista,
    password: false,
};

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve_async(req, out, ENDPOINT, handle_request).await
}

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let folio = req.param("folio")?;
    let env = Env::load()?;
    let SignedAct { seal, act, .. } =
        env.signed_act(&req, &ACT, |spec| require_folio(spec, &folio), no_owner)?;
    let correo = mail::config();
    let semilla = u64::from_le_bytes(avisos_spin::random::<8>());
    let done = workflow::dictaminar(env.kv(), &seal, &act, semilla, correo.is_some(), env.now)?;
    let notificaciones = done
        .deliver(env.kv(), correo.as_ref(), env.now, mail::send)
        .await?;
    let v = done.view(env.kv(), env.now, Viewer::Analista)?;
    Ok(HttpResponse::json(
        201,
        &Registered::new(&done.acuse, v, notificaciones),
    ))
}
