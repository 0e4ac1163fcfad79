//! A description as read: JSON or YAML into one ordered tree. Objects keep the document's key
//! order (so "the first example" is the document's first, and a converted or bundled description
//! reads like its source) without turning on order preservation for every JSON value in the
//! workspace; a key written twice in one object is refused with its line.

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use std::fmt;

/// One node of a description.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Doc {
    #[default]
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Doc>),
    Obj(IndexMap<String, Doc>),
}

pub type Map = IndexMap<String, Doc>;

static NULL: Doc = Doc::Null;

impl Doc {
    pub fn get(&self, key: &str) -> Option<&Doc> {
        match self {
            Doc::Obj(m) => m.get(key),
            _ => None,
        }
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Doc> {
        match self {
            Doc::Obj(m) => m.get_mut(key),
            _ => None,
        }
    }
    /// The member `key`, or null.
    pub fn at(&self, key: &str) -> &Doc {
        self.get(key).unwrap_or(&NULL)
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Doc::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Doc::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Doc::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Doc]> {
        match self {
            Doc::Arr(a) => Some(a),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Doc::Null)
    }
    pub fn str(s: impl Into<String>) -> Doc {
        Doc::Str(s.into())
    }
    pub fn obj<const N: usize>(pairs: [(&str, Doc); N]) -> Doc {
        Doc::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The node a JSON pointer (RFC 6901, `~0` and `~1` unescaped; the empty pointer is the
    /// node itself) names, if any.
    pub fn pointer(&self, pointer: &str) -> Option<&Doc> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/').try_fold(self, |node, raw| {
            let key = unescape(raw);
            match node {
                Doc::Obj(m) => m.get(key.as_str()),
                Doc::Arr(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
        })
    }

    /// Compact JSON, in the document's order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Nesting depth (objects and arrays), without recursion; stops counting past `limit`.
    pub fn depth(&self, limit: usize) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((v, d)) = stack.pop() {
            max = max.max(d);
            if max > limit {
                break;
            }
            match v {
                Doc::Arr(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
                Doc::Obj(o) => stack.extend(o.values().map(|x| (x, d + 1))),
                _ => {}
            }
        }
        max
    }
}

/// A pointer token: `~1` is `/`, `~0` is `~` (in that order).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A key as a pointer token.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The marker that starts the message of a key written twice (the parsers append its line).
pub(super) const DUPLICATE: &str = "\u{1}clave repetida: ";

impl serde::Serialize for Doc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Doc::Null => s.serialize_unit(),
            Doc::Bool(b) => s.serialize_bool(*b),
            Doc::Num(n) => n.serialize(s),
            Doc::Str(x) => s.serialize_str(x),
            Doc::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Doc::Obj(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Doc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("un valor JSON")
    }
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Doc, E> {
        Ok(Doc::Num(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Doc, E> {
        Ok(Doc::Num(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Doc, E> {
        // YAML's `.nan` and `.inf` have no JSON form: kept as text.
        Ok(serde_json::Number::from_f64(n).map_or_else(|| Doc::Str(n.to_string()), Doc::Num))
    }
    fn visit_str<E>(self, s: &str) -> Result<Doc, E> {
        Ok(Doc::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Doc, E> {
        Ok(Doc::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(x) = seq.next_element()? {
            out.push(x);
        }
        Ok(Doc::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut out = IndexMap::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(k) = map.next_key_seed(KeySeed)? {
            let v: Doc = map.next_value()?;
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!("{DUPLICATE}{k}")));
            }
            out.insert(k, v);
        }
        Ok(Doc::Obj(out))
    }
}

/// A key: YAML writes `200:` and `true:` unquoted; they become the text JSON would have.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("una clave de texto")
    }
    fn visit_str<E>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }
    fn visit_string<E>(self, s: String) -> Result<String, E> {
        Ok(s)
    }
    fn visit_i64<E>(self, n: i64) -> Result<String, E> {
        Ok(n.to_string())
    }
    fn visit_u64<E>(self, n: u64) -> Result<String, E> {
        Ok(n.to_string())
    }
    fn visit_f64<E>(self, n: f64) -> Result<String, E> {
        Ok(n.to_string())
    }
    fn visit_bool<E>(self, b: bool) -> Result<String, E> {
        Ok(b.to_string())
    }
    fn visit_unit<E>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_refuses_duplicates_and_reads_yaml_keys_as_text() {
        let d: Doc = serde_json::from_str(r#"{"z": 1, "a": {"y": [true, null], "b": "x"}}"#).unwrap_or_default();
        assert_eq!(d.to_json(), r#"{"z":1,"a":{"y":[true,null],"b":"x"}}"#);
        assert_eq!(d.pointer("/a/y/0"), Some(&Doc::Bool(true)));
        let e = serde_json::from_str::<Doc>("{\"a\": 1,\n \"a\": 2}").err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("clave repetida: a") && e.contains("line 2")),
            "{e:?}"
        );
        let y: Doc = serde_norway::from_str("responses:\n  200: {description: ok}\n  default: {}\n").unwrap_or_default();
        assert_eq!(y.to_json(), r#"{"responses":{"200":{"description":"ok"},"default":{}}}"#);
        let e = serde_norway::from_str::<Doc>("a: 1\nb: 2\na: 3\n").err().map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|e| e.contains("clave repetida: a")), "{e:?}");
        let d: Doc = serde_json::from_str(r#"{"a/b": {"c~d": 1}}"#).unwrap_or_default();
        assert_eq!(d.pointer("/a~1b/c~0d"), Some(&Doc::Num(1.into())));
        assert_eq!(escape("a/b~"), "a~1b~0");
    }
}
