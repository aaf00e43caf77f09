//! A bounded cache of loaded documents, least recently used out first, so memory does not
//! grow with the number of records on disk.

use std::collections::HashMap;

use crate::document::RecordDoc;

pub struct DocCache {
    docs: HashMap<String, (RecordDoc, u64)>,
    tick: u64,
    capacity: usize,
}

impl DocCache {
    pub fn new(capacity: usize) -> Self {
        DocCache { docs: HashMap::new(), tick: 0, capacity: capacity.max(1) }
    }

    /// Remove and return a document; the caller puts it back when done with it.
    pub fn take(&mut self, id: &str) -> Option<RecordDoc> {
        self.docs.remove(id).map(|(doc, _)| doc)
    }

    pub fn put(&mut self, id: &str, doc: RecordDoc) {
        self.tick += 1;
        self.docs.insert(id.to_string(), (doc, self.tick));
        if self.docs.len() > self.capacity {
            if let Some(oldest) = self.docs.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| k.clone()) {
                self.docs.remove(&oldest);
            }
        }
    }

    pub fn clear(&mut self) {
        self.docs.clear();
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}
