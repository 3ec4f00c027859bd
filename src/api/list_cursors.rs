//! Lists kept between the pages of one listing.
//!
//! EC2 cannot start a list after a given ID, so every page of a list reads the project's whole
//! list and cuts the page out of it. To spare the pages after the first from reading it again,
//! a page that has a `next` link keeps the list it cut from for [`KEEP_FOR`], and a request
//! whose `marker` is in that list takes its page from it. The pages of one listing then show
//! the list as it was when the listing began. A first page (no marker) always reads afresh,
//! and any change a project makes through the service drops the lists kept for it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the list of a first page serves the pages after it.
pub const KEEP_FOR: Duration = Duration::from_secs(60);
/// Lists kept at most; the oldest goes first.
const MAX_KEPT: usize = 32;

struct SavedList {
    project_id: String,
    items: Arc<dyn Any + Send + Sync>,
    kept_at: Instant,
    /// Position in the order of `keep` calls, which decides the oldest list.
    sequence: u64,
}

/// The lists kept for later pages, keyed by project, resource, region and filters.
#[derive(Default)]
pub struct ListCursors {
    lists: Mutex<(HashMap<String, SavedList>, u64)>,
}

impl ListCursors {
    /// Returns the list kept under `key` if it was kept less than [`KEEP_FOR`] ago and contains
    /// an item whose ID is `marker`.
    pub fn resume<T: Send + Sync + 'static>(
        &self,
        key: &str,
        marker: &str,
        id_of: impl Fn(&T) -> &str,
    ) -> Option<Arc<Vec<T>>> {
        let lists = self.lists.lock().expect("list cursor lock poisoned");
        let saved = lists
            .0
            .get(key)
            .filter(|list| list.kept_at.elapsed() < KEEP_FOR)?;
        let items = saved.items.clone().downcast::<Vec<T>>().ok()?;
        items
            .binary_search_by(|item| id_of(item).cmp(marker))
            .is_ok()
            .then_some(items)
    }

    /// Keeps `items`, sorted by ID, under `key` for the next pages of project `project_id`.
    pub fn keep<T: Send + Sync + 'static>(
        &self,
        key: String,
        project_id: &str,
        items: Arc<Vec<T>>,
    ) {
        let mut guard = self.lists.lock().expect("list cursor lock poisoned");
        let (lists, sequence) = &mut *guard;
        lists.retain(|_, saved| saved.kept_at.elapsed() < KEEP_FOR);
        if lists.len() >= MAX_KEPT && !lists.contains_key(&key) {
            let oldest = lists
                .iter()
                .min_by_key(|(_, saved)| saved.sequence)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                lists.remove(&oldest);
            }
        }
        *sequence += 1;
        let saved = SavedList {
            project_id: project_id.to_owned(),
            items,
            kept_at: Instant::now(),
            sequence: *sequence,
        };
        lists.insert(key, saved);
    }

    /// Drops every list kept for project `project_id`, after a change the project made.
    pub fn forget_project(&self, project_id: &str) {
        self.lists
            .lock()
            .expect("list cursor lock poisoned")
            .0
            .retain(|_, saved| saved.project_id != project_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Arc<Vec<String>> {
        Arc::new(names.iter().map(|n| n.to_string()).collect())
    }

    fn id(item: &String) -> &str {
        item
    }

    #[test]
    fn resume_needs_marker_in_list() {
        let cursors = ListCursors::default();
        cursors.keep("k".into(), "p1", ids(&["a", "b", "c"]));

        assert_eq!(cursors.resume("k", "b", id).unwrap().len(), 3);
        assert!(cursors.resume("k", "bb", id).is_none());
        assert!(cursors.resume("other", "b", id).is_none());
    }

    #[test]
    fn resume_needs_same_item_type() {
        let cursors = ListCursors::default();
        cursors.keep("k".into(), "p1", ids(&["a", "b"]));

        let numbers = cursors.resume("k", "a", |n: &u32| if *n == 0 { "a" } else { "b" });

        assert!(numbers.is_none());
    }

    #[test]
    fn forget_project_drops_only_its_lists() {
        let cursors = ListCursors::default();
        cursors.keep("k1".into(), "p1", ids(&["a"]));
        cursors.keep("k2".into(), "p2", ids(&["a"]));

        cursors.forget_project("p1");

        assert!(cursors.resume("k1", "a", id).is_none());
        assert!(cursors.resume("k2", "a", id).is_some());
    }

    #[test]
    fn keep_drops_oldest_past_limit() {
        let cursors = ListCursors::default();
        for n in 0..=MAX_KEPT {
            cursors.keep(format!("k{n}"), "p1", ids(&["a"]));
        }

        assert!(cursors.resume("k0", "a", id).is_none());
        assert!(cursors.resume("k1", "a", id).is_some());
        assert!(cursors.resume(&format!("k{MAX_KEPT}"), "a", id).is_some());
    }
}
