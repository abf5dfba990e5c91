//! `POST /api/v1/contrasena-servicio/cancelacion`: the act `CANCELAR_CONTRASENA`. The service
//! password stops working at once; relations are kept (see `avisos_relations::password`).

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use avisos_relations::{password, require_actor};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    session.require_role(&[Role::Patron])?;
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(actions::CANCELAR_CONTRASENA, None, &[], &body.datos)?;
    require_actor(&session, Role::Patron, &body.rfc)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(&req), &body, spec)?;
    let done = password::cancel(env.kv(), &seal, &act, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
