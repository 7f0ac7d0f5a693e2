//! Segment definitions: a JSON condition tree over a contact's attributes, consent, country and
//! events. Parsing validates the whole tree and points each problem at its node (a JSON
//! pointer), so that a builder UI can mark it. Evaluation is the store's: it compiles a
//! [`Condition`] to SQL; [`Comparison::holds`] is the same test in memory, for goal filters.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::contact::{Consent, MAX_ATTRIBUTE_NAME};

/// Most nodes a definition may have.
pub const MAX_NODES: usize = 200;
/// Deepest nesting of `and` / `or` / `not`.
pub const MAX_DEPTH: usize = 12;
/// Longest look-back of an event condition.
pub const MAX_WITHIN_DAYS: u32 = 3650;

/// A condition on a contact.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Attribute(Comparison),
    Consent(Vec<Consent>),
    Country(Vec<String>),
    Event(EventCondition),
}

/// `name op value` over a JSON document (attributes or an event's properties).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub op: Op,
    /// `None` only for [`Op::Exists`].
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    /// True also where the value is missing: the negation of `=`.
    Ne,
    Lt,
    Gt,
    /// Substring of a string, or element of an array.
    Contains,
    Exists,
}

/// "Performed `name` (with these property filters) between `at_least` and `at_most` times in the
/// last `within_days` days". `at_least` is 1 unless only `at_most` is given, in which case it is
/// 0; "has not performed" is `at_most: Some(0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventCondition {
    pub name: String,
    pub filters: Vec<Comparison>,
    pub at_least: u32,
    pub at_most: Option<u32>,
    pub within_days: Option<u32>,
}

/// A problem with one node of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinitionProblem {
    /// JSON pointer to the node, e.g. `/and/1/op`.
    pub path: String,
    pub message: String,
}

impl Condition {
    /// Parses and validates a definition; every problem is returned, each with its node.
    pub fn parse(json: &Value) -> Result<Self, Vec<DefinitionProblem>> {
        let mut parser = Parser::default();
        let condition = parser.node(json, "", 0);
        match condition {
            Some(c) if parser.problems.is_empty() => Ok(c),
            _ => Err(parser.problems),
        }
    }
}

impl Comparison {
    /// Whether `doc` (a contact's attributes or an event's properties) satisfies this comparison,
    /// exactly as the SQL the store compiles does: a null member is a missing one, numbers
    /// compare as numbers, strings by their bytes, and values of different kinds never order.
    pub fn holds(&self, doc: &Map<String, Value>) -> bool {
        let member = doc.get(&self.name).filter(|v| !v.is_null());
        let value = self.value.as_ref();
        match (self.op, member, value) {
            (Op::Exists, member, _) => member.is_some(),
            (Op::Eq, member, value) => equal(member, value),
            (Op::Ne, member, value) => !equal(member, value),
            (Op::Lt | Op::Gt, Some(m), Some(v)) => {
                let order = match (m, v) {
                    (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
                    (Value::String(a), Value::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
                    _ => None,
                };
                order
                    == Some(if self.op == Op::Lt {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    })
            }
            (Op::Contains, Some(m), Some(Value::String(needle))) => match m {
                Value::String(s) => s.contains(needle.as_str()),
                Value::Array(items) => items.iter().any(|i| i.as_str() == Some(needle.as_str())),
                _ => false,
            },
            (Op::Lt | Op::Gt | Op::Contains, _, _) => false,
        }
    }
}

/// `=` over a member: false when either side is missing, so that `!=` holds there.
fn equal(member: Option<&Value>, value: Option<&Value>) -> bool {
    match (member, value) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[derive(Default)]
struct Parser {
    problems: Vec<DefinitionProblem>,
    nodes: usize,
}

const KINDS: &str = "and, or, not, attribute, consent, country, event or not_performed";

impl Parser {
    fn problem<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.problems.push(DefinitionProblem {
            path: path.to_owned(),
            message: message.into(),
        });
        None
    }

    fn node(&mut self, json: &Value, path: &str, depth: usize) -> Option<Condition> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return (self.nodes == MAX_NODES + 1)
                .then(|| {
                    self.problem(
                        path,
                        format!("a definition has at most {MAX_NODES} conditions"),
                    )
                })
                .flatten();
        }
        if depth > MAX_DEPTH {
            return self.problem(path, format!("conditions nest at most {MAX_DEPTH} deep"));
        }
        let Some(object) = json.as_object() else {
            return self.problem(
                path,
                format!("a condition is an object with one of {KINDS}"),
            );
        };
        let kinds: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|k| {
                matches!(
                    *k,
                    "and"
                        | "or"
                        | "not"
                        | "attribute"
                        | "consent"
                        | "country"
                        | "event"
                        | "not_performed"
                )
            })
            .collect();
        let kind = match kinds.as_slice() {
            [kind] => *kind,
            [] => return self.problem(path, format!("a condition needs one of {KINDS}")),
            several => {
                return self.problem(
                    path,
                    format!(
                        "a condition has one kind, this one has {}",
                        several.join(", ")
                    ),
                );
            }
        };
        match kind {
            "and" | "or" => self.group(object, kind, path, depth),
            "not" => {
                self.only(object, &["not"], path);
                self.node(&object["not"], &format!("{path}/not"), depth + 1)
                    .map(|inner| Condition::Not(Box::new(inner)))
            }
            "attribute" => {
                self.only(object, &["attribute", "op", "value"], path);
                self.comparison(object, "attribute", path)
                    .map(Condition::Attribute)
            }
            "consent" => {
                self.only(object, &["consent"], path);
                self.list(&object["consent"], &format!("{path}/consent"), |s| {
                    s.parse::<Consent>()
                        .ok()
                        .filter(|_| Consent::ALL.iter().any(|c| c.as_str() == s))
                        .ok_or_else(|| {
                            format!(
                                "unknown consent {s:?}: use subscribed, unsubscribed or unknown"
                            )
                        })
                })
                .map(Condition::Consent)
            }
            "country" => {
                self.only(object, &["country"], path);
                self.list(&object["country"], &format!("{path}/country"), |s| {
                    let upper = s.to_ascii_uppercase();
                    (upper.len() == 2 && upper.bytes().all(|b| b.is_ascii_uppercase()))
                        .then_some(upper)
                        .ok_or_else(|| format!("{s:?} is not a two-letter country code"))
                })
                .map(Condition::Country)
            }
            _ => self.event(object, kind, path),
        }
    }

    fn only(&mut self, object: &Map<String, Value>, allowed: &[&str], path: &str) {
        for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.problem::<()>(
                &format!("{path}/{}", escape(key)),
                format!(
                    "unexpected field {key:?} here (allowed: {})",
                    allowed.join(", ")
                ),
            );
        }
    }

    fn group(
        &mut self,
        object: &Map<String, Value>,
        kind: &str,
        path: &str,
        depth: usize,
    ) -> Option<Condition> {
        self.only(object, &[kind], path);
        let path = format!("{path}/{kind}");
        let Some(items) = object[kind].as_array().filter(|items| !items.is_empty()) else {
            return self.problem(
                &path,
                format!("{kind} takes a non-empty list of conditions"),
            );
        };
        let parsed: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.node(item, &format!("{path}/{i}"), depth + 1))
            .collect();
        let parsed: Option<Vec<_>> = parsed.into_iter().collect();
        parsed.map(|all| {
            if kind == "and" {
                Condition::And(all)
            } else {
                Condition::Or(all)
            }
        })
    }

    fn list<T>(
        &mut self,
        json: &Value,
        path: &str,
        each: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let items: Vec<&Value> = match json {
            Value::Array(items) if !items.is_empty() => items.iter().collect(),
            Value::String(_) => vec![json],
            _ => {
                self.problem::<()>(path, "takes a string or a non-empty list of strings");
                return None;
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let item_path = if json.is_array() {
                format!("{path}/{i}")
            } else {
                path.to_owned()
            };
            match item.as_str().map(&each) {
                Some(Ok(value)) => out.push(value),
                Some(Err(message)) => {
                    self.problem::<()>(&item_path, message);
                }
                None => {
                    self.problem::<()>(&item_path, "must be a string");
                }
            }
        }
        (out.len() == json.as_array().map_or(1, Vec::len)).then_some(out)
    }

    fn name(&mut self, json: &Value, path: &str, what: &str) -> Option<String> {
        match json.as_str().map(str::trim) {
            Some(name)
                if !name.is_empty()
                    && name.len() <= MAX_ATTRIBUTE_NAME
                    && !name.contains(['"', '\\']) =>
            {
                Some(name.to_owned())
            }
            _ => {
                self.problem::<()>(
                    path,
                    format!("{what} must be 1 to {MAX_ATTRIBUTE_NAME} bytes, without quotes or backslashes"),
                );
                None
            }
        }
    }

    fn comparison(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<Comparison> {
        let name = self.name(&object[key], &format!("{path}/{}", escape(key)), "a name");
        let op = match object.get("op").and_then(Value::as_str) {
            Some("=") => Some(Op::Eq),
            Some("!=") => Some(Op::Ne),
            Some("<") => Some(Op::Lt),
            Some(">") => Some(Op::Gt),
            Some("contains") => Some(Op::Contains),
            Some("exists") => Some(Op::Exists),
            _ => {
                self.problem::<()>(
                    &format!("{path}/op"),
                    "op must be one of =, !=, <, >, contains, exists",
                );
                None
            }
        }?;
        let value = object.get("value");
        let value_path = format!("{path}/value");
        let value = match (op, value) {
            (Op::Exists, None) => None,
            (Op::Exists, Some(_)) => {
                return self.problem(&value_path, "exists takes no value");
            }
            (_, None) => return self.problem(&value_path, "this op needs a value"),
            (Op::Eq | Op::Ne, Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)))) => {
                Some(v.clone())
            }
            (Op::Lt | Op::Gt, Some(v @ (Value::String(_) | Value::Number(_)))) => Some(v.clone()),
            (Op::Contains, Some(v @ Value::String(_))) => Some(v.clone()),
            (Op::Contains, Some(_)) => return self.problem(&value_path, "contains takes a string"),
            (Op::Lt | Op::Gt, Some(_)) => {
                return self.problem(&value_path, "< and > compare with a number or a string");
            }
            (_, Some(_)) => {
                return self.problem(&value_path, "compare with a string, a number or true/false");
            }
        };
        Some(Comparison {
            name: name?,
            op,
            value,
        })
    }

    fn event(&mut self, object: &Map<String, Value>, kind: &str, path: &str) -> Option<Condition> {
        let negated = kind == "not_performed";
        let allowed: &[&str] = if negated {
            &["not_performed", "where", "within_days"]
        } else {
            &["event", "where", "at_least", "at_most", "within_days"]
        };
        self.only(object, allowed, path);
        let name = self.name(&object[kind], &format!("{path}/{kind}"), "an event name");
        let count = |parser: &mut Self, key: &str, min: u32| -> Result<Option<u32>, ()> {
            match object.get(key) {
                None => Ok(None),
                Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) if n >= min => Ok(Some(n)),
                    _ => {
                        parser.problem::<()>(
                            &format!("{path}/{key}"),
                            format!("{key} must be a whole number of at least {min}"),
                        );
                        Err(())
                    }
                },
            }
        };
        let at_least = count(self, "at_least", 1);
        let at_most = count(self, "at_most", 0);
        let within_days = count(self, "within_days", 1);
        if let Ok(Some(days)) = within_days
            && days > MAX_WITHIN_DAYS
        {
            self.problem::<()>(
                &format!("{path}/within_days"),
                format!("within_days is at most {MAX_WITHIN_DAYS}"),
            );
        }
        if let (Ok(Some(least)), Ok(Some(most))) = (at_least, at_most)
            && most < least
        {
            self.problem::<()>(
                &format!("{path}/at_most"),
                "at_most is smaller than at_least",
            );
        }
        let filters = match object.get("where") {
            None => Some(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let item_path = format!("{path}/where/{i}");
                    match item.as_object() {
                        Some(f) if f.contains_key("property") => {
                            self.only(f, &["property", "op", "value"], &item_path);
                            self.comparison(f, "property", &item_path)
                        }
                        _ => {
                            self.problem::<()>(
                                &item_path,
                                "a filter is {\"property\", \"op\", \"value\"}",
                            );
                            None
                        }
                    }
                })
                .collect::<Vec<_>>()
                .into_iter()
                .collect(),
            Some(_) => {
                self.problem::<()>(
                    &format!("{path}/where"),
                    "where takes a list of property filters",
                );
                None
            }
        };
        let (at_least, at_most, within_days) = (at_least.ok()?, at_most.ok()?, within_days.ok()?);
        let (at_least, at_most) = if negated {
            (0, Some(0))
        } else {
            (
                at_least.unwrap_or(if at_most.is_some() { 0 } else { 1 }),
                at_most,
            )
        };
        Some(Condition::Event(EventCondition {
            name: name?,
            filters: filters?,
            at_least,
            at_most,
            within_days,
        }))
    }
}

/// Escapes a key for a JSON pointer.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(json: Value) -> Vec<(String, String)> {
        Condition::parse(&json)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect()
    }

    #[test]
    fn a_three_part_definition_parses() {
        let parsed = Condition::parse(&json!({"and": [
            {"attribute": "tier", "op": "=", "value": "gold"},
            {"consent": "subscribed"},
            {"or": [
                {"event": "Order Completed", "where": [{"property": "total", "op": ">", "value": 50}],
                 "at_least": 2, "within_days": 30},
                {"not": {"country": ["us", "CA"]}},
                {"not_performed": "Cart Viewed"}
            ]}
        ]}))
        .unwrap();
        let Condition::And(parts) = parsed else {
            panic!()
        };
        assert_eq!(parts[1], Condition::Consent(vec![Consent::Subscribed]));
        let Condition::Or(alternatives) = &parts[2] else {
            panic!()
        };
        assert_eq!(
            alternatives[1],
            Condition::Not(Box::new(Condition::Country(vec!["US".into(), "CA".into()])))
        );
        let Condition::Event(never) = &alternatives[2] else {
            panic!()
        };
        assert_eq!((never.at_least, never.at_most), (0, Some(0)));
    }

    #[test]
    fn every_problem_points_at_its_node() {
        let found = problems(json!({"and": [
            {"attribute": "tier", "op": "~", "value": "gold"},
            {"consent": ["subscribed", "maybe"]},
            {"event": "Order Completed", "at_least": 3, "at_most": 1, "where": [{"property": "x", "op": "contains", "value": 5}]},
            {"or": []},
            {"colour": "red"}
        ]}));
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/and/0/op",
                "/and/1/consent/1",
                "/and/2/at_most",
                "/and/2/where/0/value",
                "/and/3/or",
                "/and/4"
            ]
        );
        assert!(found[1].1.contains("maybe"));
    }

    #[test]
    fn ops_take_the_values_they_can_compare() {
        assert_eq!(
            problems(json!({"attribute": "a", "op": "exists", "value": 1}))[0].0,
            "/value"
        );
        assert_eq!(
            problems(json!({"attribute": "a", "op": "<", "value": true}))[0].0,
            "/value"
        );
        assert_eq!(
            problems(json!({"attribute": "a", "op": "="}))[0].0,
            "/value"
        );
        assert_eq!(
            problems(json!({"attribute": "a\"b", "op": "exists"}))[0].0,
            "/attribute"
        );
        assert_eq!(
            problems(json!({"event": "x", "within_days": 0}))[0].0,
            "/within_days"
        );
        assert!(Condition::parse(&json!({"attribute": "a", "op": "exists"})).is_ok());
    }

    #[test]
    fn comparisons_hold_in_memory_as_in_sql() {
        let doc = json!({"total": 10, "tier": "gold", "tags": ["vip", "new"], "gone": null});
        let doc = doc.as_object().unwrap();
        let holds = |c: Value| {
            let Condition::Attribute(c) = Condition::parse(&c).unwrap() else {
                panic!()
            };
            c.holds(doc)
        };
        assert!(holds(
            json!({"attribute": "total", "op": "=", "value": 10.0})
        ));
        assert!(holds(
            json!({"attribute": "total", "op": ">", "value": 9.5})
        ));
        assert!(!holds(
            json!({"attribute": "total", "op": "<", "value": "9"})
        ));
        assert!(holds(json!({"attribute": "tier", "op": "<", "value": "h"})));
        assert!(holds(
            json!({"attribute": "tier", "op": "contains", "value": "ol"})
        ));
        assert!(holds(
            json!({"attribute": "tags", "op": "contains", "value": "vip"})
        ));
        assert!(!holds(
            json!({"attribute": "tags", "op": "contains", "value": "vi"})
        ));
        assert!(!holds(json!({"attribute": "gone", "op": "exists"})));
        assert!(holds(json!({"attribute": "gone", "op": "!=", "value": 1})));
        assert!(holds(
            json!({"attribute": "tier", "op": "!=", "value": "silver"})
        ));
        assert!(!holds(
            json!({"attribute": "missing", "op": "=", "value": false})
        ));
        assert!(!holds(
            json!({"attribute": "missing", "op": ">", "value": 0})
        ));
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let mut deep = json!({"consent": "subscribed"});
        for _ in 0..20 {
            deep = json!({"not": deep});
        }
        assert!(problems(deep)[0].1.contains("nest"));
        let wide = json!({"or": vec![json!({"consent": "unknown"}); 500]});
        let found = problems(wide);
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("at most"));
    }
}
