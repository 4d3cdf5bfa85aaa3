//! Every response carries the Content-Security-Policy and the other protective headers: the app
//! shell, its hashed assets, the API (answers and errors) and the server's plain pages.

use campo_tests::{Backend, TempDir, TestDb};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    // A built PWA in miniature: the shell and one hashed asset.
    let pwa = TempDir::new();
    std::fs::create_dir_all(pwa.path().join("assets")).unwrap();
    std::fs::write(
        pwa.path().join("index.html"),
        "<!doctype html><html lang=\"es-CO\"><head><script type=\"module\" \
         src=\"/assets/index-abc123.js\"></script></head><body><div id=\"app\"></div></body></html>",
    )
    .unwrap();
    std::fs::write(
        pwa.path().join("assets/index-abc123.js"),
        "console.log('Campo')",
    )
    .unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    campo_tests::add_admin(&db).await;
    let pwa_dir = pwa.path().display().to_string();
    let app = campo_tests::TestApp::start_with(db, &["--pwa-dir", &pwa_dir])
        .await
        .unwrap();
    let anonymous = app.anonymous();
    let admin = app.admin().await;

    let shell = anonymous.get("/").await;
    assert_eq!(shell.status, 200);
    let csp = shell.header("content-security-policy").unwrap().to_owned();
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' 'report-sample'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.split("; ").any(|d| d == directive),
            "«{directive}» missing from {csp}"
        );
    }
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    assert!(!csp.contains("'unsafe-eval'"), "{csp}");

    for (what, reply) in [
        ("the app shell", shell),
        ("an app route", anonymous.get("/casos/2x5Q/visita").await),
        (
            "a hashed asset",
            anonymous.get("/assets/index-abc123.js").await,
        ),
        ("an API answer", admin.get("/api/me").await),
        ("an API error", anonymous.get("/api/me").await),
        ("the health check", anonymous.get("/healthz").await),
        ("a sticker's page", anonymous.get("/e/NO-EXISTE").await),
    ] {
        assert!(reply.status < 500, "{what}: {}", reply.status);
        assert_eq!(
            reply.header("content-security-policy"),
            Some(csp.as_str()),
            "{what}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            reply.header("referrer-policy"),
            Some("same-origin"),
            "{what}"
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
        let permissions = reply.header("permissions-policy").unwrap_or_default();
        for feature in ["camera=(self)", "geolocation=(self)", "microphone=()"] {
            assert!(permissions.contains(feature), "{what}: {permissions}");
        }
    }
}
