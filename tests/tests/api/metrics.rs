//! `GET /metrics` as a Prometheus server reads it: refused without the configured token, and,
//! with it, figures that follow what people do (requests, a phone syncing a case, a mail the
//! server cannot deliver), in a format that Prometheus's own Python parser
//! (`prometheus_client`, installed by `.ci/test`) reads. Also the JSON logs.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use campo_tests::phone::Phone;
use campo_tests::smtp::free_port;
use campo_tests::{Backend, DEMO_PASSWORD, TestDb, both_backends, campo_bin, run_cli};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const TOKEN: &str = "prueba-de-metricas-0123456789";

/// The samples of a scrape, read by `prometheus_client`'s parser: `name{labels}` → value.
async fn parse(text: &str) -> HashMap<String, f64> {
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        samples[s.name + ("{" + labels + "}" if labels else "")] = s.value
print(json.dumps(samples))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "prometheus_client could not read /metrics: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn scrape(client: &campo_tests::Client) -> HashMap<String, f64> {
    let reply = client
        .http()
        .get(client.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    parse(&reply.text().await.unwrap()).await
}

both_backends!(metrics_follow_the_work);
async fn metrics_follow_the_work(backend: Backend) {
    let db = TestDb::new(backend).await;
    run_cli(&db, &["demo"], None).await.expect("campo demo");
    // A mail server that is down: every notification waits in the outbox and fails.
    let smtp = format!("smtp://127.0.0.1:{}", free_port());
    let env = [
        ("CAMPO_METRICS_TOKEN".to_owned(), TOKEN.to_owned()),
        ("CAMPO_SMTP_URL".to_owned(), smtp),
        (
            "CAMPO_SMTP_FROM".to_owned(),
            "Campo <campo@demo.gov.co>".to_owned(),
        ),
    ];
    let (_campo, base) = campo_tests::spawn_campo(&db, &[], &env).await.unwrap();
    let official = campo_tests::Client::new(base.clone());
    official.login("mlopez", DEMO_PASSWORD).await.unwrap();

    // Without the token, or with another one, nothing is shown.
    let anonymous = reqwest::Client::new();
    let bare = anonymous
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    assert_eq!(bare.headers()["www-authenticate"], "Bearer");
    assert!(bare.text().await.unwrap().contains("CAMPO_METRICS_TOKEN"));
    let wrong = anonymous
        .get(format!("{base}/metrics"))
        .bearer_auth("otro-token-cualquiera-de-prueba")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let before = scrape(&official).await;
    assert_eq!(before["campo_sync_connections"], 0.0);
    let created = official
        .post(
            "/api/tickets",
            &json!({"description": "El escáner no enciende.", "category": "Impresora",
                    "location": "Piso 2"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let missing = official.get("/api/tickets/no-existe").await;
    assert!(missing.status >= 400 && missing.status < 500);
    let phone = Phone::open(&official, &id)
        .await
        .expect("the phone opens the case");

    let during = scrape(&official).await;
    assert_eq!(during["campo_sync_connections"], 1.0);
    assert!(during["campo_documents_in_memory"] >= 1.0, "{during:?}");
    assert!(
        during["campo_sync_messages_received_total"] > before["campo_sync_messages_received_total"]
    );
    assert!(during["campo_sync_bytes_sent_total"] > before["campo_sync_bytes_sent_total"]);
    assert!(
        during[r#"campo_http_responses_total{class="2xx"}"#]
            >= before[r#"campo_http_responses_total{class="2xx"}"#] + 2.0,
        "{during:?}"
    );
    assert!(
        during[r#"campo_http_responses_total{class="4xx"}"#]
            > before[r#"campo_http_responses_total{class="4xx"}"#],
        "{during:?}"
    );
    let version = format!(
        r#"campo_build_info{{version="{}"}}"#,
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(during[&version], 1.0, "{during:?}");
    drop(phone);

    // The request's acknowledgement cannot be delivered: it waits, counted as failing, and the
    // failed attempt is an error.
    let mut after = scrape(&official).await;
    for _ in 0..100 {
        if after["campo_mail_outbox_failing"] >= 1.0 && after["campo_sync_connections"] == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&official).await;
    }
    assert!(after["campo_mail_outbox_pending"] >= 1.0, "{after:?}");
    assert!(after["campo_mail_outbox_failing"] >= 1.0, "{after:?}");
    assert!(after["campo_errors_total"] >= 1.0, "{after:?}");
    assert_eq!(after["campo_sync_connections"], 0.0, "the phone left");
}

both_backends!(no_metrics_without_a_token);
async fn no_metrics_without_a_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (_campo, base) = campo_tests::spawn_campo(&db, &[], &[]).await.unwrap();
    let reply = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);

    let mut command = Command::new(campo_bin());
    let refused = command
        .args(["config"])
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("CAMPO_METRICS_TOKEN", "corto")
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("CAMPO_METRICS_TOKEN"), "{stderr}");
    assert!(
        !stderr.contains("corto"),
        "the token is never echoed: {stderr}"
    );
}

both_backends!(json_logs_one_object_per_line);
/// With `CAMPO_LOG_FORMAT=json` every line on stderr is a JSON object a log collector can read,
/// with the level, the message and the event's fields.
async fn json_logs_one_object_per_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut campo = Command::new(campo_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CAMPO_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("CAMPO_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(campo.stderr.take().unwrap()).lines();
    let listening = tokio::time::timeout(Duration::from_secs(60), async {
        let mut read = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|err| panic!("a log line that is not JSON ({err}): {line}"));
            assert!(event["level"].is_string(), "{event}");
            assert!(event["timestamp"].is_string(), "{event}");
            read.push(event.clone());
            if event["message"] == "Campo listening" {
                return event;
            }
        }
        panic!("campo stopped before listening: {read:?}");
    })
    .await
    .expect("campo listens within 60 s");
    assert_eq!(listening["level"], "INFO");
    assert!(
        listening["address"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    );
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(listening["database"], expected);
    let _ = campo.kill().await;
}
