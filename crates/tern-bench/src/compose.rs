//! How fast a recipient's text is made: `Design::compose` (Liquid render, link shortening,
//! footer, counters) against a baseline that builds the same text with `format!` and counts it.

use std::time::Instant;

use serde_json::json;
use tern_domain::{
    campaign::{
        CampaignType, Channel,
        design::{DesignRules, MediaFacts, Route, check_design},
    },
    contact::{Consent, ContactState},
    template::{Values, Vocabulary},
    text::{self, SegmentCap},
};

const BODY: &str = "Hi {{ first_name | default: \"there\" }}! {% if tier == \"gold\" %}Gold members get 30% off{% else %}20% off{% endif %} this weekend: https://shop.example/sale";
const FOOTER: &str = "Reply STOP to opt out";
const LINK: &str = "https://t.example/l/AbCd1234";

fn contacts(n: usize) -> Vec<ContactState> {
    (0..n)
        .map(|i| ContactState {
            id: None,
            external_id: None,
            phone: Some(format!("+1415555{:04}", i % 10_000)),
            country: Some("US".into()),
            attributes: json!({"first_name": format!("Name{i}"), "tier": if i % 3 == 0 { "gold" } else { "silver" }})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            consent: Consent::Subscribed,
            timezone: None,
        })
        .collect()
}

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

pub fn compose(recipients: usize) -> anyhow::Result<()> {
    let vocabulary = Vocabulary {
        attributes: ["first_name".to_owned(), "tier".to_owned()].into(),
        cart: false,
    };
    let rules = DesignRules {
        kind: CampaignType::Single,
        channel: Channel::Sms,
        vocabulary: &vocabulary,
        mms_refusal: None,
        footer: FOOTER,
        sample_link: LINK,
    };
    let (design, problems) = check_design(&json!({"body": BODY}), &rules, |_| None::<MediaFacts>);
    let design = design
        .filter(|_| problems.is_empty())
        .ok_or_else(|| anyhow::anyhow!("{problems:?}"))?;
    let people = contacts(recipients);
    let mut composed_runs = Vec::new();
    let mut baseline_runs = Vec::new();
    let mut units = 0_u64;
    for _ in 0..5 {
        let started = Instant::now();
        for contact in &people {
            let values = Values::new(contact, None);
            let c = design
                .compose(&values, Route::Sms, FOOTER, &[], &[], |_| LINK.to_owned())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            units += u64::from(c.counters.units);
        }
        composed_runs.push(recipients as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        for contact in &people {
            let name = contact.attributes["first_name"].as_str().unwrap_or("there");
            let offer = if contact.attributes["tier"] == "gold" {
                "Gold members get 30% off"
            } else {
                "20% off"
            };
            let text = format!("Hi {name}! {offer} this weekend: {LINK}\n{FOOTER}");
            units +=
                u64::from(text::inspect(&text, text::Channel::Sms, SegmentCap::default()).units);
        }
        baseline_runs.push(recipients as f64 / started.elapsed().as_secs_f64());
    }
    let (composed, baseline) = (median(composed_runs), median(baseline_runs));
    println!(
        "compose: {recipients} recipients × 5 runs; Design::compose {composed:.0}/s, baseline format!+inspect {baseline:.0}/s, ratio {:.2} (units checksum {units})",
        composed / baseline
    );
    Ok(())
}
