//! The customer's data for a capture context, with card numbers and
//! security codes in types that never print themselves.

use std::collections::BTreeMap;
use std::fmt;

use payclient_core::Sensitive;

use super::fields::CaptureField;
use payclient_core::ValidationError;

/// A primary account number: digits only, 12 to 19 of them, passing the Luhn
/// check. `Debug` and `Display` show the last four digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// Checks and wraps a card number (spaces are not accepted).
    pub fn new(digits: impl Into<String>) -> Result<Self, ValidationError> {
        let digits = digits.into();
        let field = CaptureField::CardNumber.path();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(field, "must contain digits only"));
        }
        if !(12..=19).contains(&digits.len()) {
            return Err(ValidationError::new(field, "must have 12 to 19 digits"));
        }
        if !luhn(&digits) {
            return Err(ValidationError::new(field, "fails the Luhn check"));
        }
        Ok(Self(digits))
    }

    fn last_four(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(…{})", self.last_four())
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…{}", self.last_four())
    }
}

/// A card security code (CVV/CVC/CID): 3 or 4 digits. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityCode(String);

impl SecurityCode {
    /// Checks and wraps a security code.
    pub fn new(digits: impl Into<String>) -> Result<Self, ValidationError> {
        let digits = digits.into();
        if !(3..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                CaptureField::CardSecurityCode.path(),
                "must be 3 or 4 digits",
            ));
        }
        Ok(Self(digits))
    }
}

impl fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecurityCode(<redacted>)")
    }
}

impl fmt::Display for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The Luhn (mod 10) check.
pub(crate) fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What the customer entered, by field. Every value is kept as sensitive.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PaymentData {
    values: BTreeMap<CaptureField, Sensitive<String>>,
}

impl fmt::Debug for PaymentData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentData")
            .field(
                "fields",
                &self.values.keys().map(|k| k.path()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PaymentData {
    /// No data yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The card number.
    pub fn card_number(mut self, number: CardNumber) -> Self {
        self.values
            .insert(CaptureField::CardNumber, Sensitive::new(number.0));
        self
    }

    /// The security code.
    pub fn security_code(mut self, code: SecurityCode) -> Self {
        self.values
            .insert(CaptureField::CardSecurityCode, Sensitive::new(code.0));
        self
    }

    /// Any other field (expiry, card type, billing and shipping details…).
    /// Card number and security code are checked again when encrypting.
    pub fn set(mut self, field: CaptureField, value: impl Into<String>) -> Self {
        self.values.insert(field, Sensitive::new(value.into()));
        self
    }

    /// The fields that have a value.
    pub fn fields(&self) -> impl Iterator<Item = CaptureField> + '_ {
        self.values.keys().copied()
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = (CaptureField, &str)> {
        self.values.iter().map(|(f, v)| (*f, v.expose().as_str()))
    }

    /// The card basics: number (digits, Luhn), expiry month `01`–`12`,
    /// four-digit expiry year, security code of 3–4 digits.
    pub(crate) fn check_card(&self) -> Result<(), ValidationError> {
        for (field, value) in self.values() {
            match field {
                CaptureField::CardNumber => {
                    CardNumber::new(value)?;
                }
                CaptureField::CardSecurityCode => {
                    SecurityCode::new(value)?;
                }
                CaptureField::CardExpirationMonth => {
                    let ok = value.len() == 2
                        && value.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
                    if !ok {
                        return Err(ValidationError::new(
                            field.path(),
                            "must be a month from 01 to 12",
                        ));
                    }
                }
                // The catch-all arm below accepts every other value.
                CaptureField::CardExpirationYear
                    if value.len() != 4 || !value.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    return Err(ValidationError::new(
                        field.path(),
                        "must be a four-digit year",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_checked_and_masked() {
        let card = CardNumber::new("4111111111111111").expect("valid");
        assert_eq!(format!("{card:?} {card}"), "CardNumber(…1111) …1111");
        assert!(
            CardNumber::new("4111111111111112")
                .unwrap_err()
                .reason
                .contains("Luhn")
        );
        assert!(CardNumber::new("4111 1111 1111 1111").is_err());
        assert!(CardNumber::new("41111").is_err());
        assert_eq!(
            CardNumber::new("x").unwrap_err().field,
            "paymentInformation.card.number"
        );
    }

    #[test]
    fn card_basics_name_the_field() {
        let check = |field, value: &str| {
            PaymentData::new()
                .set(field, value)
                .check_card()
                .err()
                .map(|e| e.field)
        };
        assert_eq!(
            check(CaptureField::CardExpirationMonth, "13").as_deref(),
            Some("paymentInformation.card.expirationMonth")
        );
        assert_eq!(
            check(CaptureField::CardExpirationMonth, "1"),
            Some("paymentInformation.card.expirationMonth".into())
        );
        assert_eq!(check(CaptureField::CardExpirationMonth, "12"), None);
        assert_eq!(
            check(CaptureField::CardExpirationYear, "31"),
            Some("paymentInformation.card.expirationYear".into())
        );
        assert_eq!(
            check(CaptureField::CardSecurityCode, "12345"),
            Some("paymentInformation.card.securityCode".into())
        );
        assert_eq!(
            check(CaptureField::CardNumber, "4111111111111112"),
            Some("paymentInformation.card.number".into())
        );
        assert!(SecurityCode::new("12a").is_err());
        assert_eq!(
            format!("{:?}", SecurityCode::new("123").expect("ok")),
            "SecurityCode(<redacted>)"
        );
    }

    #[test]
    fn debug_shows_field_names_only() {
        let data = PaymentData::new()
            .card_number(CardNumber::new("4111111111111111").expect("valid"))
            .set(CaptureField::BillToEmail, "a@b.example");
        let text = format!("{data:?}");
        assert!(
            text.contains("paymentInformation.card.number")
                && !text.contains("4111")
                && !text.contains("a@b"),
            "{text}"
        );
    }
}
