//! `iop audit …`: verify the stored chains or an export, export a time range, print the public
//! key, archive and prune. Exit codes: 0 verified/done, 1 verification failed, 2 usage or I/O.

use crate::config::Settings;
use crate::server;
use iop_audit::PublicKey;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn bad_chain(p: &iop_audit::Problem) -> ExitCode {
    println!("VERIFICACIÓN FALLIDA: {p}");
    ExitCode::from(1)
}

fn read_public_key(path: &Path) -> Result<PublicKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("no se pudo leer la clave pública {}: {e}", path.display()))?;
    PublicKey::parse(&text).ok_or_else(|| format!("{} no es una clave pública «ed25519:<64 hex>»", path.display()))
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn instant(name: &str, s: &str, end: bool) -> Result<i64, String> {
    iop_app::audit::parse_instant(s, end).ok_or_else(|| format!("--{name}: «{s}» no es una fecha AAAA-MM-DD ni RFC 3339"))
}

/// The key the platform verifies with: the given public key, or the one of the signing key.
fn key_for(settings: &Settings, public: Option<&Path>) -> Result<PublicKey, String> {
    match public {
        Some(p) => read_public_key(p),
        None if settings.audit_key_file.exists() => Ok(iop_app::audit::load_or_create_key(&settings.audit_key_file)
            .map_err(|e| e.to_string())?
            .public()),
        None => Err(format!(
            "no hay clave de auditoría en {}; indique --clave-publica",
            settings.audit_key_file.display()
        )),
    }
}

pub async fn verify(settings: Settings, export: Option<PathBuf>, public: Option<PathBuf>, witness: Option<PathBuf>) -> ExitCode {
    if let Some(file) = export {
        let Some(public) = public else {
            return fail("para verificar una exportación indique --clave-publica (la clave en la que confía)");
        };
        let key = match read_public_key(&public) {
            Ok(k) => k,
            Err(e) => return fail(e),
        };
        let f = match std::fs::File::open(&file) {
            Ok(f) => f,
            Err(e) => return fail(format!("no se pudo abrir {}: {e}", file.display())),
        };
        return match iop_audit::export::verify(std::io::BufReader::new(f), &key) {
            Ok(r) => {
                println!(
                    "OK: exportación íntegra — {} registros en {} cadenas, {} puntos de control firmados (clave {})",
                    r.records,
                    r.chains.len(),
                    r.checkpoints,
                    key.id()
                );
                ExitCode::SUCCESS
            }
            Err(p) => bad_chain(&p),
        };
    }
    if !settings.data_dir.join("iop.sqlite3").exists() {
        return fail(format!("no hay almacén en {}", settings.data_dir.display()));
    }
    let key = match key_for(&settings, public.as_deref()) {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let store = match server::open_store(&settings).await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let witness = witness.or(settings.audit_witness.clone());
    match iop_app::audit::verify_store(&*store, &key, witness.as_deref()).await {
        Ok(v) => {
            let n: u64 = v.chains.iter().map(|c| c.count).sum();
            println!(
                "OK: {n} registros en {} cadenas, {} puntos de control firmados",
                v.chains.len(),
                v.checkpoints
            );
            for c in &v.chains {
                let tail = c.last.saturating_sub(c.covered_to);
                println!(
                    "  {}/{}: registros {}–{}, cabeza {}{}",
                    c.stream,
                    c.node,
                    c.first,
                    c.last,
                    iop_audit::to_hex(&c.head),
                    if tail > 0 {
                        format!(" ({tail} aún sin punto de control)")
                    } else {
                        String::new()
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Err(p) => bad_chain(&p),
    }
}

/// The store and the signing key (created on first use).
async fn open_auditor(settings: &Settings) -> Result<iop_app::audit::Auditor, server::StartError> {
    let store = server::open_store(settings).await?;
    server::auditor(settings, store)
}

pub async fn export(settings: Settings, desde: String, hasta: String, salida: PathBuf) -> ExitCode {
    let (from, to) = match (instant("desde", &desde, false), instant("hasta", &hasta, true)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    let auditor = match open_auditor(&settings).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let file = match std::fs::File::create(&salida) {
        Ok(f) => f,
        Err(e) => return fail(format!("no se pudo crear {}: {e}", salida.display())),
    };
    match auditor.export(std::io::BufWriter::new(file), from, to, now_ms()).await {
        Ok((_, n)) => {
            println!(
                "{n} registros exportados a {} (clave {})",
                salida.display(),
                auditor.signer.public()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

pub async fn public_key(settings: Settings) -> ExitCode {
    match iop_app::audit::load_or_create_key(&settings.audit_key_file) {
        Ok(s) => {
            println!("{}", s.public());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

pub async fn archive(settings: Settings, antes_de: String, dir: PathBuf) -> ExitCode {
    let before = match instant("antes-de", &antes_de, false) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let auditor = match open_auditor(&settings).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    match auditor.archive(&dir, before, now_ms(), &iop_store::AuditBy::system("cli")).await {
        Ok(Some((file, n))) => {
            println!("archivo verificado: {}; {n} registros podados", file.display());
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("nada que archivar antes de {antes_de}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
