//! Campaigns: the three message types, their channels and statuses, and the wizard steps each
//! type walks through (PRODUCT.md's table). Step contents and their checks are in [`steps`].

pub mod design;
pub mod estimate;
pub mod launch;
pub mod steps;
pub mod trigger;

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::account::InvalidSetting;

/// Longest campaign name.
pub const MAX_NAME: usize = 120;

/// What triggers a campaign's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignType {
    /// A one-off send to segments.
    Single,
    /// To a shopper who left items in the cart.
    CartReminder,
    /// To a new subscriber.
    Welcome,
}

/// A wizard step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Segments,
    Rules,
    Design,
    Goals,
    Launch,
}

impl CampaignType {
    pub const ALL: [CampaignType; 3] = [Self::Single, Self::CartReminder, Self::Welcome];

    /// The type's steps, in the order the wizard walks them.
    pub fn steps(self) -> &'static [Step] {
        match self {
            Self::Single => &[Step::Segments, Step::Design, Step::Goals, Step::Launch],
            Self::CartReminder => &[Step::Rules, Step::Design, Step::Goals, Step::Launch],
            Self::Welcome => &[Step::Rules, Step::Design, Step::Launch],
        }
    }

    /// Whether the type's messages are triggered by events rather than sent once.
    pub fn triggered(self) -> bool {
        self != Self::Single
    }

    /// The step, if it belongs to this type; otherwise why not.
    pub fn step(self, step: Step) -> Result<Step, InvalidSetting> {
        if self.steps().contains(&step) {
            Ok(step)
        } else {
            let names: Vec<&str> = self.steps().iter().map(|s| s.as_str()).collect();
            Err(InvalidSetting::new(
                "step",
                format!(
                    "a {} campaign has no {} step (its steps: {})",
                    self.label(),
                    step.as_str(),
                    names.join(", ")
                ),
            ))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::CartReminder => "cart_reminder",
            Self::Welcome => "welcome",
        }
    }

    /// The type's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Single => "Single",
            Self::CartReminder => "Cart Reminder",
            Self::Welcome => "Welcome",
        }
    }
}

impl FromStr for CampaignType {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                InvalidSetting::new(
                    "type",
                    format!("unknown type {s:?}: use single, cart_reminder or welcome"),
                )
            })
    }
}

impl Step {
    pub const ALL: [Step; 5] = [
        Self::Segments,
        Self::Rules,
        Self::Design,
        Self::Goals,
        Self::Launch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Segments => "segments",
            Self::Rules => "rules",
            Self::Design => "design",
            Self::Goals => "goals",
            Self::Launch => "launch",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Step {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|step| step.as_str() == s)
            .ok_or_else(|| {
                InvalidSetting::new(
                    "step",
                    format!("unknown step {s:?}: use segments, rules, design, goals or launch"),
                )
            })
    }
}

/// How a campaign's messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Mms,
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    /// A triggered campaign that is sending as its triggers fire.
    Active,
    Running,
    Paused,
    Completed,
    Cancelled,
}

impl CampaignStatus {
    /// Whether the campaign may still send: its media stay in use.
    pub fn live(self) -> bool {
        !matches!(self, Self::Completed | Self::Cancelled)
    }
}

/// A campaign name: trimmed, 1 to [`MAX_NAME`] characters, no control characters.
pub fn check_name(name: &str) -> Result<String, InvalidSetting> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(InvalidSetting::new(
            "name",
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidSetting::new(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_walks_the_steps_of_the_product_table() {
        use Step::*;
        assert_eq!(
            CampaignType::Single.steps(),
            [Segments, Design, Goals, Launch]
        );
        assert_eq!(
            CampaignType::CartReminder.steps(),
            [Rules, Design, Goals, Launch]
        );
        assert_eq!(CampaignType::Welcome.steps(), [Rules, Design, Launch]);
    }

    #[test]
    fn a_step_outside_the_type_is_refused_naming_the_types_steps() {
        let err = CampaignType::Welcome.step(Step::Goals).unwrap_err();
        assert_eq!(err.field, "step");
        assert_eq!(
            err.message,
            "a Welcome campaign has no goals step (its steps: rules, design, launch)"
        );
        assert!(CampaignType::Single.step(Step::Rules).is_err());
        assert_eq!(
            CampaignType::CartReminder.step(Step::Rules),
            Ok(Step::Rules)
        );
    }

    #[test]
    fn names_and_types_are_checked() {
        assert_eq!(check_name("  Black Friday  "), Ok("Black Friday".into()));
        assert!(check_name(" ").is_err());
        assert!(check_name(&"x".repeat(121)).is_err());
        assert!("cart-reminder".parse::<CampaignType>().is_err());
        assert_eq!("cart_reminder".parse(), Ok(CampaignType::CartReminder));
    }
}

/// Why an account may not use MMS, if it may not: the operator must have enabled MMS, and the
/// account needs a sender in at least one of the MMS countries (AU, CA, US).
pub fn mms_refusal<'a>(
    mms_enabled: bool,
    sender_countries: impl IntoIterator<Item = &'a str>,
) -> Option<InvalidSetting> {
    if !mms_enabled {
        return Some(InvalidSetting::new(
            "channel",
            "MMS is not enabled for this account: the operator enables it (tern accounts mms enable)",
        ));
    }
    let mut countries = sender_countries.into_iter();
    if !countries.any(|c| crate::phone::MMS_COUNTRIES.contains(&c)) {
        return Some(InvalidSetting::new(
            "channel",
            "MMS needs a sender in Australia, Canada or the USA: add one in the settings",
        ));
    }
    None
}

#[cfg(test)]
mod gate_tests {
    use super::*;

    #[test]
    fn mms_needs_the_operators_switch_and_a_sender_in_an_mms_country() {
        assert!(
            mms_refusal(false, ["US"])
                .unwrap()
                .message
                .contains("not enabled")
        );
        assert!(
            mms_refusal(true, ["GB", "FR"])
                .unwrap()
                .message
                .contains("Australia, Canada or the USA")
        );
        assert_eq!(mms_refusal(true, ["GB", "CA"]), None);
    }
}
