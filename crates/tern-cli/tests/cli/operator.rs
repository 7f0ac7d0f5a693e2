//! The operator's commands and `tern serve`, run as a user would: a fresh data folder each test.

use crate::common;

use common::{Server, Workdir};

#[test]
fn the_operator_creates_accounts_keys_and_users_from_the_command_line() {
    let dir = Workdir::new();
    let (code, account, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let id = account["id"].as_str().unwrap().to_owned();
    assert!(account["write_key"].as_str().unwrap().starts_with("wk_"));

    let (code, _, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("an account with this name exists"),
        "{stderr}"
    );

    let (_, enabled, _) = dir.tern(&["accounts", "mms", "enable", "acme", "--json"], "");
    assert_eq!(enabled["mms_enabled"], true);
    let (_, listed, _) = dir.tern(&["accounts", "list", "--json"], "");
    assert_eq!(
        (listed[0]["id"].as_str(), listed[0]["mms_enabled"].as_bool()),
        (Some(id.as_str()), Some(true))
    );

    let (code, key, _) = dir.tern(&["keys", "create", &id, "--json"], "");
    assert_eq!(code, 0);
    assert!(key["key"].as_str().unwrap().starts_with("tern_"));
    let (code, revoked, _) = dir.tern(
        &["keys", "revoke", key["id"].as_str().unwrap(), "--json"],
        "",
    );
    assert_eq!(code, 0);
    assert!(revoked["revoked_at"].is_string());

    let (code, user, stderr) = dir.tern(
        &["users", "create", "acme", "Ann@Acme.test", "--json"],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        (user["email"].as_str(), user["password"].is_null()),
        (Some("ann@acme.test"), true)
    );
    let (code, _, stderr) = dir.tern(
        &["users", "create", "acme", "bob@acme.test", "--json"],
        "short\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("at least 10 characters"), "{stderr}");
    let (code, _, stderr) = dir.tern(
        &["users", "create", "nobody", "eve@acme.test"],
        "a long enough password\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("not found"), "{stderr}");
}

#[test]
fn bad_configuration_is_refused_at_start_naming_the_key() {
    let dir = Workdir::new();
    let (code, _, stderr) = dir.tern(&["migrate"], "");
    assert_eq!(code, 0, "{stderr}");
    let mut bad_bind = dir.command(&["serve"]);
    let out = bad_bind.env("TERN_BIND", "localhost").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TERN_BIND"));
    std::fs::write(
        dir.0.join("tern.toml"),
        "bind = \"127.0.0.1:0\"\nsecret_key = \"abc\"\n",
    )
    .unwrap();
    let out = dir.command(&["serve"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TERN_SECRET_KEY (secret_key)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.0.join("tern.toml"), "bnid = \"127.0.0.1:0\"\n").unwrap();
    let out = dir.command(&["serve"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown field `bnid`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_with_no_configuration_starts_on_sqlite_in_tern_data_and_answers_healthz() {
    let dir = Workdir::new();
    let mut server = Server::start(&dir);
    let health = server.get("/healthz");
    assert!(health.contains("\"ok\""), "{health}");
    assert!(server.get("/readyz").contains("ready"));
    if std::env::var("TERN_TEST_STORE").as_deref() != Ok("postgres") {
        assert!(dir.0.join("tern-data/tern.db").exists());
    }
    let key = dir.0.join("tern-data/secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    server.stop();
}

#[test]
fn contacts_import_from_the_command_line_reports_bad_rows_and_is_idempotent() {
    let dir = Workdir::new();
    let (code, _, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(
        dir.0.join("people.csv"),
        "Ref,Cell,City\nr1,+14155550101,Oakland\nr2,not a number,Lyon\nr3,+33612345678,Paris\n",
    )
    .unwrap();
    let import = [
        "contacts",
        "import",
        "people.csv",
        "--account",
        "acme",
        "--map",
        "Ref=external_id",
        "--json",
    ];
    let (code, first, stderr) = dir.tern(&import, "");
    assert_eq!(code, 1, "a rejected row makes the exit code 1: {stderr}");
    assert_eq!(
        (first["created"].as_u64(), first["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{first}"
    );
    assert_eq!(first["rejected_rows"][0]["line"], 3);
    assert_eq!(first["rejected_rows"][0]["field"], "phone");

    let (_, second, _) = dir.tern(&import, "");
    assert_eq!(
        (second["created"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{second}"
    );

    let (code, _, stderr) = dir.tern(
        &["contacts", "import", "people.csv", "--account", "nobody"],
        "",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nobody") || stderr.contains("not found"),
        "{stderr}"
    );
    let (code, _, stderr) = dir.tern(
        &["contacts", "import", "missing.csv", "--account", "acme"],
        "",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.csv"), "{stderr}");
}
