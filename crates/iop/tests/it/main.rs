#![allow(clippy::indexing_slicing, clippy::string_slice)] // test code: a panic is a failed test
//! Integration tests of the `iop` binary and its HTTP API, over real sockets, each with a fresh
//! data directory. One test binary for the crate (link time).

mod helpers;

mod architecture;
mod audit;
mod browser;
mod cli;
mod documents;
mod gateway;
mod import;
mod input;
mod matrix;
mod notices;
mod openapi;
mod procedure;
mod report;
mod security;
mod streaming;
mod upstream;
mod walk;
mod web;
