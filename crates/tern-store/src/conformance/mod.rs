//! Stories every backend must pass, one per capability. A backend's test crate runs them all with
//! [`conformance_suite!`](crate::conformance_suite), each on a fresh, migrated store.

use chrono::{DateTime, TimeZone, Utc};
use tern_domain::{
    account::{FrequencyCap, Prices, Sender, SenderKind},
    ids::{AccountId, ApiKeyId, UserId},
};

mod access;
mod audience;
mod batches;
mod campaigns;
mod design;
mod outbox;
mod reference;
mod reports;
mod sending;
mod triggers;

pub use access::*;
pub use audience::*;
pub use batches::*;
pub use campaigns::*;
pub use design::*;
pub use outbox::*;
pub use reports::*;
pub use sending::*;
pub use triggers::*;

use crate::{
    AccountSettings, MediaItem, NewAccount, NewApiKeyRecord, NewUser, SealedTwilioCredentials,
    Session, Store, StoreError,
};

/// Generates one `#[tokio::test]` per story; `$fresh` is an async fn returning a fresh, migrated
/// store (anything that derefs to `dyn Store`), or `None` when the backend is not available here,
/// in which case the story says so and is skipped.
#[macro_export]
macro_rules! conformance_suite {
    ($fresh:path) => {
        $crate::conformance_suite!(@each $fresh,
            accounts_are_unique_by_name_and_found_by_id_name_and_write_key,
            the_mms_flag_changes_only_the_account_it_names,
            api_keys_authenticate_until_revoked_and_list_per_account,
            users_are_unique_by_email,
            sessions_last_until_they_expire_or_end,
            settings_start_with_defaults_and_round_trip,
            migrations_are_idempotent_and_readiness_reports_them,
            media_is_stored_once_per_account_and_found_only_through_its_account_or_token,
            contacts_upsert_by_revision_and_stay_in_their_account,
            consent_changes_are_kept_in_order,
            a_numbers_opt_out_outlives_its_contact,
            batches_larger_than_a_statement_are_written_and_read_whole,
            events_are_deduplicated_and_drive_carts,
            segments_are_counted_and_streamed_in_the_database,
            segments_and_imports_round_trip_per_account,
            segments_agree_with_a_reference_evaluator_on_random_definitions,
            campaigns_are_listed_filtered_and_saved_by_revision,
            designs_read_attribute_names_audience_groups_and_longest_values,
            media_in_use_is_found_in_live_designs_of_the_account,
            the_outbox_is_written_once_and_claimed_within_the_rate,
            paused_and_quiet_campaigns_wait_and_cancelled_ones_stop,
            the_frequency_cap_counts_messages_in_flight_and_in_the_same_claim,
            a_slow_sender_holds_up_no_other_sender_campaign_account_or_test,
            consent_and_the_mms_switch_are_asked_when_a_message_is_claimed,
            a_cancel_stops_what_is_still_written_or_retried,
            a_failing_provider_pauses_its_accounts_claims_for_a_while,
            lookups_that_fail_back_off_and_keep_their_first_failure,
            an_early_status_waits_for_its_own_accounts_send,
            the_first_nodes_secret_key_is_the_one_recorded,
            each_campaigns_cap_counts_its_own_days,
            users_have_roles_invites_work_once_and_a_new_password_ends_sessions,
            failed_sign_ins_wait_longer_and_are_forgotten_after_a_success,
            the_audit_trail_is_kept_per_account_newest_first,
            triggers_are_found_with_what_fires_them_and_settled_once,
            a_subscription_is_welcomed_once_and_an_import_never,
            a_reports_facts_are_its_own_touches_events_statuses_and_buckets,
        );
    };
    (@each $fresh:path, $($story:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $story() {
                let Some(store) = $fresh().await else {
                    eprintln!("backend not configured: {} skipped", stringify!($story));
                    return;
                };
                $crate::conformance::$story(&*store).await;
            }
        )*
    };
}

pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0)
        .single()
        .expect("valid time")
}

pub(crate) fn id<T: From<uuid::Uuid>>(n: u8) -> T {
    T::from(uuid::Uuid::from_bytes([n; 16]))
}

pub(crate) async fn account(store: &dyn Store, n: u8, name: &str) -> AccountId {
    let new = NewAccount {
        id: id(n),
        name: name.parse().unwrap(),
        write_key: format!("wk_{name}"),
        created_at: at(n.into()),
    };
    store.create_account(new).await.expect("create account").id
}

pub async fn accounts_are_unique_by_name_and_found_by_id_name_and_write_key(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;

    let found = store.account(acme).await.unwrap();
    assert_eq!(
        (found.name.as_str(), found.mms_enabled, found.created_at),
        ("acme", false, at(1))
    );
    assert_eq!(store.account_by_name("globex").await.unwrap().id, globex);
    assert_eq!(
        store.account_by_write_key("wk_acme").await.unwrap().id,
        acme
    );
    let names: Vec<String> = store
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name.to_string())
        .collect();
    assert_eq!(names, ["acme", "globex"]);

    let duplicate = NewAccount {
        id: id(3),
        name: "acme".parse().unwrap(),
        write_key: "wk_other".into(),
        created_at: at(3),
    };
    assert!(matches!(
        store.create_account(duplicate).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.account(id(9)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.account_by_name("nobody").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.list_accounts().await.unwrap().len(),
        2,
        "the refused account left nothing"
    );
}

pub async fn the_mms_flag_changes_only_the_account_it_names(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    assert!(store.set_mms_enabled(acme, true).await.unwrap().mms_enabled);
    assert!(store.account(acme).await.unwrap().mms_enabled);
    assert!(!store.account(globex).await.unwrap().mms_enabled);
    assert!(
        !store
            .set_mms_enabled(acme, false)
            .await
            .unwrap()
            .mms_enabled
    );
    assert!(matches!(
        store.set_mms_enabled(id(9), true).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn api_keys_authenticate_until_revoked_and_list_per_account(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let key = |n: u8, account: AccountId| NewApiKeyRecord {
        id: id(n),
        account_id: account,
        prefix: format!("tern_{n:08}"),
        hash: format!("hash-{n}"),
        created_at: at(10),
    };
    store.create_api_key(key(11, acme)).await.unwrap();
    store.create_api_key(key(12, acme)).await.unwrap();
    store.create_api_key(key(21, globex)).await.unwrap();

    let used = store.use_api_key("hash-11", at(20)).await.unwrap();
    assert_eq!((used.account_id, used.last_used_at), (acme, Some(at(20))));
    let soon = store.use_api_key("hash-11", at(50)).await.unwrap();
    assert_eq!(
        soon.last_used_at,
        Some(at(20)),
        "a use within a minute is not written"
    );
    let later = store.use_api_key("hash-11", at(80)).await.unwrap();
    assert_eq!(
        store.api_key(later.id).await.unwrap().last_used_at,
        Some(at(80))
    );
    assert!(matches!(
        store.use_api_key("hash-unknown", at(20)).await,
        Err(StoreError::NotFound)
    ));
    let listed: Vec<ApiKeyId> = store
        .list_api_keys(acme)
        .await
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed, [id::<ApiKeyId>(11), id(12)]);

    // Another account's key cannot be revoked through this account.
    assert!(matches!(
        store.revoke_api_key(Some(globex), id(11), at(30)).await,
        Err(StoreError::NotFound)
    ));
    let revoked = store
        .revoke_api_key(Some(acme), id(11), at(30))
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(at(30)));
    assert_eq!(
        store
            .revoke_api_key(None, id(11), at(40))
            .await
            .unwrap()
            .revoked_at,
        Some(at(30))
    );
    assert!(matches!(
        store.use_api_key("hash-11", at(50)).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.use_api_key("hash-12", at(50)).await.is_ok());
    let duplicate = NewApiKeyRecord {
        id: id(13),
        ..key(12, acme)
    };
    assert!(matches!(
        store.create_api_key(duplicate).await,
        Err(StoreError::Conflict { .. })
    ));
}

pub async fn users_are_unique_by_email(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let user = |n: u8, account: AccountId, email: &str| NewUser {
        id: id(n),
        account_id: account,
        email: email.parse().unwrap(),
        role: tern_domain::access::Role::Member,
        password_hash: format!("argon-{n}"),
        created_at: at(5),
    };
    store
        .create_user(user(31, acme, "ann@acme.test"))
        .await
        .unwrap();
    store
        .create_user(user(32, globex, "bob@globex.test"))
        .await
        .unwrap();
    assert!(matches!(
        store.create_user(user(33, globex, "ANN@acme.test")).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.create_user(user(34, id(9), "eve@nowhere.test")).await,
        Err(StoreError::NotFound | StoreError::Conflict { .. })
    ));

    let (found, hash) = store.user_by_email("ann@acme.test").await.unwrap();
    assert_eq!(
        (found.id, found.account_id, hash.as_str()),
        (id::<UserId>(31), acme, "argon-31")
    );
    let emails: Vec<String> = store
        .list_users(globex)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["bob@globex.test"]);
}

pub async fn sessions_last_until_they_expire_or_end(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    store
        .create_user(NewUser {
            id: id(31),
            account_id: acme,
            email: "ann@acme.test".parse().unwrap(),
            role: tern_domain::access::Role::Admin,
            password_hash: "argon".into(),
            created_at: at(0),
        })
        .await
        .unwrap();
    let session = |hash: &str, expires: i64| Session {
        token_hash: hash.into(),
        user_id: id(31),
        account_id: acme,
        email: String::new(),
        csrf_token: format!("csrf-{hash}"),
        created_at: at(0),
        expires_at: at(expires),
    };
    store.create_session(session("a", 100)).await.unwrap();
    store.create_session(session("b", 100)).await.unwrap();
    let found = store.session("a", at(99)).await.unwrap();
    assert_eq!(
        found,
        Session {
            email: "ann@acme.test".into(),
            ..session("a", 100)
        }
    );
    assert!(matches!(
        store.session("a", at(100)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.session("c", at(1)).await,
        Err(StoreError::NotFound)
    ));
    store.end_session("a").await.unwrap();
    store.end_session("a").await.unwrap();
    assert!(matches!(
        store.session("a", at(1)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.session("b", at(1)).await.unwrap().csrf_token,
        "csrf-b"
    );
}

pub async fn settings_start_with_defaults_and_round_trip(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    assert_eq!(
        store.settings(acme).await.unwrap(),
        AccountSettings::default()
    );

    let mut settings = AccountSettings {
        timezone: "Europe/Istanbul".parse().unwrap(),
        frequency_cap: Some(FrequencyCap {
            messages: 3,
            days: 7,
        }),
        opt_out_footer: "STOP to end".into(),
        test_numbers: vec!["+14155552671".into()],
        prices: Prices {
            currency: "USD".into(),
            per_segment: [("US".to_owned(), "0.0079".to_owned())].into(),
            per_mms: [("US".to_owned(), "0.0200".to_owned())].into(),
        },
        senders: vec![Sender {
            country: "US".into(),
            kind: SenderKind::ShortCode,
            address: "12345".into(),
            segments_per_second: 100,
        }],
        twilio: Some(SealedTwilioCredentials {
            account_sid: format!("AC{}", "0".repeat(32)),
            auth_token_sealed: "sealed".into(),
            api_key_sid: None,
            api_key_secret_sealed: None,
        }),
        ..AccountSettings::default()
    };
    settings.quiet_hours.allowed_from = "09:30".parse().unwrap();
    assert_eq!(store.save_settings(acme, &settings).await.unwrap(), 1);
    assert_eq!(
        store.settings(acme).await.unwrap(),
        AccountSettings {
            revision: 1,
            ..settings.clone()
        }
    );
    assert!(
        matches!(
            store.save_settings(acme, &settings).await,
            Err(StoreError::Conflict { .. })
        ),
        "a save computed from revision 0 is refused at revision 1"
    );
    assert_eq!(
        store.settings(globex).await.unwrap(),
        AccountSettings::default(),
        "other accounts are untouched"
    );
    assert!(matches!(
        store.settings(id(9)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.save_settings(id(9), &settings).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn migrations_are_idempotent_and_readiness_reports_them(store: &dyn Store) {
    store.migrate().await.unwrap();
    let readiness = store.ready().await.unwrap();
    assert!(readiness.current(), "{readiness:?}");
    assert!(readiness.known_migrations >= 1);
}

fn media_item(n: u8, account: AccountId, sha: &str) -> MediaItem {
    MediaItem {
        id: id(n),
        account_id: account,
        sha256: sha.to_owned(),
        token: format!("token-{n}"),
        format: tern_domain::media::MediaFormat::Gif,
        bytes: 614_400,
        original_bytes: 700_000,
        width: 640,
        height: 480,
        frames: 12,
        file_name: "dance.gif".into(),
        uploaded_by: None,
        created_at: at(n.into()),
    }
}

pub async fn media_is_stored_once_per_account_and_found_only_through_its_account_or_token(
    store: &dyn Store,
) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let (stored, created) = store
        .create_media(media_item(41, acme, "aa"))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(
        stored,
        media_item(41, acme, "aa"),
        "every field round-trips"
    );
    let (again, created) = store
        .create_media(media_item(42, acme, "aa"))
        .await
        .unwrap();
    assert_eq!(
        (again.id, created),
        (id(41), false),
        "the same bytes are stored once per account"
    );
    let (theirs, created) = store
        .create_media(media_item(43, globex, "aa"))
        .await
        .unwrap();
    assert!(
        created && theirs.id == id(43),
        "another account stores its own copy"
    );

    assert_eq!(store.media_by_token("token-41").await.unwrap().id, id(41));
    assert!(matches!(
        store.media(globex, id(41)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_media(acme).await.unwrap().len(), 1);
    assert!(matches!(
        store.delete_media(globex, id(41)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.delete_media(acme, id(41)).await.unwrap().sha256, "aa");
    assert!(matches!(
        store.media_by_token("token-41").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_media(globex).await.unwrap().len(), 1);
}
