//! The configuration as the person who installs Campo meets it: a bad value stops `campo serve`
//! before it touches the database, with a sentence per value that names the variable; `campo
//! config` prints the effective configuration without passwords, and needs no database.

use std::time::Duration;

use campo_tests::TempDir;

async fn campo(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let run = tokio::process::Command::new(campo_tests::campo_bin())
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("campo ended")
        .unwrap()
}

#[tokio::test]
async fn bad_values_stop_the_start_and_campo_config_hides_passwords() {
    let dir = TempDir::new();
    let data_dir = dir.path().join("datos");
    let out = campo(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--session-idle-minutes",
            "0",
        ],
        &[
            ("CAMPO_DATA_DIR", data_dir.to_str().unwrap()),
            ("CAMPO_SYNC_MAX_LOADED_DOCS", "mil"),
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for sentence in [
        "CAMPO_SESSION_IDLE_MINUTES (--session-idle-minutes): «0» no es válido; se espera un \
         número entero mayor que cero, por ejemplo 720.",
        "CAMPO_SYNC_MAX_LOADED_DOCS: «mil» no es válido; se espera un número entero mayor que \
         cero, por ejemplo 1000.",
    ] {
        assert!(stderr.contains(sentence), "{stderr}");
    }
    assert!(!data_dir.exists(), "the data directory was created");

    // Nothing listens on port 1: `campo config` does not connect.
    let out = campo(
        &["config", "--listen", "0.0.0.0:8080"],
        &[
            ("DATABASE_URL", "postgres://campo:s3creto@127.0.0.1:1/campo"),
            ("CAMPO_SYNC_MAX_LOADED_DOCS", "2000"),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "CAMPO_LISTEN=0.0.0.0:8080",
        "DATABASE_URL=postgres://campo:***@127.0.0.1:1/campo",
        "CAMPO_SYNC_MAX_LOADED_DOCS=2000",
        "CAMPO_ORGANISATION=Secretaría TIC",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line} in {stdout}");
    }
    assert!(!stdout.contains("s3creto"), "{stdout}");
}
