//! A bounded cache of loaded documents, least recently used out first, so memory does not
//! grow with the number of records on disk.

use std::collections::HashMap;

use crate::document::RecordDoc;

pub struct DocCache {
    docs: HashMap<String, (RecordDoc, u64)>,
    tick: u64,
    capacity: usize,
    let_go: Option<std::sync::mpsc::SyncSender<RecordDoc>>,
}

impl DocCache {
    pub fn new(capacity: usize) -> Self {
        DocCache { docs: HashMap::new(), tick: 0, capacity: capacity.max(1), let_go: None }
    }

    /// A cache that hands the documents it lets go to `to` (a thread that drops them):
    /// freeing a large document costs a busy writer more than handing it over. Should `to`
    /// be full or gone, the document is dropped here.
    pub fn letting_go_to(mut self, to: std::sync::mpsc::SyncSender<RecordDoc>) -> Self {
        self.let_go = Some(to);
        self
    }

    fn release(&self, doc: RecordDoc) {
        if let Some(to) = &self.let_go {
            // Dropped here (with the error) when it cannot be handed over.
            let _ = to.try_send(doc);
        }
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
                if let Some((doc, _)) = self.docs.remove(&oldest) {
                    self.release(doc);
                }
            }
        }
    }

    pub fn clear(&mut self) {
        for (_, (doc, _)) in std::mem::take(&mut self.docs) {
            self.release(doc);
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_let_go_are_handed_over_or_dropped_here() {
        let (to, taken) = std::sync::mpsc::sync_channel(1);
        let mut cache = DocCache::new(2).letting_go_to(to);
        for id in ["a", "b", "c"] {
            cache.put(id, RecordDoc::empty());
        }
        assert_eq!(cache.len(), 2);
        assert!(taken.try_recv().is_ok(), "the oldest was handed over");
        assert!(cache.take("a").is_none() && cache.take("b").is_some());
        // The taker full: the cache drops what it lets go itself; gone: the same.
        cache.put("d", RecordDoc::empty());
        cache.put("e", RecordDoc::empty());
        assert!(taken.try_recv().is_ok(), "c was handed over");
        cache.put("f", RecordDoc::empty());
        cache.put("g", RecordDoc::empty());
        assert!(taken.try_recv().is_ok(), "d was handed over, e dropped here: the taker was full");
        assert!(taken.try_recv().is_err());
        drop(taken);
        cache.clear();
        assert!(cache.is_empty());
    }
}
