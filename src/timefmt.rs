//! Times for people and documents, all in UTC, formatted by the `time` crate: the account page
//! ("2026-11-23 14:05 UTC", in German "23. November 2026, 14:05 UTC", and RFC 3339 for
//! `<time datetime>`) and the CLI's tables.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

fn utc(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Unix seconds as UTC to the minute, e.g. "2026-11-23 14:05 UTC".
pub fn minute(secs: i64) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    utc(secs).format(f).unwrap_or_default()
}

/// German month names (the `time` crate formats English only).
const MONATE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// Unix seconds as UTC to the minute, as people of `lang` write it: English keeps [`minute`]'s
/// ISO form, German "23. November 2026, 14:05 UTC".
pub fn minute_in(lang: crate::i18n::Lang, secs: i64) -> String {
    match lang {
        crate::i18n::Lang::En => minute(secs),
        crate::i18n::Lang::De => {
            let t = utc(secs);
            let month = MONATE[usize::from(u8::from(t.month())) - 1];
            format!(
                "{}. {month} {}, {:02}:{:02} UTC",
                t.day(),
                t.year(),
                t.hour(),
                t.minute()
            )
        }
    }
}

/// Unix seconds as UTC to the second, in the words of `lang` (the error page's time).
pub fn second_in(lang: crate::i18n::Lang, secs: i64) -> String {
    match lang {
        crate::i18n::Lang::En => second(secs),
        crate::i18n::Lang::De => {
            let t = utc(secs);
            let f = format_description!("[day].[month].[year] [hour]:[minute]:[second] UTC");
            t.format(f).unwrap_or_default()
        }
    }
}

/// Unix seconds as UTC to the second, e.g. "2026-11-23 14:05:59Z" (CLI tables).
pub fn second(secs: i64) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    utc(secs).format(f).unwrap_or_default()
}

/// Unix seconds as an RFC 3339 timestamp, e.g. "2026-11-23T14:05:59Z".
pub fn rfc3339(secs: i64) -> String {
    utc(secs).format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(minute(0), "1970-01-01 00:00 UTC");
        // 2026-11-23 14:05:59 UTC
        assert_eq!(minute(1_795_442_759), "2026-11-23 14:05 UTC");
        assert_eq!(second(1_795_442_759), "2026-11-23 14:05:59Z");
        assert_eq!(rfc3339(1_795_442_759), "2026-11-23T14:05:59Z");
        // A leap day.
        assert_eq!(minute(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(minute(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn german_dates_use_german_month_names_and_say_utc() {
        use crate::i18n::Lang;
        assert_eq!(minute_in(Lang::De, 1_795_442_759), "23. November 2026, 14:05 UTC");
        assert_eq!(minute_in(Lang::De, 1_772_323_200), "1. März 2026, 00:00 UTC");
        assert_eq!(second_in(Lang::De, 1_795_442_759), "23.11.2026 14:05:59 UTC");
        assert_eq!(minute_in(Lang::En, 1_795_442_759), minute(1_795_442_759));
    }
}
