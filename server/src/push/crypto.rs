//! The cryptography of Web Push, pure and with `ring` only: the server's VAPID key pair and its
//! token (RFC 8292: an ES256 JWT), and the encryption of a message for one browser (RFC 8291:
//! ECDH P-256, HKDF-SHA256 and AES-128-GCM in the `aes128gcm` content coding of RFC 8188).

use anyhow::{Context, anyhow};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use ring::hkdf::{HKDF_SHA256, KeyType, Salt};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

/// The record size announced in the header; the message is one record (RFC 8291 §4).
pub const RECORD_SIZE: u32 = 4096;
/// Bytes of an uncompressed P-256 point (`0x04 ‖ x ‖ y`).
pub const PUBLIC_KEY_BYTES: usize = 65;
/// Bytes of a subscription's authentication secret.
pub const AUTH_BYTES: usize = 16;
/// The largest message one record holds: the record size less the delimiter and the tag.
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 1 - 16;

/// URL-safe base64 without padding (RFC 4648 §5), the encoding of every Web Push key.
pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Reads URL-safe base64, with or without padding (browsers send it without); `None` when it
/// is not base64url.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The server's VAPID key pair (ECDSA P-256).
pub struct VapidKeys {
    pair: EcdsaKeyPair,
    /// The public key, base64url of the uncompressed point.
    public: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("VapidKeys")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl VapidKeys {
    /// A new key pair, as PKCS#8 (to store).
    pub fn generate_pkcs8() -> anyhow::Result<Vec<u8>> {
        let document =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| anyhow!("could not generate the VAPID key pair"))?;
        Ok(document.as_ref().to_vec())
    }

    /// The key pair stored as PKCS#8.
    pub fn from_pkcs8(pkcs8: &[u8]) -> anyhow::Result<Self> {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|err| anyhow!("the stored VAPID key is unusable: {err}"))?;
        let public = b64url(pair.public_key().as_ref());
        Ok(Self { pair, public })
    }

    /// The public key, base64url of the uncompressed point: the browsers'
    /// `applicationServerKey` and the `k` of the `Authorization` header.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push to `endpoint` (RFC 8292 §3): a JWT signed with
    /// ES256 whose audience is the endpoint's origin, valid until `expires` (Unix seconds; at
    /// most 24 hours ahead), with `subject` (a `mailto:` or `https:` address) as contact.
    pub fn authorization(
        &self,
        audience: &str,
        expires: i64,
        subject: &str,
    ) -> anyhow::Result<String> {
        let header = b64url(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": audience, "exp": expires, "sub": subject});
        let signing_input = format!("{header}.{}", b64url(claims.to_string().as_bytes()));
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| anyhow!("could not sign the VAPID token"))?;
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            b64url(signature.as_ref()),
            self.public
        ))
    }
}

/// Whether `point` is a P-256 public key one can agree a secret with (on the curve, not the
/// point at infinity): tried with a throwaway key, as the encryption would.
pub fn valid_public_key(point: &[u8]) -> bool {
    let Ok(ephemeral) = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new()) else {
        return false;
    };
    point.len() == PUBLIC_KEY_BYTES
        && agreement::agree_ephemeral(
            ephemeral,
            &UnparsedPublicKey::new(&ECDH_P256, point),
            |_| (),
        )
        .is_ok()
}

/// HKDF's output length, as `ring` wants it.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` to `N` bytes.
fn hkdf<const N: usize>(salt: &[u8], secret: &[u8], info: &[&[u8]]) -> [u8; N] {
    let mut out = [0u8; N];
    Salt::new(HKDF_SHA256, salt)
        .extract(secret)
        .expand(info, Len(N))
        .and_then(|okm| okm.fill(&mut out))
        .expect("HKDF-SHA256 gives up to 8160 bytes");
    out
}

/// Encrypts `plaintext` for the browser whose public key is `ua_public` (65 bytes) and whose
/// authentication secret is `auth` (16 bytes), as RFC 8291 §3–4 say: one record of the
/// `aes128gcm` coding with a fresh salt and a fresh ephemeral key, the padding delimiter `0x02`
/// and no padding. The result is the request's body.
pub fn encrypt(ua_public: &[u8], auth: &[u8], plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(
        plaintext.len() <= MAX_PLAINTEXT,
        "a push message holds at most {MAX_PLAINTEXT} bytes"
    );
    anyhow::ensure!(auth.len() == AUTH_BYTES, "the auth secret must be 16 bytes");
    let rng = SystemRandom::new();
    let ephemeral = EphemeralPrivateKey::generate(&ECDH_P256, &rng)
        .map_err(|_| anyhow!("could not generate an ephemeral key"))?;
    let as_public = ephemeral
        .compute_public_key()
        .map_err(|_| anyhow!("could not compute the ephemeral public key"))?;
    let as_public = as_public.as_ref().to_vec();
    // IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" ‖ 0x00 ‖ ua_public ‖ as_public, 32)
    let ikm: [u8; 32] = agreement::agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&ECDH_P256, ua_public),
        |ecdh_secret| {
            hkdf(
                auth,
                ecdh_secret,
                &[b"WebPush: info\0", ua_public, &as_public],
            )
        },
    )
    .map_err(|_| anyhow!("the subscription's public key is not a P-256 point"))?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)
        .map_err(|_| anyhow!("no random salt available"))?;
    let cek: [u8; 16] = hkdf(&salt, &ikm, &[b"Content-Encoding: aes128gcm\0"]);
    let nonce: [u8; 12] = hkdf(&salt, &ikm, &[b"Content-Encoding: nonce\0"]);

    // The only record is the last one: the delimiter 0x02, no padding; its sequence number is
    // 0, so the nonce is used as derived.
    let mut record = Vec::with_capacity(plaintext.len() + 1 + AES_128_GCM.tag_len());
    record.extend_from_slice(plaintext);
    record.push(2);
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_128_GCM, &cek).map_err(|_| anyhow!("bad content key"))?,
    );
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut record,
    )
    .map_err(|_| anyhow!("could not encrypt the push message"))?;

    // Header: salt ‖ rs (u32, big-endian) ‖ idlen ‖ keyid (the ephemeral public key).
    let mut body = Vec::with_capacity(16 + 4 + 1 + as_public.len() + record.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(u8::try_from(as_public.len()).context("key id length")?);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64url(plain.as_bytes()), encoded);
            assert_eq!(b64url_decode(encoded).unwrap(), plain.as_bytes());
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(b64url_decode(&b64url(&bytes)).unwrap(), bytes);
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(b64url_decode("Zm9vYg==").unwrap(), b"foob");
        assert_eq!(b64url_decode("Zm9v+g"), None);
        assert_eq!(b64url_decode("Zm9vY"), None);
    }

    #[test]
    fn the_vapid_key_survives_its_storage_and_signs_a_token() {
        let pkcs8 = VapidKeys::generate_pkcs8().unwrap();
        let keys = VapidKeys::from_pkcs8(&pkcs8).unwrap();
        let again = VapidKeys::from_pkcs8(&pkcs8).unwrap();
        assert_eq!(keys.public_key(), again.public_key());
        let public = b64url_decode(keys.public_key()).unwrap();
        assert_eq!(public.len(), PUBLIC_KEY_BYTES);
        assert_eq!(public[0], 4);
        assert!(valid_public_key(&public));

        let header = keys
            .authorization("https://push.example.net", 1_700_000_000, "mailto:a@b.co")
            .unwrap();
        let (token, k) = header
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, keys.public_key());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&b64url_decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_700_000_000);
        assert_eq!(b64url_decode(parts[2]).unwrap().len(), 64);
        let verified = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            &public,
        )
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &b64url_decode(parts[2]).unwrap(),
        );
        assert!(verified.is_ok());
    }

    #[test]
    fn a_message_is_one_record_with_its_header() {
        let browser = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new()).unwrap();
        let ua_public = browser.compute_public_key().unwrap();
        let body = encrypt(ua_public.as_ref(), &[7; 16], b"{\"numero\":\"C-1\"}").unwrap();
        assert_eq!(&body[16..20], &4096u32.to_be_bytes());
        assert_eq!(body[20], 65);
        assert_eq!(body[21], 4, "the key id is an uncompressed point");
        // Header, then the message, its delimiter and the tag.
        assert_eq!(body.len(), 16 + 4 + 1 + 65 + 16 + 1 + 16);
        assert!(encrypt(&[4; 65], &[7; 16], b"x").is_err(), "not a point");
        assert!(!valid_public_key(&[4; 65]));
        assert!(encrypt(ua_public.as_ref(), &[7; 16], &[0; MAX_PLAINTEXT + 1]).is_err());
    }
}
