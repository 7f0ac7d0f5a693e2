//! A version of an image that MMS can carry: resized and re-encoded under the limits, offered to
//! the marketer before anything is stored.

use std::io::Cursor;

use image::{
    AnimationDecoder, DynamicImage, Frame, ImageDecoder, ImageReader, Limits, RgbaImage,
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
    },
    imageops::FilterType,
};

use super::{MediaFormat, MediaLimits, Sniffed, gif, jpeg, png, sniff};

/// A fitted image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    pub bytes: Vec<u8>,
    pub format: MediaFormat,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
}

/// Why no fitted version can be offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    #[error("only JPEG, PNG and GIF images can be fitted")]
    NotAnImage,
    #[error("the image is damaged: {0}")]
    Damaged(String),
    #[error("the image claims {width} × {height} pixels, too many to resize safely")]
    TooManyPixels { width: u32, height: u32 },
    #[error("no smaller version fits under {0} bytes")]
    CannotFit(u64),
}

/// How much larger than the limits an input may be: fitting decodes it whole.
const INPUT_PIXEL_FACTOR: u64 = 4;
const ATTEMPTS: u32 = 12;

/// Resizes and re-encodes `bytes` until the result meets `limits`. Opaque pictures become JPEG,
/// transparent ones stay PNG, animated GIFs stay animated.
pub fn fit_media(bytes: &[u8], limits: &MediaLimits) -> Result<Fitted, FitError> {
    let Sniffed::Supported(format) = sniff(bytes) else {
        return Err(FitError::NotAnImage);
    };
    let scan = match format {
        MediaFormat::Jpeg => jpeg::scan(bytes),
        MediaFormat::Png => png::scan(bytes),
        MediaFormat::Gif => gif::scan(bytes),
    }
    .map_err(|c| FitError::Damaged(c.0))?;
    let (width, height) = (
        scan.width.max(scan.largest_frame.0),
        scan.height.max(scan.largest_frame.1),
    );
    let pixels = u64::from(width) * u64::from(height);
    if pixels * u64::from(scan.frames) > limits.max_total_pixels * INPUT_PIXEL_FACTOR
        || pixels > limits.max_pixels * INPUT_PIXEL_FACTOR
    {
        return Err(FitError::TooManyPixels { width, height });
    }
    let mut decode_limits = Limits::default();
    decode_limits.max_alloc = Some(limits.max_pixels * INPUT_PIXEL_FACTOR * 4 + (64 << 20));
    if format == MediaFormat::Gif && scan.frames > 1 {
        return fit_animation(&scan.cleaned, decode_limits, limits);
    }
    let image = decode_upright(&scan.cleaned, format, decode_limits)?;
    fit_still(image, limits)
}

fn decode_upright(
    bytes: &[u8],
    format: MediaFormat,
    limits: Limits,
) -> Result<DynamicImage, FitError> {
    let kind = match format {
        MediaFormat::Jpeg => image::ImageFormat::Jpeg,
        MediaFormat::Png => image::ImageFormat::Png,
        MediaFormat::Gif => image::ImageFormat::Gif,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    // Re-encoding drops EXIF, so the orientation goes into the pixels.
    image.apply_orientation(orientation);
    Ok(image)
}

fn fit_still(image: DynamicImage, limits: &MediaLimits) -> Result<Fitted, FitError> {
    let transparent = image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p.0[3] < 255);
    let (mut width, mut height) = within_pixel_limits(image.width(), image.height(), limits);
    for _ in 0..ATTEMPTS {
        let resized = image.resize_exact(width, height, FilterType::Lanczos3);
        let candidates: &[Option<u8>] = if transparent {
            &[None]
        } else {
            &[Some(88), Some(75), Some(60)]
        };
        for quality in candidates {
            let mut out = Vec::new();
            let (format, result) = match quality {
                Some(q) => (
                    MediaFormat::Jpeg,
                    resized
                        .to_rgb8()
                        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, *q)),
                ),
                None => (
                    MediaFormat::Png,
                    resized.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png),
                ),
            };
            result.map_err(damaged)?;
            if out.len() as u64 <= limits.max_bytes {
                return Ok(Fitted {
                    bytes: out,
                    format,
                    width,
                    height,
                    frames: 1,
                });
            }
        }
        (width, height) = shrink(width, height);
    }
    Err(FitError::CannotFit(limits.max_bytes))
}

fn fit_animation(
    bytes: &[u8],
    decode_limits: Limits,
    limits: &MediaLimits,
) -> Result<Fitted, FitError> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(damaged)?;
    decoder.set_limits(decode_limits).map_err(damaged)?;
    let frames: Vec<Frame> = decoder
        .into_frames()
        .collect::<Result<_, _>>()
        .map_err(damaged)?;
    let first = frames
        .first()
        .ok_or_else(|| FitError::Damaged("no frames".into()))?;
    let (full_w, full_h) = first.buffer().dimensions();
    let (mut width, mut height) = within_pixel_limits(full_w, full_h, limits);
    let count = u64::try_from(frames.len()).unwrap_or(u64::MAX);
    while u64::from(width) * u64::from(height) * count > limits.max_total_pixels
        && width > 1
        && height > 1
    {
        (width, height) = shrink(width, height);
    }
    for _ in 0..ATTEMPTS {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
            encoder.set_repeat(Repeat::Infinite).map_err(damaged)?;
            let resized = frames.iter().map(|f| {
                let buffer: RgbaImage =
                    image::imageops::resize(f.buffer(), width, height, FilterType::Triangle);
                Frame::from_parts(buffer, 0, 0, f.delay())
            });
            encoder.encode_frames(resized).map_err(damaged)?;
        }
        if out.len() as u64 <= limits.max_bytes {
            let frames = u32::try_from(frames.len()).unwrap_or(u32::MAX);
            return Ok(Fitted {
                bytes: out,
                format: MediaFormat::Gif,
                width,
                height,
                frames,
            });
        }
        (width, height) = shrink(width, height);
    }
    Err(FitError::CannotFit(limits.max_bytes))
}

/// The largest size with the same aspect that meets the width, height and pixel limits.
fn within_pixel_limits(width: u32, height: u32, limits: &MediaLimits) -> (u32, u32) {
    let (w, h) = (f64::from(width), f64::from(height));
    let by_pixels = (limits.max_pixels as f64 / (w * h)).sqrt();
    let scale = [
        1.0,
        f64::from(limits.max_width) / w,
        f64::from(limits.max_height) / h,
        by_pixels,
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    scaled(width, height, scale)
}

fn shrink(width: u32, height: u32) -> (u32, u32) {
    scaled(width, height, 0.8)
}

fn scaled(width: u32, height: u32, scale: f64) -> (u32, u32) {
    let side = |n: u32| ((f64::from(n) * scale).floor() as u32).max(1);
    (side(width), side(height))
}

fn damaged(error: image::ImageError) -> FitError {
    FitError::Damaged(error.to_string())
}
