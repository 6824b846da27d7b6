//! Exact decimal amounts. The wire carries amounts as decimal strings
//! (`"100"`, `"10000.00"`); a mandate's limit is compared digit by digit,
//! never through a float.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative decimal amount as the vendor writes it: digits, optionally
/// a point and more digits (`"100"`, `"99.90"`). No sign, exponent,
/// separators or spaces. Compared exactly: `"100"` equals `"100.00"`.
#[derive(Clone, PartialEq, Eq)]
pub struct Amount {
    /// As written, for the wire and for messages.
    text: String,
    /// Integer digits without leading zeros (empty for zero).
    integer: String,
    /// Fraction digits without trailing zeros.
    fraction: String,
}

/// The longest amount accepted; far beyond any real purchase.
const MAX_DIGITS: usize = 32;

impl Amount {
    /// Parses `text`; `None` when it is not a plain decimal.
    pub fn parse(text: &str) -> Option<Self> {
        let (integer, fraction) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(integer) || fraction.is_some_and(|f| !digits(f)) || text.len() > MAX_DIGITS {
            return None;
        }
        Some(Self {
            text: text.to_owned(),
            integer: integer.trim_start_matches('0').to_owned(),
            fraction: fraction.unwrap_or("").trim_end_matches('0').to_owned(),
        })
    }

    /// The amount as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for Amount {
    fn cmp(&self, other: &Self) -> Ordering {
        // Without leading zeros, more integer digits is a larger number;
        // equal lengths compare as text. Fractions compare as text once the
        // shorter is (implicitly) padded with zeros, which is what
        // lexicographic order on trailing-zero-free digits does.
        self.integer
            .len()
            .cmp(&other.integer.len())
            .then_with(|| self.integer.cmp(&other.integer))
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl PartialOrd for Amount {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.text)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        Amount::parse(s).expect(s)
    }

    #[test]
    fn parses_plain_decimals_only() {
        for good in ["0", "100", "100.00", "0.5", "007.10", "10000.00"] {
            assert!(Amount::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            "1,000",
            " 1",
            "1 ",
            "NaN",
            "1.2.3",
            "٣",
            "123456789012345678901234567890123",
        ] {
            assert!(Amount::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn compares_exactly() {
        assert_eq!(a("100").cmp(&a("100.00")), Ordering::Equal);
        assert_eq!(a("007.10").cmp(&a("7.1")), Ordering::Equal);
        assert!(a("100.01") > a("100"));
        assert!(a("99.999") < a("100"));
        assert!(a("1000") > a("999.99"));
        assert!(a("0.1") > a("0.09"));
        assert!(a("0") < a("0.0000001"));
        // 0.1 + 0.2 style float traps do not exist here.
        assert!(a("0.30000000000000004") > a("0.3"));
        assert!(a("10000000000000000.01") > a("10000000000000000"));
    }
}
