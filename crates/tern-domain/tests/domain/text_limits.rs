//! The text figures at their edges, and property tests against a simple reference.

use proptest::prelude::*;
use tern_domain::text::{Channel, Encoding, SegmentCap, inspect};

fn sms(text: &str) -> (Encoding, u32, u32) {
    let r = inspect(text, Channel::Sms, SegmentCap::default());
    (r.encoding, r.units, r.segments.unwrap())
}

#[test]
fn gsm7_fits_160_in_one_segment_then_153_per_part() {
    assert_eq!(sms(&"a".repeat(160)), (Encoding::Gsm7, 160, 1));
    assert_eq!(sms(&"a".repeat(161)), (Encoding::Gsm7, 161, 2));
    for parts in 2..=10 {
        assert_eq!(sms(&"a".repeat(153 * parts)).2, parts as u32);
        assert_eq!(sms(&"a".repeat(153 * parts + 1)).2, parts as u32 + 1);
    }
}

#[test]
fn ucs2_fits_70_in_one_segment_then_67_per_part() {
    assert_eq!(sms(&"ж".repeat(70)), (Encoding::Ucs2, 70, 1));
    assert_eq!(sms(&"ж".repeat(71)), (Encoding::Ucs2, 71, 2));
    assert_eq!(sms(&"ж".repeat(134)).2, 2);
    assert_eq!(sms(&"ж".repeat(135)).2, 3);
}

#[test]
fn one_character_outside_gsm7_makes_the_whole_message_ucs2() {
    let text = format!("{}’", "a".repeat(69));
    let report = inspect(&text, Channel::Sms, SegmentCap::default());
    assert_eq!(
        (report.encoding, report.units, report.segments),
        (Encoding::Ucs2, 70, Some(1))
    );
    assert_eq!(report.ucs2_characters.len(), 1);
    assert_eq!(report.ucs2_characters[0].index, 69);
    assert_eq!(report.ucs2_characters[0].replacement, Some("'"));
}

#[test]
fn a_euro_sign_at_position_160_takes_two_septets_and_a_second_segment() {
    let text = format!("{}€", "a".repeat(159));
    let report = inspect(&text, Channel::Sms, SegmentCap::default());
    assert_eq!(
        (report.encoding, report.characters, report.units),
        (Encoding::Gsm7, 160, 161)
    );
    assert_eq!(report.segments, Some(2));
    assert_eq!(
        sms(&format!("{}€", "a".repeat(158))),
        (Encoding::Gsm7, 160, 1)
    );
}

#[test]
fn an_emoji_straddling_a_part_boundary_moves_whole_to_the_next_part() {
    // 66 units, then a 2-unit emoji that would straddle unit 67: it starts part two.
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
    assert_eq!(sms(&text), (Encoding::Ucs2, 134, 3));
    let text = format!("{}😀{}", "ж".repeat(65), "ж".repeat(67));
    assert_eq!(sms(&text), (Encoding::Ucs2, 134, 2));
}

#[test]
fn a_skin_toned_emoji_or_a_flag_is_never_split() {
    // 👍🏽 and 🇺🇸 are 4 units each; after 65 units only 2 remain in part one, so 133 units
    // need three parts where a split emoji would have needed two.
    let text = format!("{}👍🏽{}", "ж".repeat(65), "ж".repeat(64));
    assert_eq!(sms(&text), (Encoding::Ucs2, 133, 3));
    let text = format!("{}🇺🇸{}", "ж".repeat(65), "ж".repeat(64));
    assert_eq!(sms(&text), (Encoding::Ucs2, 133, 3));
}

#[test]
fn the_segment_cap_decides_whether_an_sms_fits() {
    let cap = SegmentCap::try_from(2).unwrap();
    assert!(inspect(&"a".repeat(306), Channel::Sms, cap).fits);
    let over = inspect(&"a".repeat(307), Channel::Sms, cap);
    assert_eq!((over.fits, over.limit), (false, 306));
    assert_eq!(inspect("ж", Channel::Sms, cap).limit, 134);
    assert_eq!(SegmentCap::default().units(Encoding::Gsm7), 1530);
    assert!(SegmentCap::try_from(0).is_err());
    assert!(SegmentCap::try_from(11).is_err());
}

#[test]
fn mms_allows_1530_units_in_any_alphabet() {
    for letter in ["a", "ş", "é", "ж", "中", "€"] {
        let fits = inspect(&letter.repeat(1530), Channel::Mms, SegmentCap::default());
        assert_eq!(
            (fits.units, fits.limit, fits.fits, fits.segments),
            (1530, 1530, true, None)
        );
        let over = inspect(&letter.repeat(1531), Channel::Mms, SegmentCap::default());
        assert!(!over.fits, "{letter}");
    }
    let emoji = inspect(&"😀".repeat(765), Channel::Mms, SegmentCap::default());
    assert_eq!(
        (emoji.characters, emoji.units, emoji.fits),
        (765, 1530, true)
    );
    assert!(!inspect(&"😀".repeat(766), Channel::Mms, SegmentCap::default()).fits);
}

#[test]
fn characters_count_what_a_reader_sees() {
    let report = inspect("e\u{301}👍🏽🇺🇸\r\n", Channel::Sms, SegmentCap::default());
    assert_eq!(report.characters, 4);
    let indexes: Vec<u32> = report.ucs2_characters.iter().map(|c| c.index).collect();
    assert_eq!(indexes, [0, 2, 6]);
}

/// Pieces that are one grapheme each on their own and next to any other piece.
const PIECES: &[&str] = &[
    "a",
    " ",
    "\n",
    "@",
    "£",
    "é",
    "€",
    "{",
    "~",
    "ç",
    "ж",
    "中",
    "’",
    "😀",
    "👍🏽",
    "🇺🇸",
    "👨‍👩‍👧",
    "e\u{301}",
];

/// The brief's alphabet, written out independently of the crate's table.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// Segments by the textbook rule: one segment if it all fits, else fill parts greedily, never
/// splitting a piece.
fn reference_segments(pieces: &[&str]) -> (Encoding, u32, u32) {
    let gsm = pieces.iter().all(|p| {
        p.chars().count() == 1 && (GSM7_BASIC.contains(*p) || GSM7_EXTENSION.contains(*p))
    });
    let size = |p: &str| -> u32 {
        if !gsm {
            p.encode_utf16().count() as u32
        } else if GSM7_EXTENSION.contains(p) {
            2
        } else {
            1
        }
    };
    let (single, part) = if gsm { (160, 153) } else { (70, 67) };
    let total: u32 = pieces.iter().map(|p| size(p)).sum();
    if total <= single {
        return (if gsm { Encoding::Gsm7 } else { Encoding::Ucs2 }, total, 1);
    }
    let (mut parts, mut used) = (1, 0);
    for p in pieces {
        if used + size(p) > part {
            parts += 1;
            used = 0;
        }
        used += size(p);
    }
    (
        if gsm { Encoding::Gsm7 } else { Encoding::Ucs2 },
        total,
        parts,
    )
}

proptest! {
    #[test]
    fn sms_figures_equal_the_reference(indexes in prop::collection::vec(0..PIECES.len(), 0..700), gsm_only: bool) {
        let pieces: Vec<&str> = indexes.iter().map(|&i| PIECES[if gsm_only { i % 9 } else { i }]).collect();
        prop_assert_eq!(sms(&pieces.concat()), reference_segments(&pieces));
    }

    #[test]
    fn mms_counts_utf16_units_and_fits_up_to_1530(text in "\\PC{0,1600}") {
        let r = inspect(&text, Channel::Mms, SegmentCap::default());
        let units = text.encode_utf16().count() as u32;
        prop_assert_eq!(r.units, units);
        prop_assert_eq!(r.fits, units <= 1530);
    }
}
