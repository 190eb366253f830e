//! The password throttle on both backends: each attempt is counted before
//! the answer, a key over its limit is locked for the window and a locked
//! key stays locked whatever comes next; keys are independent; a success
//! clears the account and gives the address its attempt back; a parallel
//! burst lets through at most the limit; rows of a passed window are pruned;
//! an admin's unlock clears the lock and is audited.

use jousei_core::role::Role;
use jousei_store::throttle::{ThrottleKey, ThrottleVerdict};
use jousei_store::{DynStore, Ts};

use crate::{clinic, on_postgres, on_sqlite, sys, user};

fn key(k: &str, max: i64) -> ThrottleKey {
    ThrottleKey {
        key: k.into(),
        max_attempts: max,
    }
}

fn at(s: &str) -> Ts {
    Ts(s.parse().unwrap())
}

const WINDOW: i64 = 900;

async fn throttle_counts_first_and_locks(store: DynStore) {
    let t0 = at("2026-12-07T01:00:00Z");
    let keys = [key("login:sato", 3), key("addr:10.0.0.1", 10)];
    for _ in 0..3 {
        assert_eq!(
            store.throttle_attempt(&keys, WINDOW, t0).await.unwrap(),
            ThrottleVerdict::Allowed
        );
    }
    // The fourth attempt is over the limit: refused, locked for the window.
    assert_eq!(
        store.throttle_attempt(&keys, WINDOW, t0).await.unwrap(),
        ThrottleVerdict::Locked {
            retry_after_secs: WINDOW
        }
    );
    let later = at("2026-12-07T01:10:00Z");
    assert_eq!(
        store.throttle_attempt(&keys, WINDOW, later).await.unwrap(),
        ThrottleVerdict::Locked {
            retry_after_secs: 300
        }
    );
    // Another account from the same address is not locked.
    let other = [key("login:kato", 3), key("addr:10.0.0.1", 10)];
    assert_eq!(
        store.throttle_attempt(&other, WINDOW, later).await.unwrap(),
        ThrottleVerdict::Allowed
    );
    assert_eq!(
        store
            .throttle_locked(&["login:sato".into(), "login:kato".into()], later)
            .await
            .unwrap(),
        vec!["login:sato".to_string()]
    );
    // After the lock, a fresh window.
    let after = at("2026-12-07T01:16:00Z");
    assert_eq!(
        store.throttle_attempt(&keys, WINDOW, after).await.unwrap(),
        ThrottleVerdict::Allowed
    );

    // The address limit holds across accounts.
    let t1 = at("2026-12-07T03:00:00Z");
    for i in 0..4 {
        let ks = [key(&format!("login:u{i}"), 100), key("addr:10.0.0.9", 4)];
        assert_eq!(
            store.throttle_attempt(&ks, WINDOW, t1).await.unwrap(),
            ThrottleVerdict::Allowed
        );
    }
    let ks = [key("login:u9", 100), key("addr:10.0.0.9", 4)];
    assert!(matches!(
        store.throttle_attempt(&ks, WINDOW, t1).await.unwrap(),
        ThrottleVerdict::Locked { .. }
    ));
}
both!(throttle_counts_first_and_locks);

async fn throttle_success_clears_and_gives_back(store: DynStore) {
    let t0 = at("2026-12-07T01:00:00Z");
    let keys = [key("login:sato", 2), key("addr:10.0.0.2", 2)];
    for _ in 0..2 {
        assert_eq!(
            store.throttle_attempt(&keys, WINDOW, t0).await.unwrap(),
            ThrottleVerdict::Allowed
        );
        // Each right password gives both counts back.
        store
            .throttle_succeeded("login:sato", &["addr:10.0.0.2".into()])
            .await
            .unwrap();
    }
    for _ in 0..2 {
        assert_eq!(
            store.throttle_attempt(&keys, WINDOW, t0).await.unwrap(),
            ThrottleVerdict::Allowed
        );
    }
    assert!(matches!(
        store.throttle_attempt(&keys, WINDOW, t0).await.unwrap(),
        ThrottleVerdict::Locked { .. }
    ));
}
both!(throttle_success_clears_and_gives_back);

async fn throttle_holds_against_a_parallel_burst(store: DynStore) {
    let t0 = at("2026-12-07T01:00:00Z");
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let keys = [key("login:burst", 5), key("addr:10.0.0.3", 1000)];
            s.throttle_attempt(&keys, WINDOW, t0).await.unwrap()
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        if t.await.unwrap() == ThrottleVerdict::Allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5, "exactly the limit passes a burst");
}
both!(throttle_holds_against_a_parallel_burst);

async fn throttle_prunes_passed_windows(store: DynStore) {
    let t0 = at("2026-12-07T01:00:00Z");
    for i in 0..50 {
        let ks = [key(&format!("login:spray{i}"), 3)];
        store.throttle_attempt(&ks, WINDOW, t0).await.unwrap();
    }
    // A locked key survives its window until its lock ends.
    store
        .throttle_attempt(&[key("login:held", 1)], WINDOW, t0)
        .await
        .unwrap();
    let t_lock = at("2026-12-07T01:05:00Z");
    assert!(matches!(
        store
            .throttle_attempt(&[key("login:held", 1)], WINDOW, t_lock)
            .await
            .unwrap(),
        ThrottleVerdict::Locked { .. }
    ));
    assert_eq!(store.throttle_row_count().await.unwrap(), 51);
    let t1 = at("2026-12-07T01:15:30Z");
    store
        .throttle_attempt(&[key("login:new", 3)], WINDOW, t1)
        .await
        .unwrap();
    assert_eq!(
        store.throttle_row_count().await.unwrap(),
        2,
        "passed windows pruned, the lock kept until it ends"
    );
    let t2 = at("2026-12-07T01:40:00Z");
    store
        .throttle_attempt(&[key("login:new", 3)], WINDOW, t2)
        .await
        .unwrap();
    assert_eq!(store.throttle_row_count().await.unwrap(), 1);
}
both!(throttle_prunes_passed_windows);

async fn throttle_unlock_by_admin(store: DynStore) {
    let c = clinic(&store, "UNLOCK").await;
    let u = user(&store, "sato", c.id, Role::Physician).await;
    let now = Ts::now();
    let keys = [key("login:sato", 1)];
    store.throttle_attempt(&keys, WINDOW, now).await.unwrap();
    assert!(matches!(
        store.throttle_attempt(&keys, WINDOW, now).await.unwrap(),
        ThrottleVerdict::Locked { .. }
    ));
    assert!(
        store
            .throttle_unlock(&sys(), c.id, u.id, "login:sato")
            .await
            .unwrap()
    );
    assert_eq!(
        store.throttle_attempt(&keys, WINDOW, now).await.unwrap(),
        ThrottleVerdict::Allowed
    );
    let head = store.audit_batch(0, 1000).await.unwrap();
    assert!(head.iter().any(
        |e| e.event.action == "account_unlocked" && e.event.entity_id == Some(u.id.to_string())
    ));
}
both!(throttle_unlock_by_admin);
