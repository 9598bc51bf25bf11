//! The audit trail's hash chain: what an event is, how it is hashed, and how
//! a chain is verified. The store appends and reads; the rules live here.
//!
//! Each event's hash covers its sequence number, every recorded field and the
//! previous event's hash, so editing, deleting, inserting or reordering rows
//! breaks the chain at the first touched event. A separate head (last seq and
//! hash) catches truncation of the tail.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, to what. Field *names* only, never personal values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UTC time in microseconds since the Unix epoch.
    pub at_micros: i64,
    /// `None` for the system itself (migrations, background jobs, the CLI).
    pub actor_id: Option<i64>,
    /// Username, or `system`.
    pub actor: String,
    pub role: String,
    pub unit: Option<String>,
    /// Dotted verb, e.g. `territory.import`, `user.create`, `user.reveal_phone`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub fields: Vec<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

/// An event as stored: its position in the chain and its hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// SHA-256 over a canonical JSON array of the event's fields (fixed order,
/// no maps, so the bytes are the same on every platform).
pub fn event_hash(seq: i64, record: &AuditRecord, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        seq,
        record.at_micros,
        record.actor_id,
        record.actor,
        record.role,
        record.unit,
        record.action,
        record.object_type,
        record.object_id,
        record.fields,
        record.reason,
        record.request_id,
        prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Link `record` after an event with `prev` (seq, hash); `None` for the first.
pub fn chain(prev: Option<(i64, &str)>, record: AuditRecord) -> ChainedEvent {
    let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS_HASH));
    let seq = prev_seq + 1;
    let hash = event_hash(seq, &record, prev_hash);
    ChainedEvent {
        seq,
        record,
        prev_hash: prev_hash.to_owned(),
        hash,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "event {found}: expected sequence number {expected} (an event is missing, inserted or reordered)"
    )]
    Gap { expected: i64, found: i64 },
    #[error("event {seq}: prev_hash does not match the hash of event {}", seq - 1)]
    BrokenLink { seq: i64 },
    #[error("event {seq}: contents do not match its hash (the event was edited)")]
    Tampered { seq: i64 },
    #[error(
        "the chain ends at event {last} but its head says {head} (events were removed from the end)"
    )]
    Truncated { last: i64, head: i64 },
    #[error("the chain head names hash {head_hash} for event {head}, which does not match")]
    HeadMismatch { head: i64, head_hash: String },
}

impl ChainBreak {
    /// The first event that is not as it should be.
    pub fn first_bad_seq(&self) -> i64 {
        match self {
            ChainBreak::Gap { expected, .. } => *expected,
            ChainBreak::BrokenLink { seq } | ChainBreak::Tampered { seq } => *seq,
            ChainBreak::Truncated { last, .. } => last + 1,
            ChainBreak::HeadMismatch { head, .. } => *head,
        }
    }
}

/// Streaming verifier: feed events in storage order (ascending `seq`), then
/// `finish` with the stored head.
#[derive(Debug)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl Verifier {
    pub fn push(&mut self, event: &ChainedEvent) -> Result<(), ChainBreak> {
        let expected = self.last_seq + 1;
        if event.seq != expected {
            return Err(ChainBreak::Gap {
                expected,
                found: event.seq,
            });
        }
        if event.prev_hash != self.last_hash {
            return Err(ChainBreak::BrokenLink { seq: event.seq });
        }
        if event_hash(event.seq, &event.record, &event.prev_hash) != event.hash {
            return Err(ChainBreak::Tampered { seq: event.seq });
        }
        self.last_seq = event.seq;
        self.last_hash.clone_from(&event.hash);
        Ok(())
    }

    /// `head` is the stored (last seq, last hash); returns the event count.
    pub fn finish(self, head: Option<(i64, String)>) -> Result<i64, ChainBreak> {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
        if head_seq != self.last_seq {
            return Err(ChainBreak::Truncated {
                last: self.last_seq,
                head: head_seq,
            });
        }
        if head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch {
                head: head_seq,
                head_hash,
            });
        }
        Ok(self.last_seq)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn record(i: i64) -> AuditRecord {
        AuditRecord {
            at_micros: 1_700_000_000_000_000 + i,
            actor_id: Some(i),
            actor: format!("user{i}"),
            role: "admin".into(),
            unit: Some("2306".into()),
            action: "user.create".into(),
            object_type: "user".into(),
            object_id: i.to_string(),
            fields: vec!["username".into(), "role".into()],
            reason: None,
            request_id: Some(format!("req-{i}")),
        }
    }

    fn build(n: i64) -> Vec<ChainedEvent> {
        let mut out: Vec<ChainedEvent> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            out.push(chain(prev, record(i)));
        }
        out
    }

    fn verify(events: &[ChainedEvent], head: Option<(i64, String)>) -> Result<i64, ChainBreak> {
        let mut v = Verifier::default();
        for e in events {
            v.push(e)?;
        }
        v.finish(head)
    }

    fn head(events: &[ChainedEvent]) -> Option<(i64, String)> {
        events.last().map(|e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn intact_chain_verifies() {
        let events = build(5);
        assert_eq!(verify(&events, head(&events)), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn hash_is_stable() {
        // Pinned so that a change to the canonical form is a deliberate act:
        // it would invalidate every stored chain.
        let e = chain(None, record(0));
        assert_eq!(e.hash.len(), 64);
        assert_eq!(e.hash, event_hash(1, &record(0), GENESIS_HASH));
        assert_ne!(e.hash, event_hash(2, &record(0), GENESIS_HASH));
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let events = build(6);
        let h = head(&events);

        let mut edited = events.clone();
        edited[2].record.reason = Some("covered up".into());
        assert_eq!(
            verify(&edited, h.clone()),
            Err(ChainBreak::Tampered { seq: 3 })
        );

        let mut deleted = events.clone();
        deleted.remove(3);
        assert_eq!(
            verify(&deleted, h.clone()),
            Err(ChainBreak::Gap {
                expected: 4,
                found: 5
            })
        );

        let mut reordered = events.clone();
        reordered.swap(1, 2);
        assert_eq!(
            verify(&reordered, h.clone()).unwrap_err().first_bad_seq(),
            2
        );

        // Swapping contents but keeping seq numbers in place.
        let mut swapped = events.clone();
        let (a, b) = (swapped[1].record.clone(), swapped[2].record.clone());
        swapped[1].record = b;
        swapped[2].record = a;
        assert_eq!(
            verify(&swapped, h.clone()),
            Err(ChainBreak::Tampered { seq: 2 })
        );

        let truncated = &events[..4];
        assert_eq!(
            verify(truncated, h.clone()),
            Err(ChainBreak::Truncated { last: 4, head: 6 })
        );

        // Re-hashing an edited event still breaks the next link.
        let mut rehashed = events.clone();
        rehashed[2].record.actor = "someone else".into();
        rehashed[2].hash = event_hash(3, &rehashed[2].record, &rehashed[2].prev_hash);
        assert_eq!(verify(&rehashed, h), Err(ChainBreak::BrokenLink { seq: 4 }));
    }

    proptest! {
        #[test]
        fn any_single_field_edit_is_detected(n in 2i64..20, victim in 0usize..20, which in 0u8..6) {
            let mut events = build(n);
            let h = head(&events);
            let i = victim % events.len();
            let r = &mut events[i].record;
            match which {
                0 => r.at_micros += 1,
                1 => r.actor.push('x'),
                2 => r.action.push('x'),
                3 => r.object_id.push('x'),
                4 => r.fields.push("extra".into()),
                _ => r.unit = None,
            }
            let err = verify(&events, h).unwrap_err();
            prop_assert_eq!(err.first_bad_seq(), i as i64 + 1);
        }
    }
}
