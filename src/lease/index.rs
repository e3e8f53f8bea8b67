//! A lease file held for a rewrite in a few dozen bytes per address.
//!
//! `dhcpd -T` must read the whole file, run ISC's startup pass and write the
//! complete new file, and a site's file may hold a million leases. Holding
//! them whole (as ISC does) costs several hundred bytes each; the startup
//! pass needs only a [`Slot`], and the writer can take a lease's text from
//! the file again: copied as-is when the fast path found it canonical and
//! the pass left it alone, otherwise read back and printed. So
//! [`LeaseIndex`] keeps, per address (the last record wins, as in ISC), the
//! slot and where the lease is in the file, and holds a lease whole only
//! when the full reader read it (rare: those are the blocks not in ISC's
//! layout). Everything that is not a lease is kept as records.

use std::net::Ipv4Addr;

use super::date::DateFormat;
use super::records::{Entry, LeaseFileState, Record};
use super::scan::scan_lease;
use super::startup::{PoolMap, Slot};
use super::stream::Origin;
use super::write::{self, LeaseIdFormat, WriteError, WriteOptions};
use super::Lease;
use crate::conf::fasthash::FastMap;

/// Where the current version of a lease is.
#[derive(Debug)]
pub enum Source {
    /// In the file, read by the fast path.
    File {
        /// Offset of its block.
        offset: u64,
        /// Length of its block.
        len: u32,
        /// The writer prints exactly those bytes.
        canonical: bool,
    },
    /// Read by the full reader; kept whole.
    Held(Box<Lease>),
}

/// The leases of a file in pools, by address, plus its other records.
#[derive(Debug, Default)]
pub struct LeaseIndex {
    /// Per address: what the startup pass needs.
    pub slots: Vec<Slot>,
    /// Per address: where its lease is.
    pub sources: Vec<Source>,
    /// Per address: the lease has `uid ""` (ISC's hash code complains).
    pub empty_uid: Vec<bool>,
    by_ip: FastMap<u32, u32>,
    /// Everything but the leases, replayed.
    pub others: LeaseFileState,
}

impl LeaseIndex {
    /// Takes one record in file order. Returns `false` for a lease whose
    /// address is in no pool (ISC: `lease A: no subnet.`), which is not kept.
    pub fn add(&mut self, entry: Entry, origin: Origin, map: &PoolMap) -> bool {
        let Record::Lease(lease) = entry.record else {
            self.others.apply(&entry.record);
            return true;
        };
        let Some(pool) = map.pool_of(lease.ip) else {
            return false;
        };
        let slot = Slot::of(&lease, pool);
        let empty_uid = lease.uid.as_ref().is_some_and(|u| u.is_empty());
        let source = match origin {
            Origin::Fast { offset, len, canonical } => Source::File { offset, len, canonical },
            Origin::Slow => Source::Held(Box::new(lease)),
        };
        let key = u32::from(slot.ip);
        match self.by_ip.get(&key) {
            Some(&i) => {
                let i = i as usize;
                self.slots[i] = slot;
                self.sources[i] = source;
                self.empty_uid[i] = empty_uid;
            }
            None => {
                self.by_ip.insert(key, self.slots.len() as u32);
                self.slots.push(slot);
                self.sources.push(source);
                self.empty_uid.push(empty_uid);
            }
        }
        true
    }

    /// Addresses kept.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// No lease kept.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Drops the address table, which the rewrite does not need.
    pub fn forget_addresses(&mut self) {
        self.by_ip = FastMap::default();
    }

    /// Writes lease `i` (after the startup pass) to `out`. `read` fetches
    /// bytes of the file (offset, length) into the buffer it is given.
    pub fn write_lease<E, R>(
        &self,
        i: usize,
        opts: &WriteOptions,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
        read: &mut R,
    ) -> Result<(), IndexWriteError<E>>
    where
        R: FnMut(u64, &mut [u8]) -> Result<(), E>,
    {
        let slot = &self.slots[i];
        let copy_ok = opts.date_format == DateFormat::Utc && opts.lease_id_format == LeaseIdFormat::Octal;
        let mut lease = match &self.sources[i] {
            Source::Held(l) => (**l).clone(),
            Source::File { offset, len, canonical } => {
                scratch.resize(*len as usize, 0);
                read(*offset, scratch).map_err(IndexWriteError::Read)?;
                if *canonical && copy_ok && !slot.changed {
                    out.extend_from_slice(scratch);
                    return Ok(());
                }
                match scan_lease(scratch) {
                    Some(s) => s.lease,
                    None => return Err(IndexWriteError::Changed(slot.ip)),
                }
            }
        };
        slot.apply(&mut lease);
        write::lease(out, &lease, opts).map_err(IndexWriteError::Format)
    }
}

/// Why a lease could not be written back.
#[derive(Debug)]
pub enum IndexWriteError<E> {
    /// Reading its bytes from the file failed.
    Read(E),
    /// The file no longer holds the block read earlier at that place.
    Changed(Ipv4Addr),
    /// A time cannot be printed.
    Format(WriteError),
}
