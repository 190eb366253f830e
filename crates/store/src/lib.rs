//! jousei-store
