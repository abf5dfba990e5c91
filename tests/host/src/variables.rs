//! Spin variables: application `[variables]`, component templates and their resolution.
//!
//! Resolution follows `spin up`: a value comes from an explicit override (the `--variable` flag
//! or the test API), else from the environment as `SPIN_VARIABLE_<NAME>`, else from the
//! variable's `default`. Every application variable is resolved at start-up, so a required
//! variable with no value stops the host before it serves anything. Values are never logged.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// The environment variable prefix Spin's environment provider reads.
pub const ENV_PREFIX: &str = "SPIN_VARIABLE_";

/// An application variable declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDecl {
    pub default: Option<String>,
    pub required: bool,
    pub secret: bool,
}

/// Checks a variable name with Spin's rules: lower-case ASCII letters, digits and single
/// underscores, starting with a letter and ending with a letter or digit.
pub fn validate_name(name: &str) -> Result<(), String> {
    let Some(first) = name.bytes().next() else {
        return Err("must not be empty".into());
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(format!(
            "invalid character {bad:?}. Variable names may contain only lower-case letters, \
             numbers, and underscores."
        ));
    }
    if !first.is_ascii_lowercase() {
        return Err("must start with a lowercase ASCII letter".into());
    }
    if !name
        .bytes()
        .last()
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return Err("must end with a lowercase ASCII letter or digit".into());
    }
    if name.contains("__") {
        return Err("must not contain multiple consecutive underscores".into());
    }
    Ok(())
}

/// The environment variable that supplies a Spin variable's value.
pub fn env_name(variable: &str) -> String {
    format!("{ENV_PREFIX}{}", variable.to_ascii_uppercase())
}

/// A component variable value: literal text and `{{ variable }}` references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

impl Template {
    /// Parses a template the way Spin does: `{{` opens an expression up to the next `}}`,
    /// whose trimmed contents name an application variable.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after_open) = rest.strip_prefix("{{") {
                let (expr, after) = after_open
                    .split_once("}}")
                    .ok_or_else(|| "unmatched '{{' in template".to_string())?;
                let name = expr.trim();
                validate_name(name).map_err(|r| format!("invalid reference {name:?}: {r}"))?;
                parts.push(Part::Expr(name.to_owned()));
                rest = after;
            } else {
                let end = rest.find("{{").unwrap_or(rest.len());
                parts.push(Part::Lit(rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
        Ok(Self { parts })
    }

    /// The application variables this template refers to.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(name) => Some(name.as_str()),
            Part::Lit(_) => None,
        })
    }

    fn render(&self, values: &HashMap<String, String>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                Part::Expr(name) => out.push_str(values.get(name)?),
            }
        }
        Some(out)
    }
}

/// A start-up failure while resolving variables.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VariableError {
    #[error(
        "required variable {name:?} has no value: set {env} in the environment \
         (or pass --variable {name}=...)"
    )]
    MissingRequired { name: String, env: String },
    #[error("a value was given for {name:?}, which is not an application variable")]
    UnknownOverride { name: String },
}

/// Resolved component variables: component ID → name → value.
#[derive(Clone, Default)]
pub struct ResolvedVariables {
    app: HashMap<String, String>,
    by_component: HashMap<String, Arc<ComponentVariables>>,
}

/// One component's resolved variables.
#[derive(Clone, Default)]
pub struct ComponentVariables {
    values: BTreeMap<String, String>,
}

impl ComponentVariables {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

// Values may be secrets: debug output shows names only.
impl fmt::Debug for ComponentVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl fmt::Debug for ResolvedVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedVariables")
            .field("app", &self.app.keys().collect::<Vec<_>>())
            .field("components", &self.by_component)
            .finish()
    }
}

impl ResolvedVariables {
    /// Resolves every application variable, then every component template.
    ///
    /// `overrides` win over `env`, which wins over defaults. `env` is a lookup so that tests
    /// need not touch the process environment.
    pub fn resolve<'a>(
        app: &BTreeMap<String, VariableDecl>,
        components: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, Template>)>,
        overrides: &HashMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariableError> {
        if let Some(name) = overrides.keys().find(|k| !app.contains_key(*k)) {
            return Err(VariableError::UnknownOverride { name: name.clone() });
        }
        let mut values = HashMap::new();
        for (name, decl) in app {
            let value = overrides
                .get(name)
                .cloned()
                .or_else(|| env(&env_name(name)))
                .or_else(|| decl.default.clone());
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => {
                    return Err(VariableError::MissingRequired {
                        name: name.clone(),
                        env: env_name(name),
                    });
                }
            }
        }
        let mut by_component = HashMap::new();
        for (id, templates) in components {
            let mut resolved = BTreeMap::new();
            for (name, template) in templates {
                // The manifest checked every reference, and every variable has a value.
                if let Some(v) = template.render(&values) {
                    resolved.insert(name.clone(), v);
                }
            }
            by_component.insert(
                id.to_owned(),
                Arc::new(ComponentVariables { values: resolved }),
            );
        }
        Ok(Self {
            app: values,
            by_component,
        })
    }

    /// Renders a template over the application variables (used for templated manifest
    /// fields such as `allowed_outbound_hosts`).
    pub fn render(&self, template: &Template) -> Option<String> {
        template.render(&self.app)
    }

    /// A component's variables (empty if it declares none).
    pub fn component(&self, id: &str) -> Arc<ComponentVariables> {
        self.by_component.get(id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_spin_rules() {
        for good in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3", "app_version"] {
            validate_name(good).unwrap();
        }
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn template_parts() {
        let t = Template::parse("pre-{{ a }}-{{b}}{{ c }}").unwrap();
        assert_eq!(t.references().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(Template::parse("{{ open").is_err());
        assert!(Template::parse("{{ Bad }}").is_err());
        assert_eq!(Template::parse("").unwrap().references().count(), 0);
    }

    fn app() -> BTreeMap<String, VariableDecl> {
        let mut app = BTreeMap::new();
        app.insert(
            "greeting".into(),
            VariableDecl {
                default: Some("hola".into()),
                required: false,
                secret: false,
            },
        );
        app.insert(
            "token".into(),
            VariableDecl {
                default: None,
                required: true,
                secret: true,
            },
        );
        app
    }

    fn templates() -> BTreeMap<String, Template> {
        let mut t = BTreeMap::new();
        t.insert(
            "message".into(),
            Template::parse("{{ greeting }}, mundo").unwrap(),
        );
        t.insert("secret".into(), Template::parse("{{token}}").unwrap());
        t.insert("fixed".into(), Template::parse("literal").unwrap());
        t
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_env_and_overrides() {
        let t = templates();
        let r = ResolvedVariables::resolve(
            &app(),
            [("c", &t)],
            &HashMap::new(),
            env_of(&[("SPIN_VARIABLE_TOKEN", "s3cret")]),
        )
        .unwrap();
        let c = r.component("c");
        assert_eq!(c.get("message"), Some("hola, mundo"));
        assert_eq!(c.get("secret"), Some("s3cret"));
        assert_eq!(c.get("fixed"), Some("literal"));
        assert_eq!(
            c.get("greeting"),
            None,
            "only component variables are visible"
        );

        let r = ResolvedVariables::resolve(
            &app(),
            [("c", &t)],
            &HashMap::from([("greeting".to_string(), "buenas".to_string())]),
            env_of(&[
                ("SPIN_VARIABLE_TOKEN", "s3cret"),
                ("SPIN_VARIABLE_GREETING", "hey"),
            ]),
        )
        .unwrap();
        assert_eq!(r.component("c").get("message"), Some("buenas, mundo"));

        let r = ResolvedVariables::resolve(
            &app(),
            [("c", &t)],
            &HashMap::new(),
            env_of(&[
                ("SPIN_VARIABLE_TOKEN", "s3cret"),
                ("SPIN_VARIABLE_GREETING", "hey"),
            ]),
        )
        .unwrap();
        assert_eq!(r.component("c").get("message"), Some("hey, mundo"));
        assert!(
            !format!("{r:?}").contains("s3cret"),
            "debug output hides values"
        );
    }

    #[test]
    fn missing_required_is_an_error_naming_it() {
        let t = templates();
        let e = ResolvedVariables::resolve(&app(), [("c", &t)], &HashMap::new(), env_of(&[]))
            .unwrap_err();
        assert_eq!(
            e,
            VariableError::MissingRequired {
                name: "token".into(),
                env: "SPIN_VARIABLE_TOKEN".into()
            }
        );
        assert!(e.to_string().contains("SPIN_VARIABLE_TOKEN"));
    }

    #[test]
    fn unknown_override_is_refused() {
        let e = ResolvedVariables::resolve(
            &app(),
            [],
            &HashMap::from([("nope".to_string(), "1".to_string())]),
            env_of(&[("SPIN_VARIABLE_TOKEN", "x")]),
        )
        .unwrap_err();
        assert_eq!(
            e,
            VariableError::UnknownOverride {
                name: "nope".into()
            }
        );
    }
}
