//! A list that holds at least one item by construction, for the reports
//! that are never empty: [`Defects`](crate::Defects) here, the errors of a
//! `schema.rs` in `revchain-schema`.

use std::fmt;

/// A first item and any number more, in order.
#[derive(Clone, PartialEq, Eq)]
pub struct NonEmpty<T> {
    first: T,
    rest: Vec<T>,
}

/// The iterator of [`NonEmpty::iter`].
pub type NonEmptyIter<'a, T> = std::iter::Chain<std::iter::Once<&'a T>, std::slice::Iter<'a, T>>;

impl<T> NonEmpty<T> {
    /// A single item.
    pub fn one(item: T) -> Self {
        NonEmpty {
            first: item,
            rest: Vec::new(),
        }
    }

    /// The items of a list, in its order, or `None` when it holds none.
    pub fn from_vec(items: Vec<T>) -> Option<Self> {
        let mut items = items.into_iter();
        let first = items.next()?;
        Some(NonEmpty {
            first,
            rest: items.collect(),
        })
    }

    /// Adds an item at the end.
    pub fn push(&mut self, item: T) {
        self.rest.push(item);
    }

    /// The first item.
    pub fn first(&self) -> &T {
        &self.first
    }

    /// The first item and the others.
    pub fn split_first(&self) -> (&T, &[T]) {
        (&self.first, &self.rest)
    }

    /// The items, in order.
    pub fn iter(&self) -> NonEmptyIter<'_, T> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// How many items there are: at least one.
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always `false`: the list holds at least one item.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// As a list, the way a `Vec` shows.
impl<T: fmt::Debug> fmt::Debug for NonEmpty<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Adds items at the end, in order.
impl<T> Extend<T> for NonEmpty<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        self.rest.extend(items);
    }
}

/// The item at `index`, in order.
///
/// # Panics
///
/// When `index` is not below [`NonEmpty::len`], like a slice.
impl<T> std::ops::Index<usize> for NonEmpty<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match index.checked_sub(1) {
            None => &self.first,
            Some(later) => &self.rest[later],
        }
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = NonEmptyIter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::iter::Once<T>, std::vec::IntoIter<T>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self.first).chain(self.rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_keeps_its_order_and_is_never_empty() {
        assert_eq!(NonEmpty::<u8>::from_vec(Vec::new()), None);
        let list = NonEmpty::from_vec(vec![1, 2]);
        assert_eq!(list.as_ref().map(NonEmpty::first), Some(&1));
        assert_eq!(list.as_ref().map(|list| list[1]), Some(2));
        assert_eq!(list.as_ref().map(NonEmpty::len), Some(2));
        assert_eq!(format!("{list:?}"), "Some([1, 2])");
        let mut list = NonEmpty::one(1);
        list.push(2);
        list.extend([3]);
        assert_eq!(list.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    }
}
