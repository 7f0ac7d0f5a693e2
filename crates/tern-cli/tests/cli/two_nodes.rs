//! Two `tern serve` nodes on one PostgreSQL database send a campaign across three senders to a
//! Twilio-compatible server that misbehaves — a share of requests refused (429, 503), a share
//! answered too late (created, the answer lost), and a full outage mid-campaign — while one
//! node's clock is minutes ahead (libfaketime) and that node is killed with SIGKILL and started
//! again. Every recipient must get exactly one message, and no sender more than its limit in
//! any second of the server's clock. Runs when `TERN_TEST_STORE=postgres`.

use crate::common;

use std::time::{Duration, Instant};

use common::{Server, Workdir, api::Api};
use reqwest::Method;
use serde_json::{Value, json};
use tern_testkit::twilio_stub::{Faults, TwilioStub};

/// Recipients per country, and each country's sender with its limit (segments a second).
const PER_COUNTRY: usize = 1_000;
const SENDERS: [(&str, &str, u32, &str); 3] = [
    ("US", "+14155550100", 60, "+1415200"),
    ("CA", "+14162009999", 50, "+1416200"),
    ("AU", "+61412009999", 40, "+6141200"),
];

/// Where Debian's faketime package puts the library (the build for threaded programs).
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

#[test]
fn two_nodes_one_skewed_and_killed_send_exactly_once_within_every_senders_rate() {
    if std::env::var("TERN_TEST_STORE").as_deref() != Ok("postgres")
        || std::env::var("TERN_TEST_POSTGRES_URL").is_err()
    {
        eprintln!("backend not configured: two nodes need PostgreSQL; skipped");
        return;
    }
    assert!(
        std::path::Path::new(LIBFAKETIME).exists(),
        "{LIBFAKETIME} is missing: install Debian's faketime package"
    );
    tern_app::install_tls_provider();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let faults = Faults {
        refuse_percent: 10,
        slow_percent: 2,
        // Longer than the nodes wait for an answer (half the lease).
        slow_answer: Duration::from_secs(5),
    };
    let stub = runtime.block_on(TwilioStub::start_with_faults(
        0,
        Duration::from_millis(5),
        true,
        faults,
    ));
    let dir = Workdir::new();
    let (code, _, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let (code, key, stderr) = dir.tern(&["keys", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let key = key["key"].as_str().unwrap().to_owned();
    let mut csv = String::from("phone,consent\n");
    for (_, _, _, prefix) in SENDERS {
        for i in 0..PER_COUNTRY {
            csv.push_str(&format!("{prefix}{i:04},subscribed\n"));
        }
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
    assert_eq!(imported["created"], 3 * PER_COUNTRY, "{imported}");

    let env = [
        ("TERN_TWILIO_API_BASE", stub.base.as_str()),
        ("TERN_SEND_LEASE_SECS", "6"),
    ];
    // The second node's clock is three minutes ahead; its timers (monotonic) run true.
    let skewed = [
        ("TERN_TWILIO_API_BASE", stub.base.as_str()),
        ("TERN_SEND_LEASE_SECS", "6"),
        ("LD_PRELOAD", LIBFAKETIME),
        ("FAKETIME", "+180s"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    let first = Server::start_with(&dir, &env);
    let mut second = Server::start_with(&dir, &skewed);
    let api = Api::new(&key);
    let senders: Vec<Value> = SENDERS
        .iter()
        .map(|(country, address, rate, _)| json!({"country": country, "kind": "phone_number", "address": address, "segments_per_second": rate}))
        .collect();
    let settings = json!({
        "senders": senders,
        "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
        "twilio": {"account_sid": format!("AC{}", "0".repeat(32)), "auth_token": "f".repeat(32)},
    });
    let campaign = runtime.block_on(api.launch_to_everyone(
        &first,
        settings,
        "Two nodes",
        "One of these, once.",
    ));
    let path = format!("/api/v1/campaigns/{campaign}/progress");
    let progress = || runtime.block_on(api.call(&first, Method::GET, &path, None));

    let started = Instant::now();
    // Kill the skewed node mid-send and start it again; then an outage of twenty seconds.
    std::thread::sleep(Duration::from_secs(4));
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    second = Server::start_with(&dir, &skewed);
    std::thread::sleep(Duration::from_secs(3));
    let before_outage = progress();
    stub.set_down(true);
    std::thread::sleep(Duration::from_secs(20));
    stub.set_down(false);
    let done = loop {
        let now = progress();
        if now["status"] == "completed" {
            break now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "not completed: {now}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let took = started.elapsed();
    second.stop();
    let mut first = first;
    first.stop();

    let recipients = 3 * PER_COUNTRY;
    assert!(
        before_outage["sent"].as_u64().unwrap() < recipients as u64,
        "the outage came after the campaign ended: {before_outage}"
    );
    assert_eq!(done["sent"], recipients, "{done}");
    assert_eq!(done["failed"], 0, "{done}");
    assert!(
        done["provider_pauses"].as_u64().unwrap() >= 1,
        "the breaker never opened: {done}"
    );
    let counts = stub.per_recipient();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let arrivals = stub.arrivals();
    let when = |to: &str| -> Vec<String> {
        arrivals
            .iter()
            .filter(|a| a.to == to)
            .map(|a| format!("{:?}", a.at.duration_since(std::time::UNIX_EPOCH).unwrap()))
            .collect()
    };
    assert!(
        twice.is_empty(),
        "{} recipients got more than one message, e.g. {:?}",
        twice.len(),
        twice
            .iter()
            .take(5)
            .map(|(to, _)| (to, when(to)))
            .collect::<Vec<_>>()
    );
    assert_eq!(counts.len(), recipients, "someone got nothing");
    let busiest = stub.busiest_second();
    for (_, address, rate, _) in SENDERS {
        let most = busiest.get(address).copied().unwrap_or(0);
        assert!(
            most <= rate,
            "{address} took {most} in one second; its limit is {rate}"
        );
        eprintln!("{address}: at most {most} in one second (limit {rate})");
    }
    eprintln!(
        "{recipients} recipients, one message each, in {:.1} s; breaker opened {} times",
        took.as_secs_f64(),
        done["provider_pauses"]
    );
}
