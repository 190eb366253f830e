//! `jousei`: the one binary. Serves the web UI and API, runs the demo,
//! migrates databases, manages users and tokens, verifies the audit chain.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use jousei_core::role::Role;
use jousei_core::text::{ClinicCode, Login, required_name};
use jousei_store::{Actor, DynStore, NewApiToken, NewClinic, NewUser};

mod backup_cmd;
mod barcode_cmd;
mod calendar_cmd;
mod contract_cmd;
mod demo;
mod demo_catalogue;
mod demo_commerce;
mod demo_doses;
mod demo_patients;
mod demo_patients_treated;
mod demo_plans;
mod demo_safety;
mod demo_supply;
#[cfg(test)]
mod demo_tests;
mod lookback_cmd;
mod settings;

#[derive(Parser, Debug)]
#[command(
    name = "jousei",
    version,
    about = "jousei (上清): traceability and safety for conditioned-medium and exosome clinics"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Debug, Clone)]
struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default from config / JOUSEI_DATABASE_URL)
    #[arg(long)]
    database: Option<String>,
    /// Use the embedded database DIR/jousei.db (as created by `jousei demo`)
    #[arg(long, conflicts_with = "database")]
    data_dir: Option<PathBuf>,
    /// Configuration file (TOML)
    #[arg(long, env = "JOUSEI_CONFIG")]
    config: Option<PathBuf>,
}

impl DbArgs {
    fn url(&self) -> anyhow::Result<String> {
        if let Some(dir) = &self.data_dir {
            return Ok(format!("sqlite://{}", dir.join("jousei.db").display()));
        }
        let cfg = settings::load(
            self.config.as_deref(),
            &settings::Overrides {
                database_url: self.database.clone(),
                listen: None,
            },
        )?;
        Ok(cfg.database_url)
    }
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Serve the web UI and the API
    Serve {
        #[arg(long)]
        database: Option<String>,
        /// Address to listen on, e.g. 127.0.0.1:8080
        #[arg(long)]
        listen: Option<String>,
        #[arg(long, env = "JOUSEI_CONFIG")]
        config: Option<PathBuf>,
        /// Create the SQLite database file if it does not exist
        #[arg(long)]
        create: bool,
    },
    /// Create (or reuse) a demo clinic with realistic data in DIR and serve it
    Demo {
        #[arg(long, default_value = "./jousei-demo")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Only create the demo data (if not there yet), then exit
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations
    Migrate {
        #[command(flatten)]
        db: DbArgs,
        /// Create the SQLite database file if it does not exist
        #[arg(long)]
        create: bool,
    },
    /// Clinics
    Clinic {
        #[command(subcommand)]
        cmd: ClinicCmd,
    },
    /// Users
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// API tokens
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// The audit log
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Write a backup archive of the whole database (SQLite or PostgreSQL), or a generation in --dir
    Backup(backup_cmd::BackupArgs),
    /// Restore a backup archive into an empty database (SQLite or PostgreSQL)
    Restore(backup_cmd::RestoreArgs),
    /// Make a key file for encrypted backups (prints its public key)
    BackupKey(backup_cmd::BackupKeyArgs),
    /// Barcodes: parse a scan (GS1, ISBT 128) or make a vial label
    Barcode {
        #[command(subcommand)]
        cmd: barcode_cmd::BarcodeCmd,
    },
    /// Calendar: Japanese public holidays computed by the rules of the holiday law
    Calendar {
        #[command(subcommand)]
        cmd: calendar_cmd::CalendarCmd,
    },
    /// Contracts: Specified Commercial Transactions Act coverage and cancellation quotes (no database)
    Contract {
        #[command(subcommand)]
        cmd: contract_cmd::ContractCmd,
    },
    /// Lookback: a lot's administrations and patients, or a patient's lots
    Lookback {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: lookback_cmd::LookbackArgs,
    },
    /// Configuration
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
}

#[derive(Subcommand, Debug)]
enum ClinicCmd {
    /// Add a clinic
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        name_en: Option<String>,
        #[arg(long, default_value = "Asia/Tokyo")]
        time_zone: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List clinics
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add a user with a role in a clinic (or grant an existing user another clinic)
    Add {
        #[arg(long)]
        login: String,
        /// physician, nurse, coordinator, quality, admin or auditor
        #[arg(long)]
        role: String,
        /// Clinic code
        #[arg(long)]
        clinic: String,
        /// Display name (defaults to the login)
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of generating one
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Create an API token for a user (printed once)
    Create {
        #[arg(long)]
        login: String,
        /// Clinic code (defaults to the user's first clinic)
        #[arg(long)]
        clinic: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Recompute the hash chain; exit 0 when it holds, 1 naming the first broken entry
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Print the default configuration file
    PrintDefault,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("JOUSEI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(db: &DbArgs, create: bool) -> anyhow::Result<DynStore> {
    let url = db.url()?;
    Ok(jousei_store::open(&url, create).await?)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Serve {
            database,
            listen,
            config,
            create,
        } => {
            init_logging();
            let cfg = settings::load(
                config.as_deref(),
                &settings::Overrides {
                    database_url: database,
                    listen,
                },
            )?;
            let store = jousei_store::open(&cfg.database_url, create).await?;
            serve(store, cfg, None).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Demo {
            data_dir,
            listen,
            no_serve,
        } => {
            init_logging();
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("cannot create {}", data_dir.display()))?;
            let url = format!("sqlite://{}", data_dir.join("jousei.db").display());
            let store = jousei_store::open(&url, true).await?;
            let seeded = demo::seed(&store).await?;
            if no_serve {
                println!(
                    "{} {}",
                    if seeded {
                        "Demo data created in"
                    } else {
                        "Demo data already in"
                    },
                    data_dir.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let cfg = jousei_server::ServerConfig {
                database_url: url,
                listen,
                ..Default::default()
            };
            let mut banner = String::new();
            if seeded {
                banner.push_str(&format!("Demo data created in {}\n", data_dir.display()));
            } else {
                banner.push_str(&format!(
                    "Using the existing demo data in {}\n",
                    data_dir.display()
                ));
            }
            banner.push_str(&format!(
                "Logins (password for all: {}):\n",
                demo::DEMO_PASSWORD
            ));
            for (login, name, role, clinics) in demo::DEMO_USERS {
                banner.push_str(&format!(
                    "  {login:<14} {role:<12} {name} [{}]\n",
                    clinics.join(", ")
                ));
            }
            serve(store, cfg, Some(banner)).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Migrate { db, create } => {
            let store = open(&db, create).await?;
            let (head, _) = store.audit_head().await?;
            println!(
                "database is up to date ({:?}, audit chain at entry {head})",
                store.backend()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Clinic { cmd } => clinic_cmd(cmd).await,
        Cmd::User { cmd } => user_cmd(cmd).await,
        Cmd::Token { cmd } => token_cmd(cmd).await,
        Cmd::Audit {
            cmd: AuditCmd::Verify { db },
        } => audit_verify(&db).await,
        Cmd::Backup(args) => backup_cmd::backup_cmd(args).await,
        Cmd::Restore(args) => backup_cmd::restore_cmd(args).await,
        Cmd::BackupKey(args) => Ok(backup_cmd::backup_key_cmd(&args)),
        Cmd::Barcode { cmd } => barcode_cmd::run(cmd),
        Cmd::Calendar { cmd } => calendar_cmd::run(cmd),
        Cmd::Contract { cmd } => contract_cmd::run(cmd),
        Cmd::Lookback { db, args } => lookback_cmd::run(open(&db, false).await?, &args).await,
        Cmd::Config {
            cmd: ConfigCmd::PrintDefault,
        } => {
            print!("{}", settings::default_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(
    store: DynStore,
    cfg: jousei_server::ServerConfig,
    banner: Option<String>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another jousei running?)",
                cfg.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let state = jousei_server::AppState::new(store, cfg)?;
    println!("jousei is running at http://{addr}/");
    if let Some(b) = banner {
        print!("{b}");
    }
    println!("Press Ctrl+C to stop.");
    let _ = std::io::stdout().flush();
    jousei_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

async fn clinic_cmd(cmd: ClinicCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ClinicCmd::Add {
            code,
            name,
            name_en,
            time_zone,
            db,
        } => {
            let code =
                ClinicCode::parse(&code).map_err(|e| anyhow::anyhow!("--code: {}", e.code))?;
            let name = required_name(&name, "name", 100)
                .map_err(|e| anyhow::anyhow!("--name: {}", e.code))?;
            if jiff::tz::TimeZone::get(&time_zone).is_err() {
                bail!("--time-zone: unknown time zone {time_zone}");
            }
            let store = open(&db, false).await?;
            let c = store
                .create_clinic(
                    &Actor::system("cli"),
                    &NewClinic {
                        code: code.to_string(),
                        name,
                        name_en,
                        time_zone,
                    },
                )
                .await?;
            println!("clinic {} created ({})", c.code, c.id);
            Ok(ExitCode::SUCCESS)
        }
        ClinicCmd::List { db } => {
            let store = open(&db, false).await?;
            for c in store.list_clinics().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    c.code,
                    c.name,
                    c.name_en.unwrap_or_default(),
                    c.time_zone
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn user_cmd(cmd: UserCmd) -> anyhow::Result<ExitCode> {
    let UserCmd::Add {
        login,
        role,
        clinic,
        name,
        password_stdin,
        db,
    } = cmd;
    let login = Login::parse(&login).map_err(|e| anyhow::anyhow!("--login: {}", e.code))?;
    let role = Role::parse(&role).ok_or_else(|| {
        anyhow::anyhow!(
            "--role: unknown role {role} (physician, nurse, coordinator, quality, admin, auditor)"
        )
    })?;
    let store = open(&db, false).await?;
    let clinic = store.clinic_by_code(clinic.trim()).await?.ok_or_else(|| {
        anyhow::anyhow!("--clinic: no clinic with code {clinic} (see `jousei clinic list`)")
    })?;
    let actor = Actor::system("cli");
    if let Some(existing) = store.user_credentials(login.as_str()).await? {
        store
            .grant_clinic(&actor, existing.user.id, clinic.id, role)
            .await?;
        println!("user {} now has role {role} in {}", login, clinic.code);
        return Ok(ExitCode::SUCCESS);
    }
    let (password, generated) = if password_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        (s.trim_end_matches(['\n', '\r']).to_string(), false)
    } else {
        (generate_password(), true)
    };
    jousei_core::password::check_new_password(&password, login.as_str(), false).map_err(|e| {
        anyhow::anyhow!(
            "password refused: {} (at least 13 characters mixing letters, digits and symbols)",
            e.code
        )
    })?;
    let hash = jousei_service::auth::hash_password(&password)?;
    let display_name = name.unwrap_or_else(|| login.to_string());
    let u = store
        .create_user(
            &actor,
            &NewUser {
                login: login.to_string(),
                display_name,
                password_hash: hash.clone(),
                clinic_id: clinic.id,
                role,
            },
        )
        .await?;
    // Whoever set this password is not the user: it is changed at first sign-in.
    store
        .set_password_hash(&actor, clinic.id, u.id, &hash, true)
        .await?;
    println!(
        "user {} created ({}) with role {role} in {}",
        u.login, u.id, clinic.code
    );
    if generated {
        println!("initial password (shown once): {password}");
    }
    Ok(ExitCode::SUCCESS)
}

fn generate_password() -> String {
    // 20 hex characters plus fixed separators and a symbol: always passes the rule.
    let s = jousei_service::auth::random_secret();
    let body: String = s.chars().take(20).collect();
    format!("Js-{body}-!")
}

async fn token_cmd(cmd: TokenCmd) -> anyhow::Result<ExitCode> {
    let TokenCmd::Create {
        login,
        clinic,
        name,
        db,
    } = cmd;
    let store = open(&db, false).await?;
    let creds = store
        .user_credentials(&login.trim().to_ascii_lowercase())
        .await?
        .ok_or_else(|| anyhow::anyhow!("--login: no user {login}"))?;
    let grants = store.grants_of_user(creds.user.id).await?;
    let grant = match &clinic {
        Some(code) => grants.iter().find(|g| g.clinic.code == code.trim()),
        None => grants.first(),
    }
    .ok_or_else(|| anyhow::anyhow!("--clinic: user {login} is not granted that clinic"))?;
    let name =
        required_name(&name, "name", 100).map_err(|e| anyhow::anyhow!("--name: {}", e.code))?;
    let (token, prefix) = jousei_service::auth::new_api_token();
    store
        .create_api_token(
            &Actor::system("cli"),
            &NewApiToken {
                user_id: creds.user.id,
                clinic_id: grant.clinic.id,
                name,
                token_hash: jousei_service::auth::secret_hash(&token),
                prefix,
            },
        )
        .await?;
    eprintln!(
        "API token for {} in {} (shown once; jousei keeps only its hash):",
        creds.user.login, grant.clinic.code
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(db: &DbArgs) -> anyhow::Result<ExitCode> {
    let store = open(db, false).await?;
    let tty = std::io::stderr().is_terminal();
    let result = jousei_store::verify::verify_chain(store.as_ref(), |done, total| {
        if tty {
            eprint!("\rverifying audit chain: {done} / {total}");
        }
    })
    .await?;
    if tty {
        eprintln!();
    }
    match result {
        Ok(n) => {
            println!("audit chain holds: {n} entries verified");
            Ok(ExitCode::SUCCESS)
        }
        Err(b) => {
            eprintln!("audit chain BROKEN at entry {}: {b}", b.first_broken_seq());
            Ok(ExitCode::from(1))
        }
    }
}
