use std::net::IpAddr;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn trusted_proxies_are_addresses_and_ranges() {
    let proxies =
        TrustedProxies::parse(" 10.0.0.5, 172.16.0.0/12,fd00::/8 ,::ffff:192.0.2.1").unwrap();
    for trusted in [
        "10.0.0.5",
        "172.16.0.1",
        "172.31.255.255",
        "fd12::1",
        "192.0.2.1",
        "::ffff:10.0.0.5",
    ] {
        assert!(proxies.contains(ip(trusted)), "{trusted}");
    }
    for untrusted in ["10.0.0.6", "172.32.0.1", "fe80::1", "192.0.2.2", "::1"] {
        assert!(!proxies.contains(ip(untrusted)), "{untrusted}");
    }
    assert!(TrustedProxies::parse("").unwrap().is_empty());
    assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
    assert!(
        TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8"))
    );
}

#[test]
fn a_bad_proxy_list_is_explained_in_spanish() {
    for bad in [
        "proxy.local",
        "10.0.0.300",
        "10.0.0.0/33",
        "::1/129",
        "10.0.0.0/",
        "10.0.0.0/x",
    ] {
        let message = TrustedProxies::parse(&format!("10.0.0.1, {bad}")).unwrap_err();
        assert!(message.starts_with(&format!("«{bad}» no es")), "{message}");
        assert!(message.contains(bad), "{message}");
        assert!(message.contains("separadas por comas"), "{message}");
    }
}

/// The configuration that `vars` give, as if they were the whole environment.
fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

fn printout(config: &Config) -> String {
    config
        .variables()
        .into_iter()
        .map(|(variable, value)| format!("{variable}={value}\n"))
        .collect()
}

#[test]
fn nothing_set_gives_the_defaults() {
    let config = config(&[]).unwrap();
    assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.database_url, "sqlite://./data/campo.sqlite3");
    assert_eq!(config.public_url, None);
    assert!(!config.https());
    assert_eq!(config.pwa_dir, PathBuf::from(crate::web::DEFAULT_PWA_DIR));
    assert_eq!(config.session_idle, Duration::from_secs(12 * 3600));
    assert_eq!(config.session_absolute, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(config.smtp_url, None);
    assert_eq!(config.smtp_from, None);
    assert_eq!(config.imap, None);
    assert_eq!(config.imap_poll, Duration::from_secs(60));
    assert!(config.trusted_proxies.is_empty());
    assert_eq!(config.organisation, "Secretaría TIC");
    assert_eq!(
        format!("{:?}", config.sync_limits),
        format!("{:?}", Limits::default())
    );
    // The default number of threads depends on the machine's cores.
    assert_eq!(
        printout(&config),
        "CAMPO_LISTEN=127.0.0.1:8080\n\
             CAMPO_DATA_DIR=./data\n\
             DATABASE_URL=sqlite://./data/campo.sqlite3\n\
             CAMPO_PHOTO_STORE=files\n\
             CAMPO_PUBLIC_URL=\n\
             CAMPO_PWA_DIR=pwa/dist\n\
             CAMPO_SESSION_IDLE_MINUTES=720\n\
             CAMPO_SESSION_MAX_DAYS=7\n\
             CAMPO_SMTP_URL=\n\
             CAMPO_SMTP_FROM=\n\
             CAMPO_IMAP_URL=\n\
             CAMPO_IMAP_POLL_SECS=60\n\
             CAMPO_IMAP_MAX_MESSAGE_BYTES=26214400\n\
             CAMPO_TRUSTED_PROXIES=\n\
             CAMPO_ORGANISATION=Secretaría TIC\n\
             CAMPO_PUSH_SUBJECT=\n\
             CAMPO_METRICS_TOKEN=\n\
             CAMPO_LOG_FORMAT=text\n\
             CAMPO_WORKER_THREADS=WORKERS\n\
             CAMPO_SYNC_MAX_MESSAGE_BYTES=16777216\n\
             CAMPO_SYNC_MAX_DOCUMENT_BYTES=16777216\n\
             CAMPO_SYNC_MAX_DOCS_PER_CONNECTION=50000\n\
             CAMPO_SYNC_MESSAGES_PER_SECOND=5000\n\
             CAMPO_SYNC_MESSAGE_BURST=100000\n\
             CAMPO_SYNC_MAX_LOADED_DOCS=1000\n\
             CAMPO_SYNC_IDLE_SECS=60\n\
             CAMPO_SYNC_SOCKETS_PER_USER=8\n\
             CAMPO_LDAP_URL=\n\
             CAMPO_LDAP_BIND_DN=\n\
             CAMPO_LDAP_BIND_PASSWORD=\n\
             CAMPO_LDAP_BASE_DN=\n\
             CAMPO_LDAP_USER_FILTER=(uid={username})\n\
             CAMPO_LDAP_GROUP_COORDINADOR=\n\
             CAMPO_LDAP_GROUP_TECNICO=\n\
             CAMPO_LDAP_GROUP_CONTRATISTA=\n\
             CAMPO_LDAP_DEPENDENCIA_ATTR=\n\
             CAMPO_LDAP_TIMEOUT_SECS=5\n\
             CAMPO_LDAP_CHECK_SECS=300\n\
             CAMPO_GLPI_URL=\n\
             CAMPO_GLPI_APP_TOKEN=\n\
             CAMPO_GLPI_USER_TOKEN=\n\
             CAMPO_GLPI_ENTITY=\n\
             CAMPO_GLPI_CATEGORY=\n\
             CAMPO_GLPI_SYNC_SECS=300\n\
             CAMPO_SURVEY_REMINDER_DAYS=3\n\
             CAMPO_CUSTODY_OVERDUE_DAYS=10\n\
             CAMPO_NOTICE_SCAN_SECS=60\n"
            .replace("WORKERS", &default_worker_threads().to_string())
    );
    assert_eq!(config.ldap, None);
    assert_eq!(config.glpi, None);
    // An empty or blank variable is an unset one (`CAMPO_SMTP_URL=` in an environment file).
    let blank = config_of_blanks();
    assert_eq!(printout(&blank), printout(&config));
}

fn config_of_blanks() -> Config {
    Config::from_lookup(|_| Some("  ".to_owned())).unwrap()
}

#[test]
fn every_variable_is_read() {
    let config = config(&[
        ("CAMPO_LISTEN", " 0.0.0.0:9090 "),
        ("CAMPO_DATA_DIR", "/var/lib/campo"),
        ("CAMPO_PUBLIC_URL", "https://campo.gobernacion.gov.co"),
        ("CAMPO_PWA_DIR", "/opt/campo/pwa"),
        ("CAMPO_SESSION_IDLE_MINUTES", "480"),
        ("CAMPO_SESSION_MAX_DAYS", "3"),
        ("CAMPO_SMTP_URL", "smtp://127.0.0.1:25"),
        ("CAMPO_SMTP_FROM", "Campo <campo@gobernacion.gov.co>"),
        ("CAMPO_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16"),
        ("CAMPO_ORGANISATION", "Secretaría TIC de la Gobernación"),
        ("CAMPO_SYNC_MAX_MESSAGE_BYTES", "8388608"),
        ("CAMPO_SYNC_MAX_DOCUMENT_BYTES", "8388607"),
        ("CAMPO_SYNC_MAX_DOCS_PER_CONNECTION", "10000"),
        ("CAMPO_SYNC_MESSAGES_PER_SECOND", "1000"),
        ("CAMPO_SYNC_MESSAGE_BURST", "20000"),
        ("CAMPO_SYNC_MAX_LOADED_DOCS", "2000"),
        ("CAMPO_SYNC_IDLE_SECS", "300"),
        ("CAMPO_SYNC_SOCKETS_PER_USER", "100000"),
        ("CAMPO_WORKER_THREADS", "3"),
    ])
    .unwrap();
    assert_eq!(config.worker_threads, 3);
    // The data directory holds the default database.
    assert_eq!(config.database_url, "sqlite:///var/lib/campo/campo.sqlite3");
    assert!(config.https());
    assert_eq!(config.session_idle, Duration::from_secs(8 * 3600));
    assert_eq!(config.session_absolute, Duration::from_secs(3 * 24 * 3600));
    assert!(config.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
    assert_eq!(config.sync_limits.idle_unload, Duration::from_secs(300));
    let limits = &config.sync_limits;
    assert_eq!(
        (
            limits.max_message_bytes,
            limits.max_document_bytes,
            limits.max_docs_per_connection,
            limits.messages_per_second,
            limits.message_burst,
            limits.max_loaded_docs,
            limits.sockets_per_user
        ),
        (8388608, 8388607, 10000, 1000, 20000, 2000, 100000)
    );
    let printed = printout(&config);
    for line in [
        "CAMPO_LISTEN=0.0.0.0:9090\n",
        "CAMPO_PUBLIC_URL=https://campo.gobernacion.gov.co\n",
        "CAMPO_SESSION_IDLE_MINUTES=480\n",
        "CAMPO_SESSION_MAX_DAYS=3\n",
        "CAMPO_SMTP_FROM=Campo <campo@gobernacion.gov.co>\n",
        "CAMPO_TRUSTED_PROXIES=10.0.0.5/32, 10.1.0.0/16\n",
        "CAMPO_ORGANISATION=Secretaría TIC de la Gobernación\n",
        "CAMPO_SYNC_IDLE_SECS=300\n",
        "CAMPO_WORKER_THREADS=3\n",
    ] {
        assert!(printed.contains(line), "{line} in {printed}");
    }
}

#[test]
fn each_bad_value_names_its_variable_and_what_is_expected() {
    for (variable, bad, expected) in [
        (
            "CAMPO_LISTEN",
            "localhost:8080",
            "una dirección IP y un puerto",
        ),
        ("CAMPO_LISTEN", "127.0.0.1", "una dirección IP y un puerto"),
        (
            "DATABASE_URL",
            "mysql://campo@db/campo",
            "sqlite:… o postgres://…",
        ),
        (
            "CAMPO_PUBLIC_URL",
            "campo.gobernacion.gov.co",
            "http:// o https://",
        ),
        (
            "CAMPO_PUBLIC_URL",
            "ftp://campo.gov.co",
            "http:// o https://",
        ),
        ("CAMPO_PUBLIC_URL", "https://campo.gov.co/app", "sin ruta"),
        ("CAMPO_PUBLIC_URL", "https://", "http:// o https://"),
        (
            "CAMPO_SESSION_IDLE_MINUTES",
            "0",
            "mayor que cero, por ejemplo 720",
        ),
        ("CAMPO_SESSION_IDLE_MINUTES", "doce horas", "número entero"),
        (
            "CAMPO_SESSION_MAX_DAYS",
            "-1",
            "mayor que cero, por ejemplo 7",
        ),
        (
            "CAMPO_SMTP_URL",
            "mail.gobernacion.gov.co",
            "smtp:// o smtps://",
        ),
        (
            "CAMPO_SMTP_URL",
            "http://mail.gobernacion.gov.co",
            "smtp:// o smtps://",
        ),
        ("CAMPO_SMTP_URL", "smtp://", "smtp:// o smtps://"),
        ("CAMPO_SMTP_URL", "smtp://mail:puerto", "smtp:// o smtps://"),
        ("CAMPO_SMTP_FROM", "Campo", "una dirección de correo"),
        ("CAMPO_SMTP_FROM", "campo@", "una dirección de correo"),
        (
            "CAMPO_TRUSTED_PROXIES",
            "proxy.interno",
            "separadas por comas",
        ),
        (
            "CAMPO_SYNC_MAX_MESSAGE_BYTES",
            "16 MiB",
            "por ejemplo 16777216",
        ),
        ("CAMPO_SYNC_MAX_DOCUMENT_BYTES", "0", "por ejemplo 16777216"),
        (
            "CAMPO_SYNC_MAX_DOCS_PER_CONNECTION",
            "1e4",
            "por ejemplo 50000",
        ),
        (
            "CAMPO_SYNC_MESSAGES_PER_SECOND",
            "5000000000",
            "por ejemplo 5000",
        ),
        ("CAMPO_SYNC_MESSAGE_BURST", "1.5", "por ejemplo 100000"),
        ("CAMPO_SYNC_MAX_LOADED_DOCS", "mil", "por ejemplo 1000"),
        ("CAMPO_SYNC_IDLE_SECS", "0", "por ejemplo 60"),
        ("CAMPO_SYNC_SOCKETS_PER_USER", "ocho", "por ejemplo 8"),
        (
            "CAMPO_WORKER_THREADS",
            "0",
            "un número entero mayor que cero",
        ),
    ] {
        let mut vars = vec![(variable, bad)];
        if variable == "CAMPO_SMTP_FROM" {
            vars.push(("CAMPO_SMTP_URL", "smtp://127.0.0.1:25"));
        }
        let ConfigError(errors) = config(&vars).unwrap_err();
        assert_eq!(errors.len(), 1, "{variable}={bad}: {errors:?}");
        let message = &errors[0];
        assert!(
            message.starts_with(&format!("{} «{bad}» no es", label(variable) + ":")),
            "{message}"
        );
        assert!(message.contains(expected), "{message}");
        assert!(message.ends_with('.'), "{message}");
    }
    // The example of the brief, word for word; a variable with a flag names both.
    let ConfigError(errors) = config(&[
        ("CAMPO_SYNC_MAX_LOADED_DOCS", "mil"),
        ("CAMPO_SESSION_MAX_DAYS", "0"),
    ])
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "CAMPO_SESSION_MAX_DAYS (--session-max-days): «0» no es válido; se espera un \
                 número entero mayor que cero, por ejemplo 7.",
            "CAMPO_SYNC_MAX_LOADED_DOCS: «mil» no es válido; se espera un número entero \
                 mayor que cero, por ejemplo 1000.",
        ]
    );
}

#[test]
fn a_mail_server_needs_a_sender() {
    let ConfigError(errors) = config(&[("CAMPO_SMTP_URL", "smtp://127.0.0.1:25")]).unwrap_err();
    assert_eq!(
        errors,
        [
            "CAMPO_SMTP_FROM (--smtp-from): falta. Con CAMPO_SMTP_URL se necesita el remitente \
              de las notificaciones, por ejemplo «Campo <campo@gobernacion.gov.co>»."
        ]
    );
    // A sender alone is harmless: no mail is sent without a server.
    assert!(config(&[("CAMPO_SMTP_FROM", "campo@gobernacion.gov.co")]).is_ok());
}

#[test]
fn passwords_are_hidden() {
    let config = config(&[
        (
            "DATABASE_URL",
            "postgres://campo:s3creto@db.interno:5432/campo?sslmode=require",
        ),
        (
            "CAMPO_SMTP_URL",
            "smtps://notificaciones:otr0-secreto@smtp.gobernacion.gov.co",
        ),
        ("CAMPO_SMTP_FROM", "campo@gobernacion.gov.co"),
    ])
    .unwrap();
    // The configuration keeps them, to connect with.
    assert!(config.database_url.contains("s3creto"));
    let printed = printout(&config);
    assert!(
        printed
            .contains("DATABASE_URL=postgres://campo:***@db.interno:5432/campo?sslmode=require\n"),
        "{printed}"
    );
    assert!(
        printed.contains("CAMPO_SMTP_URL=smtps://notificaciones:***@smtp.gobernacion.gov.co\n"),
        "{printed}"
    );
    assert!(
        !printed.contains("s3creto") && !printed.contains("otr0"),
        "{printed}"
    );
    for (url, hidden) in [
        ("postgres://campo@db/campo", "postgres://campo@db/campo"),
        (
            "postgresql://db/campo?user=campo&password=x&sslmode=require",
            "postgresql://db/campo?user=campo&password=***&sslmode=require",
        ),
        (
            "postgres://campo:a@b/c?d@db/campo",
            "postgres://campo:***@db/campo",
        ),
        (
            "sqlite:///var/lib/campo/campo.sqlite3",
            "sqlite:///var/lib/campo/campo.sqlite3",
        ),
        ("smtp://127.0.0.1:25", "smtp://127.0.0.1:25"),
    ] {
        assert_eq!(hide_password(url), hidden);
    }
    // Nor do they show in the error that a bad address gives.
    let ConfigError(errors) = super::tests::config(&[
        ("DATABASE_URL", "mysql://campo:s3creto@db/campo"),
        ("CAMPO_SMTP_URL", "smtp://campo:s3creto@mail:puerto"),
        ("CAMPO_SMTP_FROM", "campo@gobernacion.gov.co"),
    ])
    .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.contains("campo:***@") && !e.contains("s3creto")),
        "{errors:?}"
    );
}

#[test]
fn a_flag_wins_over_its_variable_and_every_flag_is_read() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        storage: StorageFlags,
        #[command(flatten)]
        serve: ServeFlags,
    }
    for (variable, flag) in FLAGS {
        let cli = Cli::try_parse_from(["campo", flag, "x"]).unwrap();
        assert_eq!(
            cli.storage.get(variable).or(cli.serve.get(variable)),
            Some("x"),
            "{flag}"
        );
    }
    let cli = Cli::try_parse_from(["campo", "--listen", "0.0.0.0:9090"]).unwrap();
    let env = |name: &str| (name == "CAMPO_LISTEN").then(|| "10.0.0.1:80".to_owned());
    let config = Config::from_flags_and(&cli.storage, Some(&cli.serve), env).unwrap();
    assert_eq!(config.listen, "0.0.0.0:9090".parse().unwrap());
    // Without `serve`'s flags (`campo demo`), the variable counts.
    let config = Config::from_flags_and(&cli.storage, None, env).unwrap();
    assert_eq!(config.listen, "10.0.0.1:80".parse().unwrap());
    let cli = Cli::try_parse_from(["campo", "--listen", "todas"]).unwrap();
    let ConfigError(errors) =
        Config::from_flags_and(&cli.storage, Some(&cli.serve), env).unwrap_err();
    assert!(
        errors[0].starts_with("CAMPO_LISTEN (--listen): «todas» no es válido"),
        "{errors:?}"
    );
}

/// `docs/operacion.md` lists every variable, each with its flag, the default `campo config`
/// prints and an example that Campo accepts.
#[test]
fn the_docs_list_every_variable() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operacion.md");
    let page = std::fs::read_to_string(path).expect("docs/operacion.md");
    // The table of the section «Configuración» (other sections have tables too).
    let section = page
        .split("\n## ")
        .find(|s| s.starts_with("Configuración"))
        .expect("the section «Configuración»");
    // | `VARIABLE` | `--flag` | `default` … | `example` … | what it is |
    let rows: Vec<Vec<&str>> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| line.split('|').skip(1).collect())
        .collect();
    let first_code = |cell: &str| cell.split('`').nth(1).map(str::to_owned);
    let documented: Vec<String> = rows.iter().filter_map(|r| first_code(r[0])).collect();
    let defaults = config(&[]).unwrap().variables();
    let printed: Vec<&str> = defaults.iter().map(|(variable, _)| *variable).collect();
    assert_eq!(
        documented,
        [printed.as_slice(), &["CAMPO_PASSWORD", "RUST_LOG"]].concat(),
        "the table of docs/operacion.md, in the order of `campo config`"
    );
    let mut examples = Vec::new();
    for (row, (variable, default)) in rows.iter().zip(&defaults) {
        let flag = FLAGS.iter().find(|(v, _)| v == variable).map(|(_, f)| *f);
        assert_eq!(first_code(row[1]).as_deref(), flag, "{variable}'s flag");
        let documented_default = first_code(row[2]);
        let expected = match *variable {
            "DATABASE_URL" => Some("sqlite://<CAMPO_DATA_DIR>/campo.sqlite3".to_owned()),
            // Half the machine's cores: said in words.
            "CAMPO_WORKER_THREADS" => None,
            _ => Some(default.clone()).filter(|d| !d.is_empty()),
        };
        assert_eq!(documented_default, expected, "{variable}'s default");
        let example = first_code(row[3]).unwrap_or_else(|| panic!("{variable}: no example"));
        examples.push((*variable, example));
    }
    let vars: Vec<(&str, &str)> = examples.iter().map(|(v, e)| (*v, e.as_str())).collect();
    let config = config(&vars).unwrap();
    for (variable, value) in config.variables() {
        let example = &examples.iter().find(|(v, _)| *v == variable).unwrap().1;
        // The example may be this machine's number of threads.
        if variable != "CAMPO_WORKER_THREADS" {
            assert_ne!(
                &value,
                &defaults.iter().find(|(v, _)| *v == variable).unwrap().1
            );
        }
        assert!(
            value == *example || value.contains("***") || variable == "CAMPO_TRUSTED_PROXIES",
            "{variable}: {value} is not the example {example}"
        );
    }
}

#[test]
fn the_directory_is_read_whole_and_explained_when_incomplete() {
    let read = config(&[
        ("CAMPO_LDAP_URL", "ldap://ldap.gobernacion.gov.co:389/"),
        ("CAMPO_LDAP_BIND_DN", "cn=campo,ou=servicios,dc=gob,dc=co"),
        ("CAMPO_LDAP_BIND_PASSWORD", "secreto"),
        ("CAMPO_LDAP_BASE_DN", "ou=personas,dc=gob,dc=co"),
        (
            "CAMPO_LDAP_GROUP_TECNICO",
            "cn=tecnicos,ou=grupos,dc=gob,dc=co",
        ),
        ("CAMPO_LDAP_DEPENDENCIA_ATTR", "departmentNumber"),
        ("CAMPO_LDAP_TIMEOUT_SECS", "3"),
    ])
    .unwrap();
    let ldap = read.ldap.clone().unwrap();
    assert_eq!(ldap.url, "ldap://ldap.gobernacion.gov.co:389");
    assert_eq!(ldap.user_filter, "(uid={username})");
    assert_eq!(
        ldap.group_tecnico.as_deref(),
        Some("cn=tecnicos,ou=grupos,dc=gob,dc=co")
    );
    assert_eq!(ldap.group_coordinador, None);
    assert_eq!(ldap.timeout, Duration::from_secs(3));
    assert_eq!(ldap.check_every, Duration::from_secs(300));
    let printed = printout(&read);
    assert!(
        printed.contains("CAMPO_LDAP_BIND_PASSWORD=***\n"),
        "{printed}"
    );
    assert!(!printed.contains("secreto"), "{printed}");

    let errors = |vars: &[(&str, &str)]| config(vars).unwrap_err().0.join("\n");
    let text = errors(&[("CAMPO_LDAP_URL", "ldap.gobernacion.gov.co")]);
    assert!(
        text.starts_with("CAMPO_LDAP_URL: «ldap.gobernacion.gov.co» no es válido; se espera"),
        "{text}"
    );
    let text = errors(&[("CAMPO_LDAP_URL", "ldaps://ldap.gob.co")]);
    assert!(text.starts_with("CAMPO_LDAP_BASE_DN: falta."), "{text}");
    let text = errors(&[
        ("CAMPO_LDAP_URL", "ldaps://ldap.gob.co"),
        ("CAMPO_LDAP_BASE_DN", "dc=gob,dc=co"),
        ("CAMPO_LDAP_BIND_DN", "cn=campo,dc=gob,dc=co"),
    ]);
    assert!(
        text.starts_with("CAMPO_LDAP_BIND_PASSWORD: falta."),
        "{text}"
    );
    let text = errors(&[
        ("CAMPO_LDAP_URL", "ldaps://ldap.gob.co"),
        ("CAMPO_LDAP_BASE_DN", "dc=gob,dc=co"),
        ("CAMPO_LDAP_USER_FILTER", "uid=*"),
    ]);
    assert!(
        text.starts_with("CAMPO_LDAP_USER_FILTER: «uid=*» no es válido"),
        "{text}"
    );
    // Settings of a directory without its address would be silently ignored.
    let text = errors(&[("CAMPO_LDAP_BASE_DN", "dc=gob,dc=co")]);
    assert!(
        text.starts_with("CAMPO_LDAP_URL: falta.") && text.contains("CAMPO_LDAP_BASE_DN"),
        "{text}"
    );
}

/// `CAMPO_IMAP_URL`: the scheme chooses TLS, the port and folder have defaults, escapes are read,
/// a bad address is a Spanish error naming the variable and without the password.
#[test]
fn imap_urls() {
    let url =
        ImapUrl::parse("imaps://mesa%40gob.gov.co:cl%40ve@correo.gob.gov.co/Soporte").unwrap();
    assert!(url.tls);
    assert_eq!(
        (
            url.host.as_str(),
            url.port,
            url.user.as_str(),
            url.password.as_str()
        ),
        ("correo.gob.gov.co", 993, "mesa@gob.gov.co", "cl@ve")
    );
    assert_eq!(url.folder, "Soporte");
    let plain = ImapUrl::parse("imap://mesa:clave@127.0.0.1:1143").unwrap();
    assert!(!plain.tls);
    assert_eq!((plain.port, plain.folder.as_str()), (1143, "INBOX"));
    assert!(!format!("{plain:?}").contains("clave"));
    for bad in [
        "http://a:b@c/INBOX",
        "imap://sinclave@c/INBOX",
        "imap://a:b@c:puerto/INBOX",
    ] {
        assert!(ImapUrl::parse(bad).is_none(), "{bad}");
    }
    let errors = config(&[("CAMPO_IMAP_URL", "imap://mesa:secreta@")])
        .unwrap_err()
        .0;
    assert!(errors[0].starts_with("CAMPO_IMAP_URL: "), "{errors:?}");
    assert!(!errors[0].contains("secreta"), "{errors:?}");
    let errors = config(&[("CAMPO_IMAP_POLL_SECS", "0")]).unwrap_err().0;
    assert!(
        errors[0].starts_with("CAMPO_IMAP_POLL_SECS: "),
        "{errors:?}"
    );
}

#[test]
fn glpi_is_read_whole_and_explained_when_incomplete() {
    let read = config(&[
        (
            "CAMPO_GLPI_URL",
            "https://glpi.gobernacion.gov.co/apirest.php/",
        ),
        ("CAMPO_GLPI_APP_TOKEN", "app-token-1"),
        ("CAMPO_GLPI_USER_TOKEN", "clave-de-acceso"),
        ("CAMPO_GLPI_ENTITY", "3"),
        ("CAMPO_GLPI_SYNC_SECS", "0"),
    ])
    .unwrap();
    let glpi = read.glpi.as_ref().expect("GLPI configured");
    assert_eq!(glpi.url, "https://glpi.gobernacion.gov.co/apirest.php");
    assert_eq!((glpi.entity, glpi.category), (Some(3), None));
    assert_eq!(glpi.sync_every, None, "0: only `campo glpi sync` imports");
    let printed = printout(&read);
    assert!(printed.contains("CAMPO_GLPI_USER_TOKEN=***\n"), "{printed}");
    assert!(!printed.contains("clave-de-acceso") && !printed.contains("app-token-1"));
    assert!(!format!("{glpi:?}").contains("clave-de-acceso"));

    let errors = config(&[(
        "CAMPO_GLPI_URL",
        "https://glpi.gobernacion.gov.co/apirest.php",
    )])
    .unwrap_err()
    .0;
    assert!(
        errors[0].starts_with("CAMPO_GLPI_USER_TOKEN: falta."),
        "{errors:?}"
    );
    let errors = config(&[("CAMPO_GLPI_ENTITY", "3")]).unwrap_err().0;
    assert!(
        errors[0].starts_with("CAMPO_GLPI_URL: falta."),
        "{errors:?}"
    );
    let errors = config(&[
        (
            "CAMPO_GLPI_URL",
            "https://glpi.gobernacion.gov.co/front/ticket.php",
        ),
        ("CAMPO_GLPI_USER_TOKEN", "clave con espacios"),
        ("CAMPO_GLPI_CATEGORY", "impresoras"),
    ])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("terminada en apirest.php"))
    );
    assert!(
        errors.iter().all(|e| !e.contains("clave con espacios")),
        "{errors:?}"
    );
}

#[test]
fn the_push_contact_is_given_or_derived() {
    let given = config(&[("CAMPO_PUSH_SUBJECT", "mailto:soporte@gobernacion.gov.co")]).unwrap();
    assert_eq!(given.push_subject(), "mailto:soporte@gobernacion.gov.co");
    assert!(printout(&given).contains("CAMPO_PUSH_SUBJECT=mailto:soporte@gobernacion.gov.co\n"));
    let page = config(&[(
        "CAMPO_PUSH_SUBJECT",
        "https://tic.gobernacion.gov.co/soporte",
    )])
    .unwrap();
    assert_eq!(
        page.push_subject(),
        "https://tic.gobernacion.gov.co/soporte"
    );
    let public = config(&[("CAMPO_PUBLIC_URL", "https://campo.gobernacion.gov.co/")]).unwrap();
    assert_eq!(public.push_subject(), "https://campo.gobernacion.gov.co");
    let mail = config(&[
        ("CAMPO_SMTP_URL", "smtp://127.0.0.1:25"),
        ("CAMPO_SMTP_FROM", "Campo <campo@gobernacion.gov.co>"),
    ])
    .unwrap();
    assert_eq!(mail.push_subject(), "mailto:campo@gobernacion.gov.co");
    assert_eq!(
        config(&[]).unwrap().push_subject(),
        "mailto:campo@campo.invalid"
    );
    for bad in [
        "soporte@gobernacion.gov.co",
        "mailto:no es correo",
        "http://campo.gov.co",
    ] {
        let errors = config(&[("CAMPO_PUSH_SUBJECT", bad)]).unwrap_err().0;
        assert!(
            errors[0].starts_with("CAMPO_PUSH_SUBJECT: «") && errors[0].contains("mailto:"),
            "{errors:?}"
        );
    }
}

#[test]
fn notices_schedule_is_read_and_zero_turns_it_off() {
    let read = config(&[
        ("CAMPO_SURVEY_REMINDER_DAYS", "0"),
        ("CAMPO_CUSTODY_OVERDUE_DAYS", "5"),
        ("CAMPO_NOTICE_SCAN_SECS", "2"),
    ])
    .unwrap();
    assert_eq!(read.notices.survey_reminder_days, None);
    assert_eq!(read.notices.custody_overdue_days, Some(5));
    assert_eq!(read.notices.scan_every, Duration::from_secs(2));
    let ConfigError(errors) = config(&[
        ("CAMPO_SURVEY_REMINDER_DAYS", "tres"),
        ("CAMPO_NOTICE_SCAN_SECS", "0"),
    ])
    .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "CAMPO_SURVEY_REMINDER_DAYS: «tres» no es válido; se espera un número entero de días"
        ),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("CAMPO_NOTICE_SCAN_SECS: «0» no es válido"),
        "{errors:?}"
    );
}
