//! jousei-server
