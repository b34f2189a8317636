//! The query path: answering one packet from a published zone set.
pub mod answer;
