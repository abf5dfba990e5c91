//! `GET /api/v1/salud`: version, store reachability (one read; `?profundo=1`: write, read and
//! delete, and the sweep of expired keys), the mode and any configuration problem, and the
//! current time.

use avisos_http::{ApiError, HttpRequest, HttpResponse, health};
use avisos_kv::{KeyValue, expiring};
use avisos_spin::open_kv;

avisos_spin::endpoint!([Get, Head], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let version = avisos_spin::variable("app_version")?;
    let kv = open_kv().map_err(ApiError::from);
    let kv_ref = kv
        .as_ref()
        .map(|k| k as &dyn KeyValue)
        .map_err(Clone::clone);
    let probe = if req.query_param("profundo").as_deref() == Some("1") {
        let id: [u8; 8] = avisos_spin::random();
        // The deep check also sweeps expired keys, so a backlog drains even when no request
        // registers new ones (avisos_kv::expiring): call it now and then (README).
        if let Ok(kv) = &kv {
            let now = avisos_spin::now().timestamp();
            let _ = expiring::sweep(kv, now, expiring::SLOTS_PER_HEALTH_CHECK);
        }
        health::Probe::Deep {
            probe_id: id.iter().map(|b| format!("{b:02x}")).collect(),
        }
    } else {
        health::Probe::Read
    };
    let config = avisos_portal::configuration_check();
    health::handle(kv_ref, avisos_spin::now(), &version, &probe, config)
}
