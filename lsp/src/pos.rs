//! Positions: the compiler's byte offsets and LSP's line/character positions, in the encoding
//! negotiated at initialisation (UTF-8 when the client offers it, else UTF-16, the protocol's
//! default).

use lsp_types::{Position, Range};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client lists it among `general.positionEncodings`, else UTF-16.
    pub fn negotiate(offered: Option<&[lsp_types::PositionEncodingKind]>) -> Encoding {
        let utf8 = offered.is_some_and(|o| o.contains(&lsp_types::PositionEncodingKind::UTF8));
        if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> lsp_types::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lsp_types::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp_types::PositionEncodingKind::UTF16,
        }
    }

    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// The position of a byte offset (clamped to the text, and back to a character boundary).
pub fn position(text: &str, offset: usize, enc: Encoding) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = before.matches('\n').count();
    let character: usize = before[line_start..].chars().map(|c| enc.width(c)).sum();
    Position::new(line as u32, character as u32)
}

pub fn range(text: &str, r: std::ops::Range<usize>, enc: Encoding) -> Range {
    Range::new(position(text, r.start, enc), position(text, r.end, enc))
}

/// The byte offset of a position: a line past the end is the text's end, a character past
/// the line's end (or inside a character) the line's end (or that character's start).
pub fn offset(text: &str, pos: Position, enc: Encoding) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..line_end].char_indices() {
        let w = enc.width(c);
        if units + w > pos.character as usize {
            return start + i;
        }
        units += w;
    }
    line_end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_surrogate_pairs_and_utf8_bytes() {
        let text = "a = \"é😀\"\nb = 1\n";
        let at_close = text.find("\"\n").unwrap_or(0);
        assert_eq!(
            position(text, at_close, Encoding::Utf16),
            Position::new(0, 8)
        );
        assert_eq!(
            position(text, at_close, Encoding::Utf8),
            Position::new(0, 11)
        );
        assert_eq!(offset(text, Position::new(0, 8), Encoding::Utf16), at_close);
        assert_eq!(offset(text, Position::new(0, 11), Encoding::Utf8), at_close);
        assert_eq!(
            offset(text, Position::new(1, 2), Encoding::Utf16),
            text.find("= 1").unwrap_or(0)
        );
        assert_eq!(
            offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
    }
}
