//! Record ids: ULIDs, as Porter uses for runs and results.
//!
//! A ULID is 48 bits of milliseconds and 80 random bits in 26 Crockford
//! base32 characters, so ids sort by creation time as plain strings. Within
//! one process ids are strictly increasing even inside one millisecond (the
//! random part is incremented), so a run's `running` result always sorts
//! before its final one.

use std::sync::{Mutex, PoisonError};

use super::StoreError;
use crate::time::Timestamp;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_MASK: u128 = (1 << 80) - 1;

/// The last id handed out: (milliseconds, random part).
static LAST: Mutex<Option<(u64, u128)>> = Mutex::new(None);

/// A new ULID, greater than every ULID this process made before.
pub fn new_ulid() -> Result<String, StoreError> {
    // `now` is never before the epoch, so the conversion cannot fail.
    let now = u64::try_from(Timestamp::now().unix_millis()).unwrap_or(0) & ((1 << 48) - 1);
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    let (millis, random) = match *last {
        Some((prev, random)) if prev >= now => {
            if random == RANDOM_MASK {
                (prev + 1, fresh_random()?)
            } else {
                (prev, random + 1)
            }
        }
        _ => (now, fresh_random()?),
    };
    *last = Some((millis, random));
    Ok(encode((u128::from(millis) << 80) | random))
}

fn fresh_random() -> Result<u128, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    // Leave headroom so increments within a millisecond rarely overflow.
    Ok(u128::from_be_bytes(bytes) & (RANDOM_MASK >> 1))
}

fn encode(value: u128) -> String {
    (0..26)
        .map(|i| {
            let shift = 125 - 5 * i;
            char::from(ALPHABET[((value >> shift) & 31) as usize])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_chars_and_strictly_increasing() {
        let ids: Vec<String> = (0..1000).map(|_| new_ulid().unwrap()).collect();
        assert!(ids.iter().all(|id| id.len() == 26), "{ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "not increasing");
    }

    #[test]
    fn encodes_the_time_first() {
        assert_eq!(encode(0), "00000000000000000000000000");
        assert_eq!(encode(u128::MAX), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    }
}
