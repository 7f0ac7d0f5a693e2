//! GIF: walk the blocks, count the frames, drop comments and foreign application data.

use super::scan::{Corrupt, Reader, Scan};

/// Walks a GIF from its header to the trailer; anything after the trailer is dropped.
pub(super) fn scan(bytes: &[u8]) -> Result<Scan, Corrupt> {
    let mut r = Reader::new(bytes, 0);
    let header = r.take(13, "header")?;
    let width = u32::from(u16::from_le_bytes([header[6], header[7]]));
    let height = u32::from(u16::from_le_bytes([header[8], header[9]]));
    if width == 0 || height == 0 {
        return Err(Corrupt(format!(
            "logical screen is {width} × {height} pixels"
        )));
    }
    r.take(color_table_len(header[10]), "global color table")?;
    let mut cleaned = bytes[..r.pos].to_vec();
    let mut removed = Vec::new();
    let mut frames = 0_u32;
    let mut largest_frame = (0, 0);
    loop {
        let start = r.pos;
        match r.byte("block")? {
            0x21 => {
                let label = r.byte("extension")?;
                let first = sub_blocks(&mut r)?;
                let keep = match label {
                    0xFE => {
                        removed.push("comment");
                        false
                    }
                    0xFF if matches!(first, Some(b"NETSCAPE2.0" | b"ANIMEXTS1.0")) => true,
                    0xFF => {
                        removed.push(if first == Some(b"XMP DataXMP") {
                            "XMP"
                        } else {
                            "application data"
                        });
                        false
                    }
                    _ => true,
                };
                if keep {
                    cleaned.extend_from_slice(&bytes[start..r.pos]);
                }
            }
            0x2C => {
                let descriptor = r.take(9, "image descriptor")?;
                let w = u32::from(u16::from_le_bytes([descriptor[4], descriptor[5]]));
                let h = u32::from(u16::from_le_bytes([descriptor[6], descriptor[7]]));
                if w.saturating_mul(h) > largest_frame.0 * largest_frame.1 {
                    largest_frame = (w, h);
                }
                r.take(color_table_len(descriptor[8]), "local color table")?;
                r.byte("image data")?;
                sub_blocks(&mut r)?;
                frames += 1;
                cleaned.extend_from_slice(&bytes[start..r.pos]);
            }
            0x3B => {
                cleaned.push(0x3B);
                break;
            }
            other => {
                return Err(Corrupt(format!(
                    "unexpected block 0x{other:02X} at byte {start}"
                )));
            }
        }
    }
    if frames == 0 {
        return Err(Corrupt("the GIF holds no image".into()));
    }
    Ok(Scan {
        width,
        height,
        frames,
        largest_frame,
        cleaned,
        removed,
    })
}

fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// Skips a chain of data sub-blocks; returns the first one, which names an application block.
fn sub_blocks<'a>(r: &mut Reader<'a>) -> Result<Option<&'a [u8]>, Corrupt> {
    let mut first = None;
    loop {
        let size = r.byte("data sub-block")?;
        if size == 0 {
            return Ok(first);
        }
        let block = r.take(usize::from(size), "data sub-block")?;
        first.get_or_insert(block);
    }
}
