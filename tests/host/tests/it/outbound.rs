//! Outgoing HTTP is limited to `allowed_outbound_hosts`.

use std::io::{Read, Write};
use std::net::TcpListener;

use avisos_host::testing::TestApp;

use crate::probe_options;

/// A one-shot-per-connection HTTP server answering 200, on an ephemeral port.
fn tiny_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    port
}

#[test]
fn allowed_hosts_are_reachable_and_others_are_denied() {
    let allowed = tiny_server();
    let other = tiny_server();
    let app =
        TestApp::start(probe_options().variable("allowed_target", format!("127.0.0.1:{allowed}")));
    let ok = app.get(&format!(
        "/probe/outbound?url=http%3A%2F%2F127.0.0.1%3A{allowed}%2Fx"
    ));
    assert_eq!((ok.status, ok.text().as_str()), (200, "status 200"));

    // Same host, another port: denied with the error Spin returns.
    let denied = app.get(&format!(
        "/probe/outbound?url=http%3A%2F%2F127.0.0.1%3A{other}%2Fx"
    ));
    assert_eq!(denied.status, 502);
    assert!(
        denied.text().contains("HttpRequestDenied"),
        "{}",
        denied.text()
    );

    // A component with no allowed hosts can reach nothing.
    let bare = app.get(&format!(
        "/bare/probe/outbound?url=http%3A%2F%2F127.0.0.1%3A{allowed}%2F"
    ));
    assert!(bare.text().contains("HttpRequestDenied"), "{}", bare.text());
}
