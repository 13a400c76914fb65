//! Instants in UTC, and the RFC 3339 text Porter's documents hold.
//!
//! [`Timestamp`] is Wharf's one time type: the calendar is `jiff`'s (built
//! without a time zone database, since every time here is UTC), and this
//! module adds only what Wharf's formats need:
//!
//! - [`Display`](std::fmt::Display) and `Serialize` write Go's
//!   `time.RFC3339Nano`, as Porter writes a set's `status.created`: UTC, `Z`,
//!   the fraction trimmed of trailing zeros (`2024-05-01T10:20:30.12Z`);
//! - [`Timestamp::to_rfc3339_millis`] and [`rfc3339_millis`] write exactly
//!   three fraction digits (`2024-05-01T10:20:30.120Z`), the fixed-width form
//!   installation records and OCI configs are shown in;
//! - [`Timestamp::parse`] reads RFC 3339, offsets included.
//!
//! Times are kept to the nanosecond. [`Timestamp::now`] is to the
//! millisecond, the resolution installation records store (as unix
//! milliseconds in SQLite), so a time read back equals the time written.

use std::fmt;
use std::time::SystemTime;

use jiff::tz::Offset;
use serde::{Serialize, Serializer};

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_MILLI: i128 = 1_000_000;
/// 0000-01-01T00:00:00Z, the first instant RFC 3339 can write.
const YEAR_0: jiff::Timestamp = jiff::Timestamp::constant(-62_167_219_200, 0);

/// An instant, to the nanosecond, from the year 0 to the last day of 9999
/// (UTC; `jiff` stops a day short of 10000): what RFC 3339's four-digit
/// years can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(jiff::Timestamp::UNIX_EPOCH);

    /// Now, from the system clock, to the millisecond. A clock set before
    /// 1970 (or past 9999) reads as the Unix epoch rather than failing to
    /// record anything.
    pub fn now() -> Self {
        jiff::Timestamp::try_from(SystemTime::now())
            .ok()
            .and_then(|now| Self::from_unix_millis(now.as_millisecond()))
            .filter(|now| now.unix_millis() >= 0)
            .unwrap_or(Self::UNIX_EPOCH)
    }

    /// The instant `seconds` (and `nanos`) after the Unix epoch; `None` when
    /// `nanos` is not below one second or the year leaves 0..=9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        let nanos = i32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000)?;
        Self::checked(jiff::Timestamp::new(seconds, nanos).ok()?)
    }

    /// The instant `millis` milliseconds after the Unix epoch; `None` when
    /// the year leaves 0..=9999.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        Self::checked(jiff::Timestamp::from_millisecond(millis).ok()?)
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub fn unix_seconds(self) -> i64 {
        // Years 0..=9999 keep every quotient here well inside an i64.
        self.0.as_nanosecond().div_euclid(NANOS_PER_SECOND) as i64
    }

    /// Nanoseconds after [`unix_seconds`](Self::unix_seconds).
    pub fn subsec_nanos(self) -> u32 {
        self.0.as_nanosecond().rem_euclid(NANOS_PER_SECOND) as u32
    }

    /// Milliseconds since the Unix epoch (rounded down): how records store
    /// a time.
    pub fn unix_millis(self) -> i64 {
        self.0.as_nanosecond().div_euclid(NANOS_PER_MILLI) as i64
    }

    /// Parses RFC 3339 (`2024-05-01T10:20:30.5Z`, `...+02:00`), as Go's
    /// `time.RFC3339Nano` reads it: the date, `T`, the time to the second,
    /// an optional fraction, and `Z` or an offset.
    pub fn parse(text: &str) -> Option<Self> {
        if !has_rfc3339_shape(text) {
            return None;
        }
        Self::checked(text.parse().ok()?)
    }

    /// RFC 3339 in UTC with exactly three fraction digits:
    /// `2024-05-01T12:30:00.250Z`.
    pub fn to_rfc3339_millis(self) -> String {
        self.rfc3339_millis().as_str().to_string()
    }

    /// [`to_rfc3339_millis`](Self::to_rfc3339_millis) on the stack: a
    /// list of 100 000 records writes four times each, and an allocation
    /// and a formatter per time would be most of its cost.
    pub fn rfc3339_millis(self) -> Rfc3339Millis {
        let at = Offset::UTC.to_datetime(self.0);
        let mut text = *b"0000-00-00T00:00:00.000Z";
        // The fraction is cut, not rounded, as a `{:.3}` precision does.
        let fields = [
            (0, 4, i32::from(at.year())),
            (5, 2, i32::from(at.month())),
            (8, 2, i32::from(at.day())),
            (11, 2, i32::from(at.hour())),
            (14, 2, i32::from(at.minute())),
            (17, 2, i32::from(at.second())),
            (20, 3, i32::from(at.millisecond())),
        ];
        for (start, width, mut value) in fields {
            // Every field is non-negative: years are 0..=9999.
            for digit in text[start..start + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Rfc3339Millis(text)
    }

    fn checked(instant: jiff::Timestamp) -> Option<Self> {
        // jiff's last instant is in 9999 even in UTC (it leaves room for
        // any offset); its first is long before the year 0.
        (instant >= YEAR_0).then_some(Self(instant))
    }
}

/// `2024-05-01T12:30:00.250Z`, from [`Timestamp::rfc3339_millis`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339Millis([u8; 24]);

impl Rfc3339Millis {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Rfc3339Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// `YYYY-MM-DDTHH:MM:SS` and more: what RFC 3339 requires and jiff's more
/// forgiving ISO 8601 reader would not (a space for the `T`, no seconds).
fn has_rfc3339_shape(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    b.len() >= 20
        && digits.iter().all(|&i| b[i].is_ascii_digit())
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':'
}

impl fmt::Display for Timestamp {
    /// Go's `RFC3339Nano` in UTC: `2024-05-01T10:20:30.123Z`. A precision
    /// (`{:.3}`) fixes the number of fraction digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Serialises a [`Timestamp`] with exactly three fraction digits, for
/// `#[serde(serialize_with = "crate::time::rfc3339_millis::serialize")]`.
pub mod rfc3339_millis {
    use serde::Serializer;

    use super::Timestamp;

    /// `2024-05-01T12:30:00.250Z`.
    pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(time.rfc3339_millis().as_str())
    }

    /// The same for an optional time; `None` is `null`.
    pub mod option {
        use serde::Serializer;

        use super::Timestamp;

        /// `2024-05-01T12:30:00.250Z`, or `null`.
        pub fn serialize<S: Serializer>(
            time: &Option<Timestamp>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => super::serialize(time, serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go_rfc3339nano() {
        assert_eq!(
            Timestamp::from_unix(0, 0).unwrap().to_string(),
            "1970-01-01T00:00:00Z"
        );
        let t = Timestamp::from_unix(1_714_558_830, 120_000_000).unwrap();
        assert_eq!(t.to_string(), "2024-05-01T10:20:30.12Z");
        assert_eq!(
            Timestamp::from_unix(951_782_400, 0).unwrap().to_string(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::json!("2024-05-01T10:20:30.12Z")
        );
    }

    #[test]
    fn formats_records_with_three_fraction_digits() {
        let at = |millis| Timestamp::from_unix_millis(millis).unwrap();
        assert_eq!(at(0).to_rfc3339_millis(), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day in a century leap year), 23:59:59.999.
        assert_eq!(
            at(951_868_799_999).to_rfc3339_millis(),
            "2000-02-29T23:59:59.999Z"
        );
        assert_eq!(
            at(1_714_566_600_250).to_rfc3339_millis(),
            "2024-05-01T12:30:00.250Z"
        );
        assert_eq!(
            at(4_107_542_400_000).to_rfc3339_millis(),
            "2100-03-01T00:00:00.000Z"
        );

        #[derive(Serialize)]
        struct Record {
            #[serde(serialize_with = "rfc3339_millis::serialize")]
            created: Timestamp,
            #[serde(serialize_with = "rfc3339_millis::option::serialize")]
            installed: Option<Timestamp>,
            #[serde(serialize_with = "rfc3339_millis::option::serialize")]
            uninstalled: Option<Timestamp>,
        }
        let record = Record {
            created: at(1_714_566_600_250),
            installed: Some(at(1_714_566_600_000)),
            uninstalled: None,
        };
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            serde_json::json!({
                "created": "2024-05-01T12:30:00.250Z",
                "installed": "2024-05-01T12:30:00.000Z",
                "uninstalled": null,
            })
        );
    }

    #[test]
    fn the_stack_form_writes_what_a_precision_of_three_does() {
        // Through the calendar's corners and sub-millisecond parts, which
        // are cut, not rounded.
        let mut seconds: i64 = -62_167_219_200; // 0000-01-01
        // 9999-12-30T21:59:59, near jiff's last instant (it leaves room
        // for any offset before 10000).
        let last = 253_402_207_199;
        let mut nanos: u32 = 0;
        while seconds <= last {
            let at = Timestamp::from_unix(seconds, nanos).unwrap();
            assert_eq!(at.rfc3339_millis().as_str(), format!("{:.3}", at.0));
            seconds += 86_399 * 37 + 1_234;
            nanos = (nanos + 999_999_999 / 7 + 1) % 1_000_000_000;
        }
        let end = Timestamp::from_unix(last, 999_999_999).unwrap();
        assert_eq!(end.rfc3339_millis().as_str(), "9999-12-30T21:59:59.999Z");
        assert_eq!(format!("{:>26}", end.rfc3339_millis()).len(), 26);
    }

    #[test]
    fn parses_what_it_writes_and_offsets() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-05-01T10:20:30.12Z",
            "2000-02-29T23:59:59.999999999Z",
        ] {
            assert_eq!(Timestamp::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Timestamp::parse("2024-05-01T12:20:30+02:00")
                .unwrap()
                .to_string(),
            "2024-05-01T10:20:30Z"
        );
        assert_eq!(
            Timestamp::parse("2024-05-01t10:20:30.5z")
                .unwrap()
                .to_string(),
            "2024-05-01T10:20:30.5Z"
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01 10:20:30Z",
            "2024-05-01T10:20:30",
            "yesterday",
            "2024-05-01T10:20Z",
            "2024-05-01T10:20:30.Z",
            "2024-05-01T10:20:30.1234567891Z",
        ] {
            assert!(Timestamp::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn unix_parts_round_trip() {
        let t = Timestamp::from_unix(1_714_558_830, 120_000_000).unwrap();
        assert_eq!(
            (t.unix_seconds(), t.subsec_nanos(), t.unix_millis()),
            (1_714_558_830, 120_000_000, 1_714_558_830_120)
        );
        assert_eq!(Timestamp::from_unix_millis(t.unix_millis()), Some(t));
        // Before 1970 the parts still count forwards from a whole second.
        let before = Timestamp::from_unix_millis(-1).unwrap();
        assert_eq!(
            (
                before.unix_seconds(),
                before.subsec_nanos(),
                before.unix_millis()
            ),
            (-1, 999_000_000, -1)
        );
        assert_eq!(before.to_string(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn years_outside_0_to_9999_are_refused() {
        assert!(Timestamp::from_unix(-62_167_219_201, 0).is_none()); // -0001-12-31T23:59:59Z
        assert!(Timestamp::from_unix(-62_167_219_200, 0).is_some()); // 0000-01-01T00:00:00Z
        let late_9999 = Timestamp::from_unix(253_383_811_200, 0).unwrap();
        assert_eq!(late_9999.to_string(), "9999-06-01T00:00:00Z");
        assert!(Timestamp::from_unix(253_402_300_800, 0).is_none()); // 10000-01-01T00:00:00Z
        assert!(Timestamp::from_unix(0, 1_000_000_000).is_none());
        assert!(Timestamp::from_unix_millis(i64::MAX).is_none());
    }

    #[test]
    fn now_is_to_the_millisecond_and_after_the_epoch() {
        let now = Timestamp::now();
        assert!(now.unix_seconds() > 1_700_000_000, "{now}");
        assert_eq!(now.subsec_nanos() % 1_000_000, 0);
        assert_eq!(Timestamp::from_unix_millis(now.unix_millis()), Some(now));
    }
}
