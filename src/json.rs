//! JSON helpers: reading documents with errors that point at the field, and objects that
//! keep their keys in order.
//!
//! serde alone says "invalid type at line 7 column 12"; with `serde_path_to_error` we also
//! say which field (`functions[0].workload.rate_per_s`), which is what a user needs to fix a
//! scenario.
//!
//! serde's derived internally tagged enums (`{"kind": "poisson", ...}`) buffer the object
//! before choosing the variant, which hides the fields inside from `serde_path_to_error`:
//! the path would stop at `functions[0].workload`. [`tagged!`] dispatches on
//! the tag itself and reads the variant with its own path tracker; the inner path travels
//! up in the message (`field `rate_per_s`: ...`, readable on its own) and [`parse`] joins
//! it to the outer one, and finds the field's line and column in the text with [`locate`].
//!
//! serde_json's map sorts its keys, but results keep functions, databases and sources in
//! scenario order, and a sweep keeps its parameters and metrics in column order: both
//! write `(name, value)` pairs through [`serialize_pairs`], and [`Ordered`] reads them back.

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};

fn field_path(path: &serde_path_to_error::Path, prefix: &str) -> String {
    let inner = path.to_string();
    match (prefix.is_empty(), inner == ".") {
        (true, _) => inner,
        (false, true) => prefix.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    }
}

/// How a tagged variant's inner path starts its error message (see [`tagged!`]).
const INNER: &str = "field `";

/// Splits a message made by [`variant`] into the inner path and the message proper.
fn split_inner(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix(INNER)?;
    let end = rest.find("`: ")?;
    Some((&rest[..end], &rest[end + 3..]))
}

/// `outer` and `inner` joined (`a.b` + `c[0]` → `a.b.c[0]`; `.` is the top).
fn join_paths(outer: &str, inner: &str) -> String {
    match (outer, inner) {
        (o, ".") => o.to_owned(),
        ("." | "", i) => i.to_owned(),
        (o, i) if i.starts_with('[') => format!("{o}{i}"),
        (o, i) => format!("{o}.{i}"),
    }
}

/// The full field path and the message of a serde error at `outer`.
fn resolve(outer: String, message: &str) -> (String, String) {
    let message = strip_position(message);
    match split_inner(&message) {
        Some((inner, rest)) => (join_paths(&outer, inner), rest.to_owned()),
        None => (outer, message),
    }
}

/// Parses `text` (the document `origin`) into `T`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let outer = field_path(e.path(), "");
        let inner = e.into_inner();
        if text.trim().is_empty() {
            return Error::Parse {
                origin: origin.to_owned(),
                field: ".".to_owned(),
                line: 1,
                column: 1,
                message: "the file is empty; expected a JSON object {...}".to_owned(),
            };
        }
        if !text.trim_start().starts_with('{') {
            // serde lets a struct be written as an array of its fields: without this the
            // user of `[1]` would read "`[0]`: expected a string".
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                return Error::Parse {
                    origin: origin.to_owned(),
                    field: ".".to_owned(),
                    line: 1,
                    column: 1 + text.len() - text.trim_start().len(),
                    message: format!("expected a JSON object {{...}}, got {}", kind_of(&v)),
                };
            }
        }
        let (field, message) = resolve(outer, &inner.to_string());
        // serde_path_to_error writes `?` for a position it cannot name (after a comma).
        let field = match field.strip_suffix('?') {
            Some("") => ".".to_owned(),
            Some(parent) => parent.trim_end_matches('.').to_owned(),
            None => field,
        };
        let message = syntax_message(message);
        let (line, column) = if field.is_empty() || field == "." {
            (inner.line(), inner.column())
        } else {
            // serde's own position is right after the bad value; a tagged variant's error
            // is raised at the end of its object, so look the field up instead.
            match split_inner(&strip_position(&inner.to_string())) {
                Some(_) => locate(text, &field).unwrap_or((inner.line(), inner.column())),
                None => (inner.line(), inner.column()),
            }
        };
        Error::Parse {
            origin: origin.to_owned(),
            field,
            line,
            // serde_json says column 0 for an error at a line break.
            column: column.max(1),
            message,
        }
    })?;
    // Trailing garbage after the document is an error too.
    de.end().map_err(|e| Error::Parse {
        origin: origin.to_owned(),
        field: ".".to_owned(),
        line: e.line(),
        column: e.column().max(1),
        message: syntax_message(strip_position(&e.to_string())),
    })?;
    Ok(value)
}

/// Converts an already-parsed JSON value (an inline profile, say) found at `prefix` inside
/// the document `origin`.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: Value,
    origin: &str,
    prefix: &str,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let outer = field_path(e.path(), prefix);
        let (field, message) = resolve(outer, &e.into_inner().to_string());
        Error::Invalid {
            origin: origin.to_owned(),
            field,
            message,
        }
    })
}

/// serde_json's terse syntax messages, said with what was expected.
fn syntax_message(message: String) -> String {
    match message.as_str() {
        "expected value" => {
            "expected a JSON value (a number, a string, true, false, null, an array or an object; NaN and Infinity are not JSON)".to_owned()
        }
        "trailing characters" => "expected the end of the document, found more text".to_owned(),
        "trailing comma" => "expected another value after the comma (JSON allows no trailing comma)".to_owned(),
        "number out of range" => "number out of range (expected a finite number, at most about 1.8e308)".to_owned(),
        m if m.starts_with("control character") => {
            "expected a closing `\"` before the end of the line (a string cannot hold a raw line break or control character; write \\n)".to_owned()
        }
        _ => message,
    }
}

/// `an array`, `a string`, ... for messages about a value of the wrong kind.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Splits a tagged object: checks it is an object whose `tag` names one of `variants`, and
/// returns the variant's name and the other fields. Used by [`tagged!`].
pub(crate) fn split_tag<'de, D: Deserializer<'de>>(
    d: D,
    tag: &'static str,
    variants: &'static [&'static str],
) -> std::result::Result<(String, Value), D::Error> {
    use serde::de::Error as _;
    let value = Value::deserialize(d)?;
    let Value::Object(mut map) = value else {
        return Err(D::Error::custom(format!(
            "expected an object with a `{tag}` field, got {}",
            kind_of(&value)
        )));
    };
    let name = match map.remove(tag) {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(D::Error::custom(format!(
                "{INNER}{tag}`: expected a string, one of {}, got {other}",
                quoted_list(variants)
            )));
        }
        None => return Err(D::Error::missing_field(tag)),
    };
    if !variants.contains(&name.as_str()) {
        return Err(D::Error::custom(format!(
            "{INNER}{tag}`: unknown variant `{name}`, expected one of {}",
            quoted_list(variants)
        )));
    }
    Ok((name, Value::Object(map)))
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one variant's fields (what [`split_tag`] left) into `T`, keeping the path of an
/// error inside it in the message, for [`parse`] and [`from_value`] to join.
pub(crate) fn variant<T: DeserializeOwned, E: serde::de::Error>(
    rest: Value,
) -> std::result::Result<T, E> {
    serde_path_to_error::deserialize(rest).map_err(|e| {
        let outer = e.path().to_string();
        let (field, message) = resolve(outer, &e.into_inner().to_string());
        if field == "." {
            E::custom(message)
        } else {
            E::custom(format!("{INNER}{field}`: {message}"))
        }
    })
}

/// Implements `Deserialize` for an enum written as a tagged object, each variant holding
/// one struct: `tagged!(WorkloadSpec, "kind", { "poisson" => Poisson(PoissonSpec), ... })`.
/// Unlike `#[serde(tag = "...")]`, errors inside a variant keep their field path.
macro_rules! tagged {
    ($ty:ident, $tag:literal, { $($name:literal => $variant:ident($payload:ty)),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const VARIANTS: &[&str] = &[$($name),+];
                let (name, rest) = $crate::json::split_tag(d, $tag, VARIANTS)?;
                match name.as_str() {
                    $($name => $crate::json::variant::<$payload, D::Error>(rest).map($ty::$variant),)+
                    _ => unreachable!("split_tag checked the name"),
                }
            }
        }
    };
}
pub(crate) use tagged;

/// The 1-based line and column where the value at `path` (`functions[0].workload.rate_per_s`,
/// as in messages) starts in the JSON `text`, if the path exists there.
pub(crate) fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let index: usize = r[..end].parse().ok()?;
            rest = &r[end + 1..];
            if bytes.get(at) != Some(&b'[') {
                return None;
            }
            at = skip_ws(bytes, at + 1);
            for _ in 0..index {
                at = skip_value(bytes, at)?;
                at = skip_ws(bytes, at);
                if bytes.get(at) != Some(&b',') {
                    return None;
                }
                at = skip_ws(bytes, at + 1);
            }
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            rest = &r[end..];
            if bytes.get(at) != Some(&b'{') {
                return None;
            }
            at = skip_ws(bytes, at + 1);
            loop {
                let key_end = skip_value(bytes, at)?;
                let found = text.get(at + 1..key_end - 1)? == key;
                at = skip_ws(bytes, key_end);
                if bytes.get(at) != Some(&b':') {
                    return None;
                }
                at = skip_ws(bytes, at + 1);
                if found {
                    break;
                }
                at = skip_ws(bytes, skip_value(bytes, at)?);
                if bytes.get(at) != Some(&b',') {
                    return None;
                }
                at = skip_ws(bytes, at + 1);
            }
        }
    }
    if at >= bytes.len() {
        return None;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some((line, text[line_start..at].chars().count() + 1))
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index just past the JSON value starting at `at` (a scan, not a validation: the
/// text has already been parsed once when this is called).
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at)? {
        b'"' => {
            let mut i = at + 1;
            loop {
                match *bytes.get(i)? {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match *bytes.get(i)? {
                    b'"' => {
                        i = skip_value(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            (i > at).then_some(i)
        }
    }
}

/// serde_json appends " at line L column C"; we report the position separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// `prefix.field`, or `field` alone at the top of a document.
pub(crate) fn join_path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Keys that mark an object as one tagged value (a distribution, a policy, a workload):
/// such an object replaces what it overlays instead of merging into it, so overriding a
/// lognormal with a constant does not leave a stray `median` behind.
const TAGS: [&str; 3] = ["dist", "policy", "kind"];

/// Overlays `patch` onto `base`: plain objects merge key by key (so one price can be
/// changed without repeating the others); tagged objects and all other values replace.
pub(crate) fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) if !TAGS.iter().any(|t| p.contains_key(*t)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// Serialises `(name, value)` pairs as a JSON object with the keys in slice order (for
/// `#[serde(serialize_with = ...)]` on a `Vec<(String, T)>`).
pub(crate) fn serialize_pairs<S: Serializer, T: Serialize>(
    pairs: &[(String, T)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// A JSON object whose key order is kept, read and written as `(key, value)` pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        /// Collects the entries in the order the document gives them.
        struct PairsVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Ordered<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(PairsVisitor(PhantomData))
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_pairs(&self.0, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        rate: f64,
    }

    #[test]
    fn errors_name_field_and_position() {
        let text = "{\"items\": [{\"rate\": 1},\n {\"rate\": \"x\"}]}";
        let err = parse::<Outer>(text, "s.json").unwrap_err().to_string();
        assert_eq!(
            err,
            "s.json:2:13: items[1].rate: invalid type: string \"x\", expected f64"
        );
        let err = parse::<Outer>("{\"items\": []} x", "s.json")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "s.json:1:15: .: expected the end of the document, found more text"
        );
        let v: Value = serde_json::json!({"rate": 1, "rat": 2});
        let err = from_value::<Inner>(v, "s.json", "items[0]")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("s.json: items[0].rat: unknown field `rat`"),
            "{err}"
        );
    }

    /// The positions are counted by hand in the text below (1-based).
    #[test]
    fn locate_finds_a_value_by_its_path() {
        let text = "{\"a\": {\"b\": [10, {\"c\": \"x,]}\"}],\n  \"d\": 1}, \"e\": null}";
        // Line 1: `{"a": {"b": [10, {"c": "x,]}"}],` — `[` at 13, `10` at 14, `"x,]}"` at 24.
        assert_eq!(locate(text, "a.b"), Some((1, 13)));
        assert_eq!(locate(text, "a.b[0]"), Some((1, 14)));
        assert_eq!(locate(text, "a.b[1].c"), Some((1, 24)));
        // Line 2: `  "d": 1}, "e": null}` — `1` at 8, `null` at 17; the string above holds
        // `]` and `}`, which must not end the array or object early.
        assert_eq!(locate(text, "a.d"), Some((2, 8)));
        assert_eq!(locate(text, "e"), Some((2, 17)));
        for missing in ["z", "a.b[2]", "a.b[0].c", "e.f"] {
            assert_eq!(locate(text, missing), None, "{missing}");
        }
    }

    #[derive(Debug, PartialEq)]
    enum Shape {
        Square(Side),
        Nested(Inner2),
    }
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Side {
        side: f64,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner2 {
        parts: Vec<Shape>,
    }
    tagged!(Shape, "shape", { "square" => Square(Side), "nested" => Nested(Inner2) });

    /// Errors inside a tagged variant keep the full path (serde's own tagged enums stopped
    /// at the enum), nested ones too; the tag's own errors name the tag.
    #[test]
    fn tagged_variants_keep_the_inner_path() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            s: Shape,
        }
        let err = |text: &str| parse::<Doc>(text, "d.json").unwrap_err().to_string();
        assert_eq!(
            parse::<Doc>(r#"{"s": {"side": 2, "shape": "square"}}"#, "d.json")
                .unwrap()
                .s,
            Shape::Square(Side { side: 2.0 })
        );
        assert_eq!(
            err(r#"{"s": {"shape": "square", "side": "2"}}"#),
            "d.json:1:35: s.side: invalid type: string \"2\", expected f64"
        );
        assert_eq!(
            err(r#"{"s": {"shape": "nested", "parts": [{"shape": "square", "sid": 1}]}}"#),
            "d.json:1:64: s.parts[0].sid: unknown field `sid`, expected `side`"
        );
        assert_eq!(
            err(r#"{"s": {"shape": "circle"}}"#),
            "d.json:1:17: s.shape: unknown variant `circle`, expected one of `square`, `nested`"
        );
        assert!(
            err(r#"{"s": {"side": 1}}"#).ends_with(": s: missing field `shape`"),
            "{}",
            err(r#"{"s": {"side": 1}}"#)
        );
        assert_eq!(
            err(r#"{"s": [1]}"#),
            "d.json:1:10: s: expected an object with a `shape` field, got an array"
        );
    }

    /// serde_json's own map would sort these keys; the order written is kept both ways.
    #[test]
    fn ordered_objects_keep_key_order() {
        let text = r#"{"zeta":1,"alpha":2,"mid":null}"#;
        let parsed: Ordered<Value> = serde_json::from_str(text).unwrap();
        let keys: Vec<&str> = parsed.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["zeta", "alpha", "mid"]);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
    }

    #[test]
    fn merge_overlays_objects() {
        let mut base = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut base, &serde_json::json!({"b": {"d": 4}, "e": 5}));
        assert_eq!(
            base,
            serde_json::json!({"a": 1, "b": {"c": 2, "d": 4}, "e": 5})
        );
    }
}
