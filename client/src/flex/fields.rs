//! The 31 fields a capture context can ask for (the product document's
//! "Payment API Fields"), and the selection sent to `POST /flex/v2/sessions`.

use std::collections::BTreeMap;

use payclient_core::ValidationError;

macro_rules! capture_fields {
    ($($variant:ident => $path:literal,)*) => {
        /// A field a capture context can ask the customer for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum CaptureField {
            $(
                #[doc = concat!("`", $path, "`")]
                $variant,
            )*
        }

        impl CaptureField {
            /// Every field, in the document's order.
            pub const ALL: &'static [CaptureField] = &[$(CaptureField::$variant,)*];

            /// The dotted wire path, e.g. `paymentInformation.card.number`.
            pub fn path(self) -> &'static str {
                match self {
                    $(CaptureField::$variant => $path,)*
                }
            }

            /// The field with this dotted path.
            pub fn from_path(path: &str) -> Option<Self> {
                match path {
                    $($path => Some(CaptureField::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

capture_fields! {
    OrderCurrency => "orderInformation.amountDetails.currency",
    OrderTotalAmount => "orderInformation.amountDetails.totalAmount",
    BillToAddress1 => "orderInformation.billTo.address1",
    BillToAddress2 => "orderInformation.billTo.address2",
    BillToAdministrativeArea => "orderInformation.billTo.administrativeArea",
    BillToBuildingNumber => "orderInformation.billTo.buildingNumber",
    BillToCompany => "orderInformation.billTo.company",
    BillToCountry => "orderInformation.billTo.country",
    BillToDistrict => "orderInformation.billTo.district",
    BillToEmail => "orderInformation.billTo.email",
    BillToFirstName => "orderInformation.billTo.firstName",
    BillToLastName => "orderInformation.billTo.lastName",
    BillToLocality => "orderInformation.billTo.locality",
    BillToPhoneNumber => "orderInformation.billTo.phoneNumber",
    BillToPostalCode => "orderInformation.billTo.postalCode",
    ShipToAddress1 => "orderInformation.shipTo.address1",
    ShipToAddress2 => "orderInformation.shipTo.address2",
    ShipToAdministrativeArea => "orderInformation.shipTo.administrativeArea",
    ShipToBuildingNumber => "orderInformation.shipTo.buildingNumber",
    ShipToCompany => "orderInformation.shipTo.company",
    ShipToCountry => "orderInformation.shipTo.country",
    ShipToDistrict => "orderInformation.shipTo.district",
    ShipToFirstName => "orderInformation.shipTo.firstName",
    ShipToLastName => "orderInformation.shipTo.lastName",
    ShipToLocality => "orderInformation.shipTo.locality",
    ShipToPostalCode => "orderInformation.shipTo.postalCode",
    CardExpirationMonth => "paymentInformation.card.expirationMonth",
    CardExpirationYear => "paymentInformation.card.expirationYear",
    CardNumber => "paymentInformation.card.number",
    CardSecurityCode => "paymentInformation.card.securityCode",
    CardType => "paymentInformation.card.type",
}

/// Which fields a capture context asks for, each required or optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureSelection {
    fields: BTreeMap<CaptureField, bool>,
}

impl CaptureSelection {
    /// An empty selection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for `field`; the customer must supply it.
    pub fn require(mut self, field: CaptureField) -> Self {
        self.fields.insert(field, true);
        self
    }

    /// Asks for `field`; the customer may leave it out.
    pub fn optional(mut self, field: CaptureField) -> Self {
        self.fields.insert(field, false);
        self
    }

    /// The selected fields and whether each is required.
    pub fn fields(&self) -> impl Iterator<Item = (CaptureField, bool)> + '_ {
        self.fields.iter().map(|(f, r)| (*f, *r))
    }

    /// The request body: `{"fields": {…}}`, a required field as `{}` (the
    /// vendor's default), an optional one as `{"required": false}`.
    pub fn to_request(
        &self,
    ) -> Result<crate::flex::raw::types::CaptureContextRequest, ValidationError> {
        if self.fields.is_empty() {
            return Err(ValidationError::new(
                "fields",
                "must ask for at least one field",
            ));
        }
        let mut root = serde_json::Map::new();
        for (field, required) in &self.fields {
            let leaf = if *required {
                serde_json::json!({})
            } else {
                serde_json::json!({"required": false})
            };
            insert_path(&mut root, field.path(), leaf);
        }
        crate::request_from_json(serde_json::json!({ "fields": root }))
    }
}

/// Sets `path` (dotted) in `root` to `value`, creating the objects on the way.
pub(crate) fn insert_path(
    root: &mut serde_json::Map<String, serde_json::Value>,
    path: &str,
    value: serde_json::Value,
) {
    let mut parts = path.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), value);
            return;
        }
        let next = node
            .entry(part.to_owned())
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        if !next.is_object() {
            *next = serde_json::Value::Object(serde_json::Map::new());
        }
        match next {
            serde_json::Value::Object(map) => node = map,
            // Made an object just above.
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_31_fields_and_paths_round_trip() {
        assert_eq!(CaptureField::ALL.len(), 31);
        for field in CaptureField::ALL {
            assert_eq!(CaptureField::from_path(field.path()), Some(*field));
        }
        assert_eq!(CaptureField::from_path("paymentInformation.card.pin"), None);
    }

    #[test]
    fn the_request_uses_the_fields_wrapper() {
        let request = CaptureSelection::new()
            .require(CaptureField::CardNumber)
            .optional(CaptureField::CardSecurityCode)
            .optional(CaptureField::BillToEmail)
            .to_request()
            .expect("valid");
        assert_eq!(
            serde_json::to_value(&request).expect("json"),
            serde_json::json!({"fields": {
                "paymentInformation": {"card": {"number": {}, "securityCode": {"required": false}}},
                "orderInformation": {"billTo": {"email": {"required": false}}}
            }})
        );
        assert!(CaptureSelection::new().to_request().is_err());
    }
}
