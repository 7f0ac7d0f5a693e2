//! Liquid's standard filters, each wrapped so one template cannot make a huge value or spin:
//! every result is measured and refused past [`MAX_VALUE_BYTES`] or [`MAX_LIST`] items, and a
//! render may apply at most [`MAX_FILTER_CALLS`] filters.

use std::{fmt, sync::LazyLock};

use liquid_core::{
    Result, Runtime, Value, ValueView,
    parser::{FilterArguments, FilterReflection, ParameterReflection, ParseFilter},
};
use liquid_lib::stdlib;

/// Largest value one filter may produce, in bytes of text.
pub const MAX_VALUE_BYTES: usize = 4096;
/// Longest list one filter may produce.
pub const MAX_LIST: usize = 50;
/// Most filter applications in one render.
pub const MAX_FILTER_CALLS: u32 = 10_000;

/// Every filter a message may use, bounded.
pub static FILTERS: LazyLock<Vec<Bounded>> = LazyLock::new(|| {
    let all: Vec<Box<dyn ParseFilter>> = vec![
        Box::new(stdlib::Abs),
        Box::new(stdlib::Append),
        Box::new(stdlib::AtLeast),
        Box::new(stdlib::AtMost),
        Box::new(stdlib::Capitalize),
        Box::new(stdlib::Ceil),
        Box::new(stdlib::Compact),
        Box::new(stdlib::Concat),
        Box::new(stdlib::Date),
        Box::new(stdlib::Default),
        Box::new(stdlib::DividedBy),
        Box::new(stdlib::Downcase),
        Box::new(stdlib::Escape),
        Box::new(stdlib::EscapeOnce),
        Box::new(stdlib::First),
        Box::new(stdlib::Floor),
        Box::new(stdlib::Join),
        Box::new(stdlib::Last),
        Box::new(stdlib::Lstrip),
        Box::new(stdlib::Map),
        Box::new(stdlib::Minus),
        Box::new(stdlib::Modulo),
        Box::new(stdlib::Plus),
        Box::new(stdlib::Prepend),
        Box::new(stdlib::Remove),
        Box::new(stdlib::RemoveFirst),
        Box::new(stdlib::Replace),
        Box::new(stdlib::ReplaceFirst),
        Box::new(stdlib::Reverse),
        Box::new(stdlib::Round),
        Box::new(stdlib::Rstrip),
        Box::new(stdlib::Size),
        Box::new(stdlib::Slice),
        Box::new(stdlib::Sort),
        Box::new(stdlib::SortNatural),
        Box::new(stdlib::Split),
        Box::new(stdlib::Strip),
        Box::new(stdlib::StripHtml),
        Box::new(stdlib::StripNewlines),
        Box::new(stdlib::Times),
        Box::new(stdlib::Truncate),
        Box::new(stdlib::TruncateWords),
        Box::new(stdlib::Uniq),
        Box::new(stdlib::Upcase),
        Box::new(stdlib::UrlDecode),
        Box::new(stdlib::UrlEncode),
        Box::new(stdlib::Where),
    ];
    all.into_iter().map(Bounded).collect()
});

/// The filters' names, for checking templates.
pub static FILTER_NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| FILTERS.iter().map(|f| f.0.reflection().name()).collect());

/// A standard filter whose results are measured.
#[derive(Clone)]
pub struct Bounded(Box<dyn ParseFilter>);

impl ParseFilter for Bounded {
    fn parse(&self, arguments: FilterArguments) -> Result<Box<dyn liquid_core::Filter>> {
        Ok(Box::new(BoundedFilter(self.0.parse(arguments)?)))
    }

    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

impl FilterReflection for Bounded {
    fn name(&self) -> &str {
        self.0.reflection().name()
    }

    fn description(&self) -> &str {
        self.0.reflection().description()
    }

    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        self.0.reflection().positional_parameters()
    }

    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        self.0.reflection().keyword_parameters()
    }
}

struct BoundedFilter(Box<dyn liquid_core::Filter>);

/// Filter applications so far in this render.
#[derive(Default)]
struct Calls(u32);

impl liquid_core::Filter for BoundedFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> Result<Value> {
        {
            let mut calls = runtime.registers().get_mut::<Calls>();
            calls.0 += 1;
            if calls.0 > MAX_FILTER_CALLS {
                return Err(liquid_core::Error::with_msg(format!(
                    "the template applies more than {MAX_FILTER_CALLS} filters"
                )));
            }
        }
        let value = self.0.evaluate(input, runtime)?;
        let mut budget = MAX_VALUE_BYTES;
        if !fits(&value, &mut budget) {
            return Err(liquid_core::Error::with_msg(format!(
                "{} makes a value longer than {MAX_VALUE_BYTES} bytes or {MAX_LIST} items",
                self.0
            )));
        }
        Ok(value)
    }
}

/// Whether `value` stays within `budget` bytes and every list within [`MAX_LIST`] items.
fn fits(value: &dyn ValueView, budget: &mut usize) -> bool {
    if let Some(array) = value.as_array() {
        if array.size() as usize > MAX_LIST {
            return false;
        }
        return array.values().all(|v| fits(v, budget));
    }
    if let Some(object) = value.as_object() {
        return object
            .iter()
            .all(|(k, v)| take(budget, k.len()) && fits(v, budget));
    }
    take(budget, value.to_kstr().len())
}

fn take(budget: &mut usize, n: usize) -> bool {
    match budget.checked_sub(n) {
        Some(left) => {
            *budget = left;
            true
        }
        None => false,
    }
}

impl fmt::Debug for BoundedFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BoundedFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
