//! The GSM 03.38 alphabet as Twilio's segment calculator defines it.

/// Septets that `c` takes in GSM-7: 1 in the basic table, 2 in the extension table (an escape
/// plus the character), `None` when `c` has no GSM-7 encoding and forces UCS-2.
pub fn septets(c: char) -> Option<u8> {
    match c {
        '\u{0c}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        '\n' | '\r' | ' '..='_' | 'a'..='z' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_table_has_128_characters_and_extension_table_ten() {
        // 128 basic positions, less ESC (0x1B), plus CR and LF counted once each.
        let all: Vec<char> = (0..=0x2FFF_u32).filter_map(char::from_u32).collect();
        let basic = all.iter().filter(|c| septets(**c) == Some(1)).count();
        let extension = all.iter().filter(|c| septets(**c) == Some(2)).count();
        assert_eq!(basic, 127);
        assert_eq!(extension, 10);
    }

    #[test]
    fn backtick_and_cedilla_are_not_gsm() {
        assert_eq!(septets('`'), None);
        assert_eq!(septets('ç'), None);
        assert_eq!(septets('’'), None);
        assert_eq!(septets('@'), Some(1));
    }
}
