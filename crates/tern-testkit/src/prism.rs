//! Prism serving a mock of Twilio's API from Twilio's own OpenAPI description
//! (`tools/twilio-mock`; the description lies in `shared/reference/` beside the checkout).

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// A running mock; stopped when dropped.
pub struct Prism {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Prism on a free port and waits until it answers.
pub async fn prism() -> Prism {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let bin = format!("{root}/tools/twilio-mock/node_modules/.bin/prism");
    let spec = format!("{root}/../shared/reference/twilio_api_v2010.form-arrays.json");
    assert!(
        std::path::Path::new(&bin).exists(),
        "Prism is missing: run `npm ci --prefix tools/twilio-mock`"
    );
    assert!(
        std::path::Path::new(&spec).exists(),
        "Twilio's OpenAPI description is missing at {spec} (shared/ lies beside the checkout)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string(), &spec])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prism");
    let base = format!("http://127.0.0.1:{port}");
    let mut prism = Prism { child, base };
    // Loading Twilio's 1.9 MB description takes a few seconds.
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return prism;
        }
        if let Ok(Some(status)) = prism.child.try_wait() {
            panic!("prism stopped at start: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("prism did not start within a minute");
}
