//! The `avisos-host` binary: start-up errors, environment variables, shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use avisos_host::testing::require_wasm;

use crate::manifest;

fn host() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_avisos-host"));
    c.env_remove("SPIN_VARIABLE_TOKEN");
    c
}

/// Runs `avisos-host up ...` expecting it to fail at start-up; returns stderr.
fn startup_error(args: &[&str]) -> String {
    let out = host()
        .arg("up")
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--kv", "memory"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "should fail: {args:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("Error: "), "{stderr}");
    stderr
}

#[test]
fn bad_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("spin.toml");
    std::fs::write(&bad, "spin_manifest_version = 2\n[application\n").unwrap();
    let e = startup_error(&["--manifest", bad.to_str().unwrap()]);
    assert!(
        e.contains("invalid manifest") && e.contains("line 2"),
        "{e}"
    );
    let e = startup_error(&["--manifest", "/no/such/spin.toml"]);
    assert!(e.contains("cannot read manifest /no/such/spin.toml"), "{e}");
}

#[test]
fn missing_wasm_says_run_make_build() {
    let e = startup_error(&[
        "--manifest",
        manifest("missing-wasm.toml").to_str().unwrap(),
    ]);
    assert!(
        e.contains("ghost") && e.contains("does_not_exist.wasm"),
        "{e}"
    );
    assert!(e.contains("run `make build`"), "{e}");
}

#[test]
fn missing_required_variable() {
    require_wasm(&["probe", "hello"]);
    let e = startup_error(&["--manifest", manifest("probe.toml").to_str().unwrap()]);
    assert!(
        e.contains("required variable \"token\"") && e.contains("SPIN_VARIABLE_TOKEN"),
        "{e}"
    );
}

#[test]
fn busy_port() {
    require_wasm(&["probe", "hello"]);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = host()
        .args(["up", "--manifest", manifest("hello.toml").to_str().unwrap()])
        .args(["--listen", &addr, "--kv", "memory"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        format!(
            "Error: {addr} is already in use; stop the other server or choose another address with --listen"
        )
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A started host, killed if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the binary and waits until it listens.
fn spawn_up(manifest: &Path, port: u16, state: &Path, envs: &[(&str, &str)]) -> Running {
    let mut cmd = host();
    cmd.args(["up", "--manifest", manifest.to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--state-dir", state.to_str().unwrap()])
        .args([
            "--cache-dir",
            avisos_host::testing::cache_dir().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = Running(cmd.spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "host did not start");
        match lines.next() {
            Some(Ok(line)) if line.starts_with("Serving http://") => break,
            Some(Ok(_)) => {}
            _ => {
                let mut err = String::new();
                child
                    .0
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("host exited early: {err}");
            }
        }
    }
    // Keep draining stdout so the host never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    child
}

fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serves_with_env_variables_logs_requests_and_stops_on_sigterm() {
    require_wasm(&["probe", "hello"]);
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_up(
        &manifest("probe.toml"),
        port,
        state.path(),
        &[("SPIN_VARIABLE_TOKEN", "env-token")],
    );
    let r = http_get(port, "/probe/var/token");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.contains("\r\nenv-token\r\n"), "{r}");
    let r = http_get(port, "/probe/kv/default/missing");
    assert!(r.starts_with("HTTP/1.1 404"), "{r}");

    // SIGTERM while a request is in flight: it completes, then the host exits cleanly.
    let slow = std::thread::spawn(move || http_get(port, "/probe/sleep?ms=1500"));
    std::thread::sleep(Duration::from_millis(400));
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "host did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let slow = slow.join().unwrap();
    assert!(
        slow.starts_with("HTTP/1.1 200") && slow.contains("slept 1500"),
        "{slow}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer listening"
    );
    let mut log = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("GET /probe/var/token probe 200"), "{log}");
    assert!(
        !log.contains("env-token"),
        "variable values are never logged: {log}"
    );
    assert!(state.path().join("sqlite_key_value.db").is_file());
}
