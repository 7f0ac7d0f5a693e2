//! `tern serve --demo`: the demo account is made once, with its campaigns and contacts, and its
//! login is printed at every start (on PostgreSQL too, under `TERN_TEST_STORE=postgres`).

use crate::common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use common::Workdir;

/// Starts `tern serve --demo`; returns the process and the login lines it printed.
fn start(dir: &Workdir, port: u16) -> (Child, Vec<String>) {
    let mut child = dir
        .command(&["serve", "--demo"])
        .env("TERN_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut login = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.starts_with("password:") || line.contains("the demo account exists");
        login.push(line);
        if last {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    (child, login)
}

fn get(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            return response;
        }
        assert!(Instant::now() < deadline, "tern did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(mut child: Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_demo_is_made_once_and_its_login_printed_at_every_start() {
    let dir = Workdir::new();
    let port = common::free_port();
    let (child, first) = start(&dir, port);
    let text = first.join("\n");
    assert!(
        text.contains(&format!("open http://127.0.0.1:{port}/login")),
        "{text}"
    );
    assert!(text.contains("e-mail: demo@tern.example"), "{text}");
    let password = first
        .iter()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert!(get(port, "/login").starts_with("HTTP/1.1 200"));
    stop(child);

    // The login is kept owner-only beside the data.
    let file = dir.0.join("tern-data/demo-login.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // A second start keeps the account (nothing made twice) and prints the same login.
    let (child, again) = start(&dir, port);
    assert!(
        again.join("\n").contains(&format!("password: {password}")),
        "{again:?}"
    );
    stop(child);

    // What was made: the demo account's campaigns, through the operator's view of it.
    let (code, accounts, _) = dir.tern(&["accounts", "list", "--json"], "");
    assert_eq!(code, 0);
    let demo: Vec<_> = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "demo")
        .collect();
    assert_eq!(demo.len(), 1, "{accounts}");
    assert_eq!(demo[0]["mms_enabled"], true);
}
