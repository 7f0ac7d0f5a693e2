//! The Twilio provider against a mock that Prism generates from Twilio's own OpenAPI description
//! (`tools/twilio-mock`, the copy of the description whose form encoding lets a repeated
//! `MediaUrl` through): every request Tern sends must be one the description accepts. Prism
//! checks SIDs' patterns, enums, types and form arrays; it does not check body length or phone
//! formats (Tern's own rules do).
//! Needs `npm ci --prefix tools/twilio-mock` (done by `.ci/run`).

use tern_delivery::twilio::{Answer, Credentials, From, Outgoing, Twilio};
use tern_domain::delivery::outcome::{Next, ProviderStatus, Refusal};
use tern_testkit::prism::prism;

const ACCOUNT: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn client(base: &str) -> Twilio {
    Twilio::new(
        base,
        Credentials {
            account_sid: ACCOUNT.into(),
            user: "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
            secret: "secret".into(),
        },
    )
}

#[tokio::test]
async fn every_request_tern_sends_is_one_twilios_description_accepts() {
    let prism = prism().await;
    let twilio = client(&prism.base);

    let sms = twilio
        .create(&Outgoing {
            to: "+15558675310",
            from: From::Address("+15017122661".into()),
            body: "Hi Ann! 20% off: https://t.example/l/AbCd1234\nReply STOP to opt out",
            media_urls: &[],
            status_callback: Some("https://tern.example/webhooks/twilio/status?account=acme"),
            // A cart reminder's remaining lateness budget.
            validity_period: Some(3_600),
        })
        .await;
    let Answer::Accepted { sid, status } = &sms else {
        panic!("refused: {sms:?}");
    };
    assert!(sid.starts_with("SM") || sid.starts_with("MM"), "{sid}");
    assert_eq!(*status, ProviderStatus::Queued);
    assert_eq!(sms.next(), None);

    let pictures = [
        "https://tern.example/m/0123456789abcdef0123456789abcdef".to_owned(),
        "https://tern.example/m/fedcba9876543210fedcba9876543210".to_owned(),
    ];
    let mms = twilio
        .create(&Outgoing {
            to: "+15558675310",
            from: From::MessagingService("MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into()),
            body: "",
            media_urls: &pictures,
            status_callback: None,
            validity_period: None,
        })
        .await;
    assert!(matches!(mms, Answer::Accepted { .. }), "{mms:?}");

    let listed = twilio
        .list_to("+15558675310", "2026-11-01T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|m| m.sid.len() == 34));
}

#[tokio::test]
async fn the_mock_refuses_what_the_description_forbids_so_its_acceptance_means_something() {
    let prism = prism().await;
    let twilio = client(&prism.base);
    // A Messaging Service SID that does not match `^MG[0-9a-fA-F]{32}$`.
    let refused = twilio
        .create(&Outgoing {
            to: "+15558675310",
            from: From::MessagingService("MG-not-a-sid".into()),
            body: "Hi",
            media_urls: &[],
            status_callback: None,
            validity_period: None,
        })
        .await;
    let Answer::Refused { http_status, .. } = &refused else {
        panic!("accepted: {refused:?}");
    };
    assert_eq!(*http_status, 422);
    assert_eq!(refused.next(), Some(Next::Refused(Refusal::Failed)));
}

#[tokio::test]
async fn a_connection_that_never_opens_is_retried_and_a_silent_server_is_reconciled() {
    // Nothing listens on this port: the request never left.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let message = Outgoing {
        to: "+15558675310",
        from: From::Address("+15017122661".into()),
        body: "Hi",
        media_urls: &[],
        status_callback: None,
        validity_period: None,
    };
    let closed = client(&format!("http://127.0.0.1:{port}"))
        .create(&message)
        .await;
    assert!(
        matches!(closed, Answer::NoAnswer { reached: false, .. }),
        "{closed:?}"
    );
    assert_eq!(closed.next(), Some(Next::Retry));

    // A server that takes the request and closes without answering: it may have been sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0; 4096];
            let _ = socket.read(&mut buffer).await;
        }
    });
    let silent = client(&format!("http://{address}")).create(&message).await;
    assert!(
        matches!(silent, Answer::NoAnswer { reached: true, .. }),
        "{silent:?}"
    );
    assert_eq!(silent.next(), Some(Next::Reconcile));
}
