//! `campo demo`: a realistic demo organisation (a governorate's dependencias, a coordinator, four
//! technicians, an external contractor, a dozen officials and tickets in several states). Loading
//! it twice changes nothing the second time.

use crate::auth::Passwords;
use crate::store::{NewUser, Store};

/// The password of every demo account, printed with the logins.
pub const DEMO_PASSWORD: &str = "campo-demo-2026";

/// What was loaded, for the command to print.
pub struct Summary {
    /// (username, role label) of every demo account.
    pub logins: Vec<(String, &'static str)>,
    /// Tickets in the store after loading.
    pub tickets: i64,
}

const DEPENDENCIAS: &[(&str, &str)] = &[
    ("DESPACHO", "Despacho del Gobernador"),
    ("HACIENDA", "Secretaría de Hacienda"),
    ("EDUCACION", "Secretaría de Educación"),
    ("SALUD", "Secretaría de Salud"),
    ("TIC", "Secretaría de las TIC"),
    ("GOBIERNO", "Secretaría de Gobierno"),
    ("JURIDICA", "Secretaría Jurídica"),
    ("PLANEACION", "Departamento Administrativo de Planeación"),
];

struct DemoUser {
    username: &'static str,
    full_name: &'static str,
    role: &'static str,
    dependencia: &'static str,
}

const fn user(
    username: &'static str,
    full_name: &'static str,
    role: &'static str,
    dependencia: &'static str,
) -> DemoUser {
    DemoUser {
        username,
        full_name,
        role,
        dependencia,
    }
}

const USERS: &[DemoUser] = &[
    user("coordinador", "Laura Méndez Rojas", "coordinador", "TIC"),
    user("tecnico1", "Andrés Felipe Gómez", "tecnico", "TIC"),
    user("tecnico2", "Diana Marcela Ruiz", "tecnico", "TIC"),
    user("tecnico3", "Jhon Fredy Castaño", "tecnico", "TIC"),
    user("tecnico4", "Paola Andrea Vargas", "tecnico", "TIC"),
    user(
        "contratista",
        "Soporte Integral Andino S.A.S.",
        "contratista",
        "TIC",
    ),
    user("mlopez", "María Fernanda López", "funcionario", "HACIENDA"),
    user("cperez", "Carlos Alberto Pérez", "funcionario", "HACIENDA"),
    user("agarcia", "Ana Lucía García", "funcionario", "EDUCACION"),
    user(
        "jmartinez",
        "Jorge Enrique Martínez",
        "funcionario",
        "EDUCACION",
    ),
    user("ltorres", "Luz Stella Torres", "funcionario", "SALUD"),
    user(
        "rhernandez",
        "Ricardo Hernández Ortiz",
        "funcionario",
        "SALUD",
    ),
    user(
        "sramirez",
        "Sandra Milena Ramírez",
        "funcionario",
        "GOBIERNO",
    ),
    user("fdiaz", "Fabio Nelson Díaz", "funcionario", "GOBIERNO"),
    user("ycastro", "Yolanda Castro Mejía", "funcionario", "JURIDICA"),
    user("omoreno", "Óscar Iván Moreno", "funcionario", "JURIDICA"),
    user(
        "pjimenez",
        "Patricia Jiménez Suárez",
        "funcionario",
        "PLANEACION",
    ),
    user(
        "galvarez",
        "Gustavo Álvarez Pineda",
        "funcionario",
        "DESPACHO",
    ),
];

/// Loads the demo organisation into `store`, skipping whatever is already there.
pub async fn load(store: &Store) -> anyhow::Result<Summary> {
    for (code, name) in DEPENDENCIAS {
        store.ensure_dependencia(code, name).await?;
    }
    let passwords = Passwords::new()?;
    let mut hash = None;
    let mut logins = Vec::new();
    for demo in USERS {
        if store.user_by_username(demo.username).await?.is_none() {
            // One hash serves every demo account: they share the password, and argon2 is slow.
            let password_hash = match &hash {
                Some(hash) => String::clone(hash),
                None => hash.insert(passwords.hash(DEMO_PASSWORD).await?).clone(),
            };
            store
                .insert_user(&NewUser {
                    username: demo.username,
                    full_name: demo.full_name,
                    role: demo.role,
                    dependencia: Some(demo.dependencia),
                    email: Some(&format!("{}@demo.gov.co", demo.username)),
                    password_hash: &password_hash,
                })
                .await?;
        }
        let role = demo.role.parse::<campo_shared::role::Role>()?;
        logins.push((demo.username.to_owned(), role.label()));
    }
    let tickets = tickets::load(store).await?;
    Ok(Summary { logins, tickets })
}

mod tickets {
    //! Demo tickets, one per path of the procedure, written as real ticket documents (the same
    //! events a phone or the coordinator would append) and registered in the projection.

    use std::collections::HashMap;

    use crate::projection::{Sla, project};
    use crate::store::{AuditEntry, ChunkKind, CommitChange, EquipmentRow, Store, UserRow, now_ms};
    use automerge::AutoCommit;
    use campo_shared::event_kind::EventKind as K;
    use campo_shared::ids::{DocumentId, VisitId};
    use campo_shared::role::Role;
    use campo_shared::schema::{
        Channel, ClosingReport, Custody, Event, EventData, Mode, Outcome, Person, Request, Survey,
        SurveyAnswers, SurveyChannel, TicketDoc, Visit,
    };
    use campo_shared::sla::Priority;
    use campo_shared::workflow::fold;

    const HOUR_MS: i64 = 3_600_000;

    /// One step of a demo ticket's story, `hours_ago` before now.
    #[allow(
        clippy::large_enum_variant,
        reason = "a few dozen steps, built once when the demo loads"
    )]
    enum Step {
        Event(f64, &'static str, K, EventData),
        Visit(f64, &'static str, VisitPlan),
        Report(f64, &'static str, &'static str),
        Survey(f64, &'static str, u8),
    }

    /// What happened on a visit; the visit closes `hours` after it starts unless `open`.
    struct VisitPlan {
        present: bool,
        open: bool,
        hours: f64,
        note: &'static str,
        outcome: Option<Outcome>,
        custody_to: Option<&'static str>,
    }

    struct DemoTicket {
        requester: &'static str,
        channel: Channel,
        external_ref: Option<&'static str>,
        category: &'static str,
        description: &'static str,
        location: &'static str,
        equipment: &'static [&'static str],
        steps: Vec<Step>,
    }

    fn triage(priority: Priority, mode: Mode) -> EventData {
        EventData {
            priority: Some(priority),
            mode: Some(mode),
            ..EventData::default()
        }
    }

    fn reason(text: &str) -> EventData {
        EventData {
            reason: Some(text.to_owned()),
            ..EventData::default()
        }
    }

    fn visit(present: bool, hours: f64, note: &'static str, outcome: Option<Outcome>) -> VisitPlan {
        VisitPlan {
            present,
            open: false,
            hours,
            note,
            outcome,
            custody_to: None,
        }
    }

    fn stories() -> Vec<DemoTicket> {
        use Step::*;
        vec![
            DemoTicket {
                requester: "mlopez",
                channel: Channel::Intranet,
                external_ref: None,
                category: "Hardware",
                description: "El computador no enciende desde esta mañana; la luz del botón parpadea en naranja.",
                location: "Piso 3, oficina de Presupuesto",
                equipment: &["GN-000101"],
                steps: vec![Event(1.0, "mlopez", K::Registered, EventData::default())],
            },
            DemoTicket {
                requester: "agarcia",
                channel: Channel::Email,
                external_ref: None,
                category: "Software",
                description: "No puedo abrir los archivos de Excel que llegan por correo: sale un error de licencia.",
                location: "Piso 2, Talento Humano docente",
                equipment: &["GN-000214"],
                steps: vec![
                    Event(5.0, "coordinador", K::Registered, EventData::default()),
                    Event(
                        4.5,
                        "coordinador",
                        K::Accepted,
                        triage(Priority::Media, Mode::Phone),
                    ),
                    Event(
                        4.4,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Media, Mode::Phone),
                    ),
                ],
            },
            DemoTicket {
                requester: "ltorres",
                channel: Channel::Phone,
                external_ref: Some("Llamada ext. 4512"),
                category: "Impresoras",
                description: "La impresora del área de vigilancia epidemiológica atasca todas las hojas.",
                location: "Piso 1, Vigilancia epidemiológica",
                equipment: &["GN-000330"],
                steps: vec![
                    Event(26.0, "coordinador", K::Registered, EventData::default()),
                    Event(
                        25.5,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Alta, Mode::OnSite),
                    ),
                    Event(25.4, "coordinador", K::Assigned, assign("tecnico1")),
                ],
            },
            DemoTicket {
                requester: "sramirez",
                channel: Channel::Glpi,
                external_ref: Some("GLPI 20931"),
                category: "Red",
                description: "Sin conexión a internet en los tres equipos de la ventanilla de atención.",
                location: "Piso 1, Ventanilla única",
                equipment: &["GN-000412", "GN-000413", "GN-000414"],
                steps: vec![
                    Event(3.0, "coordinador", K::Registered, EventData::default()),
                    Event(
                        2.9,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Alta, Mode::OnSite),
                    ),
                    Event(2.8, "coordinador", K::Assigned, assign("tecnico2")),
                    Visit(
                        0.5,
                        "tecnico2",
                        VisitPlan {
                            open: true,
                            ..visit(true, 0.0, "Revisando el switch del piso.", None)
                        },
                    ),
                ],
            },
            DemoTicket {
                requester: "ycastro",
                channel: Channel::Intranet,
                external_ref: None,
                category: "Hardware",
                description: "El monitor se apaga solo cada pocos minutos.",
                location: "Piso 4, Oficina de conceptos",
                equipment: &["GN-000521"],
                steps: vec![
                    Event(30.0, "ycastro", K::Registered, EventData::default()),
                    Event(
                        29.0,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Media, Mode::OnSite),
                    ),
                    Event(28.9, "coordinador", K::Assigned, assign("tecnico3")),
                    Visit(
                        4.0,
                        "tecnico3",
                        visit(
                            false,
                            0.2,
                            "La funcionaria no estaba en su puesto; se dejó nota con la compañera del lado.",
                            None,
                        ),
                    ),
                ],
            },
            DemoTicket {
                requester: "jmartinez",
                channel: Channel::Intranet,
                external_ref: None,
                category: "Hardware",
                description: "El portátil hace un ruido fuerte y se calienta mucho.",
                location: "Piso 2, Calidad educativa",
                equipment: &["GN-000233"],
                steps: vec![
                    Event(50.0, "jmartinez", K::Registered, EventData::default()),
                    Event(
                        49.0,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Baja, Mode::Workshop),
                    ),
                    Event(48.9, "coordinador", K::Assigned, assign("tecnico4")),
                    Visit(
                        30.0,
                        "tecnico4",
                        VisitPlan {
                            custody_to: Some("Taller de la Secretaría TIC"),
                            ..visit(
                                true,
                                0.5,
                                "Ventilador dañado; se lleva al taller.",
                                Some(Outcome::Workshop),
                            )
                        },
                    ),
                ],
            },
            DemoTicket {
                requester: "rhernandez",
                channel: Channel::Email,
                external_ref: None,
                category: "Hardware",
                description: "El escáner de radicación no es reconocido por el equipo.",
                location: "Piso 1, Radicación",
                equipment: &["GN-000345"],
                steps: vec![
                    Event(70.0, "coordinador", K::Registered, EventData::default()),
                    Event(
                        69.0,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Media, Mode::OnSite),
                    ),
                    Event(68.9, "coordinador", K::Assigned, assign("tecnico1")),
                    Visit(
                        50.0,
                        "tecnico1",
                        VisitPlan {
                            custody_to: Some("Soporte Integral Andino S.A.S."),
                            ..visit(
                                true,
                                1.0,
                                "Falla de la tarjeta; en garantía con el contratista.",
                                Some(Outcome::Contractor),
                            )
                        },
                    ),
                ],
            },
            DemoTicket {
                requester: "cperez",
                channel: Channel::Phone,
                external_ref: Some("Llamada ext. 2210"),
                category: "Cuentas y accesos",
                description: "Olvidé la contraseña del sistema financiero.",
                location: "Piso 3, Tesorería",
                equipment: &[],
                steps: vec![
                    Event(8.0, "coordinador", K::Registered, EventData::default()),
                    Event(
                        7.9,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Alta, Mode::Phone),
                    ),
                    Event(
                        7.5,
                        "coordinador",
                        K::ResolvedByPhone,
                        reason("Se restableció la contraseña por teléfono."),
                    ),
                ],
            },
            DemoTicket {
                requester: "pjimenez",
                channel: Channel::Intranet,
                external_ref: None,
                category: "Software",
                description: "Necesito instalar el programa de georreferenciación en mi equipo.",
                location: "Piso 5, Planeación territorial",
                equipment: &["GN-000611"],
                steps: vec![
                    Event(75.0, "pjimenez", K::Registered, EventData::default()),
                    Event(
                        74.0,
                        "coordinador",
                        K::Prioritized,
                        triage(Priority::Baja, Mode::OnSite),
                    ),
                    Event(73.9, "coordinador", K::Assigned, assign("tecnico2")),
                    Visit(
                        52.0,
                        "tecnico2",
                        visit(
                            true,
                            1.0,
                            "Instalado y probado con la funcionaria.",
                            Some(Outcome::Resolved),
                        ),
                    ),
                    Event(50.95, "tecnico2", K::Resolved, EventData::default()),
                    Report(
                        50.9,
                        "tecnico2",
                        "Se instaló el programa, se probó la conexión con la capa departamental y se mostró a la funcionaria.",
                    ),
                    Event(50.9, "tecnico2", K::Closed, EventData::default()),
                    Survey(50.8, "pjimenez", 5),
                ],
            },
            DemoTicket {
                requester: "galvarez",
                channel: Channel::Email,
                external_ref: None,
                category: "Hardware",
                description: "El computador no enciende (enviado dos veces por error).",
                location: "Piso 6, Despacho",
                equipment: &["GN-000701"],
                steps: vec![
                    Event(6.0, "coordinador", K::Registered, EventData::default()),
                    Event(
                        5.5,
                        "coordinador",
                        K::Cancelled,
                        reason("Duplicada: ya existe una solicitud por el mismo equipo."),
                    ),
                ],
            },
        ]
    }

    fn assign(username: &'static str) -> EventData {
        // The id is filled in when the story is written, from the store.
        EventData {
            assignee: Some(Person {
                id: username.to_owned(),
                name: String::new(),
            }),
            ..EventData::default()
        }
    }

    /// Writes the demo tickets unless the store already has tickets. Returns the ticket count.
    pub async fn load(store: &Store) -> anyhow::Result<i64> {
        if store.count_tickets().await? > 0 {
            return Ok(store.count_tickets().await?);
        }
        let mut users: HashMap<String, UserRow> = HashMap::new();
        for user in store.list_users(None).await? {
            users.insert(user.username.clone(), user);
        }
        let now = now_ms();
        let sla = store.sla().await?;
        for story in stories() {
            write_ticket(store, &users, story, now, &sla).await?;
        }
        Ok(store.count_tickets().await?)
    }

    fn person(users: &HashMap<String, UserRow>, username: &str) -> anyhow::Result<(Person, Role)> {
        let user = users
            .get(username)
            .ok_or_else(|| anyhow::anyhow!("demo user {username} is missing"))?;
        Ok((
            Person {
                id: user.id.clone(),
                name: user.full_name.clone(),
            },
            user.role.parse()?,
        ))
    }

    async fn write_ticket(
        store: &Store,
        users: &HashMap<String, UserRow>,
        story: DemoTicket,
        now: i64,
        sla: &Sla,
    ) -> anyhow::Result<()> {
        let at = |hours_ago: f64| now - (hours_ago * HOUR_MS as f64) as i64;
        let (requester, _) = person(users, story.requester)?;
        let requester_row = &users[story.requester];
        let request = Request {
            requester: requester.clone(),
            dependencia: requester_row.dependencia.clone().unwrap_or_default(),
            location: story.location.to_owned(),
            phone_extension: None,
            channel: story.channel,
            external_ref: story.external_ref.map(str::to_owned),
            category: story.category.to_owned(),
            description: story.description.to_owned(),
            equipment: story.equipment.iter().map(|c| (*c).to_owned()).collect(),
            photos: Vec::new(),
        };
        // The equipment the story names is in the inventory, so its sticker can be scanned.
        let (kind, brand, model) = match story.category {
            "Impresoras" => ("impresora", "HP", "LaserJet Pro M404"),
            "Red" => ("red", "Cisco", "Catalyst 1000"),
            _ => ("computador", "Lenovo", "ThinkCentre M70"),
        };
        let inventory: Vec<EquipmentRow> = story
            .equipment
            .iter()
            .map(|code| EquipmentRow {
                code: (*code).to_owned(),
                kind: kind.to_owned(),
                brand: brand.to_owned(),
                model: model.to_owned(),
                serial: format!("SN{}", code.replace('-', "")),
                dependencia: requester_row.dependencia.clone(),
                location: story.location.to_owned(),
                custodian_id: Some(requester.id.clone()),
                custodian_name: requester.name.clone(),
                status: "en_servicio".to_owned(),
                notes: String::new(),
                created_at: now,
                updated_at: now,
            })
            .collect();
        store
            .upsert_equipment(&inventory, &requester.id, "Inventario de demostración")
            .await?;
        let mut steps = story.steps.into_iter();
        let Some(Step::Event(hours, author, K::Registered, data)) = steps.next() else {
            anyhow::bail!("a demo story must start with its registration");
        };
        let (author, role) = person(users, author)?;
        let first = Event::new(K::Registered, at(hours), author.id, role).with_data(data);
        let mut ticket = TicketDoc::new(request, first);
        for step in steps {
            match step {
                Step::Event(hours, author, kind, mut data) => {
                    if let Some(assignee) = &data.assignee {
                        data.assignee = Some(person(users, &assignee.id)?.0);
                    }
                    let (author, role) = person(users, author)?;
                    ticket
                        .events
                        .push(Event::new(kind, at(hours), author.id, role).with_data(data));
                }
                Step::Visit(hours, technician, plan) => {
                    let (tech, role) = person(users, technician)?;
                    let started = at(hours);
                    let mut visit = Visit::start(tech.id.clone(), started, plan.present);
                    visit.note = plan.note.to_owned();
                    let with_visit = |id: &VisitId| EventData {
                        visit: Some(*id),
                        ..EventData::default()
                    };
                    ticket.events.push(
                        Event::new(K::VisitStarted, started, tech.id.clone(), role)
                            .with_data(with_visit(&visit.id)),
                    );
                    if !plan.open {
                        let ended = started + (plan.hours * HOUR_MS as f64) as i64;
                        visit.ended_at = Some(ended);
                        if plan.present {
                            visit.diagnosis = plan.note.to_owned();
                            visit.actions = plan.note.to_owned();
                            visit.outcome = plan.outcome;
                            // Equipment that leaves the desk leaves with the visit's end.
                            let kind = match plan.outcome {
                                Some(Outcome::Workshop) => K::SentToWorkshop,
                                Some(Outcome::Contractor) => K::SentToContractor,
                                _ => K::VisitEnded,
                            };
                            ticket.events.push(
                                Event::new(kind, ended, tech.id.clone(), role)
                                    .with_data(with_visit(&visit.id)),
                            );
                        } else {
                            visit.notice_left = true;
                            let next = ended + 20 * HOUR_MS;
                            visit.next_visit_at = Some(next);
                            ticket.events.push(
                                Event::new(K::UserAbsent, ended, tech.id.clone(), role).with_data(
                                    EventData {
                                        next_visit_at: Some(next),
                                        ..with_visit(&visit.id)
                                    },
                                ),
                            );
                        }
                        if let Some(to) = plan.custody_to {
                            visit.custody = Some(Custody {
                                equipment: ticket.request.equipment.clone(),
                                from: tech.name.clone(),
                                to: to.to_owned(),
                                place: to.to_owned(),
                                at: ended,
                                condition: "Sin daños externos; se entrega con cargador."
                                    .to_owned(),
                            });
                        }
                    }
                    ticket.visits.push(visit);
                }
                Step::Report(hours, author, summary) => {
                    let (author, _) = person(users, author)?;
                    ticket.report = Some(ClosingReport {
                        author: author.id,
                        at: at(hours),
                        summary: summary.to_owned(),
                        results: "Resuelto".to_owned(),
                    });
                }
                Step::Survey(hours, by, rating) => {
                    let (by, role) = person(users, by)?;
                    ticket.survey = Some(Survey {
                        answered_at: at(hours),
                        by: by.id.clone(),
                        channel: SurveyChannel::TechnicianPhone,
                        answers: SurveyAnswers {
                            timeliness: rating,
                            treatment: rating,
                            solution: rating,
                            comment: "Muy buena atención.".to_owned(),
                        },
                    });
                    ticket
                        .events
                        .push(Event::new(K::SurveyAnswered, at(hours), by.id, role));
                }
            }
        }

        let folded = fold(&ticket.events);
        if let Some(flag) = folded.flags.first() {
            anyhow::bail!(
                "demo ticket «{}» is contradictory: {}",
                ticket.request.description,
                flag.message
            );
        }
        let mut doc = AutoCommit::new();
        ticket.reconcile_into(&mut doc)?;
        let id = DocumentId::new().to_bs58check();
        let heads = doc.get_heads();
        let audit: Vec<AuditEntry> = doc
            .get_changes(&[])
            .iter()
            .map(|change| AuditEntry {
                hash: change.hash().to_string(),
                actor: change.actor_id().to_hex_string(),
            })
            .collect();
        // Written in one change: nothing in a demo ticket came after a replacement.
        let projection = project(&ticket, &[], &heads, sla);
        store
            .commit_change(&CommitChange {
                doc_id: &id,
                kind: ChunkKind::Snapshot,
                data: &doc.save(),
                audit: &audit,
                user_id: None,
                device: "campo demo",
                projection: Some(&projection),
                previous: None,
                number: None,
                receipt: None,
            })
            .await?;
        Ok(())
    }
}
