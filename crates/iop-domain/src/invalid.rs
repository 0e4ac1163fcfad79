/// A value refused by a parser or a rule, with a stable machine code and messages in Spanish and
/// English (from the error catalog, `iop-i18n`'s `errores.ftl`). The control plane adds the
/// field name it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {en}")]
pub struct Invalid {
    pub code: &'static str,
    pub es: String,
    pub en: String,
}

impl Invalid {
    /// The refusal whose text is `key` (`code` or `code.variant`) in the error catalog.
    pub fn of(key: &'static str, args: &[(&str, iop_i18n::Arg)]) -> Self {
        let (es, en) = iop_i18n::errors().both(key, args);
        Self {
            code: code_of(key),
            es,
            en,
        }
    }
}

/// The code of a text's key (`code.variant` → `code`).
pub fn code_of(key: &'static str) -> &'static str {
    key.split_once('.').map_or(key, |(c, _)| c)
}
