pub mod api;
pub mod pages;
pub mod view;
