//! `GET /api/v1/certificaciones/:folio/set-de-pruebas`: the current round's test set as a .zip
//! (regenerated from its stored seed: the same folio and round always give the same bytes).
//! The owner's session, or an analyst's.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_certification::record;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

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
