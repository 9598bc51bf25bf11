//! Early warning over the appeals: the daily scan finds a planted rise in one grid, the
//! alert goes to that grid's staff (and the units above), never to another district, and
//! every response is audited.

use grassroots_web::ops::warning;

use super::*;

grassroots_store::on_both_backends!(
    a_rise_in_one_grid_becomes_an_alert_for_its_units,
    baselines_collective_and_repeated_matters_reach_the_right_units
);

async fn admin(env: &Env) -> String {
    let hash = grassroots_web::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut tx = env.store.write().await.unwrap();
    let user = NewUser {
        username: "admin".into(),
        display_name: "管理员".into(),
        role: Role::Admin,
        scope: Scope::Unit("C".into()),
        phone: None,
    };
    tx.create_user(&Ctx::system(1_790_000_000_000_000), &user, Some(&hash))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    env.login("admin").await
}

async fn a_rise_in_one_grid_becomes_an_alert_for_its_units(url: String) {
    let env = setup(url).await;
    let admin = admin(&env).await;
    let hotline = env.login("hotline").await;

    // Rules: only admins, checked field by field.
    // The scan alone: the same spots every day would otherwise be collective matters.
    let rules = json!({"min_recurrence_days": 50, "max_radius_km": 1.0, "max_days": 3,
                       "study_days": 28, "replicas": 199, "baselines": [],
                       "collective_min_appeals": 10000});
    let r = env
        .send(
            Method::PUT,
            "/api/v1/admin/warn-rules",
            Some(&hotline),
            Some(rules.clone()),
            "zh-CN",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let bad = json!({"max_days": 0});
    let r = env
        .send(
            Method::PUT,
            "/api/v1/admin/warn-rules",
            Some(&admin),
            Some(bad),
            "en",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(code(&r), "invalid_input");
    assert_eq!(r.body["error"]["field"], "max_days", "{}", r.body);
    let r = env
        .send(
            Method::PUT,
            "/api/v1/admin/warn-rules",
            Some(&admin),
            Some(rules),
            "zh-CN",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Four weeks of one appeal a day in each grid, then ten more a day in G3 on the last two
    // days (Saturday 21st and Sunday 22nd of November 2026).
    const IN_G2: (f64, f64) = (125.07, 46.55);
    let day0: jiff::Timestamp = "2026-10-26T02:00:00Z".parse().unwrap();
    for d in 0..28i64 {
        env.clock.set(
            day0.checked_add(jiff::SignedDuration::from_hours(24 * d))
                .unwrap(),
        );
        for at in [IN_G1, IN_G2, IN_G3] {
            env.file("urban.sanitation", at, Some(&hotline)).await;
        }
        if d >= 26 {
            for _ in 0..10 {
                env.file("urban.sanitation", IN_G3, Some(&hotline)).await;
            }
        }
    }
    env.clock.set("2026-11-23T01:00:00Z".parse().unwrap());

    let r = env
        .post("/api/v1/admin/warn/run", Some(&hotline), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env
        .post(
            "/api/v1/admin/warn/run",
            Some(&admin),
            json!({"day": "22/11/2026"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env
        .post("/api/v1/admin/warn/run", Some(&admin), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["analysis_day"], "2026-11-22");
    assert_eq!(r.body["scans"], 1);
    assert_eq!(r.body["alerts_raised"], 1, "{}", r.body);
    // A rerun of the day raises nothing twice.
    let r = env
        .post(
            "/api/v1/admin/warn/run",
            Some(&admin),
            json!({"day": "2026-11-22"}),
        )
        .await;
    assert_eq!(r.body["alerts_raised"], 0, "{}", r.body);

    // The grid's worker and the district above see it; the other district does not.
    let grid3 = env.login("grid3").await;
    let r = env.get("/api/v1/alerts?status=open", Some(&grid3)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.body);
    let alert = &items[0];
    let id = alert["id"].as_i64().unwrap();
    assert_eq!(alert["unit"]["code"], "G3");
    assert_eq!(alert["evidence"]["grids"], json!(["G3"]));
    assert_eq!(alert["evidence"]["end"], "2026-11-22");
    let observed = alert["evidence"]["observed"].as_u64().unwrap();
    assert!(observed >= 12, "{alert}");
    assert!(alert["evidence"]["recurrence_days"].as_f64().unwrap() >= 50.0);
    let district2 = env.login("district2").await;
    assert_eq!(
        env.get("/api/v1/alerts", Some(&district2)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let district1 = env.login("district1").await;
    let r = env.get("/api/v1/alerts", Some(&district1)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["items"].as_array().unwrap().is_empty());
    let r = env
        .get(&format!("/api/v1/alerts/{id}"), Some(&district1))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for who in ["hotline", "resident", "auditor"] {
        let auth = env.login(who).await;
        assert_eq!(
            env.get("/api/v1/alerts", Some(&auth)).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    assert_eq!(
        env.get("/api/v1/alerts", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        env.get("/api/v1/alerts/999999", Some(&grid3)).await.status,
        StatusCode::NOT_FOUND
    );

    // The evidence: the grid on a map and the cases behind it, without contact data.
    let r = env.get(&format!("/api/v1/alerts/{id}"), Some(&grid3)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["grids"][0]["code"], "G3");
    let appeals = r.body["appeals"].as_array().unwrap();
    assert_eq!(appeals.len() as u64, observed, "{}", r.body);
    assert!(!r.body.to_string().contains("13800138000"));

    // Responses: a dismissal needs a reason; acknowledging twice or acting on a closed alert
    // is a conflict.
    let path = format!("/api/v1/alerts/{id}/actions");
    let act = |body: Value| env.post(&path, Some(&grid3), body);
    let r = act(json!({"action": "dismiss", "reason": "  "})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["field"], "reason");
    let r = act(json!({"action": "escalate"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = act(json!({"action": "acknowledge"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "acknowledged");
    assert_eq!(
        act(json!({"action": "acknowledge"})).await.status,
        StatusCode::CONFLICT
    );
    let r = env
        .post(
            &format!("/api/v1/alerts/{id}/actions"),
            Some(&district1),
            json!({"action": "dismiss", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = act(json!({"action": "act", "note": "约谈物业，环卫所增派清运车"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "acted");
    assert_eq!(r.body["note"], "约谈物业，环卫所增派清运车");
    assert_eq!(
        act(json!({"action": "dismiss", "reason": "重复"}))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Every change on the record: raised, acknowledged, acted on.
    let events = env
        .store
        .audit_events(&AuditFilter {
            object_type: Some("alert".into()),
            object_id: Some(id.to_string()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(
        actions,
        ["alert.act", "alert.acknowledge", "alert.raise"],
        "newest first"
    );

    // The daily job: once for yesterday, then nothing until tomorrow.
    let now = env.state.now_micros();
    let first = warning::daily(&env.state, now).await.unwrap().unwrap();
    assert_eq!(first.analysis_day, "2026-11-22");
    assert_eq!(first.alerts_raised, 0);
    assert!(warning::daily(&env.state, now).await.unwrap().is_none());
}

/// Alerts of one method, as `who` sees them.
async fn alerts_of(env: &Env, who: &str, method: &str) -> Vec<Value> {
    let r = env.get("/api/v1/alerts", Some(who)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["method"] == method)
        .cloned()
        .collect()
}

async fn baselines_collective_and_repeated_matters_reach_the_right_units(url: String) {
    let env = setup(url).await;
    let admin = admin(&env).await;
    let hotline = env.login("hotline").await;
    let grid1 = env.login("grid1").await;
    let rules = json!({"min_recurrence_days": 50, "max_radius_km": 1.0, "max_days": 3,
                       "study_days": 56, "replicas": 199,
                       "baselines": [{"method": "poisson_cusum", "false_alerts_per_year": 12}],
                       "baseline_level": "community",
                       "collective_min_requesters": 3, "collective_min_appeals": 4,
                       "collective_days": 7, "repeat_min_returns": 2, "repeat_days": 30});
    let r = env
        .send(
            Method::PUT,
            "/api/v1/admin/warn-rules",
            Some(&admin),
            Some(rules),
            "en",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Eight weeks of one or two appeals a day in each community, each at its own spot; then
    // six a day in K3 on the last two days.
    let day0: jiff::Timestamp = "2026-09-28T02:00:00Z".parse().unwrap();
    let at_day = |d: i64| {
        day0.checked_add(jiff::SignedDuration::from_hours(24 * d))
            .unwrap()
    };
    // The same leak at one building in G1, "resolved" twice, reported a third time.
    const LEAK: (f64, f64) = (125.04, 46.56);
    let mut leak_ids = Vec::new();
    for d in 0..56i64 {
        env.clock.set(at_day(d));
        let spot = 0.001 * d as f64;
        let n = if d % 3 == 0 { 2 } else { 1 };
        for i in 0..n {
            let k = f64::from(i) * 0.0007;
            env.file(
                "urban.sanitation",
                (125.02 + spot + k, 46.52),
                Some(&hotline),
            )
            .await;
            env.file(
                "urban.sanitation",
                (125.11 + spot + k, 46.55),
                Some(&hotline),
            )
            .await;
        }
        if d >= 54 {
            for i in 0..5 {
                let p = (125.12 + 0.001 * f64::from(i), 46.53 + spot);
                env.file("urban.sanitation", p, Some(&hotline)).await;
            }
        }
        if [10, 20, 30].contains(&d) {
            let f = env.file("urban.sanitation", LEAK, Some(&hotline)).await;
            let id = f["id"].as_i64().unwrap();
            leak_ids.push(id);
            if d < 30 {
                env.step(id, &grid1, json!({"action": "sign"})).await;
                let r = env
                    .step(id, &grid1, json!({"action": "reply", "text": "已维修"}))
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                let code = f["tracking_code"].as_str().unwrap();
                let r = env
                    .post(
                        &format!("/api/v1/track/{code}/actions"),
                        None,
                        json!({"action": "rate", "resolved": true, "satisfaction": "satisfied"}),
                    )
                    .await;
                assert_eq!(r.body["status"], "closed", "{}", r.body);
            }
        }
    }
    // The last day: one complaint that two more residents join, and four reports about one
    // building's heating.
    const GATE: (f64, f64) = (125.03, 46.58);
    const BOILER: (f64, f64) = (125.07, 46.58);
    let first = env.file("urban.sanitation", GATE, Some(&hotline)).await["id"]
        .as_i64()
        .unwrap();
    for _ in 0..2 {
        let dup = env.file("urban.sanitation", GATE, Some(&hotline)).await["id"]
            .as_i64()
            .unwrap();
        let r = env
            .step(dup, &hotline, json!({"action": "merge", "target": first}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    for _ in 0..4 {
        env.file("heating.no_heat", BOILER, Some(&hotline)).await;
    }
    env.clock.set("2026-11-23T01:00:00Z".parse().unwrap());

    let r = env
        .post("/api/v1/admin/warn/run", Some(&admin), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["analysis_day"], "2026-11-22");
    let by = &r.body["raised_by_method"];
    // K3's rise, and in K1 the day's unusual reports (the heating series had none before).
    assert!(by["poisson_cusum"].as_u64().unwrap() >= 1, "{}", r.body);
    assert_eq!(by["collective_requesters"], 1, "{}", r.body);
    assert_eq!(by["collective_object"], 1, "{}", r.body);
    assert_eq!(by["repeat_unresolved"], 1, "{}", r.body);
    assert!(r.body["series"].as_u64().unwrap() >= 2, "{}", r.body);

    // The CUSUM flags K3's rise; K3 is in the other district.
    let district2 = env.login("district2").await;
    let cusum = alerts_of(&env, &district2, "poisson_cusum").await;
    assert_eq!(cusum.len(), 1);
    assert_eq!(cusum[0]["unit"]["code"], "K3");
    assert_eq!(cusum[0]["evidence"]["today"], 6);
    assert!(
        cusum[0]["evidence"]["statistic"].as_f64().unwrap()
            >= cusum[0]["evidence"]["threshold"].as_f64().unwrap()
    );
    // The last three days: 1, 2 + 5 and 1 + 5.
    assert_eq!(cusum[0]["appeal_count"], 14, "{}", cusum[0]);
    let district1 = env.login("district1").await;
    assert!(
        alerts_of(&env, &district1, "poisson_cusum")
            .await
            .iter()
            .all(|a| a["unit"]["code"] == "K1")
    );

    // Collective matters go to the street; the community below does not get them.
    let street1 = env.login("street1").await;
    let community1 = env.login("community1").await;
    let joined = alerts_of(&env, &street1, "collective_requesters").await;
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0]["unit"]["code"], "S1");
    assert_eq!(joined[0]["evidence"]["count"], 3);
    let building = alerts_of(&env, &street1, "collective_object").await;
    assert_eq!(building.len(), 1, "{building:?}");
    assert_eq!(building[0]["category_group"], "heating");
    assert_eq!(building[0]["appeal_count"], 4);
    assert!(
        alerts_of(&env, &community1, "collective_requesters")
            .await
            .is_empty()
    );

    // The leak came back twice after G1 closed it: the alert goes above G1, to K1.
    let repeat = alerts_of(&env, &community1, "repeat_unresolved").await;
    assert_eq!(repeat.len(), 1);
    assert_eq!(repeat[0]["unit"]["code"], "K1");
    assert_eq!(repeat[0]["evidence"]["count"], 2);
    assert_eq!(repeat[0]["evidence"]["handler"]["code"], "G1");
    let r = env
        .get(
            &format!("/api/v1/alerts/{}", repeat[0]["id"]),
            Some(&community1),
        )
        .await;
    let ids: Vec<i64> = r.body["appeals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{}", r.body);
    assert!(leak_ids.iter().all(|id| ids.contains(id)));
    assert!(
        alerts_of(&env, &grid1, "repeat_unresolved")
            .await
            .is_empty()
    );

    // The next day the same matters are not raised again.
    let r = env
        .post(
            "/api/v1/admin/warn/run",
            Some(&admin),
            json!({"day": "2026-11-23"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for method in [
        "collective_requesters",
        "collective_object",
        "repeat_unresolved",
    ] {
        assert!(
            r.body["raised_by_method"].get(method).is_none(),
            "{}",
            r.body
        );
    }
}
