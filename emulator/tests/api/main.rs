//! chime-local through the real AWS SDKs (and raw HTTP where the wire itself is under test), on
//! 127.0.0.1. Every test starts its own service on a free port and stops it.

mod common;

mod bans;
mod boto3;
mod bots_and_endpoints;
mod channels;
mod console;
mod elastic;
mod expiry;
mod failed_events;
mod faults;
mod flows;
mod from_outside;
mod fuzz;
mod idempotency;
mod identity;
mod js;
mod layers;
mod memberships;
mod messages;
mod runtime_api;
mod search;
mod settings;
mod staged;
mod tags;
mod websocket;
mod wire;
