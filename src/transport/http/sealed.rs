//! Sealed sessions over Streamable HTTP ([`crate::seal`]): with `PINGERA_HTTP_SESSION_KEY` set, a handshake-era
//! session id carries the session's state, so a replica that has never seen the session adopts it from its id and
//! any replica behind a load balancer serves any request of it.
//!
//! Invariant: a Streamable HTTP session is one live in this process's registry, or one opened from an authentic,
//! unexpired id that this process has not seen deleted; anything else is 404. What cannot travel lives in the
//! registry keyed by the id, on the replica that has it: the GET stream, the running requests (and so
//! `notifications/cancelled` for them), a log level set after `initialize`. Without a key ids are random and
//! sessions exist only in the process that issued them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::HeaderValue;
use hyper::StatusCode;

use super::reply::{error_reply, too_many_sessions, Reply};
use super::sessions::{short, HttpSession, Kind, Reservation};
use super::HttpServer;
use crate::jsonrpc::RpcError;
use crate::lock;
use crate::seal::{Sealer, SessionKey};
use crate::session::Session;

/// The sealer, and the ids this process saw deleted (until they expire), which it refuses from then on.
pub(super) struct Sealed {
    sealer: Sealer,
    /// Deleted id → when it would have expired (Unix seconds). At most `max_ended` entries: past that, the one
    /// closest to expiry is forgotten first.
    ended: Mutex<HashMap<String, u64>>,
    max_ended: usize,
}

impl Sealed {
    /// Seals with `current`, also opens ids of `previous`, accepts ids for `max_age`, remembers `max_ended`
    /// deleted ids.
    pub fn new(current: &SessionKey, previous: Option<&SessionKey>, max_age: Duration, max_ended: usize) -> Sealed {
        Sealed { sealer: Sealer::new(current, previous, max_age), ended: Mutex::new(HashMap::new()), max_ended }
    }

    fn remember_ended(&self, id: &str) {
        let Some(opened) = self.sealer.open(id, SystemTime::now()) else { return };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut ended = lock(&self.ended);
        ended.retain(|_, expires| *expires > now);
        if ended.len() >= self.max_ended {
            if let Some(first) = ended.iter().min_by_key(|(_, e)| **e).map(|(k, _)| k.clone()) {
                ended.remove(&first);
            }
        }
        ended.insert(id.to_owned(), opened.expires_at);
    }
}

impl HttpServer {
    /// The Streamable HTTP session `id`: live here, or adopted from its sealed id; 404 when neither (503 when
    /// adopting it would pass the session limit).
    #[allow(clippy::result_large_err)]
    ///
    /// An adopted session offers the tools of this request's `X-MCP-Toolsets` header (the id does not carry the
    /// narrowing), so a client that narrows its tools sends the header with every request, as configured headers
    /// are; SPEC_NOTES.md §15.
    pub(super) fn streamable_session(
        &self,
        id: &str,
        toolsets: Option<&HeaderValue>,
    ) -> Result<Arc<HttpSession>, Reply> {
        if let Some(hs) = self.sessions.find(id, Kind::Streamable) {
            return Ok(hs);
        }
        let unknown = || {
            error_reply(
                StatusCode::NOT_FOUND,
                None,
                RpcError::invalid_request("unknown or ended session: send initialize without Mcp-Session-Id"),
            )
        };
        let Some(sealed) = &self.sealed else { return Err(unknown()) };
        if lock(&sealed.ended).contains_key(id) {
            return Err(unknown());
        }
        let Some(opened) = sealed.sealer.open(id, SystemTime::now()) else {
            log::debug!("refused session id {}: not sealed by a current key, changed, or expired", short(id));
            return Err(unknown());
        };
        let server = self.server_narrowed_to(toolsets)?;
        let session = Session::restore(server, opened.snapshot);
        let hs = self.sessions.adopt(id, session).ok_or_else(too_many_sessions)?;
        log::debug!("session {} adopted from its sealed id", short(id));
        Ok(hs)
    }

    /// Makes a session whose `initialize` succeeded live, under a sealed id when a key is set; returns the id.
    pub(super) fn start_session(&self, reservation: Reservation<'_>) -> String {
        match (&self.sealed, reservation.session().session.snapshot()) {
            (Some(sealed), Some(snapshot)) => reservation.commit_as(sealed.sealer.seal(&snapshot, SystemTime::now())),
            _ => reservation.commit(),
        }
    }

    /// Ends the session `id` here (DELETE) and, for a sealed id, refuses it here from now on. Other replicas
    /// cannot hear of it: they accept the id until it expires.
    pub(super) fn end_session(&self, id: &str) {
        self.sessions.end(id);
        if let Some(sealed) = &self.sealed {
            sealed.remember_ended(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_ids_are_remembered_up_to_the_limit() {
        let key = SessionKey::parse(&"ab".repeat(32)).unwrap();
        let sealed = Sealed::new(&key, None, Duration::from_secs(3600), 2);
        let snapshot = crate::session::Snapshot {
            version: crate::protocol::Version::LATEST,
            log_level: None,
            client_capabilities: serde_json::json!({}),
            client: None,
        };
        let ids: Vec<String> = (0..3).map(|_| sealed.sealer.seal(&snapshot, SystemTime::now())).collect();
        for id in &ids {
            sealed.remember_ended(id);
        }
        assert_eq!(lock(&sealed.ended).len(), 2);
        sealed.remember_ended("s1.not.sealed");
        assert!(!lock(&sealed.ended).contains_key("s1.not.sealed"), "only authentic ids are remembered");
    }
}
