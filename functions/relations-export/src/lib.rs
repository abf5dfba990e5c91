//! `GET /api/v1/relaciones/exportacion`: «Exportar tabla», the session's relations table as an
//! .xlsx workbook (the same rows and columns as `GET /api/v1/relaciones`).

use avisos_acts::limits::Bucket;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};
use avisos_relations::relation::{self, Viewer};
use avisos_relations::{export, today};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Tablas)?;
    let viewer = Viewer::of(&session)?;
    let rows = relation::list(env.kv(), &session.rfc, viewer, env.now)?;
    let bytes = export::xlsx(&rows, env.now)?;
    drop(rows);
    Ok(HttpResponse::new(200, export::CONTENT_TYPE, bytes)
        .with_header("cache-control", "private, no-store")
        .with_header(
            "content-disposition",
            &format!(
                "attachment; filename=\"{}\"",
                export::file_name(&session.rfc, today(env.now))
            ),
        ))
}
