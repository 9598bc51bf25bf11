//! `grassroots`: the single binary — server, demo, migrations, territory
//! import, accounts and audit verification.

mod bench;
mod config;
mod demo;
mod disputes;
mod history;
mod progress;
mod questions;
mod warn;
mod warn_evaluate;

use std::io::BufRead as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser as _;
use grassroots_core::clock::{Clock as _, SystemClock};
use grassroots_core::territory::Located;
use grassroots_core::territory::import::FieldMap;
use grassroots_store::{Ctx, OpenOptions, Store, VerifyOutcome};
use grassroots_web::{AppState, WebConfig};

use config::{
    AuditCommand, BenchCommand, Cli, Command, DbArgs, ServeArgs, TerritoryCommand, UserCommand,
    WarnCommand,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log, cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub(crate) async fn open(db: &DbArgs) -> anyhow::Result<Store> {
    let options = OpenOptions {
        max_connections: db.db_max_connections,
        ..OpenOptions::default()
    };
    Store::open(&db.database_url, &options)
        .await
        .with_context(|| format!("opening {}", config::redact_url(&db.database_url)))
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let store = open(&args.db).await?;
            serve(store, &args, None).await?;
        }
        Command::Demo(args) => {
            let store = open(&args.serve.db).await?;
            let logins = demo::ensure(&store, args.seed, args.scale, args.appeals_per_year).await?;
            if !args.no_serve {
                serve(store, &args.serve, Some(logins)).await?;
            } else {
                demo::print_logins(&logins, None);
                // Closing checkpoints SQLite's WAL into the database file.
                store.close().await;
            }
        }
        Command::Migrate(db) => {
            let store = open(&db).await?;
            let (known, applied) = store.migration_status().await?;
            println!(
                "migrations: {applied} applied of {known} known ({})",
                store.backend().as_str()
            );
        }
        Command::Territory(TerritoryCommand::Import {
            db,
            file,
            map,
            set,
            dry_run,
        }) => {
            let store = open(&db).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let field_map = field_map(&map, &set)?;
            let ctx = Ctx::system(SystemClock.now_micros())
                .with_reason(Some(format!("import of {}", file.display())));
            let bar = progress::bar("importing units");
            let bar2 = bar.clone();
            let report = grassroots_web::ops::territory::import_geojson(
                &store,
                &ctx,
                text,
                field_map,
                dry_run,
                &mut move |done, total| {
                    bar2.set_length(total);
                    bar2.set_position(done);
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.detail.unwrap_or_else(|| e.code.to_string())))?;
            bar.finish_and_clear();
            let verb = if dry_run { "would import" } else { "imported" };
            println!(
                "{verb} {} units: {}",
                report.imported,
                report.codes.join(", ")
            );
        }
        Command::Territory(TerritoryCommand::Lookup { db, lon, lat }) => {
            let store = open(&db).await?;
            let atlas = grassroots_web::load_atlas(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{:?}", e.code))?;
            match atlas.locate(lon, lat) {
                Located::Inside { unit, ancestors } => {
                    let chain: Vec<String> = std::iter::once(unit)
                        .chain(ancestors)
                        .map(|u| format!("{} {} ({})", u.code, u.name, u.level))
                        .collect();
                    println!("{}", chain.join(" ← "));
                }
                Located::Outside { nearest } => {
                    println!("outside the territory");
                    if let Some(n) = nearest {
                        println!("nearest unit: {} {}", n.code, n.name);
                    }
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::User(UserCommand::Add {
            db,
            username,
            name,
            role,
            unit,
            department,
            phone,
            password_stdin,
            password,
        }) => {
            let store = open(&db).await?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                password
            };
            let atlas = grassroots_web::load_atlas(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{:?}", e.code))?;
            let req = grassroots_web::api::users::CreateUser {
                username,
                display_name: name,
                role,
                unit,
                department,
                phone,
                password: password.clone(),
            };
            let new = grassroots_web::api::users::validate_new_user(&store, &atlas, &req)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}: {}",
                        e.field.unwrap_or_default(),
                        e.detail.unwrap_or_else(|| e.code.to_string())
                    )
                })?;
            let hash = match password {
                Some(pw) => Some(
                    grassroots_web::auth::hash_password(pw)
                        .await
                        .map_err(|e| anyhow::anyhow!("{:?}", e.code))?,
                ),
                None => None,
            };
            let ctx = Ctx::system(SystemClock.now_micros())
                .with_reason(Some("grassroots user add".into()));
            let id = store.create_user(&ctx, &new, hash.as_deref()).await?;
            println!("created user {} (id {id}, role {})", new.username, new.role);
        }
        Command::User(UserCommand::Token { db, username, name }) => {
            let store = open(&db).await?;
            let Some(user) = store.user_for_login(&username).await? else {
                bail!("no user named {username}");
            };
            let secret = grassroots_web::auth::new_secret();
            let ctx = Ctx::system(SystemClock.now_micros())
                .with_reason(Some("grassroots user token".into()));
            let id = store
                .create_api_token(
                    &ctx,
                    user.user.id,
                    &name,
                    &grassroots_web::auth::secret_hash(&secret),
                )
                .await?;
            eprintln!("token {id} for {username} (shown once; send as `Authorization: Bearer …`):");
            println!("{secret}");
        }
        Command::Tick { db, sms, now } => {
            let store = open(&db).await?;
            let atlas = grassroots_web::load_atlas(&store)
                .await
                .map_err(|e| anyhow::anyhow!("loading the territory: {:?}", e.code))?;
            let config = WebConfig {
                job_interval: None,
                ..WebConfig::default()
            };
            let state =
                AppState::new(store, Arc::new(SystemClock), config, atlas).with_sms(sms.sender());
            state
                .reload_rules()
                .await
                .map_err(|e| anyhow::anyhow!("loading the appeal rules: {:?}", e.code))?;
            let report = grassroots_web::ops::appeals::tick(&state, now.as_microsecond())
                .await
                .map_err(|e| anyhow::anyhow!("tick failed: {:?}", e.code))?;
            println!(
                "tick as of {now}: {} escalated, {} closed as not rated, {} overdue at the top, \
                 {} called-in units late, {} messages sent, {} failed",
                report.escalated,
                report.closed_not_rated,
                report.at_top,
                report.assists_overdue,
                report.messages_sent,
                report.messages_failed
            );
        }
        Command::Warn(WarnCommand::Scan(args)) => warn::scan_files(args).await?,
        Command::Warn(WarnCommand::Evaluate(args)) => warn_evaluate::run(args).await?,
        Command::Bench(BenchCommand::Intake {
            db,
            requests,
            concurrency,
        }) => {
            let store = open(&db).await?;
            bench::intake(store, requests, concurrency.max(1)).await?;
        }
        Command::Bench(BenchCommand::Scan {
            size,
            replicas,
            threads,
        }) => warn::bench_scan(size, replicas, threads).await?,
        Command::Bench(BenchCommand::Measures { db, rounds }) => {
            let store = open(&db).await?;
            bench::measures(store, rounds.max(1)).await?;
        }
        Command::Bench(BenchCommand::Pages { db, rounds }) => {
            let store = open(&db).await?;
            bench::pages(store, rounds.max(1)).await?;
        }
        Command::Audit(AuditCommand::Verify { db }) => {
            let store = open(&db).await?;
            let bar = progress::spinner("verifying audit chain");
            let bar2 = bar.clone();
            let outcome = store
                .verify_audit(move |n| bar2.set_message(format!("{n} events checked")))
                .await?;
            bar.finish_and_clear();
            match outcome {
                VerifyOutcome::Intact { events } => println!("audit chain intact: {events} events"),
                VerifyOutcome::Broken(b) => {
                    println!("audit chain BROKEN at event {}: {b}", b.first_bad_seq());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn field_map(map: &[String], set: &[String]) -> anyhow::Result<FieldMap> {
    let mut fm = FieldMap::default();
    for m in map {
        let Some((field, prop)) = m.split_once('=') else {
            bail!("--map takes FIELD=PROPERTY, got {m}");
        };
        let slot = match field {
            "code" => &mut fm.code,
            "name" => &mut fm.name,
            "name_en" => &mut fm.name_en,
            "level" => &mut fm.level,
            "parent_code" => &mut fm.parent_code,
            "label" => &mut fm.label,
            "households" => &mut fm.households,
            other => bail!("--map: unknown field {other}"),
        };
        *slot = prop.to_owned();
    }
    for s in set {
        let Some((field, value)) = s.split_once('=') else {
            bail!("--set takes FIELD=VALUE, got {s}");
        };
        fm.fixed.insert(field.to_owned(), value.to_owned());
    }
    Ok(fm)
}

async fn serve(
    store: Store,
    args: &ServeArgs,
    logins: Option<Vec<demo::Login>>,
) -> anyhow::Result<()> {
    let atlas = grassroots_web::load_atlas(&store)
        .await
        .map_err(|e| anyhow::anyhow!("loading the territory: {:?}", e.code))?;
    let config = WebConfig {
        secure_cookies: args.secure_cookies,
        session_ttl: Duration::from_secs(args.session_hours.max(1) * 3600),
        job_interval: (args.job_interval_secs > 0)
            .then(|| Duration::from_secs(args.job_interval_secs)),
        open311_jurisdiction: args.open311_jurisdiction.clone(),
        submissions_per_hour: args.submissions_per_hour,
        ..WebConfig::default()
    };
    let state =
        AppState::new(store, Arc::new(SystemClock), config, atlas).with_sms(args.sms.sender());
    state
        .reload_rules()
        .await
        .map_err(|e| anyhow::anyhow!("loading the appeal rules: {:?}", e.code))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    if let Some(logins) = logins {
        demo::print_logins(&logins, Some(addr));
    }
    println!("Grassroots listening on http://{addr}  (Ctrl-C to stop)");
    tracing::info!(%addr, "listening");
    let store = state.store.clone();
    grassroots_web::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
