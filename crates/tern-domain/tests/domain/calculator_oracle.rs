//! Tern's encoding and segment count against Twilio's own calculator, over thousands of texts.
//!
//! Runs when `TERN_SEGMENT_ORACLE` names `tools/segment-oracle/oracle.js` (`.ci/run` sets it
//! after `npm ci` there); without it the test says so and checks nothing.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::Value;
use tern_domain::text::{Channel, Encoding, SegmentCap, inspect};

/// Pieces a marketer's text is made of, including every kind of multi-unit grapheme.
const PIECES: &[&str] = &[
    "a",
    "Z",
    "7",
    " ",
    "\n",
    "\r\n",
    "\r",
    "@",
    "£",
    "é",
    "Ä",
    "ß",
    "Δ",
    "€",
    "^",
    "{",
    "}",
    "[",
    "]",
    "~",
    "|",
    "\\",
    "\u{c}",
    "ç",
    "á",
    "ş",
    "ж",
    "中",
    "’",
    "“",
    "…",
    "\u{a0}",
    "`",
    "😀",
    "🎉",
    "👍🏽",
    "🇺🇸",
    "👨‍👩‍👧",
    "e\u{301}",
    "1️⃣",
    "❤️",
    "👩‍❤️‍👨",
    "ai",
    "ok ",
    "\t",
    "🫱🏻‍🫲🏿",
    "🧑‍🧑‍🧒",
    "क्ष",
    "ก่",
    "각",
    "🏳️‍🌈",
    "\u{301}",
    "\u{200d}",
    "\u{1f3fd}",
    "\u{1f1fa}",
    "\u{600}",
    "\u{1100}",
    "\u{1161}",
    "\u{11a8}",
    "\u{ac00}",
    "\u{903}",
    "\u{fe0f}",
    "\u{2764}",
    "\u{1f466}",
    "\u{1f385}",
    "\u{7}",
];

#[test]
fn encoding_segments_and_non_gsm_characters_equal_twilios_calculator() {
    let Ok(oracle) = std::env::var("TERN_SEGMENT_ORACLE") else {
        eprintln!("TERN_SEGMENT_ORACLE is unset: comparison with Twilio's calculator skipped");
        return;
    };
    let texts = corpus(4000);
    let verdicts = run_oracle(&oracle, &texts);

    let mut mismatches = Vec::new();
    for (text, verdict) in texts.iter().zip(&verdicts) {
        let ours = inspect(text, Channel::Sms, SegmentCap::default());
        let encoding = match ours.encoding {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        };
        let non_gsm: Vec<&str> = ours
            .ucs2_characters
            .iter()
            .map(|c| c.character.as_str())
            .collect();
        let theirs: Vec<&str> = verdict["non_gsm"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if verdict["encoding"] != encoding
            || verdict["segments"] != u64::from(ours.segments.unwrap())
            || non_gsm != theirs
        {
            mismatches.push(format!(
                "{text:?}: ours {encoding}/{:?}, theirs {verdict}",
                ours.segments
            ));
        }
    }
    let shown: Vec<String> = mismatches
        .iter()
        .take(5)
        .map(|m| m.chars().take(300).collect())
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {shown:#?}",
        mismatches.len()
    );
}

/// Texts around every segment boundary: mostly one piece repeated with another sprinkled in,
/// or every piece at random.
fn corpus(n: usize) -> Vec<String> {
    let mut rng = XorShift(0x7e57_5e65_0000_0001);
    (0..n)
        .map(|i| {
            let base = PIECES[rng.below(PIECES.len())];
            let other = PIECES[rng.below(PIECES.len())];
            let len = rng.below(420);
            let sprinkle = 1 + rng.below(40);
            (0..len)
                .map(|_| match (i % 4, rng.below(sprinkle)) {
                    (0, _) => PIECES[rng.below(PIECES.len())],
                    (_, 0) => other,
                    _ => base,
                })
                .collect()
        })
        .collect()
}

fn run_oracle(script: &str, texts: &[String]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start node with the segment oracle");
    let mut input = child.stdin.take().unwrap();
    let lines: String = texts
        .iter()
        .map(|t| serde_json::to_string(t).unwrap() + "\n")
        .collect();
    let writer = std::thread::spawn(move || input.write_all(lines.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "oracle failed");
    let verdicts: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), texts.len(), "oracle answered every text");
    verdicts
}

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
