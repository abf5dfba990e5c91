use std::cell::Cell;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::*;
use crate::RequestError;

/// Runs a future whose every step is ready (these tests' are).
fn run<T>(f: impl Future<Output = T>) -> T {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a test future waited"),
    }
}

const POST: Endpoint = Endpoint::new(&[Method::Post], 100);

fn head(method: Method, length: Option<&str>) -> HttpRequest {
    let mut r = HttpRequest::new(method, "/api/v1/x");
    if let Some(n) = length {
        r.headers.push(("content-length".into(), n.into()));
    }
    r
}

/// Answers `head`, noting whether the body was read and the handler ran.
fn answer_noting(
    head: HttpRequest,
    body: &[u8],
    gate: impl FnOnce(&HttpRequest) -> Result<u8, ApiError>,
) -> (HttpResponse, bool, bool) {
    let (read, handled) = (Cell::new(false), Cell::new(false));
    let response = run(answer(
        head,
        POST,
        |limit| {
            read.set(true);
            let r = if body.len() > limit {
                Err(ApiError::payload_too_large(limit))
            } else {
                Ok(body.to_vec())
            };
            std::future::ready(r)
        },
        gate,
        |req, state| {
            handled.set(true);
            assert_eq!(state, 7);
            std::future::ready(Ok(HttpResponse::json(200, &req.body.len())))
        },
    ));
    (response, read.get(), handled.get())
}

fn admit(_: &HttpRequest) -> Result<u8, ApiError> {
    Ok(7)
}

fn unauthenticated(_: &HttpRequest) -> Result<u8, ApiError> {
    Err(RequestError::NotFound.into())
}

#[test]
fn a_request_the_gate_refuses_is_answered_before_its_body_is_read() {
    let (r, read, handled) =
        answer_noting(head(Method::Post, Some("50")), &[b'x'; 50], unauthenticated);
    assert_eq!(r.status, 404);
    assert!(!read && !handled);
}

#[test]
fn an_admitted_request_is_read_then_handled() {
    let (r, read, handled) = answer_noting(head(Method::Post, Some("50")), &[b'x'; 50], admit);
    assert_eq!((r.status, read, handled), (200, true, true));
    assert_eq!(r.body, b"50");
}

#[test]
fn method_and_declared_length_come_before_the_gate() {
    let gate_ran = Cell::new(false);
    let gate = |_: &HttpRequest| {
        gate_ran.set(true);
        Ok(7)
    };
    let (r, read, _) = answer_noting(head(Method::Get, None), b"", gate);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert!(!read);
    for declared in ["101", "abc", "-1"] {
        let (r, read, _) = answer_noting(head(Method::Post, Some(declared)), b"", gate);
        assert_eq!(r.status, 413, "{declared}");
        assert!(!read);
    }
    assert!(!gate_ran.get());
}

#[test]
fn a_body_longer_than_declared_is_refused_as_it_is_read() {
    let (r, read, handled) = answer_noting(head(Method::Post, None), &[b'x'; 101], admit);
    assert_eq!((r.status, read, handled), (413, true, false));
}
