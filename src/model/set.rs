//! A small ordered set kept as a sorted list: a report row's platforms, codes and receiver rule
//! ids hold one or two values, and a `BTreeSet`'s first node alone is ~300 bytes. With tens of
//! thousands of rows that was most of a run's peak memory.

use std::borrow::Borrow;

/// Distinct values in ascending order (what a `BTreeSet` iterates), stored contiguously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet(Vec::new())
    }
}

impl<T: Ord> SortedSet<T> {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.0.binary_search_by(|v| v.borrow().cmp(value)).is_ok()
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut values: Vec<T> = items.into_iter().collect();
        values.sort();
        values.dedup();
        values.shrink_to_fit();
        SortedSet(values)
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for SortedSet<T> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The same values in the same order as a `BTreeSet`, whatever the input order.
    #[test]
    fn iterates_like_a_btreeset() {
        let inputs = [
            vec!["b", "a", "b", "c"],
            vec![],
            vec!["z"],
            vec!["c", "b", "a"],
        ];
        for input in inputs {
            let set: SortedSet<String> = input.iter().map(|s| s.to_string()).collect();
            let tree: BTreeSet<String> = input.iter().map(|s| s.to_string()).collect();
            assert!(set.iter().eq(tree.iter()));
            for probe in ["a", "b", "y"] {
                assert_eq!(set.contains(probe), tree.contains(probe));
            }
        }
    }
}
