//! Stories of campaigns and their history.

use serde_json::json;
use tern_domain::{
    campaign::{CampaignStatus, CampaignType, Channel},
    ids::AccountId,
};

use super::{account, at, id};
use crate::{CampaignChange, CampaignQuery, CampaignRecord, CampaignSort, Store, StoreError};

fn campaign(
    n: u8,
    account: AccountId,
    name: &str,
    kind: CampaignType,
    channel: Channel,
) -> CampaignRecord {
    CampaignRecord {
        id: id(n),
        account_id: account,
        name: name.into(),
        kind,
        channel,
        status: CampaignStatus::Draft,
        steps: serde_json::Map::new(),
        archived_at: None,
        created_by: "key-1".into(),
        updated_by: "key-1".into(),
        revision: 1,
        created_at: at(n.into()),
        updated_at: at(n.into()),
    }
}

fn change(what: &str, t: i64) -> CampaignChange {
    CampaignChange {
        what: what.into(),
        by: "key-1".into(),
        at: at(t),
    }
}

pub async fn campaigns_are_listed_filtered_and_saved_by_revision(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let made = [
        campaign(
            10,
            acme,
            "Black Friday 50%",
            CampaignType::Single,
            Channel::Mms,
        ),
        campaign(
            11,
            acme,
            "abandoned carts",
            CampaignType::CartReminder,
            Channel::Sms,
        ),
        campaign(12, acme, "Welcome_new", CampaignType::Welcome, Channel::Sms),
    ];
    for c in &made {
        store
            .create_campaign(c, &change("created", 1))
            .await
            .unwrap();
    }
    store
        .create_campaign(
            &campaign(
                13,
                globex,
                "Black Friday",
                CampaignType::Single,
                Channel::Sms,
            ),
            &change("created", 1),
        )
        .await
        .unwrap();
    assert_eq!(store.campaign(acme, id(10)).await.unwrap(), made[0]);
    assert!(matches!(
        store.campaign(globex, id(10)).await,
        Err(StoreError::NotFound)
    ));

    let names = |list: Vec<CampaignRecord>| list.into_iter().map(|c| c.name).collect::<Vec<_>>();
    let list = |query: CampaignQuery| async move {
        store
            .list_campaigns(
                acme,
                &CampaignQuery {
                    limit: if query.limit == 0 { 10 } else { query.limit },
                    ..query
                },
            )
            .await
            .unwrap()
    };
    assert_eq!(
        names(list(CampaignQuery::default()).await),
        ["Welcome_new", "abandoned carts", "Black Friday 50%"]
    );
    assert_eq!(
        names(
            list(CampaignQuery {
                sort: CampaignSort::Name,
                ..Default::default()
            })
            .await
        ),
        ["abandoned carts", "Black Friday 50%", "Welcome_new"]
    );
    assert_eq!(
        names(
            list(CampaignQuery {
                search: Some("FRIDAY".into()),
                ..Default::default()
            })
            .await
        ),
        ["Black Friday 50%"]
    );
    assert_eq!(
        names(
            list(CampaignQuery {
                search: Some("0%".into()),
                ..Default::default()
            })
            .await
        ),
        ["Black Friday 50%"]
    );
    assert!(
        list(CampaignQuery {
            search: Some("e_n".into()),
            ..Default::default()
        })
        .await
        .len()
            == 1,
        "_ is a character, not a wildcard"
    );
    assert!(
        list(CampaignQuery {
            search: Some("%".into()),
            ..Default::default()
        })
        .await
        .len()
            == 1
    );
    assert_eq!(
        names(
            list(CampaignQuery {
                kind: Some(CampaignType::CartReminder),
                ..Default::default()
            })
            .await
        ),
        ["abandoned carts"]
    );
    assert_eq!(
        list(CampaignQuery {
            channel: Some(Channel::Sms),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        names(
            list(CampaignQuery {
                limit: 1,
                offset: 1,
                ..Default::default()
            })
            .await
        ),
        ["abandoned carts"]
    );

    let mut next = made[0].clone();
    next.name = "Cyber Monday".into();
    next.steps.insert("segments".into(), json!({"include": []}));
    next.archived_at = Some(at(20));
    next.revision = 2;
    next.updated_at = at(20);
    store
        .save_campaign(&next, &change("renamed", 20))
        .await
        .unwrap();
    assert_eq!(store.campaign(acme, id(10)).await.unwrap(), next);
    assert!(
        matches!(
            store.save_campaign(&next, &change("renamed", 21)).await,
            Err(StoreError::Conflict { .. })
        ),
        "a save from a stale revision is refused"
    );
    let stolen = CampaignRecord {
        account_id: globex,
        revision: 3,
        ..next.clone()
    };
    assert!(
        store
            .save_campaign(&stolen, &change("renamed", 22))
            .await
            .is_err()
    );
    assert_eq!(
        names(
            list(CampaignQuery {
                archived: true,
                ..Default::default()
            })
            .await
        ),
        ["Cyber Monday"]
    );
    assert_eq!(list(CampaignQuery::default()).await.len(), 2);

    let history = store.campaign_changes(acme, id(10)).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|c| (c.what.as_str(), c.at))
            .collect::<Vec<_>>(),
        [("created", at(1)), ("renamed", at(20))]
    );
    assert!(matches!(
        store.campaign_changes(globex, id(10)).await,
        Err(StoreError::NotFound)
    ));
}
