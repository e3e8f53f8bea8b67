/*!
Typed views over wire formats, in the smoltcp style.

Every format here comes in two levels:

* a **view** (`Packet<T: AsRef<[u8]>>`, `EthernetFrame<T>`, ...) that reads and writes fields in
  place over a byte buffer, with offsets kept as data in a private `mod field`;
* a **`Repr`** that holds the validated meaning of a packet and can `parse` it from a view,
  report its `buffer_len`, and `emit` it into a caller buffer.

Contract: once a view's `check_len` (or `new_checked`) returned `Ok`, no getter panics, and
no parser here panics on any input at all. `Repr::emit` never panics; it returns
`BufferTooSmall` rather than writing past the end. On the emit path use `new_unchecked`:
`new_checked` would judge a reused buffer by whatever bytes are left in it.

This layer holds no policy: option values stay bytes (their meaning comes from the option
table), and which options a reply carries, in what order, is the engine's decision. What is
here is only what the bytes must look like, including ISC's rules for fitting options into a
size-limited reply.
*/

#[macro_use]
mod macros;

pub mod dhcp;
pub mod dnsname;
pub mod failover;
pub mod frame;
pub mod omapi;

#[cfg(test)]
pub(crate) mod testutil;
