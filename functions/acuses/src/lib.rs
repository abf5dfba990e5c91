//! `GET /api/v1/acuses/:folio`: an acuse as PDF (default) or as its sealed JSON record
//! (`?formato=json`). Only its owner's session can download it.

use avisos_acts::limits::Bucket;
use avisos_acts::{acuse, pdf};
use avisos_http::{HttpRequest, HttpResponse, RequestError};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Descargas)?;
    let folio = req.param("folio")?;
    let record = acuse::load_for_owner(env.kv(), &folio, &session)?;
    match req.query_param("formato").as_deref() {
        Some("json") => Ok(HttpResponse::json(200, &record)),
        None | Some("pdf") => Ok(
            HttpResponse::new(200, "application/pdf", pdf::render(&record))
                .with_header("cache-control", "private, no-store")
                .with_header(
                    "content-disposition",
                    &format!("attachment; filename=\"acuse-{folio}.pdf\""),
                ),
        ),
        Some(_) => Err(RequestError::FormatInvalid {
            expected: "«pdf» o «json»",
        }
        .into()),
    }
}
