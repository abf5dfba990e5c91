//! `GET /api/v1/calendario/:anio` (public): the year's non-working weekdays with their reason;
//! `PUT` (analysts): replaces the days the institute declares non-working that year. Every
//! certification deadline counts business days with this calendar.

use avisos_certification::deadline;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use serde::{Deserialize, Serialize};

avisos_spin::endpoint!([Get, Put], 16 * 1024, handle_request);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Put {
    dias_inhabiles: Vec<String>,
}

#[derive(Serialize)]
struct Dia {
    fecha: chrono::NaiveDate,
    motivo: String,
}

#[derive(Serialize)]
struct Calendario {
    anio: i32,
    dias_inhabiles: Vec<Dia>,
    adicionales: Vec<chrono::NaiveDate>,
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let year = deadline::parse_year(&req.param("anio")?)?;
    let env = Env::load()?;
    let adicionales = if req.method == Method::Put {
        let session = env.require_session(&req)?;
        env.config.require_analyst(&session)?;
        let body: Put = req.json()?;
        deadline::set_extra_days(env.kv(), year, &body.dias_inhabiles)?
    } else {
        deadline::extra_days(env.kv(), year)?
    };
    let cal = avisos_calendar::Calendar::official().with_extra_days(adicionales.iter().copied());
    let dias_inhabiles = cal
        .holidays(year)
        .into_iter()
        .map(|(fecha, motivo)| Dia { fecha, motivo })
        .collect();
    Ok(HttpResponse::json(
        200,
        &Calendario {
            anio: year,
            dias_inhabiles,
            adicionales,
        },
    ))
}
