//! Engine timestamps and user-given dates: RFC 3339 (`2024-05-01T10:00:00.5+02:00`) read into
//! nanoseconds since the Unix epoch, without a date library.

/// Nanoseconds since the Unix epoch of an RFC 3339 date-time or date: `T`, `t` or a space
/// between date and time; an optional fraction (up to nanoseconds); `Z` or `±hh:mm` (no zone:
/// UTC); a date alone is its midnight UTC. `None` for anything else.
pub fn unix_nanos(text: &str) -> Option<i128> {
    let (date, rest) = text.split_once(['T', 't', ' ']).unwrap_or((text, ""));
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if rest.is_empty() {
        return Some(i128::from(days * 86_400) * 1_000_000_000);
    }
    // Time of day, then an optional fraction, then Z or ±hh:mm.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut fields = hms.split(':');
    let h: i64 = fields.next()?.parse().ok()?;
    let m: i64 = fields.next().unwrap_or("0").parse().ok()?;
    let s: i64 = fields.next().unwrap_or("0").parse().ok()?;
    if h > 23 || m > 59 || s > 60 || fields.next().is_some() {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits: String = fraction.chars().take(9).collect();
    let nanos: i64 = format!("{digits:0<9}").parse().ok()?;
    let offset = match zone.chars().next() {
        None => 0,
        Some('Z' | 'z') if zone.len() == 1 => 0,
        Some(sign @ ('+' | '-')) => {
            let (oh, om) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
            let secs = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
            if sign == '-' { -secs } else { secs }
        }
        Some(_) => return None,
    };
    let seconds = days * 86_400 + h * 3600 + m * 60 + s - offset;
    Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
}

/// Whole seconds since the Unix epoch (rounded down) of what [`unix_nanos`] reads.
pub fn unix_seconds(text: &str) -> Option<i64> {
    let nanos = unix_nanos(text)?;
    i64::try_from(nanos.div_euclid(1_000_000_000)).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i128 = 1_000_000_000;

    #[test]
    fn rfc3339_forms() {
        assert_eq!(unix_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_nanos("1970-01-01T00:00:01.5Z"), Some(SEC + SEC / 2));
        assert_eq!(
            unix_nanos("2024-02-29T12:00:00.000000001Z"),
            Some(1_709_208_000 * SEC + 1)
        );
        assert_eq!(
            unix_nanos("2024-02-29T13:30:00+01:30"),
            Some(1_709_208_000 * SEC)
        );
        assert_eq!(
            unix_nanos("2024-02-29T06:30:00-05:30"),
            Some(1_709_208_000 * SEC)
        );
        assert_eq!(unix_nanos("2024-02-29 12:00:00"), Some(1_709_208_000 * SEC));
        assert_eq!(unix_nanos("2024-02-29"), Some(1_709_164_800 * SEC));
        // The engine's "zero" time lies before the epoch.
        assert!(unix_nanos("0001-01-01T00:00:00Z").is_some_and(|n| n < 0));
        // Engine timestamps carry nanoseconds; more digits are cut.
        assert_eq!(
            unix_nanos("1970-01-01T00:00:00.1234567891Z"),
            Some(123_456_789)
        );
    }

    #[test]
    fn seconds_round_down() {
        assert_eq!(unix_seconds("1970-01-01T00:00:01.9Z"), Some(1));
        assert_eq!(unix_seconds("1969-12-31T23:59:59.5Z"), Some(-1));
        assert_eq!(
            unix_seconds("2024-05-01T12:00:00+02:00"),
            Some(1_714_557_600)
        );
    }

    #[test]
    fn other_text_is_refused() {
        for text in [
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-01-32",
            "2024-01-01T24:00:00Z",
            "2024-01-01T10:00:00Q",
            "2024-01-01T10:00:00.5xZ",
            "",
        ] {
            assert_eq!(unix_nanos(text), None, "{text}");
        }
    }
}
