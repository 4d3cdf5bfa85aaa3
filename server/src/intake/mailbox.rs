//! The IMAP side of the collector (`async-imap` on tokio): connect (`imaps://` with TLS from the
//! start, `imap://` with STARTTLS when the greeting offers it), log in, select the folder, list
//! the unseen messages with their sizes, fetch one (whole, or only its header) without setting
//! `\Seen`, flag it once it is stored, and wait in IDLE (RFC 2177) for the folder to change.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::{Context, bail};
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

use super::TIMEOUT;
use crate::config::ImapUrl;

/// A plain or TLS connection.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A logged-in session with the folder selected.
pub struct Mailbox {
    session: Session<Stream>,
    pub uidvalidity: u32,
}

async fn tls(tcp: TcpStream, host: &str) -> anyhow::Result<Stream> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .context("the IMAP host is not a valid TLS name")?;
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .context("TLS with the IMAP server")?;
    Ok(Stream::Tls(Box::new(stream)))
}

/// Connects, logs in and selects the folder.
pub async fn open(imap: &ImapUrl) -> anyhow::Result<Mailbox> {
    timeout(TIMEOUT, open_inner(imap))
        .await
        .context("the IMAP server did not answer in time")?
}

async fn open_inner(imap: &ImapUrl) -> anyhow::Result<Mailbox> {
    let tcp = TcpStream::connect((imap.host.as_str(), imap.port))
        .await
        .with_context(|| format!("connecting to {}:{}", imap.host, imap.port))?;
    let stream = if imap.tls {
        tls(tcp, &imap.host).await?
    } else {
        Stream::Plain(tcp)
    };
    let mut client = Client::new(stream);
    let greeting = client
        .read_response()
        .await?
        .context("the IMAP server closed the connection")?;
    let offers_starttls = format!("{:?}", greeting.parsed()).contains("STARTTLS");
    let client = if !imap.tls && offers_starttls {
        client.run_command_and_check_ok("STARTTLS", None).await?;
        let Stream::Plain(tcp) = client.into_inner() else {
            bail!("STARTTLS on a TLS connection")
        };
        Client::new(tls(tcp, &imap.host).await?)
    } else {
        client
    };
    let mut session = client
        .login(&imap.user, &imap.password)
        .await
        .map_err(|(err, _)| err)
        .context("IMAP login")?;
    let selected = session
        .select(&imap.folder)
        .await
        .with_context(|| format!("selecting the folder {}", imap.folder))?;
    let uidvalidity = selected
        .uid_validity
        .context("the folder has no UIDVALIDITY")?;
    Ok(Mailbox {
        session,
        uidvalidity,
    })
}

impl Mailbox {
    /// The unseen messages, by UID, with their sizes (`RFC822.SIZE`).
    pub async fn unseen(&mut self) -> anyhow::Result<Vec<(u32, u32)>> {
        let mut uids: Vec<u32> = timeout(TIMEOUT, self.session.uid_search("UNSEEN"))
            .await??
            .into_iter()
            .collect();
        uids.sort_unstable();
        let mut sized = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(500) {
            let set = chunk
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let fetches: Vec<_> = timeout(TIMEOUT, async {
                self.session
                    .uid_fetch(&set, "(UID RFC822.SIZE)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await??;
            for fetch in fetches {
                if let Some(uid) = fetch.uid {
                    sized.push((uid, fetch.size.unwrap_or(0)));
                }
            }
        }
        sized.sort_unstable();
        Ok(sized)
    }

    /// A message's bytes (`whole`) or only its header, without setting `\Seen`.
    pub async fn fetch(&mut self, uid: u32, whole: bool) -> anyhow::Result<Vec<u8>> {
        let query = if whole {
            "(UID BODY.PEEK[])"
        } else {
            "(UID BODY.PEEK[HEADER])"
        };
        let fetches: Vec<_> = timeout(TIMEOUT * 5, async {
            self.session
                .uid_fetch(uid.to_string(), query)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await??;
        let fetch = fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .context("the server did not return the message")?;
        let bytes = if whole { fetch.body() } else { fetch.header() };
        Ok(bytes.unwrap_or_default().to_vec())
    }

    /// Flags a stored message `\Seen`.
    pub async fn mark_seen(&mut self, uid: u32) -> anyhow::Result<()> {
        timeout(TIMEOUT, async {
            self.session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await??;
        Ok(())
    }

    /// Whether the server offers IDLE.
    pub async fn offers_idle(&mut self) -> anyhow::Result<bool> {
        let capabilities = timeout(TIMEOUT, self.session.capabilities()).await??;
        Ok(capabilities.has_str("IDLE"))
    }

    /// Waits in IDLE until the server reports a change in the folder (a new message, a flag
    /// changed by someone else) or `wait` has passed, then ends IDLE. The server's keepalives
    /// (`* OK Still here`) do not count as a change.
    pub async fn idle(self, wait: Duration) -> anyhow::Result<Self> {
        let Mailbox {
            session,
            uidvalidity,
        } = self;
        let mut handle = session.idle();
        timeout(TIMEOUT, handle.init())
            .await
            .context("the IMAP server did not start IDLE in time")??;
        {
            let (changed, _stop) = handle.wait_with_timeout(wait);
            // Keepalives restart the library's own timeout: the outer one bounds the wait.
            if let Ok(answer) = timeout(wait, changed).await {
                answer.context("waiting in IDLE")?;
            }
        }
        let session = timeout(TIMEOUT, handle.done())
            .await
            .context("the IMAP server did not end IDLE in time")??;
        Ok(Mailbox {
            session,
            uidvalidity,
        })
    }
}
