//! The grapheme break properties the legacy splitter reads and its generated table lists.

/// Unicode 10 grapheme break properties, as the calculator's library names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Property {
    Cr,
    Lf,
    Control,
    Extend,
    RegionalIndicator,
    SpacingMark,
    L,
    V,
    T,
    Lv,
    Lvt,
    Other,
    Prepend,
    EBase,
    EModifier,
    Zwj,
    GlueAfterZwj,
    EBaseGaz,
}
