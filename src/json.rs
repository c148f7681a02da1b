//! JSON helpers: reading documents with errors that point at the field, and objects that
//! keep their keys in order.
//!
//! serde alone says "invalid type at line 7 column 12"; with `serde_path_to_error` we also
//! say which field (`functions[0].workload.rate_per_s`), which is what a user needs to fix a
//! scenario.
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

/// Parses `text` (the document `origin`) into `T`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = field_path(e.path(), "");
        let inner = e.into_inner();
        Error::Parse {
            origin: origin.to_owned(),
            field,
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })?;
    // Trailing garbage after the document is an error too.
    de.end().map_err(|e| Error::Parse {
        origin: origin.to_owned(),
        field: ".".to_owned(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
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
    serde_path_to_error::deserialize(value).map_err(|e| Error::Invalid {
        origin: origin.to_owned(),
        field: field_path(e.path(), prefix),
        message: strip_position(&e.into_inner().to_string()),
    })
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
        assert!(err.contains("trailing characters"), "{err}");
        let v: Value = serde_json::json!({"rate": 1, "rat": 2});
        let err = from_value::<Inner>(v, "s.json", "items[0]")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("s.json: items[0].rat: unknown field `rat`"),
            "{err}"
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
