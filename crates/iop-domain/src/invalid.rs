/// A value refused by a parser or a rule, with a stable machine code and messages in Spanish and
/// English. The control plane adds the field name it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {en}")]
pub struct Invalid {
    pub code: &'static str,
    pub es: String,
    pub en: String,
}

impl Invalid {
    pub fn new(code: &'static str, es: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code,
            es: es.into(),
            en: en.into(),
        }
    }
}
