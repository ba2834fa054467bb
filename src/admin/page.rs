//! Cursor pagination of admin lists (docs/admin-api.md, "Pagination"): `limit` (1 to
//! [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]) and an opaque `cursor`; an answer that has more
//! carries `next_cursor`. The cursor is the sort key of the last item returned (base64url), so a
//! page never repeats or skips an item that existed throughout, whatever was added meanwhile.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::AdminError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// Which page to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

impl PageRequest {
    /// The limit, checked: 1 to [`MAX_LIMIT`].
    pub fn limit(&self) -> Result<usize, AdminError> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            n @ 1..=MAX_LIMIT => Ok(n as usize),
            _ => Err(AdminError::invalid(format!("limit must be 1 to {MAX_LIMIT}"))),
        }
    }

    /// The sort key after which the page starts; a cursor we did not make is `invalid_request`.
    pub fn after(&self) -> Result<Option<String>, AdminError> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map(Some)
            .ok_or_else(|| AdminError::invalid("cursor is not one this API returned"))
    }

    /// How many rows to read for a page from the store: one more than the limit, which only
    /// says whether more follow.
    pub fn fetch(&self) -> Result<i64, AdminError> {
        Ok(self.limit()? as i64 + 1)
    }

    /// The page of rows the store read in ascending `key` order after the cursor, [`fetch`] of
    /// them at most (docs/admin-api.md, "Pagination": the cursor in the query).
    ///
    /// [`fetch`]: PageRequest::fetch
    pub fn page_of<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> Result<Page<T>, AdminError> {
        let limit = self.limit()?;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| URL_SAFE_NO_PAD.encode(key(last)))
        } else {
            None
        };
        Ok(Page {
            items: rows,
            next_cursor,
        })
    }

    /// The page of `items` (in any order) sorted by `key` ascending: those after the cursor, at most
    /// `limit`, with the cursor of the next page when more follow. Keys must be unique.
    pub fn paginate<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> String) -> Result<Page<T>, AdminError> {
        // The limit is checked first, as for every list (its error wins over the cursor's).
        self.limit()?;
        let after = self.after()?;
        items.sort_by_key(|a| key(a));
        let rest: Vec<T> = items
            .into_iter()
            .filter(|i| after.as_ref().is_none_or(|a| key(i) > *a))
            .collect();
        self.page_of(rest, key)
    }
}

/// A sort key that orders newest first: a descending time, then a tie-breaker.
pub fn newest_first(at: i64, tie: &str) -> String {
    format!("{:020}|{tie}", i64::MAX.saturating_sub(at))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursor_pages_visit_every_item_once() {
        let items: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
        let mut req = PageRequest {
            limit: Some(3),
            cursor: None,
        };
        let mut seen = Vec::new();
        loop {
            let page = req.paginate(items.clone(), |s| s.clone()).unwrap();
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn limit_out_of_bounds_and_foreign_cursor_are_invalid_requests() {
        for limit in [0, MAX_LIMIT + 1] {
            let req = PageRequest {
                limit: Some(limit),
                cursor: None,
            };
            assert!(req.paginate(vec![1], |i| i.to_string()).is_err());
        }
        let req = PageRequest {
            limit: None,
            cursor: Some("!!".into()),
        };
        assert!(req.paginate(vec![1], |i| i.to_string()).is_err());
    }

    #[test]
    fn newest_first_keys_sort_newest_first() {
        assert!(newest_first(200, "a") < newest_first(100, "a"));
    }
}
