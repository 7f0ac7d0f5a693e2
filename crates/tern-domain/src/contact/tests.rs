use serde_json::json;

use super::*;

fn draft(external_id: Option<&str>, phone: Option<&str>, attributes: Value) -> ContactDraft {
    ContactDraft::parse(
        ContactInput {
            external_id,
            phone,
            attributes: Some(attributes),
            consent: None,
        },
        None,
    )
    .unwrap()
}

#[test]
fn a_draft_names_each_bad_field() {
    let problems = ContactDraft::parse(
        ContactInput {
            external_id: None,
            phone: Some("+1 555"),
            attributes: Some(json!(["not", "an", "object"])),
            consent: Some("maybe"),
        },
        None,
    )
    .unwrap_err();
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["phone", "attributes", "consent"]);
    let none = ContactDraft::parse(ContactInput::default(), None).unwrap_err();
    assert!(
        none[0]
            .message
            .contains("external id, a phone number, or both")
    );
}

#[test]
fn applying_merges_attributes_and_derives_country_and_zone() {
    let new = draft(
        Some("u1"),
        Some("+1 415 555 0123"),
        json!({"tier": "gold", "age": 31}),
    )
    .apply(None, ConsentSource::Api);
    assert_eq!(new.phone.as_deref(), Some("+14155550123"));
    assert_eq!(new.country.as_deref(), Some("US"));
    assert_eq!(new.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(new.consent, Consent::Unknown);

    let moved = draft(
        Some("u1"),
        None,
        json!({"age": null, "timezone": "Europe/Paris"}),
    )
    .apply(Some(&new), ConsentSource::Api);
    assert_eq!(
        moved.attributes,
        *json!({"tier": "gold", "timezone": "Europe/Paris"})
            .as_object()
            .unwrap()
    );
    assert_eq!(moved.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(
        moved.phone, new.phone,
        "a draft without a phone keeps the stored one"
    );

    let same = draft(
        Some("u1"),
        Some("+14155550123"),
        json!({"tier": "gold", "age": 31}),
    )
    .apply(Some(&new), ConsentSource::Api);
    assert_eq!(same, new, "re-applying the same values changes nothing");
}

#[test]
fn a_phone_owned_by_another_contact_is_a_conflict() {
    let mut owner =
        draft(Some("u1"), Some("+14155550123"), json!({})).apply(None, ConsentSource::Api);
    owner.id = Some(ContactId(1));
    let mut other = draft(Some("u2"), None, json!({})).apply(None, ConsentSource::Api);
    other.id = Some(ContactId(2));

    let claim = draft(Some("u2"), Some("+14155550123"), json!({}));
    let err = claim.target(Some(&other), Some(&owner)).unwrap_err();
    assert_eq!(err.field, "phone");
    assert!(err.message.contains("\"u1\""), "{}", err.message);
    let newcomer = draft(Some("u3"), Some("+14155550123"), json!({}));
    assert!(newcomer.target(None, Some(&owner)).is_err());

    let mut anonymous =
        draft(None, Some("+14155550199"), json!({})).apply(None, ConsentSource::Api);
    anonymous.id = Some(ContactId(3));
    let adopt = draft(Some("u4"), Some("+14155550199"), json!({}));
    assert_eq!(
        adopt.target(None, Some(&anonymous)).unwrap(),
        Some(&anonymous)
    );
}

#[test]
fn consent_reads_the_spellings_csv_files_use() {
    assert_eq!("Yes".parse::<Consent>(), Ok(Consent::Subscribed));
    assert_eq!("opted_out".parse::<Consent>(), Ok(Consent::Unsubscribed));
    assert_eq!("".parse::<Consent>(), Ok(Consent::Unknown));
    assert!("perhaps".parse::<Consent>().is_err());
}

fn with_consent(consent: Consent) -> ContactState {
    let mut state = draft(Some("u1"), None, json!({})).apply(None, ConsentSource::Api);
    state.consent = consent;
    state
}

fn asking(consent: Consent, proof: Option<ConsentProof>) -> ContactDraft {
    let mut asked = draft(Some("u1"), None, json!({}));
    asked.consent = Some(consent);
    asked.consent_proof = proof;
    asked
}

fn proof() -> ConsentProof {
    let now = chrono::Utc::now();
    ConsentProof::new(
        "web form double opt-in",
        now,
        "https://shop.example/join",
        now,
    )
    .unwrap()
}

#[test]
fn an_opt_out_is_undone_only_by_start_or_a_proven_api_call() {
    let opted_out = with_consent(Consent::Unsubscribed);
    for source in [
        ConsentSource::Import,
        ConsentSource::Identify,
        ConsentSource::Api,
        ConsentSource::Provider,
    ] {
        for wanted in [Consent::Subscribed, Consent::Unknown] {
            let next = asking(wanted, None).apply(Some(&opted_out), source);
            assert_eq!(next.consent, Consent::Unsubscribed, "{source:?} {wanted:?}");
            assert!(asking(wanted, None).consent_refused(Some(&opted_out), source));
        }
    }
    // A proof counts only from the API: an import or a write key cannot bring one.
    let proven = asking(Consent::Subscribed, Some(proof()));
    assert_eq!(
        proven
            .apply(Some(&opted_out), ConsentSource::Import)
            .consent,
        Consent::Unsubscribed
    );
    assert_eq!(
        proven.apply(Some(&opted_out), ConsentSource::Api).consent,
        Consent::Subscribed
    );
    assert_eq!(
        asking(Consent::Subscribed, None)
            .apply(Some(&opted_out), ConsentSource::Keyword)
            .consent,
        Consent::Subscribed
    );
}

#[test]
fn anyone_may_record_an_opt_out_or_a_first_consent() {
    for source in [
        ConsentSource::Import,
        ConsentSource::Api,
        ConsentSource::Identify,
    ] {
        let subscribed = with_consent(Consent::Subscribed);
        let out = asking(Consent::Unsubscribed, None).apply(Some(&subscribed), source);
        assert_eq!(out.consent, Consent::Unsubscribed);
        let unknown = with_consent(Consent::Unknown);
        let joined = asking(Consent::Subscribed, None).apply(Some(&unknown), source);
        assert_eq!(joined.consent, Consent::Subscribed);
        assert!(!asking(Consent::Subscribed, None).consent_refused(Some(&unknown), source));
    }
}

#[test]
fn a_proof_must_say_how_when_and_where() {
    let now = chrono::Utc::now();
    assert_eq!(
        ConsentProof::new(" ", now, "shop", now).unwrap_err().field,
        "consent_proof.method"
    );
    assert_eq!(
        ConsentProof::new("form", now, "a\nb", now)
            .unwrap_err()
            .field,
        "consent_proof.location"
    );
    let tomorrow = now + chrono::TimeDelta::days(1);
    assert_eq!(
        ConsentProof::new("form", tomorrow, "shop", now)
            .unwrap_err()
            .field,
        "consent_proof.collected_at"
    );
    assert!(ConsentProof::new("form", now, "shop", now).is_ok());
}

#[test]
fn attributes_with_a_nul_character_are_refused() {
    let refused = ContactDraft::parse(
        ContactInput {
            external_id: Some("u1"),
            attributes: Some(json!({"note": "a\u{0}b"})),
            ..Default::default()
        },
        None,
    )
    .unwrap_err();
    assert_eq!(refused[0].field, "attributes");
}
