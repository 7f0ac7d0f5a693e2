//! How Twilio packs a message into segments, grapheme by grapheme.
//!
//! This follows Twilio's segment calculator exactly, quirks included: a segment holds 140 octets
//! (1120 bits); once a second segment is needed every segment carries a 6-octet user data header,
//! so the first segment gives back its trailing graphemes to make room; a grapheme is never split
//! across segments.

const SEGMENT_BITS: u32 = 1120;
const HEADER_BITS: u32 = 48;

/// Counts the segments for graphemes of the given sizes in bits, in message order.
pub fn count_segments(grapheme_bits: impl IntoIterator<Item = u32>) -> u32 {
    let mut segments = vec![Segment::default()];
    for bits in grapheme_bits {
        let current = segments.last().expect("there is always a segment");
        if current.free() < i64::from(bits) {
            let mut next = Segment {
                used: HEADER_BITS,
                header_added: true,
                graphemes: Vec::new(),
            };
            let previous = segments.last_mut().expect("there is always a segment");
            if !previous.header_added {
                next.push_all(previous.make_room_for_header());
            }
            segments.push(next);
        }
        segments
            .last_mut()
            .expect("there is always a segment")
            .push(bits);
    }
    u32::try_from(segments.len()).expect("fewer than 2^32 segments")
}

#[derive(Default)]
struct Segment {
    graphemes: Vec<u32>,
    used: u32,
    /// Set on every segment but the first, and on the first once a second exists.
    header_added: bool,
}

impl Segment {
    fn free(&self) -> i64 {
        i64::from(SEGMENT_BITS) - i64::from(self.used)
    }

    fn push(&mut self, bits: u32) {
        self.graphemes.push(bits);
        self.used += bits;
    }

    fn push_all(&mut self, graphemes: Vec<u32>) {
        graphemes.into_iter().for_each(|bits| self.push(bits));
    }

    /// Adds the header and returns, in order, the graphemes that no longer fit.
    fn make_room_for_header(&mut self) -> Vec<u32> {
        self.header_added = true;
        self.used += HEADER_BITS;
        let mut removed = Vec::new();
        while self.free() < 0 {
            let bits = self
                .graphemes
                .pop()
                .expect("header alone fits in a segment");
            self.used -= bits;
            removed.push(bits);
        }
        removed.reverse();
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn septets(n: usize) -> impl Iterator<Item = u32> {
        std::iter::repeat_n(7, n)
    }

    #[test]
    fn gsm_limits_are_160_then_153_per_part() {
        assert_eq!(count_segments(septets(0)), 1);
        assert_eq!(count_segments(septets(160)), 1);
        assert_eq!(count_segments(septets(161)), 2);
        assert_eq!(count_segments(septets(306)), 2);
        assert_eq!(count_segments(septets(307)), 3);
        assert_eq!(count_segments(septets(459)), 3);
        assert_eq!(count_segments(septets(460)), 4);
    }

    #[test]
    fn an_escape_pair_moves_whole_to_the_next_part() {
        // 152 septets then a 2-septet character: 154 > 153, so the pair starts part two,
        // which then holds the pair and 151 more.
        let bits = septets(152).chain([14]).chain(septets(151));
        assert_eq!(count_segments(bits), 2);
        let bits = septets(152).chain([14]).chain(septets(152));
        assert_eq!(count_segments(bits), 3);
    }

    #[test]
    fn a_grapheme_larger_than_a_part_still_counts_as_the_calculator_does() {
        // One grapheme of 80 UTF-16 units: the first segment is left empty with its header.
        assert_eq!(count_segments([80 * 16]), 2);
    }
}
