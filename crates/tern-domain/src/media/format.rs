//! What a file really is, judged by its first bytes, never by its name.

use serde::Serialize;

/// The image formats MMS accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaFormat {
    Jpeg,
    Png,
    Gif,
}

impl MediaFormat {
    /// The `Content-Type` the file is served with.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
        }
    }

    /// How people name the format.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Gif => "GIF",
        }
    }

    /// The lower-case name used in JSON and storage: `jpeg`, `png`, `gif`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Gif => "gif",
        }
    }

    /// Reads [`MediaFormat::as_str`] back.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Gif]
            .into_iter()
            .find(|f| f.as_str() == name)
    }

    /// Whether a file name's extension (case-insensitive, without the dot) names this format.
    pub fn has_extension(self, extension: &str) -> bool {
        let extension = extension.to_ascii_lowercase();
        match self {
            Self::Jpeg => ["jpg", "jpeg", "jpe", "jfif"].contains(&extension.as_str()),
            Self::Png => extension == "png",
            Self::Gif => extension == "gif",
        }
    }
}

/// The verdict on a file's leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Supported(MediaFormat),
    /// A format recognised but not accepted for MMS, by name.
    Unsupported(&'static str),
    Unknown,
}

/// Recognises the format from the file's first bytes.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    use Sniffed::*;
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let at =
        |offset: usize, magic: &[u8]| bytes.get(offset..).is_some_and(|b| b.starts_with(magic));
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Supported(MediaFormat::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Supported(MediaFormat::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Supported(MediaFormat::Gif);
    }
    if starts(b"RIFF") && at(8, b"WEBP") {
        return Unsupported("WebP");
    }
    if at(4, b"ftyp") {
        let brand = bytes.get(8..12).unwrap_or_default();
        return match brand {
            b"avif" | b"avis" => Unsupported("AVIF"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"mif1" | b"msf1" => {
                Unsupported("HEIC")
            }
            b"qt  " => Unsupported("QuickTime video"),
            _ => Unsupported("MP4 video"),
        };
    }
    let simple: &[(&[u8], &str)] = &[
        (b"BM", "BMP"),
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"\0\0\x01\0", "ICO"),
        (b"8BPS", "Photoshop (PSD)"),
        (b"%PDF", "PDF"),
        (b"\xFF\x0A", "JPEG XL"),
        (b"\0\0\0\x0CJXL ", "JPEG XL"),
        (b"PK\x03\x04", "ZIP"),
    ];
    if let Some((_, name)) = simple.iter().find(|(magic, _)| starts(magic)) {
        return Unsupported(name);
    }
    markup(bytes).map_or(Unknown, Unsupported)
}

/// SVG and HTML are text: look at the first tag.
fn markup(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head))
        .to_ascii_lowercase();
    let text = text.trim_start();
    if !text.starts_with('<') {
        return None;
    }
    if text.contains("<svg") {
        Some("SVG")
    } else if text.starts_with("<!doctype html") || text.contains("<html") {
        Some("HTML")
    } else {
        Some("XML")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_known_by_their_bytes() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0"),
            Sniffed::Supported(MediaFormat::Jpeg)
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Unsupported("WebP"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Sniffed::Unsupported("HEIC"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"\">"),
            Sniffed::Unsupported("SVG")
        );
        assert_eq!(
            sniff(b"  <!DOCTYPE html><html>"),
            Sniffed::Unsupported("HTML")
        );
        assert_eq!(sniff(b"hello"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
    }
}
