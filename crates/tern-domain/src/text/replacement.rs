//! GSM-7 stand-ins for characters that would turn a whole SMS into UCS-2.

/// A GSM-7 replacement for a grapheme outside GSM-7, when one reads the same to a recipient:
/// typographic quotes, dashes, ellipsis, odd spaces, full-width forms, and Latin letters whose
/// accent GSM-7 lacks. An empty string means the character is invisible and can be dropped.
pub fn gsm7_replacement(grapheme: &str) -> Option<&'static str> {
    let mut chars = grapheme.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    punctuation(c)
        .or_else(|| letter(c))
        .or_else(|| full_width(c))
}

fn punctuation(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' | '`'
        | '\u{02BC}' | '\u{02B9}' | '\u{02C8}' | '\u{02CA}' | '\u{02CB}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{02BA}' | '\u{02EE}' => "\"",
        '\u{2039}' => "<",
        '\u{203A}' => ">",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{2043}' | '\u{2022}' | '\u{00AD}' => "-",
        '\u{2026}' => "...",
        '\u{203C}' => "!!",
        '\u{00A0}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
        | '\u{2028}'
        | '\u{2029}' => " ",
        '\t' => " ",
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => "",
        '\u{00F7}' | '\u{2044}' | '\u{2215}' => "/",
        '\u{00BC}' => "1/4",
        '\u{00BD}' => "1/2",
        '\u{00BE}' => "3/4",
        '\u{00D7}' => "x",
        '\u{2122}' => "TM",
        '\u{00A9}' => "(C)",
        '\u{00AE}' => "(R)",
        '\u{00B0}' => "o",
        '\u{2192}' => "->",
        '\u{2190}' => "<-",
        '\u{3002}' => ".",
        '\u{3001}' => ",",
        _ => return None,
    })
}

fn letter(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'â' | 'ã' | 'ā' | 'ă' | 'ą' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' => "Ç",
        'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' | 'ĝ' | 'ġ' | 'ģ' => "g",
        'Ğ' | 'Ĝ' | 'Ġ' | 'Ģ' => "G",
        'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => "I",
        'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
        'Ł' | 'Ľ' | 'Ĺ' | 'Ļ' => "L",
        'ń' | 'ň' | 'ņ' => "n",
        'Ń' | 'Ň' | 'Ņ' => "N",
        'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ō' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ř' => "r",
        'Ŕ' | 'Ř' => "R",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ť' | 'ţ' | 'ț' => "t",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ú' | 'û' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ž' | 'ż' => "z",
        'Ź' | 'Ž' | 'Ż' => "Z",
        _ => return None,
    })
}

/// Full-width ASCII (U+FF01..U+FF5E) maps to the ASCII character 0xFEE0 below it.
fn full_width(c: char) -> Option<&'static str> {
    const ASCII: &str = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    let offset = (c as u32).checked_sub(0xFF01)?;
    let i = usize::try_from(offset).ok().filter(|i| *i < ASCII.len())?;
    match &ASCII[i..=i] {
        "`" => Some("'"),
        s => Some(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::gsm7::septets;

    #[test]
    fn every_replacement_is_itself_gsm7() {
        for cp in 0..=0x10FFFF_u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if let Some(r) = gsm7_replacement(c.encode_utf8(&mut [0; 4])) {
                assert!(r.chars().all(|r| septets(r).is_some()), "{c:?} -> {r:?}");
                assert!(septets(c).is_none(), "{c:?} is GSM-7 already");
            }
        }
    }

    #[test]
    fn typographic_marks_have_plain_stand_ins() {
        assert_eq!(gsm7_replacement("’"), Some("'"));
        assert_eq!(gsm7_replacement("“"), Some("\""));
        assert_eq!(gsm7_replacement("—"), Some("-"));
        assert_eq!(gsm7_replacement("…"), Some("..."));
        assert_eq!(gsm7_replacement("\u{a0}"), Some(" "));
        assert_eq!(gsm7_replacement("ｓ"), Some("s"));
        assert_eq!(gsm7_replacement("😀"), None);
    }
}
