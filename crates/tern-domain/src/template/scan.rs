//! Reads a Liquid template's markup before Liquid does, to find what Liquid's parser does not
//! report: which variables it reads (checked against what a message can know, with positions),
//! tags a message may not use, and loops that could run away.

use super::{Fallback, Position, Printed, Problem, Vocabulary, filters::FILTER_NAMES};

/// Deepest nesting of `for` loops.
pub const MAX_LOOP_DEPTH: usize = 2;
/// Deepest nesting of blocks of any kind.
pub const MAX_BLOCK_DEPTH: usize = 8;
/// Longest literal range a `for` may walk, e.g. `(1..20)`.
pub const MAX_RANGE: i64 = 50;

/// Names that are values, not variables.
const LITERALS: [&str; 6] = ["true", "false", "nil", "null", "empty", "blank"];
/// The blocks a message may use, with their closing tag.
const BLOCKS: [(&str, &str); 4] = [
    ("if", "endif"),
    ("unless", "endunless"),
    ("case", "endcase"),
    ("for", "endfor"),
];

/// What a name bound inside the template stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Anything,
    CartItem,
    Forloop,
}

struct Open {
    tag: &'static str,
    end: &'static str,
    at: usize,
    /// Names this block binds (the loop variable and `forloop`).
    binds: Vec<String>,
    /// Roots its conditions test: printing them inside reads as the marketer meant.
    tests: Vec<String>,
}

/// Walks the template, returning the roots of the variables it reads (for rendering), the
/// outside variables it prints with their fallbacks, and the problems found.
pub fn scan(source: &str, vocabulary: &Vocabulary) -> (Vec<String>, Vec<Printed>, Vec<Problem>) {
    let mut scanner = Scanner {
        source,
        vocabulary,
        problems: Vec::new(),
        roots: Vec::new(),
        printed: Vec::new(),
        stack: Vec::new(),
        bound: Vec::new(),
    };
    scanner.run();
    for open in std::mem::take(&mut scanner.stack) {
        scanner.problem(
            open.at,
            "syntax",
            format!(
                "{{% {} %}} is never closed: add {{% {} %}}",
                open.tag, open.end
            ),
        );
    }
    (scanner.roots, scanner.printed, scanner.problems)
}

struct Scanner<'a> {
    source: &'a str,
    vocabulary: &'a Vocabulary,
    problems: Vec<Problem>,
    roots: Vec<String>,
    printed: Vec<Printed>,
    stack: Vec<Open>,
    /// Names bound by `assign` and open loops, innermost last.
    bound: Vec<(String, Bound)>,
}

impl Scanner<'_> {
    fn problem(&mut self, at: usize, code: &'static str, message: String) {
        self.problems
            .push(Problem::at(self.source, at, code, message));
    }

    fn run(&mut self) {
        let mut at = 0;
        while let Some(found) = self.source[at..].find('{') {
            let start = at + found;
            let rest = &self.source[start..];
            let (close, output) = if rest.starts_with("{{") {
                ("}}", true)
            } else if rest.starts_with("{%") {
                ("%}", false)
            } else {
                at = start + 1;
                continue;
            };
            let Some(end) = find_outside_quotes(&self.source[start + 2..], close) else {
                let what = if output { "{{" } else { "{%" };
                self.problem(
                    start,
                    "syntax",
                    format!("{what} is never closed with {close}"),
                );
                return;
            };
            let inner_start = start + 2;
            let inner = &self.source[inner_start..inner_start + end];
            at = inner_start + end + 2;
            let (trimmed, offset) = trim_markup(inner);
            let tokens = match lex(trimmed, inner_start + offset) {
                Ok(tokens) => tokens,
                Err((pos, message)) => {
                    self.problem(pos, "syntax", message);
                    continue;
                }
            };
            if output {
                self.expression(&tokens, start);
                self.print(&tokens, start);
            } else if let Some(skip_to) = self.tag(&tokens, start) {
                at = skip_to;
            }
        }
    }

    /// Reads one `{% … %}`; returns where to resume when the tag swallows its body (raw, comment).
    fn tag(&mut self, tokens: &[Token], start: usize) -> Option<usize> {
        let Some(Token::Path { text, .. }) = tokens.first() else {
            self.problem(
                start,
                "syntax",
                "a tag needs a name, e.g. {% if … %}".into(),
            );
            return None;
        };
        let name = text.as_str();
        let args = &tokens[1..];
        match name {
            "raw" | "comment" => {
                let end = format!("end{name}");
                match find_end_tag(&self.source[start..], &end) {
                    Some(skip) => return Some(start + skip),
                    None => self.problem(
                        start,
                        "syntax",
                        format!("{{% {name} %}} is never closed: add {{% {end} %}}"),
                    ),
                }
            }
            "if" | "unless" | "case" => {
                self.open(name, start, Vec::new());
                self.condition(args, start);
                self.note_tests(args);
            }
            "elsif" | "when" => {
                self.expect_inside(name, &["if", "case"], start);
                self.condition(args, start);
                self.note_tests(args);
            }
            "else" => self.expect_inside(name, &["if", "unless", "case", "for"], start),
            "for" => self.for_loop(args, start),
            "break" | "continue" => self.expect_inside(name, &["for"], start),
            "assign" => match args {
                [Token::Path { text, .. }, Token::Punct('=', _), rest @ ..] if is_name(text) => {
                    self.expression(rest, start);
                    self.bound.push((text.clone(), Bound::Anything));
                }
                _ => self.problem(
                    start,
                    "syntax",
                    "assign is written {% assign name = value %}".into(),
                ),
            },
            _ if name.starts_with("end") => self.close(name, start),
            "capture" | "tablerow" | "include" | "render" | "cycle" | "increment"
            | "decrement" | "ifchanged" => self.problem(
                start,
                "unsupported_tag",
                format!(
                    "{{% {name} %}} is not available in messages (use if, unless, case, for, assign, raw or comment)"
                ),
            ),
            _ => self.problem(
                start,
                "syntax",
                format!("unknown tag {name:?} (use if, unless, case, for, assign, raw or comment)"),
            ),
        }
        None
    }

    fn open(&mut self, tag: &str, at: usize, binds: Vec<String>) {
        let (tag, end) = BLOCKS
            .into_iter()
            .find(|(t, _)| *t == tag)
            .expect("only known blocks are opened");
        if self.stack.len() >= MAX_BLOCK_DEPTH {
            self.problem(
                at,
                "too_complex",
                format!("blocks are nested more than {MAX_BLOCK_DEPTH} deep"),
            );
        }
        self.stack.push(Open {
            tag,
            end,
            at,
            binds,
            tests: Vec::new(),
        });
    }

    fn close(&mut self, name: &str, at: usize) {
        match self.stack.last() {
            Some(open) if open.end == name => {
                let open = self.stack.pop().expect("just seen");
                let keep = self.bound.len() - open.binds.len();
                self.bound.truncate(keep);
            }
            Some(open) => {
                let message = format!(
                    "{{% {name} %}} closes nothing here: the open block is {{% {} %}}, closed by {{% {} %}}",
                    open.tag, open.end
                );
                self.problem(at, "syntax", message);
            }
            None => self.problem(at, "syntax", format!("{{% {name} %}} closes nothing")),
        }
    }

    fn expect_inside(&mut self, name: &str, parents: &[&str], at: usize) {
        if !self.stack.last().is_some_and(|o| parents.contains(&o.tag)) {
            self.problem(
                at,
                "syntax",
                format!(
                    "{{% {name} %}} belongs inside {{% {} %}}",
                    parents.join(" %} or {% ")
                ),
            );
        }
    }

    fn for_loop(&mut self, args: &[Token], start: usize) {
        let loops = self.stack.iter().filter(|o| o.tag == "for").count();
        if loops >= MAX_LOOP_DEPTH {
            self.problem(
                start,
                "too_complex",
                format!("loops are nested more than {MAX_LOOP_DEPTH} deep"),
            );
        }
        let (var, rest) = match args {
            [
                Token::Path { text: var, .. },
                Token::Path { text: kw, .. },
                rest @ ..,
            ] if is_name(var) && kw == "in" => (var.clone(), rest),
            _ => {
                self.problem(
                    start,
                    "syntax",
                    "for is written {% for item in cart.items %}".into(),
                );
                self.open("for", start, Vec::new());
                return;
            }
        };
        let mut kind = Bound::Anything;
        match rest.first() {
            Some(Token::Range(from, to, at)) => {
                if to.saturating_sub(*from) >= MAX_RANGE {
                    self.problem(
                        *at,
                        "too_complex",
                        format!("a range may hold at most {MAX_RANGE} numbers"),
                    );
                }
            }
            Some(Token::Path { text, at }) => {
                if text == "cart.items" {
                    kind = Bound::CartItem;
                }
                self.value(text, *at);
            }
            _ => self.problem(
                start,
                "syntax",
                "for walks a list or a range of literal numbers, e.g. (1..5)".into(),
            ),
        }
        let mut i = 1;
        while i < rest.len() {
            match &rest[i..] {
                [Token::Path { text, .. }, Token::Punct(':', _), value, ..]
                    if text == "limit" || text == "offset" =>
                {
                    self.operand(value);
                    i += 3;
                }
                [Token::Path { text, .. }, ..] if text == "reversed" => i += 1,
                [other, ..] => {
                    self.problem(
                        other.at(),
                        "syntax",
                        "after the list, for takes only limit:, offset: and reversed".into(),
                    );
                    break;
                }
                [] => break,
            }
        }
        self.bound.push((var.clone(), kind));
        self.bound.push(("forloop".into(), Bound::Forloop));
        self.open("for", start, vec![var, "forloop".into()]);
    }

    /// A condition: operands joined by comparisons, `contains`, `and`, `or` (and `,` in `when`).
    fn condition(&mut self, tokens: &[Token], start: usize) {
        if tokens.is_empty() {
            self.problem(start, "syntax", "this tag needs a condition".into());
        }
        for token in tokens {
            match token {
                Token::Path { text, .. } if matches!(text.as_str(), "and" | "or" | "contains") => {}
                Token::Op(_, _) | Token::Punct(',', _) => {}
                other => self.operand(other),
            }
        }
    }

    /// Notes the roots a condition tests, on the innermost open block.
    fn note_tests(&mut self, tokens: &[Token]) {
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        for token in tokens {
            if let Token::Path { text, .. } = token {
                open.tests.push(split_root(text).0.to_owned());
            }
        }
    }

    /// Notes an outside variable printed as `{{ name | … }}` with its `default`, unless a block
    /// around it tests it (`{% if first_name %}Hi {{ first_name }}{% endif %}`).
    fn print(&mut self, tokens: &[Token], start: usize) {
        let mut parts = tokens.split(|t| matches!(t, Token::Punct('|', _)));
        let Some([Token::Path { text, .. }]) = parts.next() else {
            return;
        };
        let (root, _) = split_root(text);
        let outside = !LITERALS.contains(&root)
            && root != "cart"
            && self.vocabulary.knows(root)
            && !self.bound.iter().any(|(name, _)| name == root);
        if !outside || self.stack.iter().any(|o| o.tests.iter().any(|t| t == root)) {
            return;
        }
        let default = parts.find(
            |filter| matches!(filter.first(), Some(Token::Path { text, .. }) if text == "default"),
        );
        let fallback = match default.map(|filter| filter.get(2)) {
            None => Fallback::Missing,
            Some(Some(Token::Literal(at))) => {
                string_at(self.source, *at).map_or(Fallback::Other, |s| Fallback::Text(s.into()))
            }
            Some(_) => Fallback::Other,
        };
        self.printed.push(Printed {
            variable: root.to_owned(),
            fallback,
            position: Position::of(self.source, start),
        });
    }

    /// An output expression: a value, then filters with their arguments.
    fn expression(&mut self, tokens: &[Token], start: usize) {
        let mut parts = tokens.split(|t| matches!(t, Token::Punct('|', _)));
        match parts.next() {
            Some([value]) => self.operand(value),
            Some([]) if tokens.is_empty() => {
                self.problem(start, "syntax", "{{ }} is empty: name a value".into())
            }
            Some(other) => {
                let at = other.first().map_or(start, Token::at);
                self.problem(
                    at,
                    "syntax",
                    "expected one value before the first | filter".into(),
                );
            }
            None => {}
        }
        for filter in parts {
            let Some(Token::Path { text: name, at }) = filter.first() else {
                self.problem(
                    filter.first().map_or(start, Token::at),
                    "syntax",
                    "a filter name must follow |".into(),
                );
                continue;
            };
            if !FILTER_NAMES.contains(&name.as_str()) {
                let hint = suggestion(name, FILTER_NAMES.iter().copied())
                    .map(|s| format!(" — did you mean {s}?"))
                    .unwrap_or_default();
                self.problem(
                    *at,
                    "unknown_filter",
                    format!("unknown filter {name:?}{hint}"),
                );
            }
            // Arguments: `: a, b` or keyword arguments `: key: a`.
            let args = filter.get(2..).unwrap_or_default();
            let mut i = 0;
            while i < args.len() {
                match &args[i..] {
                    [Token::Path { .. }, Token::Punct(':', _), ..] => i += 2,
                    [Token::Punct(',', _), ..] => i += 1,
                    [value, ..] => {
                        self.operand(value);
                        i += 1;
                    }
                    [] => break,
                }
            }
        }
    }

    fn operand(&mut self, token: &Token) {
        match token {
            Token::Path { text, at } => self.value(text, *at),
            Token::Range(_, _, at) => self.problem(
                *at,
                "syntax",
                "a range is only allowed after for … in".into(),
            ),
            Token::Literal(_) => {}
            Token::Op(op, at) => self.problem(*at, "syntax", format!("unexpected {op}")),
            Token::Punct(c, at) => self.problem(*at, "syntax", format!("unexpected {c:?}")),
        }
    }

    /// A variable path such as `first_name`, `cart.items` or `item.name`.
    fn value(&mut self, path: &str, at: usize) {
        let (root, rest) = split_root(path);
        if LITERALS.contains(&root) && rest.is_empty() {
            return;
        }
        let field = rest
            .strip_prefix('.')
            .map(|r| r.split(['.', '[']).next().unwrap_or(""));
        let bound = self.bound.iter().rev().find(|(name, _)| name == root);
        match bound.map(|(_, kind)| *kind) {
            Some(Bound::CartItem) => self.member(at, root, field, super::CART_ITEM_FIELDS),
            Some(Bound::Anything | Bound::Forloop) => {}
            None if root == "cart" && self.vocabulary.cart => {
                self.member(at, "cart", field, super::CART_FIELDS);
                self.read(root);
            }
            None if self.vocabulary.knows(root) => self.read(root),
            None => {
                let hint = suggestion(root, self.vocabulary.names())
                    .map(|s| format!(" — did you mean {s}?"))
                    .unwrap_or_default();
                let cart = if self.vocabulary.cart {
                    ", nor a cart field"
                } else {
                    ""
                };
                self.problem(
                    at,
                    "unknown_variable",
                    format!(
                        "unknown variable {root:?}: not a contact field, nor an attribute any contact of this account has{cart}{hint}"
                    ),
                );
            }
        }
    }

    /// Notes an outside variable the template reads.
    fn read(&mut self, root: &str) {
        if !self.roots.iter().any(|r| r == root) {
            self.roots.push(root.to_owned());
        }
    }

    fn member(&mut self, at: usize, root: &str, field: Option<&str>, fields: &[(&str, &str)]) {
        let Some(field) = field else { return };
        let known = fields.iter().any(|(name, _)| *name == field)
            || matches!(field, "size" | "first" | "last");
        if !known {
            let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
            self.problem(
                at,
                "unknown_variable",
                format!(
                    "{root} has no field {field:?} (its fields: {})",
                    names.join(", ")
                ),
            );
        }
    }
}

fn is_name(text: &str) -> bool {
    !text.contains(['.', '['])
}

fn split_root(path: &str) -> (&str, &str) {
    let end = path.find(['.', '[']).unwrap_or(path.len());
    path.split_at(end)
}

/// The closest name, if it is a likely typo.
fn suggestion<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (distance(name, c), c))
        .filter(|(d, c)| *d <= 2 && *d < c.chars().count())
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, enough for short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Strips Liquid's `-` whitespace control and spaces; returns the rest and its offset.
fn trim_markup(inner: &str) -> (&str, usize) {
    let start = inner.len() - inner.trim_start_matches(['-', ' ', '\t', '\r', '\n']).len();
    let end = inner
        .trim_end_matches(['-', ' ', '\t', '\r', '\n'])
        .len()
        .max(start);
    (&inner[start..end], start)
}

/// The text of the string literal starting at `at`, without its quotes; `None` for a number.
fn string_at(source: &str, at: usize) -> Option<&str> {
    let rest = &source[at..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &rest[1..];
    inner.find(quote).map(|end| &inner[..end])
}

fn find_outside_quotes(text: &str, close: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if text[i..].starts_with(close) => return Some(i),
            None => {}
        }
    }
    None
}

/// Where the text after `{% endNAME %}` starts, searching from the opening tag.
fn find_end_tag(text: &str, end: &str) -> Option<usize> {
    let mut at = 0;
    while let Some(found) = text[at..].find("{%") {
        let start = at + found;
        let close = text[start..].find("%}")? + start;
        let (inner, _) = trim_markup(&text[start + 2..close]);
        if inner == end {
            return Some(close + 2);
        }
        at = close + 2;
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A name or a path: `first_name`, `cart.items[0].name`.
    Path {
        text: String,
        at: usize,
    },
    /// A string or a number.
    Literal(usize),
    /// `(1..5)`: its bounds, when literal numbers, and where it starts.
    Range(i64, i64, usize),
    Op(&'static str, usize),
    Punct(char, usize),
}

impl Token {
    fn at(&self) -> usize {
        match self {
            Self::Path { at, .. }
            | Self::Literal(at)
            | Self::Range(_, _, at)
            | Self::Op(_, at)
            | Self::Punct(_, at) => *at,
        }
    }
}

type LexError = (usize, String);

fn lex(text: &str, base: usize) -> Result<Vec<Token>, LexError> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at = base + i;
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' | b'\'' => {
                let end = text[i + 1..]
                    .find(c as char)
                    .ok_or((at, "this string is never closed".to_owned()))?;
                tokens.push(Token::Literal(at));
                i += end + 2;
            }
            b'0'..=b'9' | b'-' if c != b'-' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let sign = usize::from(c == b'-');
                let len = sign + number_len(&text[i + sign..]);
                // Liquid's parser panics on an integer wider than 64 bits: refuse it here.
                let number = &text[i..i + len];
                if !number.contains('.') && number.parse::<i64>().is_err() {
                    return Err((at, format!("{number} is too large a number")));
                }
                i += len;
                tokens.push(Token::Literal(at));
            }
            b'(' => {
                let end = text[i..]
                    .find(')')
                    .ok_or((at, "this ( is never closed".to_owned()))?;
                let inside = &text[i + 1..i + end];
                let (from, to) = inside
                    .split_once("..")
                    .ok_or((at, "( ) holds a range such as (1..5)".to_owned()))?;
                let bound = |s: &str| s.trim().parse::<i64>().ok();
                let (Some(from), Some(to)) = (bound(from), bound(to)) else {
                    return Err((
                        at,
                        "a range's ends must be whole numbers, e.g. (1..5)".into(),
                    ));
                };
                tokens.push(Token::Range(from, to, at));
                i += end + 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = text.get(i..i + 2).unwrap_or("");
                let op = match two {
                    "==" => "==",
                    "!=" => "!=",
                    "<>" => "<>",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ => match c {
                        b'<' => "<",
                        b'>' => ">",
                        b'=' => {
                            tokens.push(Token::Punct('=', at));
                            i += 1;
                            continue;
                        }
                        _ => return Err((at, "unexpected !".into())),
                    },
                };
                tokens.push(Token::Op(op, at));
                i += op.len();
            }
            b'|' | b':' | b',' => {
                tokens.push(Token::Punct(c as char, at));
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len = path_len(&text[i..]).map_err(|(offset, m)| (at + offset, m))?;
                tokens.push(Token::Path {
                    text: text[i..i + len].to_owned(),
                    at,
                });
                i += len;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('?');
                return Err((at, format!("unexpected {c:?}")));
            }
        }
    }
    Ok(tokens)
}

fn number_len(text: &str) -> usize {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let whole = digits(text);
    match text[whole..].strip_prefix('.') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => whole + 1 + digits(rest),
        _ => whole,
    }
}

/// The length of a path: names joined by `.`, with `[…]` indexes (a number, a string or a path).
fn path_len(text: &str) -> Result<usize, LexError> {
    let name = |s: &str| {
        s.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count()
    };
    let mut i = name(text);
    if text[i..].starts_with('?') {
        i += 1;
    }
    loop {
        let rest = &text[i..];
        if let Some(after) = rest.strip_prefix('.') {
            if after.starts_with('.') {
                return Ok(i);
            }
            let n = name(after);
            if n == 0 {
                return Err((i, "a name must follow .".into()));
            }
            i += 1 + n;
        } else if rest.starts_with('[') {
            let close = rest
                .find(']')
                .ok_or((i, "this [ is never closed".to_owned()))?;
            // The index is read like any value (a number, a string, a path).
            lex(&rest[1..close], 0).map_err(|(at, message)| (i + 1 + at, message))?;
            i += close + 1;
        } else {
            return Ok(i);
        }
    }
}
