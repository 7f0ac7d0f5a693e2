//! Media verdicts on files the tests make: valid, damaged, hostile and just odd.

use std::io::Cursor;

use image::{
    Delay, Frame, ImageDecoder, ImageFormat, Rgba, RgbaImage,
    codecs::{gif::GifEncoder, jpeg::JpegDecoder},
    metadata::Orientation,
};
use tern_domain::media::{MediaFormat, MediaLimits, MediaReport, check_media};

fn check(name: &str, bytes: &[u8]) -> MediaReport {
    check_media(name, bytes, &MediaLimits::default())
}

fn codes(problems: &[tern_domain::media::Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.code).collect()
}

/// Pixels that do not compress, so file sizes are predictable.
fn noise(width: u32, height: u32, seed: u32) -> RgbaImage {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    RgbaImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        Rgba([r, g, b, 255])
    })
}

fn encode(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => image::DynamicImage::ImageRgba8(image.clone())
            .to_rgb8()
            .write_to(&mut out, format),
        _ => image.write_to(&mut out, format),
    }
    .expect("encode test image");
    out.into_inner()
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    chunk
}

/// Inserts `chunk` right after IHDR (8 signature bytes + 25 IHDR bytes).
fn with_png_chunk(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    [&png[..33], chunk, &png[33..]].concat()
}

fn animated_gif(frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        for i in 0..frames {
            let frame = Frame::from_parts(
                noise(40, 30, i + 1),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            );
            encoder.encode_frame(frame).unwrap();
        }
    }
    out
}

/// An EXIF block with orientation 6 (rotate 90°) and a GPS position.
fn exif_with_gps() -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&2_u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]); // Orientation = 6
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]); // GPS IFD at 38
    tiff.extend_from_slice(&0_u32.to_le_bytes());
    tiff.extend_from_slice(&1_u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]); // GPSLatitudeRef = N
    tiff.extend_from_slice(&0_u32.to_le_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    app1
}

#[test]
fn valid_jpeg_png_and_animated_gif_are_accepted() {
    let jpeg = check("photo.jpg", &encode(&noise(64, 48, 1), ImageFormat::Jpeg));
    assert!(jpeg.ok, "{:?}", jpeg.errors);
    assert_eq!(
        (jpeg.format, jpeg.mime, jpeg.width, jpeg.height),
        (
            Some(MediaFormat::Jpeg),
            Some("image/jpeg"),
            Some(64),
            Some(48)
        )
    );

    let png = check("logo.png", &encode(&noise(20, 10, 2), ImageFormat::Png));
    assert!(png.ok && png.warnings.is_empty(), "{png:?}");
    assert_eq!((png.format, png.frames), (Some(MediaFormat::Png), Some(1)));

    let gif = check("dance.gif", &animated_gif(3));
    assert!(gif.ok, "{:?}", gif.errors);
    assert_eq!(
        (gif.format, gif.frames, gif.width),
        (Some(MediaFormat::Gif), Some(3), Some(40))
    );
}

#[test]
fn a_truncated_jpeg_is_refused_as_damaged() {
    let jpeg = encode(&noise(64, 48, 3), ImageFormat::Jpeg);
    let report = check("cut.jpg", &jpeg[..jpeg.len() * 2 / 3]);
    assert!(!report.ok);
    assert_eq!(codes(&report.errors), ["corrupt"]);
    assert!(
        report.errors[0].message.contains("truncated"),
        "{}",
        report.errors[0].message
    );
}

#[test]
fn a_png_with_a_bad_crc_is_refused_naming_the_chunk() {
    let mut png = encode(&noise(20, 10, 4), ImageFormat::Png);
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
    png[idat + 6] ^= 0xFF;
    let report = check("bad.png", &png);
    assert_eq!(codes(&report.errors), ["corrupt"]);
    assert!(
        report.errors[0].message.contains("IDAT chunk"),
        "{}",
        report.errors[0].message
    );
}

#[test]
fn a_gif_whose_screen_claims_65535_square_is_refused_before_decoding() {
    let mut gif = animated_gif(1);
    gif[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let report = check("huge.gif", &gif);
    assert_eq!(codes(&report.errors), ["dimensions_too_large"]);
    assert_eq!((report.width, report.height), (Some(65535), Some(65535)));
}

#[test]
fn a_small_png_claiming_gigapixels_is_refused_at_once() {
    // 40,000 × 40,000 in a file of a few hundred bytes: a decompression bomb.
    let mut png = encode(&noise(8, 8, 5), ImageFormat::Png);
    let mut ihdr = png[16..29].to_vec();
    ihdr[..4].copy_from_slice(&40_000_u32.to_be_bytes());
    ihdr[4..8].copy_from_slice(&40_000_u32.to_be_bytes());
    png.splice(8..33, png_chunk(b"IHDR", &ihdr));
    let started = std::time::Instant::now();
    let report = check("bomb.png", &png);
    assert_eq!(codes(&report.errors), ["dimensions_too_large"]);
    assert!(
        report.errors[0].message.contains("40000 × 40000"),
        "{}",
        report.errors[0].message
    );
    assert!(
        started.elapsed().as_secs() < 5,
        "refused from the header, without decoding"
    );
}

#[test]
fn gps_exif_is_removed_and_orientation_kept() {
    let jpeg = encode(&noise(32, 16, 6), ImageFormat::Jpeg);
    let tagged = [&jpeg[..2], &exif_with_gps(), &jpeg[2..]].concat();
    let report = check("holiday.jpg", &tagged);
    assert!(report.ok, "{:?}", report.errors);
    assert_eq!(codes(&report.warnings), ["metadata_removed"]);
    assert!(report.warnings[0].message.contains("GPS"));
    let cleaned = report.cleaned.unwrap();
    assert_eq!(report.clean_bytes, Some(cleaned.len() as u64));
    assert!(report.clean_bytes < Some(report.bytes));
    assert!(
        !cleaned.windows(2).any(|w| w == [0x25, 0x88]),
        "no GPS pointer left"
    );
    let mut decoder = JpegDecoder::new(Cursor::new(&cleaned)).unwrap();
    assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
}

#[test]
fn png_text_chunks_are_removed_and_the_cleaned_size_is_judged() {
    let png = encode(&noise(16, 16, 7), ImageFormat::Png);
    // 700 KB of text as uploaded, a few hundred bytes as sent.
    let padded = with_png_chunk(
        &png,
        &png_chunk(
            b"tEXt",
            &[b"Comment\0".as_slice(), &vec![b'x'; 700_000]].concat(),
        ),
    );
    let report = check("padded.png", &padded);
    assert!(report.ok, "{:?}", report.errors);
    assert_eq!(report.bytes, padded.len() as u64);
    assert_eq!(report.clean_bytes, Some(png.len() as u64));
}

#[test]
fn a_png_named_jpg_is_accepted_with_a_warning() {
    let report = check("banner.jpg", &encode(&noise(8, 8, 8), ImageFormat::Png));
    assert!(report.ok);
    assert_eq!(codes(&report.warnings), ["extension_mismatch"]);
    assert_eq!(
        report.warnings[0].message,
        "the file is named .jpg but is PNG; it will be sent as image/png"
    );
}

#[test]
fn other_formats_are_refused_by_name() {
    let webp = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0\x30\x01\0\x9d\x01\x2a\x01\0\x01\0";
    let report = check("pic.webp", webp);
    assert_eq!(
        report.errors[0].message,
        "WebP is not supported for MMS; use JPG, PNG or GIF"
    );
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    assert_eq!(
        check("x.svg", svg).errors[0].message,
        "SVG is not supported for MMS; use JPG, PNG or GIF"
    );
    let html = b"<!DOCTYPE html><html><body>hi</body></html>";
    assert_eq!(
        check("x.png", html).errors[0].message,
        "HTML is not supported for MMS; use JPG, PNG or GIF"
    );
    assert_eq!(codes(&check("empty.png", b"").errors), ["empty"]);
    assert_eq!(
        codes(&check("notes.txt", b"hello").errors),
        ["unknown_format"]
    );
}

#[test]
fn exactly_614400_bytes_is_accepted_and_one_more_is_not() {
    let png = encode(&noise(300, 300, 9), ImageFormat::Png);
    let at = |size: usize| {
        // A private chunk (kept, not metadata) pads the file to `size`.
        let pad = png_chunk(b"prVt", &vec![0; size - png.len() - 12]);
        check("edge.png", &with_png_chunk(&png, &pad))
    };
    let fits = at(614_400);
    assert!(fits.ok, "{:?}", fits.errors);
    assert_eq!(fits.clean_bytes, Some(614_400));
    let over = at(614_401);
    assert_eq!(codes(&over.errors), ["too_large"]);
    assert_eq!(
        over.errors[0].message,
        "the file is 614401 bytes; MMS allows at most 614400 bytes (600 KB)"
    );
}

#[test]
fn a_large_photo_over_the_limit_is_refused() {
    let jpeg = encode(&noise(1200, 900, 10), ImageFormat::Jpeg);
    assert!(jpeg.len() > 614_400);
    assert_eq!(codes(&check("big.jpg", &jpeg).errors), ["too_large"]);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let seeds = [
        encode(&noise(16, 16, 11), ImageFormat::Jpeg),
        encode(&noise(16, 16, 12), ImageFormat::Png),
        animated_gif(2),
    ];
    let mut state = 0x9E37_79B9_u32;
    for seed in &seeds {
        for _ in 0..300 {
            let mut bytes = seed.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let i = state as usize % bytes.len();
                bytes[i] = (state >> 8) as u8;
            }
            bytes.truncate(bytes.len() - (state as usize % 8));
            let _ = check("fuzz", &bytes);
        }
    }
}

mod fit {
    use tern_domain::media::{FitError, fit_media};

    use super::*;

    fn assert_fits(fitted: &tern_domain::media::Fitted) {
        let report = check("fitted", &fitted.bytes);
        assert!(report.ok, "{:?}", report.errors);
        assert_eq!(
            (report.width, report.height, report.frames),
            (Some(fitted.width), Some(fitted.height), Some(fitted.frames))
        );
    }

    #[test]
    fn a_photo_over_the_limit_is_offered_as_a_smaller_jpeg_the_right_way_up() {
        let jpeg = encode(&noise(1200, 900, 20), ImageFormat::Jpeg);
        let rotated = [&jpeg[..2], &exif_with_gps(), &jpeg[2..]].concat();
        assert!(!check("big.jpg", &rotated).ok);
        let fitted = fit_media(&rotated, &MediaLimits::default()).unwrap();
        assert_eq!(fitted.format, MediaFormat::Jpeg);
        assert!(
            fitted.height > fitted.width,
            "orientation 6 turned into pixels: {}x{}",
            fitted.width,
            fitted.height
        );
        assert_fits(&fitted);
    }

    #[test]
    fn a_transparent_png_stays_png_and_an_animation_stays_animated() {
        let mut image = noise(700, 700, 21);
        image.pixels_mut().step_by(3).for_each(|p| p.0[3] = 0);
        let fitted = fit_media(&encode(&image, ImageFormat::Png), &MediaLimits::default()).unwrap();
        assert_eq!(fitted.format, MediaFormat::Png);
        assert_fits(&fitted);

        let mut gif = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut gif);
            for i in 0..4 {
                encoder
                    .encode_frame(Frame::from_parts(
                        noise(400, 300, 30 + i),
                        0,
                        0,
                        Delay::from_numer_denom_ms(80, 1),
                    ))
                    .unwrap();
            }
        }
        assert!(gif.len() > 614_400);
        let fitted = fit_media(&gif, &MediaLimits::default()).unwrap();
        assert_eq!((fitted.format, fitted.frames), (MediaFormat::Gif, 4));
        assert_fits(&fitted);
    }

    #[test]
    fn too_many_pixels_or_no_image_cannot_be_fitted() {
        let mut gif = animated_gif(1);
        gif[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(
            fit_media(&gif, &MediaLimits::default()),
            Err(FitError::TooManyPixels {
                width: 65535,
                height: 65535
            })
        );
        assert_eq!(
            fit_media(b"RIFF\0\0\0\0WEBP", &MediaLimits::default()),
            Err(FitError::NotAnImage)
        );
    }
}
