//! Entry point for the configuration fuzz target in `fuzz/`, also replayed over its corpus by the
//! normal test suite: any TOML file is either a setting set or a Spanish error naming the setting.

/// A configuration file, then the settings resolved from it.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(file) = toml::from_str::<crate::config::FileConfig>(text) else {
        return;
    };
    if let Err(e) = crate::config::resolve(&crate::config::Overrides::default(), file) {
        assert!(!e.0.is_empty());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_config_corpus_replays_clean() {
        let dir = iop_gateway::fuzzing::corpus("configuracion");
        assert!(iop_gateway::fuzzing::replay(&dir, super::config) > 0);
    }
}
