//! Sealed session ids: the state of a handshake-era HTTP session carried in its `Mcp-Session-Id`, authenticated
//! with HMAC-SHA256 under a key every replica shares, so that any replica can serve any request of the session.
//!
//! An id is `s1.<payload>.<tag>`: `payload` is the base64url (no padding) of a small JSON object (protocol version,
//! log level, client capabilities, client name and version, issue time in Unix seconds, 128 random bits that make
//! the id unique), `tag` the base64url HMAC-SHA256 of a fixed context string plus the payload text.
//!
//! Invariant: an id opens only when its tag verifies under the current or the previous key, its text is canonical
//! (strict base64url, so no two texts carry the same bytes and a change of any one byte is a different id), its
//! payload is well-formed, and it was issued less than the maximum age ago (and not in the future beyond a small
//! clock skew). The state holds no credential: a session is protocol state, never authority (every request brings
//! its own `Authorization`). Keys never appear in `Debug` output or logs.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{json, Value};

use crate::protocol::{LogLevel, Version};
use crate::session::Snapshot;

/// The fewest key bytes accepted: a key shorter than the HMAC-SHA256 output would weaken the tag.
pub const MIN_KEY_BYTES: usize = 32;
/// The start of every sealed id; a new format gets a new prefix, so old replicas refuse new ids cleanly.
const PREFIX: &str = "s1.";
/// What the tag covers before the payload, so a tag made for anything else under the same key never fits.
const CONTEXT: &[u8] = b"pingera-mcp sealed session v1\0";
/// Client capabilities larger than this are sealed as their top-level names only (each `{}`): the server reads
/// nothing but whether a capability is declared, and an id must fit a proxy's header buffer (nginx: 8 KiB).
const MAX_CAPABILITIES_BYTES: usize = 2048;
/// The longest client description (`name version`) sealed; longer ones are cut.
const MAX_CLIENT_CHARS: usize = 128;
/// How far in the future an issue time may lie (replicas' clocks differ a little).
const CLOCK_SKEW_SECS: u64 = 300;

/// A session key: at least [`MIN_KEY_BYTES`] bytes, given as hex or base64. Its `Debug` shows no byte of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(Vec<u8>);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey(**** {} bytes)", self.0.len())
    }
}

impl SessionKey {
    /// Parses a key written as hex (64 or more hex digits) or base64 (standard or URL-safe, padding optional).
    ///
    /// # Errors
    /// What is wrong with it, without repeating the key.
    pub fn parse(text: &str) -> Result<SessionKey, String> {
        let t = text.trim();
        let bytes = if t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..t.len()).step_by(2).map(|i| u8::from_str_radix(&t[i..i + 2], 16).expect("hex digits")).collect()
        } else {
            let normalised: String = t
                .trim_end_matches('=')
                .chars()
                .map(|c| {
                    if c == '+' {
                        '-'
                    } else if c == '/' {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            b64_decode(&normalised).ok_or_else(|| "neither hex nor base64".to_owned())?
        };
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!("{} bytes; at least {MIN_KEY_BYTES} random bytes are needed", bytes.len()));
        }
        Ok(SessionKey(bytes))
    }
}

/// `N` bytes from the operating system's random source: the one source of every key, nonce and session id. Without
/// it an id could be guessed, so its failure is fatal rather than answered with something weaker.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new().fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// `N` random bytes as lowercase hex (session ids).
pub fn random_hex<const N: usize>() -> String {
    random_bytes::<N>().iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh random key of 32 bytes as base64url, for `pingera-mcp keygen`.
pub fn keygen() -> String {
    b64_encode(&random_bytes::<MIN_KEY_BYTES>())
}

/// Seals and opens session ids with the current key; opens those sealed with the previous key too (rotation).
pub struct Sealer {
    current: hmac::Key,
    previous: Option<hmac::Key>,
    max_age: Duration,
}

/// What an opened id says.
#[derive(Debug, PartialEq)]
pub struct Opened {
    /// The session's state.
    pub snapshot: Snapshot,
    /// When the id stops being accepted, in Unix seconds.
    pub expires_at: u64,
}

impl Sealer {
    /// A sealer that seals with `current`, also opens ids sealed with `previous`, and accepts ids for `max_age`.
    pub fn new(current: &SessionKey, previous: Option<&SessionKey>, max_age: Duration) -> Sealer {
        let key = |k: &SessionKey| hmac::Key::new(hmac::HMAC_SHA256, &k.0);
        Sealer { current: key(current), previous: previous.map(key), max_age }
    }

    /// The sealed id of a session in state `snapshot`, issued at `now`.
    pub fn seal(&self, snapshot: &Snapshot, now: SystemTime) -> String {
        let nonce = random_bytes::<16>();
        let capabilities = match serde_json::to_string(&snapshot.client_capabilities) {
            Ok(s) if s.len() <= MAX_CAPABILITIES_BYTES => snapshot.client_capabilities.clone(),
            _ => names_only(&snapshot.client_capabilities),
        };
        let payload = json!({
            "v": snapshot.version.as_str(),
            "l": snapshot.log_level.map(LogLevel::as_str),
            "c": capabilities,
            "i": snapshot.client.as_deref().map(|c| c.chars().take(MAX_CLIENT_CHARS).collect::<String>()),
            "t": unix_secs(now),
            "n": b64_encode(&nonce),
        });
        let payload = b64_encode(payload.to_string().as_bytes());
        let tag = hmac::sign(&self.current, &signed_text(&payload));
        format!("{PREFIX}{payload}.{}", b64_encode(tag.as_ref()))
    }

    /// The state of a sealed id, if it is authentic (current or previous key), canonical and not expired at `now`.
    pub fn open(&self, id: &str, now: SystemTime) -> Option<Opened> {
        let (payload, tag) = id.strip_prefix(PREFIX)?.split_once('.')?;
        let tag = b64_decode(tag)?;
        let text = signed_text(payload);
        let authentic = hmac::verify(&self.current, &text, &tag).is_ok()
            || self.previous.as_ref().is_some_and(|k| hmac::verify(k, &text, &tag).is_ok());
        if !authentic {
            return None;
        }
        let p: Value = serde_json::from_slice(&b64_decode(payload)?).ok()?;
        let issued = p.get("t")?.as_u64()?;
        let expires_at = issued.saturating_add(self.max_age.as_secs());
        let now = unix_secs(now);
        if now >= expires_at || issued > now + CLOCK_SKEW_SECS {
            return None;
        }
        let log_level = match p.get("l")? {
            Value::Null => None,
            l => Some(LogLevel::parse(l.as_str()?)?),
        };
        let snapshot = Snapshot {
            version: Version::parse(p.get("v")?.as_str()?)?,
            log_level,
            client_capabilities: p.get("c").filter(|c| c.is_object())?.clone(),
            client: p.get("i").and_then(Value::as_str).map(str::to_owned),
        };
        Some(Opened { snapshot, expires_at })
    }
}

/// The capability names of `caps`, each with an empty object: what survives when the whole does not fit.
fn names_only(caps: &Value) -> Value {
    let names = caps.as_object().map(|o| o.keys().take(32).map(|k| (k.clone(), json!({}))).collect());
    Value::Object(names.unwrap_or_default())
}

fn signed_text(payload: &str) -> Vec<u8> {
    [CONTEXT, payload.as_bytes()].concat()
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding.
fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Strict base64url without padding: only the 64 URL-safe digits, and the bits a short last group does not use
/// must be zero, so that each byte string has exactly one text.
fn b64_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let digit = |c: u8| B64.iter().position(|d| *d == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= digit(*c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        if n & (0xff_ffff >> (8 * keep)) != 0 {
            return None;
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SessionKey {
        SessionKey(vec![byte; 32])
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            version: Version::parse("2025-06-18").unwrap(),
            log_level: Some(LogLevel::Warning),
            client_capabilities: json!({"elicitation": {}, "roots": {"listChanged": true}}),
            client: Some("test-client 1.0".into()),
        }
    }

    const DAY: Duration = Duration::from_secs(86400);

    #[test]
    fn an_id_opens_to_the_state_it_was_sealed_with() {
        let s = Sealer::new(&key(1), None, DAY);
        let now = SystemTime::now();
        let id = s.seal(&snapshot(), now);
        assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)), "visible ASCII: {id}");
        let opened = s.open(&id, now).expect("opens");
        assert_eq!(opened.snapshot, snapshot());
        assert_eq!(opened.expires_at, unix_secs(now) + DAY.as_secs());
        assert_ne!(id, s.seal(&snapshot(), now), "every id is unique");
    }

    #[test]
    fn a_foreign_key_or_any_changed_byte_is_refused() {
        let s = Sealer::new(&key(1), None, DAY);
        let now = SystemTime::now();
        let id = s.seal(&snapshot(), now);
        assert!(Sealer::new(&key(2), None, DAY).open(&id, now).is_none());
        for i in 0..id.len() {
            for replacement in [b'A', b'B', b'_', b'.', b'0'] {
                let mut bytes = id.clone().into_bytes();
                if bytes[i] == replacement {
                    continue;
                }
                bytes[i] = replacement;
                let tampered = String::from_utf8(bytes).unwrap();
                assert!(s.open(&tampered, now).is_none(), "byte {i} changed to {} opened", replacement as char);
            }
        }
        assert!(s.open(&id[..id.len() - 1], now).is_none());
        assert!(s.open(&format!("{id}A"), now).is_none());
    }

    #[test]
    fn the_previous_key_opens_old_ids_and_new_ids_use_the_current_key() {
        let old = Sealer::new(&key(1), None, DAY);
        let rotated = Sealer::new(&key(2), Some(&key(1)), DAY);
        let now = SystemTime::now();
        let old_id = old.seal(&snapshot(), now);
        assert!(rotated.open(&old_id, now).is_some());
        let new_id = rotated.seal(&snapshot(), now);
        assert!(old.open(&new_id, now).is_none(), "new ids are sealed with the current key");
        assert!(Sealer::new(&key(2), None, DAY).open(&new_id, now).is_some());
    }

    #[test]
    fn ids_expire_after_the_maximum_age_and_may_not_come_from_the_future() {
        let s = Sealer::new(&key(1), None, DAY);
        let now = SystemTime::now();
        let id = s.seal(&snapshot(), now);
        assert!(s.open(&id, now + DAY - Duration::from_secs(1)).is_some());
        assert!(s.open(&id, now + DAY).is_none());
        assert!(s.open(&id, now - Duration::from_secs(CLOCK_SKEW_SECS + 5)).is_none());
    }

    #[test]
    fn large_capabilities_keep_their_names() {
        let s = Sealer::new(&key(1), None, DAY);
        let mut snap = snapshot();
        snap.client_capabilities = json!({"sampling": {"x": "y".repeat(5000)}, "roots": {}});
        let id = s.seal(&snap, SystemTime::now());
        assert!(id.len() < 1024, "{}", id.len());
        let opened = s.open(&id, SystemTime::now()).unwrap();
        assert_eq!(opened.snapshot.client_capabilities, json!({"sampling": {}, "roots": {}}));
    }

    #[test]
    fn keys_parse_from_hex_and_base64_and_must_be_long_enough() {
        let generated = keygen();
        assert_eq!(SessionKey::parse(&generated).unwrap().0.len(), 32);
        assert_ne!(generated, keygen());
        assert_eq!(SessionKey::parse(&"ab".repeat(32)).unwrap(), SessionKey(vec![0xab; 32]));
        // `openssl rand -base64 32`: standard alphabet with padding.
        let std_b64 = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
        assert_eq!(SessionKey::parse(std_b64).unwrap().0.len(), 32);
        let e = SessionKey::parse("short-secret").unwrap_err();
        assert!(e.contains("at least 32"), "{e}");
        assert!(!format!("{:?}", SessionKey::parse(&generated).unwrap()).contains(&generated[..8]));
        assert!(SessionKey::parse("not base64 at all!").is_err());
    }

    #[test]
    fn base64url_is_strict_and_round_trips() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(b64_decode(&b64_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(b64_encode(b"f"), "Zg");
        assert!(b64_decode("Zh").is_none(), "unused bits must be zero");
        assert!(b64_decode("Z").is_none());
        assert!(b64_decode("Zg==").is_none());
    }
}
