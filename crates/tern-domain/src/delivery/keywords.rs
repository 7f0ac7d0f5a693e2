//! Consent keywords in inbound messages, as Twilio reads them: only a whole body counts, in any
//! case ("stop please" is not a keyword). Twilio's `OptOutType`, when a Messaging Service with
//! Advanced Opt-Out sends it, decides instead.

/// What an inbound message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Unsubscribe.
    Stop,
    /// Subscribe again.
    Start,
    /// Answer with the account's HELP text.
    Help,
}

const STOP: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const START: [&str; 3] = ["START", "YES", "UNSTOP"];
const HELP: [&str; 2] = ["HELP", "INFO"];

/// The keyword of an inbound message, if it is one; `opt_out_type` is Twilio's `OptOutType`.
pub fn keyword(body: &str, opt_out_type: Option<&str>) -> Option<Keyword> {
    if let Some(kind) = opt_out_type {
        return match kind.trim().to_ascii_uppercase().as_str() {
            "STOP" => Some(Keyword::Stop),
            "START" => Some(Keyword::Start),
            "HELP" => Some(Keyword::Help),
            _ => None,
        };
    }
    let word = body.trim().to_uppercase();
    if STOP.contains(&word.as_str()) {
        Some(Keyword::Stop)
    } else if START.contains(&word.as_str()) {
        Some(Keyword::Start)
    } else if HELP.contains(&word.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_bodies_in_any_case_are_keywords() {
        for body in [
            "STOP",
            "stop",
            " Stop ",
            "STOPALL",
            "unsubscribe",
            "Cancel",
            "END",
            "quit",
            "revoke",
            "OptOut",
        ] {
            assert_eq!(keyword(body, None), Some(Keyword::Stop), "{body:?}");
        }
        for body in ["START", "yes", "Unstop"] {
            assert_eq!(keyword(body, None), Some(Keyword::Start), "{body:?}");
        }
        assert_eq!(keyword("help", None), Some(Keyword::Help));
        assert_eq!(keyword("INFO", None), Some(Keyword::Help));
    }

    #[test]
    fn a_keyword_inside_a_sentence_is_not_one() {
        for body in [
            "stop please",
            "please stop",
            "STOP STOP",
            "",
            "stopp",
            "stop.",
        ] {
            assert_eq!(keyword(body, None), None, "{body:?}");
        }
    }

    #[test]
    fn twilios_opt_out_type_decides_when_present() {
        assert_eq!(keyword("arrêt", Some("STOP")), Some(Keyword::Stop));
        assert_eq!(keyword("STOP", Some("")), None);
        assert_eq!(keyword("hello", Some("HELP")), Some(Keyword::Help));
    }
}
