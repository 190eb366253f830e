//! Supply and quality: products, their quality specification, lots and
//! their states, stock movements, the cold chain and the unapproved-product
//! disclosure. Pure rules; storage and screens live elsewhere.

pub mod coldchain;
pub mod disclosure;
pub mod lot;
pub mod product;
pub mod qc;
pub mod stock;
pub mod units;
