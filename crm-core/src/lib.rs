//! Field CRM core: the domain and the local-first store.
//!
//! Every record is an Automerge document kept in SQLite beside derived read models
//! (projections). Shells (the Tauri app, the `crm` CLI, tests) reach it through one typed
//! dispatch: [`api::Request`] in, [`api::Response`] out.

pub mod document;
pub mod error;
pub mod kind;
pub mod value;

pub use error::{Error, FieldError, Result};
pub use kind::Kind;
pub mod access;
pub mod acting;
pub mod api;
pub mod app;
pub mod at_rest;
pub mod attachment;
pub mod cache;
pub mod chunk;
pub mod custom;
pub mod demo;
pub mod dictionary;
pub mod domain;
pub mod duplicate;
pub mod export;
pub mod genesis;
pub mod import;
pub mod items;
pub mod profiles;
pub mod projection;
pub mod query;
pub mod report;
pub mod search;
pub mod seed;
pub mod settings;
pub mod sheet;
pub mod store;
pub mod sync;
pub mod workflow;

pub use api::{Request, Response};
pub use store::Store;
