//! End-to-end: the real `grassroots` binary, real servers on 127.0.0.1:0,
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use grassroots_store::{OpenOptions, Store, testing};

const BIN: &str = env!("CARGO_BIN_EXE_grassroots");

fn grassroots(args: &[&str], db: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .env("GRASSROOTS_LOG", "warn")
        .output()
        .expect("run grassroots")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A running server and the address it printed.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(args: &[&str], db: &str) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", db)
            .env("GRASSROOTS_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("server did not start");
        Server { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, then wait: graceful shutdown must exit cleanly.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "server exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn pg() -> Option<String> {
    testing::postgres_url().await.expect("PostgreSQL required")
}

fn three_servers_at_once(db: &str) {
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let db = db.to_owned();
            std::thread::spawn(move || Server::start(&["serve"], &db))
        })
        .collect();
    let servers: Vec<Server> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let client = reqwest::blocking_client();
    for s in &servers {
        let r = client.get(s.url("/readyz")).send().unwrap();
        assert_eq!(r.status(), 200);
    }
    let out = grassroots(&["migrate"], db);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("8 applied of 8 known"),
        "{}",
        text(&out)
    );
    for s in servers {
        s.stop();
    }
}

mod reqwest {
    /// A tiny blocking client over `reqwest`'s async one.
    pub fn blocking_client() -> Client {
        Client(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        )
    }
    pub struct Client(tokio::runtime::Runtime);
    pub struct Sent {
        pub status: u16,
        pub body: serde_json::Value,
    }
    impl Sent {
        pub fn status(&self) -> u16 {
            self.status
        }
    }
    pub struct Builder<'a>(&'a Client, ::reqwest::RequestBuilder);
    impl Client {
        pub fn get(&self, url: String) -> Builder<'_> {
            Builder(self, ::reqwest::Client::new().get(url))
        }
        pub fn post(&self, url: String, body: serde_json::Value) -> Builder<'_> {
            Builder(self, ::reqwest::Client::new().post(url).json(&body))
        }
    }
    impl Builder<'_> {
        pub fn send(self) -> Result<Sent, ::reqwest::Error> {
            self.0.0.block_on(async move {
                let r = self.1.send().await?;
                let status = r.status().as_u16();
                let body = r.json().await.unwrap_or(serde_json::Value::Null);
                Ok(Sent { status, body })
            })
        }
    }
}

#[test]
fn three_servers_start_at_once_on_one_sqlite_file() {
    three_servers_at_once(&testing::sqlite_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_start_at_once_on_one_postgres() {
    let Some(db) = pg().await else { return };
    tokio::task::spawn_blocking(move || three_servers_at_once(&db))
        .await
        .unwrap();
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["territory", "import", "--help"],
        vec!["territory", "lookup", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "token", "--help"],
        vec!["audit", "verify", "--help"],
    ] {
        let out = grassroots(&args, "sqlite://unused.db");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("Usage"), "{args:?}");
    }
    assert!(!std::path::Path::new("unused.db").exists());
}

const CITY: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
  "properties":{"code":"2306","name":"大庆市","name_en":"Daqing","level":"city"},
  "geometry":{"type":"Polygon","coordinates":[[[123.5,45.3],[126.0,45.3],[126.0,47.6],[123.5,47.6],[123.5,45.3]]]}}]}"#;

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

fn import_and_verify(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let city = write(&dir, "city.geojson", CITY);
    let out = grassroots(&["territory", "import", &city], db);
    assert!(out.status.success(), "{}", text(&out));
    let districts = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/data/daqing-districts.geojson"
    );
    let mapping = [
        "--map",
        "code=@id",
        "--map",
        "label=cp",
        "--set",
        "level=district",
        "--set",
        "parent_code=2306",
    ];

    // Swapped coordinates: rejected, naming the feature, nothing imported.
    let swapped = std::fs::read_to_string(districts).unwrap();
    let value: serde_json::Value = serde_json::from_str(&swapped).unwrap();
    let mut bad = value.clone();
    let ring = bad["features"][3]["geometry"]["coordinates"][0]
        .as_array_mut()
        .unwrap();
    for p in ring.iter_mut() {
        let pair = p.as_array_mut().unwrap();
        pair.swap(0, 1);
    }
    let bad_path = write(&dir, "bad.geojson", &bad.to_string());
    let mut args = vec!["territory", "import", bad_path.as_str()];
    args.extend(mapping);
    let out = grassroots(&args, db);
    assert!(!out.status.success());
    assert!(text(&out).contains("feature #3"), "{}", text(&out));
    let mut args = vec!["territory", "import", "--dry-run", districts];
    args.extend(mapping);
    let out = grassroots(&args, db);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("would import 9 units"),
        "{}",
        text(&out)
    );

    let mut args = vec!["territory", "import", districts];
    args.extend(mapping);
    let out = grassroots(&args, db);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 9 units"), "{}", text(&out));

    // The label point of 萨尔图区 lies in it.
    let out = grassroots(
        &[
            "territory",
            "lookup",
            "--lon",
            "125.135591",
            "--lat",
            "46.629092",
        ],
        db,
    );
    assert!(text(&out).contains("230602 萨尔图区"), "{}", text(&out));
    let out = grassroots(
        &["territory", "lookup", "--lon", "116.4", "--lat", "39.9"],
        db,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let out = Command::new(BIN)
        .args([
            "user",
            "add",
            "--username",
            "ops",
            "--name",
            "赵磊",
            "--role",
            "admin",
            "--unit",
            "2306",
        ])
        .env("DATABASE_URL", db)
        .env("GRASSROOTS_PASSWORD", "a-long-password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = grassroots(
        &[
            "user",
            "add",
            "--username",
            "bad",
            "--name",
            "x",
            "--role",
            "grid_worker",
            "--unit",
            "2306",
        ],
        db,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("unit"), "{}", text(&out));
    let out = grassroots(&["user", "token", "ops", "--name", "ci"], db);
    assert!(out.status.success(), "{}", text(&out));

    let out = grassroots(&["audit", "verify"], db);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("intact"), "{}", text(&out));
}

async fn tamper(db: &str) {
    let store = Store::open(db, &OpenOptions::default()).await.unwrap();
    let drop: &[&str] = match store.backend() {
        grassroots_store::Backend::Sqlite => &["DROP TRIGGER audit_events_no_update"],
        grassroots_store::Backend::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
    };
    for s in drop {
        sqlx::query(s).execute(store.pool()).await.unwrap();
    }
    sqlx::query("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 4")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
}

async fn import_verify_tamper(db: String) {
    let d = db.clone();
    tokio::task::spawn_blocking(move || import_and_verify(&d))
        .await
        .unwrap();
    tamper(&db).await;
    let out = grassroots(&["audit", "verify"], &db);
    assert!(!out.status.success());
    assert!(text(&out).contains("BROKEN at event 4"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_lookup_users_and_audit_verify_on_sqlite() {
    import_verify_tamper(testing::sqlite_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_lookup_users_and_audit_verify_on_postgres() {
    let Some(db) = pg().await else { return };
    import_verify_tamper(db).await;
}

fn demo_then_reuse(db: &str) {
    let out = grassroots(
        &[
            "demo",
            "--no-serve",
            "--scale",
            "0.2",
            "--appeals-per-year",
            "3000",
        ],
        db,
    );
    assert!(out.status.success(), "{}", text(&out));
    let first = text(&out);
    assert!(first.contains("Demo city created"), "{first}");
    for login in [
        "admin",
        "auditor",
        "grid",
        "resident",
        "department",
        "supervisor",
    ] {
        assert!(
            first.contains(&format!("  {login} ")),
            "{login} missing in {first}"
        );
    }
    let server = Server::start(&["demo"], db);
    let client = reqwest::blocking_client();
    let login = client
        .post(
            server.url("/api/v1/auth/login"),
            serde_json::json!({"username": "admin", "password": "grassroots-demo"}),
        )
        .send()
        .unwrap();
    assert_eq!(login.status(), 200, "{}", login.body);
    let r = client
        .get(server.url("/api/v1/territory/lookup?lon=125.135591&lat=46.629092"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.body);
    assert_eq!(r.body["unit"]["level"], "grid");
    let codes: Vec<&str> = r.body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(codes.ends_with(&["230602", "2306"]), "{codes:?}");
    // A year of history: the measures have something true to show.
    let r = client
        .get(server.url("/api/v1/measures?unit=230602"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.body);
    assert!(r.body["count"].as_u64().unwrap() > 100, "{}", r.body);
    let rate = r.body["satisfaction_rate"].as_f64().unwrap();
    assert!((0.5..1.0).contains(&rate), "{}", r.body);
    // Failures from one address across many usernames lock that address
    // out (default: 5 per 15 minutes), even for a correct password.
    for i in 0..5 {
        let body =
            serde_json::json!({"username": format!("ghost{i}"), "password": "wrong-password"});
        let r = client
            .post(server.url("/api/v1/auth/login"), body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let body = serde_json::json!({"username": "auditor", "password": "grassroots-demo"});
    let r = client
        .post(server.url("/api/v1/auth/login"), body)
        .send()
        .unwrap();
    assert_eq!(
        (r.status(), r.body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    server.stop();
    let out = grassroots(&["demo", "--no-serve"], db);
    assert!(
        text(&out).contains("Reusing the demo city"),
        "{}",
        text(&out)
    );
    // Catching up after downtime: a month later everything open is overdue.
    let out = grassroots(&["tick", "--now", "2100-01-01T00:00:00Z"], db);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("escalated"), "{}", text(&out));
    let out = grassroots(&["tick", "--now", "not-a-time"], db);
    assert!(!out.status.success());
    let out = grassroots(&["audit", "verify"], db);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn demo_is_created_once_and_reused_on_sqlite() {
    demo_then_reuse(&testing::sqlite_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_is_created_once_and_reused_on_postgres() {
    let Some(db) = pg().await else { return };
    tokio::task::spawn_blocking(move || demo_then_reuse(&db))
        .await
        .unwrap();
}
