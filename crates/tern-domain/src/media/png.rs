//! PNG: walk the chunks, check every CRC, drop the text and time chunks.

use super::{
    exif,
    scan::{Corrupt, Reader, Scan},
};

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Walks a PNG from its signature to IEND; anything after IEND is dropped.
pub(super) fn scan(bytes: &[u8]) -> Result<Scan, Corrupt> {
    let mut r = Reader::new(bytes, 0);
    if r.take(SIGNATURE.len(), "signature")? != SIGNATURE {
        return Err(Corrupt("missing the PNG signature".into()));
    }
    let mut cleaned = SIGNATURE.to_vec();
    let mut removed = Vec::new();
    let mut size = None;
    let mut frames = 1;
    loop {
        let start = r.pos;
        let length = r.take(4, "chunk length")?;
        let length = u32::from_be_bytes(length.try_into().expect("four bytes"));
        if length > 0x7FFF_FFFF {
            return Err(Corrupt(format!(
                "chunk at byte {start} claims {length} bytes"
            )));
        }
        let kind: [u8; 4] = r.take(4, "chunk type")?.try_into().expect("four bytes");
        let name = String::from_utf8_lossy(&kind).into_owned();
        let data = r.take(length as usize, &format!("{name} chunk"))?;
        let crc = r.take(4, &format!("{name} chunk's CRC"))?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&kind);
        hasher.update(data);
        if hasher.finalize().to_be_bytes() != crc {
            return Err(Corrupt(format!(
                "{name} chunk at byte {start} fails its CRC check"
            )));
        }
        if size.is_none() && &kind != b"IHDR" {
            return Err(Corrupt("the first chunk is not IHDR".into()));
        }
        let chunk = &bytes[start..r.pos];
        match &kind {
            b"IHDR" => {
                size = Some(header_size(data)?);
                cleaned.extend_from_slice(chunk);
            }
            b"acTL" if data.len() >= 4 => {
                frames = u32::from_be_bytes(data[..4].try_into().expect("four bytes")).max(1);
                cleaned.extend_from_slice(chunk);
            }
            b"tEXt" | b"zTXt" | b"iTXt" => removed.push("text"),
            b"tIME" => removed.push("modification time"),
            b"eXIf" => {
                let facts = exif::facts(data);
                removed.push(if facts.has_gps {
                    "EXIF with GPS position"
                } else {
                    "EXIF"
                });
                if let Some(o) = facts.orientation {
                    push_chunk(&mut cleaned, b"eXIf", &exif::orientation_only(o));
                }
            }
            b"IEND" => {
                cleaned.extend_from_slice(chunk);
                break;
            }
            _ => cleaned.extend_from_slice(chunk),
        }
    }
    let (width, height) = size.expect("IHDR was checked first");
    Ok(Scan {
        width,
        height,
        frames,
        largest_frame: (width, height),
        cleaned,
        removed,
    })
}

fn header_size(data: &[u8]) -> Result<(u32, u32), Corrupt> {
    if data.len() != 13 {
        return Err(Corrupt(format!(
            "IHDR chunk has {} bytes instead of 13",
            data.len()
        )));
    }
    let width = u32::from_be_bytes(data[0..4].try_into().expect("four bytes"));
    let height = u32::from_be_bytes(data[4..8].try_into().expect("four bytes"));
    if width == 0 || height == 0 {
        return Err(Corrupt(format!("IHDR gives {width} × {height} pixels")));
    }
    Ok((width, height))
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).expect("chunks written here are tiny");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(kind);
    hasher.update(data);
    out.extend_from_slice(&hasher.finalize().to_be_bytes());
}
