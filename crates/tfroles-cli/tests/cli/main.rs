//! The `tfroles` binary, run as users run it, against real peers: one
//! integration target, one module per area.

mod credentials;
mod docs;
mod generate;
mod graph;
mod import;
mod least_privilege;
mod policy;
mod precommit;
mod sessions;
mod shell;
mod troubleshooting;
mod validate;
