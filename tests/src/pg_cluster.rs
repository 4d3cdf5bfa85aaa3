//! A throwaway PostgreSQL cluster of the test's own (Debian's `initdb` and `pg_ctl` of
//! PostgreSQL 15), for the stories that stop and start the database under running replicas: the
//! machine's shared PostgreSQL is never touched. As root, the cluster runs as the `postgres`
//! user (PostgreSQL refuses to run as root).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::{TempDir, TestDb};

/// Where Debian's PostgreSQL 15 (the `postgresql` package `.ci/test` installs) keeps its
/// programs.
const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A PostgreSQL cluster in a scratch directory, listening on 127.0.0.1 on a free port; stopped
/// and removed when dropped.
pub struct PgCluster {
    dir: TempDir,
    pub port: u16,
}

impl PgCluster {
    /// `initdb` (trust authentication, user `postgres`) and `pg_ctl start`.
    pub fn start() -> anyhow::Result<Self> {
        let dir = TempDir::new();
        let cluster = Self {
            port: crate::free_port(),
            dir,
        };
        if is_root() {
            let chown = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(cluster.dir.path())
                .status()?;
            if !chown.success() {
                bail!("chown postgres {}", cluster.dir.path().display());
            }
        }
        cluster.run(&[
            &format!("{BIN}/initdb"),
            "-D",
            &cluster.data(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ])?;
        cluster.start_again()?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgresql.log")
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A fresh database in this cluster (not dropped: the cluster goes with the test).
    pub async fn database(&self) -> TestDb {
        TestDb::postgres_on(&self.admin_url()).await
    }

    /// Starts the stopped cluster and waits until it accepts connections.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        self.run(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            &self.data(),
            "-o",
            &options,
            "-l",
            &self.log().display().to_string(),
            "-w",
            "start",
        ])
    }

    /// Stops the cluster as `systemctl stop postgresql` does (`-m fast`: open transactions are
    /// rolled back, every connection is closed) and waits until it is down.
    pub fn stop(&self) -> anyhow::Result<()> {
        self.run(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            &self.data(),
            "-w",
            "stop",
            "-m",
            "fast",
        ])
    }

    fn run(&self, argv: &[&str]) -> anyhow::Result<()> {
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]);
            command.args(argv);
            command
        } else {
            let mut command = Command::new(argv[0]);
            command.args(&argv[1..]);
            command
        };
        let output = command
            .output()
            .with_context(|| format!("{} (Debian's postgresql package)", argv[0]))?;
        if !output.status.success() {
            bail!(
                "{argv:?} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.run(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            &self.data(),
            "-w",
            "stop",
            "-m",
            "immediate",
        ]);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
