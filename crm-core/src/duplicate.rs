//! Duplicate detection on create: the same normalised name, phone or email as a record that
//! already exists. It only warns; the person decides.

use crate::kind::{FieldSpec, FieldType, Kind};
use crate::value::FieldValue;

/// Legal-form suffixes that do not make two company names different.
const COMPANY_SUFFIXES: &[&str] =
    &["股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "co.,ltd.", "co.,ltd", "ltd.", "ltd", "inc.", "inc"];

/// Lower-case, full-width to half-width, no spaces or punctuation.
pub fn normalise_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || *c == '.' || *c == ',')
        .collect();
    for suffix in COMPANY_SUFFIXES {
        if out.len() > suffix.len() && out.ends_with(suffix) {
            out.truncate(out.len() - suffix.len());
            break;
        }
    }
    out.retain(|c| c != '.' && c != ',');
    out
}

/// The national number: digits only, without a `+86`/`0086` country prefix or the trunk
/// `0` of a landline, so `+86 571 8888 5678` and `0571-8888 5678` are the same phone.
pub fn normalise_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national =
        ["0086", "86"].iter().find_map(|p| digits.strip_prefix(p).filter(|rest| rest.len() >= 10)).unwrap_or(&digits);
    national.strip_prefix('0').unwrap_or(national).to_string()
}

/// Duplicate keys of a record, each with the field it came from. Contact names are only
/// duplicates within the same customer (many companies have a 张伟).
pub fn keys(kind: Kind, read: impl Fn(&FieldSpec) -> Option<FieldValue>) -> Vec<(String, &'static str)> {
    let spec = kind.spec();
    let scope = spec.field("customer").and_then(&read).and_then(|v| v.as_str().map(str::to_string));
    let mut out = Vec::new();
    for field in spec.fields.iter().filter(|f| f.duplicate_key) {
        match (field.ty, read(field)) {
            (FieldType::Phones, Some(FieldValue::Phones(phones))) => {
                for p in phones {
                    let n = normalise_phone(&p);
                    if n.len() >= 5 {
                        out.push((format!("p:{n}"), field.name));
                    }
                }
            }
            (FieldType::Email, Some(FieldValue::Str(e))) => {
                out.push((format!("e:{}", e.trim().to_lowercase()), field.name))
            }
            (_, Some(FieldValue::Str(name))) => {
                let n = normalise_name(&name);
                if !n.is_empty() {
                    let key = match &scope {
                        Some(customer) => format!("n:{customer}:{n}"),
                        None => format!("n:{n}"),
                    };
                    out.push((key, field.name));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_match_without_legal_suffix_spacing_or_width() {
        assert_eq!(normalise_name("杭州宏达科技有限公司"), normalise_name("杭州 宏达科技"));
        assert_eq!(normalise_name("ＡＢＣ Trading Co., Ltd."), normalise_name("abc trading"));
        assert_ne!(normalise_name("杭州宏达科技"), normalise_name("杭州宏达电子"));
    }

    #[test]
    fn phones_match_with_or_without_country_code() {
        assert_eq!(normalise_phone("+86 138-1234-5678"), "13812345678");
        assert_eq!(normalise_phone("138 1234 5678"), "13812345678");
        assert_eq!(normalise_phone("+86 571 8888 5678"), normalise_phone("0571-8888 5678"));
        assert_eq!(normalise_phone("0086 571 88885678"), "57188885678");
        assert_eq!(normalise_phone("8612 3456"), "86123456");
    }
}
