//! Offset-cursor pages, as the list APIs of every service answer them: a page size of 50 by
//! default and 200 at most, one extra row fetched to know whether another page follows.

use crate::AppError;

/// The page size a request asks for (0 = the default).
pub fn page_size(requested: u32) -> i64 {
    if requested == 0 { 50 } else { i64::from(requested.min(200)) }
}

/// The offset an opaque cursor from an earlier page stands for; none is the first page.
pub fn offset_cursor(raw: Option<&str>) -> Result<i64, AppError> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this API returned")),
    }
}

/// Cuts `rows` (fetched with `size + 1`) to the page and returns the next page's cursor, if any.
pub fn next_cursor<T>(rows: &mut Vec<T>, offset: i64, size: i64) -> Option<String> {
    let more = rows.len() as i64 > size;
    rows.truncate(size.max(0) as usize);
    more.then(|| (offset + size).to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_of_offsets() {
        assert_eq!((page_size(0), page_size(7), page_size(1000)), (50, 7, 200));
        assert_eq!(offset_cursor(None).unwrap(), 0);
        assert_eq!(offset_cursor(Some("")).unwrap(), 0);
        assert_eq!(offset_cursor(Some("100")).unwrap(), 100);
        for bad in ["-1", "abc", "1.5"] {
            assert_eq!(offset_cursor(Some(bad)).unwrap_err().errors[0].field, "cursor");
        }
        let mut rows = vec![1, 2, 3];
        assert_eq!(next_cursor(&mut rows, 10, 2), Some("12".into()));
        assert_eq!(rows, vec![1, 2]);
        let mut rows = vec![1, 2];
        assert_eq!(next_cursor(&mut rows, 10, 2), None);
        assert_eq!(rows, vec![1, 2]);
    }
}
