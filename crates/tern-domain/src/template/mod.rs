//! Message bodies as Liquid templates (`Hi {{ first_name | default: "there" }}`): checked at
//! design time — syntax, unknown variables, unavailable tags, each with its position — and
//! rendered per recipient within fixed bounds (output size, filter work, loop sizes), so no
//! template can stall or exhaust a sender.

mod filters;
mod scan;

use std::{
    collections::BTreeSet,
    io::{self, Write},
    sync::LazyLock,
};

use liquid::model::Value as LiquidValue;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::contact::{Cart, ContactState};

pub use filters::{MAX_FILTER_CALLS, MAX_LIST, MAX_VALUE_BYTES};
pub use scan::{MAX_BLOCK_DEPTH, MAX_LOOP_DEPTH, MAX_RANGE};

/// Longest template, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 8 * 1024;
/// Longest rendered text, in bytes: well past any SMS or MMS body, short of harm.
pub const MAX_OUTPUT_BYTES: usize = 8 * 1024;

/// A contact's own fields, as templates name them.
pub const CONTACT_FIELDS: &[(&str, &str)] = &[
    ("phone", "the contact's number, e.g. +14155552671"),
    ("external_id", "your id for the contact"),
    ("country", "the number's country, e.g. US"),
    ("timezone", "the contact's timezone, e.g. America/New_York"),
];
/// What `cart` holds in a cart reminder.
pub const CART_FIELDS: &[(&str, &str)] = &[
    ("items", "the cart's products (for item in cart.items)"),
    ("total", "the sum of price × quantity"),
    ("item_count", "how many items, quantities added up"),
    ("currency", "the cart's currency, e.g. USD"),
    ("url", "the page of the product added last"),
];
/// What each of `cart.items` holds.
pub const CART_ITEM_FIELDS: &[(&str, &str)] = &[
    ("product_id", "the product's id"),
    ("name", "the product's name"),
    ("price", "the unit price"),
    ("quantity", "how many"),
    ("image_url", "the product's picture"),
    ("url", "the product's page"),
];

/// What a template may read.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Attribute names some contact of the account has.
    pub attributes: BTreeSet<String>,
    /// Whether `cart` is available (cart reminders).
    pub cart: bool,
}

impl Vocabulary {
    fn knows(&self, root: &str) -> bool {
        CONTACT_FIELDS.iter().any(|(name, _)| *name == root) || self.attributes.contains(root)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        let cart = self.cart.then_some("cart");
        CONTACT_FIELDS
            .iter()
            .map(|(name, _)| *name)
            .chain(self.attributes.iter().map(String::as_str))
            .chain(cart)
    }
}

/// Something wrong with a template, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `syntax`, `unknown_variable`, `unknown_filter`, `unsupported_tag`, `too_complex` or
    /// `too_long`.
    pub code: &'static str,
    pub message: String,
    pub position: Position,
}

/// A place in a template: 1-based line and column (in characters), and the offset in UTF-16
/// units as a browser's text field counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub index: u32,
}

impl Position {
    /// The position of the byte offset `at` of `source`.
    pub fn of(source: &str, at: usize) -> Self {
        let before = &source[..floor_char_boundary(source, at)];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Self {
            line: before.matches('\n').count() as u32 + 1,
            column: before[line_start..].chars().count() as u32 + 1,
            index: before.encode_utf16().count() as u32,
        }
    }

    fn from_line_column(source: &str, line: u32, column: u32) -> Self {
        let mut offset = 0;
        for (i, text) in source.split_inclusive('\n').enumerate() {
            if i + 1 == line as usize {
                let within: usize = text
                    .chars()
                    .take(column.saturating_sub(1) as usize)
                    .map(char::len_utf8)
                    .sum();
                return Self::of(source, offset + within);
            }
            offset += text.len();
        }
        Self::of(source, source.len())
    }
}

impl Problem {
    fn at(source: &str, at: usize, code: &'static str, message: String) -> Self {
        Self {
            code,
            message,
            position: Position::of(source, at),
        }
    }
}

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// An outside variable a template prints (`{{ first_name | default: "there" }}`), where no
/// `if`, `unless` or `case` around it tests it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// Its root, e.g. `first_name`.
    pub variable: String,
    pub fallback: Fallback,
    /// Where its `{{` is.
    pub position: Position,
}

/// What a printed variable gives a recipient who lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// No `default` filter: nothing.
    Missing,
    /// `default` with this literal text (empty for `default: ""`).
    Text(String),
    /// `default` with another variable or a number.
    Other,
}

/// A checked template, ready to render.
pub struct Template {
    /// The outside variables it reads: those a recipient lacks render as nothing.
    roots: Vec<String>,
    printed: Vec<Printed>,
    compiled: liquid::Template,
}

static PARSER: LazyLock<liquid::Parser> = LazyLock::new(|| {
    use liquid_lib::stdlib;
    let mut builder = liquid::ParserBuilder::new()
        .tag(stdlib::AssignTag)
        .tag(stdlib::BreakTag)
        .tag(stdlib::ContinueTag)
        .block(stdlib::RawBlock)
        .block(stdlib::IfBlock)
        .block(stdlib::UnlessBlock)
        .block(stdlib::ForBlock)
        .block(stdlib::CommentBlock)
        .block(stdlib::CaseBlock);
    for filter in filters::FILTERS.iter() {
        builder = builder.filter(filter.clone());
    }
    builder
        .build()
        .expect("the message language is well formed")
});

/// Checks `source` against what a message can read; every problem comes with its position.
pub fn check(source: &str, vocabulary: &Vocabulary) -> Result<Template, Vec<Problem>> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(vec![Problem::at(
            source,
            MAX_TEMPLATE_BYTES,
            "too_long",
            format!(
                "the template is {} bytes; at most {MAX_TEMPLATE_BYTES}",
                source.len()
            ),
        )]);
    }
    let (roots, printed, problems) = scan::scan(source, vocabulary);
    if !problems.is_empty() {
        return Err(problems);
    }
    // Liquid's parser is third-party code facing user input: a panic in it is a refusal.
    match std::panic::catch_unwind(|| PARSER.parse(source)) {
        Ok(Ok(compiled)) => Ok(Template {
            roots,
            printed,
            compiled,
        }),
        Ok(Err(error)) => Err(vec![liquid_problem(source, &error.to_string())]),
        Err(_) => Err(vec![Problem::at(
            source,
            0,
            "syntax",
            "the template cannot be read".into(),
        )]),
    }
}

/// Liquid's own complaint, placed where its message says (`--> line:column`).
fn liquid_problem(source: &str, message: &str) -> Problem {
    let place = message.split_once("--> ").and_then(|(_, rest)| {
        let digits = |s: &str| {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        };
        let (line, rest) = rest.split_once(':')?;
        Some((line.trim().parse().ok()?, digits(rest).parse().ok()?))
    });
    let position = place.map_or(Position::of(source, 0), |(line, column)| {
        Position::from_line_column(source, line, column)
    });
    let summary = message
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("= "))
        .unwrap_or_else(|| message.lines().next().unwrap_or("invalid template"));
    Problem {
        code: "syntax",
        message: summary.trim_start_matches("liquid: ").to_owned(),
        position,
    }
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("roots", &self.roots)
            .finish()
    }
}

/// Why one recipient's message could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// What a template reads for one recipient.
#[derive(Debug, Clone, Default)]
pub struct Values(liquid::Object);

impl Values {
    /// A recipient of whom nothing is known (so each `default` applies), with an empty cart
    /// when the template may read one.
    pub fn nobody(with_cart: bool) -> Self {
        let mut object = liquid::Object::new();
        if with_cart {
            object.insert(
                "cart".into(),
                cart_value(&Cart::empty(chrono::DateTime::UNIX_EPOCH)),
            );
        }
        Self(object)
    }

    /// The contact's fields and attributes, and the cart when there is one.
    pub fn new(contact: &ContactState, cart: Option<&Cart>) -> Self {
        let mut object = liquid::Object::new();
        for (name, value) in &contact.attributes {
            object.insert(name.clone().into(), liquid_value(value));
        }
        let fields = [
            ("phone", &contact.phone),
            ("external_id", &contact.external_id),
            ("country", &contact.country),
            ("timezone", &contact.timezone),
        ];
        for (name, value) in fields {
            let value = value.clone().map_or(LiquidValue::Nil, LiquidValue::scalar);
            object.insert(name.into(), value);
        }
        if let Some(cart) = cart {
            object.insert("cart".into(), cart_value(cart));
        }
        Self(object)
    }
}

fn cart_value(cart: &Cart) -> LiquidValue {
    let items: Vec<Value> = cart
        .items
        .iter()
        .take(MAX_LIST)
        .map(|item| {
            serde_json::json!({
                "product_id": item.product_id,
                "name": item.name,
                "price": item.price,
                "quantity": item.quantity,
                "image_url": item.image_url,
                "url": item.url,
            })
        })
        .collect();
    let total: f64 = cart
        .items
        .iter()
        .map(|i| i.price * f64::from(i.quantity))
        .sum();
    let count: u32 = cart.items.iter().map(|i| i.quantity).sum();
    liquid_value(&serde_json::json!({
        "items": items,
        "total": (total * 100.0).round() / 100.0,
        "item_count": count,
        "currency": cart.currency,
        "url": cart.items.iter().rev().find_map(|i| i.url.as_ref()),
    }))
}

/// JSON as Liquid sees it, lists cut to [`MAX_LIST`] items so loops stay small.
fn liquid_value(value: &Value) -> LiquidValue {
    match value {
        Value::Null => LiquidValue::Nil,
        Value::Bool(b) => LiquidValue::scalar(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => LiquidValue::scalar(i),
            None => LiquidValue::scalar(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => LiquidValue::scalar(s.clone()),
        Value::Array(items) => {
            LiquidValue::Array(items.iter().take(MAX_LIST).map(liquid_value).collect())
        }
        Value::Object(map) => LiquidValue::Object(object_value(map)),
    }
}

fn object_value(map: &Map<String, Value>) -> liquid::Object {
    map.iter()
        .map(|(k, v)| (k.clone().into(), liquid_value(v)))
        .collect()
}

/// Stops a render once it has written [`MAX_OUTPUT_BYTES`].
struct Limited {
    text: Vec<u8>,
    overflowed: bool,
}

impl Write for Limited {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.text.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(io::Error::other("message too long"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Template {
    /// The outside variables the template reads.
    pub fn variables(&self) -> &[String] {
        &self.roots
    }

    /// The outside variables it prints, each time, with their fallbacks.
    pub fn printed(&self) -> &[Printed] {
        &self.printed
    }

    /// The text for one recipient. Variables the recipient lacks render as nothing (so
    /// `default` applies).
    pub fn render(&self, values: &Values) -> Result<String, RenderError> {
        let mut globals = values.0.clone();
        for root in &self.roots {
            if !globals.contains_key(root.as_str()) {
                globals.insert(root.clone().into(), LiquidValue::Nil);
            }
        }
        let mut out = Limited {
            text: Vec::new(),
            overflowed: false,
        };
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.compiled.render_to(&mut out, &globals)
        }))
        .unwrap_or_else(|_| {
            Err(liquid::Error::with_msg(
                "the template failed for this recipient",
            ))
        });
        match rendered {
            Ok(()) => String::from_utf8(out.text)
                .map_err(|_| RenderError("the template produced invalid text".into())),
            Err(_) if out.overflowed => Err(RenderError(format!(
                "the message would be longer than {MAX_OUTPUT_BYTES} bytes"
            ))),
            Err(error) => Err(RenderError(render_message(&error.to_string()))),
        }
    }
}

/// Liquid's render error in one line: its message and the variable or filter it names.
fn render_message(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .unwrap_or("the template failed")
        .trim_start_matches("liquid: ");
    let context: Vec<&str> = lines
        .filter(|l| l.contains('=') && !l.starts_with("available"))
        .collect();
    if context.is_empty() {
        first.to_owned()
    } else {
        format!("{first} ({})", context.join(", "))
    }
}

#[cfg(test)]
mod tests;
