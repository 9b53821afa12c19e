//! The storage seam against a real database: SQLite by default, PostgreSQL when
//! `DAFTAR_TEST_DATABASE_URL` is set. The same tests run on both.

use daftar_store::audit::{self, Actor, AuditEntry, CheckpointPolicy};
use daftar_store::scratch::ScratchDb;
use daftar_store::{Store, StoreError, otp, outbox, rate_limit};
use ed25519_dalek::SigningKey;

fn entry(n: i64) -> AuditEntry {
    AuditEntry {
        at: 1_700_000_000 + n,
        actor: Actor { user_id: Some(n), role: Some("admin".into()), ..Actor::default() },
        action: "test.changed".into(),
        object_type: "thing".into(),
        object_id: n.to_string(),
        detail: serde_json::json!({ "n": n, "text": "مقدار" }),
        peer: Some("127.0.0.1".into()),
        request_id: None,
    }
}

async fn write_entries(store: &Store, from: i64, count: i64) {
    for n in from..from + count {
        let mut tx = store.begin_write().await.unwrap();
        tx.audit(entry(n));
        tx.commit().await.unwrap();
    }
}

async fn sequence_all(store: &Store, key: &SigningKey, now: i64) {
    while audit::sequence_pending(store, key, CheckpointPolicy::default(), now, false).await.unwrap() > 0 {}
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

#[tokio::test]
async fn a_write_without_an_audit_entry_is_refused_and_rolled_back() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query("INSERT INTO districts (code, name_fa, name_en) VALUES ('X', 'x', 'x')")
        .execute(tx.conn())
        .await
        .unwrap();
    assert!(matches!(tx.commit().await, Err(StoreError::MissingAudit)));
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM districts").fetch_one(store.pool()).await.unwrap();
    assert_eq!(count, 0, "the change was rolled back");
}

#[tokio::test]
async fn the_chain_verifies_and_checkpoints_are_signed() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let key = key();
    write_entries(&store, 1, 30).await;
    let checkpoint = audit::checkpoint_now(&store, &key, 1_800_000_000).await.unwrap().unwrap();
    assert_eq!(checkpoint.seq, 30);
    assert!(checkpoint.signature_is_valid(&key.verifying_key()));
    let report = audit::verify(&store, &key.verifying_key(), &[]).await.unwrap();
    assert_eq!(report.records, 30);
    assert_eq!(report.pending, 0);
    assert_eq!(report.problem, None);

    let other = SigningKey::from_bytes(&[9u8; 32]);
    let report = audit::verify(&store, &other.verifying_key(), &[]).await.unwrap();
    assert!(report.problem.unwrap().reason.contains("signature"));
}

#[tokio::test]
async fn an_edited_record_is_named() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let key = key();
    write_entries(&store, 1, 10).await;
    audit::checkpoint_now(&store, &key, 1_800_000_000).await.unwrap();
    sqlx::query("UPDATE audit_log SET action = 'test.forged' WHERE seq = 4")
        .execute(store.pool())
        .await
        .unwrap();
    let problem = audit::verify(&store, &key.verifying_key(), &[]).await.unwrap().problem.unwrap();
    assert_eq!(problem.seq, 4);
}

#[tokio::test]
async fn a_recomputed_chain_is_caught_by_the_checkpoint() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let key = key();
    write_entries(&store, 1, 6).await;
    audit::checkpoint_now(&store, &key, 1_800_000_000).await.unwrap();
    // The attacker edits record 2 and recomputes every hash after it.
    sqlx::query("UPDATE audit_log SET object_id = 'forged' WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let records: Vec<audit::AuditRecord> = sqlx::query_as(
        "SELECT id, at, actor_user_id, actor_role, office_id, district_id, action, object_type, object_id, \
         detail, detail_digest, peer, request_id, seq, prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut prev = audit::GENESIS_HASH.to_string();
    for record in records {
        let seq = record.seq.unwrap();
        let hash = record.chain_hash(seq, &prev);
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(prev.clone())
            .bind(hash.clone())
            .bind(seq)
            .execute(store.pool())
            .await
            .unwrap();
        prev = hash;
    }
    let problem = audit::verify(&store, &key.verifying_key(), &[]).await.unwrap().problem.unwrap();
    assert_eq!(problem.seq, 6, "the checkpoint at seq 6 no longer matches");
    assert!(problem.reason.contains("checkpoint"));
}

#[tokio::test]
async fn exported_checkpoints_reveal_a_truncated_tail() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let key = key();
    write_entries(&store, 1, 5).await;
    audit::checkpoint_now(&store, &key, 1_800_000_000).await.unwrap();
    write_entries(&store, 6, 5).await;
    audit::checkpoint_now(&store, &key, 1_800_000_100).await.unwrap();
    let exported = audit::checkpoints(&store).await.unwrap();
    // The attacker removes the newest records and the checkpoint covering them.
    sqlx::query("DELETE FROM audit_log WHERE seq > 7").execute(store.pool()).await.unwrap();
    sqlx::query("DELETE FROM audit_checkpoints WHERE seq > 7").execute(store.pool()).await.unwrap();
    let alone = audit::verify(&store, &key.verifying_key(), &[]).await.unwrap();
    assert_eq!(alone.problem, None, "without outside copies a cut tail looks like a shorter log");
    let with_copies = audit::verify(&store, &key.verifying_key(), &exported).await.unwrap();
    assert!(with_copies.problem.unwrap().reason.contains("removed from the end"));
}

#[tokio::test]
async fn concurrent_writers_and_sequencers_build_one_contiguous_chain() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let key = key();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { write_entries(&store, w * 1000, 25).await }));
    }
    for _ in 0..3 {
        let (store, key) = (store.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..40 {
                audit::sequence_pending(
                    &store,
                    &key,
                    CheckpointPolicy { every_records: 50, every_seconds: 3600 },
                    1_800_000_000,
                    false,
                )
                .await
                .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    sequence_all(&store, &key, 1_800_000_000).await;
    let report = audit::verify(&store, &key.verifying_key(), &[]).await.unwrap();
    assert_eq!(report.records, 200);
    assert_eq!(report.problem, None);
}

#[tokio::test]
async fn concurrent_rate_limit_hits_are_all_counted() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin_housekeeping().await.unwrap();
            let hits = rate_limit::hit(tx.conn(), "bucket", 1000, 60).await.unwrap();
            tx.commit().await.unwrap();
            hits
        }));
    }
    let mut seen: Vec<i64> = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=40).collect::<Vec<_>>());
    let mut tx = store.begin_housekeeping().await.unwrap();
    assert_eq!(rate_limit::hit(tx.conn(), "bucket", 1061, 60).await.unwrap(), 1, "a new window starts over");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn concurrent_guesses_cannot_exceed_the_attempt_limit() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin_housekeeping().await.unwrap();
    let challenge = otp::NewChallenge {
        public_id: "abc",
        national_id: "0076229645",
        mobile: "+989121234567",
        code_hash: "h",
        expires_at: 2000,
    };
    let id = otp::insert(tx.conn(), &challenge, 1000).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin_housekeeping().await.unwrap();
            let counted = otp::count_attempt(tx.conn(), id, 5, 1500).await.unwrap();
            tx.commit().await.unwrap();
            counted
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        allowed += i32::from(task.await.unwrap());
    }
    assert_eq!(allowed, 5);
    let mut tx = store.begin_housekeeping().await.unwrap();
    assert!(!otp::count_attempt(tx.conn(), id, 5, 2500).await.unwrap(), "expired");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn two_workers_never_claim_the_same_message() {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin_write().await.unwrap();
    for n in 0..30 {
        let body = format!("message {n}");
        let message =
            outbox::NewMessage { channel: "sms", recipient: "+989121234567", subject: "", body: &body };
        outbox::enqueue(tx.conn(), &message, 100).await.unwrap();
    }
    tx.audit(entry(1));
    tx.commit().await.unwrap();
    let (a, b) = tokio::join!(outbox::claim_due(&store, 200, 60, 50), outbox::claim_due(&store, 200, 60, 50));
    let mut ids: Vec<i64> = a.unwrap().into_iter().chain(b.unwrap()).map(|m| m.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "no message claimed twice");
    assert_eq!(ids.len(), 30);
    assert!(outbox::claim_due(&store, 200, 60, 50).await.unwrap().is_empty(), "leased messages wait");
    outbox::mark_failed(&store, ids[0], "provider down", Some(250)).await.unwrap();
    assert!(outbox::claim_due(&store, 249, 60, 50).await.unwrap().is_empty());
    let retried = outbox::claim_due(&store, 250, 60, 50).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 2);
}

#[tokio::test]
async fn cases_list_by_scope_and_move_only_from_the_version_read() {
    use daftar_store::cases::{self, CaseScope, NewCase, StateChange};
    use daftar_store::{blobs, orgs};
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin_write().await.unwrap();
    let district = orgs::insert_district(tx.conn(), "D1", "منطقه ۱", "District 1").await.unwrap();
    let office = orgs::insert_office(
        tx.conn(),
        &orgs::NewOffice {
            code: "OF-1",
            name_fa: "دفتر",
            name_en: "Office",
            district_id: district,
            status: "open",
        },
        1,
    )
    .await
    .unwrap();
    let service = cases::insert_service(tx.conn(), "building_permit", 1, "1405/01/01", "x", 1).await.unwrap();
    let mut ids = Vec::new();
    for (n, national_id) in ["0084575948", "0084575948", "1111111111"].iter().enumerate() {
        let tracking = format!("T{n}");
        let new = NewCase {
            tracking_code: &tracking,
            service_id: service,
            office_id: office,
            district_id: district,
            parcel_key: "P-1",
            applicant_national_id: national_id,
            applicant_mobile: "09120000000",
            form: "{}",
            state: "draft",
            state_due_at: Some(100 + n as i64),
            search_text: &format!("t{n} مالک"),
            opened_by: None,
        };
        ids.push(cases::insert_case(tx.conn(), &new, 10).await.unwrap());
    }
    // Bytes with every value survive the round trip on both back ends.
    let bytes: Vec<u8> = (0..=255).collect();
    blobs::put(tx.conn(), "abc", &bytes).await.unwrap();
    blobs::put(tx.conn(), "abc", &bytes).await.unwrap();
    tx.audit(entry(1));
    tx.commit().await.unwrap();
    assert_eq!(blobs::get(store.pool(), "abc").await.unwrap().unwrap(), bytes);

    let count = |scope| {
        let store = store.clone();
        async move { cases::list_cases(store.pool(), scope, None, None, 50).await.unwrap().len() }
    };
    assert_eq!(count(CaseScope::Office(office)).await, 3);
    assert_eq!(count(CaseScope::Office(office + 1)).await, 0);
    assert_eq!(count(CaseScope::District(district)).await, 3);
    assert_eq!(count(CaseScope::Applicant("0084575948")).await, 2);
    assert_eq!(count(CaseScope::City).await, 3);
    let found =
        cases::list_cases(store.pool(), CaseScope::City, Some("draft"), Some("t1"), 50).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tracking_code, "T1");

    let change = |expected_version| StateChange {
        expected_version,
        state: "submitted",
        version: expected_version + 1,
        terminal: false,
        state_entered_at: 20,
        state_due_at: None,
    };
    assert!(cases::update_state(store.pool(), ids[0], &change(0), 20).await.unwrap());
    assert!(
        !cases::update_state(store.pool(), ids[0], &change(0), 21).await.unwrap(),
        "stale version refused"
    );
    let overdue = cases::overdue_cases(store.pool(), 1_000).await.unwrap();
    assert_eq!(overdue.len(), 2, "the moved case has no deadline any more");
}
