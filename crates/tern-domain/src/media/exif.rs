//! Just enough of EXIF's TIFF structure to keep an image's orientation and drop the rest.

const ORIENTATION: u16 = 0x0112;
const GPS_INFO: u16 = 0x8825;

/// What the EXIF block held that matters once it is removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct ExifFacts {
    /// 2..=8 when the image is displayed rotated or mirrored.
    pub orientation: Option<u16>,
    pub has_gps: bool,
}

/// Reads IFD0 of a TIFF block; anything malformed yields no facts rather than an error, since
/// the block is discarded either way.
pub(super) fn facts(tiff: &[u8]) -> ExifFacts {
    let mut facts = ExifFacts::default();
    let big_endian = match tiff.get(..2) {
        Some(b"MM") => true,
        Some(b"II") => false,
        _ => return facts,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let Some(ifd) = u32_at(4).and_then(|o| usize::try_from(o).ok()) else {
        return facts;
    };
    let Some(count) = u16_at(ifd) else {
        return facts;
    };
    for i in 0..usize::from(count) {
        let entry = ifd + 2 + 12 * i;
        match u16_at(entry) {
            Some(ORIENTATION) => {
                facts.orientation = u16_at(entry + 8).filter(|o| (2..=8).contains(o));
            }
            Some(GPS_INFO) => facts.has_gps = true,
            Some(_) => {}
            None => break,
        }
    }
    facts
}

/// A TIFF block holding only the orientation tag.
pub(super) fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1_u16.to_be_bytes());
    tiff.extend_from_slice(&ORIENTATION.to_be_bytes());
    tiff.extend_from_slice(&3_u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1_u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0_u32.to_be_bytes()); // no next IFD
    tiff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_orientation_block_reads_back() {
        let facts = facts(&orientation_only(6));
        assert_eq!(
            facts,
            ExifFacts {
                orientation: Some(6),
                has_gps: false
            }
        );
    }

    #[test]
    fn garbage_yields_no_facts() {
        assert_eq!(facts(b"MM\0*\xff\xff\xff\xff"), ExifFacts::default());
        assert_eq!(facts(b""), ExifFacts::default());
    }
}
