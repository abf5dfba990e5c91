//! `GET /api/v1/certificaciones/actual`: «Seguimiento a Certificación», the developer's latest
//! request with its status (Vencida computed now), deadline, observations and next step.

use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint = avisos_spin::Endpoint::new(&[Method::Get], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    let c = workflow::current(env.kv(), &session)?;
    let cal = workflow::calendar_of(env.kv(), &c)?;
    Ok(HttpResponse::json(
        200,
        &view::view(&c, &cal, env.now, Viewer::Desarrollador),
    ))
}
