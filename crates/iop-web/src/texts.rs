//! The language of a page and its texts.

use axum::http::HeaderMap;
use iop_i18n::{Arg, Lang};

/// The cookie that keeps the language a user chose.
pub const LANG_COOKIE: &str = "iop_idioma";

/// The texts of one page, in its language.
#[derive(Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The language chosen with the switch (a cookie), else Spanish: the people who run PR05
    /// work in Spanish, whatever language their browser was installed in.
    pub fn from_headers(h: &HeaderMap) -> Tr {
        let lang = match crate::session::cookie(h, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Es,
        };
        Tr { lang }
    }
    /// A label of `web.ftl`.
    pub fn t(&self, key: &str) -> String {
        iop_i18n::web().text(self.lang, key, &[])
    }
    /// A label of `web.ftl` with its variables.
    pub fn ta(&self, key: &str, args: &[(&str, Arg)]) -> String {
        iop_i18n::web().text(self.lang, key, args)
    }
    /// A label named by a prefix and a stable name (`estado-` + `presentada`).
    pub fn of(&self, prefix: &str, name: &str) -> String {
        self.t(&format!("{prefix}{name}"))
    }
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }
    /// The other language, for the switch.
    pub fn other(&self) -> &'static str {
        match self.lang {
            Lang::Es => "en",
            Lang::En => "es",
        }
    }
    /// A use case's error in this page's language.
    pub fn error(&self, e: &iop_app::error::AppError) -> String {
        match self.lang {
            Lang::Es => e.es.clone(),
            Lang::En => e.en.clone(),
        }
    }
    /// A moment as people in La Paz read it.
    pub fn when(&self, t: time::OffsetDateTime) -> String {
        iop_domain::calendar::fmt_local_minute(t)
    }
}
