//! Exactly once, proved the hard way: a 5,000-recipient campaign is sent through the Twilio
//! provider to a local Twilio-compatible server while `tern serve` is killed with SIGKILL again
//! and again and restarted each time. The server counts the Create requests for each recipient:
//! every one of them must have been asked for exactly once.

use crate::common;

use std::time::{Duration, Instant};

use common::{Server, Workdir, api::Api};
use reqwest::Method;
use serde_json::json;
use tern_testkit::twilio_stub::TwilioStub;

const RECIPIENTS: usize = 5_000;
const KILLS: usize = 8;

/// A pseudo-random pause from a seed, so that kills fall at varied moments.
fn pause(seed: &mut u64) -> Duration {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Duration::from_millis(150 + (*seed >> 33) % 900)
}

#[test]
fn every_recipient_gets_exactly_one_message_though_the_server_is_killed_again_and_again() {
    tern_app::install_tls_provider();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A little latency keeps many requests in flight at each kill.
    let stub = runtime.block_on(TwilioStub::start(0, Duration::from_millis(5), true));
    let dir = Workdir::new();
    let (code, _, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let (code, key, stderr) = dir.tern(&["keys", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let mut csv = String::from("phone,consent\n");
    for i in 0..RECIPIENTS {
        csv.push_str(&format!("+1415200{i:04},subscribed\n"));
    }
    std::fs::write(dir.0.join("people.csv"), csv).unwrap();
    let (code, imported, stderr) = dir.tern(
        &[
            "contacts",
            "import",
            "people.csv",
            "--account",
            "acme",
            "--json",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(imported["created"], RECIPIENTS, "{imported}");

    let env = [
        ("TERN_TWILIO_API_BASE", stub.base.as_str()),
        ("TERN_SEND_LEASE_SECS", "4"),
    ];
    let mut server = Server::start_with(&dir, &env);
    let api = Api::new(key["key"].as_str().unwrap());
    let settings = json!({
        "senders": [{"country": "US", "kind": "phone_number", "address": "+14155550100", "segments_per_second": 1500}],
        "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
        "twilio": {"account_sid": format!("AC{}", "0".repeat(32)), "auth_token": "f".repeat(32)},
    });
    let campaign = runtime.block_on(api.launch_to_everyone(
        &server,
        settings,
        "Exactly once",
        "Only one of these, ever.",
    ));

    let path = format!("/api/v1/campaigns/{campaign}/progress");
    let progress = |server: &Server| runtime.block_on(api.call(server, Method::GET, &path, None));

    // Kill it while it writes the audience, claims, sends and records; start it again each time.
    let mut seed = 42;
    let mut kills = 0;
    while kills < KILLS {
        std::thread::sleep(pause(&mut seed));
        if progress(&server)["status"] == "completed" {
            break;
        }
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        kills += 1;
        server = Server::start_with(&dir, &env);
    }

    let start = Instant::now();
    let done = loop {
        let now = progress(&server);
        if now["status"] == "completed" {
            break now;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not completed: {now}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    server.stop();
    assert!(
        kills >= 3,
        "the campaign ended before it was killed enough: {kills}"
    );
    assert_eq!(done["sent"], RECIPIENTS, "{done}");
    assert_eq!(done["failed"], 0, "{done}");

    let counts = stub.per_recipient();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} recipients got more than one request, e.g. {:?}",
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    assert_eq!(counts.len(), RECIPIENTS, "someone got nothing");
    assert_eq!(stub.created(), RECIPIENTS as u64);
    eprintln!("killed {kills} times; {RECIPIENTS} recipients, one request each");
}
