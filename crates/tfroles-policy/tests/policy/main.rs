//! Integration tests for tfroles-policy: one target, one module per part.

mod catalog;
mod differential;
mod document;
mod simulate;
