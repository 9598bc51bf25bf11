//! `grassroots demo`: generate the demo city once, then reuse it.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use grassroots_core::accounts::{Role, Scope};
use grassroots_core::clock::{Clock as _, SystemClock};
use grassroots_core::demo::{self, DEMO_PASSWORD, DemoConfig};
use grassroots_store::{Ctx, Store};
use serde_json::json;

use crate::progress;

#[derive(Clone, Debug)]
pub struct Login {
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

const LOGINS_KEY: &str = "demo.logins";

/// Reuse the demo in `store`, or generate and load it. Returns the logins.
pub async fn ensure(
    store: &Store,
    seed: u64,
    scale: f64,
    appeals_per_year: u32,
) -> anyhow::Result<Vec<Login>> {
    if let Some(saved) = store.setting(LOGINS_KEY).await? {
        println!("Reusing the demo city already in this database.");
        return parse_logins(&saved);
    }
    if store.unit_count().await? > 0 {
        bail!(
            "this database already holds a territory that is not the demo; use `grassroots serve`"
        );
    }
    if !(scale.is_finite() && (0.05..=100.0).contains(&scale)) {
        bail!("--scale must be between 0.05 and 100");
    }
    let started = std::time::Instant::now();
    let bar = progress::bar("generating city");
    let gen_bar = bar.clone();
    let city = tokio::task::spawn_blocking(move || {
        demo::generate(&DemoConfig { seed, scale }, &mut |stage, done, total| {
            gen_bar.set_message(stage.to_owned());
            gen_bar.set_length(total);
            gen_bar.set_position(done);
        })
    })
    .await
    .context("demo generator stopped")??;
    let login_names: Vec<&str> = city.logins.iter().map(|l| l.username.as_str()).collect();
    // One salted hash per demo login, off the runtime.
    let mut hashes = Vec::new();
    for name in &login_names {
        let hash = grassroots_web::auth::hash_password(DEMO_PASSWORD.to_owned())
            .await
            .map_err(|e| anyhow::anyhow!("hashing: {:?}", e.code))?;
        hashes.push(((*name).to_owned(), hash));
    }
    let ctx = Ctx::system(SystemClock.now_micros())
        .with_reason(Some(format!("demo city, seed {seed}, scale {scale}")));
    let mut tx = store.write().await?;
    bar.set_message("saving units");
    bar.set_length(city.units.len() as u64);
    let unit_bar = bar.clone();
    tx.insert_units(&ctx, &city.units, &mut move |done| {
        unit_bar.set_position(done)
    })
    .await?;
    tx.insert_departments(&ctx, &city.departments).await?;
    bar.set_message("saving staff");
    bar.set_length(city.staff.len() as u64);
    let mut staff_ids = Vec::with_capacity(city.staff.len());
    for (i, user) in city.staff.iter().enumerate() {
        let hash = hashes
            .iter()
            .find(|(n, _)| *n == user.username)
            .map(|(_, h)| h.as_str());
        let id = tx.create_user(&ctx, user, hash).await?;
        staff_ids.push((user.clone(), id));
        bar.set_position(i as u64 + 1);
    }
    let logins: Vec<Login> = city
        .logins
        .iter()
        .map(|l| Login {
            username: l.username.clone(),
            role: l.role,
            scope: city
                .staff
                .iter()
                .find(|s| s.username == l.username)
                .map(|s| s.scope.clone())
                .unwrap_or(Scope::None),
        })
        .collect();
    let saved = json!(
        logins
            .iter()
            .map(|l| json!({ "username": l.username, "role": l.role, "scope": l.scope }))
            .collect::<Vec<_>>()
    );
    bar.finish_and_clear();
    let appeals = if appeals_per_year > 0 {
        crate::history::load(
            &mut tx,
            &ctx,
            &city.units,
            &city.departments,
            appeals_per_year,
            seed,
            SystemClock.now(),
        )
        .await?
    } else {
        0
    };
    // About one dispute for every twelve appeals, as in the demo's sources (see demo::disputes).
    let disputes = if appeals_per_year > 0 {
        crate::disputes::load(
            &mut tx,
            &ctx,
            &city.units,
            &staff_ids,
            (appeals_per_year / 12).max(1),
            seed,
            SystemClock.now(),
        )
        .await?
    } else {
        0
    };
    tx.put_setting(&ctx, LOGINS_KEY, &saved.to_string()).await?;
    tx.put_setting(&ctx, "demo.seed", &seed.to_string()).await?;
    tx.commit().await?;
    let questions = if appeals_per_year > 0 {
        crate::questions::load(
            store,
            crate::questions::count_for(appeals_per_year),
            seed,
            SystemClock.now(),
        )
        .await?
    } else {
        0
    };
    println!(
        "Demo city created in {:.1} s: {} units, {} departments, {} staff, {appeals} appeals, {disputes} disputes and {questions} public questions over the past year.",
        started.elapsed().as_secs_f64(),
        city.units.len(),
        city.departments.len(),
        city.staff.len()
    );
    Ok(logins)
}

fn parse_logins(saved: &str) -> anyhow::Result<Vec<Login>> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(saved).context("reading saved demo logins")?;
    rows.into_iter()
        .map(|r| {
            Ok(Login {
                username: r["username"].as_str().unwrap_or_default().to_owned(),
                role: serde_json::from_value(r["role"].clone())?,
                scope: serde_json::from_value(r["scope"].clone())?,
            })
        })
        .collect()
}

pub fn print_logins(logins: &[Login], addr: Option<SocketAddr>) {
    println!();
    println!("Demo logins (password for all: {DEMO_PASSWORD})");
    println!("  {:<12} {:<18} {:<14} scope", "username", "role", "角色");
    for l in logins {
        let scope = match &l.scope {
            Scope::None => "-".to_owned(),
            Scope::Unit(c) => format!("unit {c}"),
            Scope::Department(c) => format!("department {c}"),
        };
        println!(
            "  {:<12} {:<18} {:<14} {scope}",
            l.username,
            l.role.as_str(),
            l.role.name_zh()
        );
    }
    if let Some(addr) = addr {
        println!();
        println!("Try:  curl -s 'http://{addr}/api/v1/territory/lookup?lon=125.10&lat=46.60'");
        println!("      curl -s -c /tmp/gr.cookies -H 'content-type: application/json' \\");
        println!(
            "           -d '{{\"username\":\"admin\",\"password\":\"{DEMO_PASSWORD}\"}}' http://{addr}/api/v1/auth/login"
        );
    }
    println!();
}
