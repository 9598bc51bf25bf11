//! The storage contract: every test runs against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use geo::{MultiPolygon, Point, polygon};
use grassroots_core::accounts::{NewUser, Role, Scope};
use grassroots_core::audit::ChainBreak;
use grassroots_core::territory::{Level, Unit};
use grassroots_store::{
    Backend, Ctx, OpenOptions, Store, StoreError, UserFilter, VerifyOutcome, testing,
};

grassroots_store::on_both_backends!(
    migrations_are_idempotent_and_concurrent,
    units_round_trip,
    duplicate_units_import_nothing,
    retire_is_recorded_and_never_deletes,
    users_sessions_and_tokens,
    role_change_and_disable_revoke_credentials,
    directory_filters_by_jurisdiction,
    personal_data_reads_are_audited,
    every_change_is_audited_and_chain_verifies,
    audit_rows_refuse_update_and_delete,
    tampering_is_detected,
    concurrent_writers_keep_one_chain,
    login_codes_are_single_use_limited_and_expire,
    questions_are_asked_followed_answered_and_audited,
);

const T0: i64 = 1_790_000_000_000_000;

async fn open(url: &str) -> Store {
    Store::open(url, &OpenOptions::default())
        .await
        .expect("open store")
}

fn ctx() -> Ctx {
    Ctx::system(T0).with_request_id(Some("req-1".into()))
}

fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x, y: y),
        (x: x + size, y: y),
        (x: x + size, y: y + size),
        (x: x, y: y + size),
        (x: x, y: y),
    ]])
}

fn unit(
    code: &str,
    level: Level,
    parent: Option<&str>,
    boundary: Option<MultiPolygon<f64>>,
) -> Unit {
    Unit {
        code: code.into(),
        name: format!("测试{code}"),
        name_en: format!("Test {code}"),
        level,
        parent: parent.map(Into::into),
        label: boundary.as_ref().map(|_| Point::new(125.05, 46.55)),
        boundary,
        households: (level == Level::Grid).then_some(420),
        retired: false,
    }
}

/// City C → districts D1, D2 → street S1 (in D1) → grid G1.
fn small_city() -> Vec<Unit> {
    vec![
        unit("C", Level::City, None, None),
        unit(
            "D1",
            Level::District,
            Some("C"),
            Some(square(125.0, 46.5, 0.1)),
        ),
        unit(
            "D2",
            Level::District,
            Some("C"),
            Some(square(125.1, 46.5, 0.1)),
        ),
        unit(
            "S1",
            Level::Street,
            Some("D1"),
            Some(square(125.0, 46.5, 0.1)),
        ),
        unit(
            "G1",
            Level::Grid,
            Some("S1"),
            Some(square(125.0, 46.5, 0.05)),
        ),
    ]
}

async fn seeded(url: &str) -> Store {
    let store = open(url).await;
    store.insert_units(&ctx(), &small_city()).await.unwrap();
    store
}

fn staff(username: &str, role: Role, scope: Scope) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: "王芳".into(),
        role,
        scope,
        phone: Some("13812345678".into()),
    }
}

async fn migrations_are_idempotent_and_concurrent(url: String) {
    // Three servers starting at once against one database.
    let opens = (0..3).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { Store::open(&url, &OpenOptions::default()).await })
    });
    for handle in opens {
        handle.await.unwrap().expect("concurrent open + migrate");
    }
    let store = open(&url).await;
    store.migrate().await.unwrap();
    let (known, applied) = store.migration_status().await.unwrap();
    assert_eq!(known as i64, applied);
    assert!(known >= 1);
}

async fn units_round_trip(url: String) {
    let store = seeded(&url).await;
    let units = store.units().await.unwrap();
    assert_eq!(units.len(), 5);
    // Parents first.
    assert_eq!(units[0].unit.code, "C");
    let g1 = store.unit("G1").await.unwrap();
    assert_eq!(g1.unit, small_city()[4]);
    assert_eq!(g1.created_at, T0);
    assert!(matches!(
        store.unit("nope").await,
        Err(StoreError::NotFound)
    ));
}

async fn duplicate_units_import_nothing(url: String) {
    let store = seeded(&url).await;
    let before = store.unit_count().await.unwrap();
    let batch = vec![
        unit("S2", Level::Street, Some("D2"), None),
        unit("G1", Level::Grid, Some("S1"), None), // exists already
    ];
    let err = store.insert_units(&ctx(), &batch).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("G1")),
        "{err:?}"
    );
    assert_eq!(store.unit_count().await.unwrap(), before, "all or nothing");
    assert!(matches!(store.unit("S2").await, Err(StoreError::NotFound)));
}

async fn retire_is_recorded_and_never_deletes(url: String) {
    let store = seeded(&url).await;
    let c = ctx().with_reason(Some("merged into G2".into()));
    store.retire_unit(&c, "G1").await.unwrap();
    let g1 = store.unit("G1").await.unwrap();
    assert!(g1.unit.retired);
    assert_eq!(g1.retired_at, Some(T0));
    assert!(matches!(
        store.retire_unit(&c, "G1").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.retire_unit(&c, "XX").await,
        Err(StoreError::NotFound)
    ));
    let events = store
        .audit_events(&grassroots_store::AuditFilter {
            action: Some("unit.retire".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].record.reason.as_deref(), Some("merged into G2"));
}

async fn users_sessions_and_tokens(url: String) {
    let store = seeded(&url).await;
    let id = store
        .create_user(
            &ctx(),
            &staff("grid.one", Role::GridWorker, Scope::Unit("G1".into())),
            Some("$argon2id$x"),
        )
        .await
        .unwrap();
    let dup = store
        .create_user(
            &ctx(),
            &staff("grid.one", Role::GridWorker, Scope::Unit("G1".into())),
            None,
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(ref m)) if m.contains("grid.one")));

    let login = store.user_for_login("grid.one").await.unwrap().unwrap();
    assert_eq!(login.user.id, id);
    assert_eq!(login.password_hash.as_deref(), Some("$argon2id$x"));
    assert!(store.user_for_login("nobody").await.unwrap().is_none());

    store
        .create_session(&ctx(), id, "h1", T0 + 1_000)
        .await
        .unwrap();
    let actor = store.session_actor("h1", T0 + 999).await.unwrap().unwrap();
    assert_eq!(actor.username, "grid.one");
    assert_eq!(actor.scope, Scope::Unit("G1".into()));
    assert!(
        store
            .session_actor("h1", T0 + 1_000)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.session_actor("other", T0).await.unwrap().is_none());
    store.end_session(&ctx(), "h1").await.unwrap();
    assert!(
        store.session_actor("h1", T0).await.unwrap().is_none(),
        "logged out"
    );

    let tid = store
        .create_api_token(&ctx(), id, "ci", "t1")
        .await
        .unwrap();
    assert_eq!(store.api_token_owner(tid).await.unwrap(), id);
    assert_eq!(store.token_actor("t1").await.unwrap().unwrap().user_id, id);
    store.revoke_api_token(&ctx(), tid).await.unwrap();
    assert!(store.token_actor("t1").await.unwrap().is_none());
    assert!(matches!(
        store.revoke_api_token(&ctx(), tid).await,
        Err(StoreError::NotFound)
    ));
}

async fn role_change_and_disable_revoke_credentials(url: String) {
    let store = seeded(&url).await;
    let id = store
        .create_user(
            &ctx(),
            &staff("street.one", Role::StreetStaff, Scope::Unit("S1".into())),
            Some("h"),
        )
        .await
        .unwrap();
    store
        .create_session(&ctx(), id, "s1", T0 + 10_000_000)
        .await
        .unwrap();
    store
        .create_api_token(&ctx(), id, "x", "tok")
        .await
        .unwrap();
    store
        .set_role(&ctx(), id, Role::DistrictStaff, &Scope::Unit("D1".into()))
        .await
        .unwrap();
    assert!(store.session_actor("s1", T0).await.unwrap().is_none());
    assert!(store.token_actor("tok").await.unwrap().is_none());
    let u = store.user(id).await.unwrap();
    assert_eq!(
        (u.role, u.scope),
        (Role::DistrictStaff, Scope::Unit("D1".into()))
    );

    store
        .create_session(&ctx(), id, "s2", T0 + 10_000_000)
        .await
        .unwrap();
    store.set_disabled(&ctx(), id, true).await.unwrap();
    assert!(store.session_actor("s2", T0).await.unwrap().is_none());
    assert!(store.user(id).await.unwrap().disabled);
    // A new session for a disabled account does not authenticate either.
    store
        .create_session(&ctx(), id, "s3", T0 + 10_000_000)
        .await
        .unwrap();
    assert!(store.session_actor("s3", T0).await.unwrap().is_none());
    store.set_disabled(&ctx(), id, false).await.unwrap();
    assert!(store.session_actor("s3", T0).await.unwrap().is_some());
    assert!(matches!(
        store.set_disabled(&ctx(), 9999, true).await,
        Err(StoreError::NotFound)
    ));
}

async fn directory_filters_by_jurisdiction(url: String) {
    let store = seeded(&url).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_departments(
        &ctx(),
        &[grassroots_core::accounts::Department {
            code: "D2-HS".into(),
            name: "住建局".into(),
            name_en: "Housing".into(),
            kind: "housing".into(),
            unit: "D2".into(),
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for (name, role, scope) in [
        ("g1", Role::GridWorker, Scope::Unit("G1".into())),
        ("s1", Role::StreetStaff, Scope::Unit("S1".into())),
        ("d2", Role::DistrictStaff, Scope::Unit("D2".into())),
        (
            "h2",
            Role::DepartmentStaff,
            Scope::Department("D2-HS".into()),
        ),
        ("res", Role::Resident, Scope::None),
    ] {
        store
            .create_user(&ctx(), &staff(name, role, scope), None)
            .await
            .unwrap();
    }
    let names = |users: Vec<grassroots_store::StoredUser>| {
        users.into_iter().map(|u| u.username).collect::<Vec<_>>()
    };
    let within = |codes: &[&str]| UserFilter {
        within_units: Some(codes.iter().map(|c| (*c).to_string()).collect()),
        limit: 100,
        ..UserFilter::default()
    };
    assert_eq!(
        names(store.users(&within(&["D1", "S1", "G1"])).await.unwrap()),
        ["g1", "s1"]
    );
    assert_eq!(
        names(store.users(&within(&["D2"])).await.unwrap()),
        ["d2", "h2"]
    );
    assert_eq!(
        names(
            store
                .users(&UserFilter {
                    department: Some("D2-HS".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
        ),
        ["h2"]
    );
    assert_eq!(
        names(
            store
                .users(&UserFilter {
                    role: Some(Role::Resident),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
        ),
        ["res"]
    );
    assert_eq!(
        store
            .users(&UserFilter {
                limit: 2,
                offset: 4,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store.users(&within(&[])).await.unwrap().is_empty());
}

async fn personal_data_reads_are_audited(url: String) {
    let store = seeded(&url).await;
    let id = store
        .create_user(
            &ctx(),
            &staff("g1", Role::GridWorker, Scope::Unit("G1".into())),
            None,
        )
        .await
        .unwrap();
    let c = ctx().with_reason(Some("call back about case".into()));
    assert_eq!(
        store.reveal_phone(&c, id).await.unwrap().as_deref(),
        Some("13812345678")
    );
    let events = store
        .audit_events(&grassroots_store::AuditFilter {
            object_id: Some(id.to_string()),
            action: Some("user.reveal_phone".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0].record;
    assert_eq!(e.fields, ["phone"]);
    assert_eq!(e.reason.as_deref(), Some("call back about case"));
    // The audit trail records names of fields, never the values.
    let all = store
        .audit_events(&grassroots_store::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    let dump = serde_json::to_string(&all).unwrap();
    assert!(!dump.contains("13812345678"));
    assert!(matches!(
        store.reveal_phone(&c, 424242).await,
        Err(StoreError::NotFound)
    ));
}

async fn every_change_is_audited_and_chain_verifies(url: String) {
    let store = seeded(&url).await;
    // 5 units → 5 events.
    assert_eq!(
        store.verify_audit(|_| {}).await.unwrap(),
        VerifyOutcome::Intact { events: 5 }
    );
    let id = store
        .create_user(
            &ctx(),
            &staff("a", Role::Admin, Scope::Unit("C".into())),
            None,
        )
        .await
        .unwrap();
    store.set_password(&ctx(), id, "h").await.unwrap();
    let events = store
        .audit_events(&grassroots_store::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 7);
    assert_eq!(events[0].record.action, "user.set_password");
    assert_eq!(events[0].record.request_id.as_deref(), Some("req-1"));
    assert_eq!(events[1].record.action, "user.create");
    assert_eq!(
        store.verify_audit(|_| {}).await.unwrap(),
        VerifyOutcome::Intact { events: 7 }
    );
    // A failed change leaves no event behind.
    let _ = store.set_password(&ctx(), 9999, "h").await.unwrap_err();
    assert_eq!(
        store.verify_audit(|_| {}).await.unwrap(),
        VerifyOutcome::Intact { events: 7 }
    );
}

async fn audit_rows_refuse_update_and_delete(url: String) {
    let store = seeded(&url).await;
    let upd = sqlx::query("UPDATE audit_events SET actor = 'x' WHERE seq = 1")
        .execute(store.pool())
        .await;
    assert!(upd.is_err(), "update must be refused");
    let del = sqlx::query("DELETE FROM audit_events WHERE seq = 1")
        .execute(store.pool())
        .await;
    assert!(del.is_err(), "delete must be refused");
    assert_eq!(
        store.verify_audit(|_| {}).await.unwrap(),
        VerifyOutcome::Intact { events: 5 }
    );
}

/// Someone with database access drops the guard and edits rows directly.
async fn disable_guards(store: &Store) {
    let sql: &[&str] = match store.backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
        ],
        Backend::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
    };
    for s in sql {
        sqlx::query(s).execute(store.pool()).await.unwrap();
    }
}

async fn broken(store: &Store) -> ChainBreak {
    match store.verify_audit(|_| {}).await.unwrap() {
        VerifyOutcome::Broken(b) => b,
        VerifyOutcome::Intact { events } => panic!("tampering not detected ({events} events)"),
    }
}

async fn tampering_is_detected(url: String) {
    // Edit a field.
    let store = seeded(&url).await;
    disable_guards(&store).await;
    sqlx::query("UPDATE audit_events SET actor = 'nobody' WHERE seq = 3")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(broken(&store).await, ChainBreak::Tampered { seq: 3 });

    // Delete a row in the middle.
    let store = seeded(&fresh(&url).await).await;
    disable_guards(&store).await;
    sqlx::query("DELETE FROM audit_events WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(broken(&store).await.first_bad_seq(), 2);

    // Delete the newest row (truncation).
    let store = seeded(&fresh(&url).await).await;
    disable_guards(&store).await;
    sqlx::query("DELETE FROM audit_events WHERE seq = 5")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(
        broken(&store).await,
        ChainBreak::Truncated { last: 4, head: 5 }
    );

    // Reorder: swap the sequence numbers of two rows.
    let store = seeded(&fresh(&url).await).await;
    disable_guards(&store).await;
    for s in [
        "UPDATE audit_events SET seq = -2 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = -2",
    ] {
        sqlx::query(s).execute(store.pool()).await.unwrap();
    }
    assert_eq!(broken(&store).await.first_bad_seq(), 2);
}

/// A second, fresh database of the same backend.
async fn fresh(url: &str) -> String {
    if url.starts_with("sqlite") {
        testing::sqlite_url()
    } else {
        testing::postgres_url().await.unwrap().unwrap()
    }
}

async fn concurrent_writers_keep_one_chain(url: String) {
    let store = seeded(&url).await;
    let writers = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let name = format!("user{i:02}");
            store
                .create_user(&ctx(), &staff(&name, Role::Resident, Scope::None), None)
                .await
                .unwrap()
        })
    });
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(
        store.verify_audit(|_| {}).await.unwrap(),
        VerifyOutcome::Intact { events: 5 + 16 }
    );
    assert_eq!(store.user_count().await.unwrap(), 16);
}

async fn login_codes_are_single_use_limited_and_expire(url: String) {
    use grassroots_store::{CodePolicy, IssueRefusal};
    let store = open(&url).await;
    let policy = CodePolicy::default();
    let params = serde_json::json!({"code": "123456"});
    let at = |t: i64| Ctx::system(t);
    let issue = |t: i64, hash: &'static str| {
        let store = store.clone();
        let params = params.clone();
        async move {
            store
                .issue_login_code(&at(t), "13700001111", hash, &params, &policy)
                .await
                .unwrap()
        }
    };
    assert_eq!(issue(T0, "h1").await, Ok(()));
    assert_eq!(
        issue(T0 + 1_000_000, "h2").await,
        Err(IssueRefusal::TooSoon)
    );
    // The message waits in the outbox, in the same transaction.
    assert_eq!(store.outbox_counts().await.unwrap().pending, 1);
    // Wrong, then right: single use.
    assert!(
        !store
            .use_login_code("13700001111", "bad", T0, &policy)
            .await
            .unwrap()
    );
    assert!(
        store
            .use_login_code("13700001111", "h1", T0, &policy)
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_login_code("13700001111", "h1", T0, &policy)
            .await
            .unwrap()
    );
    // Five wrong tries kill a code, even for the right one afterwards.
    let t1 = T0 + 61_000_000;
    assert_eq!(issue(t1, "h3").await, Ok(()));
    for _ in 0..policy.max_attempts {
        assert!(
            !store
                .use_login_code("13700001111", "bad", t1, &policy)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .use_login_code("13700001111", "h3", t1, &policy)
            .await
            .unwrap()
    );
    // Expired codes do not work; five codes an hour at most.
    let t2 = t1 + 61_000_000;
    assert_eq!(issue(t2, "h4").await, Ok(()));
    assert!(
        !store
            .use_login_code("13700001111", "h4", t2 + policy.ttl, &policy)
            .await
            .unwrap()
    );
    let t3 = t2 + 61_000_000;
    assert_eq!(issue(t3, "h5").await, Ok(()));
    let t4 = t3 + 61_000_000;
    assert_eq!(issue(t4, "h6").await, Ok(()));
    assert_eq!(
        issue(t4 + 61_000_000, "h7").await,
        Err(IssueRefusal::TooMany)
    );
    // Each issue is on the record, never with the phone in clear.
    let events = store
        .audit_events(&grassroots_store::AuditFilter {
            action: Some("auth.code_issue".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 5);
    assert!(
        !serde_json::to_string(&events)
            .unwrap()
            .contains("13700001111")
    );
    // The first verified sign-in creates the resident, the next finds it.
    let a = store
        .resident_for_phone(&at(t4), "13700001111")
        .await
        .unwrap();
    let b = store
        .resident_for_phone(&at(t4), "13700001111")
        .await
        .unwrap();
    assert_eq!((a.id, a.role), (b.id, Role::Resident));
}

async fn questions_are_asked_followed_answered_and_audited(url: String) {
    use grassroots_core::accounts::Department;
    use grassroots_core::appeals::calendar::HolidayCalendar;
    use grassroots_core::questions::{Command, Status};
    use grassroots_store::{NewQuestionRow, QuestionFilter};

    let store = seeded(&url).await;
    let mut tx = store.write().await.unwrap();
    let dept = |code: &str| Department {
        code: code.into(),
        name: format!("部门{code}"),
        name_en: format!("Dept {code}"),
        kind: "housing".into(),
        unit: "D1".into(),
    };
    tx.insert_departments(&ctx(), &[dept("D1-ZJ"), dept("D1-HS")])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let resident = store
        .create_user(
            &ctx(),
            &NewUser {
                username: "r1".into(),
                display_name: "李雷".into(),
                role: Role::Resident,
                scope: Scope::None,
                phone: None,
            },
            None,
        )
        .await
        .unwrap();
    let due = T0 + 7 * 86_400_000_000;
    let ask = |title: &'static str, by: Option<i64>| NewQuestionRow {
        department: "D1-ZJ",
        title,
        body: "请问具体怎么办理，需要哪些材料？",
        asked_by: by,
        answer_by: due,
    };
    let a = store
        .ask_question(&ctx(), &ask("加装电梯100%补贴吗", Some(resident)))
        .await
        .unwrap();
    let b = store
        .ask_question(&ctx(), &ask("供暖费何时交", None))
        .await
        .unwrap();
    let q = store.question(a).await.unwrap().unwrap();
    assert_eq!(q.state.status, Status::Open);
    assert_eq!(
        (q.asked_by, q.state.answer_by, q.followers),
        (Some(resident), due, 0)
    );
    assert!(store.question(999_999).await.unwrap().is_none());

    // Filters: search takes % literally; my questions; the queue by deadline.
    let all = QuestionFilter {
        limit: 50,
        ..QuestionFilter::default()
    };
    let ids = |v: Vec<grassroots_store::StoredQuestion>| v.iter().map(|q| q.id).collect::<Vec<_>>();
    assert_eq!(ids(store.questions(&all).await.unwrap()), [b, a]);
    let search = |s: &str| QuestionFilter {
        search: Some(s.into()),
        ..all.clone()
    };
    assert_eq!(ids(store.questions(&search("100%")).await.unwrap()), [a]);
    assert_eq!(ids(store.questions(&search("0%补")).await.unwrap()), [a]);
    assert!(store.questions(&search("1_0")).await.unwrap().is_empty());
    let mine = QuestionFilter {
        asked_by: Some(resident),
        ..all.clone()
    };
    assert_eq!(ids(store.questions(&mine).await.unwrap()), [a]);
    assert_eq!(store.count_questions(&all).await.unwrap(), 2);
    assert_eq!(
        store.question_titles(Some("D1-HS"), 10).await.unwrap(),
        Vec::<(i64, String)>::new()
    );
    assert_eq!(store.question_titles(None, 1).await.unwrap().len(), 1);

    // Following is idempotent and counted.
    let c = ctx();
    assert!(store.follow_question(&c, b, resident).await.unwrap());
    assert!(!store.follow_question(&c, b, resident).await.unwrap());
    assert!(store.is_following(b, resident).await.unwrap());
    assert_eq!(store.question(b).await.unwrap().unwrap().followers, 1);
    let followed = QuestionFilter {
        followed_by: Some(resident),
        ..all.clone()
    };
    assert_eq!(ids(store.questions(&followed).await.unwrap()), [b]);
    assert!(matches!(
        store.follow_question(&c, 424_242, resident).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.unfollow_question(&c, b, resident).await.unwrap());
    assert!(!store.unfollow_question(&c, b, resident).await.unwrap());
    assert_eq!(store.question(b).await.unwrap().unwrap().followers, 0);

    // The overdue job's pick, a step saved, and a stale version refused.
    let mut tx = store.write().await.unwrap();
    assert!(tx.overdue_questions(due - 1, 10).await.unwrap().is_empty());
    assert_eq!(tx.overdue_questions(due, 10).await.unwrap(), [a, b]);
    let before = tx.question_for_update(a).await.unwrap();
    let cal = HolidayCalendar::builtin();
    let (after, event) = before
        .state
        .apply(
            Command::Answer {
                text: "您好，补贴按面积计算，详见通知。".into(),
            },
            due + 1,
            &cal,
        )
        .unwrap();
    tx.save_question_step(&c, a, before.state.version, &after, &event)
        .await
        .unwrap();
    let again = tx
        .save_question_step(&c, a, before.state.version, &after, &event)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    tx.commit().await.unwrap();
    let answered = store.question(a).await.unwrap().unwrap();
    assert_eq!(answered.state.status, Status::Answered);
    assert_eq!(
        answered.answer.as_deref(),
        Some("您好，补贴按面积计算，详见通知。")
    );
    assert!(answered.late);
    let overdue = QuestionFilter {
        overdue_at: Some(due),
        ..all.clone()
    };
    assert_eq!(ids(store.questions(&overdue).await.unwrap()), [b]);
    let timeline = store.question_timeline(a).await.unwrap();
    let actions: Vec<_> = timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["question.ask", "question.answer"]);

    // Every change is in the chain.
    let events = store
        .audit_events(&grassroots_store::AuditFilter {
            object_type: Some("question".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut audited: Vec<_> = events.iter().map(|e| e.record.action.as_str()).collect();
    audited.sort_unstable();
    assert_eq!(
        audited,
        [
            "question.answer",
            "question.ask",
            "question.ask",
            "question.follow",
            "question.unfollow"
        ]
    );
    assert!(matches!(
        store.verify_audit(|_| {}).await.unwrap(),
        VerifyOutcome::Intact { .. }
    ));
}
