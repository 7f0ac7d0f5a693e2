//! JPEG: walk the marker segments, keep what draws the picture, drop what describes its owner.

use super::{
    exif,
    scan::{Corrupt, Reader, Scan},
};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

/// Walks a JPEG from SOI to EOI; anything after EOI (a second embedded image, a trailer) is
/// dropped with the metadata.
pub(super) fn scan(bytes: &[u8]) -> Result<Scan, Corrupt> {
    let mut r = Reader::new(bytes, 0);
    if r.take(2, "start marker")? != [0xFF, SOI] {
        return Err(Corrupt("missing the JPEG start marker".into()));
    }
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut removed = Vec::new();
    let mut orientation = None;
    let mut size = None;
    let mut first_kept_is_app0 = false;
    loop {
        let marker = next_marker(&mut r)?;
        let start = r.pos - 2;
        match marker {
            EOI if size.is_none() => return Err(Corrupt("image ends before any frame".into())),
            EOI => break,
            SOI => return Err(Corrupt(format!("second start marker at byte {start}"))),
            0x01 | 0xD0..=0xD7 => kept.push(&bytes[start..r.pos]),
            _ => {
                let length =
                    u16::from_be_bytes([r.byte("segment length")?, r.byte("segment length")?]);
                let Some(body_len) = usize::from(length).checked_sub(2) else {
                    return Err(Corrupt(format!(
                        "segment at byte {start} has length {length}"
                    )));
                };
                let body = r.take(body_len, "segment")?;
                let segment = &bytes[start..r.pos];
                match marker {
                    0xC0..=0xCF if ![0xC4, 0xC8, 0xCC].contains(&marker) => {
                        size = Some(frame_size(body)?);
                        kept.push(segment);
                    }
                    APP1 if body.starts_with(b"Exif\0\0") => {
                        let facts = exif::facts(&body[6..]);
                        orientation = facts.orientation;
                        removed.push(if facts.has_gps {
                            "EXIF with GPS position"
                        } else {
                            "EXIF"
                        });
                    }
                    APP1 => removed.push("XMP"),
                    APP2 if body.starts_with(b"ICC_PROFILE\0") => kept.push(segment),
                    APP0 | APP14 => {
                        first_kept_is_app0 |= marker == APP0 && kept.is_empty();
                        kept.push(segment);
                    }
                    0xE2..=0xEF => removed.push(if marker == 0xED {
                        "IPTC"
                    } else {
                        "application data"
                    }),
                    COM => removed.push("comment"),
                    SOS => {
                        kept.push(segment);
                        let data_start = r.pos;
                        skip_entropy_data(&mut r)?;
                        kept.push(&bytes[data_start..r.pos]);
                    }
                    _ => kept.push(segment),
                }
            }
        }
    }
    let Some((width, height)) = size else {
        return Err(Corrupt("no frame header".into()));
    };
    let mut cleaned = Vec::with_capacity(bytes.len());
    cleaned.extend_from_slice(&[0xFF, SOI]);
    // The frame header is always kept, so the orientation block always finds its place: right
    // after SOI, or after JFIF's APP0, which some decoders insist comes first.
    let exif_at = usize::from(first_kept_is_app0);
    for (i, part) in kept.iter().enumerate() {
        if i == exif_at
            && let Some(o) = orientation
        {
            push_exif(&mut cleaned, o);
        }
        cleaned.extend_from_slice(part);
    }
    cleaned.extend_from_slice(&[0xFF, EOI]);
    Ok(Scan {
        width,
        height,
        frames: 1,
        largest_frame: (width, height),
        cleaned,
        removed,
    })
}

/// Reads `FF` (and any fill `FF`s) then the marker byte.
fn next_marker(r: &mut Reader<'_>) -> Result<u8, Corrupt> {
    let at = r.pos;
    if r.byte("marker")? != 0xFF {
        return Err(Corrupt(format!("expected a marker at byte {at}")));
    }
    loop {
        match r.byte("marker")? {
            0xFF => continue,
            0x00 => return Err(Corrupt(format!("expected a marker at byte {at}"))),
            marker => return Ok(marker),
        }
    }
}

/// Skips entropy-coded data up to the next marker that is not a restart or a stuffed zero.
fn skip_entropy_data(r: &mut Reader<'_>) -> Result<(), Corrupt> {
    let rest = &r.bytes[r.pos..];
    let mut i = 0;
    while i + 1 < rest.len() {
        if rest[i] == 0xFF && !matches!(rest[i + 1], 0x00 | 0xFF | 0xD0..=0xD7) {
            r.pos += i;
            return Ok(());
        }
        i += 1;
    }
    Err(Corrupt(
        "file is truncated: the image data has no end marker".into(),
    ))
}

fn frame_size(body: &[u8]) -> Result<(u32, u32), Corrupt> {
    let &[_precision, h0, h1, w0, w1, ..] = body else {
        return Err(Corrupt("frame header is too short".into()));
    };
    let (width, height) = (u16::from_be_bytes([w0, w1]), u16::from_be_bytes([h0, h1]));
    if width == 0 || height == 0 {
        return Err(Corrupt(format!(
            "frame header gives {width} × {height} pixels"
        )));
    }
    Ok((u32::from(width), u32::from(height)))
}

fn push_exif(out: &mut Vec<u8>, orientation: u16) {
    let tiff = exif::orientation_only(orientation);
    let length = u16::try_from(2 + 6 + tiff.len()).expect("the orientation block is tiny");
    out.extend_from_slice(&[0xFF, APP1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
}
