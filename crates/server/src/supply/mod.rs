pub mod api;
pub mod coldchain;
pub mod disclosure;
pub mod pages;
