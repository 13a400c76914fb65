//! UTC timestamps written as RFC 3339, the way Go writes a `time.Time`.
//!
//! Stored sets carry `status.created` and `status.modified`; Porter writes
//! them with Go's `RFC3339Nano` layout (fraction trimmed of trailing zeros).
//! The crate has no date library and needs only this much, so the
//! civil-calendar arithmetic is here (Howard Hinnant's algorithms).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

/// An instant, to the nanosecond, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

impl Timestamp {
    /// Now, from the system clock.
    pub fn now() -> Self {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Self {
                seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                nanos: d.subsec_nanos(),
            },
            // A clock before 1970: clamp rather than fail to store a set.
            Err(_) => Self {
                seconds: 0,
                nanos: 0,
            },
        }
    }

    /// The instant `seconds` (and `nanos`) after the Unix epoch; `None` when
    /// `nanos` is not below one second or the year leaves 0..=9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        let t = Self { seconds, nanos };
        (nanos < 1_000_000_000 && (0..=9999).contains(&t.civil().0)).then_some(t)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Parses RFC 3339 (`2024-05-01T10:20:30.5Z`, `...+02:00`), as Go's
    /// `time.RFC3339Nano` reads it.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(range)?;
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())?
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let days = days_from_civil(year, month as u32, day as u32);
        if civil_from_days(days) != (year, month as u32, day as u32) {
            return None; // e.g. February 30th
        }
        let mut rest = &text[19..];
        let mut nanos = 0u32;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            let padded = format!("{:0<9}", &fraction[..digits]);
            nanos = padded.parse().ok()?;
            rest = &fraction[digits..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let o = rest.as_bytes();
                if o.len() != 6 || o[3] != b':' {
                    return None;
                }
                let (h, m) = (num_in(&rest[1..3])?, num_in(&rest[4..6])?);
                if h > 23 || m > 59 {
                    return None;
                }
                sign * (h * 3600 + m * 60)
            }
        };
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
        Self::from_unix(seconds, nanos)
    }

    fn civil(&self) -> (i64, u32, u32) {
        civil_from_days(self.seconds.div_euclid(86_400))
    }
}

fn num_in(s: &str) -> Option<i64> {
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())?
}

impl fmt::Display for Timestamp {
    /// Go's `RFC3339Nano` in UTC: `2024-05-01T10:20:30.123Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.civil();
        let secs = self.seconds.rem_euclid(86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )?;
        if self.nanos > 0 {
            let fraction = format!("{:09}", self.nanos);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01 10:20:30Z",
            "2024-05-01T10:20:30",
            "yesterday",
        ] {
            assert!(Timestamp::parse(s).is_none(), "{s}");
        }
    }
}
