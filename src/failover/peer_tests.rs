//! Unit tests of the peer that need no second server.
