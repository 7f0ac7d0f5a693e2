//! CSV imports through the API: mapping, bad rows by line, idempotence.

use reqwest::StatusCode;
use serde_json::json;
use tern_testkit::spawn_app;

const FILE: &str = "\
Customer ID,Mobile,First Name,Age,SMS Opt-In,Zip
c1,+14155550101,Ada,36,yes,02134
c2,+1 555,Bob,41,yes,10001
c3,(604) 555-0102,Cleo,29,no,
,,Dan,50,yes,
c5,+33612345678,\"Eve, Jr.\",22,unknown,75001
c1,+14155550101,Ada,37,yes,02134
";

#[tokio::test]
async fn a_file_imports_its_good_rows_and_reports_the_bad_ones_by_line() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let done = app
        .import_and_wait(&acme.key, FILE, &[("default_region", "CA")])
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        (done["rows_done"].as_u64(), done["rejected"].as_u64()),
        (Some(6), Some(2))
    );
    // c1 appears twice: created, then updated by its second row.
    assert_eq!(
        (done["created"].as_u64(), done["updated"].as_u64()),
        (Some(3), Some(1))
    );
    let rejected: Vec<(u64, &str)> = done["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, [(3, "phone"), (5, "external_id")]);
    assert_eq!(done["progress"], 1.0);

    let contacts = app.get("/api/v1/contacts", &acme.key).await.body;
    let c1 = &contacts["contacts"][0];
    assert_eq!(
        c1["attributes"],
        json!({"first_name": "Ada", "age": 37, "zip": "02134"})
    );
    assert_eq!(
        (c1["consent"].as_str(), c1["consent_source"].as_str()),
        (Some("subscribed"), Some("import"))
    );
    let c3 = &contacts["contacts"][1];
    assert_eq!(
        (c3["phone"].as_str(), c3["consent"].as_str()),
        (Some("+16045550102"), Some("unsubscribed"))
    );
    assert_eq!(
        contacts["contacts"][2]["attributes"]["first_name"],
        "Eve, Jr."
    );

    let again = app
        .import_and_wait(&acme.key, FILE, &[("default_region", "CA")])
        .await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(4)),
        "the same file twice changes nothing: {again}"
    );
    let after = app.get("/api/v1/contacts", &acme.key).await.body;
    assert_eq!(after, contacts);
    let history = app
        .get(&format!("/api/v1/contacts/{}/consent", c1["id"]), &acme.key)
        .await
        .body;
    assert_eq!(history.as_array().unwrap().len(), 1);
    let imports = app.get("/api/v1/contacts/imports", &acme.key).await.body;
    assert_eq!(imports.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn mappings_rename_columns_and_unusable_files_fail_with_the_reason() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let csv = "Number,Ref,Note\n+14155550101,r1,hello\n";
    let done = app
        .import_and_wait(
            &acme.key,
            csv,
            &[(
                "mapping",
                r#"{"Number": "phone", "Ref": "external_id", "Note": "ignore"}"#,
            )],
        )
        .await;
    assert_eq!(done["created"], 1, "{done}");
    let contact = &app.get("/api/v1/contacts", &acme.key).await.body["contacts"][0];
    assert_eq!(
        (contact["external_id"].as_str(), &contact["attributes"]),
        (Some("r1"), &json!({}))
    );

    let failed = app
        .import_and_wait(&acme.key, "name,city\nAda,Paris\n", &[])
        .await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("no column holds a phone number"),
        "{failed}"
    );

    let bad_mapping = app.import_csv(&acme.key, csv, &[("mapping", "[1]")]).await;
    assert_eq!(
        (bad_mapping.status, &bad_mapping.body["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("mapping"))
    );
    let no_file = app
        .call(
            reqwest::Method::POST,
            "/api/v1/contacts/imports",
            Some(&acme.key),
            None,
        )
        .await;
    assert!(no_file.status.is_client_error());
}
