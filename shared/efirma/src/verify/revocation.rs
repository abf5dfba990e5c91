//! The revocation list: certificate numbers a caller refuses.

use std::collections::HashSet;

/// Certificate numbers (20 digits) that must be refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationList {
    numbers: HashSet<String>,
}

impl RevocationList {
    /// An empty list.
    pub fn new() -> RevocationList {
        RevocationList::default()
    }

    /// A list from certificate numbers.
    pub fn from_numbers<I, S>(numbers: I) -> RevocationList
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut list = RevocationList::new();
        for number in numbers {
            list.insert(number);
        }
        list
    }

    /// A list from text: one certificate number per line; blank lines and `#` comments ignored.
    pub fn parse_text(text: &str) -> RevocationList {
        RevocationList::from_numbers(
            text.lines()
                .map(|line| line.split('#').next().unwrap_or_default().trim())
                .filter(|line| !line.is_empty()),
        )
    }

    /// Adds a certificate number.
    pub fn insert(&mut self, number: impl Into<String>) {
        self.numbers.insert(number.into().trim().to_owned());
    }

    /// Whether the certificate number is revoked.
    pub fn contains(&self, number: &str) -> bool {
        self.numbers.contains(number)
    }

    /// The listed numbers, in no particular order.
    pub fn numbers(&self) -> impl Iterator<Item = &str> {
        self.numbers.iter().map(String::as_str)
    }

    /// How many numbers are listed.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// Whether no number is listed.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}
