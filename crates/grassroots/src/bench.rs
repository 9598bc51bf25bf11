//! `grassroots bench`: figures, not pass/fail tests.
//!
//! - `intake`: HTTP submissions per second on loopback at a given
//!   concurrency against a real server, with p50/p99 latency, and in the
//!   same run the raw rate of single-row durable inserts into the same
//!   database (the physical limit of one fsync per commit).
//! - `measures`: latency of `GET /api/v1/measures` for every district and
//!   a sample of streets, communities and grids.
//! - `pages`: render time of the staff inbox and the dashboard at each
//!   level, and the first-load weight of the main pages with their assets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use grassroots_core::clock::SystemClock;
use grassroots_core::territory::Level;
use grassroots_store::Store;
use grassroots_web::{AppState, WebConfig};

use crate::progress;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Serve `store` on 127.0.0.1:0 in this process; returns the base URL.
async fn start_server(store: Store) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let atlas = grassroots_web::load_atlas(&store)
        .await
        .map_err(|e| anyhow::anyhow!("loading the territory: {:?}", e.code))?;
    let config = WebConfig {
        job_interval: None,
        // A load test is many clients from one address.
        submissions_per_hour: 0,
        ..WebConfig::default()
    };
    let state = AppState::new(store, Arc::new(SystemClock), config, atlas);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let _ = grassroots_web::serve(listener, state, std::future::pending()).await;
    });
    Ok((format!("http://{addr}"), handle))
}

/// Points inside grids of the territory (their label points), to submit at.
async fn grid_points(store: &Store) -> anyhow::Result<Vec<(f64, f64)>> {
    let points: Vec<(f64, f64)> = store
        .units()
        .await?
        .into_iter()
        .filter(|u| u.unit.level == Level::Grid && !u.unit.retired)
        .filter_map(|u| u.unit.label.map(|p| (p.x(), p.y())))
        .collect();
    anyhow::ensure!(
        !points.is_empty(),
        "the database has no grids: run `grassroots demo` first"
    );
    Ok(points)
}

/// Single-row durable inserts, one per transaction, one after another.
async fn raw_insert_rate(store: &Store, n: usize) -> anyhow::Result<f64> {
    let pool = store.pool();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_raw (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM bench_raw").execute(pool).await?;
    let payload = "x".repeat(400);
    let started = Instant::now();
    for i in 0..n {
        sqlx::query("INSERT INTO bench_raw (id, payload) VALUES ($1, $2)")
            .bind(i as i64)
            .bind(&payload)
            .execute(pool)
            .await?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE bench_raw").execute(pool).await?;
    Ok(rate)
}

pub async fn intake(store: Store, requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let points = Arc::new(grid_points(&store).await?);
    let raw = raw_insert_rate(&store, 2_000).await?;
    let backend = store.backend().as_str();
    let (base, server) = start_server(store).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let url = format!("{base}/api/v1/appeals");
    let bar = progress::bar("submitting");
    bar.set_length(requests as u64);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, points, next, bar) = (
            client.clone(),
            url.clone(),
            points.clone(),
            next.clone(),
            bar.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let (lon, lat) = points[i % points.len()];
                let body = serde_json::json!({
                    "category": "urban.sanitation",
                    "description": format!("压测诉求 {i}：楼下垃圾未清运"),
                    "location": {"lon": lon, "lat": lat},
                    "contact": {"name": "测试", "phone": "13800138000"},
                    "idempotency_key": format!("bench-{i:08}"),
                });
                let t0 = Instant::now();
                let ok = match client.post(&url).json(&body).send().await {
                    Ok(r) => r.status().as_u16() == 201,
                    Err(_) => false,
                };
                latencies.push(t0.elapsed());
                if !ok {
                    failures += 1;
                }
                bar.inc(1);
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await.context("a bench worker stopped")?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    server.abort();
    latencies.sort();
    let rate = (requests - failures) as f64 / elapsed.as_secs_f64();
    println!("intake benchmark ({backend}, concurrency {concurrency}, {requests} submissions)");
    println!("  acknowledged appeals/s : {rate:.0}");
    println!("  failures               : {failures}");
    println!(
        "  latency p50 / p99 / max: {:.1} / {:.1} / {:.1} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0))
    );
    println!("  raw durable inserts/s  : {raw:.0} (one row per transaction, sequential)");
    println!("  ratio intake / raw     : {:.2}", rate / raw);
    Ok(())
}

pub async fn measures(store: Store, rounds: usize) -> anyhow::Result<()> {
    let units = store.units().await?;
    let mut codes: Vec<String> = Vec::new();
    for level in [
        Level::City,
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
    ] {
        let take = match level {
            Level::City | Level::District => usize::MAX,
            _ => 30,
        };
        codes.extend(
            units
                .iter()
                .filter(|u| u.unit.level == level)
                .take(take)
                .map(|u| u.unit.code.clone()),
        );
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appeals")
        .fetch_one(store.pool())
        .await?;
    let (base, server) = start_server(store).await?;
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    let bar = progress::bar("measures");
    bar.set_length((codes.len() * rounds) as u64);
    for _ in 0..rounds {
        for code in &codes {
            let t0 = Instant::now();
            let r = client
                .get(format!("{base}/api/v1/measures?unit={code}"))
                .send()
                .await?;
            anyhow::ensure!(
                r.status().is_success(),
                "measures for {code}: {}",
                r.status()
            );
            let _ = r.bytes().await?;
            latencies.push(t0.elapsed());
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    server.abort();
    latencies.sort();
    println!(
        "measures benchmark ({} units × {rounds} rounds over {count} appeals, one year)",
        codes.len()
    );
    println!(
        "  latency p50 / p95 / max: {:.1} / {:.1} / {:.1} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 1.0))
    );
    Ok(())
}

/// Log in through the JSON API; the session cookie to send.
async fn session(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": grassroots_core::demo::DEMO_PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "login {username}: {}", r.status());
    let cookie = r
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?
        .to_owned();
    Ok(cookie)
}

/// Bytes on the wire for a page and the assets it references, as a browser
/// with an empty cache fetches them (gzip accepted).
async fn first_load(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: Option<&str>,
) -> anyhow::Result<(usize, usize)> {
    let get = |p: String| {
        let mut req = client
            .get(format!("{base}{p}"))
            .header(reqwest::header::ACCEPT_ENCODING, "gzip");
        if let Some(c) = cookie {
            req = req.header(reqwest::header::COOKIE, c);
        }
        req.send()
    };
    let page = get(path.to_owned()).await?;
    anyhow::ensure!(page.status().is_success(), "{path}: {}", page.status());
    let html = page.bytes().await?;
    // The page's own body, uncompressed, to find its assets.
    let text = {
        use std::io::Read as _;
        let mut out = String::new();
        let mut gz = flate2::read::GzDecoder::new(&html[..]);
        if gz.read_to_string(&mut out).is_err() {
            out = String::from_utf8_lossy(&html).into_owned();
        }
        out
    };
    let mut total = html.len();
    let mut assets = std::collections::BTreeSet::new();
    for attr in ["src=\"", "href=\""] {
        for piece in text.split(attr).skip(1) {
            let url = piece.split('"').next().unwrap_or("").replace("&#x2f;", "/");
            if url.starts_with("/assets/") {
                assets.insert(url);
            }
        }
    }
    for a in &assets {
        total += get(a.clone()).await?.bytes().await?.len();
    }
    Ok((total, assets.len()))
}

/// Server render time of the staff inbox and the dashboard (the whole
/// request on loopback), and the first-load weight of the main pages.
pub async fn pages(store: Store, rounds: usize) -> anyhow::Result<()> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appeals")
        .fetch_one(store.pool())
        .await?;
    let (base, server) = start_server(store).await?;
    let client = reqwest::Client::new();
    let cases: [(&str, &str); 8] = [
        ("grid", "/inbox"),
        ("community", "/inbox"),
        ("street", "/inbox"),
        ("district", "/inbox"),
        ("street", "/dashboard"),
        ("district", "/dashboard"),
        ("supervisor", "/dashboard"),
        ("supervisor", "/dashboard?metric=overdue"),
    ];
    let mut cookies = std::collections::HashMap::new();
    for (user, _) in cases {
        if !cookies.contains_key(user) {
            cookies.insert(user, session(&client, &base, user).await?);
        }
    }
    println!(
        "pages benchmark over {count} appeals: the first request of each (the dashboard's figures \
         computed), then {rounds} rounds (its figures reused within the minute)"
    );
    println!(
        "  {:<12} {:<26} {:>8} {:>8} {:>8} {:>8}",
        "as", "page", "first ms", "p50 ms", "p95 ms", "max ms"
    );
    let bar = progress::bar("pages");
    bar.set_length((cases.len() * (rounds + 1)) as u64);
    let mut lines = Vec::new();
    for (user, path) in cases {
        let cookie = &cookies[user];
        let mut latencies = Vec::with_capacity(rounds);
        let mut first = Duration::ZERO;
        for i in 0..=rounds {
            let t0 = Instant::now();
            let r = client
                .get(format!("{base}{path}"))
                .header(reqwest::header::COOKIE, cookie)
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "{path} as {user}: {}", r.status());
            let _ = r.bytes().await?;
            if i > 0 {
                latencies.push(t0.elapsed());
            } else {
                first = t0.elapsed();
            }
            bar.inc(1);
        }
        latencies.sort();
        lines.push(format!(
            "  {:<12} {:<26} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            user,
            path,
            ms(first),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.95)),
            ms(percentile(&latencies, 1.0))
        ));
    }
    bar.finish_and_clear();
    for l in lines {
        println!("{l}");
    }
    println!("  first load (page + its assets, gzip, empty cache):");
    for (user, path) in [
        (None, "/"),
        (None, "/submit"),
        (None, "/track"),
        (Some("grid"), "/inbox"),
        (Some("supervisor"), "/dashboard"),
        (Some("district"), "/dashboard"),
    ] {
        let cookie = user.map(|u| cookies.get(u).cloned().unwrap_or_default());
        let (bytes, assets) = first_load(&client, &base, path, cookie.as_deref()).await?;
        println!(
            "  {:<12} {:<26} {:>8.1} KB ({assets} assets)",
            user.unwrap_or("anonymous"),
            path,
            bytes as f64 / 1024.0
        );
    }
    server.abort();
    Ok(())
}
