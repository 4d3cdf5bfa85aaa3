//! A local SMTP server for the notification tests: `tests/smtp_sink.py` (Python's aiosmtpd, which
//! `.ci/test` installs) writes each message it receives as a JSON file in a directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The sink on a fixed port, writing each message it receives to a directory.
pub struct SmtpSink {
    child: Child,
}

impl SmtpSink {
    /// Starts the sink on `port`, writing to `dir`; returns once it accepts connections.
    pub async fn start(port: u16, dir: &Path) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink (python3 with aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP sink did not start within 20 s");
        assert_eq!(
            ready.ok().flatten().as_deref(),
            Some("listo"),
            "the SMTP sink did not start: is aiosmtpd installed?"
        );
        Self { child }
    }

    /// Stops the sink (the mail server goes down).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The messages the sink has received so far, oldest first.
pub fn received(dir: &Path) -> Vec<Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the sink directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
        .collect()
}

/// Waits until a message to `to` whose subject contains `subject` arrives; returns it.
pub async fn wait_for_mail(dir: &Path, to: &str, subject: &str) -> Value {
    for _ in 0..300 {
        if let Some(mail) = received(dir)
            .into_iter()
            .find(|m| m["to"][0] == to && m["subject"].as_str().unwrap().contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no mail to {to} with «{subject}» within 30 s; received: {:#?}",
        received(dir)
    );
}
