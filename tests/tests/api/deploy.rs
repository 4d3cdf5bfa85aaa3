//! The files of `deploy/` as an operator installs them: the systemd unit is one systemd accepts
//! (`systemd-analyze verify`, with the real binary in its place) and keeps its sandbox (the
//! exposure score of `systemd-analyze security` stays «OK», under 2.0 of 10); HAProxy accepts
//! its configuration.

use std::path::Path;
use std::process::Command;

use campo_tests::{TempDir, campo_bin};

#[test]
fn the_systemd_unit_is_valid_and_sandboxed() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/campo.service"),
    )
    .expect("deploy/campo.service");
    assert!(unit.contains("ExecStartPre=/usr/local/bin/campo doctor"));
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.path()).unwrap();
    let installed = dir.path().join("campo.service");
    let bin = campo_bin();
    std::fs::write(
        &installed,
        unit.replace("/usr/local/bin/campo", &bin.display().to_string()),
    )
    .unwrap();

    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&installed)
        .output()
        .expect("systemd-analyze (Debian's systemd)");
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // The threshold is on systemd's scale of 0 to 100: 20 is an exposure of 2.0.
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=20", "--no-pager"])
        .arg(&installed)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(security.status.success(), "exposure above 2.0:\n{report}");
    assert!(report.contains("Overall exposure level"), "{report}");
}

/// `deploy/haproxy.cfg` as installed, whole: HAProxy accepts it (`haproxy -c`). The failover test
/// runs it, with its own ports and `global` section.
#[test]
fn the_haproxy_configuration_is_valid() {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
    let check = Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(&cfg)
        .output()
        .expect("haproxy (Debian's haproxy package)");
    assert!(
        check.status.success(),
        "haproxy -c: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
