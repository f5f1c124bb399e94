//! Medians.

use std::time::Duration;

/// The median of `values` (the mean of the two middle ones for an even
/// count), or `None` when empty. Sorts `values`. The runners use the same.
pub use revchain_bench_runner::median_u64;

/// The median of durations.
pub fn median(values: &[Duration]) -> Option<Duration> {
    let mut nanos: Vec<u64> = values
        .iter()
        .map(|d| d.as_nanos().try_into().unwrap_or(u64::MAX))
        .collect();
    median_u64(&mut nanos).map(Duration::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median_u64(&mut []), None);
        assert_eq!(median_u64(&mut [3, 1, 2]), Some(2));
        assert_eq!(median_u64(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median_u64(&mut [1, 2]), Some(1));
        assert_eq!(median_u64(&mut [3, 5]), Some(4));
        assert_eq!(median_u64(&mut [u64::MAX, u64::MAX]), Some(u64::MAX));
    }
}
