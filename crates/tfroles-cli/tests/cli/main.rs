//! The `tfroles` binary, run as users run it, against real peers: one
//! integration target, one module per area.

mod cache;
mod credentials;
mod docs;
mod doctor;
mod errors;
mod explain;
mod generate;
mod graph;
mod hints;
mod import;
mod least_privilege;
mod modules;
mod policy;
mod precommit;
mod server;
mod sessions;
mod shell;
mod troubleshooting;
mod usage;
mod usage_fix;
mod validate;
