//! Typed configuration: every setting is a flag with an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "grassroots",
    version,
    about = "Grassroots: grassroots social governance platform (基层治理平台)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log filter (tracing EnvFilter syntax), e.g. `info,grassroots=debug`.
    #[arg(long, global = true, env = "GRASSROOTS_LOG", default_value = "info")]
    pub log: String,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "GRASSROOTS_LOG_JSON")]
    pub log_json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create (or reuse) a demo database of the city of Daqing, print the
    /// demo logins and run the server.
    Demo(DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage the territory (units and grids).
    #[command(subcommand)]
    Territory(TerritoryCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Inspect the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run the background job once as of a given time: escalate overdue
    /// work, close unrated replies, deliver queued messages (for catching
    /// up after downtime, and for tests).
    Tick {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        sms: SmsArgs,
        /// The time to process as of (RFC 3339), e.g. 2026-11-21T09:00:00+08:00.
        #[arg(long)]
        now: jiff::Timestamp,
    },
    /// Early warning: space-time cluster detection.
    #[command(subcommand)]
    Warn(WarnCommand),
    /// Print performance figures (not a test).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum WarnCommand {
    /// Prospective space-time permutation scan of SaTScan case and coordinate
    /// files (latitude/longitude), with SaTScan's parameters.
    Scan(ScanArgs),
    /// Compare the early-warning methods (the scan, EARS C1–C3, Poisson
    /// CUSUM, EWMA): inject synthetic outbreaks into real-shaped history and
    /// report, at matched false-alert rates, how often and how fast each finds
    /// them. Prints a table and writes an SVG plot.
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanSize {
    A,
    B,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Case file: location id, number of cases, date (YYYY/MM/DD) and an
    /// optional category, separated by tabs or spaces.
    #[arg(long)]
    pub cases: std::path::PathBuf,
    /// Coordinates file: location id, latitude, longitude.
    #[arg(long)]
    pub coords: std::path::PathBuf,
    /// First day of the study period (YYYY-MM-DD).
    #[arg(long)]
    pub start: jiff::civil::Date,
    /// Last day of the study period: the analysis day every window ends on.
    #[arg(long)]
    pub end: jiff::civil::Date,
    /// Largest circle radius in km.
    #[arg(long, default_value_t = 3.0)]
    pub max_radius_km: f64,
    /// Largest share of all cases inside a circle (at most 0.5).
    #[arg(long, default_value_t = 0.5)]
    pub max_share: f64,
    /// Longest window in days.
    #[arg(long, default_value_t = 7)]
    pub max_days: u32,
    /// Fewest cases in a reported cluster.
    #[arg(long, default_value_t = 2)]
    pub min_cases: u32,
    /// Monte Carlo replications (0: no p-values).
    #[arg(long, default_value_t = 999)]
    pub replicas: u32,
    /// Random seed of the replications: the same seed gives the same p-values.
    #[arg(long, default_value_t = 12_345_678)]
    pub seed: u64,
    /// Run every replication instead of stopping, as SaTScan does, once
    /// (replicas + 1) / 20 of them beat the most likely cluster.
    #[arg(long)]
    pub no_early_stop: bool,
    /// Most clusters to print.
    #[arg(long, default_value_t = 10)]
    pub max_clusters: usize,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// How an injected outbreak rises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutbreakShape {
    Step,
    Ramp,
}

/// `warn evaluate`. The background is SaTScan files when `--cases` is given,
/// else the demo city.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Case file of the background (SaTScan format; needs --coords, --start,
    /// --end). Each location is its own series unit. Without it the demo
    /// city's year of appeals is the background.
    #[arg(long, requires_all = ["coords", "start", "end"])]
    pub cases: Option<PathBuf>,
    /// Coordinates file of the background: location id, latitude, longitude.
    #[arg(long, requires = "cases")]
    pub coords: Option<PathBuf>,
    /// First day of the background (YYYY-MM-DD).
    #[arg(long, requires = "cases")]
    pub start: Option<jiff::civil::Date>,
    /// Last day of the background.
    #[arg(long, requires = "cases")]
    pub end: Option<jiff::civil::Date>,
    /// Outbreaks to inject, one per trial.
    #[arg(long, default_value_t = 200)]
    pub trials: u32,
    /// Seed of the outbreaks: the same seed gives the same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// City-wide false alerts a year to calibrate every method to,
    /// comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1.0, 4.0, 12.0])]
    pub false_alerts: Vec<f64>,
    /// Where to write the plot of detection delay against false alerts.
    #[arg(long, default_value = "warn-evaluate.svg")]
    pub svg: PathBuf,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Seed of the demo city and its appeals.
    #[arg(long, default_value_t = 2012)]
    pub demo_seed: u64,
    /// Size of the demo city: 1.0 ≈ 1,500 grids about 2 km apart, the size
    /// the daily scan is tuned for (about 10 s on 2 cores). Smaller cities
    /// are quicker but sparser: at 0.3 grids are 3 km apart, beyond the
    /// scan's 2 km radius, so circles hold one grid.
    #[arg(long, default_value_t = 1.0)]
    pub demo_scale: f64,
    /// Appeals in the demo's year (default: 200,000 × the scale, the real
    /// city's rate).
    #[arg(long)]
    pub appeals_per_year: Option<u32>,
    /// Last day of the demo's year of appeals (fixed, so runs are
    /// reproducible).
    #[arg(long, default_value = "2026-06-30")]
    pub demo_end: jiff::civil::Date,
    /// Rings of neighbours an outbreak covers, MIN,MAX: r rings are the
    /// centre grid and its 4r(r+1) nearest neighbours (9, 25, 49 grids).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 3])]
    pub rings: Vec<u32>,
    /// Outbreak length in days, MIN,MAX.
    #[arg(long, value_delimiter = ',', default_values_t = [3, 14])]
    pub outbreak_days: Vec<u32>,
    /// Cases during an outbreak as a multiple of the expected count,
    /// MIN,MAX.
    #[arg(long, value_delimiter = ',', default_values_t = [2.0, 5.0])]
    pub multiplier: Vec<f64>,
    /// Outbreak shapes to draw from: step (the full multiple from the first
    /// day), ramp (rising linearly to it).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [OutbreakShape::Step, OutbreakShape::Ramp])]
    pub shapes: Vec<OutbreakShape>,
    /// Largest scan circle in km.
    #[arg(long, default_value_t = 2.0)]
    pub max_radius_km: f64,
    /// Largest share of a scan's cases inside a circle (at most 0.5).
    #[arg(long, default_value_t = 0.5)]
    pub max_share: f64,
    /// Longest scan window in days.
    #[arg(long, default_value_t = 7)]
    pub max_days: u32,
    /// Days of history each daily scan learns its expectation from.
    #[arg(long, default_value_t = 365)]
    pub study_days: u32,
    /// First analysis day (day index of the background); the days before
    /// are history only, so the CUSUM and EWMA (28 + 2 days) have a
    /// baseline. Lowered to half the background when that is shorter.
    #[arg(long, default_value_t = 30)]
    pub first_day: u32,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Submissions per second over HTTP on loopback, with latency, next to
    /// the raw durable insert rate of the same database.
    Intake {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Space-time permutation scan on a synthetic city: wall time and peak
    /// memory (size a: 1,500 locations, 50,000 cases; b: 10,000 locations on
    /// a ~300 m grid, 500,000 cases; both 365 days, radius ≤ 2 km, window ≤ 7
    /// days).
    Scan {
        #[arg(long, value_enum, default_value_t = ScanSize::A)]
        size: ScanSize,
        #[arg(long, default_value_t = 999)]
        replicas: u32,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Latency of the measures endpoint over the database's appeals.
    Measures {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Render time of the inbox and the dashboard (demo logins), and the
    /// first-load weight of the main pages.
    Pages {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
}

/// Where messages to residents go.
#[derive(Clone, Args)]
pub struct SmsArgs {
    /// HTTP gateway for SMS (`http://host:port/path`); without it messages
    /// are written to the log.
    #[arg(long, env = "GRASSROOTS_SMS_GATEWAY")]
    pub sms_gateway: Option<String>,
    /// Bearer token for the gateway.
    #[arg(long, env = "GRASSROOTS_SMS_TOKEN", hide_env_values = true)]
    pub sms_token: Option<String>,
}

impl std::fmt::Debug for SmsArgs {
    /// The token is a secret: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsArgs")
            .field("sms_gateway", &self.sms_gateway)
            .field("sms_token", &self.sms_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl SmsArgs {
    pub fn sender(&self) -> grassroots_web::ops::sms::SmsSender {
        match &self.sms_gateway {
            Some(url) => grassroots_web::ops::sms::SmsSender::Http {
                url: url.clone(),
                token: self
                    .sms_token
                    .clone()
                    .map(grassroots_web::ops::sms::Redacted),
            },
            None => grassroots_web::ops::sms::SmsSender::Log,
        }
    }
}

#[derive(Clone, Args)]
pub struct DbArgs {
    /// `sqlite://PATH` (created when missing), a bare file path, or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://grassroots.db")]
    pub database_url: String,
    /// Maximum connections in the pool.
    #[arg(long, env = "GRASSROOTS_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

impl std::fmt::Debug for DbArgs {
    /// The URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbArgs")
            .field("database_url", &redact_url(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((creds, host)) => match creds.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "GRASSROOTS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Mark session cookies Secure (serve over TLS or behind a TLS proxy).
    #[arg(long, env = "GRASSROOTS_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Session lifetime in hours.
    #[arg(long, env = "GRASSROOTS_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,
    /// Seconds between runs of the background job (0: never).
    #[arg(long, env = "GRASSROOTS_JOB_INTERVAL_SECS", default_value_t = 30)]
    pub job_interval_secs: u64,
    /// Open311 `jurisdiction_id` of this city; when set, requests naming another are refused.
    #[arg(long, env = "GRASSROOTS_OPEN311_JURISDICTION")]
    pub open311_jurisdiction: Option<String>,
    /// Submissions one client may make in an hour (anonymous by address, residents by
    /// account, Open311 applications by key; staff unlimited); 0: no limit.
    #[arg(long, env = "GRASSROOTS_SUBMISSIONS_PER_HOUR", default_value_t = 30)]
    pub submissions_per_hour: u32,
    #[command(flatten)]
    pub sms: SmsArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Seed of the deterministic demo generator.
    #[arg(long, env = "GRASSROOTS_DEMO_SEED", default_value_t = 2012)]
    pub seed: u64,
    /// Size: 1.0 ≈ 1,500 grids; larger for load tests.
    #[arg(long, env = "GRASSROOTS_DEMO_SCALE", default_value_t = 1.0)]
    pub scale: f64,
    /// Appeals in the demo's year of history (0: none).
    #[arg(long, env = "GRASSROOTS_DEMO_APPEALS", default_value_t = 200_000)]
    pub appeals_per_year: u32,
    /// Create the demo database and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Subcommand)]
pub enum TerritoryCommand {
    /// Import units from a GeoJSON FeatureCollection, all or nothing.
    ///
    /// Feature properties: code, name, name_en, level, parent_code, label,
    /// households. Adapt other files with --map FIELD=PROPERTY (`@id` is
    /// the feature id) and --set FIELD=VALUE.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The GeoJSON file.
        file: PathBuf,
        /// Take FIELD from PROPERTY, e.g. `--map code=@id --map label=cp`.
        #[arg(long = "map", value_name = "FIELD=PROPERTY")]
        map: Vec<String>,
        /// Give FIELD the same VALUE for every feature, e.g. `--set level=district`.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Validate only; import nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print where a point falls.
    Lookup {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from GRASSROOTS_PASSWORD or,
    /// with --password-stdin, from the first line of standard input.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// Display name (e.g. 王芳).
        #[arg(long)]
        name: String,
        /// One of: resident, hotline_operator, grid_worker, community_staff,
        /// street_staff, district_staff, department_staff, city_supervisor,
        /// mediator, counsellor, auditor, admin.
        #[arg(long)]
        role: String,
        /// The unit the account acts within.
        #[arg(long)]
        unit: Option<String>,
        /// The department the account acts within (department_staff).
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, env = "GRASSROOTS_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Issue an API token for a machine client acting as USERNAME.
    Token {
        #[command(flatten)]
        db: DbArgs,
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 0 when intact, 1 naming the first bad event.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}
