//! One test world for every crate (feature `testing`, not part of the service's own build): the
//! running chime-local with app instances, users, admins, channels (regular and elastic) and flows
//! set up through the real SDK ([`World`], with `tools::set_up`'s [`SetUp`], which the demo and the
//! load generator use too), and one loopback stub server that records requests and answers from a
//! script ([`StubServer`]).

mod stub;
mod world;

pub use crate::tools::set_up::{ChannelSpec, Clients, SetUp, SetUpError, lambda_arn, processor};
pub use stub::{Answer, Recorded, StubServer};
pub use world::{World, pipeline_processor, test_processor};
