//! A real Dovecot IMAP server for the e-mail intake tests (Debian's `dovecot-imapd`, which
//! `.ci/test` installs): a throwaway configuration in a temporary directory (maildir, a
//! passwd-file with one plain-password user, `127.0.0.1` on a free port, no TLS), started with
//! `dovecot -F -c …` and stopped when dropped. Messages are delivered with Dovecot's own
//! `doveadm save`, and read back with `doveadm search`.
//!
//! Dovecot never gives mail access to root: when the tests run as root, the mailbox belongs to
//! the `dovecot` system user that the package creates; otherwise to the current user.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::TempDir;
use crate::smtp::free_port;

/// The mailbox user and password.
pub const USER: &str = "mesa";
pub const PASSWORD: &str = "clave-de-prueba";

/// A running Dovecot with one mailbox.
pub struct Dovecot {
    child: Child,
    conf: PathBuf,
    pub port: u16,
    // Last: removed after the server stops.
    dir: TempDir,
}

fn output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

impl Dovecot {
    /// Starts Dovecot; returns once it accepts IMAP connections.
    pub async fn start() -> Self {
        let dir = TempDir::new();
        let d = dir.path().to_owned();
        let port = free_port();
        let root = output("id", &["-u"]) == "0";
        let (mail_user, mail_group, login_user) = if root {
            (
                "dovecot".to_owned(),
                "dovecot".to_owned(),
                "dovenull".to_owned(),
            )
        } else {
            let user = output("id", &["-un"]);
            (user.clone(), output("id", &["-gn"]), user)
        };
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        if root {
            // The mail user must reach its maildir.
            let _ = output("chmod", &["755", d.to_str().unwrap()]);
            let owner = format!("{mail_user}:{mail_group}");
            for sub in ["mail", "home"] {
                let _ = output("chown", &["-R", &owner, d.join(sub).to_str().unwrap()]);
            }
        }
        std::fs::write(
            d.join("users"),
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}::::{}/home/{USER}::\n",
                d.display()
            ),
        )
        .unwrap();
        let conf = d.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 0
first_valid_gid = 0
default_login_user = {login_user}
default_internal_user = {mail_user}
default_internal_group = {mail_group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
",
                d = d.display()
            ),
        )
        .unwrap();
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start dovecot (Debian's dovecot-imapd)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    child,
                    conf,
                    port,
                    dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default();
        panic!("dovecot did not listen within 10 s:\n{log}");
    }

    /// `CAMPO_IMAP_URL` for the mailbox's INBOX.
    pub fn url(&self) -> String {
        format!("imap://{USER}:{PASSWORD}@127.0.0.1:{}/INBOX", self.port)
    }

    /// Delivers one message into INBOX with `doveadm save`.
    pub async fn deliver(&self, raw: &[u8]) {
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(["save", "-u", USER, "-m", "INBOX"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run doveadm save");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(raw).await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        assert!(
            out.status.success(),
            "doveadm save: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The UIDs of the INBOX messages matching a `doveadm search` query (`unseen`, `all`).
    pub async fn search(&self, query: &str) -> Vec<u32> {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(["search", "-u", USER, "mailbox", "INBOX", query])
            .output()
            .await
            .expect("run doveadm search");
        assert!(
            out.status.success(),
            "doveadm search: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1)?.parse().ok())
            .collect()
    }

    /// Clears a message's `\\Seen` flag (as if the collector had stored it but crashed before
    /// flagging it).
    pub async fn mark_unseen(&self, uid: u32) {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args([
                "flags", "remove", "-u", USER, "\\Seen", "mailbox", "INBOX", "uid",
            ])
            .arg(uid.to_string())
            .output()
            .await
            .expect("run doveadm flags");
        assert!(
            out.status.success(),
            "doveadm flags: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops Dovecot (SIGTERM, so the master stops its children) and waits for it.
    pub async fn stop(mut self) {
        self.terminate().await;
    }

    async fn terminate(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        }
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM rather than the SIGKILL of `kill_on_drop`: the master then stops its children.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
    }
}
