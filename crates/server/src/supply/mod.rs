pub mod api;
pub mod pages;
pub mod coldchain;
pub mod disclosure;
