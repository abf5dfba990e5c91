//! `GET /api/v1/analistas/certificaciones/:folio`: one request for the analyst, with the evidence
//! summary and the automatic grading per case.

use avisos_certification::record;
use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let folio = req.param("folio")?;
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    env.config.require_analyst(&session)?;
    let c = record::load(env.kv(), &folio)?.ok_or_else(record::not_found)?;
    let cal = workflow::calendar_of(env.kv(), &c)?;
    Ok(HttpResponse::json(
        200,
        &view::view(&c, &cal, env.now, Viewer::Analista),
    ))
}
