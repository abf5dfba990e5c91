//! `GET /api/v1/certificaciones/actual`: «Seguimiento a Certificación», the developer's latest
//! request with its status (Vencida computed now), deadline, observations and next step.

use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

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
