//! The fonts a PDF is typeset with: the OFL Noto fonts shipped in the binary
//! (`assets/fonts/`, 1.6 MB), and for Chinese the system's own CJK font, found at run time: a
//! CJK font is 16 MB or more, beyond what the installer can carry.

use std::collections::BTreeSet;
use std::path::Path;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

macro_rules! bundled {
    ($($file:literal),* $(,)?) => {
        [$(include_bytes!(concat!("../../../assets/fonts/", $file)).as_slice()),*]
    };
}

/// Latin, Cyrillic and Greek first (the body font), then the complex scripts.
const BUNDLED: [&[u8]; 7] = bundled![
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansLao-Regular.ttf",
    "NotoSansKhmer-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
];

/// Where Windows, macOS and Linux keep a font with Simplified Chinese, most wanted first.
const SYSTEM_CJK: &[&str] = &[
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// The fonts, their metadata for Typst, and the families in the order text falls back through.
pub struct FontSet {
    pub(crate) fonts: Vec<Font>,
    pub(crate) book: LazyHash<FontBook>,
    pub(crate) families: Vec<String>,
}

impl FontSet {
    /// The shipped fonts and the first system CJK font found.
    pub fn with_system_cjk() -> Self {
        let cjk = SYSTEM_CJK.iter().map(Path::new).find_map(|p| std::fs::read(p).ok());
        Self::from_parts(cjk)
    }

    /// Only the shipped fonts: Chinese is drawn as empty boxes.
    pub fn bundled_only() -> Self {
        Self::from_parts(None)
    }

    fn from_parts(cjk: Option<Vec<u8>>) -> Self {
        let mut fonts: Vec<Font> =
            BUNDLED.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
        let mut families: Vec<String> = Vec::new();
        for font in &fonts {
            if !families.contains(&font.info().family) {
                families.push(font.info().family.clone());
            }
        }
        if let Some(data) = cjk {
            let faces: Vec<Font> = Font::iter(Bytes::new(data)).collect();
            // A collection holds the Japanese, Korean and Chinese forms: Chinese first.
            let mut cjk_families: Vec<String> =
                faces.iter().map(|f| f.info().family.clone()).collect();
            cjk_families.sort_by_key(|f| !(f.ends_with(" SC") || f.contains("YaHei")));
            cjk_families.dedup();
            families.extend(cjk_families);
            fonts.extend(faces);
        }
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        Self { fonts, book, families }
    }

    /// Whether a font for Chinese was found.
    pub fn has_cjk(&self) -> bool {
        self.fonts.iter().any(|f| f.info().coverage.contains(u32::from('中')))
    }

    /// The characters of `texts` that no font has, each once, at most 50.
    pub fn characters_without_font<'a>(
        &self,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Vec<char> {
        let mut missing = BTreeSet::new();
        for c in texts.into_iter().flat_map(str::chars) {
            if c.is_whitespace() || c.is_control() || missing.contains(&c) {
                continue;
            }
            if !self.fonts.iter().any(|f| f.info().coverage.contains(u32::from(c))) {
                missing.insert(c);
                if missing.len() == 50 {
                    break;
                }
            }
        }
        missing.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fonts_cover_every_script_but_chinese() {
        let fonts = FontSet::bundled_only();
        let text = "Case ລາວ ខ្មែរ ไทย မြန်မာ हिन्दी Кейс 中文";
        assert_eq!(fonts.characters_without_font([text]), ['中', '文']);
        assert!(!fonts.has_cjk());
    }
}
