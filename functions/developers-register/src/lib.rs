//! `POST /api/v1/desarrolladores/registro`: the analysts' act `REGISTRAR_DESARROLLADOR`, which
//! sets a developer's certification status (`autorizada` or `cancelada`) until the certification
//! workflow does it itself.

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use avisos_relations::directory::{self, Registration};
use avisos_relations::require_actor;
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
    env.config.require_analyst(&session)?;
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(
        actions::REGISTRAR_DESARROLLADOR,
        None,
        &["rfc_desarrollador", "razon_social", "estatus"],
        &body.datos,
    )?;
    let field = |n: &str| spec.field(n).unwrap_or_default();
    let registration = Registration::parse(
        field("rfc_desarrollador"),
        field("razon_social"),
        field("estatus"),
        env.config.mode,
    )?;
    require_actor(&session, Role::Analista, &body.rfc)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(&req), &body, spec)?;
    let done = directory::register(env.kv(), &seal, &act, &registration, env.now)?;
    Ok(HttpResponse::json(201, &done))
}
