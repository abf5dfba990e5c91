//! Deployment (issue 9): the SpinKube manifests and the Redis runtime config in `deploy/` are
//! well-formed, cover every component and variable of `spin.toml` (read from the file, never
//! a hand list), set production mode with secrets from the cluster's secret store, and the
//! production values they set actually start the app in production.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use avisos_e2e::{
    PATRON, Signer, TEST_PASSWORD_KEY, TEST_SESSION_KEY, prepare, send_act, test_seal_pem,
};
use avisos_host::runtime_config::{KvStoreConfig, RuntimeConfig};
use avisos_host::testing::{TestApp, TestOptions, workspace_root};
use serde_yaml::Value;

fn deploy_dir() -> PathBuf {
    workspace_root().join("deploy")
}

/// spin.toml's components and variables (name → declared `secret`).
fn spin_toml() -> (BTreeSet<String>, BTreeMap<String, bool>) {
    let text = std::fs::read_to_string(workspace_root().join("spin.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let components = manifest["component"]
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let variables = manifest["variables"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let secret = v.get("secret").and_then(toml::Value::as_bool) == Some(true);
            (k.clone(), secret)
        })
        .collect();
    (components, variables)
}

/// Every YAML document of every file in deploy/spinkube, with its file name.
fn documents() -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(deploy_dir().join("spinkube"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in deploy/spinkube");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value =
                Value::deserialize(doc).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
            if !value.is_null() {
                docs.push((name.clone(), value));
            }
        }
    }
    docs
}

use serde::Deserialize;

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

fn spin_app() -> Value {
    let apps: Vec<Value> = documents()
        .into_iter()
        .filter(|(_, d)| str_at(d, &["kind"]) == Some("SpinApp"))
        .map(|(_, d)| d)
        .collect();
    assert_eq!(apps.len(), 1, "exactly one SpinApp in deploy/spinkube");
    apps.into_iter().next().unwrap()
}

/// name → (literal value, or the (kind, name, key) it is taken from).
type Sources = BTreeMap<String, Result<String, (String, String, String)>>;

fn sources(list: &Value) -> Sources {
    let mut out = BTreeMap::new();
    for entry in list
        .as_sequence()
        .expect("a list of {name, value|valueFrom}")
    {
        let name = str_at(entry, &["name"]).expect("name").to_string();
        let source = if let Some(v) = entry.get("value") {
            Ok(v.as_str().expect("values are strings").to_string())
        } else {
            let from = entry.get("valueFrom").expect("value or valueFrom");
            let (kind, r) = ["secretKeyRef", "configMapKeyRef"]
                .iter()
                .find_map(|k| from.get(*k).map(|r| (k.to_string(), r)))
                .expect("secretKeyRef or configMapKeyRef");
            Err((
                kind,
                str_at(r, &["name"]).expect("ref name").to_string(),
                str_at(r, &["key"]).expect("ref key").to_string(),
            ))
        };
        assert!(
            out.insert(name.clone(), source).is_none(),
            "{name} is set twice"
        );
    }
    out
}

#[test]
fn every_manifest_is_a_well_formed_kubernetes_object() {
    for (file, doc) in documents() {
        for field in ["apiVersion", "kind"] {
            assert!(str_at(&doc, &[field]).is_some(), "{file}: no {field}");
        }
        assert!(
            str_at(&doc, &["metadata", "name"]).is_some_and(|n| !n.is_empty()),
            "{file}: no metadata.name"
        );
    }
    let app = spin_app();
    assert_eq!(
        str_at(&app, &["apiVersion"]),
        Some("core.spinkube.dev/v1alpha1")
    );
    assert!(str_at(&app, &["spec", "image"]).is_some_and(|i| !i.is_empty()));
    assert_eq!(
        str_at(&app, &["spec", "executor"]),
        Some("containerd-shim-spin")
    );
    let replicas = app["spec"]["replicas"].as_u64().unwrap_or(0);
    assert!(replicas >= 2, "a shared store is for more than one replica");
}

#[test]
fn the_spin_app_deploys_every_component_of_spin_toml() {
    let (components, _) = spin_toml();
    let app = spin_app();
    let listed: BTreeSet<String> = app["spec"]["components"]
        .as_sequence()
        .expect("spec.components")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let missing: Vec<_> = components.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&components).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "deploy/spinkube/avisos.yaml spec.components must match spin.toml: add {missing:?}, \
         remove {unknown:?}"
    );
}

#[test]
fn every_variable_is_set_for_production_and_secrets_come_from_secrets() {
    let (_, variables) = spin_toml();
    let app = spin_app();
    let set = sources(&app["spec"]["variables"]);
    let declared: BTreeSet<&String> = variables.keys().collect();
    let given: BTreeSet<&String> = set.keys().collect();
    assert_eq!(
        declared, given,
        "spec.variables must set every variable of spin.toml, and only those"
    );
    // spin.toml's empty defaults already mean production; the manifest says it explicitly.
    assert_eq!(set["modo"], Ok("produccion".to_string()));
    assert_eq!(set["confianza_efirma"], Ok("sat-produccion".to_string()));
    let objects: BTreeMap<(String, String), Value> = documents()
        .into_iter()
        .filter_map(|(_, d)| {
            let kind = str_at(&d, &["kind"])?.to_string();
            let name = str_at(&d, &["metadata", "name"])?.to_string();
            Some(((kind, name), d))
        })
        .collect();
    for (name, secret) in &variables {
        match &set[name] {
            Ok(value) => assert!(
                !secret,
                "{name} is secret: take it from a secretKeyRef, got a literal {value:?}"
            ),
            Err((kind, object, key)) => {
                assert!(
                    !secret || kind == "secretKeyRef",
                    "{name} is secret: a {kind} is not a secret store"
                );
                let k8s_kind = if kind == "secretKeyRef" {
                    "Secret"
                } else {
                    "ConfigMap"
                };
                let doc = objects
                    .get(&(k8s_kind.to_string(), object.clone()))
                    .unwrap_or_else(|| {
                        panic!("{name}: no {k8s_kind} {object:?} in deploy/spinkube")
                    });
                let data = doc.get("stringData").or_else(|| doc.get("data")).unwrap();
                assert!(
                    data.get(key.as_str()).is_some(),
                    "{name}: {object} has no key {key:?}"
                );
            }
        }
    }
    // The committed Secret is a template: placeholders only.
    for ((kind, name), doc) in &objects {
        if kind == "Secret" {
            for (k, v) in doc["stringData"].as_mapping().expect("stringData") {
                let v = v.as_str().unwrap_or("");
                assert!(
                    v.contains("REEMPLAZAR"),
                    "Secret {name}: {k:?} holds a real-looking value; commit placeholders only"
                );
            }
        }
    }
}

#[test]
fn the_store_is_redis_with_an_fsynced_append_only_file() {
    let app = spin_app();
    let stores = app["spec"]["runtimeConfig"]["keyValueStores"]
        .as_sequence()
        .expect("runtimeConfig.keyValueStores");
    let default = stores
        .iter()
        .find(|s| str_at(s, &["name"]) == Some("default"))
        .expect("the default store");
    assert_eq!(str_at(default, &["type"]), Some("redis"));
    let options = sources(&default["options"]);
    assert!(
        matches!(&options["url"], Err((kind, _, _)) if kind == "secretKeyRef"),
        "the Redis URL carries a password: take it from a secret"
    );

    let redis = documents()
        .into_iter()
        .find(|(_, d)| str_at(d, &["kind"]) == Some("StatefulSet"))
        .expect("the Redis StatefulSet")
        .1;
    let args = serde_yaml::to_string(&redis["spec"]["template"]["spec"]["containers"]).unwrap();
    for flag in ["--appendonly yes", "--appendfsync always"] {
        assert!(args.contains(flag), "redis-server needs {flag}: {args}");
    }
    // Issue 15: one primary restarted in place on its volume (no asynchronous replica to fail
    // over to, which could lose acknowledged writes), and restarted when it stops answering.
    assert_eq!(redis["spec"]["replicas"].as_u64(), Some(1), "one primary");
    let container = &redis["spec"]["template"]["spec"]["containers"][0];
    let claim = str_at(
        &redis["spec"]["volumeClaimTemplates"][0],
        &["metadata", "name"],
    )
    .expect("a persistent volume for the append-only file");
    let mounted = container["volumeMounts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|m| str_at(m, &["name"]) == Some(claim))
        .and_then(|m| str_at(m, &["mountPath"]))
        .expect("the volume is mounted");
    assert!(
        args.contains(&format!("--dir {mounted}")),
        "the append-only file lives on the volume ({mounted}): {args}"
    );
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let command = serde_yaml::to_string(&container[probe]["exec"]["command"]).unwrap();
        assert!(
            command.contains("ping"),
            "{probe} asks Redis itself: {command}"
        );
    }
    let env = serde_yaml::to_string(&container["env"]).unwrap();
    assert!(
        env.contains("REDISCLI_AUTH"),
        "the probes authenticate without the password on a command line"
    );

    let config = RuntimeConfig::load(&deploy_dir().join("runtime-config.redis.toml")).unwrap();
    assert!(matches!(
        &config.key_value_stores["default"],
        KvStoreConfig::Redis { url } if url.starts_with("redis://")
    ));
}

/// The literal production values of the SpinApp, plus test secrets, start the app in
/// production: it answers, and it refuses the demo e.firma it would accept in demo mode.
#[test]
fn the_production_values_run_in_production_mode() {
    let app_doc = spin_app();
    let mut options = TestOptions::app()
        .variable("clave_sesion", TEST_SESSION_KEY)
        .variable("clave_contrasena", TEST_PASSWORD_KEY)
        .variable("llave_sello", test_seal_pem());
    for (name, source) in sources(&app_doc["spec"]["variables"]) {
        if let Ok(value) = source {
            options = options.variable(name, value);
        }
    }
    let app = TestApp::start(options);
    let salud = app.get("/api/v1/salud");
    assert_eq!(salud.status, 200, "{}", salud.text());
    let act = prepare(
        &app,
        &Signer::demo(PATRON),
        "INICIO_SESION",
        None,
        &[("rol", "patron")],
    );
    let r = send_act(&app, "/api/v1/sesiones", &act);
    assert!(
        (400..500).contains(&r.status),
        "production must refuse the demo CA: {} {}",
        r.status,
        r.text()
    );
}

/// A `checks.<which>` probe of the SpinApp: its path, timeout, period and failure threshold.
struct Probe {
    path: String,
    timeout: std::time::Duration,
    period: u64,
    failures: u64,
}

fn probe(which: &str) -> Probe {
    let app = spin_app();
    let p = &app["spec"]["checks"][which];
    let secs = |field: &str| {
        p[field]
            .as_u64()
            .unwrap_or_else(|| panic!("checks.{which}.{field} must be set"))
    };
    Probe {
        path: str_at(p, &["httpGet", "path"])
            .unwrap_or_else(|| panic!("checks.{which}.httpGet.path"))
            .to_string(),
        timeout: std::time::Duration::from_secs(secs("timeoutSeconds")),
        period: secs("periodSeconds"),
        failures: secs("failureThreshold"),
    }
}

/// The component spin.toml routes `path` to, and the stores it may open.
fn served_by(path: &str) -> (String, Vec<String>) {
    let manifest =
        avisos_host::manifest::Manifest::load(&workspace_root().join("spin.toml")).unwrap();
    let router = avisos_host::routes::Router::build(
        manifest
            .routes
            .iter()
            .map(|r| (r.route.as_str(), r.component.as_str())),
    )
    .unwrap();
    let component = router
        .route(path)
        .unwrap_or_else(|| panic!("no route for {path}"))
        .component;
    let stores = manifest.components[&component].key_value_stores.clone();
    (component, stores)
}

/// Issue 15: the app's readiness probe asks the health check, which touches the store, with a
/// timeout short enough that an instance whose store hangs (Spin's Redis client waits without
/// limit) leaves the Service within seconds; the liveness probe never touches the store, so a
/// store outage does not restart pods.
#[test]
fn readiness_checks_the_store_quickly_and_liveness_never_touches_it() {
    let ready = probe("readiness");
    assert_eq!(ready.path, "/api/v1/salud");
    let (component, stores) = served_by(&ready.path);
    assert_eq!(component, "health");
    assert_eq!(
        stores,
        ["default"],
        "the readiness check must reach the store"
    );
    assert!(
        ready.timeout <= std::time::Duration::from_secs(3),
        "a hung store must fail the probe within seconds, not {:?}",
        ready.timeout
    );
    assert!(
        ready.period * ready.failures <= 15,
        "out of the Service within 15 s of the store hanging"
    );

    let live = probe("liveness");
    let (component, stores) = served_by(&live.path);
    assert!(
        stores.is_empty(),
        "liveness must not depend on the store: {} is served by {component}, which opens {stores:?}",
        live.path
    );
    assert!(live.period * live.failures >= 30, "liveness is not hasty");
}

/// The probes of the manifest, played against the app on a Redis server that freezes and then
/// dies: while it is away the readiness probe gets no answer within its timeout, time after
/// time (the pod would leave the Service) and the liveness probe keeps passing (no restart);
/// once Redis is back, the readiness probe passes again by itself.
#[test]
fn the_manifest_probes_take_an_instance_whose_store_hangs_out_of_rotation() {
    use avisos_host::testing::{RedisServer, TestKv, TestRequest};
    let ready = probe("readiness");
    let live = probe("liveness");
    let mut server = RedisServer::durable();
    let app = TestApp::start(
        avisos_e2e::app_options()
            .kv(TestKv::Redis(server.url(0)))
            .redis_max_reconnect_delay(std::time::Duration::from_secs(2)),
    );
    let passes = |p: &Probe| {
        app.send_in_background(TestRequest::get(&p.path))
            .wait(p.timeout)
            .is_some_and(|r| (200..400).contains(&r.status))
    };
    assert!(passes(&ready), "ready while Redis answers");
    assert!(passes(&live));
    for away in ["frozen", "killed"] {
        if away == "frozen" {
            server.freeze(true);
        } else {
            server.kill();
        }
        for attempt in 0..ready.failures {
            assert!(!passes(&ready), "{away}: probe {attempt} passed");
        }
        assert!(passes(&live), "{away}: liveness must keep passing");
        if away == "frozen" {
            server.freeze(false);
        } else {
            server.resume();
        }
        let back = (0..30).any(|_| {
            passes(&ready) || {
                std::thread::sleep(std::time::Duration::from_millis(500));
                false
            }
        });
        assert!(back, "{away}: ready again once Redis is back");
    }
}
