//! Deployment (issue 9): the SpinKube manifests and the Redis runtime config in `deploy/` are
//! well-formed, cover every component and variable of `spin.toml` (read from the file, never
//! a hand list), set production mode with secrets from the cluster's secret store, and the
//! production values they set actually start the app in production.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use avisos_e2e::{PATRON, Signer, TEST_SESSION_KEY, prepare, send_act, test_seal_pem};
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
