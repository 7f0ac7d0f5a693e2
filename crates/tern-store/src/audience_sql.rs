//! Segment definitions compiled to SQL, for both backends: one compiler, two dialects. The
//! condition becomes a boolean expression over the contact row `c`; event conditions become
//! correlated subqueries that the events index `(contact_id, name, occurred_at)` answers.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use tern_domain::audience::{Comparison, Condition, EventCondition, Op};

/// The SQL flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Int(i64),
    Real(f64),
}

/// A compiled condition: `sql` refers to placeholders `$first..`, bound to `args` in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub args: Vec<Arg>,
}

/// Compiles `condition`; its placeholders start at `$first` (the caller's come before).
pub fn compile(
    condition: &Condition,
    dialect: Dialect,
    now: DateTime<Utc>,
    first: usize,
) -> Compiled {
    let mut compiler = Compiler {
        dialect,
        now,
        first,
        args: Vec::new(),
    };
    let sql = compiler.condition(condition);
    Compiled {
        sql,
        args: compiler.args,
    }
}

/// The SQL text of the JSON of attribute `name` of contact `c`, bound at `placeholder` to
/// [`member_key`]'s value: JSON text on both backends (`NULL` when missing).
pub fn member_json(dialect: Dialect, placeholder: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("(c.attributes -> {placeholder})"),
        Dialect::Postgres => format!("((c.attributes -> {placeholder})::text)"),
    }
}

/// What [`member_json`]'s placeholder is bound to. Names never hold quotes (templates and
/// definitions refuse them).
pub fn member_key(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("$.\"{name}\""),
        Dialect::Postgres => name.to_owned(),
    }
}

struct Compiler {
    dialect: Dialect,
    now: DateTime<Utc>,
    first: usize,
    args: Vec<Arg>,
}

impl Compiler {
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.first + self.args.len() - 1)
    }

    fn bool(&self, value: bool) -> &'static str {
        match (self.dialect, value) {
            (Dialect::Sqlite, true) => "1",
            (Dialect::Sqlite, false) => "0",
            (Dialect::Postgres, true) => "TRUE",
            (Dialect::Postgres, false) => "FALSE",
        }
    }

    fn condition(&mut self, condition: &Condition) -> String {
        match condition {
            Condition::And(parts) => self.join(parts, " AND "),
            Condition::Or(parts) => self.join(parts, " OR "),
            Condition::Not(inner) => format!("(NOT {})", self.condition(inner)),
            Condition::Consent(values) => {
                let list = values
                    .iter()
                    .map(|c| self.bind(Arg::Text(c.as_str().to_owned())))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("(c.consent IN ({list}))")
            }
            Condition::Country(codes) => {
                let list = codes
                    .iter()
                    .map(|code| self.bind(Arg::Text(code.clone())))
                    .collect::<Vec<_>>()
                    .join(", ");
                // A contact without a country (no phone) is in no country.
                format!("(COALESCE(c.country IN ({list}), {}))", self.bool(false))
            }
            Condition::Attribute(comparison) => self.comparison("c.attributes", comparison),
            Condition::Event(event) => self.event(event),
        }
    }

    fn join(&mut self, parts: &[Condition], op: &str) -> String {
        let parts: Vec<String> = parts.iter().map(|p| self.condition(p)).collect();
        format!("({})", parts.join(op))
    }

    /// The JSON type of a member of a JSON document column (`NULL` when it is missing).
    fn member_type(&mut self, doc: &str, name: &str) -> String {
        match self.dialect {
            // Names never hold quotes (the definition parser refuses them).
            Dialect::Sqlite => {
                let path = self.bind(Arg::Text(format!("$.\"{name}\"")));
                format!("json_type({doc}, {path})")
            }
            Dialect::Postgres => {
                let key = self.bind(Arg::Text(name.to_owned()));
                format!("jsonb_typeof({doc} -> {key})")
            }
        }
    }

    /// A member's value: SQL text or number on SQLite, `jsonb` on PostgreSQL.
    fn member_value(&mut self, doc: &str, name: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => {
                let path = self.bind(Arg::Text(format!("$.\"{name}\"")));
                format!("json_extract({doc}, {path})")
            }
            Dialect::Postgres => {
                let key = self.bind(Arg::Text(name.to_owned()));
                format!("({doc} -> {key})")
            }
        }
    }

    /// `(type expression, value expression)` of a member.
    fn member(&mut self, doc: &str, name: &str) -> (String, String) {
        (self.member_type(doc, name), self.member_value(doc, name))
    }

    /// A comparison that is true or false, never NULL, so that `not` negates it exactly.
    fn comparison(&mut self, doc: &str, comparison: &Comparison) -> String {
        let Comparison { name, op, value } = comparison;
        let sql = match (op, value) {
            (Op::Exists, _) | (_, None) => {
                let ty = self.member_type(doc, name);
                format!("COALESCE({ty}, 'null') <> 'null'")
            }
            (Op::Ne, Some(v)) => {
                let eq = self.equal(doc, name, v);
                format!("NOT COALESCE({eq}, {})", self.bool(false))
            }
            (Op::Eq, Some(v)) => self.equal(doc, name, v),
            (Op::Lt | Op::Gt, Some(v)) => self.order(doc, name, *op, v),
            (Op::Contains, Some(v)) => self.contains(doc, name, v.as_str().unwrap_or_default()),
        };
        format!("COALESCE(({sql}), {})", self.bool(false))
    }

    fn equal(&mut self, doc: &str, name: &str, value: &Value) -> String {
        match (self.dialect, value) {
            (Dialect::Postgres, _) => {
                let v = self.member_value(doc, name);
                let arg = self.bind(Arg::Text(value.to_string()));
                format!("{v} = {arg}::jsonb")
            }
            (Dialect::Sqlite, Value::Bool(b)) => {
                let ty = self.member_type(doc, name);
                format!("{ty} = '{b}'")
            }
            (Dialect::Sqlite, Value::Number(n)) => {
                let (ty, v) = self.member(doc, name);
                let arg = self.bind(Arg::Real(n.as_f64().unwrap_or(f64::NAN)));
                format!("{ty} IN ('integer', 'real') AND {v} = {arg}")
            }
            (Dialect::Sqlite, other) => {
                let (ty, v) = self.member(doc, name);
                let arg = self.bind(Arg::Text(other.as_str().unwrap_or_default().to_owned()));
                format!("{ty} = 'text' AND {v} = {arg}")
            }
        }
    }

    fn order(&mut self, doc: &str, name: &str, op: Op, value: &Value) -> String {
        let sign = if op == Op::Lt { "<" } else { ">" };
        let (ty, v) = self.member(doc, name);
        match (self.dialect, value) {
            (Dialect::Sqlite, Value::Number(n)) => {
                let arg = self.bind(Arg::Real(n.as_f64().unwrap_or(f64::NAN)));
                format!("{ty} IN ('integer', 'real') AND {v} {sign} {arg}")
            }
            (Dialect::Sqlite, other) => {
                let arg = self.bind(Arg::Text(other.as_str().unwrap_or_default().to_owned()));
                format!("{ty} = 'text' AND {v} {sign} {arg}")
            }
            (Dialect::Postgres, Value::Number(_)) => {
                // Two JSON numbers compare numerically.
                let arg = self.bind(Arg::Text(value.to_string()));
                format!("{ty} = 'number' AND {v} {sign} {arg}::jsonb")
            }
            (Dialect::Postgres, other) => {
                // Byte order, as SQLite compares text.
                let arg = self.bind(Arg::Text(other.as_str().unwrap_or_default().to_owned()));
                format!("{ty} = 'string' AND ({v} #>> '{{}}') COLLATE \"C\" {sign} {arg}")
            }
        }
    }

    fn contains(&mut self, doc: &str, name: &str, needle: &str) -> String {
        let (ty, v) = self.member(doc, name);
        let ty2 = self.member_type(doc, name);
        match self.dialect {
            Dialect::Sqlite => {
                let text = self.bind(Arg::Text(needle.to_owned()));
                let path = self.bind(Arg::Text(format!("$.\"{name}\"")));
                let element = self.bind(Arg::Text(needle.to_owned()));
                format!(
                    "({ty} = 'text' AND instr({v}, {text}) > 0) OR ({ty2} = 'array' AND EXISTS \
                     (SELECT 1 FROM json_each({doc}, {path}) WHERE json_each.value = {element}))"
                )
            }
            Dialect::Postgres => {
                let text = self.bind(Arg::Text(needle.to_owned()));
                let element = self.bind(Arg::Text(Value::from(needle).to_string()));
                format!(
                    "({ty} = 'string' AND strpos({v} #>> '{{}}', {text}) > 0) OR ({ty2} = 'array' \
                     AND {v} @> jsonb_build_array({element}::jsonb))"
                )
            }
        }
    }

    fn event(&mut self, event: &EventCondition) -> String {
        let name = self.bind(Arg::Text(event.name.clone()));
        let mut filter = format!("e.contact_id = c.id AND e.name = {name}");
        if let Some(days) = event.within_days {
            let since = self.now - TimeDelta::days(days.into());
            let since = self.bind(Arg::Int(since.timestamp_millis()));
            filter.push_str(&format!(" AND e.occurred_at >= {since}"));
        }
        for comparison in &event.filters {
            let sql = self.comparison("e.properties", comparison);
            filter.push_str(&format!(" AND {sql}"));
        }
        match (event.at_least, event.at_most) {
            (0, Some(0)) => format!("(NOT EXISTS (SELECT 1 FROM events e WHERE {filter}))"),
            (1, None) => format!("(EXISTS (SELECT 1 FROM events e WHERE {filter}))"),
            (least, most) => {
                // Counting stops one past what the condition needs to know.
                let cap = most.map_or(least, |m| m + 1);
                let count = format!(
                    "(SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE {filter} LIMIT {cap}) AS hits)"
                );
                match most {
                    Some(most) => format!("({count} BETWEEN {least} AND {most})"),
                    None => format!("({count} >= {least})"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn placeholders_follow_the_callers_and_match_the_arguments() {
        let condition = Condition::parse(&json!({"and": [
            {"attribute": "tier", "op": "contains", "value": "go"},
            {"event": "Order Completed", "at_least": 2, "within_days": 7,
             "where": [{"property": "total", "op": ">", "value": 10}]}
        ]}))
        .unwrap();
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let compiled = compile(&condition, dialect, Utc::now(), 2);
            let highest = (2..2 + compiled.args.len())
                .filter(|n| compiled.sql.contains(&format!("${n}")))
                .count();
            assert_eq!(
                highest,
                compiled.args.len(),
                "{dialect:?}: {}",
                compiled.sql
            );
            assert!(
                !compiled
                    .sql
                    .contains(&format!("${}", 2 + compiled.args.len()))
            );
        }
    }
}
