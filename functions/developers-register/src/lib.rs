//! `POST /api/v1/desarrolladores/registro`: the analysts' act `REGISTRAR_DESARROLLADOR`, which
//! sets a developer's certification status (`autorizada` or `cancelada`) until the certification
//! workflow does it itself.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner};
use avisos_relations::directory::{self, Registration};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

const ACT: ActRoute = ActRoute {
    accion: actions::REGISTRAR_DESARROLLADOR,
    terms: None,
    fields: &directory::REGISTER_FIELDS,
    signer: Role::Analista,
    password: false,
};

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct {
        seal,
        act,
        request: registration,
        ..
    } = env.signed_act(
        &req,
        &ACT,
        |spec| Registration::from_spec(spec, env.config.mode),
        no_owner,
    )?;
    let done = directory::register(env.kv(), &seal, &act, &registration, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
