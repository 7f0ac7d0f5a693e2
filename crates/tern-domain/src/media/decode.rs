//! A full decode of every frame, which only a sound file survives.

use std::io::Cursor;

use image::{
    AnimationDecoder, ImageDecoder, ImageFormat, ImageReader, Limits, codecs::gif::GifDecoder,
};

use super::{MediaFormat, scan::Corrupt};

/// Decodes `bytes` completely; `max_alloc` bounds any single allocation the decoder makes.
pub(super) fn verify(format: MediaFormat, bytes: &[u8], max_alloc: u64) -> Result<(), Corrupt> {
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_alloc);
    let failed = |e: image::ImageError| Corrupt(e.to_string());
    match format {
        MediaFormat::Gif => {
            let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(failed)?;
            decoder.set_limits(limits).map_err(failed)?;
            for frame in decoder.into_frames() {
                frame.map_err(failed)?;
            }
        }
        MediaFormat::Jpeg | MediaFormat::Png => {
            let kind = if format == MediaFormat::Png {
                ImageFormat::Png
            } else {
                ImageFormat::Jpeg
            };
            let mut reader = ImageReader::with_format(Cursor::new(bytes), kind);
            reader.limits(limits);
            reader.decode().map_err(failed)?;
        }
    }
    Ok(())
}
