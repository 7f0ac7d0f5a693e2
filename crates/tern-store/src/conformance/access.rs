//! Users, invitations, sign-in failures and the audit trail.

use chrono::TimeDelta;
use serde_json::json;
use tern_domain::{
    access::{FREE_FAILURES_PER_EMAIL, Role},
    ids::UserId,
};

use super::{account, at, id};
use crate::{AuditEntry, Invite, NewUser, Session, Store, StoreError};

fn new_user(n: u8, account: tern_domain::ids::AccountId, email: &str, role: Role) -> NewUser {
    NewUser {
        id: id(n),
        account_id: account,
        email: email.parse().unwrap(),
        role,
        password_hash: format!("hash-{n}"),
        created_at: at(0),
    }
}

fn session(user: u8, account: tern_domain::ids::AccountId, token: &str) -> Session {
    Session {
        token_hash: token.into(),
        user_id: id(user),
        account_id: account,
        email: String::new(),
        csrf_token: "csrf".into(),
        created_at: at(0),
        expires_at: at(1000),
    }
}

pub async fn users_have_roles_invites_work_once_and_a_new_password_ends_sessions(
    store: &dyn Store,
) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    store
        .create_user(new_user(31, acme, "ann@acme.test", Role::Admin))
        .await
        .unwrap();
    store
        .create_user(new_user(32, acme, "bob@acme.test", Role::Member))
        .await
        .unwrap();
    let (bob, hash) = store.user(acme, id(32)).await.unwrap();
    assert_eq!((bob.role, hash.as_str()), (Role::Member, "hash-32"));
    assert!(matches!(
        store.user(globex, id(32)).await,
        Err(StoreError::NotFound)
    ));

    // A new password ends every session of its user, and only theirs.
    store
        .create_session(session(31, acme, "ann-1"))
        .await
        .unwrap();
    store
        .create_session(session(32, acme, "bob-1"))
        .await
        .unwrap();
    store.set_password(acme, id(32), "hash-new").await.unwrap();
    assert_eq!(store.user(acme, id(32)).await.unwrap().1, "hash-new");
    assert!(matches!(
        store.session("bob-1", at(1)).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.session("ann-1", at(1)).await.is_ok());
    assert!(matches!(
        store.set_password(globex, id(31), "x").await,
        Err(StoreError::NotFound)
    ));

    // The last admin stays; another account cannot remove anyone.
    assert!(matches!(
        store.delete_user(acme, id(31), "user:ann").await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(store.user(acme, id(31)).await.is_ok(), "nothing removed");
    assert!(matches!(
        store.delete_user(globex, id(32), "user:bob").await,
        Err(StoreError::NotFound)
    ));

    let invite = Invite {
        token_hash: "invite-1".into(),
        account_id: acme,
        email: "cat@acme.test".parse().unwrap(),
        role: Role::Admin,
        created_by: "user:ann".into(),
        created_at: at(0),
        expires_at: at(100),
    };
    store.create_invite(&invite).await.unwrap();
    assert_eq!(
        store.list_invites(acme, at(1)).await.unwrap(),
        std::slice::from_ref(&invite)
    );
    assert!(store.list_invites(globex, at(1)).await.unwrap().is_empty());
    assert!(
        store.list_invites(acme, at(100)).await.unwrap().is_empty(),
        "expired"
    );
    // The invitation decides the account, e-mail and role, whatever the new user says.
    let cat = store
        .accept_invite(
            "invite-1",
            new_user(33, globex, "eve@globex.test", Role::Member),
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(
        (cat.account_id, cat.email.as_str(), cat.role),
        (acme, "cat@acme.test", Role::Admin)
    );
    assert!(matches!(
        store
            .accept_invite(
                "invite-1",
                new_user(34, acme, "x@acme.test", Role::Admin),
                at(2)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    // Now there are two admins: one may go, with their sessions and invitations.
    store
        .create_session(session(31, acme, "ann-2"))
        .await
        .unwrap();
    let anns = Invite {
        token_hash: "invite-by-ann".into(),
        ..invite.clone()
    };
    store.create_invite(&anns).await.unwrap();
    store.delete_user(acme, id(31), "user:ann").await.unwrap();
    assert!(
        store.list_invites(acme, at(1)).await.unwrap().is_empty(),
        "a removed admin's invitations go"
    );
    assert!(matches!(
        store.session("ann-2", at(1)).await,
        Err(StoreError::NotFound)
    ));

    let late = Invite {
        token_hash: "invite-2".into(),
        ..invite
    };
    store.create_invite(&late).await.unwrap();
    assert!(matches!(
        store.invite("invite-2", at(100)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .accept_invite(
                "invite-2",
                new_user(35, acme, "d@acme.test", Role::Member),
                at(100)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_invite(globex, "invite-2").await,
        Err(StoreError::NotFound)
    ));
    store.delete_invite(acme, "invite-2").await.unwrap();
}

pub async fn failed_sign_ins_wait_longer_and_are_forgotten_after_a_success(store: &dyn Store) {
    let key = "email:ann@acme.test".to_owned();
    let free = FREE_FAILURES_PER_EMAIL;
    for n in 1..free {
        assert_eq!(
            store
                .record_sign_in_failure(&key, free, at(n.into()))
                .await
                .unwrap(),
            None
        );
    }
    let first = store
        .record_sign_in_failure(&key, free, at(10))
        .await
        .unwrap();
    assert_eq!(first, Some(at(11)));
    let second = store
        .record_sign_in_failure(&key, free, at(11))
        .await
        .unwrap();
    assert_eq!(second, Some(at(13)), "the wait doubles");
    let keys = [key.clone(), "ip:192.0.2.1".to_owned()];
    assert_eq!(
        store.sign_in_blocked(&keys, at(12)).await.unwrap(),
        Some(at(13))
    );
    assert_eq!(store.sign_in_blocked(&keys, at(13)).await.unwrap(), None);

    // A day without failures starts the count again.
    let next_day = at(11) + TimeDelta::days(1) + TimeDelta::seconds(1);
    assert_eq!(
        store
            .record_sign_in_failure(&key, free, next_day)
            .await
            .unwrap(),
        None
    );
    store.record_sign_in_failure(&key, 1, at(20)).await.unwrap();
    store.clear_sign_in_failures(&key).await.unwrap();
    assert_eq!(
        store.record_sign_in_failure(&key, 1, at(21)).await.unwrap(),
        Some(at(22))
    );
}

pub async fn the_audit_trail_is_kept_per_account_newest_first(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    for (n, action) in ["settings.changed", "key.created", "campaign.launched"]
        .into_iter()
        .enumerate()
    {
        let entry = AuditEntry {
            id: 0,
            at: at(n as i64),
            actor: format!("user:{}", id::<UserId>(31)),
            action: action.into(),
            target: Some(format!("t{n}")),
            detail: json!({ "n": n }),
        };
        store.record_audit(acme, &entry).await.unwrap();
    }
    let entries = store.audit_entries(acme, None, 2).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["campaign.launched", "key.created"]);
    assert_eq!(entries[0].detail, json!({ "n": 2 }));
    assert_eq!(entries[0].at, at(2));
    let older = store
        .audit_entries(acme, Some(entries[1].id), 10)
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].action, "settings.changed");
    assert!(
        store
            .audit_entries(globex, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
