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
    .apply(None);
    assert_eq!(new.phone.as_deref(), Some("+14155550123"));
    assert_eq!(new.country.as_deref(), Some("US"));
    assert_eq!(new.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(new.consent, Consent::Unknown);

    let moved = draft(
        Some("u1"),
        None,
        json!({"age": null, "timezone": "Europe/Paris"}),
    )
    .apply(Some(&new));
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
    .apply(Some(&new));
    assert_eq!(same, new, "re-applying the same values changes nothing");
}

#[test]
fn a_phone_owned_by_another_contact_is_a_conflict() {
    let mut owner = draft(Some("u1"), Some("+14155550123"), json!({})).apply(None);
    owner.id = Some(ContactId(1));
    let mut other = draft(Some("u2"), None, json!({})).apply(None);
    other.id = Some(ContactId(2));

    let claim = draft(Some("u2"), Some("+14155550123"), json!({}));
    let err = claim.target(Some(&other), Some(&owner)).unwrap_err();
    assert_eq!(err.field, "phone");
    assert!(err.message.contains("\"u1\""), "{}", err.message);
    let newcomer = draft(Some("u3"), Some("+14155550123"), json!({}));
    assert!(newcomer.target(None, Some(&owner)).is_err());

    let mut anonymous = draft(None, Some("+14155550199"), json!({})).apply(None);
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
