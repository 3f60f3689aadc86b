/// Converts `YYYY-MM-DD` (UTC) to epoch milliseconds without Foundation.
enum CivilDate {
    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Epoch milliseconds of UTC midnight, or nil if `text` is not a valid `YYYY-MM-DD` date:
    /// exactly ten ASCII bytes, digits but for the two hyphens (no sign, no spaces).
    ///
    /// Read byte by byte: splitting into substrings and parsing each generically cost ~6,000
    /// instructions a date, and the rates table has one per price period (docs/packaging.md,
    /// tenth pass).
    static func epochMilliseconds(_ text: String) -> Int64? {
        var fields: (year: Int64, month: Int64, day: Int64) = (0, 0, 0)
        var position = 0
        for byte in text.utf8 {
            guard position < 10 else { return nil }
            if position == 4 || position == 7 {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                if position < 4 {
                    fields.year = fields.year * 10 + Int64(digit)
                } else if position < 7 {
                    fields.month = fields.month * 10 + Int64(digit)
                } else {
                    fields.day = fields.day * 10 + Int64(digit)
                }
            }
            position += 1
        }
        let (year, month, day) = fields
        guard position == 10, (1...12).contains(month), (1...31).contains(day) else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays: Int64 =
            switch month {
            case 2: leap ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        guard day <= monthDays else { return nil }
        return daysSinceEpoch(year: year, month: month, day: day) * 86_400_000
    }
}

/// UTC calendar helpers for billing periods.
public enum UTCCalendar {
    /// Epoch ms of 00:00 UTC on the first day of the month containing `epochMilliseconds`.
    public static func startOfMonth(epochMilliseconds: Int64) -> Int64 {
        let days =
            epochMilliseconds >= 0 ? epochMilliseconds / 86_400_000 : (epochMilliseconds - 86_399_999) / 86_400_000
        // civil_from_days (Howard Hinnant)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return CivilDate.daysSinceEpoch(year: year, month: month, day: 1) * 86_400_000
    }
}
