//! A bounded cache of loaded documents, least recently used out first, so memory does not
//! grow with the number of records on disk.

use std::collections::HashMap;

use crate::document::RecordDoc;

pub struct DocCache {
    docs: HashMap<String, (RecordDoc, u64)>,
    tick: u64,
    capacity: usize,
    let_go: Option<std::sync::mpsc::SyncSender<Vec<RecordDoc>>>,
    /// Documents let go and not handed over yet: they go [`LET_GO_BATCH`] at a time, as
    /// waking the taking thread for each cost the writer about as much as dropping it.
    letting_go: Vec<RecordDoc>,
}

/// How many let-go documents are handed over at once (at most; [`DocCache::let_go_now`]).
pub const LET_GO_BATCH: usize = 32;

impl DocCache {
    pub fn new(capacity: usize) -> Self {
        DocCache { docs: HashMap::new(), tick: 0, capacity: capacity.max(1), let_go: None, letting_go: Vec::new() }
    }

    /// A cache that hands the documents it lets go to `to` (a thread that drops them), a batch
    /// at a time: freeing a large document costs a busy writer more than handing it over.
    /// Should `to` be full or gone, the batch is dropped here.
    pub fn letting_go_to(mut self, to: std::sync::mpsc::SyncSender<Vec<RecordDoc>>) -> Self {
        self.let_go = Some(to);
        self
    }

    fn release(&mut self, doc: RecordDoc) {
        if self.let_go.is_some() {
            self.letting_go.push(doc);
            if self.letting_go.len() >= LET_GO_BATCH {
                self.let_go_now();
            }
        }
    }

    /// Hand the documents let go so far to the taking thread, however few (a caller does at
    /// the end of a burst of work, so they are not kept until the next).
    pub fn let_go_now(&mut self) {
        if let (Some(to), false) = (&self.let_go, self.letting_go.is_empty()) {
            // Dropped here (with the error) when they cannot be handed over.
            let _ = to.try_send(std::mem::take(&mut self.letting_go));
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
        self.let_go_now();
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
    fn documents_let_go_are_handed_over_in_batches_or_dropped_here() {
        let (to, taken) = std::sync::mpsc::sync_channel(1);
        let mut cache = DocCache::new(2).letting_go_to(to);
        let put = |cache: &mut DocCache, from: usize, n: usize| {
            for i in from..from + n {
                cache.put(&format!("d{i}"), RecordDoc::empty());
            }
        };
        // Two held, then one let go per put: a batch goes once LET_GO_BATCH are let go.
        put(&mut cache, 0, 2 + LET_GO_BATCH - 1);
        assert_eq!(cache.len(), 2);
        assert!(taken.try_recv().is_err(), "not a whole batch yet");
        put(&mut cache, 100, 1);
        assert_eq!(taken.try_recv().map(|batch| batch.len()).ok(), Some(LET_GO_BATCH), "the oldest, together");
        assert!(cache.take("d0").is_none() && cache.take("d100").is_some());
        // The taker full: the cache drops a batch itself; gone: the same.
        put(&mut cache, 200, 2 * LET_GO_BATCH + 1);
        assert!(taken.try_recv().is_ok(), "one batch was handed over");
        assert!(taken.try_recv().is_err(), "the next was dropped here: the taker was full");
        // Clearing hands over what is let go, however few.
        cache.clear();
        assert!(cache.is_empty());
        assert!(taken.try_recv().is_ok_and(|batch| !batch.is_empty() && batch.len() < LET_GO_BATCH));
        drop(taken);
        put(&mut cache, 300, 3 * LET_GO_BATCH);
        cache.clear();
        assert!(cache.is_empty());
    }
}
