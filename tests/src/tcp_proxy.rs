//! A TCP proxy the test controls, put between one replica and PostgreSQL to cut the network
//! between them: [`TcpProxy::cut`] drops every connection it carries and refuses new ones (the
//! port stops listening), [`TcpProxy::heal`] listens again on the same port. Nothing else is
//! changed in the bytes it forwards.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A proxy from `127.0.0.1:{port}` to `target`; stops when dropped.
pub struct TcpProxy {
    pub port: u16,
    target: SocketAddr,
    /// Bumped at each cut: every connection made before it ends.
    generation: Arc<watch::Sender<u64>>,
    listening: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<u64>>,
}

impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and forwards every connection to `target`.
    pub fn start(target: SocketAddr) -> anyhow::Result<Self> {
        let generation = Arc::new(watch::channel(0).0);
        let proxy = Self {
            port: crate::free_port(),
            target,
            generation,
            listening: Mutex::new(None),
            connections: Arc::new(Mutex::new(0)),
        };
        proxy.heal()?;
        Ok(proxy)
    }

    /// How many connections it has carried since it started.
    pub fn connections(&self) -> u64 {
        *self.connections.lock().unwrap()
    }

    /// The partition: every open connection is dropped and the port refuses new ones.
    pub fn cut(&self) {
        if let Some(listener) = self.listening.lock().unwrap().take() {
            listener.abort();
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// The network is back: the port listens and forwards again.
    pub fn heal(&self) -> anyhow::Result<()> {
        let mut listening = self.listening.lock().unwrap();
        if listening.is_some() {
            return Ok(());
        }
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], self.port)))?;
        let listener = socket.listen(128)?;
        let (target, generation, connections) = (
            self.target,
            self.generation.clone(),
            self.connections.clone(),
        );
        *listening = Some(tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                *connections.lock().unwrap() += 1;
                let mut cut = generation.subscribe();
                cut.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = forward(inbound, outbound) => {}
                        _ = cut.changed() => {}
                    }
                    // Both sockets are dropped here: the replica and PostgreSQL each see their
                    // end of the connection close.
                });
            }
        }));
        Ok(())
    }
}

async fn forward(mut inbound: TcpStream, mut outbound: TcpStream) -> std::io::Result<()> {
    tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
        .await
        .map(|_| ())
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
