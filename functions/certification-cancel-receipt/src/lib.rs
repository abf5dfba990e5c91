//! `GET /api/v1/certificaciones/:folio/acuse-cancelacion?token=`: the acuse de cancelación,
//! once, with the token of the cancellation's answer and from the same session; afterwards 410.

use avisos_acts::limits::Bucket;
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let folio = req.param("folio")?;
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Descargas)?;
    let token = req.query_param("token").unwrap_or_default();
    let record = workflow::take_cancellation_receipt(env.kv(), &session, &folio, &token)?;
    Ok(
        HttpResponse::new(200, "application/pdf", avisos_acts::pdf::render(&record))
            .with_header("cache-control", "private, no-store")
            .with_header(
                "content-disposition",
                &format!(
                    "attachment; filename=\"acuse-cancelacion-{}.pdf\"",
                    record.folio
                ),
            ),
    )
}
