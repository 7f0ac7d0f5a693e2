//! Test images made on the spot: predictable sizes, every kind of damage.

use std::io::Cursor;

use image::{Delay, DynamicImage, Frame, ImageFormat, Rgba, RgbaImage, codecs::gif::GifEncoder};

/// Pixels that do not compress, so file sizes are predictable.
pub fn noise(width: u32, height: u32, seed: u32) -> RgbaImage {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    RgbaImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        Rgba([r, g, b, 255])
    })
}

pub fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(noise(width, height, seed))
        .to_rgb8()
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

pub fn png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    noise(width, height, seed)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

pub fn animated_gif(frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        for i in 0..frames {
            encoder
                .encode_frame(Frame::from_parts(
                    noise(40, 30, i + 1),
                    0,
                    0,
                    Delay::from_numer_denom_ms(100, 1),
                ))
                .unwrap();
        }
    }
    out
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    chunk
}

/// Inserts `chunk` right after a PNG's IHDR.
pub fn with_png_chunk(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    [&png[..33], chunk, &png[33..]].concat()
}

/// A PNG padded with a private chunk to exactly `size` bytes.
pub fn png_of_size(size: usize) -> Vec<u8> {
    let base = png(300, 300, 9);
    with_png_chunk(&base, &png_chunk(b"prVt", &vec![0; size - base.len() - 12]))
}

/// A JPEG carrying EXIF with orientation 6 and a GPS position.
pub fn jpeg_with_gps() -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&2_u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    tiff.extend_from_slice(&0_u32.to_le_bytes());
    tiff.extend_from_slice(&1_u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0_u32.to_le_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let base = jpeg(32, 16, 6);
    [&base[..2], &app1, &base[2..]].concat()
}

/// The hostile and odd files of the media corpus, with the verdict code each must get
/// (`None`: accepted).
pub fn corpus() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    let jpeg = jpeg(64, 48, 3);
    let mut bad_crc = png(20, 10, 4);
    let idat = bad_crc.windows(4).position(|w| w == b"IDAT").unwrap();
    bad_crc[idat + 6] ^= 0xFF;
    let mut huge_gif = animated_gif(1);
    huge_gif[6..10].copy_from_slice(&[0xFF; 4]);
    let mut bomb = png(8, 8, 5);
    let mut ihdr = bomb[16..29].to_vec();
    ihdr[..8].copy_from_slice(&[0, 0, 0x9C, 0x40, 0, 0, 0x9C, 0x40]);
    bomb.splice(8..33, png_chunk(b"IHDR", &ihdr));
    vec![
        (
            "truncated.jpg",
            jpeg[..jpeg.len() * 2 / 3].to_vec(),
            Some("corrupt"),
        ),
        ("bad-crc.png", bad_crc, Some("corrupt")),
        ("huge-screen.gif", huge_gif, Some("dimensions_too_large")),
        ("bomb.png", bomb, Some("dimensions_too_large")),
        ("holiday.jpg", jpeg_with_gps(), None),
        ("banner.jpg", png(8, 8, 8), None),
        (
            "pic.webp",
            b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0\x30\x01\0\x9d\x01\x2a\x01\0\x01\0".to_vec(),
            Some("unsupported_format"),
        ),
        (
            "x.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            Some("unsupported_format"),
        ),
        (
            "x.html",
            b"<!DOCTYPE html><html><body>hi</body></html>".to_vec(),
            Some("unsupported_format"),
        ),
        ("empty.png", Vec::new(), Some("empty")),
        ("exact.png", png_of_size(614_400), None),
        ("over.png", png_of_size(614_401), Some("too_large")),
        ("dance.gif", animated_gif(3), None),
    ]
}
