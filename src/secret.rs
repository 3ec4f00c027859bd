//! A string that formatting never reveals.

use std::fmt;

/// A secret value, such as a password or an AWS secret access key.
///
/// `Debug` and `Display` print `***`, so formatting the secret, or a struct that
/// contains it, does not reveal the value. Call [`Secret::expose`] only where the
/// plain value goes to its consumer.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the plain value. Never format or log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[derive(Debug)]
    #[allow(dead_code)] // The field is read only through `Debug`.
    struct Holder {
        password: Secret,
    }

    #[test]
    fn formatting_hides_value() {
        let secret = Secret::new("hunter2-value");

        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        assert_eq!(format!("{secret:>10}"), "***");
        let holder = Holder { password: secret };
        assert!(!format!("{holder:?}").contains("hunter2"));
        assert!(!format!("{holder:#?}").contains("hunter2"));
    }

    #[test]
    fn expose_returns_value() {
        let secret = Secret::new(String::from("value"));

        assert_eq!(secret.expose(), "value");
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Secret::new("a"), Secret::new("a"));
        assert_ne!(Secret::new("a"), Secret::new("b"));
        assert_eq!(Secret::new("a").clone(), Secret::new("a"));
    }
}
