//! Fast skipping of plain string content, eight bytes at a time (SWAR), and UTF-8 helpers.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `word` that is `"`, `\` or a control character (< 0x20).
///
/// Two classic SWAR tests: `byte ^ 0x02 < 0x21` holds exactly for the control characters and `"` (0x22 becomes
/// 0x20, and xor with 0x02 keeps 0x00..=0x1F below 0x20), and "has zero byte" of `word ^ '\\'` finds backslashes.
/// A borrow only propagates upwards from a byte that is itself a match, so the lowest flagged byte is always a
/// true match (higher ones may be false positives, never used).
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    let flipped = word ^ (ONES * 0x02);
    let quote_or_control = flipped.wrapping_sub(ONES * 0x21) & !flipped;
    let backslash = word ^ (ONES * b'\\' as u64);
    let has_backslash = backslash.wrapping_sub(ONES) & !backslash;
    (quote_or_control | has_backslash) & HIGHS
}

#[inline(always)]
fn is_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// Index of the first `"`, `\` or control byte (< 0x20) in `bytes[from..]`, or `bytes.len()` if there is none:
/// where a run of plain JSON string content that starts at `from` stops. Eight bytes at a time, no `unsafe`.
///
/// Public for the readers built on this crate that step over strings themselves (`midstream-providers`' pull
/// reader), so the whole workspace has one string scan.
///
/// ```
/// assert_eq!(midstream_core::find_special(br#"abc"def"#, 0), 3);
/// assert_eq!(midstream_core::find_special(b"plain text", 2), 10);
/// assert_eq!(midstream_core::find_special(b"tab\there", 0), 3);
/// ```
#[inline]
pub fn find_special(bytes: &[u8], from: usize) -> usize {
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
    if let Some(word) = bytes.get(i..i + 8) {
        let found = special_bytes(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
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
    fn agrees_with_a_byte_at_a_time_scan() {
        // Bytes around every threshold of the SWAR tests, in random buffers, from every start.
        const BYTES: [u8; 16] = [
            0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xDC,
            0xFF, b'a',
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let mut rng = state;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    // Mostly plain bytes, so runs are long enough for the word-wise loops.
                    if rng >> 60 < 11 {
                        b'a'
                    } else {
                        BYTES[(rng >> 33) as usize % BYTES.len()]
                    }
                })
                .collect();
            for from in 0..=len {
                let naive = (from..len).find(|&k| is_special(bytes[k])).unwrap_or(len);
                assert_eq!(find_special(&bytes, from), naive, "{bytes:?} from {from}");
            }
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
