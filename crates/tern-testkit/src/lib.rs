//! Test support: a Tern API on port 0 with a fresh database, and a client with a method per call.
//!
//! The backend is SQLite unless `TERN_TEST_STORE=postgres`, in which case each app gets a fresh
//! database on the server `TERN_TEST_POSTGRES_URL` names.

pub mod ai_fake;
pub mod images;
pub mod prism;
pub mod twilio_stub;

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_app::AppState;
use tern_domain::secret::SecretKey;
use tern_store::Store;

/// The operator token every test app is started with.
pub const ADMIN_TOKEN: &str = "test-operator-token-0123456789";

/// A running app and a client for it.
pub struct TestApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    /// Holds this app's SQLite database and media folder; removed when the app is dropped.
    dir: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The server task may still hold the files open; unlinking them is fine on Unix.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A response: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

/// An account created through the admin API, with one API key.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub id: String,
    pub name: String,
    pub write_key: String,
    pub key: String,
    pub key_id: String,
}

/// Starts the API on 127.0.0.1:0 with a fresh, migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_sending_to("http://127.0.0.1:9").await
}

/// The app with the AI writer's endpoint configured.
pub async fn spawn_app_with_ai(ai: tern_app::writer::AiConfig) -> TestApp {
    spawn("http://127.0.0.1:9", Some(ai)).await
}

/// The app with its delivery workers sending Twilio requests to `twilio_api_base`.
pub async fn spawn_app_sending_to(twilio_api_base: &str) -> TestApp {
    spawn(twilio_api_base, None).await
}

async fn spawn(twilio_api_base: &str, ai: Option<tern_app::writer::AiConfig>) -> TestApp {
    tern_app::install_tls_provider();
    let dir = std::env::temp_dir().join(format!("tern-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("create the test folder");
    let store = fresh_store(&dir).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut state = state_for(store.clone(), &dir, &address);
    state.writer = ai.map(|ai| Arc::new(tern_app::writer::Writer::new(ai)));
    tern_sending::spawn_workers(
        state.clone(),
        tern_sending::WorkerOptions {
            twilio_api_base: twilio_api_base.to_owned(),
            dispatch: tern_sending::DispatchOptions {
                lease: std::time::Duration::from_secs(10),
                ..Default::default()
            },
        },
    );
    let app =
        tern_http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestApp {
        address,
        store,
        client: reqwest::Client::new(),
        dir,
    }
}

/// What the tests' and benchmarks' use cases share: `store`, media in `dir`, links and media
/// addressed at `public_url`.
pub fn state_for(store: Arc<dyn Store>, dir: &std::path::Path, public_url: &str) -> AppState {
    AppState {
        store,
        secret_key: SecretKey::from_bytes([42; 32]),
        admin_token: Some(ADMIN_TOKEN.into()),
        metrics: metrics_handle(),
        blobs: fresh_blobs(dir),
        public_url: public_url.into(),
        clock: tern_app::Clock::default(),
        // The tests' shop serves product pictures from 127.0.0.1.
        fetch_private_addresses: true,
        writer: None,
    }
}

async fn fresh_store(dir: &std::path::Path) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = if std::env::var("TERN_TEST_STORE").as_deref() == Ok("postgres") {
        let admin = std::env::var("TERN_TEST_POSTGRES_URL")
            .expect("TERN_TEST_STORE=postgres needs TERN_TEST_POSTGRES_URL");
        let url = tern_store_postgres::create_scratch_database(&admin)
            .await
            .expect("scratch database");
        Arc::new(
            tern_store_postgres::PostgresStore::connect(&url)
                .await
                .expect("connect"),
        )
    } else {
        let path = dir.join("tern.db");
        Arc::new(
            tern_store_sqlite::SqliteStore::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("open SQLite"),
        )
    };
    store.migrate().await.expect("migrate");
    store
}

/// The data-folder blob store in `dir`, or, with `TERN_TEST_MEDIA_STORE=s3://…`, a fresh prefix
/// of that bucket (endpoint and credentials from the `AWS_*` variables).
fn fresh_blobs(dir: &std::path::Path) -> Arc<dyn object_store::ObjectStore> {
    let run = uuid::Uuid::new_v4();
    let url = std::env::var("TERN_TEST_MEDIA_STORE")
        .ok()
        .map(|base| format!("{}/{run}", base.trim_end_matches('/')));
    tern_app::blobs::open(url.as_deref(), dir).expect("open the blob store")
}

/// The process-wide metrics recorder (there can be only one).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("install the metrics recorder")
        })
        .clone()
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("read body");
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
        text,
    }
}

impl TestApp {
    /// Sends `method path` with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.expect("send request")).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Reply {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    /// Posts a Segment call, authenticated as Segment's libraries do (write key as user name).
    pub async fn segment(&self, path: &str, write_key: &str, body: Value) -> Reply {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .basic_auth(write_key, Some(""))
            .json(&body)
            .send()
            .await
            .expect("send Segment call");
        reply(response).await
    }

    /// Starts a CSV import; `fields` are extra form fields (`mapping`, `default_region`).
    pub async fn import_csv(&self, key: &str, csv: &str, fields: &[(&str, &str)]) -> Reply {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("contacts.csv"),
        );
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let response = self
            .client
            .post(format!("{}/api/v1/contacts/imports", self.address))
            .bearer_auth(key)
            .multipart(form)
            .send()
            .await
            .expect("send import");
        reply(response).await
    }

    /// Starts an import and waits for it to finish; returns the finished import.
    pub async fn import_and_wait(&self, key: &str, csv: &str, fields: &[(&str, &str)]) -> Value {
        let started = self.import_csv(key, csv, fields).await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
        let path = format!(
            "/api/v1/contacts/imports/{}",
            started.body["id"].as_str().unwrap()
        );
        for _ in 0..600 {
            let import = self.get(&path, key).await;
            if import.body["status"] != "running" {
                return import.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the import did not finish in 30 s");
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some(ADMIN_TOKEN), body).await
    }

    /// Creates an account and an API key for it through the admin API.
    pub async fn create_account(&self, name: &str) -> TestAccount {
        let account = self
            .admin(
                Method::POST,
                "/api/v1/admin/accounts",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(account.status, StatusCode::CREATED, "{}", account.text);
        let id = account.body["id"].as_str().unwrap().to_owned();
        let key = self
            .admin(
                Method::POST,
                &format!("/api/v1/admin/accounts/{id}/keys"),
                None,
            )
            .await;
        assert_eq!(key.status, StatusCode::CREATED, "{}", key.text);
        TestAccount {
            id,
            name: name.to_owned(),
            write_key: account.body["write_key"].as_str().unwrap().to_owned(),
            key: key.body["key"].as_str().unwrap().to_owned(),
            key_id: key.body["id"].as_str().unwrap().to_owned(),
        }
    }
}

impl TestApp {
    /// Uploads `bytes` as `name` in the multipart field `file` to `path`.
    pub async fn upload(&self, path: &str, key: &str, name: &str, bytes: Vec<u8>) -> Reply {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(key)
            .multipart(form)
            .send()
            .await
            .expect("send upload");
        reply(response).await
    }

    /// Fetches a full URL without credentials, as Twilio does; returns status, headers, bytes.
    pub async fn fetch(&self, url: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self.client.get(url).send().await.expect("fetch");
        (
            response.status(),
            response.headers().clone(),
            response.bytes().await.expect("read bytes").to_vec(),
        )
    }
}
