//! Messages from the app against a real server. Email with a real SMTP server on loopback (a
//! small one this test runs): queued offline, failed with the reason while the relay cannot be
//! reached, retried, delivered, and the activity says so on the writer's device. Text messages
//! through an SMS provider plugged into the server by its documented interface: queued while
//! there is none, refused with the provider's words, retried, sent.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crm_tests::{eventually, Device, TestServer};
use serde_json::{json, Value as Json};
use sync_server::mail::{Security, SmtpConfig};
use sync_server::sms::{SmsFuture, SmsProvider, TextMessage};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the SMTP server received: (MAIL FROM, RCPT TO, the message).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// A minimal SMTP server: greets, takes EHLO, MAIL, RCPT, DATA and QUIT, keeps each message.
async fn smtp_server() -> (u16, Received) {
    smtp_server_with(None).await
}

/// [`smtp_server`] that offers STARTTLS with the test certificate and takes `AUTH PLAIN` only
/// after it (the password it was given is kept as the message's MAIL FROM's suffix).
async fn smtp_server_with(tls: Option<tokio_rustls::TlsAcceptor>) -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let kept = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (kept, tls) = (Arc::clone(&kept), tls.clone());
            tokio::spawn(async move {
                stream.write_all(b"220 test.local ESMTP\r\n").await.unwrap();
                if let Some(stream) = converse(BufReader::new(stream), &kept, tls.is_some(), String::new()).await {
                    // STARTTLS: the rest of the conversation is encrypted.
                    if let Ok(secure) = tls.unwrap().accept(stream).await {
                        converse(BufReader::new(secure), &kept, false, "tls".into()).await;
                    }
                }
            });
        }
    });
    (port, received)
}

/// One conversation; the stream back when the client asked for STARTTLS (and it is offered).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    mut relay: BufReader<S>,
    kept: &Received,
    offer_tls: bool,
    how: String,
) -> Option<S> {
    let (mut from, mut to, mut user) = (String::new(), String::new(), String::new());
    loop {
        let mut line = String::new();
        if relay.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let upper = line.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") && offer_tls {
            b"250-test.local\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("EHLO") {
            b"250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("STARTTLS") && offer_tls {
            relay.write_all(b"220 go ahead\r\n").await.unwrap();
            return Some(relay.into_inner());
        } else if upper.starts_with("AUTH PLAIN ") && how == "tls" {
            let decoded = STANDARD.decode(line[11..].trim()).unwrap();
            user = String::from_utf8(decoded).unwrap().replace('\0', "|");
            b"235 welcome\r\n"
        } else if upper.starts_with("AUTH") {
            b"538 encryption required\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_string();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to = line[8..].trim().to_string();
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            relay.write_all(b"354 go on\r\n").await.unwrap();
            let mut message = String::new();
            loop {
                let mut l = String::new();
                relay.read_line(&mut l).await.unwrap();
                if l == ".\r\n" {
                    break;
                }
                message.push_str(&l);
            }
            let from = if how.is_empty() { from.clone() } else { format!("{from} ({how} as {user})") };
            kept.lock().unwrap().push((from, to.clone(), message));
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = relay.write_all(b"221 bye\r\n").await;
            return None;
        } else {
            b"502 what\r\n"
        };
        relay.write_all(reply).await.unwrap();
    }
}

fn relay(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        from: "crm@example.cn".into(),
        username: None,
        password: None,
        security: Security::Auto,
        ca: None,
    }
}

async fn status_after_sync(device: &Device, id: &str, want: &str) -> Json {
    let mut last = Json::Null;
    for _ in 0..40 {
        device.sync().await.unwrap();
        last = device.get(id);
        if last["fields"]["send_status"] == want {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("the email did not become {want}: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_queued_offline_fails_while_the_relay_is_away_and_is_sent_on_retry() {
    let server = TestServer::start();
    // A relay that is not there: a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    server.db().set_smtp(Some(&relay(closed))).unwrap();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;

    // Written offline, to the customer's contact.
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let contact = ann.create("contact", json!({"customer": customer, "name": "李娜", "email": "lina@example.cn"}));
    let email = ann.create("activity", json!({"customer": customer, "contact": contact, "type": "email",
        "email_to": "lina@example.cn", "subject": "CK6140 报价单", "email_body": "李经理您好：\n附上报价，请查收。\n王芳",
        "send_status": "queued"}));
    // Nobody but the server says it was sent; and a queued email needs its address.
    let forged = ann.try_call(json!({"op": "update", "id": email, "fields": {"send_status": "sent"}}));
    assert_eq!(forged["type"], "error", "{forged}");
    let incomplete = ann.try_call(json!({"op": "create", "kind": "activity", "fields": {"customer": customer,
        "type": "email", "subject": "x", "email_body": "y", "send_status": "queued"}}));
    assert_eq!(incomplete["params"]["errors"][0]["field"], "email_to", "{incomplete}");

    let failed = status_after_sync(&ann, &email, "failed").await;
    let why = failed["fields"]["send_error"].as_str().unwrap();
    assert!(why.contains("cannot be reached"), "{why}");

    // The relay is back; she retries.
    let (port, received) = smtp_server().await;
    server.db().set_smtp(Some(&relay(port))).unwrap();
    ann.call(json!({"op": "transition", "id": email, "name": "retry", "fields": {}}));
    let sent = status_after_sync(&ann, &email, "sent").await;
    assert!(sent["fields"]["sent_at"].is_string());
    assert_eq!(sent["fields"]["send_error"], Json::Null, "the old reason is gone");
    eventually(5, "the relay has the message", || !received.lock().unwrap().is_empty()).await;
    let (from, to, message) = received.lock().unwrap()[0].clone();
    assert_eq!((from.as_str(), to.as_str()), ("<crm@example.cn>", "<lina@example.cn>"));
    assert!(message.contains(&format!("Subject: =?UTF-8?B?{}?=", STANDARD.encode("CK6140 报价单"))), "{message}");
    let body: String = message.split("\r\n\r\n").nth(1).unwrap().split("\r\n").collect();
    assert_eq!(String::from_utf8(STANDARD.decode(body).unwrap()).unwrap(), "李经理您好：\n附上报价，请查收。\n王芳");
    // Sent once, and it stays sent.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(received.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_emails_its_target_list_skipping_who_unsubscribed() {
    let server = TestServer::start();
    let (port, received) = smtp_server().await;
    server.db().set_smtp(Some(&relay(port))).unwrap();
    let [sue] = server.people([("sue", "supervisor", Some("east"))]).await;
    let with_email = sue.create("customer", json!({"name": "甲一机械", "grade": "A", "email": "jia1@example.cn"}));
    sue.create("customer", json!({"name": "甲二五金", "grade": "A", "email": "jia2@example.cn", "do_not_email": true}));
    let via_contact = sue.create("customer", json!({"name": "甲三电气", "grade": "A"}));
    sue.create(
        "contact",
        json!({"customer": via_contact, "name": "周经理", "email": "zhou@example.cn", "is_primary": true}),
    );
    sue.create("customer", json!({"name": "乙一", "grade": "B", "email": "yi@example.cn"}));
    let campaign = sue.create(
        "campaign",
        json!({"name": "新品推介", "type": "email",
        "target_kind": "customer", "target_filter": "{\"grade\": \"A\"}"}),
    );
    let early = sue.try_call(json!({"op": "campaign_email", "id": campaign, "subject": "s", "body": "b"}));
    assert_eq!(early["code"], "campaign_not_running", "{early}");
    sue.call(json!({"op": "start_campaign", "id": campaign}));
    let mailing = sue.call(json!({"op": "campaign_email", "id": campaign,
        "subject": "{name}：新品推介", "body": "{name} 您好，新款数控机床本月上市。"}));
    assert_eq!(mailing["queued"], 2, "{mailing}");
    assert_eq!(
        mailing["skipped"],
        json!([{"id": mailing["skipped"][0]["id"], "title": "甲二五金", "why": "unsubscribed"}])
    );

    // Per recipient: each email is an activity naming the campaign, sent by the server.
    let mut sent = 0;
    for _ in 0..40 {
        sue.sync().await.unwrap();
        let page =
            sue.call(json!({"op": "list", "kind": "activity", "filter": {"campaign": campaign, "type": "email"}}));
        let items = page["items"].as_array().unwrap().clone();
        sent = items.iter().filter(|i| i["fields"]["send_status"] == "sent").count();
        if sent == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(sent, 2);
    let mut to: Vec<String> = received.lock().unwrap().iter().map(|(_, to, _)| to.clone()).collect();
    to.sort();
    assert_eq!(to, ["<jia1@example.cn>", "<zhou@example.cn>"]);
    let first = received.lock().unwrap().iter().find(|(_, to, _)| to == "<jia1@example.cn>").unwrap().2.clone();
    assert!(first.contains(&format!("Subject: =?UTF-8?B?{}?=", STANDARD.encode("甲一机械：新品推介"))), "{first}");
    let timeline = sue.call(json!({"op": "list", "kind": "activity", "filter": {"customer": with_email}}));
    assert_eq!(timeline["items"][0]["fields"]["send_status"], "sent", "the email is on the customer's timeline");
}

/// A provider as a deployment would write one: it refuses numbers its account cannot reach (a
/// landline) in its own words, and keeps what it accepted.
#[derive(Default)]
struct Gateway {
    sent: Mutex<Vec<TextMessage>>,
}

impl SmsProvider for Gateway {
    fn name(&self) -> &str {
        "test gateway"
    }

    fn send<'a>(&'a self, message: &'a TextMessage) -> SmsFuture<'a> {
        Box::pin(async move {
            if !message.to.replace([' ', '-'], "").starts_with('1') {
                return Err(format!("isv.MOBILE_NUMBER_ILLEGAL: {} is not a mobile number", message.to));
            }
            self.sent.lock().unwrap().push(message.clone());
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_message_waits_for_a_provider_is_refused_in_its_words_and_sent_on_retry() {
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let to_landline = ann.create(
        "activity",
        json!({"customer": customer, "type": "sms",
        "sms_to": "0512-6688 1234", "sms_text": "张经理您好，报价已发邮箱。王芳", "send_status": "queued"}),
    );
    // A text message needs a number that is one.
    let bad = ann.try_call(json!({"op": "create", "kind": "activity", "fields": {"customer": customer,
        "type": "sms", "sms_to": "call me", "sms_text": "x", "send_status": "queued"}}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "invalid_phone", "{bad}");

    // No provider yet: it waits, queued.
    ann.sync().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    ann.sync().await.unwrap();
    assert_eq!(ann.get(&to_landline)["fields"]["send_status"], "queued");

    // The deployment plugs its provider in; the landline is refused in the provider's words.
    let gateway = Arc::new(Gateway::default());
    server.state().set_sms_provider(gateway.clone());
    let failed = status_after_sync(&ann, &to_landline, "failed").await;
    assert!(failed["fields"]["send_error"].as_str().unwrap().contains("MOBILE_NUMBER_ILLEGAL"), "{failed}");

    // She corrects the number and retries: sent, once.
    ann.call(json!({"op": "update", "id": to_landline, "fields": {"sms_to": "138 0013 8000"}}));
    ann.call(json!({"op": "transition", "id": to_landline, "name": "retry", "fields": {}}));
    let sent = status_after_sync(&ann, &to_landline, "sent").await;
    assert!(sent["fields"]["sent_at"].is_string());
    assert_eq!(sent["fields"]["send_error"], Json::Null);
    let kept = gateway.sent.lock().unwrap().clone();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].to.as_str(), kept[0].text.as_str()), ("138 0013 8000", "张经理您好，报价已发邮箱。王芳"));
    assert_eq!(kept[0].id, to_landline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_is_spoken_to_over_starttls_and_its_certificate_is_checked() {
    let server = TestServer::start();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls");
    let config = sync_server::listener::tls_config(&fixtures.join("server.pem"), &fixtures.join("server.key")).unwrap();
    let (port, received) = smtp_server_with(Some(tokio_rustls::TlsAcceptor::from(config))).await;
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let email = |subject: &str| {
        ann.create(
            "activity",
            json!({"customer": customer, "type": "email", "email_to": "lina@example.cn",
            "subject": subject, "email_body": "您好", "send_status": "queued"}),
        )
    };

    // The company's relay has a certificate of the company's CA: not pinned, it is refused and
    // the password never goes out.
    let mut secure = relay(port);
    secure.username = Some("crm".into());
    secure.password = Some("relay-secret".into());
    server.db().set_smtp(Some(&secure)).unwrap();
    let first = email("未固定 CA");
    let failed = status_after_sync(&ann, &first, "failed").await;
    let why = failed["fields"]["send_error"].as_str().unwrap();
    assert!(why.contains("TLS with the mail relay") && why.to_lowercase().contains("certificate"), "{why}");
    assert!(received.lock().unwrap().is_empty());

    // Pinned: STARTTLS, then the password, then the message.
    secure.ca = Some(std::fs::read_to_string(fixtures.join("ca.pem")).unwrap());
    server.db().set_smtp(Some(&secure)).unwrap();
    ann.call(json!({"op": "transition", "id": first, "name": "retry", "fields": {}}));
    status_after_sync(&ann, &first, "sent").await;
    let (from, _, _) = received.lock().unwrap()[0].clone();
    assert_eq!(from, "<crm@example.cn> (tls as |crm|relay-secret)", "signed in only inside TLS");

    // A relay that offers no STARTTLS: required, the email fails with why.
    let (plain_port, _) = smtp_server().await;
    let mut required = relay(plain_port);
    required.security = Security::Starttls;
    server.db().set_smtp(Some(&required)).unwrap();
    let second = email("必须加密");
    let failed = status_after_sync(&ann, &second, "failed").await;
    assert!(failed["fields"]["send_error"].as_str().unwrap().contains("does not offer STARTTLS"), "{failed}");
}
