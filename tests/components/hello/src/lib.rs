//! The smallest useful component: `200 hola` for any request.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(_req: Request) -> impl IntoResponse {
    Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .body("hola")
        .build()
}
