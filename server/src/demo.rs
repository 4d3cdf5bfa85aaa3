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
    use super::*;

    pub async fn load(store: &Store) -> anyhow::Result<i64> {
        Ok(store.count_tickets().await?)
    }
}
