//! `GET /api/v1/relaciones?pagina=&por_pagina=`: the table «Relaciones de confianza» (the
//! employer's relations, or the developer's read-only view of those granted to it), newest first,
//! one page of at most 10,000 rows (the default: the whole table up to that), with the vigencia
//! choices for the form. `POST`: the act `ADICIONAR_RELACION` («Adicionar relación»), signed over
//! the relations terms, with the service password alongside (never in the cadena).

use avisos_acts::act::actions;
use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{ActRoute, Env, Error, SignedAct, no_owner};
use avisos_relations::relation::{self, AddRequest, MAX_POR_PAGINA, Page, Viewer};
use avisos_relations::{Servicio, export, password, today, vigencia};
use serde_json::json;

avisos_spin::endpoint!([Get, Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::ADICIONAR_RELACION, Role::Patron)
    .terms(TermsId::RelacionesDeConfianza)
    .fields(&relation::ADD_FIELDS)
    .with_password();

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    if req.method == Method::Get {
        return table(&env, &req);
    }
    let hoy = today(env.now);
    let SignedAct {
        seal,
        act,
        request,
        contrasena,
        ..
    } = env.signed_act(
        &req,
        &ACT,
        |spec| AddRequest::parse(spec, env.config.mode, hoy),
        no_owner,
    )?;
    let key = env.password_key()?;
    let typed = password::Typed {
        text: contrasena.as_deref().unwrap_or_default(),
        key: &key,
    };
    let added = relation::add(env.kv(), &seal, &act, &request, typed, env.now)?;
    Ok(HttpResponse::json(201, &added))
}

/// The table «Relaciones de confianza», one page of it.
fn table(env: &Env, req: &HttpRequest) -> Result<HttpResponse, Error> {
    let hoy = today(env.now);
    let session = env.limited_read(req, Bucket::Tablas)?;
    let viewer = Viewer::of(&session)?;
    let page = Page {
        pagina: req.query_number("pagina", 1, 1_000_000)?,
        por_pagina: req.query_number("por_pagina", MAX_POR_PAGINA, MAX_POR_PAGINA)?,
    };
    let listing = relation::page(env.kv(), &session.rfc, viewer, env.now, page)?;
    Ok(HttpResponse::json(
        200,
        &json!({
            "rfc": session.rfc,
            "rol": session.rol,
            "hoy": hoy,
            "columnas": export::COLUMNS.map(|(title, _)| title),
            "servicios": Servicio::ALL.map(Servicio::nombre),
            "vigencias": (viewer == Viewer::Patron).then(|| vigencia::options(hoy)),
            "pagina": listing.pagina,
            "por_pagina": listing.por_pagina,
            "total": listing.total,
            "hay_mas": listing.hay_mas,
            "relaciones": listing.relaciones,
        }),
    ))
}
