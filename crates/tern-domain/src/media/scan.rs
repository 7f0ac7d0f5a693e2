//! What a structural walk of an image file finds, before any pixel is decoded.

/// Dimensions from the headers and the file as it will be sent, with metadata removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scan {
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    /// The largest frame's width and height, which bound decoding work (GIF frames may exceed
    /// the logical screen).
    pub largest_frame: (u32, u32),
    pub cleaned: Vec<u8>,
    /// What was removed, in words: "EXIF with GPS position", "XMP", "comment" …
    pub removed: Vec<&'static str>,
}

/// The structure is broken; the text says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Corrupt(pub String);

/// A cursor over a byte slice whose reads fail with a `Corrupt` naming what was cut short.
pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], pos: usize) -> Self {
        Self { bytes, pos }
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Corrupt> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let Some(end) = end else {
            return Err(Corrupt(format!(
                "file ends inside the {what} at byte {}",
                self.pos
            )));
        };
        let taken = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(taken)
    }

    pub fn byte(&mut self, what: &str) -> Result<u8, Corrupt> {
        Ok(self.take(1, what)?[0])
    }
}
