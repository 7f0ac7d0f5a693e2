use reqwest::{Method, StatusCode};
use serde_json::Value;
use tern_testkit::{images, spawn_app};

#[tokio::test]
async fn every_file_of_the_corpus_gets_its_verdict_and_rejected_files_store_nothing() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let mut accepted = 0;
    for (name, bytes, expected) in images::corpus() {
        let reply = app.upload("/api/v1/media", &acme.key, name, bytes).await;
        match expected {
            None => {
                assert_eq!(reply.status, StatusCode::CREATED, "{name}: {}", reply.text);
                accepted += 1;
            }
            Some(code) => {
                assert_eq!(
                    reply.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{name}: {}",
                    reply.text
                );
                assert_eq!(
                    (
                        reply.body["error"]["code"].as_str(),
                        reply.body["error"]["field"].as_str()
                    ),
                    (Some(code), Some("file")),
                    "{name}"
                );
            }
        }
    }
    let listed = app.get("/api/v1/media", &acme.key).await;
    assert_eq!(listed.body.as_array().unwrap().len(), accepted);
}

#[tokio::test]
async fn errors_name_the_rule_with_its_figures() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let over = app
        .upload(
            "/api/v1/media",
            &acme.key,
            "over.png",
            images::png_of_size(614_401),
        )
        .await;
    assert_eq!(
        over.body["error"]["message"],
        "the file is 614401 bytes; MMS allows at most 614400 bytes (600 KB)"
    );
    let webp = app
        .upload(
            "/api/v1/media",
            &acme.key,
            "x.webp",
            b"RIFF\0\0\0\0WEBPVP8 ".to_vec(),
        )
        .await;
    assert_eq!(
        webp.body["error"]["message"],
        "WebP is not supported for MMS; use JPG, PNG or GIF"
    );
    let no_field = app
        .client
        .post(format!("{}/api/v1/media", app.address))
        .bearer_auth(&acme.key)
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_field.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_accepted_image_is_stored_once_cleaned_and_served_to_anyone_with_its_address() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let first = app
        .upload(
            "/api/v1/media",
            &acme.key,
            "holiday.jpg",
            images::jpeg_with_gps(),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.body["warnings"][0].as_str().unwrap().contains("GPS"));
    assert!(first.body["bytes"].as_u64() < first.body["original_bytes"].as_u64());
    let again = app
        .upload(
            "/api/v1/media",
            &acme.key,
            "copy.jpg",
            images::jpeg_with_gps(),
        )
        .await;
    assert_eq!(
        (again.status, &again.body["id"]),
        (StatusCode::OK, &first.body["id"]),
        "the same bytes are stored once"
    );

    let url = first.body["url"].as_str().unwrap();
    assert!(
        url.starts_with(&app.address) && url.rsplit('/').next().unwrap().len() == 32,
        "{url}"
    );
    let (status, headers, bytes) = app.fetch(url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(
        headers["content-length"].to_str().unwrap(),
        first.body["bytes"].to_string()
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(bytes.len() as u64, first.body["bytes"].as_u64().unwrap());
    assert!(
        !bytes.windows(2).any(|w| w == [0x25, 0x88]),
        "the served file has no GPS"
    );

    let (status, _, _) = app
        .fetch(&format!("{}/m/{}", app.address, "0".repeat(32)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let id = first.body["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/media/{id}"), &acme.key)
            .await
            .body["sha256"],
        first.body["sha256"]
    );
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/media/{id}"),
            Some(&acme.key),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        app.fetch(url).await.0,
        StatusCode::NOT_FOUND,
        "a deleted item is no longer served"
    );
}

#[tokio::test]
async fn a_large_image_is_offered_a_fitted_version_that_is_stored_only_when_uploaded() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let big = images::png(700, 700, 40);
    assert!(big.len() > 1_400_000);
    assert_eq!(
        app.upload("/api/v1/media", &acme.key, "big.png", big.clone())
            .await
            .body["error"]["code"],
        "too_large"
    );

    let fitted = app
        .upload("/api/v1/media/fit", &acme.key, "big.png", big)
        .await;
    assert_eq!(fitted.status, StatusCode::OK, "{}", fitted.text);
    assert_eq!(
        (
            fitted.body["changed"].as_bool(),
            fitted.body["format"].as_str()
        ),
        (Some(true), Some("jpeg"))
    );
    assert!(fitted.body["bytes"].as_u64().unwrap() <= 614_400);
    assert_eq!(
        app.get("/api/v1/media", &acme.key).await.body,
        Value::Array(vec![]),
        "nothing stored yet"
    );

    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD
        .decode(fitted.body["data_base64"].as_str().unwrap())
        .unwrap();
    let accepted = app
        .upload("/api/v1/media", &acme.key, "big-fitted.jpg", data)
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text);
    assert_eq!(accepted.body["width"], fitted.body["width"]);
}
