//! A minimal JSON object writer: the signer returns a handful of string fields, not worth
//! serde_json's weight in the browser bundle.

pub struct Object {
    out: String,
}

impl Object {
    pub fn new() -> Object {
        Object {
            out: String::from("{"),
        }
    }

    fn key(&mut self, name: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        string(name, &mut self.out);
        self.out.push(':');
    }

    pub fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        string(value, &mut self.out);
    }

    pub fn opt_str(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(name, v),
            None => self.raw(name, "null"),
        }
    }

    /// A value that is already JSON.
    pub fn raw(&mut self, name: &str, json: &str) {
        self.key(name);
        self.out.push_str(json);
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_strings() {
        let mut o = Object::new();
        o.str("a", "x\"y\\z\n\u{1}ñ");
        o.opt_str("b", None);
        o.raw("c", "{}");
        assert_eq!(o.finish(), r#"{"a":"x\"y\\z\n\u0001ñ","b":null,"c":{}}"#);
    }
}
