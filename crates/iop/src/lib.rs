//! The `iop` binary's library half: settings (CLI, environment, TOML file), start-up, shutdown.

pub mod audit_cli;
pub mod config;
pub mod demo;
#[doc(hidden)]
pub mod fuzzing;
pub mod server;
mod tls_listener;
