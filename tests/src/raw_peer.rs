//! A raw peer of Campo's `/sync`: the automerge-repo protocol frame by frame, for the tests and
//! benchmarks that need precise control (hostile input, acknowledgements, floods).

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a raw peer waits for the next frame.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A raw peer speaking the protocol frame by frame, for the tests that need precise control
/// (hostile input, acknowledgements).
pub struct RawPeer {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub peer_id: String,
    pub server_id: String,
    /// The reason of the server's WebSocket close frame, once it closed with one.
    pub closed_because: Option<String>,
}

/// Fields of a frame the server sent.
#[derive(Debug, Default)]
pub struct Frame {
    pub kind: String,
    pub sender_id: String,
    pub document_id: String,
    pub data: Vec<u8>,
    pub message: String,
}

/// Decodes a frame; `None` when it is not a CBOR map of the expected fields. The bytes of `data`
/// may come behind a CBOR tag, as the Node sync server (cbor-x) writes them.
pub fn decode(frame: &[u8]) -> Option<Frame> {
    let mut d = minicbor::Decoder::new(frame);
    let mut out = Frame::default();
    let len = d.map().ok()??;
    for _ in 0..len {
        let key = d.str().ok()?.to_owned();
        match key.as_str() {
            "type" => out.kind = d.str().ok()?.to_owned(),
            "senderId" => out.sender_id = d.str().ok()?.to_owned(),
            "documentId" => out.document_id = d.str().ok()?.to_owned(),
            "message" => out.message = d.str().ok()?.to_owned(),
            "data" => {
                if d.datatype().ok()? == minicbor::data::Type::Tag {
                    d.tag().ok()?;
                }
                out.data = d.bytes().ok()?.to_vec();
            }
            _ => d.skip().ok()?,
        }
    }
    Some(out)
}

/// Encodes a map of text keys to the values of [`Field`], as cbor-x would.
pub fn encode(fields: &[(&str, Field<'_>)]) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(fields.len() as u64).expect("encode");
    for (key, value) in fields {
        e.str(key).expect("encode");
        match value {
            Field::Text(t) => e.str(t).expect("encode"),
            Field::Bytes(b) => e.bytes(b).expect("encode"),
            Field::Texts(list) => {
                e.array(list.len() as u64).expect("encode");
                for t in *list {
                    e.str(t).expect("encode");
                }
                &mut e
            }
            Field::Flags(flags) => {
                e.map(flags.len() as u64).expect("encode");
                for (name, value) in *flags {
                    e.str(name).expect("encode").bool(*value).expect("encode");
                }
                &mut e
            }
        };
    }
    e.into_writer()
}

/// A value of a frame's field.
pub enum Field<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Texts(&'a [&'a str]),
    /// A map of text keys to booleans, such as `peerMetadata` (`isEphemeral`).
    Flags(&'a [(&'a str, bool)]),
}

impl RawPeer {
    /// Opens the socket and completes the handshake.
    pub async fn join(url: &str, peer_id: &str) -> anyhow::Result<Self> {
        Self::join_request(url, peer_id).await
    }

    /// Opens the socket with `request` (a URL, or a request with headers such as a session
    /// cookie) and completes the handshake.
    pub async fn join_request(
        request: impl IntoClientRequest + Unpin,
        peer_id: &str,
    ) -> anyhow::Result<Self> {
        Self::handshake(request, peer_id, None).await
    }

    /// Like [`RawPeer::join_request`], announcing itself with `peerMetadata: {isEphemeral: true}`,
    /// as a peer that keeps no storage of its own.
    pub async fn join_ephemeral(
        request: impl IntoClientRequest + Unpin,
        peer_id: &str,
    ) -> anyhow::Result<Self> {
        Self::handshake(request, peer_id, Some(&[("isEphemeral", true)])).await
    }

    async fn handshake(
        request: impl IntoClientRequest + Unpin,
        peer_id: &str,
        metadata: Option<&[(&str, bool)]>,
    ) -> anyhow::Result<Self> {
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        let mut peer = Self {
            ws,
            peer_id: peer_id.to_owned(),
            server_id: String::new(),
            closed_because: None,
        };
        let mut join = vec![
            ("type", Field::Text("join")),
            ("senderId", Field::Text(peer_id)),
        ];
        if let Some(metadata) = metadata {
            join.push(("peerMetadata", Field::Flags(metadata)));
        }
        join.push(("supportedProtocolVersions", Field::Texts(&["1"])));
        peer.send_raw(encode(&join)).await?;
        let frame = peer.recv().await.context("no answer to join")?;
        if frame.kind != "peer" {
            bail!("expected peer, got {frame:?}");
        }
        peer.server_id = frame.sender_id;
        Ok(peer)
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.ws.send(WsMessage::Binary(bytes.into())).await?;
        Ok(())
    }

    pub async fn send_sync(&mut self, document_id: &str, data: &[u8]) -> anyhow::Result<()> {
        self.send_doc_message("sync", document_id, data).await
    }

    /// Asks for a document, as a client that does not have it does.
    pub async fn send_request(&mut self, document_id: &str, data: &[u8]) -> anyhow::Result<()> {
        self.send_doc_message("request", document_id, data).await
    }

    async fn send_doc_message(
        &mut self,
        kind: &str,
        document_id: &str,
        data: &[u8],
    ) -> anyhow::Result<()> {
        let frame = encode(&[
            ("type", Field::Text(kind)),
            ("senderId", Field::Text(&self.peer_id)),
            ("targetId", Field::Text(&self.server_id)),
            ("documentId", Field::Text(document_id)),
            ("data", Field::Bytes(data)),
        ]);
        self.send_raw(frame).await
    }

    /// The next protocol frame; `None` when the server closed the socket (or the deadline). Panics
    /// on a frame that does not decode, which no server sends: read as a closed socket, it would
    /// pass for one in the tests.
    pub async fn recv(&mut self) -> Option<Frame> {
        loop {
            let next = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .ok()??;
            match next {
                Ok(WsMessage::Binary(bytes)) => {
                    let frame = decode(&bytes);
                    assert!(frame.is_some(), "an undecodable frame: {bytes:02x?}");
                    return frame;
                }
                Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_)) => continue,
                Ok(WsMessage::Text(_)) => continue,
                Ok(WsMessage::Close(frame)) => {
                    self.closed_because = frame.map(|f| f.reason.to_string());
                    return None;
                }
                Err(_) => return None,
            }
        }
    }

    /// Reads until the server closes; returns the `error` message it sent before closing.
    pub async fn closed_with(&mut self) -> Option<String> {
        let mut error = None;
        while let Some(frame) = self.recv().await {
            if frame.kind == "error" {
                error = Some(frame.message);
            }
        }
        error
    }
}
