//! ISC's OMAPI handle table, for [`super::ObjectStore`] implementations.
//!
//! ISC gives an object a handle the first time the protocol needs one, counting from 1, and
//! keeps the object behind it for the life of the process (a removed host is still reachable
//! by its old handle). Handles are the numbers omshell shows and sends back, so assigning them
//! in ISC's order keeps our replies byte-identical to ISC's.

use std::collections::HashMap;
use std::hash::Hash;

use super::store::Handle;

/// Handles for objects of type `T` (any cheap identifier of an object).
#[derive(Debug, Clone)]
pub struct HandleTable<T> {
    objects: Vec<T>,
    index: HashMap<T, Handle>,
}

impl<T> Default for HandleTable<T> {
    fn default() -> Self {
        HandleTable {
            objects: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> HandleTable<T> {
    /// An empty table; the first handle given is 1.
    pub fn new() -> HandleTable<T> {
        HandleTable::default()
    }

    /// The object's handle, giving it the next one if it has none.
    pub fn handle_of(&mut self, object: T) -> Handle {
        if let Some(&h) = self.index.get(&object) {
            return h;
        }
        self.objects.push(object.clone());
        let h = self.objects.len() as Handle;
        self.index.insert(object, h);
        h
    }

    /// The object's handle, if it has one.
    pub fn find(&self, object: &T) -> Option<Handle> {
        self.index.get(object).copied()
    }

    /// The object behind a handle.
    pub fn get(&self, handle: Handle) -> Option<&T> {
        let i = usize::try_from(handle).ok()?.checked_sub(1)?;
        self.objects.get(i)
    }

    /// Number of handles given.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when no handle was given yet.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn handles_count_from_one_and_stay() {
        let mut t = HandleTable::new();
        assert!(t.is_empty());
        assert_eq!(t.handle_of("failover"), 1);
        assert_eq!(t.handle_of("lease"), 2);
        assert_eq!(t.handle_of("failover"), 1);
        assert_eq!(t.get(2), Some(&"lease"));
        assert_eq!(t.get(0), None);
        assert_eq!(t.get(3), None);
        assert_eq!(t.find(&"lease"), Some(2));
        assert_eq!(t.find(&"host"), None);
        assert_eq!(t.len(), 2);
    }
}
