//! jousei domain crate: types, rules and state machines. No I/O, no async.
