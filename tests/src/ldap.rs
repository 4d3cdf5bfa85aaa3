//! A real OpenLDAP (`slapd`, Debian's `slapd` package, which `.ci/test` installs) for the
//! directory-login tests: a throwaway configuration in a temporary directory (`slapd.conf`, an
//! `mdb` database loaded with `slapadd` from an LDIF), a test certificate authority and a server
//! certificate made with `openssl`, listening on a free port of 127.0.0.1 and requiring TLS
//! (StartTLS) for everything, run as the current user and killed when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::TempDir;
use crate::smtp::free_port;

/// The directory's suffix in `tests/ldap/entidad.ldif`.
pub const BASE_DN: &str = "dc=gobernacion,dc=gov,dc=co";
/// The directory's administrator (slapd's `rootdn`), which the tests use to change it.
pub const ROOT_DN: &str = "cn=admin,dc=gobernacion,dc=gov,dc=co";
const ROOT_PASSWORD: &str = "raiz-pruebas-2026";
/// The service account Campo searches with, and its password (in `entidad.ldif`).
pub const SERVICE_DN: &str = "cn=campo,ou=servicios,dc=gobernacion,dc=gov,dc=co";
pub const SERVICE_PASSWORD: &str = "servicio-campo-2026";

/// The LDIF of the test office: people, groups and the service account.
pub fn entidad_ldif() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ldap/entidad.ldif")
}

/// A running slapd.
pub struct Slapd {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
}

impl Slapd {
    /// Starts slapd with the entries of `ldif`; returns once it accepts connections.
    pub async fn start(ldif: &Path) -> Self {
        let dir = TempDir::new();
        let root = dir.path();
        make_certificates(root).await;
        std::fs::create_dir_all(root.join("db")).expect("create the database directory");
        std::fs::write(root.join("slapd.conf"), slapd_conf(root)).expect("write slapd.conf");
        let loaded = Command::new("slapadd")
            .arg("-f")
            .arg(root.join("slapd.conf"))
            .arg("-l")
            .arg(ldif)
            .output()
            .await
            .expect("run slapadd (is Debian's slapd package installed?)");
        assert!(
            loaded.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let mut slapd = Self {
            dir,
            child: None,
            port: free_port(),
        };
        slapd.run().await;
        slapd
    }

    /// Starts the server process on the same port and data.
    async fn run(&mut self) {
        let url = format!("ldap://127.0.0.1:{}/ {}/", self.port, self.ldapi_url());
        // `-d 0`: stay in the foreground (so killing the child stops it) and log nothing.
        let child = Command::new("slapd")
            .arg("-f")
            .arg(self.dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(&url)
            .args(["-d", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start slapd");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("slapd did not listen on port {} within 10 s", self.port);
    }

    /// `ldap://127.0.0.1:<port>`, for `CAMPO_LDAP_URL`.
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldapi://…`: the same server over its Unix socket, where slapd counts the connection as
    /// confidential without TLS. For tests inside one process, which cannot point the TLS
    /// library at the test authority after it started (the `campo` binary gets `SSL_CERT_FILE`).
    pub fn ldapi_url(&self) -> String {
        let path = self.dir.path().join("ldapi").display().to_string();
        format!("ldapi://{}", path.replace('/', "%2F"))
    }

    /// The test certificate authority's certificate (PEM), which signed the server's: what
    /// Campo must trust (`SSL_CERT_FILE`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The environment of a Campo that logs people in with this directory: the service
    /// account, the people's branch, the role groups, `departmentNumber` as the dependencia,
    /// and the test authority as the only trusted one.
    pub fn campo_env(&self) -> Vec<(String, String)> {
        [
            ("CAMPO_LDAP_URL", self.url()),
            ("CAMPO_LDAP_BIND_DN", SERVICE_DN.to_owned()),
            ("CAMPO_LDAP_BIND_PASSWORD", SERVICE_PASSWORD.to_owned()),
            ("CAMPO_LDAP_BASE_DN", format!("ou=personas,{BASE_DN}")),
            (
                "CAMPO_LDAP_GROUP_COORDINADOR",
                format!("cn=coordinadores,ou=grupos,{BASE_DN}"),
            ),
            (
                "CAMPO_LDAP_GROUP_TECNICO",
                format!("cn=tecnicos,ou=grupos,{BASE_DN}"),
            ),
            (
                "CAMPO_LDAP_GROUP_CONTRATISTA",
                format!("cn=contratistas,ou=grupos,{BASE_DN}"),
            ),
            ("CAMPO_LDAP_DEPENDENCIA_ATTR", "departmentNumber".to_owned()),
            ("SSL_CERT_FILE", self.ca_file().display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Runs an OpenLDAP client tool (`ldapdelete`, `ldapmodify`) as the directory's
    /// administrator, over StartTLS, with `input` on its standard input.
    pub async fn admin_tool(&self, tool: &str, args: &[&str], input: &str) {
        use tokio::io::AsyncWriteExt;
        let mut child = Command::new(tool)
            .args([
                "-x",
                "-ZZ",
                "-H",
                &self.url(),
                "-D",
                ROOT_DN,
                "-w",
                ROOT_PASSWORD,
            ])
            .args(args)
            .env("LDAPTLS_CACERT", self.ca_file())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {tool} (Debian's ldap-utils): {e}"));
        let mut stdin = child.stdin.take().expect("stdin piped");
        stdin.write_all(input.as_bytes()).await.expect("write");
        drop(stdin);
        let done = child.wait_with_output().await.expect("wait");
        assert!(
            done.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }

    /// Deletes the entry `dn` from the directory.
    pub async fn delete(&self, dn: &str) {
        self.admin_tool("ldapdelete", &[dn], "").await;
    }

    /// Stops the server (the directory is down); [`Slapd::restart`] brings it back.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same port and data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.run().await;
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel and never
    /// answered, like a directory that hangs. [`Slapd::resume`] undoes it.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .and_then(Child::id)
            .expect("slapd is running");
        let sent = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        // A frozen server must be woken to die from the kill that `kill_on_drop` sends.
        if let Some(pid) = self.child.as_ref().and_then(Child::id) {
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status();
        }
    }
}

/// slapd's configuration: the schemas `inetOrgPerson` needs, an `mdb` database in `root/db`,
/// TLS with the test certificate and required over TCP (`security ssf=1`; the Unix socket counts
/// as confidential), the
/// passwords readable by nobody, the rest by any authenticated account (not anonymously: Campo
/// must use its service account).
fn slapd_conf(root: &Path) -> String {
    let root = root.display();
    format!(
        r#"include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {root}/ca.pem
TLSCertificateFile {root}/server.pem
TLSCertificateKeyFile {root}/server.key
security ssf=1
database mdb
maxsize 104857600
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {root}/db
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"#
    )
}

/// A certificate authority (`ca.pem`) and a server certificate for 127.0.0.1 that it signed
/// (`server.pem`, `server.key`), with `openssl`.
async fn make_certificates(root: &Path) {
    let ext = root.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("write server.ext");
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Autoridad de pruebas de Campo",
        ],
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    ];
    for args in steps {
        let done = Command::new("openssl")
            .args(args)
            .current_dir(root)
            .output()
            .await
            .expect("run openssl");
        assert!(
            done.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}
