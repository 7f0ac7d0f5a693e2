//! What the CLI tests share: a fresh work folder (and PostgreSQL database, when
//! `TERN_TEST_STORE=postgres`) per test, and `tern serve` started and stopped as a user would.

#![allow(dead_code)]

pub mod api;

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, Command, Stdio},
};

use serde_json::Value;

pub struct Workdir(pub PathBuf);

impl Workdir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("tern-cli-{}", uuid()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tern"));
        command
            .args(args)
            .current_dir(&self.0)
            .env_remove("TERN_DATABASE_URL")
            .env_remove("TERN_SECRET_KEY");
        if let Ok(admin) = std::env::var("TERN_TEST_POSTGRES_URL")
            && std::env::var("TERN_TEST_STORE").as_deref() == Ok("postgres")
        {
            command.env("TERN_DATABASE_URL", scratch_database(&admin, &self.0));
        }
        command
    }

    /// Runs `tern ARGS` with `stdin`; returns exit code, stdout as JSON, stderr.
    pub fn tern(&self, args: &[&str], stdin: &str) -> (i32, Value, String) {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nothing listens on now (the OS's pick, released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn uuid() -> String {
    format!("{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], "")
}

/// One fresh PostgreSQL database per work folder, created with `psql` on the admin URL's server.
pub fn scratch_database(admin: &str, dir: &std::path::Path) -> String {
    let marker = dir.join(".database-url");
    if let Ok(url) = std::fs::read_to_string(&marker) {
        return url;
    }
    let name = format!(
        "tern_cli_{}",
        dir.file_name().unwrap().to_string_lossy().replace('-', "_")
    )
    .to_lowercase();
    let status = Command::new("psql")
        .arg(admin)
        .args(["-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql is installed");
    assert!(status.success());
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let url = format!("{base}/{name}");
    std::fs::write(&marker, &url).unwrap();
    url
}

pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Server {
    /// Starts `tern serve` on a free port and waits for its "serving" log line.
    pub fn start(dir: &Workdir) -> Self {
        Self::start_with(dir, &[])
    }

    /// Starts it with more variables set. Its log is drained after the start, so that a busy
    /// server never blocks on a full pipe.
    pub fn start_with(dir: &Workdir, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = dir
            .command(&["serve"])
            .env("TERN_BIND", format!("127.0.0.1:{port}"))
            .env("TERN_LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut first = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            first.push(line.clone());
            if line.contains("tern is serving") {
                break;
            }
            assert!(!line.contains("ERROR"), "{line}");
        }
        // TERN_TEST_NODE_LOGS=<folder> keeps each server's log there, named by its port.
        let keep = std::env::var_os("TERN_TEST_NODE_LOGS")
            .map(|dir| std::path::PathBuf::from(dir).join(format!("{port}.log")));
        std::thread::spawn(
            move || match keep.and_then(|p| std::fs::File::create(p).ok()) {
                Some(mut file) => first.into_iter().map(Ok).chain(lines).for_each(|line| {
                    let _ = writeln!(file, "{}", line.unwrap_or_default());
                }),
                None => lines.for_each(drop),
            },
        );
        Self {
            child,
            address: format!("127.0.0.1:{port}"),
        }
    }

    pub fn get(&mut self, path: &str) -> String {
        use std::io::Read;
        let mut stream = std::net::TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    }
}

/// A server a failed test leaves behind is killed, so that it neither runs on nor holds the
/// test's output open.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
