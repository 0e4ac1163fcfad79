//! `iop`: Plataforma de Interoperabilidad — the control plane (PR05) and the gateway in one binary.

use clap::{Args, Parser, Subcommand};
use iop::config::{self, Overrides};
use iop::server;
use iop_app::SystemClock;
use iop_app::dto::UserIn;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The gateway allocates per call; mimalloc is markedly faster than the system allocator there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "iop",
    version,
    about = "Plataforma de Interoperabilidad: procedimiento PR05 y pasarela de servicios"
)]
struct Cli {
    /// Archivo de configuración TOML (precedencia: opción > variable IOP_* > archivo > valor por defecto).
    #[arg(long, global = true, env = "IOP_CONFIG")]
    config: Option<PathBuf>,
    /// Directorio de datos (almacén SQLite y documentos). Por defecto ./iop-data.
    #[arg(long, global = true, env = "IOP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Nivel de registro (p. ej. info, debug, iop_app=debug).
    #[arg(long, global = true, env = "IOP_LOG")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inicia el plano de control (API) y la pasarela.
    Serve(ServeArgs),
    /// Aplica las migraciones pendientes del almacén y termina.
    Migrate,
    /// Administra usuarios.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Auditoría: verificar las cadenas o una exportación, exportar, clave pública, archivar.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Muestra la versión.
    Version,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recorre las cadenas y los puntos de control firmados; informa OK o el primer registro
    /// alterado, eliminado, insertado o reordenado (código de salida 1).
    Verify {
        /// Verifica este archivo exportado en lugar del almacén (requiere --clave-publica).
        #[arg(long)]
        exportacion: Option<PathBuf>,
        /// Archivo con la clave pública («ed25519:<hex>») en la que se confía.
        #[arg(long)]
        clave_publica: Option<PathBuf>,
        /// Copia de los puntos de control en otro volumen (testigo), para compararla.
        #[arg(long)]
        testigo: Option<PathBuf>,
    },
    /// Exporta un rango de fechas como JSON Lines firmadas (verificables con la clave pública).
    Export {
        /// Desde (AAAA-MM-DD o RFC 3339).
        #[arg(long)]
        desde: String,
        /// Hasta (AAAA-MM-DD incluido, o RFC 3339 excluido).
        #[arg(long)]
        hasta: String,
        #[arg(long)]
        salida: PathBuf,
    },
    /// Muestra la clave pública de auditoría.
    PublicKey,
    /// Archiva (exporta y verifica) los registros anteriores a una fecha y luego los poda.
    Archive {
        #[arg(long)]
        antes_de: String,
        #[arg(long)]
        dir: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Dirección del plano de control (API). Por defecto 127.0.0.1:8001.
    #[arg(long, env = "IOP_CONTROL_ADDR")]
    control_addr: Option<String>,
    /// Dirección de la pasarela. Por defecto 127.0.0.1:8000.
    #[arg(long, env = "IOP_GATEWAY_ADDR")]
    gateway_addr: Option<String>,
    /// Dirección del listener público de verificación de documentos (solo esas páginas, sin
    /// sesión). Sin ella no se abre.
    #[arg(long, env = "IOP_PUBLIC_ADDR")]
    public_addr: Option<String>,
    /// Modo demostración: datos ficticios y un usuario por rol (contraseñas impresas al iniciar).
    #[arg(long, env = "IOP_DEMO")]
    demo: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Crea un usuario. Sin --password-stdin, genera una contraseña y la muestra una sola vez.
    Add {
        /// Nombre de usuario (3 a 32: minúsculas, dígitos, '.', '_', '-').
        #[arg(long)]
        usuario: String,
        /// Nombre completo.
        #[arg(long)]
        nombre: String,
        /// Rol (repetible): solicitante, jefe_upat, responsable_adas, lider_adas, administrador.
        #[arg(long = "rol", required = true)]
        roles: Vec<String>,
        /// Sigla de la unidad (obligatoria para solicitantes), p. ej. UPAT.
        #[arg(long)]
        unidad: Option<String>,
        /// Lee la contraseña de la entrada estándar (una línea).
        #[arg(long)]
        password_stdin: bool,
    },
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // On a single core (e.g. pinned with taskset) a current-thread runtime avoids the work-stealing
    // scheduler's cross-thread bookkeeping; with more cores every core serves calls.
    let one_core = std::thread::available_parallelism().map(|n| n.get() == 1).unwrap_or(false);
    let built = if one_core {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    };
    let rt = match built {
        Ok(rt) => rt,
        Err(e) => return fail(format!("no se pudo iniciar el entorno de ejecución: {e}")),
    };
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    if let Command::Version = cli.command {
        println!("iop {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let file = match config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        log: cli.log.clone(),
        ..Default::default()
    };
    if let Command::Serve(a) = &cli.command {
        overrides.control_addr = a.control_addr.clone();
        overrides.gateway_addr = a.gateway_addr.clone();
        overrides.public_addr = a.public_addr.clone();
        overrides.demo = a.demo;
    }
    let settings = match config::resolve(&overrides, file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    init_tracing(&settings.log);
    match cli.command {
        Command::Version => ExitCode::SUCCESS,
        Command::Serve(_) => serve(settings).await,
        Command::Audit { command } => match command {
            AuditCommand::Verify {
                exportacion,
                clave_publica,
                testigo,
            } => iop::audit_cli::verify(settings, exportacion, clave_publica, testigo).await,
            AuditCommand::Export { desde, hasta, salida } => iop::audit_cli::export(settings, desde, hasta, salida).await,
            AuditCommand::PublicKey => iop::audit_cli::public_key(settings).await,
            AuditCommand::Archive { antes_de, dir } => iop::audit_cli::archive(settings, antes_de, dir).await,
        },
        Command::Migrate => match server::open_store(&settings).await {
            Ok(_) => {
                println!(
                    "almacén al día en {} (esquema v{})",
                    settings.data_dir.display(),
                    iop_store::sqlite::SCHEMA_VERSION
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::User {
            command:
                UserCommand::Add {
                    usuario,
                    nombre,
                    roles,
                    unidad,
                    password_stdin,
                },
        } => user_add(settings, usuario, nombre, roles, unidad, password_stdin).await,
    }
}

async fn serve(settings: config::Settings) -> ExitCode {
    let demo = settings.demo;
    let scheme = if settings.gateway_tls.is_some() { "https" } else { "http" };
    let running = match server::start(settings).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let c = running.control_addr;
    let g = running.gateway_addr;
    println!("iop {} en marcha", env!("CARGO_PKG_VERSION"));
    println!("  API (plano de control): http://{c}/api/v1   documentación: http://{c}/api/docs");
    println!("  pasarela:               {scheme}://{g}/");
    if let Some(p) = running.public_addr {
        println!("  verificación pública:   http://{p}/");
    }
    println!("  clave pública de auditoría: {}  (iop audit verify)", running.audit_public_key);
    if demo {
        println!("  MODO DEMOSTRACIÓN: datos ficticios; no usar en producción.");
        if running.demo_accounts.is_empty() {
            println!("  (los usuarios de demostración ya existían en este directorio de datos)");
        }
        for a in &running.demo_accounts {
            println!("  usuario demo: {:<13} rol: {:<17} contraseña: {}", a.login, a.role, a.password);
        }
        if let Some(a) = running.demo_accounts.first() {
            println!(
                "  prueba: curl -s -X POST http://{c}/api/v1/auth/login -H 'content-type: application/json' -d '{{\"usuario\":\"{}\",\"contrasena\":\"{}\"}}'",
                a.login, a.password
            );
        }
    }
    if let Some(a) = &running.demo_access {
        println!(
            "  Servicio ficticio publicado en la pasarela: {}  (Registro de Identidad, contrastación)",
            a.base_path
        );
        println!("  credencial demo del sistema «tramites-en-linea» (ficticia; en producción se muestra una sola vez):");
        println!("    apikey: {}", a.api_key);
        println!(
            "  prueba: curl -s http://{g}{}personas/1234567 -H 'apikey: {}'",
            a.base_path, a.api_key
        );
        let exp = iop_gateway::now_ms() / 1000 + 3600;
        let jwt = iop_gateway::auth::sign_hs256(a.jwt_secret.as_bytes(), &serde_json::json!({"iss": a.jwt_iss, "exp": exp}));
        println!("  con JWT (HS256, iss={}, válido 1 h):", a.jwt_iss);
        println!(
            "    curl -s -X POST http://{g}{}contrastacion -H 'authorization: Bearer {jwt}' -H 'content-type: application/json' -d '{{\"nombres\":\"Juana\"}}'",
            a.base_path
        );
        println!(
            "  entorno de pruebas (datos de ejemplo): curl -s http://{g}/fake{}personas/1 -H 'apikey: {}'",
            a.base_path, a.api_key
        );
    }
    if let Some((login, pw)) = &running.admin_password {
        println!("  Administrador inicial: usuario «{login}», contraseña «{pw}» (se muestra una sola vez; cámbiela)");
    }
    running.run_until_signal().await;
    println!("iop detenido");
    ExitCode::SUCCESS
}

async fn user_add(
    settings: config::Settings,
    usuario: String,
    nombre: String,
    roles: Vec<String>,
    unidad: Option<String>,
    password_stdin: bool,
) -> ExitCode {
    let store = match server::open_store(&settings).await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let state = server::app_state(&settings, store, Arc::new(SystemClock));
    if let Err(e) = iop_app::seed::ensure_agency_units(&state).await {
        return fail(&e.es);
    }
    let unidad_id = match unidad {
        None => None,
        Some(s) => {
            let sigla = match iop_domain::Sigla::parse(&s) {
                Ok(s) => s,
                Err(i) => return fail(format!("--unidad: {}", i.es)),
            };
            match state.store.unit_by_sigla(&sigla).await {
                Ok(Some(u)) => Some(u.id.to_string()),
                Ok(None) => return fail(format!("--unidad: no existe la unidad «{sigla}»")),
                Err(e) => return fail(e),
            }
        }
    };
    let contrasena = if password_stdin {
        if std::io::stdin().is_terminal() {
            eprintln!("escriba la contraseña y pulse Intro:");
        }
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return fail("no se pudo leer la contraseña de la entrada estándar");
        }
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let input = UserIn {
        usuario,
        nombre,
        unidad_id,
        roles,
        contrasena,
    };
    match iop_app::service::create_user(&state, input, &iop_store::AuditBy::system("cli")).await {
        Ok((u, generated)) => {
            println!("usuario «{}» creado (id {})", u.login, u.id);
            if let Some(p) = generated {
                println!("contraseña generada (se muestra una sola vez): {p}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("{} [{}]", e.es, e.code)),
    }
}
