//! `tern serve --demo`: an account to look around in, made through the API's own handlers so
//! that everything in it passed the same checks as a user's work. About 1,000 contacts in AU,
//! CA, US and elsewhere with events and carts, pictures, segments, a campaign that has been sent
//! on the sandbox, a draft MMS campaign ready to launch, and an active Cart Reminder and Welcome
//! (the Cart Reminder's page simulates a shopper).

use std::io::Cursor;

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Method, Request, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use image::{ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};
use tern_domain::account::AccountName;
use tern_store::StoreError;
use tower::ServiceExt;

use tern_app::{AppState, operator, random};

/// The demo account's name.
pub const ACCOUNT: &str = "demo";
/// The demo user's e-mail.
pub const EMAIL: &str = "demo@tern.example";
/// Contacts made.
pub const CONTACTS: usize = 1000;

/// How to sign in to the demo account.
pub struct DemoLogin {
    pub email: String,
    pub password: String,
}

/// Makes the demo account, unless it exists (`None` then: its login was given when it was made).
pub async fn seed(state: &AppState) -> anyhow::Result<Option<DemoLogin>> {
    match state.store.account_by_name(ACCOUNT).await {
        Ok(_) => return Ok(None),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let name: AccountName = ACCOUNT.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = operator::create_account(&*state.store, name).await?;
    state.store.set_mms_enabled(account.id, true).await?;
    let password = format!("demo-{}", hex::encode(random::<6>()));
    let email = EMAIL.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    operator::create_user(&*state.store, account.id, email, &password).await?;
    let (_, key) = operator::create_api_key(&*state.store, account.id).await?;
    let api = Client {
        router: crate::router(state.clone()),
        auth: format!("Bearer {key}"),
    };

    api.call(Method::PATCH, "/api/v1/settings", settings())
        .await?;
    let mut pictures = Vec::new();
    for (file, colors) in PICTURES {
        let item = api.upload(file, picture(*colors)?).await?;
        pictures.push((
            item["id"].as_str().unwrap_or_default().to_owned(),
            item["url"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    import_contacts(&api).await?;
    let events = events(&pictures);
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:", account.write_key))
    );
    let tracking = Client {
        router: api.router.clone(),
        auth: basic,
    };
    for batch in events.chunks(200) {
        tracking
            .call(Method::POST, "/v1/batch", json!({ "batch": batch }))
            .await?;
    }
    let mut segments = Vec::new();
    for (name, definition) in [
        ("Subscribers", json!({"consent": ["subscribed"]})),
        (
            "Gold members",
            json!({"and": [{"consent": ["subscribed"]}, {"attribute": "tier", "op": "=", "value": "gold"}]}),
        ),
        (
            "Open carts",
            json!({"event": "Product Added", "within_days": 14}),
        ),
        (
            "Recent buyers",
            json!({"event": "Order Completed", "within_days": 30}),
        ),
    ] {
        let made = api
            .call(
                Method::POST,
                "/api/v1/segments",
                json!({"name": name, "definition": definition}),
            )
            .await?;
        segments.push(made["id"].as_str().unwrap_or_default().to_owned());
    }

    let goals =
        json!({"event": "Order Completed", "window_hours": 72, "revenue_property": "total"});
    let sent = campaign(&api, "Spring lookbook", json!({"include": [segments[1]], "exclude": [segments[3]]}), json!({
        "body": "Hi {{ first_name | default: \"there\" }}, our spring lookbook is here, with early access for Gold members: https://shop.example/spring",
        "media": [pictures[0].0],
    }), &goals).await?;
    api.call(
        Method::PUT,
        &format!("/api/v1/campaigns/{sent}/steps/launch"),
        json!({"send_at": "now", "holdout_percent": 10}),
    )
    .await?;
    api.call(
        Method::POST,
        &format!("/api/v1/campaigns/{sent}/launch"),
        json!({}),
    )
    .await?;
    campaign(&api, "Black Friday preview", json!({"include": [segments[0]], "exclude": []}), json!({
        "body": "{{ first_name | default: \"Hi\" }}, Black Friday starts early for you: 30% off sneakers until Sunday. Shop: https://shop.example/black-friday",
        "media": [pictures[1].0],
    }), &goals).await?;
    triggered(&api, "Cart reminder", "cart_reminder", json!({"delay_minutes": 30, "min_cart_value": 10}), json!({
        "body": "{{ first_name | default: \"Hi\" }}, your cart is waiting: {{ cart.item_count }} item(s), {{ cart.total }} {{ cart.currency }}. Finish your order: https://shop.example/cart",
    }), Some(&goals)).await?;
    triggered(&api, "Welcome", "welcome", json!({"delay_minutes": 0}), json!({
        "body": "Welcome! Your first order ships free with code HELLO: https://shop.example/new",
    }), None).await?;
    // The sent campaign's recipients answer once the sandbox has delivered it, so that its
    // report has clicks, orders and a lift to show.
    tokio::spawn(async move {
        if let Err(error) = respond(&api, &tracking, &sent).await {
            tracing::warn!(%error, "the demo's shoppers did not answer the sent campaign");
        }
    });
    Ok(Some(DemoLogin {
        email: EMAIL.to_owned(),
        password,
    }))
}

/// What the demo's shoppers do after the sent campaign: a quarter of those it reached tap its
/// link on their phones (and iMessage previews some), one in six of them orders, and one in
/// eight of those held out orders anyway.
async fn respond(api: &Client, tracking: &Client, campaign: &str) -> anyhow::Result<()> {
    let settled = std::time::Instant::now();
    loop {
        let p = api
            .call(
                Method::GET,
                &format!("/api/v1/campaigns/{campaign}/progress"),
                Value::Null,
            )
            .await?;
        let count = |k: &str| p[k].as_u64().unwrap_or(0);
        if p["audience_written"] == true
            && count("queued") + count("sending") == 0
            && count("sent") == count("delivered") + count("undelivered")
        {
            break;
        }
        anyhow::ensure!(
            settled.elapsed().as_secs() < 300,
            "not delivered after 5 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    // Later than a person could tap after the receipt.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let messages = api
        .call(
            Method::GET,
            &format!("/api/v1/campaigns/{campaign}/messages?limit=1000"),
            Value::Null,
        )
        .await?;
    let mut orders = Vec::new();
    for (i, m) in messages.as_array().into_iter().flatten().enumerate() {
        let Some(contact) = m["contact_id"].as_i64() else {
            continue;
        };
        let held_out = m["reason"] == "holdout";
        let delivered = m["provider_status"] == "delivered";
        let link = m["body"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .find_map(|w| w.split_once("/l/").map(|(_, code)| code.to_owned()));
        let taps = delivered && i % 4 == 0;
        if let (true, Some(code)) = (delivered && i % 10 == 3, &link) {
            follow(api, code, PREVIEWER).await?;
        }
        if let (true, Some(code)) = (taps, &link) {
            follow(api, code, PHONE).await?;
        }
        if (taps && i % 24 == 0) || (held_out && i % 8 == 0) || (delivered && i % 30 == 7) {
            let person = api
                .call(
                    Method::GET,
                    &format!("/api/v1/contacts/{contact}"),
                    Value::Null,
                )
                .await?;
            let Some(user) = person["external_id"].as_str() else {
                continue;
            };
            orders.push(
                json!({"type": "track", "userId": user, "event": "Order Completed",
                "properties": {"order_id": format!("demo-{campaign}-{contact}"),
                    "total": 20 + (contact % 9) * 15, "currency": "USD"}}),
            );
        }
    }
    for batch in orders.chunks(100) {
        tracking
            .call(Method::POST, "/v1/batch", json!({ "batch": batch }))
            .await?;
    }
    Ok(())
}

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const PREVIEWER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 \
    (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";

/// A tracked link opened by a client with this user agent (the redirect is not followed).
async fn follow(api: &Client, code: &str, agent: &str) -> anyhow::Result<()> {
    let request = Request::builder()
        .uri(format!("/l/{code}"))
        .header(header::USER_AGENT, agent)
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .body(Body::empty())?;
    let response = api.router.clone().oneshot(request).await?;
    anyhow::ensure!(
        response.status().is_redirection(),
        "a demo link answered {}",
        response.status()
    );
    Ok(())
}

/// Calls the app's own router, as a client would over HTTP.
struct Client {
    router: Router,
    auth: String,
}

impl Client {
    async fn send(&self, request: Request<Body>) -> anyhow::Result<Value> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 24).await?;
        anyhow::ensure!(
            status.is_success(),
            "demo: {method} {uri} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn call(&self, method: Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, &self.auth)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))?;
        self.send(request).await
    }

    async fn multipart(
        &self,
        path: &str,
        file_name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> anyhow::Result<Value> {
        let boundary = format!("tern-demo-{}", hex::encode(random::<8>()));
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .into_bytes();
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, &self.auth)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))?;
        self.send(request).await
    }

    async fn upload(&self, file_name: &str, jpeg: Vec<u8>) -> anyhow::Result<Value> {
        self.multipart("/api/v1/media", file_name, "image/jpeg", jpeg)
            .await
    }
}

async fn campaign(
    api: &Client,
    name: &str,
    segments: Value,
    design: Value,
    goals: &Value,
) -> anyhow::Result<String> {
    let made = api
        .call(
            Method::POST,
            "/api/v1/campaigns",
            json!({"name": name, "type": "single", "channel": "mms"}),
        )
        .await?;
    let id = made["id"].as_str().unwrap_or_default().to_owned();
    for (step, content) in [
        ("segments", &segments),
        ("design", &design),
        ("goals", goals),
    ] {
        api.call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/{step}"),
            content.clone(),
        )
        .await?;
    }
    Ok(id)
}

/// A Cart Reminder or Welcome (SMS) with its steps, launched: active.
async fn triggered(
    api: &Client,
    name: &str,
    kind: &str,
    rules: Value,
    design: Value,
    goals: Option<&Value>,
) -> anyhow::Result<()> {
    let made = api
        .call(
            Method::POST,
            "/api/v1/campaigns",
            json!({"name": name, "type": kind, "channel": "sms"}),
        )
        .await?;
    let id = made["id"].as_str().unwrap_or_default().to_owned();
    let launch = json!({});
    let mut steps = vec![("rules", &rules), ("design", &design), ("launch", &launch)];
    if let Some(goals) = goals {
        steps.push(("goals", goals));
    }
    for (step, content) in steps {
        api.call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/{step}"),
            content.clone(),
        )
        .await?;
    }
    api.call(
        Method::POST,
        &format!("/api/v1/campaigns/{id}/launch"),
        json!({}),
    )
    .await?;
    Ok(())
}

fn settings() -> Value {
    let sender = |country: &str, address: &str| json!({"country": country, "kind": "phone_number", "address": address, "segments_per_second": 50});
    json!({
        "timezone": "America/New_York",
        // Open all day, so that the demo's campaign is sent at once wherever its recipients are.
        "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
        "test_numbers": ["+14155550123", "+61491570156"],
        "senders": [sender("US", "+14155550100"), sender("CA", "+16135550100"), sender("AU", "+61491570100"), sender("GB", "+447400100100")],
        "prices": {"currency": "USD",
            "per_segment": {"US": "0.0079", "CA": "0.0075", "AU": "0.0515", "GB": "0.0400", "DE": "0.0780", "FR": "0.0750"},
            "per_mms": {"US": "0.0200", "CA": "0.0200", "AU": "0.0800"}},
        "sandbox": {"latency_ms": 400, "failure_percent": 3},
    })
}

/// A picture's two colours.
type Colors = ([u8; 3], [u8; 3]);

/// Products: a file name and the picture's colours.
const PICTURES: &[(&str, Colors)] = &[
    ("spring-lookbook.jpg", ([246, 189, 96], [132, 165, 157])),
    ("sneaker-black-friday.jpg", ([20, 33, 61], [252, 163, 17])),
    ("canvas-tote.jpg", ([233, 216, 166], [148, 210, 189])),
    ("rain-jacket.jpg", ([10, 147, 150], [0, 95, 115])),
    ("wool-beanie.jpg", ([174, 32, 18], [238, 155, 0])),
];

/// A 640×480 JPEG: a diagonal gradient with a rounded product shape in the middle.
fn picture((a, b): Colors) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (640u32, 480u32);
    let image = RgbImage::from_fn(w, h, |x, y| {
        let t = (x + y) as f32 / (w + h) as f32;
        let mix = |i: usize| (a[i] as f32 * (1.0 - t) + b[i] as f32 * t) as u8;
        let (dx, dy) = (x as f32 - 320.0, (y as f32 - 250.0) * 1.6);
        if dx * dx + dy * dy < 150.0 * 150.0 {
            Rgb([255 - mix(0) / 3, 255 - mix(1) / 3, 255 - mix(2) / 3])
        } else {
            Rgb([mix(0), mix(1), mix(2)])
        }
    });
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Jpeg)?;
    Ok(bytes.into_inner())
}

/// A small deterministic generator, so that every demo looks the same.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Charlotte",
    "Oliver",
    "Amelia",
    "Jack",
    "Mia",
    "William",
    "Chloe",
    "Lucas",
    "Isla",
    "Henry",
    "Zoe",
    "Leo",
    "Ava",
    "Ethan",
    "Grace",
    "Mateo",
    "Sofia",
    "Aarav",
    "Mei",
    "Kenji",
    "Fatima",
    "Omar",
    "Léa",
    "Jürgen",
    "Siobhan",
    "Tāne",
];
const LAST: &[&str] = &[
    "Smith", "Nguyen", "Brown", "Wilson", "Taylor", "Martin", "Tremblay", "Roy", "Singh", "Chen",
    "Garcia", "Williams", "Jones", "Lee", "Kelly", "O'Brien", "Müller", "Dubois", "Patel", "Kim",
];
const TIERS: &[&str] = &["gold", "silver", "silver", "bronze", "bronze", "bronze"];

/// A phone number and a city in a country chosen with the demo's weights.
fn phone(dice: &mut Dice) -> (String, &'static str) {
    let roll = dice.below(100);
    let exchange = |d: &mut Dice| format!("{}{}", 2 + d.below(8), d.digits(2));
    match roll {
        0..45 => {
            let (area, city) = *dice.pick(&[
                ("212", "New York"),
                ("415", "San Francisco"),
                ("312", "Chicago"),
                ("512", "Austin"),
                ("305", "Miami"),
            ]);
            (
                format!("+1{area}{}{}", exchange(dice), dice.digits(4)),
                city,
            )
        }
        45..65 => {
            let (area, city) = *dice.pick(&[
                ("416", "Toronto"),
                ("604", "Vancouver"),
                ("514", "Montréal"),
                ("403", "Calgary"),
            ]);
            (
                format!("+1{area}{}{}", exchange(dice), dice.digits(4)),
                city,
            )
        }
        65..85 => {
            let city = *dice.pick(&["Sydney", "Melbourne", "Brisbane", "Perth"]);
            (format!("+614{}{}", 1 + dice.below(8), dice.digits(7)), city)
        }
        85..92 => (format!("+4474{}", dice.digits(8)), "London"),
        92..96 => (format!("+49151{}", dice.digits(8)), "Berlin"),
        _ => (format!("+336{}", dice.digits(8)), "Paris"),
    }
}

async fn import_contacts(api: &Client) -> anyhow::Result<()> {
    let mut dice = Dice(0x7e27_2026);
    let mut csv =
        String::from("external_id,phone,consent,first_name,last_name,city,tier,loyalty_points\n");
    for n in 1..=CONTACTS {
        let (phone, city) = phone(&mut dice);
        let consent = match dice.below(100) {
            0..84 => "subscribed",
            84..93 => "unknown",
            _ => "unsubscribed",
        };
        csv.push_str(&format!(
            "cust-{n:04},{phone},{consent},{},\"{}\",{city},{},{}\n",
            dice.pick(FIRST),
            dice.pick(LAST),
            dice.pick(TIERS),
            dice.below(5000)
        ));
    }
    let job = api
        .multipart(
            "/api/v1/contacts/imports",
            "demo-contacts.csv",
            "text/csv",
            csv.into_bytes(),
        )
        .await?;
    let id = job["id"].as_str().unwrap_or_default().to_owned();
    for _ in 0..600 {
        let job = api
            .call(
                Method::GET,
                &format!("/api/v1/contacts/imports/{id}"),
                Value::Null,
            )
            .await?;
        match job["status"].as_str() {
            Some("completed") => return Ok(()),
            Some("failed") => anyhow::bail!("demo: the contacts import failed: {}", job["error"]),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    anyhow::bail!("demo: the contacts import did not finish within a minute")
}

/// Product views, carts and orders over the last two weeks for about a third of the contacts.
fn events(pictures: &[(String, String)]) -> Vec<Value> {
    let products = [
        ("tote-01", "Canvas tote", 39.0, 2),
        ("jacket-07", "Rain jacket", 129.0, 3),
        ("beanie-03", "Wool beanie", 24.5, 4),
        ("sneaker-11", "Court sneaker", 89.0, 1),
    ];
    let mut dice = Dice(0x5eed_cafe);
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for n in (1..=CONTACTS).filter(|n| n % 3 == 0) {
        let user = format!("cust-{n:04}");
        let (id, name, price, picture) = *dice.pick(&products);
        let at = |hours_ago: u64| (now - chrono::Duration::hours(hours_ago as i64)).to_rfc3339();
        let ago = 1 + dice.below(14 * 24);
        let product = json!({"product_id": id, "name": name, "price": price, "quantity": 1,
            "image_url": pictures[picture].1, "url": format!("https://shop.example/p/{id}")});
        out.push(json!({"type": "track", "userId": user, "event": "Product Viewed", "properties": product, "timestamp": at(ago + 1)}));
        match dice.below(10) {
            0..4 => out.push(json!({"type": "track", "userId": user, "event": "Product Added", "properties": product, "timestamp": at(ago)})),
            4..7 => out.push(json!({"type": "track", "userId": user, "event": "Order Completed",
                "properties": {"order_id": format!("order-{n}"), "total": price, "products": [product]}, "timestamp": at(ago)})),
            _ => {}
        }
    }
    out
}
