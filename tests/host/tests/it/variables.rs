//! Spin variables: defaults, environment, templates, required values.

use avisos_host::testing::{TestApp, TestOptions};

use crate::{manifest, probe_app, probe_options};

#[test]
fn defaults_templates_and_overrides() {
    let app = probe_app();
    assert_eq!(app.get("/probe/var/message").text(), "hola, mundo");
    assert_eq!(app.get("/probe/var/token").text(), "t0k3n");
    assert_eq!(app.get("/probe/var/fixed").text(), "literal");
    // wasi:config/store sees the same component variables.
    assert_eq!(app.get("/probe/config/message").text(), "hola, mundo");
}

#[test]
fn environment_values_and_precedence() {
    let app = TestApp::start(
        TestOptions::new(manifest("probe.toml"))
            .env("SPIN_VARIABLE_TOKEN", "from-env")
            .env("SPIN_VARIABLE_GREETING", "buenas"),
    );
    assert_eq!(app.get("/probe/var/token").text(), "from-env");
    assert_eq!(app.get("/probe/var/message").text(), "buenas, mundo");

    // An explicit value wins over the environment.
    let app = TestApp::start(
        TestOptions::new(manifest("probe.toml"))
            .env("SPIN_VARIABLE_TOKEN", "from-env")
            .variable("token", "explicit"),
    );
    assert_eq!(app.get("/probe/var/token").text(), "explicit");
}

#[test]
fn unknown_and_invalid_names() {
    let app = probe_app();
    // Application variables are not visible unless the component maps them.
    let r = app.get("/probe/var/greeting");
    assert_eq!(r.status, 404);
    assert!(r.text().starts_with("undefined:"), "{}", r.text());
    let r = app.get("/probe/var/Bad-Name");
    assert_eq!(r.status, 400);
    assert!(r.text().starts_with("invalid-name:"), "{}", r.text());
    assert_eq!(app.get("/probe/config/greeting").status, 404);
    // A component with no variables.
    assert_eq!(app.get("/bare/probe/var/message").status, 404);
}

#[test]
fn missing_required_variable_stops_start_up() {
    let e = TestApp::try_start(TestOptions::new(manifest("probe.toml")).env("UNRELATED", "1"))
        .err()
        .expect("must not start without `token`");
    let msg = e.to_string();
    assert!(
        msg.contains("required variable \"token\" has no value"),
        "{msg}"
    );
    assert!(msg.contains("SPIN_VARIABLE_TOKEN"), "{msg}");
    assert!(!msg.contains('\n'));
}

#[test]
fn unknown_override_is_refused() {
    let e = TestApp::try_start(probe_options().variable("tokn", "x"))
        .err()
        .expect("typo must be caught");
    assert!(e.to_string().contains("\"tokn\""), "{e}");
}
