//! The audit log and its hash chain.
//!
//! Business transactions only *insert* audit rows (with no sequence number), so they never
//! contend on a shared chain head. Right after commit a sequencer, like a Certificate
//! Transparency log integrating entries, takes the pending rows in small batches, gives each
//! the next sequence number and a hash over its content and the previous record's hash, and
//! from time to time signs a checkpoint (sequence number, chain hash, time) with the
//! deployment's ed25519 key. The sequencer runs every [`SEQUENCER_PERIOD_MS`] ms and soon after
//! a write commits, but never twice within [`SEQUENCER_GAP_MS`] ms unless a backlog fills whole
//! batches, so a record is in the chain well inside a second of its transaction.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::{Result, Store};

/// How often the sequencer looks for pending records when nothing wakes it.
pub const SEQUENCER_PERIOD_MS: u64 = 250;
/// The least time between two sequencer runs: under load one run chains the records of many
/// transactions instead of taking the write lock once for each of them.
pub const SEQUENCER_GAP_MS: u64 = 50;
/// The most records one sequencer transaction takes.
pub const SEQUENCER_BATCH: usize = 500;
/// Records linked per UPDATE statement (four parameters each, well inside both databases'
/// parameter limits).
const UPDATE_CHUNK: usize = 250;
/// Records read per query while verifying, so memory stays flat on a long chain.
const VERIFY_PAGE: i64 = 10_000;
/// The hash before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub role: Option<String>,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
}

/// One state change, as the business code describes it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: Actor,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: serde_json::Value,
    pub peer: Option<String>,
    pub request_id: Option<String>,
}

pub(crate) async fn insert(conn: &mut AnyConnection, entry: &AuditEntry) -> Result<()> {
    let detail = entry.detail.to_string();
    let digest = sha256_hex(detail.as_bytes());
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user_id, actor_role, office_id, district_id, action, \
         object_type, object_id, detail, detail_digest, peer, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.at)
    .bind(entry.actor.user_id)
    .bind(entry.actor.role.clone())
    .bind(entry.actor.office_id)
    .bind(entry.actor.district_id)
    .bind(entry.action.clone())
    .bind(entry.object_type.clone())
    .bind(entry.object_id.clone())
    .bind(detail)
    .bind(digest)
    .bind(entry.peer.clone())
    .bind(entry.request_id.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored audit record, as read back for sequencing, verification and display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_role: Option<String>,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: String,
    pub detail_digest: String,
    pub peer: Option<String>,
    pub request_id: Option<String>,
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

const RECORD_COLUMNS: &str = "id, at, actor_user_id, actor_role, office_id, district_id, action, \
     object_type, object_id, detail, detail_digest, peer, request_id, seq, prev_hash, hash";

impl AuditRecord {
    /// The chain hash of this record at position `seq` after `prev_hash`. Every field that
    /// describes the change is covered; the detail through its digest.
    pub fn chain_hash(&self, seq: i64, prev_hash: &str) -> String {
        let canonical = serde_json::json!([
            "daftar-audit/v1",
            seq,
            prev_hash,
            self.id,
            self.at,
            self.actor_user_id,
            self.actor_role,
            self.office_id,
            self.district_id,
            self.action,
            self.object_type,
            self.object_id,
            self.detail_digest,
            self.peer,
            self.request_id,
        ]);
        sha256_hex(canonical.to_string().as_bytes())
    }
}

/// A signed statement that the chain had `hash` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub key_id: String,
    pub signature: String,
}

impl Checkpoint {
    fn message(seq: i64, hash: &str, at: i64) -> String {
        format!("daftar-audit-checkpoint/v1\n{seq}\n{hash}\n{at}\n")
    }

    fn sign(key: &SigningKey, seq: i64, hash: String, at: i64) -> Checkpoint {
        let signature = key.sign(Self::message(seq, &hash, at).as_bytes());
        Checkpoint {
            seq,
            hash,
            at,
            key_id: key_id(&key.verifying_key()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    pub fn signature_is_valid(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else {
            return false;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return false;
        };
        key.verify(Self::message(self.seq, &self.hash, self.at).as_bytes(), &signature).is_ok()
    }
}

/// A short, stable name for a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(key: &VerifyingKey) -> String {
    sha256_hex(key.as_bytes())[..16].to_string()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// When the sequencer signs a checkpoint on its own.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointPolicy {
    /// After this many new records…
    pub every_records: i64,
    /// …or this many seconds since the last checkpoint, if anything is new.
    pub every_seconds: i64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy { every_records: 1000, every_seconds: 60 }
    }
}

#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
    checkpoint_seq: i64,
    checkpoint_at: i64,
}

/// Sequences up to one batch of pending records; signs a checkpoint when the policy says so,
/// or always when `force_checkpoint` is set and the chain has grown since the last one.
/// Returns how many records were sequenced. Safe to run from several processes at once: the
/// chain head row is locked for the duration.
pub async fn sequence_pending(
    store: &Store,
    key: &SigningKey,
    policy: CheckpointPolicy,
    now: i64,
    force_checkpoint: bool,
) -> Result<usize> {
    let mut tx = store.begin_housekeeping().await?;
    let head_sql = format!(
        "SELECT seq, hash, checkpoint_seq, checkpoint_at FROM audit_head WHERE id = 1{}",
        tx.for_update()
    );
    let mut head: Head = sqlx::query_as(sqlx::AssertSqlSafe(head_sql)).fetch_one(tx.conn()).await?;
    let pending_sql = format!(
        "SELECT {RECORD_COLUMNS} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT {SEQUENCER_BATCH}"
    );
    let pending: Vec<AuditRecord> =
        sqlx::query_as(sqlx::AssertSqlSafe(pending_sql)).fetch_all(tx.conn()).await?;
    let mut chained = Vec::with_capacity(pending.len());
    for record in &pending {
        let seq = head.seq + 1;
        let hash = record.chain_hash(seq, &head.hash);
        chained.push((record.id, seq, std::mem::replace(&mut head.hash, hash.clone()), hash));
        head.seq = seq;
    }
    for chunk in chained.chunks(UPDATE_CHUNK) {
        write_links(tx.conn(), chunk).await?;
    }
    let grown = head.seq > head.checkpoint_seq;
    let due = head.seq - head.checkpoint_seq >= policy.every_records
        || now - head.checkpoint_at >= policy.every_seconds;
    if grown && (due || force_checkpoint) {
        let checkpoint = Checkpoint::sign(key, head.seq, head.hash.clone(), now);
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(checkpoint.seq)
        .bind(checkpoint.hash)
        .bind(checkpoint.at)
        .bind(checkpoint.key_id)
        .bind(checkpoint.signature)
        .execute(tx.conn())
        .await?;
        head.checkpoint_seq = head.seq;
        head.checkpoint_at = now;
    }
    sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = $2, checkpoint_seq = $3, checkpoint_at = $4 \
         WHERE id = 1",
    )
    .bind(head.seq)
    .bind(head.hash)
    .bind(head.checkpoint_seq)
    .bind(head.checkpoint_at)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(pending.len())
}

/// Writes `(id, seq, prev_hash, hash)` links with one statement: a round trip per record would
/// cap the chain below the rate at which PostgreSQL commits business transactions.
async fn write_links(conn: &mut AnyConnection, links: &[(i64, i64, String, String)]) -> Result<()> {
    let values: Vec<String> = (0..links.len())
        .map(|i| {
            let n = i * 4;
            format!("(CAST(${} AS BIGINT), CAST(${} AS BIGINT), ${}, ${})", n + 1, n + 2, n + 3, n + 4)
        })
        .collect();
    let sql = format!(
        "WITH link (id, seq, prev_hash, hash) AS (VALUES {}) \
         UPDATE audit_log SET \
           seq = (SELECT link.seq FROM link WHERE link.id = audit_log.id), \
           prev_hash = (SELECT link.prev_hash FROM link WHERE link.id = audit_log.id), \
           hash = (SELECT link.hash FROM link WHERE link.id = audit_log.id) \
         WHERE id IN (SELECT id FROM link)",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (id, seq, prev_hash, hash) in links {
        query = query.bind(*id).bind(*seq).bind(prev_hash.clone()).bind(hash.clone());
    }
    query.execute(conn).await?;
    Ok(())
}

/// Sequences everything pending and signs a checkpoint over it; returns the latest checkpoint.
pub async fn checkpoint_now(store: &Store, key: &SigningKey, now: i64) -> Result<Option<Checkpoint>> {
    while sequence_pending(store, key, CheckpointPolicy::default(), now, false).await? > 0 {}
    sequence_pending(store, key, CheckpointPolicy::default(), now, true).await?;
    latest_checkpoint(store).await
}

pub async fn latest_checkpoint(store: &Store) -> Result<Option<Checkpoint>> {
    Ok(sqlx::query_as(
        "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?)
}

pub async fn checkpoints(store: &Store) -> Result<Vec<Checkpoint>> {
    Ok(sqlx::query_as("SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq")
        .fetch_all(store.pool())
        .await?)
}

/// The newest records, newest first, for the audit pages.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<AuditRecord>> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(store.pool()).await?)
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub records: i64,
    pub checkpoints: i64,
    pub pending: i64,
    pub last_checkpoint_seq: i64,
    pub problem: Option<Problem>,
}

/// The first thing that does not add up, with the record it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub seq: i64,
    pub record_id: Option<i64>,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record_id {
            Some(id) => write!(f, "record seq {} (id {}): {}", self.seq, id, self.reason),
            None => write!(f, "at seq {}: {}", self.seq, self.reason),
        }
    }
}

/// Walks the whole chain and every checkpoint (stored ones and any `exported` copies kept
/// elsewhere) and names the first record that does not add up.
pub async fn verify(store: &Store, key: &VerifyingKey, exported: &[Checkpoint]) -> Result<VerifyReport> {
    let mut all_checkpoints = checkpoints(store).await?;
    let stored_count = all_checkpoints.len() as i64;
    all_checkpoints.extend(exported.iter().cloned());
    all_checkpoints.sort_by_key(|c| c.seq);
    let last_checkpoint_seq = all_checkpoints.last().map_or(0, |c| c.seq);

    let mut report = VerifyReport {
        records: 0,
        checkpoints: stored_count,
        pending: 0,
        last_checkpoint_seq,
        problem: None,
    };
    for checkpoint in &all_checkpoints {
        if !checkpoint.signature_is_valid(key) {
            report.problem = Some(Problem {
                seq: checkpoint.seq,
                record_id: None,
                reason: "checkpoint signature does not verify with the published key".into(),
            });
            return Ok(report);
        }
    }

    let mut prev_hash = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    let mut next_checkpoint = all_checkpoints.iter().peekable();
    let page_sql =
        format!("SELECT {RECORD_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT {VERIFY_PAGE}");
    let mut from_seq = i64::MIN;
    loop {
        let page: Vec<AuditRecord> = sqlx::query_as(sqlx::AssertSqlSafe(page_sql.clone()))
            .bind(from_seq)
            .fetch_all(store.pool())
            .await?;
        let Some(last) = page.last() else { break };
        from_seq = last.seq.unwrap_or(i64::MAX).saturating_add(1);
        for record in &page {
            report.records += 1;
            if let Some(problem) = check_record(record, expected_seq, &prev_hash) {
                report.problem = Some(problem);
                return Ok(report);
            }
            prev_hash = record.hash.clone().unwrap_or_default();
            while let Some(checkpoint) = next_checkpoint.next_if(|c| c.seq == expected_seq) {
                if checkpoint.hash != prev_hash {
                    report.problem = Some(Problem {
                        seq: checkpoint.seq,
                        record_id: Some(record.id),
                        reason: "chain hash differs from the signed checkpoint: a record at or \
                                 before this one was changed and the chain recomputed"
                            .into(),
                    });
                    return Ok(report);
                }
            }
            expected_seq += 1;
        }
    }
    if let Some(checkpoint) = next_checkpoint.next() {
        report.problem = Some(Problem {
            seq: checkpoint.seq,
            record_id: None,
            reason: format!(
                "a signed checkpoint covers records up to seq {} but the chain ends at seq {}: \
                 records were removed from the end",
                checkpoint.seq,
                expected_seq - 1
            ),
        });
        return Ok(report);
    }
    report.pending = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL")
        .fetch_one(store.pool())
        .await?;
    Ok(report)
}

fn check_record(record: &AuditRecord, expected_seq: i64, prev_hash: &str) -> Option<Problem> {
    let seq = record.seq.unwrap_or_default();
    let problem = |reason: String| Some(Problem { seq, record_id: Some(record.id), reason });
    if seq != expected_seq {
        return problem(format!(
            "expected seq {expected_seq} here: records before it are missing or reordered"
        ));
    }
    if record.prev_hash.as_deref() != Some(prev_hash) {
        return problem("its previous-hash link does not match the record before it".into());
    }
    if sha256_hex(record.detail.as_bytes()) != record.detail_digest {
        return problem("its detail does not match its digest: the record was edited".into());
    }
    if record.hash.as_deref() != Some(record.chain_hash(seq, prev_hash).as_str()) {
        return problem("its content does not match its hash: the record was edited".into());
    }
    None
}
