//! `POST /api/v1/avisos/publicaciones`: the analyst publishes an employer's avisos (act
//! `PUBLICAR_AVISOS`; bulk JSON up to 10,000 avisos, per-row report, acuse).

use avisos_acts::act::verify_signed_act;
use avisos_acts::session::Role;
use avisos_avisos::publicacion::{self, Resultado};
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use avisos_relations::require_actor;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

// Sized for 10,000 avisos; larger bodies are refused before they are read.
const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], publicacion::BODY_LIMIT);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    env.config.require_analyst(&session)?;
    let prepared = publicacion::prepare(&req.body, env.config.mode)?;
    require_actor(&session, Role::Analista, &prepared.request.rfc)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(&req), &prepared.request, prepared.spec)?;
    match publicacion::publish(
        env.kv(),
        &seal,
        &act,
        &prepared.patron,
        &prepared.rows,
        env.now,
    )? {
        Resultado::Publicada(p) => Ok(HttpResponse::json(201, &p)),
        Resultado::Rechazada(r) => Ok(HttpResponse::json(422, &r)),
    }
}
