//! Open to the world: what the public portal and Open311 clients may see of
//! an appeal, and how the taxonomy is published as services. Pure rules.

pub mod anonymise;
pub mod services;
