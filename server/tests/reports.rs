//! The report's store query, on SQLite and on PostgreSQL: the fixed month written into the
//! projection tables with plain SQL reads back as the same tickets, the filters select what
//! they say, and the figures computed from the database equal the hand-counted ones.

use campo_server::projection::Sla;
use campo_server::reports::figures;
use campo_server::reports::fixture;
use campo_server::reports::period::Period;
use campo_server::reports::ticket::ReportTicket;
use campo_server::store::{ReportFilters, Store};
use campo_tests::{Backend, TestDb, both_backends};

macro_rules! insert_rows {
    ($pool:expr, $tickets:expr) => {{
        let pool = &$pool;
        for (code, name) in fixture::DEPENDENCIAS {
            sqlx::query("insert into dependencias (code, name, created_at) values ($1, $2, 0)")
                .bind(code)
                .bind(name)
                .execute(pool)
                .await
                .unwrap();
        }
        for (id, name, role) in fixture::PEOPLE {
            sqlx::query(
                "insert into users (id, username, full_name, role, password_hash, created_at,
                                    updated_at)
                 values ($1, $1, $2, $3, 'x', 0, 0)",
            )
            .bind(id)
            .bind(name)
            .bind(role)
            .execute(pool)
            .await
            .unwrap();
        }
        for t in $tickets {
            sqlx::query(
                "insert into tickets (id, number, requester_name, dependencia, channel, category,
                     summary, state, priority, mode, assignee_id, assignee_name, assignee_role,
                     created_at, updated_at, triaged_at, responded_at, response_due,
                     resolution_due, resolved_at, resolution, closed_at, cancelled_at, visits,
                     absent_visits, workshop_sends, contractor_sends, equipment_returns, reopened,
                     report_summary, survey_at, survey_timeliness, survey_treatment,
                     survey_solution)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15,
                         $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29,
                         $30, $31, $32, $33)",
            )
            .bind(&t.id)
            .bind(&t.number)
            .bind(&t.requester_name)
            .bind(&t.dependencia)
            .bind(&t.channel)
            .bind(&t.category)
            .bind(&t.summary)
            .bind(&t.state)
            .bind(&t.priority)
            .bind(&t.mode)
            .bind(&t.assignee_id)
            .bind(&t.assignee_name)
            .bind(&t.assignee_role)
            .bind(t.created_at)
            .bind(t.triaged_at)
            .bind(t.responded_at)
            .bind(t.response_due)
            .bind(t.resolution_due)
            .bind(t.resolved_at)
            .bind(&t.resolution)
            .bind(t.closed_at)
            .bind(t.cancelled_at)
            .bind(t.visits)
            .bind(t.absent_visits)
            .bind(t.workshop_sends)
            .bind(t.contractor_sends)
            .bind(t.equipment_returns)
            .bind(t.reopened)
            .bind(&t.report_summary)
            .bind(t.survey_at)
            .bind(t.survey_timeliness)
            .bind(t.survey_treatment)
            .bind(t.survey_solution)
            .execute(pool)
            .await
            .unwrap();
            for (i, v) in t.visit_log.iter().enumerate() {
                sqlx::query(
                    "insert into ticket_visits (ticket_id, visit_id, technician_id, started_at,
                                                user_present)
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(&t.id)
                .bind(format!("v{i}"))
                .bind(&v.technician_id)
                .bind(v.started_at)
                .bind(v.user_present)
                .execute(pool)
                .await
                .unwrap();
            }
            for code in &t.equipment {
                sqlx::query("insert into ticket_equipment (ticket_id, code) values ($1, $2)")
                    .bind(&t.id)
                    .bind(code)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            for (seq, a) in t.absences.iter().enumerate() {
                sqlx::query(
                    "insert into ticket_absences (ticket_id, seq, started_at, ended_at)
                     values ($1, $2, $3, $4)",
                )
                .bind(&t.id)
                .bind(seq as i64)
                .bind(a.start)
                .bind(a.end)
                .execute(pool)
                .await
                .unwrap();
            }
            for (seq, e) in t.equipment_events.iter().enumerate() {
                sqlx::query(
                    "insert into ticket_equipment_events (ticket_id, seq, kind, at)
                     values ($1, $2, $3, $4)",
                )
                .bind(&t.id)
                .bind(seq as i64)
                .bind(e.kind.as_str())
                .bind(e.at)
                .execute(pool)
                .await
                .unwrap();
            }
        }
        pool.close().await;
    }};
}
/// Writes `tickets` (and the users and dependencias they name) into the projection tables.
async fn insert(db: &TestDb, tickets: &[ReportTicket]) {
    let store = Store::connect(&db.url).await.expect("migrate");
    store.close().await;
    match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            insert_rows!(pool, tickets);
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            insert_rows!(pool, tickets);
        }
    }
}

fn numbers(tickets: &[ReportTicket]) -> Vec<u32> {
    let mut n: Vec<u32> = tickets
        .iter()
        .map(|t| t.number[9..].parse().unwrap())
        .collect();
    n.sort_unstable();
    n
}

both_backends!(the_month_reads_back_from_the_projection);
async fn the_month_reads_back_from_the_projection(backend: Backend) {
    let db = TestDb::new(backend).await;
    let month = fixture::month();
    insert(&db, &month).await;
    let store = Store::connect(&db.url).await.unwrap();
    let october = fixture::october();
    let september = october.previous();

    // Everything relevant to September and October: the thirteen tickets, exactly as written.
    let mut loaded = store
        .report_tickets(
            september.start_ms(),
            october.end_ms(),
            &ReportFilters::default(),
        )
        .await
        .unwrap();
    loaded.sort_by(|a, b| a.number.cmp(&b.number));
    let mut expected = month.clone();
    expected.sort_by(|a, b| a.number.cmp(&b.number));
    assert_eq!(loaded, expected);

    // October alone leaves out T12 (created and done in September).
    let only_october = store
        .report_tickets(
            october.start_ms(),
            october.end_ms(),
            &ReportFilters::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        numbers(&only_october),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    );

    // The figures from the database are the hand-counted ones (see figures/tests.rs).
    let now = fixture::at(12, 31, 0, 0);
    let from_db = figures::report(&loaded, october, &Sla::default(), now);
    let from_fixture = figures::report(&month, october, &Sla::default(), now);
    assert_eq!(from_db, from_fixture);
    assert_eq!(from_db.general.headline.received, 10);
    assert_eq!(from_db.general.headline.open_at_end, 3);
    assert_eq!(from_db.detail.len(), 12);

    let filtered = |filters: ReportFilters| {
        let store = store.clone();
        async move {
            numbers(
                &store
                    .report_tickets(september.start_ms(), october.end_ms(), &filters)
                    .await
                    .unwrap(),
            )
        }
    };
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        filtered(ReportFilters {
            dependencia: some("HAC"),
            ..Default::default()
        })
        .await,
        [1, 3, 6, 9, 12]
    );
    assert_eq!(
        filtered(ReportFilters {
            category: some("Impresora"),
            ..Default::default()
        })
        .await,
        [5, 11]
    );
    assert_eq!(
        filtered(ReportFilters {
            channel: some("phone"),
            ..Default::default()
        })
        .await,
        [1, 6, 10, 12]
    );
    assert_eq!(
        filtered(ReportFilters {
            assignee: some("u-bruno"),
            priority: some("alta"),
            ..Default::default()
        })
        .await,
        [7]
    );
    assert_eq!(
        filtered(ReportFilters {
            dependencia: some("NADA"),
            ..Default::default()
        })
        .await,
        Vec::<u32>::new()
    );

    // A period before any ticket is empty, and its report is all zeros.
    let empty = Period::parse_month("2025-01").unwrap();
    let none = store
        .report_tickets(
            empty.previous().start_ms(),
            empty.end_ms(),
            &ReportFilters::default(),
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    let report = figures::report(&none, empty, &Sla::default(), now);
    assert_eq!(report.general.headline.received, 0);
    assert_eq!(report.general.sla.response.rate, None);
}
