//! What a newcomer's first `tern serve` leaves behind: a data folder only its owner can read
//! (the database holds contacts and sealed credentials), and logs without colour codes when
//! they go to a file rather than a terminal.

use crate::common;

use std::{
    io::Read,
    net::TcpStream,
    process::Stdio,
    time::{Duration, Instant},
};

use common::Workdir;

fn answers_health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    use std::io::Write;
    let _ = write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

#[test]
fn a_first_start_makes_owner_only_files_and_writes_plain_logs_to_a_file() {
    let dir = Workdir::new();
    let port = common::free_port();
    let log = dir.0.join("serve.log");
    let mut child = dir
        .command(&["serve"])
        .env("TERN_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answers_health(port) {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("no /healthz within 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tern did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("INFO"), "the log says something: {text}");
    assert!(
        !text.contains('\u{1b}'),
        "a log written to a file carries no escape codes: {text:?}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |name: &str| {
            std::fs::metadata(dir.0.join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("tern-data"), 0o700, "the data folder");
        assert_eq!(mode("tern-data/secret.key"), 0o600, "the generated key");
        if std::env::var("TERN_TEST_STORE").as_deref() != Ok("postgres") {
            for file in ["tern.db", "tern.db-wal", "tern.db-shm"] {
                let path = format!("tern-data/{file}");
                if dir.0.join(&path).exists() {
                    assert_eq!(mode(&path), 0o600, "{path}");
                }
            }
            assert_eq!(mode("tern-data/tern.db"), 0o600);
        }
    }
}

/// A second node of the same database started with another secret key could not read the
/// credentials the first sealed: it is refused at start, with the cause and the way out.
#[test]
fn a_node_with_another_secret_key_is_refused_at_start() {
    let dir = Workdir::new();
    let (code, _, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    // The first node starts with the key it generates in its data folder.
    let mut first = common::Server::start(&dir);
    first.stop();
    let out = dir
        .command(&["serve"])
        .env("TERN_BIND", format!("127.0.0.1:{}", common::free_port()))
        .env("TERN_SECRET_KEY", "ab".repeat(32))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("sealed with another secret key") && stderr.contains("TERN_SECRET_KEY"),
        "{stderr}"
    );
}
