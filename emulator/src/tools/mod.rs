//! What a developer runs: the command line, the scripted demo, run-bootstrap (a built function
//! binary driven through a local Lambda Runtime API) and the sample events' seed and show; and
//! [`launch`], which wires the rooms into a running chime-local.

pub mod bootstrap_run;
pub mod cli;
pub mod demo;
pub mod demo_run;
pub mod launch;
pub mod runtime_api;
pub mod sample_events;
pub mod set_up;
