//! Validation of account fields and masking of personal data.

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("password must be at least 8 characters")]
    TooShort,
    #[error("password must be at most 256 characters")]
    TooLong,
}

pub fn check_password_rules(password: &str) -> Result<(), PasswordRuleError> {
    match password.chars().count() {
        0..8 => Err(PasswordRuleError::TooShort),
        8..=256 => Ok(()),
        _ => Err(PasswordRuleError::TooLong),
    }
}

/// Usernames: 3..=64 of ASCII letters, digits, `.`, `-`, `_`.
pub fn validate_username(name: &str) -> Result<(), &'static str> {
    if !(3..=64).contains(&name.len()) {
        return Err("username must be 3 to 64 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err("username may contain only ASCII letters, digits, '.', '-' and '_'");
    }
    Ok(())
}

/// A mainland China mobile number: 11 digits starting with 1[3-9].
pub fn validate_phone(phone: &str) -> Result<(), &'static str> {
    let b = phone.as_bytes();
    if b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
    {
        Ok(())
    } else {
        Err("phone must be an 11-digit mobile number starting with 13-19")
    }
}

/// `13812345678` → `138****5678`; anything shorter is masked entirely.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (3, 4);
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_the_middle() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn field_rules() {
        assert!(validate_phone("13812345678").is_ok());
        assert!(validate_phone("12812345678").is_err());
        assert!(validate_phone("1381234567").is_err());
        assert!(validate_phone("1381234567a").is_err());
        assert!(validate_username("grid.worker-1").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("网格员").is_err());
        assert_eq!(
            check_password_rules("short"),
            Err(PasswordRuleError::TooShort)
        );
        assert!(check_password_rules("长密码长密码长密码").is_ok());
        assert_eq!(
            check_password_rules(&"x".repeat(257)),
            Err(PasswordRuleError::TooLong)
        );
    }
}
