//! Grapheme clusters as Twilio's segment calculator finds them.
//!
//! The calculator splits text with grapheme-splitter 1.0.4, which follows Unicode 10's rules:
//! newer emoji sequences (🧑‍🧑‍🧒) and Indic conjuncts fall apart into several clusters there.
//! Segment counts must equal the calculator's, so segmentation uses these rules; the character
//! count a reader sees uses today's Unicode instead. The rules are kept exactly as that library
//! applies them, quirks included, but checked incrementally so that a long run of combining marks
//! costs linear time.

use super::{grapheme_property::Property, legacy_grapheme_table::TABLE};

use Property::*;

/// Splits `text` into the calculator's clusters.
pub fn split(text: &str) -> Vec<&str> {
    let mut clusters = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, first)) = chars.next() {
        let mut cluster = Cluster::new(property(first));
        let mut end = text.len();
        while let Some(&(at, c)) = chars.peek() {
            let next = property(c);
            if cluster.breaks_before(next) {
                end = at;
                break;
            }
            cluster.push(next);
            chars.next();
        }
        clusters.push(&text[start..end]);
    }
    clusters
}

fn property(c: char) -> Property {
    let code = u32::from(c);
    match TABLE.binary_search_by(|&(lo, hi, _)| {
        if hi < code {
            std::cmp::Ordering::Less
        } else if lo > code {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => TABLE[i].2,
        Err(_) => Other,
    }
}

/// What the library's `shouldBreak(start, mid, end)` looks at, kept up to date as `mid` grows.
/// Indices are positions in the library's `all = [start, ...mid, end]`.
struct Cluster {
    start: Property,
    len: usize,
    previous: Property,
    before_previous: Option<Property>,
    mid_leading_extend: usize,
    mid_leading_ri: usize,
    last_modifier: Option<usize>,
    last_ri: Option<usize>,
    has_extend: bool,
    mid_has_ri: bool,
}

impl Cluster {
    fn new(start: Property) -> Self {
        Self {
            start,
            len: 1,
            previous: start,
            before_previous: None,
            mid_leading_extend: 0,
            mid_leading_ri: 0,
            last_modifier: (start == EModifier).then_some(0),
            last_ri: (start == RegionalIndicator).then_some(0),
            has_extend: start == Extend,
            mid_has_ri: false,
        }
    }

    fn breaks_before(&self, next: Property) -> bool {
        let at = self.len;
        let previous = self.previous;
        // GB10's look-ahead terminator.
        let modifier = if next == EModifier {
            Some(at)
        } else {
            self.last_modifier
        };
        if let Some(e) = modifier
            && e > 1
            && self.mid_leading_extend >= e - 1
            && ![Extend, EBase, EBaseGaz].contains(&self.start)
        {
            return true;
        }
        // GB12/13's look-ahead terminator.
        let ri = if next == RegionalIndicator {
            Some(at)
        } else {
            self.last_ri
        };
        if let Some(r) = ri
            && r > 0
            && self.mid_leading_ri >= r - 1
            && ![Prepend, RegionalIndicator].contains(&previous)
        {
            return true;
        }
        if previous == Cr && next == Lf {
            return false;
        }
        if [Control, Cr, Lf].contains(&previous) || [Control, Cr, Lf].contains(&next) {
            return true;
        }
        let hangul = (previous == L && [L, V, Lv, Lvt].contains(&next))
            || ([Lv, V].contains(&previous) && [V, T].contains(&next))
            || ([Lvt, T].contains(&previous) && next == T);
        if hangul || [Extend, Zwj, SpacingMark].contains(&next) || previous == Prepend {
            return false;
        }
        let base = if self.has_extend {
            (previous == Extend)
                .then_some(self.before_previous)
                .flatten()
        } else {
            Some(previous)
        };
        if next == EModifier && base.is_some_and(|b| [EBase, EBaseGaz].contains(&b)) {
            return false;
        }
        if previous == Zwj && [GlueAfterZwj, EBaseGaz].contains(&next) {
            return false;
        }
        if self.mid_has_ri {
            return true;
        }
        !(previous == RegionalIndicator && next == RegionalIndicator)
    }

    fn push(&mut self, next: Property) {
        let at = self.len;
        let mid_len = at - 1;
        if next == Extend && self.mid_leading_extend == mid_len {
            self.mid_leading_extend += 1;
        }
        if next == RegionalIndicator && self.mid_leading_ri == mid_len {
            self.mid_leading_ri += 1;
        }
        if next == EModifier {
            self.last_modifier = Some(at);
        }
        if next == RegionalIndicator {
            self.last_ri = Some(at);
            self.mid_has_ri = true;
        }
        self.has_extend |= next == Extend;
        self.before_previous = Some(self.previous);
        self.previous = next;
        self.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_emoji_sequences_fall_apart_as_in_unicode_10() {
        assert_eq!(split("🧑‍🧑‍🧒"), ["🧑\u{200d}", "🧑\u{200d}", "🧒"]);
        assert_eq!(split("👨‍👩‍👧"), ["👨‍👩‍👧"]);
        assert_eq!(split("👍🏽🇺🇸🇫🇷"), ["👍🏽", "🇺🇸", "🇫🇷"]);
        assert_eq!(split("a\r\nb"), ["a", "\r\n", "b"]);
        assert_eq!(split("e\u{301}\u{301}x"), ["e\u{301}\u{301}", "x"]);
    }

    #[test]
    fn a_long_run_of_combining_marks_is_one_cluster() {
        let text = format!("a{}", "\u{301}".repeat(200_000));
        assert_eq!(split(&text).len(), 1);
    }
}
