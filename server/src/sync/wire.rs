//! The automerge-repo network protocol (version "1") on the wire: one CBOR map per WebSocket
//! binary frame, with a `type` field. Decoding is strict about the fields Campo uses and ignores
//! the rest, so a newer client that adds fields still works; it never panics on any input.
//!
//! The messages, as `@automerge/automerge-repo` 2.5 writes them (`network/messages.ts` and the
//! WebSocket adapter's `messages.ts`):
//!
//! | type | fields |
//! |---|---|
//! | `join` | senderId, peerMetadata {storageId?, isEphemeral?}, supportedProtocolVersions |
//! | `peer` | senderId, peerMetadata, selectedProtocolVersion, targetId |
//! | `error` | senderId, message, targetId |
//! | `leave` | senderId |
//! | `request`, `sync` | senderId, targetId, documentId, data (an Automerge sync message) |
//! | `doc-unavailable` | senderId, targetId, documentId |
//! | `ephemeral` | senderId, targetId, count, sessionId, documentId, data |
//! | `remote-subscription-change`, `remote-heads-changed` | (gossip of other storages' heads) |

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

/// The only protocol version there is.
pub const PROTOCOL_V1: &str = "1";

/// Reads the `data` of a `request` or `sync` message: an Automerge sync message, checked and
/// normalised where Automerge trusts the peer (both found by the `sync_message` fuzz target, see
/// «Fuzzing» in docs/integridad.md):
///
/// - The Bloom filter of each `have` must have the shape Automerge writes (10 bits per entry and 7
///   probes) within [`BLOOM_BITS_PER_ENTRY`] and [`BLOOM_MAX_PROBES`]. Automerge reads any shape
///   and uses it when it answers: 0 bits per entry divided by zero (a panic), and billions of
///   probes allocated and computed billions of hashes for every change of the document.
/// - Heads and hashes are sets, but Automerge keeps them in the order the peer wrote them: the
///   heads a peer sends become the hashes the server's reply says both share, and Automerge's
///   encoder asserts those are sorted (with debug assertions, a peer that sent a document's heads
///   out of order made the reply panic). They are sorted here, as Automerge writes them.
pub fn decode_sync_data(data: &[u8]) -> Result<automerge::sync::Message, SyncDataError> {
    let mut message = automerge::sync::Message::decode(data)?;
    for have in &message.have {
        check_bloom(&have.bloom.to_bytes())?;
    }
    let hash_lists = [&mut message.heads, &mut message.need]
        .into_iter()
        .chain(message.have.iter_mut().map(|have| &mut have.last_sync));
    for hashes in hash_lists {
        hashes.sort_unstable();
        hashes.dedup();
    }
    Ok(message)
}

/// Bits per entry accepted in a sync message's Bloom filter (Automerge writes 10).
pub const BLOOM_BITS_PER_ENTRY: std::ops::RangeInclusive<u64> = 1..=32;
/// Most probes accepted in a sync message's Bloom filter (Automerge writes 7).
pub const BLOOM_MAX_PROBES: u64 = 32;

/// Why the `data` of a sync message is refused. Logged; the peer's connection is closed.
#[derive(Debug, thiserror::Error)]
pub enum SyncDataError {
    #[error("mensaje de sincronización mal formado: {0}")]
    Decode(#[from] automerge::sync::ReadMessageError),
    #[error("filtro de Bloom con {bits_per_entry} bits por entrada y {probes} sondas")]
    Bloom { bits_per_entry: u64, probes: u64 },
}

/// Checks a Bloom filter as Automerge encodes it: empty, or its number of entries, bits per entry
/// and probes (LEB128) followed by the bits.
fn check_bloom(bytes: &[u8]) -> Result<(), SyncDataError> {
    fn leb128(bytes: &mut &[u8]) -> u64 {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some((&byte, rest)) = bytes.split_first() else {
                break;
            };
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    }
    if bytes.is_empty() {
        return Ok(());
    }
    let mut rest = bytes;
    let _entries = leb128(&mut rest);
    let bits_per_entry = leb128(&mut rest);
    let probes = leb128(&mut rest);
    if BLOOM_BITS_PER_ENTRY.contains(&bits_per_entry) && probes <= BLOOM_MAX_PROBES {
        Ok(())
    } else {
        Err(SyncDataError::Bloom {
            bits_per_entry,
            probes,
        })
    }
}

/// What a peer says about its storage in `join` and `peer`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

/// One protocol message. `document_id` is the bs58check text form (without `automerge:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Join {
        sender_id: String,
        metadata: PeerMetadata,
        /// `None` when the peer did not send the field (old clients), which means version 1.
        supported_versions: Option<Vec<String>>,
    },
    Peer {
        sender_id: String,
        target_id: String,
        metadata: PeerMetadata,
        selected_version: String,
    },
    /// An error, in Spanish. Campo names the document when the error is a refused change of it
    /// (`documentId`, which the official client ignores and the PWA reads).
    Error {
        sender_id: String,
        target_id: String,
        message: String,
        document_id: Option<String>,
    },
    Leave {
        sender_id: String,
    },
    Request {
        sender_id: String,
        target_id: String,
        document_id: String,
        data: Vec<u8>,
    },
    Sync {
        sender_id: String,
        target_id: String,
        document_id: String,
        data: Vec<u8>,
    },
    DocUnavailable {
        sender_id: String,
        target_id: String,
        document_id: String,
    },
    Ephemeral {
        sender_id: String,
        target_id: String,
        count: u64,
        session_id: String,
        document_id: String,
        data: Vec<u8>,
    },
    /// Remote-heads gossip and any type this server does not know: read, then ignored.
    Other {
        kind: String,
        sender_id: String,
    },
}

/// Why a frame is not a protocol message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("CBOR mal formado: {0}")]
    Cbor(String),
    #[error("el mensaje no es un mapa CBOR")]
    NotAMap,
    #[error("falta el campo «{0}»")]
    Missing(&'static str),
    #[error("sobran datos después del mensaje")]
    TrailingBytes,
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(err: minicbor::decode::Error) -> Self {
        DecodeError::Cbor(err.to_string())
    }
}

/// The fields of any message, as read; [`Message::decode`] checks which ones its type needs.
#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<String>,
    data: Option<Vec<u8>>,
    message: Option<String>,
    count: Option<u64>,
    session_id: Option<String>,
    metadata: Option<PeerMetadata>,
    supported_versions: Option<Vec<String>>,
    selected_version: Option<String>,
}

/// Reads a byte string; cbor-x may tag typed arrays (tag 64, `Uint8Array`), which is accepted.
fn read_bytes(d: &mut Decoder<'_>) -> Result<Vec<u8>, DecodeError> {
    if d.datatype()? == Type::Tag {
        d.tag()?;
    }
    match d.datatype()? {
        Type::Bytes => Ok(d.bytes()?.to_vec()),
        Type::BytesIndef => {
            let mut out = Vec::new();
            for chunk in d.bytes_iter()? {
                out.extend_from_slice(chunk?);
            }
            Ok(out)
        }
        other => Err(DecodeError::Cbor(format!(
            "se esperaban bytes, llegó {other}"
        ))),
    }
}

fn read_string(d: &mut Decoder<'_>) -> Result<String, DecodeError> {
    match d.datatype()? {
        Type::String => Ok(d.str()?.to_owned()),
        Type::StringIndef => {
            let mut out = String::new();
            for chunk in d.str_iter()? {
                out.push_str(chunk?);
            }
            Ok(out)
        }
        other => Err(DecodeError::Cbor(format!(
            "se esperaba texto, llegó {other}"
        ))),
    }
}

fn read_u64(d: &mut Decoder<'_>) -> Result<u64, DecodeError> {
    match d.datatype()? {
        Type::F16 | Type::F32 | Type::F64 => {
            let value = d.f64()?;
            if value.is_finite() && value >= 0.0 && value <= u64::MAX as f64 {
                Ok(value as u64)
            } else {
                Err(DecodeError::Cbor("número fuera de rango".into()))
            }
        }
        _ => Ok(d.u64()?),
    }
}

/// Iterates the entries of a map, definite or indefinite, calling `entry` with the decoder
/// positioned at each key.
fn for_each_entry<'b>(
    d: &mut Decoder<'b>,
    mut entry: impl FnMut(&mut Decoder<'b>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match d.map()? {
        Some(len) => {
            for _ in 0..len {
                entry(d)?;
            }
        }
        None => loop {
            if d.datatype()? == Type::Break {
                d.skip()?;
                break;
            }
            entry(d)?;
        },
    }
    Ok(())
}

fn read_metadata(d: &mut Decoder<'_>) -> Result<PeerMetadata, DecodeError> {
    let mut metadata = PeerMetadata::default();
    if !matches!(d.datatype()?, Type::Map | Type::MapIndef) {
        d.skip()?;
        return Ok(metadata);
    }
    for_each_entry(d, |d| {
        if !matches!(d.datatype()?, Type::String) {
            d.skip()?;
            d.skip()?;
            return Ok(());
        }
        match d.str()? {
            "storageId" if d.datatype()? == Type::String => {
                metadata.storage_id = Some(read_string(d)?)
            }
            "isEphemeral" if d.datatype()? == Type::Bool => metadata.is_ephemeral = d.bool()?,
            _ => d.skip()?,
        }
        Ok(())
    })?;
    Ok(metadata)
}

fn read_string_array(d: &mut Decoder<'_>) -> Result<Vec<String>, DecodeError> {
    let mut out = Vec::new();
    match d.array()? {
        Some(len) => {
            for _ in 0..len.min(64) {
                out.push(read_string(d)?);
            }
            for _ in 64..len {
                d.skip()?;
            }
        }
        None => loop {
            if d.datatype()? == Type::Break {
                d.skip()?;
                break;
            }
            let version = read_string(d)?;
            if out.len() < 64 {
                out.push(version);
            }
        },
    }
    Ok(out)
}

impl Message {
    /// Decodes one frame. Any input gives a message or an error, never a panic.
    pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
        let mut d = Decoder::new(frame);
        if !matches!(d.datatype()?, Type::Map | Type::MapIndef) {
            return Err(DecodeError::NotAMap);
        }
        let mut f = Fields::default();
        for_each_entry(&mut d, |d| {
            if !matches!(d.datatype()?, Type::String | Type::StringIndef) {
                d.skip()?;
                d.skip()?;
                return Ok(());
            }
            let key = read_string(d)?;
            match key.as_str() {
                "type" => f.kind = Some(read_string(d)?),
                "senderId" => f.sender_id = Some(read_string(d)?),
                "targetId" => f.target_id = Some(read_string(d)?),
                "documentId" => f.document_id = Some(read_string(d)?),
                "data" => f.data = Some(read_bytes(d)?),
                "message" => f.message = Some(read_string(d)?),
                "count" => f.count = Some(read_u64(d)?),
                "sessionId" => f.session_id = Some(read_string(d)?),
                "peerMetadata" => f.metadata = Some(read_metadata(d)?),
                "supportedProtocolVersions" => f.supported_versions = Some(read_string_array(d)?),
                "selectedProtocolVersion" => f.selected_version = Some(read_string(d)?),
                _ => d.skip()?,
            }
            Ok(())
        })?;
        if d.position() != frame.len() {
            return Err(DecodeError::TrailingBytes);
        }
        let kind = f.kind.ok_or(DecodeError::Missing("type"))?;
        let sender_id = f.sender_id.ok_or(DecodeError::Missing("senderId"))?;
        let target = |t: Option<String>| t.ok_or(DecodeError::Missing("targetId"));
        let document = |t: Option<String>| t.ok_or(DecodeError::Missing("documentId"));
        let data = |t: Option<Vec<u8>>| t.ok_or(DecodeError::Missing("data"));
        Ok(match kind.as_str() {
            "join" => Message::Join {
                sender_id,
                metadata: f.metadata.unwrap_or_default(),
                supported_versions: f.supported_versions,
            },
            "peer" => Message::Peer {
                sender_id,
                target_id: target(f.target_id)?,
                metadata: f.metadata.unwrap_or_default(),
                selected_version: f
                    .selected_version
                    .ok_or(DecodeError::Missing("selectedProtocolVersion"))?,
            },
            "error" => Message::Error {
                sender_id,
                target_id: f.target_id.unwrap_or_default(),
                message: f.message.unwrap_or_default(),
                document_id: f.document_id,
            },
            "leave" => Message::Leave { sender_id },
            "request" => Message::Request {
                sender_id,
                target_id: target(f.target_id)?,
                document_id: document(f.document_id)?,
                data: data(f.data)?,
            },
            "sync" => Message::Sync {
                sender_id,
                target_id: target(f.target_id)?,
                document_id: document(f.document_id)?,
                data: data(f.data)?,
            },
            "doc-unavailable" => Message::DocUnavailable {
                sender_id,
                target_id: target(f.target_id)?,
                document_id: document(f.document_id)?,
            },
            "ephemeral" => Message::Ephemeral {
                sender_id,
                target_id: target(f.target_id)?,
                count: f.count.ok_or(DecodeError::Missing("count"))?,
                session_id: f.session_id.ok_or(DecodeError::Missing("sessionId"))?,
                document_id: document(f.document_id)?,
                data: data(f.data)?,
            },
            _ => Message::Other { kind, sender_id },
        })
    }

    /// Encodes the message as cbor-x does (a definite-length map, byte strings untagged).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = self.encode_into(&mut e);
        e.into_writer()
    }

    fn encode_into(
        &self,
        e: &mut Encoder<Vec<u8>>,
    ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
        fn metadata(
            e: &mut Encoder<Vec<u8>>,
            m: &PeerMetadata,
        ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
            e.map(if m.storage_id.is_some() { 2 } else { 1 })?;
            if let Some(id) = &m.storage_id {
                e.str("storageId")?.str(id)?;
            }
            e.str("isEphemeral")?.bool(m.is_ephemeral)?;
            Ok(())
        }
        match self {
            Message::Join {
                sender_id,
                metadata: m,
                supported_versions,
            } => {
                e.map(4)?.str("type")?.str("join")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("peerMetadata")?;
                metadata(e, m)?;
                let versions = supported_versions.clone().unwrap_or_default();
                e.str("supportedProtocolVersions")?
                    .array(versions.len() as u64)?;
                for v in &versions {
                    e.str(v)?;
                }
            }
            Message::Peer {
                sender_id,
                target_id,
                metadata: m,
                selected_version,
            } => {
                e.map(5)?.str("type")?.str("peer")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("peerMetadata")?;
                metadata(e, m)?;
                e.str("selectedProtocolVersion")?.str(selected_version)?;
                e.str("targetId")?.str(target_id)?;
            }
            Message::Error {
                sender_id,
                target_id,
                message,
                document_id,
            } => {
                e.map(if document_id.is_some() { 5 } else { 4 })?
                    .str("type")?
                    .str("error")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("message")?.str(message)?;
                e.str("targetId")?.str(target_id)?;
                if let Some(id) = document_id {
                    e.str("documentId")?.str(id)?;
                }
            }
            Message::Leave { sender_id } => {
                e.map(2)?.str("type")?.str("leave")?;
                e.str("senderId")?.str(sender_id)?;
            }
            Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
            | Message::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            } => {
                let kind = if matches!(self, Message::Request { .. }) {
                    "request"
                } else {
                    "sync"
                };
                e.map(5)?.str("type")?.str(kind)?;
                e.str("senderId")?.str(sender_id)?;
                e.str("targetId")?.str(target_id)?;
                e.str("documentId")?.str(document_id)?;
                e.str("data")?.bytes(data)?;
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                e.map(4)?.str("type")?.str("doc-unavailable")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("targetId")?.str(target_id)?;
                e.str("documentId")?.str(document_id)?;
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                e.map(7)?.str("type")?.str("ephemeral")?;
                e.str("senderId")?.str(sender_id)?;
                e.str("targetId")?.str(target_id)?;
                e.str("count")?.u64(*count)?;
                e.str("sessionId")?.str(session_id)?;
                e.str("documentId")?.str(document_id)?;
                e.str("data")?.bytes(data)?;
            }
            Message::Other { kind, sender_id } => {
                e.map(2)?.str("type")?.str(kind)?;
                e.str("senderId")?.str(sender_id)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let messages = [
            Message::Join {
                sender_id: "a".into(),
                metadata: PeerMetadata {
                    storage_id: Some("s".into()),
                    is_ephemeral: false,
                },
                supported_versions: Some(vec!["1".into()]),
            },
            Message::Sync {
                sender_id: "a".into(),
                target_id: "b".into(),
                document_id: "d".into(),
                data: vec![1, 2, 3],
            },
            Message::Ephemeral {
                sender_id: "a".into(),
                target_id: "b".into(),
                count: 7,
                session_id: "x".into(),
                document_id: "d".into(),
                data: vec![9],
            },
        ];
        for message in messages {
            assert_eq!(Message::decode(&message.encode()), Ok(message));
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(Message::decode(&[]).is_err());
        assert_eq!(Message::decode(&[0x01]), Err(DecodeError::NotAMap));
        let mut frame = Message::Leave {
            sender_id: "a".into(),
        }
        .encode();
        frame.push(0);
        assert_eq!(Message::decode(&frame), Err(DecodeError::TrailingBytes));
        // Deeply nested indefinite arrays do not overflow the stack.
        let mut deep = vec![0xa1, 0x61, b'x'];
        deep.extend(std::iter::repeat_n(0x9f, 100_000));
        assert!(Message::decode(&deep).is_err());
    }

    /// Found by the `sync_message` fuzz target (see «Fuzzing» in docs/integridad.md): a peer
    /// that sends the heads of a document with two of them in descending order.
    #[test]
    fn a_peers_heads_out_of_order_are_answered() {
        use automerge::sync::{State, SyncDoc};
        use automerge::transaction::Transactable;
        use automerge::{ActorId, AutoCommit, ROOT};

        // Two devices edited the document concurrently: it has two heads.
        let mut phone = AutoCommit::new().with_actor(ActorId::from(b"phone".to_vec()));
        phone.put(ROOT, "a", 1).unwrap();
        phone.commit();
        let mut tablet = phone.fork().with_actor(ActorId::from(b"tablet".to_vec()));
        tablet.put(ROOT, "b", 2).unwrap();
        phone.put(ROOT, "c", 3).unwrap();
        phone.merge(&mut tablet).unwrap();
        let doc = phone.document().clone();
        let mut heads = doc.get_heads();
        assert_eq!(heads.len(), 2);
        heads.sort();
        heads.reverse();
        // A sync message (version byte, heads, no need, no have, no changes), written by hand:
        // Automerge's own encoder would refuse the order.
        let mut data = vec![0x42, 2];
        for head in &heads {
            data.extend_from_slice(head.as_ref());
        }
        data.extend([0, 0, 0]);

        let message = decode_sync_data(&data).unwrap();
        assert!(message.heads.is_sorted());
        let mut server = doc.clone();
        let mut state = State::new();
        server.receive_sync_message(&mut state, message).unwrap();
        // What the server does next: answer, and keep the shared heads when it unloads.
        let reply = server.generate_sync_message(&mut state).unwrap().encode();
        assert!(automerge::sync::Message::decode(&reply).is_ok());
        assert!(State::decode(&state.encode()).is_ok());
    }

    /// A sync message with one `have` whose Bloom filter is `bloom` (entries, bits per entry,
    /// probes, then the bits), written by hand: Automerge writes only well-formed ones.
    fn with_bloom(bloom: &[u8]) -> Vec<u8> {
        let mut data = vec![0x42, 0, 0, 1, 0, bloom.len() as u8];
        data.extend_from_slice(bloom);
        data.push(0);
        data
    }

    /// Found by the `sync_message` fuzz target: a Bloom filter with 0 bits per entry made the
    /// server's answer divide by zero; one with billions of probes would allocate and compute
    /// billions of hashes for every change of the document.
    #[test]
    fn a_bloom_filter_automerge_does_not_write_is_refused() {
        use automerge::sync::{State, SyncDoc};
        use automerge::transaction::Transactable;
        use automerge::{AutoCommit, ROOT};

        let zero_bits = with_bloom(&[1, 0, 7]);
        let many_probes = with_bloom(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0]);
        for data in [zero_bits, many_probes] {
            assert!(automerge::sync::Message::decode(&data).is_ok());
            assert!(matches!(
                decode_sync_data(&data),
                Err(SyncDataError::Bloom { .. })
            ));
        }

        // What Automerge writes passes: a phone's first message, with a filter of its changes.
        let mut phone = AutoCommit::new();
        phone.put(ROOT, "a", 1).unwrap();
        phone.commit();
        phone.put(ROOT, "b", 2).unwrap();
        let first = phone
            .document()
            .generate_sync_message(&mut State::new())
            .unwrap()
            .encode();
        let message = decode_sync_data(&first).unwrap();
        assert!(!message.have[0].bloom.to_bytes().is_empty());
        let mut server = phone.document().clone();
        let mut state = State::new();
        server.receive_sync_message(&mut state, message).unwrap();
        assert!(server.generate_sync_message(&mut state).is_some());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = Message::decode(&bytes);
        }

        #[test]
        fn truncations_are_errors(cut in 0usize..40) {
            let frame = Message::Sync {
                sender_id: "peer".into(),
                target_id: "server".into(),
                document_id: "doc".into(),
                data: vec![7; 8],
            }
            .encode();
            let cut = cut.min(frame.len() - 1);
            prop_assert!(Message::decode(&frame[..cut]).is_err());
        }
    }
}
