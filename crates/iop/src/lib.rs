//! The `iop` binary's library half: settings (CLI, environment, TOML file), start-up, shutdown.

pub mod audit_cli;
pub mod config;
pub mod demo;
pub mod server;
