//! `GET /api/v1/contrasena-servicio`: the state of the employer's service password (never the
//! password). `POST`: the act `GENERAR_CONTRASENA` (tab «Generación de contraseña»), which
//! generates or regenerates it and answers it **once**.

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error, random};
use avisos_relations::{password, require_actor};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Get, Method::Post], avisos_spin::JSON_BODY_LIMIT);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    session.require_role(&[Role::Patron])?;
    if req.method == Method::Get {
        return Ok(HttpResponse::json(
            200,
            &password::status(env.kv(), &session.rfc)?,
        ));
    }
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(actions::GENERAR_CONTRASENA, None, &[], &body.datos)?;
    require_actor(&session, Role::Patron, &body.rfc)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(&req), &body, spec)?;
    let generated = password::generate(env.kv(), &seal, &act, env.now, random::<32>, random())?;
    Ok(HttpResponse::json(201, &generated))
}
