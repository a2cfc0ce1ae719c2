//! A service's output, from its pipes to its log: whole lines (`lines`), escape codes removed
//! on request (`ansi`), formatted with time and name (`format`), read by one pump per stream
//! (`pump`), written by one writer per destination (`writer`), and handed to JS while someone
//! listens (`tap`).

pub mod ansi;
pub mod format;
pub mod lines;
pub mod pump;
pub mod tap;
pub mod writer;
