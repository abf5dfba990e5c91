//! `GET /api/v1/certificaciones/:folio/set-de-pruebas`: the current round's test set as a .zip
//! (regenerated from its stored seed: the same folio and round always give the same bytes).
//! The owner's session, or an analyst's.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_certification::record;
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
    let folio = req.param("folio")?;
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Descargas)?;
    let c = if session.rol == Role::Analista {
        env.config.require_analyst(&session)?;
        record::load(env.kv(), &folio)?.ok_or_else(record::not_found)?
    } else {
        avisos_certification::require_owner(env.kv(), &session, &folio)?.0
    };
    let id = c.test_set_id();
    let zip = avisos_evidence::generate(&id).package_zip();
    Ok(HttpResponse::new(200, "application/zip", zip)
        .with_header("cache-control", "private, no-store")
        .with_header(
            "content-disposition",
            &format!(
                "attachment; filename=\"set-de-pruebas-{}-ronda-{}.zip\"",
                c.folio, id.ronda
            ),
        ))
}
