//! `GET /api/v1/analistas/certificaciones/:folio/evidencia?ronda=`: the stored workbook, byte for
//! byte as it was uploaded (reassembled from its chunks).

use avisos_acts::limits::Bucket;
use avisos_certification::{record, workflow};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let folio = req.param("folio")?;
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Descargas)?;
    env.config.require_analyst(&session)?;
    let ronda = workflow::round(req.query_param("ronda").as_deref())?;
    let c = record::load(env.kv(), &folio)?.ok_or_else(record::not_found)?;
    let (e, bytes) = workflow::stored_workbook(env.kv(), &c, ronda)?;
    let safe_name: String = e
        .archivo
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ".-_".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::new(200, &e.content_type, bytes)
        .with_header("cache-control", "private, no-store")
        .with_header(
            "content-disposition",
            &format!("attachment; filename=\"{safe_name}\""),
        ))
}
