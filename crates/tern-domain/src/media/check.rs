//! The verdict on one media file: is it a JPEG, PNG or GIF that MMS can carry?

use serde::Serialize;

use super::{
    MediaFormat, decode,
    format::{Sniffed, sniff},
    gif, jpeg, png,
    scan::{Corrupt, Scan},
};

/// Twilio's practical MMS limit per image: 600 KB.
pub const MAX_MEDIA_BYTES: u64 = 614_400;

/// What a file may be. Dimension and frame limits are checked from the headers, before
/// decoding, so a small file that claims a huge picture costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    /// The most bytes the file may have once metadata is removed.
    pub max_bytes: u64,
    pub max_width: u32,
    pub max_height: u32,
    /// The most pixels in one frame.
    pub max_pixels: u64,
    pub max_frames: u32,
    /// The most pixels decoded over all frames of an animation.
    pub max_total_pixels: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_MEDIA_BYTES,
            max_width: 10_000,
            max_height: 10_000,
            max_pixels: 25_000_000,
            max_frames: 1_000,
            max_total_pixels: 250_000_000,
        }
    }
}

/// A reason, with a stable code for programs and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}

/// What `tern media check` prints for one file, and what the media library stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaReport {
    pub file: String,
    pub ok: bool,
    pub format: Option<MediaFormat>,
    pub mime: Option<&'static str>,
    /// The size as given.
    pub bytes: u64,
    /// The size once metadata is removed: what the limit judges and what is sent.
    pub clean_bytes: Option<u64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frames: Option<u32>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// The file as it will be sent, when it is acceptable.
    #[serde(skip)]
    pub cleaned: Option<Vec<u8>>,
}

/// Checks the file `name` holding `bytes` against `limits`.
pub fn check_media(name: &str, bytes: &[u8], limits: &MediaLimits) -> MediaReport {
    let mut report = MediaReport {
        file: name.to_owned(),
        ok: false,
        format: None,
        mime: None,
        bytes: bytes.len() as u64,
        clean_bytes: None,
        width: None,
        height: None,
        frames: None,
        errors: Vec::new(),
        warnings: Vec::new(),
        cleaned: None,
    };
    let format = match sniff(bytes) {
        _ if bytes.is_empty() => return report.refuse("empty", "the file is empty".into()),
        Sniffed::Supported(format) => format,
        Sniffed::Unsupported(kind) => {
            let message = format!("{kind} is not supported for MMS; use JPG, PNG or GIF");
            return report.refuse("unsupported_format", message);
        }
        Sniffed::Unknown => {
            let message = "the file is not an image Tern recognises; use JPG, PNG or GIF".into();
            return report.refuse("unknown_format", message);
        }
    };
    report.format = Some(format);
    report.mime = Some(format.mime());
    if let Some(warning) = extension_warning(name, format) {
        report.warnings.push(warning);
    }
    let scanned = match format {
        MediaFormat::Jpeg => jpeg::scan(bytes),
        MediaFormat::Png => png::scan(bytes),
        MediaFormat::Gif => gif::scan(bytes),
    };
    let mut scan = match scanned {
        Ok(scan) => scan,
        Err(Corrupt(why)) => {
            return report.refuse(
                "corrupt",
                format!("the {} file is damaged: {why}", format.name()),
            );
        }
    };
    report.width = Some(scan.width);
    report.height = Some(scan.height);
    report.frames = Some(scan.frames);
    report.clean_bytes = Some(scan.cleaned.len() as u64);
    scan.removed.sort_unstable();
    scan.removed.dedup();
    if !scan.removed.is_empty() {
        let message = format!(
            "removed metadata that can identify people or places: {}",
            scan.removed.join(", ")
        );
        report.warnings.push(Problem {
            code: "metadata_removed",
            message,
        });
    }
    let oversized = size_problems(&scan, limits);
    if !oversized.is_empty() {
        // Decoding a picture this large is the attack the limits exist to stop.
        report.errors.extend(oversized);
        return report;
    }
    if let Err(Corrupt(why)) = decode::verify(format, &scan.cleaned, decode_budget(limits)) {
        report.errors.push(Problem {
            code: "corrupt",
            message: format!("the {} file is damaged: {why}", format.name()),
        });
    }
    let clean_bytes = scan.cleaned.len() as u64;
    if clean_bytes > limits.max_bytes {
        let removed = if clean_bytes < report.bytes {
            format!(" after removing metadata ({} as given)", report.bytes)
        } else {
            String::new()
        };
        report.errors.push(Problem {
            code: "too_large",
            message: format!(
                "the file is {clean_bytes} bytes{removed}; MMS allows at most {} bytes ({} KB)",
                limits.max_bytes,
                limits.max_bytes / 1024
            ),
        });
    }
    report.ok = report.errors.is_empty();
    if report.ok {
        report.cleaned = Some(scan.cleaned);
    }
    report
}

impl MediaReport {
    fn refuse(mut self, code: &'static str, message: String) -> Self {
        self.errors.push(Problem { code, message });
        self
    }
}

fn size_problems(scan: &Scan, limits: &MediaLimits) -> Vec<Problem> {
    let mut problems = Vec::new();
    let (fw, fh) = scan.largest_frame;
    let (w, h) = (scan.width.max(fw), scan.height.max(fh));
    let pixels = u64::from(w) * u64::from(h);
    if w > limits.max_width || h > limits.max_height || pixels > limits.max_pixels {
        problems.push(Problem {
            code: "dimensions_too_large",
            message: format!(
                "the image claims {w} × {h} pixels; at most {} × {} and {} pixels in all are allowed",
                limits.max_width, limits.max_height, limits.max_pixels
            ),
        });
    }
    if scan.frames > limits.max_frames {
        problems.push(Problem {
            code: "too_many_frames",
            message: format!(
                "the animation has {} frames; at most {} are allowed",
                scan.frames, limits.max_frames
            ),
        });
    } else if scan.frames > 1 && pixels * u64::from(scan.frames) > limits.max_total_pixels {
        problems.push(Problem {
            code: "animation_too_large",
            message: format!(
                "the animation has {} frames of {w} × {h} pixels, more than {} pixels in all",
                scan.frames, limits.max_total_pixels
            ),
        });
    }
    problems
}

/// The largest single allocation a decode may make: one RGBA frame at the pixel limit, with room
/// for the decoder's own buffers.
fn decode_budget(limits: &MediaLimits) -> u64 {
    limits.max_pixels * 4 * 2 + (64 << 20)
}

fn extension_warning(name: &str, format: MediaFormat) -> Option<Problem> {
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (_, extension) = file_name.rsplit_once('.')?;
    if extension.is_empty() || format.has_extension(extension) {
        return None;
    }
    Some(Problem {
        code: "extension_mismatch",
        message: format!(
            "the file is named .{extension} but is {}; it will be sent as {}",
            format.name(),
            format.mime()
        ),
    })
}
