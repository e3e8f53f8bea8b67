//! ISC's two lease-file date formats (`print_time` in `common/print.c`).
//!
//! * the default: `W YYYY/MM/DD HH:MM:SS;` in UTC, W the weekday (0 = Sunday);
//! * `db-time-format local;`: `epoch N; # Ddd Mmm DD HH:MM:SS YYYY`, the
//!   comment in local time for humans (the reader ignores it).
//!
//! [`NEVER`] is written `never;` in both. Reading is the conf parser's
//! `parse_date_core`, shared with `dhcpd.conf`. The calendar arithmetic is
//! our own (days-from-civil), so no C library or time zone database is
//! touched unless the caller asks for the system's local time.

use super::{Time, NEVER};

/// Which of ISC's date formats to write (`db-time-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// `W YYYY/MM/DD HH:MM:SS;` in UTC (ISC's default).
    #[default]
    Utc,
    /// `epoch N; # <local time>` (`db-time-format local;`).
    Local(LocalZone),
}

/// Where the local time for the `epoch` comment comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalZone {
    /// The system's zone (`localtime_r`, honouring `TZ`), as ISC does.
    System,
    /// A fixed offset east of UTC in seconds (tests, reproducible output).
    Fixed(i32),
}

/// Why a time cannot be written (ISC's `print_time` returns NULL and the
/// writer marks the file corrupt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnprintableTime(pub Time);

impl std::fmt::Display for UnprintableTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "time {} cannot be written in a lease file", self.0)
    }
}

impl std::error::Error for UnprintableTime {}

/// A broken-down civil time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Full year (1970, 2026...).
    pub year: i64,
    /// Month 1..=12.
    pub month: u32,
    /// Day of month 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Second 0..=59.
    pub second: u32,
    /// Day of the week, 0 = Sunday.
    pub weekday: u32,
}

impl Civil {
    /// The civil time `t` seconds after the epoch (proleptic Gregorian, UTC).
    pub fn from_unix(t: i64) -> Civil {
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400) as u32;
        // Howard Hinnant's days-from-civil inverse, in 400-year eras.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            // 1970-01-01 was a Thursday (4).
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }
}

/// [`format_time`] appended to `out` (the lease writer's path: no string of
/// its own for the common UTC format).
pub fn push_time(out: &mut Vec<u8>, t: Time, format: DateFormat) -> Result<(), UnprintableTime> {
    if t == NEVER || t < 0 || !matches!(format, DateFormat::Utc) {
        out.extend_from_slice(format_time(t, format)?.as_bytes());
        return Ok(());
    }
    let c = Civil::from_unix(t);
    if !(0..=9999).contains(&c.year) {
        out.extend_from_slice(format_time(t, format)?.as_bytes());
        return Ok(());
    }
    let digits = |out: &mut Vec<u8>, n: u32, width: usize| {
        let mut buf = [b'0'; 4];
        let mut n = n;
        for d in buf[..width].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    };
    out.push(b'0' + c.weekday as u8);
    out.push(b' ');
    digits(out, c.year as u32, 4);
    out.push(b'/');
    digits(out, c.month, 2);
    out.push(b'/');
    digits(out, c.day, 2);
    out.push(b' ');
    digits(out, c.hour, 2);
    out.push(b':');
    digits(out, c.minute, 2);
    out.push(b':');
    digits(out, c.second, 2);
    out.push(b';');
    Ok(())
}

/// The text ISC writes after a date keyword, including the `;` (and, in
/// the local format, the comment): `print_time`.
pub fn format_time(t: Time, format: DateFormat) -> Result<String, UnprintableTime> {
    if t == NEVER {
        return Ok("never;".to_string());
    }
    if t < 0 {
        return Err(UnprintableTime(t));
    }
    match format {
        DateFormat::Utc => {
            let c = Civil::from_unix(t);
            Ok(format!(
                "{} {:04}/{:02}/{:02} {:02}:{:02}:{:02};",
                c.weekday, c.year, c.month, c.day, c.hour, c.minute, c.second
            ))
        }
        DateFormat::Local(zone) => {
            let c = local_civil(t, zone).ok_or(UnprintableTime(t))?;
            Ok(format!(
                "epoch {}; # {} {} {:02} {:02}:{:02}:{:02} {}",
                t,
                WEEKDAYS[c.weekday as usize % 7],
                MONTHS[(c.month as usize + 11) % 12],
                c.day,
                c.hour,
                c.minute,
                c.second,
                c.year
            ))
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn local_civil(t: Time, zone: LocalZone) -> Option<Civil> {
    match zone {
        LocalZone::Fixed(offset) => Some(Civil::from_unix(t.checked_add(i64::from(offset))?)),
        LocalZone::System => system_local(t),
    }
}

/// The system's local time for `t`, through the C library like ISC.
fn system_local(t: Time) -> Option<Civil> {
    let tt = libc::time_t::try_from(t).ok()?;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are
    // valid for the duration of the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&tt, &mut tm).is_null() {
            return None;
        }
        tm
    };
    Some(Civil {
        year: i64::from(tm.tm_year) + 1900,
        month: u32::try_from(tm.tm_mon + 1).ok()?,
        day: u32::try_from(tm.tm_mday).ok()?,
        hour: u32::try_from(tm.tm_hour).ok()?,
        minute: u32::try_from(tm.tm_min).ok()?,
        second: u32::try_from(tm.tm_sec).ok()?,
        weekday: u32::try_from(tm.tm_wday).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer's path gives format_time's bytes, over the range of times and formats.
    #[test]
    fn push_time_is_format_time() {
        let mut t: Time = 0;
        let mut cases = vec![NEVER, -1, 1, 59, 86_399, 951_782_400, 253_402_300_799, 253_402_300_800];
        while t < 300_000_000_000 {
            cases.push(t);
            t = t * 3 + 7_777;
        }
        for t in cases {
            for f in [DateFormat::Utc, DateFormat::Local(LocalZone::Fixed(3600))] {
                let mut out = b"x".to_vec();
                let pushed = push_time(&mut out, t, f);
                match format_time(t, f) {
                    Ok(text) => {
                        assert_eq!(pushed, Ok(()));
                        assert_eq!(&out[1..], text.as_bytes(), "{t}");
                    }
                    Err(e) => assert_eq!(pushed, Err(e)),
                }
            }
        }
    }

    #[test]
    fn utc_matches_isc_layout() {
        // From the reference lab: a Monday in November 2026.
        assert_eq!(format_time(1_795_411_857, DateFormat::Utc).unwrap(), "1 2026/11/23 05:30:57;");
        assert_eq!(format_time(1, DateFormat::Utc).unwrap(), "4 1970/01/01 00:00:01;");
        assert_eq!(format_time(951_782_400, DateFormat::Utc).unwrap(), "2 2000/02/29 00:00:00;");
        assert_eq!(format_time(NEVER, DateFormat::Utc).unwrap(), "never;");
        assert_eq!(format_time(-1, DateFormat::Utc), Err(UnprintableTime(-1)));
    }

    #[test]
    fn local_format_has_epoch_and_comment() {
        let f = DateFormat::Local(LocalZone::Fixed(3600));
        assert_eq!(format_time(1_795_411_857, f).unwrap(), "epoch 1795411857; # Mon Nov 23 06:30:57 2026");
        assert_eq!(format_time(NEVER, f).unwrap(), "never;");
    }

    #[test]
    fn civil_round_trips_over_centuries() {
        for t in (-5_000_000_000i64..5_000_000_000).step_by(86_399 * 97) {
            let c = Civil::from_unix(t);
            assert!((1..=12).contains(&c.month) && (1..=31).contains(&c.day) && c.weekday < 7);
            // Days-to-civil then back by the conventional formula.
            let y = c.year - i64::from(c.month <= 2);
            let era = y.div_euclid(400);
            let yoe = y - era * 400;
            let m = i64::from(c.month);
            let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(c.day) - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            let days = era * 146_097 + doe - 719_468;
            let secs = i64::from(c.hour) * 3600 + i64::from(c.minute) * 60 + i64::from(c.second);
            assert_eq!(days * 86_400 + secs, t);
        }
    }
}
