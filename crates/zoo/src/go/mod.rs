//! Go: the AlphaGo policy network (Silver et al., 2016).

mod policy;
mod position_bias;

pub use policy::{alphago_policy, alphago_policy_with, PolicyConfig, BOARD, FEATURE_PLANES};
pub use position_bias::PositionBias;
