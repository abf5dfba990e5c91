//! `POST /api/v1/contrasena-servicio/cancelacion`: the act `CANCELAR_CONTRASENA`. The service
//! password stops working at once; relations are kept (see `avisos_relations::password`).

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner, no_read};
use avisos_relations::password;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

const ACT: ActRoute = ActRoute {
    accion: actions::CANCELAR_CONTRASENA,
    terms: None,
    fields: &[],
    signer: Role::Patron,
    password: false,
};

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct { seal, act, .. } = env.signed_act(&req, &ACT, no_read, no_owner)?;
    let done = password::cancel(env.kv(), &seal, &act, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
