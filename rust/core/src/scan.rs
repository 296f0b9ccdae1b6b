//! Fast skipping of plain string content, eight bytes at a time (SWAR), and UTF-8 helpers.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `word` that is `"`, `\` or a control character (< 0x20).
///
/// Each test is the classic "has zero byte" trick; a borrow only propagates upwards from a byte that is itself a
/// match, so the lowest flagged byte is always a true match (higher ones may be false positives, never used).
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    let quote = word ^ (ONES * b'"' as u64);
    let backslash = word ^ (ONES * b'\\' as u64);
    let has_quote = quote.wrapping_sub(ONES) & !quote;
    let has_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let has_control = word.wrapping_sub(ONES * 0x20) & !word;
    (has_quote | has_backslash | has_control) & HIGHS
}

#[inline(always)]
fn is_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// Index of the first `"`, `\` or control byte in `bytes[from..]`, or `bytes.len()`.
#[inline]
pub(crate) fn find_special(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(block) = bytes.get(i..i + 16) {
        let (a, b) = block.split_at(8);
        let a = special_bytes(u64::from_le_bytes(a.try_into().expect("8 bytes")));
        let b = special_bytes(u64::from_le_bytes(b.try_into().expect("8 bytes")));
        if a != 0 {
            return i + (a.trailing_zeros() / 8) as usize;
        }
        if b != 0 {
            return i + 8 + (b.trailing_zeros() / 8) as usize;
        }
        i += 16;
    }
    while let Some(&byte) = bytes.get(i) {
        if is_special(byte) {
            return i;
        }
        i += 1;
    }
    i
}

/// Number of bytes a UTF-8 sequence starting with `lead` has, or `None` if `lead` can never start one.
#[inline]
pub(crate) fn sequence_len(lead: u8) -> Option<usize> {
    match lead {
        0x00..=0x7F => Some(1),
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

/// Allowed range of the second byte after `lead` (Unicode table 3-7: no overlongs, surrogates or > U+10FFFF).
#[inline]
fn second_byte_range(lead: u8) -> (u8, u8) {
    match lead {
        0xE0 => (0xA0, 0xBF),
        0xED => (0x80, 0x9F),
        0xF0 => (0x90, 0xBF),
        0xF4 => (0x80, 0x8F),
        _ => (0x80, 0xBF),
    }
}

/// True if `bytes` is a valid but unfinished UTF-8 sequence (more bytes could complete it).
pub(crate) fn is_unfinished_sequence(bytes: &[u8]) -> bool {
    let Some((&lead, rest)) = bytes.split_first() else {
        return false;
    };
    let Some(len) = sequence_len(lead) else {
        return false;
    };
    if len == 1 || bytes.len() >= len {
        return false;
    }
    rest.iter().enumerate().all(|(k, &b)| {
        let (lo, hi) = if k == 0 {
            second_byte_range(lead)
        } else {
            (0x80, 0xBF)
        };
        (lo..=hi).contains(&b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_special_byte_at_every_position() {
        for len in 0..40 {
            for pos in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    let mut bytes = vec![b'a'; len];
                    bytes[pos] = special;
                    assert_eq!(
                        find_special(&bytes, 0),
                        pos,
                        "len {len} pos {pos} byte {special}"
                    );
                }
            }
            assert_eq!(find_special(&vec![b'a'; len], 0), len);
        }
    }

    #[test]
    fn non_ascii_and_boundary_bytes_are_plain() {
        let bytes: Vec<u8> = (0x20..=0xFF).filter(|&b| b != b'"' && b != b'\\').collect();
        assert_eq!(find_special(&bytes, 0), bytes.len());
        for start in 0..bytes.len() {
            assert_eq!(find_special(&bytes, start), bytes.len());
        }
    }

    #[test]
    fn unfinished_sequences() {
        assert!(is_unfinished_sequence(&[0xE2]));
        assert!(is_unfinished_sequence(&[0xE2, 0x82]));
        assert!(!is_unfinished_sequence(&[0xE2, 0x82, 0xAC]));
        assert!(!is_unfinished_sequence(&[0xC0]));
        assert!(!is_unfinished_sequence(&[0xED, 0xA0]));
        assert!(is_unfinished_sequence(&[0xF0, 0x90, 0x80]));
        assert!(!is_unfinished_sequence(&[0xF4, 0x90]));
        assert!(!is_unfinished_sequence(&[0x80]));
    }
}
