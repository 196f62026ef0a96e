//! One test world for every crate: the set-up of app instances, users, admins, channels (regular and
//! elastic) and flows through the real SDK ([`SetUp`], fallible, which the demo and the load
//! generator use too), the running chime-local with all of it for tests ([`World`]), and one
//! loopback stub server that records requests and answers from a script ([`StubServer`]).

mod set_up;
mod stub;
mod world;

pub use set_up::{ChannelSpec, Clients, SetUp, SetUpError, lambda_arn, processor};
pub use stub::{Answer, Recorded, StubServer};
pub use world::{World, pipeline_processor, test_processor};
