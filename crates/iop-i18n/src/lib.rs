//! The product's texts for people, in Spanish (first) and English.
//!
//! Every text lives in a Fluent catalog under `locales/{es,en}/` and is compiled into the binary:
//! - `errores.ftl`: the control plane's error messages. A message's id is the error code
//!   (`campo_requerido`); a code with several wordings keeps them as attributes
//!   (`no_encontrado.solicitud`), so the key of a text is `code` or `code.variant`.
//! - `pasarela.ftl`: the gateway's own answers (one message per refusal code).
//! - `web.ftl`: the web interface's labels (states, actions and roles by their stable names).
//!
//! The web interface loads the same catalogs. [`check`] (run by this crate's tests) fails when a
//! key or one of its variables is missing in a language.
//!
//! [`code_table!`] builds a table of stable codes, each defined once with its properties (the
//! control plane's codes in `iop-app`, the gateway's refusals in `iop-gateway`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

    pub fn tag(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// The language an `Accept-Language` value prefers: the highest `q` among Spanish and English
    /// tags wins, ties go to the first listed, and Spanish is the default.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        let Some(v) = value else { return Lang::Es };
        let mut best: Option<(f32, Lang)> = None;
        for part in v.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next().unwrap_or("") {
                "en" => Lang::En,
                "es" => Lang::Es,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Es, |(_, l)| l)
    }
}

/// A value put into a text: the same in both languages, or worded per language (a role's label,
/// a list of them…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Lang {
        es: String,
        en: String,
    },
    /// A count: texts may choose their wording by it (`{ $n -> [1] … *[other] … }`).
    Number(i64),
}

impl Arg {
    pub fn text(v: impl std::fmt::Display) -> Arg {
        Arg::Text(v.to_string())
    }
    pub fn lang(es: impl Into<String>, en: impl Into<String>) -> Arg {
        Arg::Lang {
            es: es.into(),
            en: en.into(),
        }
    }
    fn value(&self, lang: Lang) -> FluentValue<'static> {
        match (self, lang) {
            (Arg::Text(t), _) => FluentValue::from(t.clone()),
            (Arg::Lang { es, .. }, Lang::Es) => FluentValue::from(es.clone()),
            (Arg::Lang { en, .. }, Lang::En) => FluentValue::from(en.clone()),
            (Arg::Number(n), _) => FluentValue::from(*n),
        }
    }
}

/// The values of a text's variables: `args![nombre = x, max = 40]`. A value that is not an
/// [`Arg`] is written with `Display`.
#[macro_export]
macro_rules! args {
    ($($name:ident = $value:expr),* $(,)?) => {
        &[$((stringify!($name), $crate::IntoArg::into_arg($value))),*]
    };
}

/// What [`args!`] accepts as a value.
pub trait IntoArg {
    fn into_arg(self) -> Arg;
}

impl IntoArg for Arg {
    fn into_arg(self) -> Arg {
        self
    }
}

impl<T: std::fmt::Display> IntoArg for &T {
    fn into_arg(self) -> Arg {
        Arg::Text(self.to_string())
    }
}

/// A set of Fluent catalogs in both languages.
pub struct Catalog {
    es: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl Catalog {
    /// Builds a catalog from Fluent sources (one list per language). The sources are compiled in
    /// and checked by this crate's tests, so a syntax error here is a programming error.
    fn new(es: &[&str], en: &[&str]) -> Catalog {
        Catalog {
            es: bundle(Lang::Es, es),
            en: bundle(Lang::En, en),
        }
    }

    /// The text of `key` (`code` or `code.variant`) in `lang`. A key the catalog lacks (the tests
    /// make that impossible for keys written in the code) gives the key itself.
    pub fn text(&self, lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
        let b = match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        };
        let (id, attr) = match key.split_once('.') {
            Some((id, attr)) => (id, Some(attr)),
            None => (key, None),
        };
        let pattern = b.get_message(id).and_then(|m| match attr {
            Some(a) => m.get_attribute(a).map(|a| a.value()),
            None => m.value(),
        });
        let Some(pattern) = pattern else {
            debug_assert!(false, "texto que no está en el catálogo: {key}");
            return key.to_owned();
        };
        let mut fa = FluentArgs::new();
        for (name, v) in args {
            fa.set(*name, v.value(lang));
        }
        let mut errors = Vec::new();
        b.format_pattern(pattern, Some(&fa), &mut errors).into_owned()
    }

    /// The text of `key` in Spanish and in English.
    pub fn both(&self, key: &str, args: &[(&str, Arg)]) -> (String, String) {
        (self.text(Lang::Es, key, args), self.text(Lang::En, key, args))
    }

    /// Whether the catalog has `key` in both languages.
    pub fn has(&self, key: &str) -> bool {
        let (id, attr) = match key.split_once('.') {
            Some((id, attr)) => (id, Some(attr)),
            None => (key, None),
        };
        [&self.es, &self.en].iter().all(|b| {
            b.get_message(id).is_some_and(|m| match attr {
                Some(a) => m.get_attribute(a).is_some(),
                None => m.value().is_some(),
            })
        })
    }
}

fn bundle(lang: Lang, sources: &[&str]) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around values: the texts go into JSON and logs.
    b.set_use_isolating(false);
    for src in sources {
        let res = FluentResource::try_new((*src).to_owned()).unwrap_or_else(|(r, _)| r);
        // A duplicate id keeps the first definition; `check` reports it.
        let _ = b.add_resource(res);
    }
    b
}

/// The control plane's error messages.
pub const ERRORES: [(&str, &str); 2] = [
    ("es/errores.ftl", include_str!("../locales/es/errores.ftl")),
    ("en/errores.ftl", include_str!("../locales/en/errores.ftl")),
];
/// The gateway's own answers.
pub const PASARELA: [(&str, &str); 2] = [
    ("es/pasarela.ftl", include_str!("../locales/es/pasarela.ftl")),
    ("en/pasarela.ftl", include_str!("../locales/en/pasarela.ftl")),
];

/// What the description importer says (refusals and the import report's warnings).
pub const IMPORTACION: [(&str, &str); 2] = [
    ("es/importacion.ftl", include_str!("../locales/es/importacion.ftl")),
    ("en/importacion.ftl", include_str!("../locales/en/importacion.ftl")),
];

/// The web interface's texts.
pub const WEB: [(&str, &str); 2] = [
    ("es/web.ftl", include_str!("../locales/es/web.ftl")),
    ("en/web.ftl", include_str!("../locales/en/web.ftl")),
];

/// The web interface's texts (see [`WEB`]); an error shown on a page comes from [`errors`].
pub fn web() -> &'static Catalog {
    static C: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(&[WEB[0].1], &[WEB[1].1]));
    &C
}

/// The control plane's error messages (see [`ERRORES`]).
pub fn errors() -> &'static Catalog {
    static C: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(&[ERRORES[0].1], &[ERRORES[1].1]));
    &C
}

/// The description importer's texts (see [`IMPORTACION`]).
pub fn import() -> &'static Catalog {
    static C: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(&[IMPORTACION[0].1], &[IMPORTACION[1].1]));
    &C
}

/// The gateway's answers (see [`PASARELA`]).
pub fn gateway() -> &'static Catalog {
    static C: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(&[PASARELA[0].1], &[PASARELA[1].1]));
    &C
}

/// Keys of a Fluent source (`id` and `id.attribute`), each with the variables its text uses.
/// A syntax error or a key defined twice is an error.
pub fn keys(source: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    use fluent_syntax::ast::Entry;
    let res = fluent_syntax::parser::parse(source).map_err(|(_, e)| format!("{e:?}"))?;
    let mut out = BTreeMap::new();
    let mut put = |key: String, vars: BTreeSet<String>| {
        if out.insert(key.clone(), vars).is_some() {
            return Err(format!("«{key}» está definida dos veces"));
        }
        Ok(())
    };
    for entry in &res.body {
        match entry {
            Entry::Message(m) => {
                let id = m.id.name;
                if let Some(v) = &m.value {
                    put(id.to_owned(), variables(v))?;
                }
                for a in &m.attributes {
                    put(format!("{id}.{}", a.id.name), variables(&a.value))?;
                }
            }
            Entry::Junk { content } => return Err(format!("texto que no es Fluent: {content}")),
            _ => {}
        }
    }
    Ok(out)
}

fn variables(p: &fluent_syntax::ast::Pattern<&str>) -> BTreeSet<String> {
    use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};
    fn pattern(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
        for e in &p.elements {
            if let PatternElement::Placeable { expression } = e {
                expr(expression, out);
            }
        }
    }
    fn expr(e: &Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            Expression::Select { selector, variants } => {
                inline(selector, out);
                for v in variants {
                    pattern(&v.value, out);
                }
            }
            Expression::Inline(i) => inline(i, out),
        }
    }
    fn inline(i: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match i {
            InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            InlineExpression::FunctionReference { arguments, .. } => {
                for a in &arguments.positional {
                    inline(a, out);
                }
                for a in &arguments.named {
                    inline(&a.value, out);
                }
            }
            InlineExpression::Placeable { expression } => expr(expression, out),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    pattern(p, &mut out);
    out
}

/// Checks a catalog given in both languages: each parses, defines each key once, and both have
/// the same keys with the same variables. Returns every problem found.
pub fn check(es: &str, en: &str) -> Result<BTreeMap<String, BTreeSet<String>>, Vec<String>> {
    let (kes, ken) = match (keys(es), keys(en)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            return Err([a.err().map(|e| format!("es: {e}")), b.err().map(|e| format!("en: {e}"))]
                .into_iter()
                .flatten()
                .collect());
        }
    };
    let mut problems = Vec::new();
    for (k, v) in &kes {
        match ken.get(k) {
            None => problems.push(format!("«{k}» falta en inglés")),
            Some(w) if w != v => problems.push(format!("«{k}» usa {v:?} en español y {w:?} en inglés")),
            Some(_) => {}
        }
    }
    for k in ken.keys().filter(|k| !kes.contains_key(*k)) {
        problems.push(format!("«{k}» falta en español"));
    }
    if problems.is_empty() { Ok(kes) } else { Err(problems) }
}

/// A table of stable codes, each defined once with its properties (`spec`, of any type: an HTTP
/// status, or a kind and a field rule). Generates the enum with `ALL`, `code()`, `spec()` and
/// `from_code()`; the code is also the key of the code's text in the catalogs.
#[macro_export]
macro_rules! code_table {
    ($(#[$m:meta])* $vis:vis enum $name:ident: $spec:ty {
        $( $(#[$doc:meta])* $variant:ident = ($code:literal, $value:expr), )*
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $( $(#[$doc])* $variant, )* }

        impl $name {
            /// Every code, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// The stable code.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }
            /// What the table says of this code.
            pub fn spec(self) -> $spec {
                match self { $($name::$variant => $value,)* }
            }
            /// The entry of a code, if the table has it.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_has_every_key_in_both_languages() {
        for [(_, es), (_, en)] in [ERRORES, PASARELA, WEB, IMPORTACION] {
            if let Err(p) = check(es, en) {
                panic!("{}", p.join("\n"));
            }
        }
    }

    #[test]
    fn a_key_missing_in_a_language_or_with_other_variables_is_reported() {
        let es = "a = uno { $x }\n    .b = dos\nc = tres\n";
        let en = "a = one { $y }\nd = four\n";
        let p = check(es, en).unwrap_err();
        assert!(p.iter().any(|p| p.contains("«a» usa")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("«a.b» falta en inglés")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("«c» falta en inglés")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("«d» falta en español")), "{p:?}");
        assert!(check("a = uno\na = otra\n", "a = one\n").is_err());
        assert!(check("a = { \n", "a = x\n").is_err());
    }

    #[test]
    fn texts_take_their_variables_and_variants_with_no_isolation_marks() {
        let c = Catalog::new(
            &["no_encontrado = no existe { $que }\n    .solicitud = no existe esa solicitud\n"],
            &["no_encontrado = { $que } not found\n    .solicitud = request not found\n"],
        );
        let args = args![que = Arg::lang("el sistema", "system")];
        assert_eq!(
            c.both("no_encontrado", args),
            ("no existe el sistema".into(), "system not found".into())
        );
        assert_eq!(c.text(Lang::En, "no_encontrado.solicitud", &[]), "request not found");
        assert!(c.has("no_encontrado.solicitud") && !c.has("no_encontrado.otra") && !c.has("otra"));
        let n = 40;
        assert_eq!(
            Catalog::new(&["m = hasta { $n }\n"], &["m = up to { $n }\n"]).text(Lang::Es, "m", args![n = &n]),
            "hasta 40"
        );
        // Counts choose the wording.
        let c = Catalog::new(
            &["d = { $n ->\n    [1] 1 día\n   *[other] { $n } días\n}\n"],
            &["d = { $n ->\n    [1] 1 day\n   *[other] { $n } days\n}\n"],
        );
        assert_eq!(c.text(Lang::Es, "d", args![n = Arg::Number(1)]), "1 día");
        assert_eq!(c.text(Lang::Es, "d", args![n = Arg::Number(3)]), "3 días");
        assert_eq!(c.text(Lang::En, "d", args![n = Arg::Number(3)]), "3 days");
    }

    #[test]
    fn accept_language_prefers_the_highest_weight_and_defaults_to_spanish() {
        assert_eq!(Lang::from_accept_language(None), Lang::Es);
        assert_eq!(Lang::from_accept_language(Some("fr, de")), Lang::Es);
        assert_eq!(Lang::from_accept_language(Some("en-US,es;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("es-BO, en")), Lang::Es);
        assert_eq!(Lang::from_accept_language(Some("es;q=0.4, en;q=0.8")), Lang::En);
    }
}
