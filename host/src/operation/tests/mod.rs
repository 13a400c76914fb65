//! `execute` and `dry_run` without a Docker Engine: a [`FakeDriver`] plays
//! the container from a script, and the records go to a real SQLite store
//! in a temporary directory, so what is asserted is what `wharf` would
//! read back.
//!
//! [`FakeDriver`]: fake_driver::FakeDriver

mod cancel;
mod delete_after;
mod dry_run;
mod fake_driver;
mod fixture;
mod masking;
mod orphans;
mod recording;
