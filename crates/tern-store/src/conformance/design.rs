//! Stories of what a campaign's design and estimate read: attribute names, the audience by
//! country and consent, the longest personalised values, and media in use.

use serde_json::json;
use tern_domain::{
    audience::Condition,
    campaign::{CampaignStatus, CampaignType, Channel, estimate::AudienceGroup},
    contact::Consent,
    ids::MediaId,
};

use super::{
    account, at,
    audience::{insert, state},
    id,
};
use crate::{CampaignChange, CampaignRecord, Store};

fn everyone() -> Condition {
    Condition::Consent(Consent::ALL.to_vec())
}

pub async fn designs_read_attribute_names_audience_groups_and_longest_values(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    store
        .write_contacts(
            acme,
            &[
                insert(state(
                    "a1",
                    Some("+14155550101"),
                    json!({"first_name": "Al", "tier": 1}),
                    "subscribed",
                )),
                insert(state(
                    "a2",
                    Some("+14155550102"),
                    json!({"first_name": "Bartholomew"}),
                    "subscribed",
                )),
                insert(state(
                    "a3",
                    Some("+16135550103"),
                    json!({"first_name": "Céline", "tier": 12345}),
                    "unsubscribed",
                )),
                insert(state("a4", Some("+447400123456"), json!({}), "unknown")),
                insert(state("a5", None, json!({"vip": true}), "subscribed")),
            ],
            at(10),
        )
        .await
        .unwrap();
    store
        .write_contacts(
            globex,
            &[insert(state(
                "g1",
                Some("+14155550101"),
                json!({"first_name": "A much longer name than any of acme's", "city": "Oslo"}),
                "subscribed",
            ))],
            at(10),
        )
        .await
        .unwrap();

    assert_eq!(
        store.attribute_names(acme).await.unwrap(),
        ["first_name", "tier", "vip"]
    );
    assert_eq!(
        store.attribute_names(globex).await.unwrap(),
        ["city", "first_name"]
    );

    let mut groups = store
        .audience_groups(acme, &everyone(), at(20))
        .await
        .unwrap();
    groups.sort_by_key(|g| (g.country.clone(), g.consent.as_str()));
    let group = |country: Option<&str>, has_phone, consent, count| AudienceGroup {
        country: country.map(str::to_owned),
        has_phone,
        consent,
        count,
    };
    assert_eq!(
        groups,
        [
            group(None, false, Consent::Subscribed, 1),
            group(Some("CA"), true, Consent::Unsubscribed, 1),
            group(Some("GB"), true, Consent::Unknown, 1),
            group(Some("US"), true, Consent::Subscribed, 2),
        ]
    );

    let names = [
        "first_name".to_owned(),
        "tier".to_owned(),
        "city".to_owned(),
    ];
    let longest = store
        .longest_values(acme, &everyone(), &names, at(20))
        .await
        .unwrap();
    assert_eq!(longest.get("first_name"), Some(&json!("Bartholomew")));
    assert_eq!(longest.get("tier"), Some(&json!(12345)));
    assert_eq!(longest.get("city"), None, "no acme contact has a city");
    let subscribed = Condition::Consent(vec![Consent::Subscribed]);
    let longest = store
        .longest_values(acme, &subscribed, &names[1..2], at(20))
        .await
        .unwrap();
    assert_eq!(
        longest.get("tier"),
        Some(&json!(1)),
        "only the audience counts"
    );
}

pub async fn media_in_use_is_found_in_live_designs_of_the_account(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let picture: MediaId = id(40);
    let other: MediaId = id(41);
    let campaign = |n: u8, account, status, archived: bool, media: MediaId| CampaignRecord {
        id: id(n),
        account_id: account,
        name: format!("c{n}"),
        kind: CampaignType::Single,
        channel: Channel::Mms,
        status,
        steps: json!({"design": {"body": "x", "media": [media.to_string()]}})
            .as_object()
            .cloned()
            .unwrap(),
        archived_at: archived.then(|| at(5)),
        created_by: "key".into(),
        updated_by: "key".into(),
        revision: 1,
        created_at: at(1),
        updated_at: at(1),
    };
    let change = CampaignChange {
        what: "created".into(),
        by: "key".into(),
        at: at(1),
    };
    for c in [
        campaign(10, acme, CampaignStatus::Draft, false, picture),
        campaign(11, acme, CampaignStatus::Scheduled, false, picture),
        campaign(12, acme, CampaignStatus::Completed, false, picture),
        campaign(13, acme, CampaignStatus::Cancelled, false, picture),
        campaign(14, acme, CampaignStatus::Draft, true, picture),
        campaign(15, acme, CampaignStatus::Draft, false, other),
        campaign(16, globex, CampaignStatus::Draft, false, picture),
    ] {
        store.create_campaign(&c, &change).await.unwrap();
    }
    let using: Vec<String> = store
        .campaigns_using_media(acme, picture)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(using, ["c10", "c11"]);
    assert!(
        store
            .campaigns_using_media(acme, id(42))
            .await
            .unwrap()
            .is_empty()
    );
}
