//! Translation: every user-facing string goes through Fluent, zh-CN first.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::{LanguageIdentifier, langid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// `zh`, `zh-CN`, `zh-Hans`… → zh-CN; `en*` → en; anything else: none.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first supported language of an Accept-Language header, by q order.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let lang = Lang::parse(bits.next()?)?;
                let q = bits
                    .find_map(|b| {
                        b.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        choices.first().map(|c| c.1)
    }
}

pub struct I18n {
    zh: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n { zh-CN, en }")
    }
}

fn bundle(lang: LanguageIdentifier, sources: &[&str]) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Isolation marks would leak U+2068/U+2069 into JSON messages.
    bundle.set_use_isolating(false);
    // The sources are compiled in and checked by a test; a broken entry only
    // loses that entry, and `message` falls back to the key.
    for source in sources {
        let resource = match FluentResource::try_new((*source).to_owned()) {
            Ok(r) => r,
            Err((r, _)) => r,
        };
        let _ = bundle.add_resource(resource);
    }
    bundle
}

/// The API's messages and the web application's, per language.
pub(crate) const SOURCES_ZH: [&str; 5] = [
    include_str!("../locales/zh-CN/main.ftl"),
    include_str!("../locales/zh-CN/ui.ftl"),
    include_str!("../locales/zh-CN/ui_admin.ftl"),
    include_str!("../locales/zh-CN/api_docs.ftl"),
    include_str!("../locales/zh-CN/questions.ftl"),
];
pub(crate) const SOURCES_EN: [&str; 5] = [
    include_str!("../locales/en/main.ftl"),
    include_str!("../locales/en/ui.ftl"),
    include_str!("../locales/en/ui_admin.ftl"),
    include_str!("../locales/en/api_docs.ftl"),
    include_str!("../locales/en/questions.ftl"),
];

impl Default for I18n {
    fn default() -> Self {
        I18n {
            zh: bundle(langid!("zh-CN"), &SOURCES_ZH),
            en: bundle(langid!("en"), &SOURCES_EN),
        }
    }
}

/// The compiled-in catalogue, parsed once.
pub fn catalogue() -> &'static I18n {
    static CATALOGUE: std::sync::LazyLock<I18n> = std::sync::LazyLock::new(I18n::default);
    &CATALOGUE
}

impl I18n {
    pub fn message(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let bundle = match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, *v);
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fargs), &mut errors)
            .into_owned()
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        let bundle = match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        };
        bundle.has_message(key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use grassroots_core::ErrorCode;

    #[test]
    fn every_error_code_is_translated_in_both_languages() {
        let i18n = I18n::default();
        for code in ErrorCode::ALL {
            for lang in [Lang::ZhCn, Lang::En] {
                let key = format!("error-{code}");
                assert!(i18n.has(lang, &key), "{key} missing in {}", lang.tag());
            }
        }
        let zh = i18n.message(Lang::ZhCn, "error-forbidden", &[]);
        let en = i18n.message(Lang::En, "error-forbidden", &[]);
        assert_ne!(zh, en);
        assert!(zh.contains("权限"));
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr, zh-CN;q=0.5, en;q=0.4"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(
            I18n::default().message(Lang::En, "error-conflict", &[("detail", "x")]),
            "Conflict: x"
        );
    }
}
