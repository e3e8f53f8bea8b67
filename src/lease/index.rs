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
//!
//! Speed matters as much as size here (ISC needs from ten seconds to many
//! minutes for such a file): the fast path's blocks are taken without
//! building a [`Lease`] ([`LeaseIndex::add_block`]), addresses are found in
//! a table rather than a hash ([`AddressTable`]), and the rewrite reads the
//! blocks back a batch at a time in file order, few large reads rather than
//! one per lease, and hands them to the writer without copying them again
//! ([`LeaseIndex::write_leases`]).

use std::net::Ipv4Addr;

use super::date::DateFormat;
use super::records::{Entry, LeaseFileState, Record};
use super::scan::{scan_block, LeaseBlock};
use super::startup::{PoolMap, Slot};
use super::write::{self, LeaseIdFormat, WriteError, WriteOptions};
use super::Lease;

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
    by_addr: AddressTable,
    /// Everything but the leases, replayed.
    pub others: LeaseFileState,
}

impl LeaseIndex {
    /// Takes one record the full reader read, in file order. Returns
    /// `false` for a lease whose address is in no pool (ISC: `lease A: no
    /// subnet.`), which is not kept.
    pub fn add(&mut self, entry: Entry, map: &PoolMap) -> bool {
        let Record::Lease(lease) = entry.record else {
            self.others.apply(&entry.record);
            return true;
        };
        let Some((pool, n)) = map.place(lease.ip) else {
            return false;
        };
        let slot = Slot::of(&lease, pool);
        let empty_uid = lease.uid.as_ref().is_some_and(|u| u.is_empty());
        self.keep(n, slot, Source::Held(Box::new(lease)), empty_uid);
        true
    }

    /// Takes one lease block the fast path read at `offset`, in file order;
    /// `false` as for [`LeaseIndex::add`].
    pub fn add_block(&mut self, block: &LeaseBlock<'_>, offset: u64, map: &PoolMap) -> bool {
        let Some((pool, n)) = map.place(block.ip) else {
            return false;
        };
        let source = Source::File { offset, len: block.len as u32, canonical: block.canonical };
        // The fast path leaves an empty uid to the full reader.
        self.keep(n, Slot::of_block(block, pool), source, false);
        true
    }

    /// Keeps the latest lease for address number `n` (a later record
    /// replaces an earlier one wholesale, as in ISC).
    fn keep(&mut self, n: u64, slot: Slot, source: Source, empty_uid: bool) {
        let entry = self.by_addr.entry(n);
        match entry.checked_sub(1) {
            Some(i) => {
                let i = i as usize;
                self.slots[i] = slot;
                self.sources[i] = source;
                self.empty_uid[i] = empty_uid;
            }
            None => {
                self.slots.push(slot);
                self.sources.push(source);
                self.empty_uid.push(empty_uid);
                *entry = self.slots.len() as u32;
            }
        }
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
        self.by_addr = AddressTable::default();
    }

    /// Writes the leases of `order` that ISC writes on a rewrite
    /// ([`Slot::is_interesting`]), after the startup pass, in that order;
    /// returns how many. `read` fetches bytes of the file (offset, length)
    /// into the buffer it is given; `emit` takes the output, a batch at a
    /// time, as pieces to be written one after the other.
    ///
    /// A lease's block is read back from the file and, when the fast path
    /// found it canonical and the pass left it alone, written as it is (the
    /// pieces point into the read buffer, so the bytes are not copied
    /// again); any other lease is printed by the writer.
    pub fn write_leases<E, R, W>(
        &self,
        order: &[usize],
        opts: &WriteOptions,
        read: &mut R,
        emit: &mut W,
    ) -> Result<usize, IndexWriteError<E>>
    where
        R: FnMut(u64, &mut [u8]) -> Result<(), E>,
        W: FnMut(&[&[u8]]) -> Result<(), E>,
    {
        let copy_ok = opts.date_format == DateFormat::Utc && opts.lease_id_format == LeaseIdFormat::Octal;
        let wanted: Vec<usize> = order.iter().copied().filter(|&i| self.slots[i].is_interesting()).collect();
        let mut blocks = Blocks::default();
        // Per batch: what the writer printed, and the pieces of output as
        // (in the read buffer?, start, end).
        let mut printed = Vec::new();
        let mut pieces: Vec<(bool, usize, usize)> = Vec::new();
        let mut done = 0;
        while done < wanted.len() {
            let batch = &wanted[done..];
            let n = self.fetch(batch, &mut blocks, read).map_err(IndexWriteError::Io)?;
            printed.clear();
            pieces.clear();
            for (k, &i) in batch[..n].iter().enumerate() {
                let slot = &self.slots[i];
                let block = blocks.at[k];
                let mut lease = match &self.sources[i] {
                    Source::File { canonical: true, .. } if copy_ok && !slot.changed => {
                        match pieces.last_mut() {
                            // Blocks next to each other in the file stay one piece.
                            Some((true, _, end)) if *end == block.0 => *end += block.1,
                            _ => pieces.push((true, block.0, block.0 + block.1)),
                        }
                        continue;
                    }
                    Source::File { .. } => match scan_block(blocks.get(k)) {
                        Some(b) => b.lease(),
                        None => return Err(IndexWriteError::Changed(slot.ip)),
                    },
                    Source::Held(l) => (**l).clone(),
                };
                slot.apply(&mut lease);
                let from = printed.len();
                write::lease(&mut printed, &lease, opts).map_err(IndexWriteError::Format)?;
                pieces.push((false, from, printed.len()));
            }
            let out: Vec<&[u8]> = pieces
                .iter()
                .map(|&(in_file, a, b)| if in_file { &blocks.buf[a..b] } else { &printed[a..b] })
                .collect();
            emit(&out).map_err(IndexWriteError::Io)?;
            done += n;
        }
        Ok(wanted.len())
    }

    /// Reads the file blocks of the leases at the front of `ids` (in the
    /// order they are to be written) into `blocks`, as many as make up
    /// about [`BATCH_BYTES`]; returns how many it took. The blocks are read
    /// in file order, and blocks close together in one call: the writing
    /// order jumps about within each pool, but a pool's leases are usually
    /// near each other in the file, so a million leases in 4,000 pools
    /// take a few hundred reads instead of a million.
    fn fetch<E, R>(&self, ids: &[usize], blocks: &mut Blocks, read: &mut R) -> Result<usize, E>
    where
        R: FnMut(u64, &mut [u8]) -> Result<(), E>,
    {
        blocks.at.clear();
        blocks.wanted.clear();
        let mut total = 0usize;
        for &i in ids {
            if total >= BATCH_BYTES {
                break;
            }
            if let Source::File { offset, len, .. } = self.sources[i] {
                blocks.wanted.push((offset, len, blocks.at.len()));
                total += len as usize;
            }
            blocks.at.push((0, 0));
        }
        blocks.wanted.sort_unstable();
        // Blocks apart are read in one call when the gap between them is
        // bridged: the smallest gaps are, as long as the bytes read for
        // nothing add up to no more than the blocks (so the buffer holds at
        // most about twice the batch).
        let wanted = &blocks.wanted;
        blocks.gaps.clear();
        blocks.gaps.extend(wanted.windows(2).enumerate().map(|(k, w)| {
            let end = w[0].0 + u64::from(w[0].1);
            (w[1].0.saturating_sub(end), k)
        }));
        blocks.gaps.sort_unstable();
        blocks.bridged.clear();
        blocks.bridged.resize(wanted.len(), false);
        let mut spent = 0u64;
        for &(gap, k) in &blocks.gaps {
            if spent + gap > total as u64 {
                break;
            }
            spent += gap;
            blocks.bridged[k] = true;
        }
        let mut used = 0usize;
        let mut k = 0;
        while k < wanted.len() {
            let start = wanted[k].0;
            let mut j = k + 1;
            while j < wanted.len() && blocks.bridged[j - 1] {
                j += 1;
            }
            let end = wanted[k..j].iter().map(|&(offset, len, _)| offset + u64::from(len)).max().unwrap_or(start);
            let span = (end - start) as usize;
            if blocks.buf.len() < used + span {
                blocks.buf.resize(used + span, 0);
            }
            read(start, &mut blocks.buf[used..used + span])?;
            for &(offset, len, slot) in &wanted[k..j] {
                blocks.at[slot] = (used + (offset - start) as usize, len as usize);
            }
            used += span;
            k = j;
        }
        Ok(blocks.at.len())
    }
}

/// Per configured address (numbered through all the ranges, as
/// [`PoolMap::place`] numbers them), the index of its lease plus one, or 0.
///
/// Addresses in ranges are dense and leases come mostly in address order,
/// so a table beats a hash here: 4 bytes per address, in pages made on
/// first use (ranges declared but unused cost nothing), and neighbouring
/// addresses are neighbours in memory.
#[derive(Debug, Default)]
struct AddressTable {
    pages: Vec<Option<Box<[u32; PAGE]>>>,
}

/// Addresses per page of an [`AddressTable`].
const PAGE: usize = 1024;

impl AddressTable {
    /// The entry of address number `n`.
    fn entry(&mut self, n: u64) -> &mut u32 {
        let (page, at) = ((n / PAGE as u64) as usize, (n % PAGE as u64) as usize);
        if page >= self.pages.len() {
            self.pages.resize_with(page + 1, || None);
        }
        &mut self.pages[page].get_or_insert_with(|| Box::new([0; PAGE]))[at]
    }
}

/// Bytes of lease blocks [`LeaseIndex::fetch`] reads in one batch.
const BATCH_BYTES: usize = if cfg!(test) { 2048 } else { 8 << 20 };

/// A batch of lease blocks read from the file.
#[derive(Debug, Default)]
struct Blocks {
    buf: Vec<u8>,
    /// Per lease of the batch, in writing order: its block in `buf`.
    at: Vec<(usize, usize)>,
    /// `(offset, len, lease)` of the blocks to read.
    wanted: Vec<(u64, u32, usize)>,
    /// The gaps between the blocks to read, `(bytes, after block)`.
    gaps: Vec<(u64, usize)>,
    /// Per block to read: the gap after it is read through.
    bridged: Vec<bool>,
}

impl Blocks {
    /// The block of the batch's `k`-th lease (empty for one held whole).
    fn get(&self, k: usize) -> &[u8] {
        let (at, len) = self.at[k];
        &self.buf[at..at + len]
    }
}

/// Why a lease could not be written back.
#[derive(Debug)]
pub enum IndexWriteError<E> {
    /// Reading the file or writing the output failed.
    Io(E),
    /// The file no longer holds the block read earlier at that place.
    Changed(Ipv4Addr),
    /// A time cannot be printed.
    Format(WriteError),
}
