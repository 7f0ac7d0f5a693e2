use serde_json::json;

use super::*;
use crate::ids::MediaId;

const LINK: &str = "https://t.example/l/AbCd1234";

fn rules(channel: Channel, vocabulary: &Vocabulary) -> DesignRules<'_> {
    DesignRules {
        kind: CampaignType::Single,
        channel,
        vocabulary,
        mms_refusal: None,
        footer: "Reply STOP to opt out",
        sample_link: LINK,
    }
}

fn vocabulary() -> Vocabulary {
    Vocabulary {
        attributes: ["first_name".to_owned()].into(),
        cart: false,
    }
}

fn picture(n: u8) -> MediaId {
    MediaId::from_random([n; 16])
}

fn known(id: MediaId) -> Option<MediaFacts> {
    (id != picture(9)).then_some(MediaFacts { bytes: 600_000 })
}

fn codes(json: serde_json::Value, channel: Channel) -> Vec<(String, &'static str)> {
    let v = vocabulary();
    check_design(&json, &rules(channel, &v), known)
        .1
        .into_iter()
        .map(|p| (p.field, p.code))
        .collect()
}

#[test]
fn a_personalised_sms_with_the_default_footer_is_complete() {
    let v = vocabulary();
    let design = check_design(
        &json!({"body": "Hi {{ first_name | default: \"there\" }}, 20% off: https://shop.example/sale?x=1."}),
        &rules(Channel::Sms, &v),
        known,
    )
    .0
    .unwrap();
    assert!(design.shorten_links && design.opt_out_footer);
    let contact = crate::contact::ContactState {
        id: None,
        external_id: None,
        phone: None,
        country: Some("US".into()),
        attributes: json!({"first_name": "Ann"}).as_object().cloned().unwrap(),
        consent: crate::contact::Consent::Subscribed,
        timezone: None,
    };
    let composed = design
        .compose(
            &Values::new(&contact, None),
            Route::Sms,
            "Reply STOP to opt out",
            &[],
            &[],
            |_| LINK.to_owned(),
        )
        .unwrap();
    assert_eq!(
        composed.text,
        format!("Hi Ann, 20% off: {LINK}.\nReply STOP to opt out")
    );
    assert_eq!(composed.links[0].url, "https://shop.example/sale?x=1");
    assert_eq!(
        composed.counters.characters,
        composed.text.chars().count() as u32
    );
    assert_eq!(composed.counters.segments, Some(1));
}

#[test]
fn the_footer_counts_in_the_length_and_can_be_turned_off() {
    // 150 characters fit one segment alone, not with the footer.
    let body = "x".repeat(150);
    assert_eq!(
        codes(json!({"body": body, "max_segments": 1}), Channel::Sms),
        [("body".into(), "too_long")]
    );
    assert!(
        codes(
            json!({"body": body, "max_segments": 1, "opt_out_footer": false}),
            Channel::Sms
        )
        .is_empty()
    );
    let mms = "é".repeat(1510);
    assert_eq!(
        codes(json!({"body": mms}), Channel::Mms),
        [("body".into(), "too_long")]
    );
    assert!(codes(json!({"body": "é".repeat(1508)}), Channel::Mms).is_empty());
}

#[test]
fn media_are_mms_only_known_bounded_and_distinct() {
    let one = picture(1).to_string();
    assert_eq!(
        codes(json!({"body": "x", "media": [one]}), Channel::Sms),
        [("media".into(), "mms_only")]
    );
    assert_eq!(
        codes(
            json!({"media": [picture(9).to_string(), one, one, "nope"]}),
            Channel::Mms
        ),
        [
            ("media".into(), "too_many"),
            ("media[2]".into(), "duplicate"),
            ("media[3]".into(), "invalid"),
            ("media[0]".into(), "unknown_media")
        ]
    );
    let eleven: Vec<String> = (10..21).map(|n| picture(n).to_string()).collect();
    let found = codes(json!({"media": eleven}), Channel::Mms);
    assert!(found.contains(&("media".into(), "too_many")), "{found:?}");
    assert!(found.contains(&("media".into(), "too_large")), "{found:?}");
    // An MMS may be a picture alone; an SMS needs text.
    assert!(codes(json!({"media": [one]}), Channel::Mms).is_empty());
    assert_eq!(
        codes(json!({}), Channel::Sms),
        [("body".into(), "required")]
    );
}

#[test]
fn an_mms_carries_one_picture_and_a_second_is_refused() {
    let one = picture(1).to_string();
    assert!(codes(json!({"body": "x", "media": [one]}), Channel::Mms).is_empty());
    let v = vocabulary();
    let (design, found) = check_design(
        &json!({"body": "x", "media": [one, picture(2).to_string()]}),
        &rules(Channel::Mms, &v),
        known,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].field.as_str(), found[0].code),
        ("media", "too_many")
    );
    assert_eq!(
        found[0].message,
        "an MMS carries one picture; remove all but one"
    );
    // The design still previews, with both pictures, while the problem stands.
    assert_eq!(design.unwrap().media.len(), 2);
}

#[test]
fn mms_is_refused_with_the_reason_when_the_account_lacks_it() {
    let v = vocabulary();
    let mut r = rules(Channel::Mms, &v);
    r.mms_refusal = Some(InvalidSetting::new(
        "channel",
        "MMS is not enabled for this account",
    ));
    let found = check_design(&json!({"body": "x"}), &r, known).1;
    assert_eq!(
        (found[0].field.as_str(), found[0].code),
        ("channel", "mms_unavailable")
    );
    assert!(found[0].message.contains("not enabled"));
}

#[test]
fn template_problems_carry_their_position() {
    let v = vocabulary();
    let (design, found) = check_design(
        &json!({"body": "Hi {{ name }}"}),
        &rules(Channel::Sms, &v),
        known,
    );
    assert!(
        design.is_none(),
        "a template that cannot render gives no design"
    );
    assert_eq!(found[0].field, "body");
    assert_eq!(found[0].code, "unknown_variable");
    assert_eq!(found[0].position.unwrap().column, 7);
}

#[test]
fn outside_the_mms_countries_recipients_are_skipped_or_get_an_sms_with_links() {
    let v = vocabulary();
    let one = picture(1).to_string();
    let skip = check_design(
        &json!({"body": "New in", "media": [one]}),
        &rules(Channel::Mms, &v),
        known,
    )
    .0
    .unwrap();
    assert_eq!(skip.route(Channel::Mms, "CA"), Some(Route::Mms));
    assert_eq!(skip.route(Channel::Mms, "GB"), None);
    let link = check_design(
        &json!({"body": "New in", "media": [one], "outside_mms_countries": "sms_with_link"}),
        &rules(Channel::Mms, &v),
        known,
    )
    .0
    .unwrap();
    assert_eq!(link.route(Channel::Mms, "GB"), Some(Route::SmsWithLink));
    let composed = link
        .compose(
            &Values::default(),
            Route::SmsWithLink,
            "STOP to end",
            &["https://tern.example/m/abc".into()],
            &[],
            |_| LINK.into(),
        )
        .unwrap();
    assert_eq!(composed.text, format!("New in\n{LINK}\nSTOP to end"));
    assert_eq!(composed.counters.channel, crate::text::Channel::Sms);
    assert_eq!(
        codes(
            json!({"body": "x", "outside_mms_countries": "sms_with_link"}),
            Channel::Sms
        ),
        [("outside_mms_countries".into(), "invalid")]
    );
}

#[test]
fn links_from_data_are_tracked_only_on_the_accounts_own_domains() {
    let v = Vocabulary {
        attributes: ["offer".to_owned(), "path".to_owned()].into(),
        cart: false,
    };
    let design = check_design(
        &json!({"body": "{{ offer }} or https://shop.example/{{ path }} or {{ offer | default: \"https://deals.example/x\" }}"}),
        &rules(Channel::Sms, &v),
        known,
    )
    .0
    .unwrap();
    let compose = |offer: &str, path: &str, own: &[String]| {
        let contact = crate::contact::ContactState {
            id: None,
            external_id: None,
            phone: None,
            country: Some("US".into()),
            attributes: json!({"offer": offer, "path": path})
                .as_object()
                .cloned()
                .unwrap(),
            consent: crate::contact::Consent::Subscribed,
            timezone: None,
        };
        let composed = design
            .compose(
                &Values::new(&contact, None),
                Route::Sms,
                "",
                &[],
                own,
                |_| LINK.to_owned(),
            )
            .unwrap();
        composed
            .links
            .into_iter()
            .map(|l| l.url)
            .collect::<Vec<_>>()
    };
    // The template's own link is tracked whatever fills its path; an attribute's link to
    // another host is sent as written, untracked.
    assert_eq!(
        compose("https://evil.example/a", "p/1", &[]),
        ["https://shop.example/p/1"]
    );
    // What fills the path stays on the template's host.
    assert_eq!(
        compose("x", "@evil.example/a", &[]),
        ["https://shop.example/@evil.example/a"]
    );
    // Data that only looks like the template's link is not tracked: user info, backslashes.
    for sneaky in [
        "https://shop.example@evil.example/x",
        "https://evil.example\\.shop.example/",
    ] {
        assert_eq!(
            compose(sneaky, "p", &[]),
            ["https://shop.example/p"],
            "{sneaky}"
        );
    }
    // An attribute's link to an own domain (or a subdomain) is tracked.
    let own = vec!["deals.example".to_owned()];
    assert_eq!(
        compose("https://www.deals.example/b", "p", &own),
        [
            "https://www.deals.example/b",
            "https://shop.example/p",
            "https://www.deals.example/b"
        ]
    );
}

#[test]
fn links_end_before_trailing_punctuation_and_need_a_host() {
    let out = replace_links(
        "See (https://a.example/x), http://b.example! and https:// alone",
        |u| format!("<{u}>"),
    );
    assert_eq!(
        out,
        "See (<https://a.example/x>), <http://b.example>! and https:// alone"
    );
    assert_eq!(
        replace_links("xhttps://a.example", |_| "L".into()),
        "xhttps://a.example"
    );
}

#[test]
fn an_empty_fallback_or_none_for_an_attribute_some_lack_is_warned_about() {
    let v = Vocabulary {
        attributes: ["first_name".to_owned(), "city".to_owned()].into(),
        cart: false,
    };
    let design = check_design(
        &json!({"body": "Hi {{ first_name | default: \"\" }}, {{ first_name }} in {{ city }}{% if city %} ({{ city }}){% endif %} {{ country }} {{ city | default: \"town\" }}"}),
        &rules(Channel::Sms, &v),
        known,
    )
    .0
    .unwrap();
    assert_eq!(design.attributes_without_fallback(), ["first_name", "city"]);
    let lacking = [("first_name".to_owned(), 0), ("city".to_owned(), 3)].into();
    let warnings = design.fallback_warnings(&lacking);
    let found: Vec<(&str, &str)> = warnings
        .iter()
        .map(|w| (w.variable.as_str(), w.code))
        .collect();
    // first_name without a default is fine while every recipient has one.
    assert_eq!(
        found,
        [("first_name", "empty_fallback"), ("city", "no_fallback")]
    );
    assert!(
        warnings[0]
            .message
            .contains("{{ first_name | default: \"there\" }}"),
        "{}",
        warnings[0].message
    );
    assert!(
        warnings[1]
            .message
            .starts_with("3 contacts who may receive it have no city"),
        "{}",
        warnings[1].message
    );
    assert_eq!(warnings[0].position.column, 4);
}

#[test]
fn a_product_pictures_link_counts_in_the_sms_sent_outside_the_mms_countries() {
    let v = Vocabulary {
        attributes: Default::default(),
        cart: true,
    };
    let rules = DesignRules {
        kind: CampaignType::CartReminder,
        ..rules(Channel::Mms, &v)
    };
    // 130 characters and the footer fit one segment; the picture's link does not.
    let body = "x".repeat(130);
    let design = json!({"body": body, "product_picture": true, "max_segments": 1,
        "outside_mms_countries": "sms_with_link"});
    let (checked, problems) = check_design(&design, &rules, known);
    assert_eq!(checked.unwrap().pictures(), 1);
    assert!(
        problems
            .iter()
            .any(|p| p.field == "body" && p.code == "too_long"),
        "{problems:?}"
    );
}
